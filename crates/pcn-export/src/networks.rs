//! A commissioner's networks as a file: the rows `pcn network list` and the
//! commissioner page download.

use pcn_core::registry::NetworkView;
use rust_xlsxwriter::Workbook;

use crate::csv::CsvOut;
use crate::xlsx::{Formats, Sheet};
use crate::Result;

const COLUMNS: [&str; 8] = [
    "pcn_code",
    "name",
    "commissioner",
    "icb",
    "members",
    "list_size",
    "clinical_director",
    "nominated_payee",
];

fn row(n: &NetworkView) -> [String; 8] {
    let text = |v: Option<String>| v.unwrap_or_default();
    [
        n.code.to_string(),
        text(n.name.clone()),
        text(n.commissioner.as_ref().map(ToString::to_string)),
        text(n.icb.as_ref().map(ToString::to_string)),
        n.members.len().to_string(),
        n.list_size.to_string(),
        text(n.governance.clinical_director.clone()),
        text(
            n.governance
                .nominated_payee
                .as_ref()
                .map(ToString::to_string),
        ),
    ]
}

/// The networks as CSV.
pub fn networks_csv(networks: &[&NetworkView]) -> Result<String> {
    let mut out = CsvOut::new();
    out.row(COLUMNS)?;
    for n in networks {
        out.row(row(n))?;
    }
    out.finish()
}

/// The networks as an XLSX workbook (one sheet), counts as numbers.
pub fn networks_xlsx(networks: &[&NetworkView]) -> Result<Vec<u8>> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let mut sheet = Sheet::add(&mut workbook, &formats, "Networks")?;
    sheet.header(0, &COLUMNS)?;
    for (r, n) in networks.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, value) in row(n).iter().enumerate() {
            match c {
                4 => sheet.number(r, c as u16, n.members.len() as f64)?,
                5 => sheet.number(r, c as u16, n.list_size as f64)?,
                _ => sheet.text(r, c as u16, value)?,
            }
        }
    }
    sheet.ws.autofit();
    Ok(workbook.save_to_buffer()?)
}
