//! A year's reconciliation ([`pcn_core::reconcile::Reconciliation`]) as
//! files: JSON (all of it), CSV (one row per network and published column or
//! stream) and an XLSX workbook (the summaries national and per
//! commissioner, the networks' rows, payments no network could be given).
//! Money is integer pence plus exact pounds in CSV, numbers of pounds from
//! exact pence in the workbook.

use pcn_core::reconcile::{Band, GroupSummary, Item, NetworkReconciliation, Reconciliation};
use pcn_core::text::pounds_plain as gbp;
use rust_xlsxwriter::Workbook;

use crate::csv::CsvOut;
use crate::words::or_blank;
use crate::xlsx::{Formats, Sheet};
use crate::Result;

/// The whole reconciliation as pretty JSON (money in integer pence).
pub fn reconciliation_json(r: &Reconciliation) -> Result<String> {
    let mut text = serde_json::to_string_pretty(r)?;
    text.push('\n');
    Ok(text)
}

const ITEM_COLUMNS: [&str; 20] = [
    "financial_year",
    "paid_from",
    "pcn_code",
    "pcn_name",
    "commissioner",
    "compared_as",
    "streams",
    "optional_included",
    "owed_pence",
    "paid_pence",
    "difference_pence",
    "owed_gbp",
    "paid_gbp",
    "difference_gbp",
    "difference_percent",
    "months_owed",
    "months_paid",
    "cause",
    "cause_detail",
    "difference_after_timing_percent",
];

/// Whether the amount owed rests on an estimate, and the practices paid.
const TAIL_COLUMNS: [&str; 2] = ["estimated", "paid_to_practices"];

fn percent(p: Option<pcn_core::Decimal>) -> String {
    p.map(|p| p.to_string()).unwrap_or_default()
}

/// The cells of one network's item, in [`ITEM_COLUMNS`] then [`TAIL_COLUMNS`] order.
/// A cell that rests on the amount owed: blank when it is unknown.
fn known(i: &Item, text: String) -> String {
    if i.owed_known() {
        text
    } else {
        String::new()
    }
}

fn item_cells(r: &Reconciliation, n: &NetworkReconciliation, i: &Item) -> Vec<String> {
    vec![
        r.financial_year.to_string(),
        r.paid_from.clone(),
        n.pcn.to_string(),
        n.name.clone().unwrap_or_default(),
        or_blank(n.commissioner.as_ref()),
        i.group.clone(),
        i.streams.join(" + "),
        i.optional_included.join(" + "),
        known(i, i.owed.0.to_string()),
        i.paid.0.to_string(),
        known(i, i.difference.0.to_string()),
        known(i, gbp(i.owed)),
        gbp(i.paid),
        known(i, gbp(i.difference)),
        percent(i.difference_percent),
        i.months_owed.to_string(),
        i.months_paid.map(|m| m.to_string()).unwrap_or_default(),
        i.cause.name().to_string(),
        i.cause.describe(),
        percent(i.difference_after_timing_percent),
        i.estimated.to_string(),
        i.recipients
            .iter()
            .map(|p| format!("{}={}", p.practice, gbp(p.amount)))
            .collect::<Vec<_>>()
            .join(";"),
    ]
}

/// One row per network and published column (or stream, for remittances).
pub fn reconciliation_csv(r: &Reconciliation) -> Result<String> {
    let mut w = CsvOut::new();
    w.row(ITEM_COLUMNS.iter().chain(TAIL_COLUMNS.iter()))?;
    for n in &r.networks {
        for i in &n.items {
            w.row(item_cells(r, n, i))?;
        }
    }
    w.finish()
}

/// The measures a summary shows, with their names.
pub fn measures(g: &GroupSummary) -> [(&'static str, &Band); 3] {
    [
        ("before timing", &g.before_timing),
        ("after timing", &g.after_timing),
        ("paid the full year", &g.paid_full_year),
    ]
}

const SUMMARY_COLUMNS: [&str; 14] = [
    "commissioner",
    "compared_as",
    "streams",
    "owed",
    "paid",
    "networks_owed",
    "networks_paid",
    "measure",
    "compared",
    "within_1_percent",
    "within_2_percent",
    "within_5_percent",
    "median_difference_percent",
    "causes",
];

fn summary_rows(
    sheet: &mut Sheet,
    row: &mut u32,
    commissioner: &str,
    groups: &[GroupSummary],
) -> Result<()> {
    for g in groups {
        for (measure, band) in measures(g) {
            let r = *row;
            sheet.text(r, 0, commissioner)?;
            sheet.text(r, 1, &g.group)?;
            sheet.text(r, 2, &g.streams.join(" + "))?;
            if g.networks_owed > 0 {
                sheet.money(r, 3, g.owed)?;
            }
            sheet.money(r, 4, g.paid)?;
            sheet.number(r, 5, g.networks_owed as f64)?;
            sheet.number(r, 6, g.networks_paid as f64)?;
            sheet.text(r, 7, measure)?;
            sheet.number(r, 8, band.compared as f64)?;
            sheet.number(r, 9, band.within_1 as f64)?;
            sheet.number(r, 10, band.within_2 as f64)?;
            sheet.number(r, 11, band.within_5 as f64)?;
            if let Some(m) = band.median_percent {
                sheet.figure(r, 12, &m.to_string(), false)?;
            }
            let causes: Vec<String> = g.causes.iter().map(|(c, n)| format!("{c} {n}")).collect();
            sheet.text(r, 13, &causes.join(", "))?;
            *row += 1;
        }
    }
    Ok(())
}

/// The `Pools` sheet: networks of a commissioner paid a column through one
/// payee (or a few), compared as one, agreeing or not.
fn pools_sheet(workbook: &mut Workbook, formats: &Formats, r: &Reconciliation) -> Result<()> {
    let mut sheet = Sheet::add(workbook, formats, "Pools")?;
    sheet.header(
        0,
        &[
            "commissioner",
            "compared_as",
            "payees",
            "unpaid_networks",
            "paid",
            "owed",
            "difference",
            "difference_percent",
            "agrees",
        ],
    )?;
    for (k, p) in r.pools.iter().enumerate() {
        let row = k as u32 + 1;
        let payees: Vec<String> = p
            .payees
            .iter()
            .map(|x| {
                let practices: Vec<&str> = x.practices.iter().map(|c| c.as_str()).collect();
                format!("{} ({})", practices.join(", "), x.pcn)
            })
            .collect();
        let unpaid: Vec<&str> = p.unpaid.iter().map(|c| c.as_str()).collect();
        sheet.text(row, 0, p.commissioner.as_str())?;
        sheet.text(row, 1, &p.group)?;
        sheet.text(row, 2, &payees.join("; "))?;
        sheet.text(row, 3, &unpaid.join(", "))?;
        sheet.money(row, 4, p.paid)?;
        sheet.money(row, 5, p.owed)?;
        sheet.money(row, 6, p.difference)?;
        if let Some(d) = p.difference_percent {
            sheet.figure(row, 7, &d.to_string(), false)?;
        }
        sheet.text(row, 8, if p.agrees { "yes" } else { "no" })?;
    }
    sheet.ws.autofit();
    Ok(())
}

/// A workbook: `Summary` (national, then per commissioner, each measure of
/// each column), `Networks` (one row per network and column), `Pools`
/// (networks paid through one payee, compared as one) and `Unattributed`
/// (payments no network could be given).
pub fn reconciliation_xlsx(r: &Reconciliation) -> Result<Vec<u8>> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let mut sheet = Sheet::add(&mut workbook, &formats, "Summary")?;
    sheet.title(
        &format!(
            "Reconciliation {}: statements against the {}",
            r.financial_year, r.paid_from
        ),
        "Differences are paid − owed; \"after timing\" measures a timing difference against the \
         months it amounts to; \"paid the full year\" leaves out networks paid a number of months \
         other than twelve; an agreeing pool (networks paid through one payee, sheet Pools) is \
         compared once, as one.",
    )?;
    sheet.header(3, &SUMMARY_COLUMNS)?;
    let mut row = 4;
    summary_rows(&mut sheet, &mut row, "England", &r.national)?;
    for (c, groups) in &r.by_commissioner {
        summary_rows(&mut sheet, &mut row, c, groups)?;
    }
    sheet.ws.autofit();

    let mut sheet = Sheet::add(&mut workbook, &formats, "Networks")?;
    let header: Vec<&str> = ITEM_COLUMNS
        .iter()
        .chain(TAIL_COLUMNS.iter())
        .copied()
        .collect();
    sheet.header(0, &header)?;
    let mut row = 1;
    for n in &r.networks {
        for i in &n.items {
            let cells = item_cells(r, n, i);
            for (c, text) in cells.iter().enumerate() {
                let col = c as u16;
                match c {
                    8..=10 => {}
                    11 | 13 if !i.owed_known() => {}
                    11 => sheet.money(row, col, i.owed)?,
                    12 => sheet.money(row, col, i.paid)?,
                    13 => sheet.money(row, col, i.difference)?,
                    14 | 16 | 19 => sheet.figure(row, col, text, false)?,
                    15 => sheet.number(row, col, i.months_owed as f64)?,
                    _ => sheet.text(row, col, text)?,
                }
            }
            row += 1;
        }
    }
    sheet.ws.autofit();

    pools_sheet(&mut workbook, &formats, r)?;

    let mut sheet = Sheet::add(&mut workbook, &formats, "Unattributed")?;
    sheet.header(0, &["practice", "compared_as", "amount"])?;
    for (k, u) in r.unattributed.iter().enumerate() {
        let row = k as u32 + 1;
        sheet.text(row, 0, u.practice.as_str())?;
        sheet.text(row, 1, &u.group)?;
        sheet.money(row, 2, u.amount)?;
    }
    let after = r.unattributed.len() as u32 + 2;
    sheet.header(after, &["not compared", "amount", "why"])?;
    for (k, (column, amount, why)) in r.not_compared.iter().enumerate() {
        let row = after + 1 + k as u32;
        sheet.text(row, 0, column)?;
        sheet.money(row, 1, *amount)?;
        sheet.text(row, 2, why)?;
    }
    Ok(workbook.save_to_buffer()?)
}
