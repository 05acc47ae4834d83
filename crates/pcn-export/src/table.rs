//! One table of typed cells, written as CSV or as a workbook sheet, so the
//! two files of one table cannot disagree: the CSV carries exact text (money
//! in pounds from the pence), the sheet carries numbers with formats.

use pcn_core::money::Pence;
use pcn_core::text::pounds_plain;
use pcn_core::Decimal;

use crate::csv::CsvOut;
use crate::xlsx::{Row, Sheet};
use crate::Result;

/// A cell of a table row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(u64),
    Decimal(Decimal),
    /// A measured quantity (kilometres), shown to two decimals.
    Real(f64),
    Money(Pence),
}

impl Cell {
    /// The cell as CSV text.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Decimal(d) => d.normalize().to_string(),
            Cell::Real(x) => format!("{x:.2}"),
            Cell::Money(p) => pounds_plain(*p),
        }
    }
}

/// The table as CSV: the header, then one line per row.
pub fn csv(header: &[&str], rows: &[Vec<Cell>]) -> Result<String> {
    let mut out = CsvOut::new();
    out.row(header)?;
    for row in rows {
        out.row(row.iter().map(Cell::text))?;
    }
    out.finish()
}

/// Writes the header at row `top` and the rows under it.
pub fn write(sheet: &mut Sheet, top: Row, header: &[&str], rows: &[Vec<Cell>]) -> Result<()> {
    sheet.header(top, header)?;
    for (r, row) in rows.iter().enumerate() {
        let r = top + 1 + r as Row;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(t) => sheet.text(r, c, t)?,
                Cell::Number(n) => sheet.number(r, c, *n as f64)?,
                Cell::Decimal(d) => sheet.figure(r, c, &d.normalize().to_string(), false)?,
                Cell::Real(x) => {
                    sheet
                        .ws
                        .write_number_with_format(r, c, *x, &sheet.f.decimal)?;
                }
                Cell::Money(p) => sheet.money(r, c, *p)?,
            }
        }
    }
    Ok(())
}
