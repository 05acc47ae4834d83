//! Appointments against the 2019 pledge as files: the monthly trend (with
//! a network's ARRS staff beside it) and the pledge year by year, as CSV
//! and as one XLSX workbook with a sheet each and a sheet of the change by
//! staff group. Counts are whole numbers, rates exact decimals as text in
//! CSV and numbers in the workbook; a figure the data does not give is an
//! empty cell, never a zero.

use pcn_core::appointments::{Pledge, PledgeYear, StaffChange, TrendRow};
use pcn_core::gpad_facts::HcpType;
use rust_xlsxwriter::Workbook;

use crate::csv::CsvOut;
use crate::xlsx::{Formats, Sheet};
use crate::Result;

/// The trend's columns.
pub const TREND_COLUMNS: [&str; 8] = [
    "month",
    "appointments",
    "same_month_2019",
    "change_on_2019",
    "per_1000_patients",
    "other_practice_staff",
    "roster_arrs_wte",
    "census_arrs_fte",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One month of the trend as text cells.
pub fn trend_row(r: &TrendRow) -> [String; 8] {
    [
        r.month.to_string(),
        opt(r.appointments),
        opt(r.same_month_2019),
        opt(r.change_on_2019),
        opt(r.per_thousand),
        opt(r.other_practice_staff),
        opt(r.roster_arrs_wte),
        opt(r.census_arrs_fte),
    ]
}

/// The pledge's columns.
pub const PLEDGE_COLUMNS: [&str; 17] = [
    "year",
    "months",
    "recorded",
    "per_1000_patients",
    "change_on_baseline",
    "change_percent",
    "target",
    "gap_to_target",
    "estimated_england_total",
    "estimated_change",
    "estimated_gap",
    "patient_coverage_min",
    "patient_coverage_max",
    "gp",
    "other_practice_staff",
    "unknown_staff",
    "editions",
];

/// One year of the pledge (the baseline first) as text cells.
pub fn pledge_row(p: &Pledge, y: &PledgeYear) -> [String; 17] {
    let staff = |h: HcpType| opt(y.by_hcp.map(|s| s[h.index()]));
    let unknown = y
        .by_hcp
        .map(|s| s[HcpType::Unknown.index()] + s[HcpType::NotProvided.index()]);
    [
        y.label.clone(),
        y.months.to_string(),
        y.recorded.to_string(),
        opt(y.per_thousand),
        opt(y.change),
        opt(y.change_percent),
        p.target.to_string(),
        opt(y.gap),
        opt(y.estimated_england_total),
        opt(y.estimated_change),
        opt(y.estimated_gap),
        opt(y.patient_coverage.map(|c| c.0)),
        opt(y.patient_coverage.map(|c| c.1)),
        staff(HcpType::Gp),
        staff(HcpType::OtherPracticeStaff),
        opt(unknown),
        y.editions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    ]
}

/// The baseline and every later year.
pub fn pledge_years(p: &Pledge) -> impl Iterator<Item = &PledgeYear> {
    p.baseline.iter().chain(&p.years)
}

/// The staff columns.
pub const STAFF_COLUMNS: [&str; 7] = [
    "year",
    "months",
    "staff",
    "baseline",
    "year_count",
    "change",
    "share_of_change_percent",
];

/// One staff group's change as text cells.
pub fn staff_row(s: &StaffChange) -> [String; 7] {
    [
        s.label.clone(),
        s.months.to_string(),
        s.hcp.label().to_string(),
        s.baseline.to_string(),
        s.year.to_string(),
        s.change.to_string(),
        opt(s.share_of_change_percent),
    ]
}

/// The trend as CSV.
pub fn trend_csv(rows: &[TrendRow]) -> Result<String> {
    let mut out = CsvOut::new();
    out.row(TREND_COLUMNS)?;
    for r in rows {
        out.row(trend_row(r))?;
    }
    out.finish()
}

/// The pledge as CSV: one row a year, the baseline first.
pub fn pledge_csv(p: &Pledge) -> Result<String> {
    let mut out = CsvOut::new();
    out.row(PLEDGE_COLUMNS)?;
    for y in pledge_years(p) {
        out.row(pledge_row(p, y))?;
    }
    out.finish()
}

/// Writes text cells, as numbers where they are numbers (for reading only:
/// the exact figures are the CSV's).
fn cells(sheet: &mut Sheet, row: u32, values: &[String], text_columns: &[usize]) -> Result<()> {
    for (c, v) in values.iter().enumerate() {
        if text_columns.contains(&c) || v.is_empty() {
            sheet.text(row, c as u16, v)?;
        } else {
            sheet.figure(row, c as u16, v, false)?;
        }
    }
    Ok(())
}

/// The trend, the pledge and the change by staff as one workbook. `title`
/// names the area.
pub fn appointments_xlsx(title: &str, trend: &[TrendRow], pledge: &Pledge) -> Result<Vec<u8>> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    {
        let mut sheet = Sheet::add(&mut workbook, &formats, "Pledge")?;
        sheet.title(
            &format!("Appointments against the 2019 pledge: {title}"),
            &pledge.notes.join(" "),
        )?;
        sheet.header(3, &PLEDGE_COLUMNS)?;
        for (i, y) in pledge_years(pledge).enumerate() {
            cells(&mut sheet, 4 + i as u32, &pledge_row(pledge, y), &[0, 16])?;
        }
        sheet.ws.autofit();
    }
    {
        let mut sheet = Sheet::add(&mut workbook, &formats, "Trend")?;
        sheet.header(0, &TREND_COLUMNS)?;
        for (i, r) in trend.iter().enumerate() {
            cells(&mut sheet, 1 + i as u32, &trend_row(r), &[0])?;
        }
        sheet.ws.autofit();
    }
    {
        let mut sheet = Sheet::add(&mut workbook, &formats, "Staff")?;
        sheet.header(0, &STAFF_COLUMNS)?;
        for (i, s) in pledge.staff.iter().enumerate() {
            cells(&mut sheet, 1 + i as u32, &staff_row(s), &[0, 2])?;
        }
        sheet.ws.autofit();
    }
    Ok(workbook.save_to_buffer()?)
}
