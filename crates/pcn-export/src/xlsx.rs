//! The workbook layer every XLSX export shares: one set of cell formats and
//! a [`Sheet`] of typed cell writers (money from exact pence, dates, whole
//! numbers), so each sheet's code reads as its layout.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use pcn_core::money::Pence;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Formula, Workbook, Worksheet};

use crate::Result;

/// Pounds as a spreadsheet cell value.
///
/// Exact enough by construction: every pence amount below 2^53 (£90 trillion)
/// converts to `f64` without loss, and dividing by 100 gives the double
/// nearest the exact pounds, which the `"£"#,##0.00` format always displays
/// as the right two decimals. Only cell values go through this; every sum
/// and comparison in pcn stays in integer pence.
pub fn pounds(amount: Pence) -> f64 {
    amount.0 as f64 / 100.0
}

/// The formats of the workbook, made once and shared by every cell.
pub struct Formats {
    pub title: Format,
    pub bold: Format,
    pub header: Format,
    pub banner: Format,
    pub money: Format,
    pub money_bold: Format,
    pub rate: Format,
    pub whole: Format,
    pub decimal: Format,
    pub date: Format,
}

impl Default for Formats {
    fn default() -> Formats {
        Formats::new()
    }
}

impl Formats {
    pub fn new() -> Formats {
        let money = "\"£\"#,##0.00";
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin),
            banner: Format::new()
                .set_bold()
                .set_font_color(rust_xlsxwriter::Color::Red),
            money: Format::new().set_num_format(money),
            money_bold: Format::new().set_num_format(money).set_bold(),
            rate: Format::new().set_num_format("\"£\"#,##0.00##"),
            whole: Format::new().set_num_format("#,##0"),
            decimal: Format::new().set_num_format("#,##0.00"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        }
    }
}

/// Cell writers over one sheet, so that the sheet code reads as a layout.
pub struct Sheet<'a> {
    pub ws: &'a mut Worksheet,
    pub f: &'a Formats,
}

pub type Row = u32;
pub type Col = u16;

impl<'a> Sheet<'a> {
    /// Adds a worksheet named `name` to `workbook` (see [`new_sheet`]), with
    /// cell writers over it in `f`'s formats.
    pub fn add(workbook: &'a mut Workbook, f: &'a Formats, name: &str) -> Result<Sheet<'a>> {
        Ok(Sheet {
            ws: new_sheet(workbook, name)?,
            f,
        })
    }
}

impl Sheet<'_> {
    pub fn text(&mut self, row: Row, col: Col, text: &str) -> Result<()> {
        if !text.is_empty() {
            self.ws.write_string(row, col, text)?;
        }
        Ok(())
    }

    pub fn styled(&mut self, row: Row, col: Col, text: &str, format: &Format) -> Result<()> {
        self.ws.write_string_with_format(row, col, text, format)?;
        Ok(())
    }

    pub fn money(&mut self, row: Row, col: Col, amount: Pence) -> Result<()> {
        self.ws
            .write_number_with_format(row, col, pounds(amount), &self.f.money)?;
        Ok(())
    }

    pub fn money_bold(&mut self, row: Row, col: Col, amount: Pence) -> Result<()> {
        self.ws
            .write_number_with_format(row, col, pounds(amount), &self.f.money_bold)?;
        Ok(())
    }

    pub fn number(&mut self, row: Row, col: Col, value: f64) -> Result<()> {
        self.ws
            .write_number_with_format(row, col, value, &self.f.whole)?;
        Ok(())
    }

    /// A decimal figure (basis, rate) as a number, formatted by whether it
    /// has a fractional part.
    pub fn figure(&mut self, row: Row, col: Col, text: &str, money: bool) -> Result<()> {
        let Ok(value) = text.parse::<f64>() else {
            return self.text(row, col, text);
        };
        let format = match (money, text.contains('.')) {
            (true, _) => &self.f.rate,
            (false, true) => &self.f.decimal,
            (false, false) => &self.f.whole,
        };
        self.ws.write_number_with_format(row, col, value, format)?;
        Ok(())
    }

    pub fn date(&mut self, row: Row, col: Col, date: Option<NaiveDate>) -> Result<()> {
        if let Some(d) = date {
            let excel = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            self.ws
                .write_datetime_with_format(row, col, excel, &self.f.date)?;
        }
        Ok(())
    }

    pub fn header(&mut self, row: Row, names: &[&str]) -> Result<()> {
        for (col, name) in names.iter().enumerate() {
            self.ws
                .write_string_with_format(row, col as Col, *name, &self.f.header)?;
        }
        Ok(())
    }

    pub fn widths(&mut self, widths: &[f64]) -> Result<()> {
        for (col, width) in widths.iter().enumerate() {
            self.ws.set_column_width(col as Col, *width)?;
        }
        Ok(())
    }

    /// A `SUM` over a range, with its value cached so that readers that do
    /// not calculate (and finance systems importing the file) see it too.
    pub fn sum(&mut self, row: Row, col: Col, range: &str, value: Pence, bold: bool) -> Result<()> {
        let formula =
            Formula::new(format!("=SUM({range})")).set_result(pcn_core::text::pounds_plain(value));
        let format = if bold {
            &self.f.money_bold
        } else {
            &self.f.money
        };
        self.ws
            .write_formula_with_format(row, col, formula, format)?;
        Ok(())
    }

    /// The title row and a note under it (rows 0 and 1).
    pub fn title(&mut self, title: &str, note: &str) -> Result<()> {
        let f = self.f;
        self.styled(0, 0, title, &f.title)?;
        self.text(1, 0, note)
    }
}

/// A valid, unique worksheet name from `wanted`: at most 31 characters, none
/// of `[]:*?/\`, not starting or ending with an apostrophe, unique ignoring
/// case (Excel's rule), and not one of the fixed sheets.
pub fn sheet_name(wanted: &str, used: &mut HashSet<String>) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let cleaned = cleaned.trim_matches('\'');
    let base: String = if cleaned.is_empty() {
        "PCN".to_string()
    } else {
        cleaned.chars().take(31).collect()
    };
    let mut name = base.clone();
    let mut n = 2;
    while used.contains(&name.to_lowercase()) || name.eq_ignore_ascii_case("history") {
        let suffix = format!("~{n}");
        let keep = 31 - suffix.chars().count();
        name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        n += 1;
    }
    used.insert(name.to_lowercase());
    name
}

/// Adds a worksheet in rust_xlsxwriter's standard mode. Measured on a
/// national run (1,300 networks, ~11,700 lines, release build, 2 cores):
/// standard mode 0.5–0.7 s and a 3.4 MB file (the whole test process peaks
/// at ~170 MB), constant-memory mode 0.8 s and 4.9 MB (inline strings and a
/// temporary file per sheet), so standard mode it is.
pub fn new_sheet<'a>(workbook: &'a mut Workbook, name: &str) -> Result<&'a mut Worksheet> {
    let ws = workbook.add_worksheet();
    ws.set_name(name)?;
    Ok(ws)
}
