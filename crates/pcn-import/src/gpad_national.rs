//! GPAD national figures by month: the summary workbook's Table 1 (or that
//! table as a CSV) and a national monthly CSV split by one field.
//!
//! **Table 1** ("Summary of appointments by month, England", sheet `Table 1`
//! of `GP_APPT_Publication_<Month>_<Year>.xlsx`; **verified** against April
//! 2021): months across (newest first; headers such as `Apr-217, 8`, the
//! month followed by footnote numbers, or Excel dates), figures down, each
//! labelled in the column under `Source` and grouped by a section label to
//! its left: coverage (open and included practices, registered patients at
//! each, the two coverage ratios), working weekdays, the total count, NHS
//! Digital's estimated England total, COVID-19 vaccinations removed and
//! given by practices (NIMS) and the estimate including them, then the
//! count by status, by healthcare professional, by mode and by booking
//! interval; the "percent of total" sections after them are not read.
//! Labels carry footnote digits (`Total count of appointments1`,
//! `Unknown6`), which are ignored. `.z` (suppressed) leaves that split out;
//! `-` (not applicable) leaves the figure out. The edition is the month the
//! table's title names ("…, England, April 2021").
//!
//! **Table 1 as CSV** (one row per month): `month` (`2018-11`) and
//! `open_active_practices, practices_included, practice_coverage,
//! patients_at_open_practices, patients_at_included_practices,
//! patient_coverage, working_weekdays, total_appointments,
//! estimated_england_total, covid_vacc_appts_removed,
//! covid_vacc_by_practice_pcn, estimated_england_total_incl_covid_vacc,
//! status_*, hcp_*, mode_*, book_*`, as in the transposition kept in the
//! real data.
//!
//! **National monthly CSV**: `period` (`Nov 2017`), one split column
//! (`time_between_book_and_appt`, `appt_status`, `hcp_type` or
//! `appt_mode`), `count` and `total` (the month's total, the same on each of
//! its rows); other columns (a row number, `prop`) are ignored. A month's
//! counts must add up to its total.
//!
//! Checks: each split adds up to the total; the coverage ratios agree with
//! the counts they are made of; the estimate including vaccinations is the
//! estimate plus them. A CSV without an edition of its own takes it by the
//! rule of `gpad_appointments::edition`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pcn_core::arrs::YearMonth;
use pcn_core::gpad_facts::{
    ApptMode, ApptStatus, BookingInterval, Coverage, GpadEdition, HcpType,
    NationalAppointmentMonth, NationalSeries,
};
use pcn_core::{Decimal, FactBatch, SourceKind};

use crate::ctx::{cell, parse_decimal, Ctx};
use crate::decode::{normalise, Col, Sheet, Table};
use crate::gpad_appointments::{edition, parse_month};

/// One figure of Table 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    OpenPractices,
    IncludedPractices,
    PracticeCoverage,
    PatientsOpen,
    PatientsIncluded,
    PatientCoverage,
    WorkingDays,
    Total,
    Estimate,
    CovidRemoved,
    CovidByPractices,
    EstimateWithCovid,
    Status(ApptStatus),
    Hcp(HcpType),
    Mode(ApptMode),
    Interval(BookingInterval),
}

/// A figure as found, with where it was found.
#[derive(Debug, Clone)]
struct Found {
    raw: String,
    row: u64,
    column: String,
}

type Month = BTreeMap<Field, Found>;

/// Labels of the single figures, as in the workbook (footnotes removed,
/// normalised) and as in the CSV's header.
const SINGLE: [(Field, &str, &str); 12] = [
    (
        Field::OpenPractices,
        "open active practices",
        "open_active_practices",
    ),
    (
        Field::IncludedPractices,
        "count of practices included",
        "practices_included",
    ),
    (
        Field::PracticeCoverage,
        "practice coverage",
        "practice_coverage",
    ),
    (
        Field::PatientsOpen,
        "registered patients at open active practices",
        "patients_at_open_practices",
    ),
    (
        Field::PatientsIncluded,
        "registered patients at included practices",
        "patients_at_included_practices",
    ),
    (
        Field::PatientCoverage,
        "patient coverage",
        "patient_coverage",
    ),
    (
        Field::WorkingDays,
        "number of working weekdays",
        "working_weekdays",
    ),
    (
        Field::Total,
        "total count of appointments",
        "total_appointments",
    ),
    (
        Field::Estimate,
        "estimated england total count of appointments",
        "estimated_england_total",
    ),
    (
        Field::CovidRemoved,
        "covid vaccination appointments removed from gp appointments data return",
        "covid_vacc_appts_removed",
    ),
    (
        Field::CovidByPractices,
        "covid vaccination delivered by practice/pcn",
        "covid_vacc_by_practice_pcn",
    ),
    (
        Field::EstimateWithCovid,
        "estimated england total count of appointment including covid vaccinations",
        "estimated_england_total_incl_covid_vacc",
    ),
];

/// A split's CSV column name for a label: `status_attended`, `book_8_to_14_days`.
fn csv_name(prefix: &str, label: &str) -> String {
    let mut out = String::from(prefix);
    for word in label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push('_');
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// A split's CSV column names: the current one for `label`, then the
/// `older` name when there is one.
fn split_names(prefix: &str, label: &str, older: Option<&str>) -> Vec<String> {
    std::iter::once(csv_name(prefix, label))
        .chain(older.map(String::from))
        .collect()
}

/// Every split field with its CSV column names (current and older labels).
fn split_fields() -> Vec<(Field, Vec<String>)> {
    let statuses = ApptStatus::ALL.iter().map(|s| {
        let older = (*s == ApptStatus::Dna).then_some("status_dna");
        (Field::Status(*s), split_names("status", s.label(), older))
    });
    let hcps = HcpType::ALL
        .iter()
        .map(|h| (Field::Hcp(*h), split_names("hcp", h.label(), None)));
    let modes = ApptMode::ALL.iter().map(|m| {
        let older = (*m == ApptMode::VideoOnline).then_some("mode_video_online");
        (Field::Mode(*m), split_names("mode", m.label(), older))
    });
    let intervals = BookingInterval::ALL.iter().map(|i| {
        let older = (*i == BookingInterval::Unknown).then_some("book_unknown_data_issue");
        (Field::Interval(*i), split_names("book", i.label(), older))
    });
    statuses.chain(hcps).chain(modes).chain(intervals).collect()
}

/// A label without its footnote digits: `Unknown6` → `Unknown`,
/// `Appointment Status3,4` → `Appointment Status`.
fn without_footnotes(label: &str) -> &str {
    label
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == ',' || c.is_whitespace())
        .trim()
}

/// A Table 1 month header: `Apr-217, 8` (month and footnotes), an Excel
/// date serial, or an ISO date.
fn table_month(raw: &str) -> Option<YearMonth> {
    let s = raw.trim();
    if let Some(prefix) = s.get(..6) {
        if prefix.as_bytes().get(3) == Some(&b'-') {
            if let Some(m) = parse_month(prefix) {
                return Some(m);
            }
        }
    }
    if let Some(d) = pcn_core::dates::parse_date(s) {
        return Some(YearMonth::of(d));
    }
    let serial: i64 = s.parse().ok().filter(|n| (20_000..80_000).contains(n))?;
    NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|base| base.checked_add_signed(chrono::Duration::days(serial)))
        .map(YearMonth::of)
}

/// True when a workbook has GPAD's Table 1.
pub(crate) fn detect_workbook(sheets: &[Sheet]) -> Option<SourceKind> {
    find_table1(sheets).map(|_| SourceKind::GpadNationalSummary)
}

fn find_table1(sheets: &[Sheet]) -> Option<&Sheet> {
    sheets.iter().find(|s| {
        normalise(&s.name) == "table 1"
            && s.rows.iter().take(20).any(|(_, cells)| {
                cells
                    .iter()
                    .any(|c| normalise(c).contains("summary of appointments by month"))
            })
    })
}

/// Reads Table 1 of a GPAD summary workbook.
pub(crate) fn read_workbook(ctx: &mut Ctx, sheets: &[Sheet]) -> (FactBatch, Option<NaiveDate>) {
    let Some(sheet) = find_table1(sheets) else {
        ctx.problems.whole_file(
            "no sheet Table 1 with \"Summary of appointments by month\" in its first rows",
        );
        return (FactBatch::default(), None);
    };
    let stated = sheet.rows.iter().take(20).find_map(|(_, cells)| {
        cells.iter().find_map(|c| {
            let n = normalise(c);
            n.contains("summary of appointments by month").then(|| {
                // "…, England, April 2021": the last two words.
                let words: Vec<&str> = c.split_whitespace().collect();
                words
                    .len()
                    .checked_sub(2)
                    .and_then(|i| parse_month(&words[i..].join(" ")))
            })?
        })
    });
    // The header row: `Source` followed by months.
    let Some((header_at, label_col)) = sheet.rows.iter().enumerate().find_map(|(i, (_, cells))| {
        cells
            .iter()
            .position(|c| normalise(c) == "source")
            .filter(|&p| cells.iter().skip(p + 1).any(|c| table_month(c).is_some()))
            .map(|p| (i, p))
    }) else {
        ctx.problems
            .whole_file("sheet Table 1 has no header row with Source followed by the months");
        return (FactBatch::default(), None);
    };
    let (header_row, header_cells) = &sheet.rows[header_at];
    let mut months: Vec<(usize, YearMonth, String)> = Vec::new();
    for (i, c) in header_cells.iter().enumerate().skip(label_col + 1) {
        if c.trim().is_empty() {
            continue;
        }
        match table_month(c) {
            Some(m) => months.push((i, m, format!("{m} (sheet Table 1)"))),
            None => ctx.problems.cell(
                *header_row,
                &format!("column {} (sheet Table 1)", i + 1),
                c,
                "not a month (expected such as Apr-21, or a date)",
            ),
        }
    }
    let mut by_month: BTreeMap<YearMonth, Month> = BTreeMap::new();
    let mut section = String::new();
    let mut unread = Vec::new();
    for (row, cells) in &sheet.rows[header_at + 1..] {
        ctx.tick();
        if let Some(s) = label_col
            .checked_sub(1)
            .and_then(|i| cells.get(i))
            .filter(|s| !s.trim().is_empty())
        {
            section = normalise(without_footnotes(s));
        }
        if section.contains("percent") || section.starts_with("notes") {
            break;
        }
        let label = cells.get(label_col).map_or("", |s| s.as_str());
        if label.trim().is_empty() {
            continue;
        }
        let key = normalise(without_footnotes(label));
        let field = if section.starts_with("appointment status") {
            ApptStatus::parse(&key).map(Field::Status)
        } else if section.starts_with("healthcare professional") {
            HcpType::parse(&key).map(Field::Hcp)
        } else if section.starts_with("appointment mode") {
            ApptMode::parse(&key).map(Field::Mode)
        } else if section.starts_with("time between booking") {
            BookingInterval::parse(&key).map(Field::Interval)
        } else {
            SINGLE
                .iter()
                .find(|(_, l, _)| *l == key)
                .map(|(f, _, _)| *f)
        };
        let Some(field) = field else {
            if matches!(
                section.as_str(),
                s if s.starts_with("appointment status")
                    || s.starts_with("healthcare professional")
                    || s.starts_with("appointment mode")
                    || s.starts_with("time between booking")
            ) {
                ctx.problems.cell(
                    *row,
                    "Source (sheet Table 1)",
                    label,
                    format!("not a known label in the section {section:?}"),
                );
            } else {
                unread.push(label.trim().to_string());
            }
            continue;
        };
        for (i, m, column) in &months {
            let raw = cells.get(*i).map_or("", |s| s.trim());
            by_month.entry(*m).or_default().insert(
                field,
                Found {
                    raw: raw.to_string(),
                    row: *row,
                    column: column.clone(),
                },
            );
        }
    }
    if !unread.is_empty() {
        ctx.notes
            .push(format!("rows not read: {}", unread.join("; ")));
    }
    finish(ctx, by_month, stated, NationalSeries::SummaryTable)
}

/// True when a normalised header is Table 1 as CSV.
pub(crate) fn looks_like_summary_csv(has: &dyn Fn(&str) -> bool) -> bool {
    has("month") && has("total appointments") && has("estimated england total")
}

/// True when a normalised header is a national monthly CSV.
pub(crate) fn looks_like_monthly_csv(has: &dyn Fn(&str) -> bool) -> bool {
    has("period")
        && has("count")
        && has("total")
        && SPLIT_COLUMNS.iter().any(|(c, _)| has(&normalise(c)))
}

/// Reads Table 1 as a CSV (one row per month).
pub(crate) fn read_summary_csv(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let Some(month_col) = table.require(&["month"], &mut ctx.problems) else {
        return (FactBatch::default(), None);
    };
    let mut columns: Vec<(Field, Col)> = Vec::new();
    for (field, _, name) in SINGLE {
        if let Some(c) = table.col(&[name]) {
            columns.push((field, c));
        }
    }
    for (field, names) in split_fields() {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        if let Some(c) = table.col(&names) {
            columns.push((field, c));
        }
    }
    let mut by_month: BTreeMap<YearMonth, Month> = BTreeMap::new();
    ctx.rows(table, |ctx, row, rec| {
        let raw = cell(rec, &month_col);
        let Some(m) = csv_month(ctx, row, &month_col, raw, "2019-04") else {
            return true;
        };
        if by_month.contains_key(&m) {
            ctx.problems
                .cell(row, &month_col.name, raw, "this month is listed twice");
            return true;
        }
        let month = by_month.entry(m).or_default();
        for (field, col) in &columns {
            month.insert(
                *field,
                Found {
                    raw: cell(rec, col).to_string(),
                    row,
                    column: col.name.clone(),
                },
            );
        }
        true
    });
    finish(ctx, by_month, None, NationalSeries::SummaryTable)
}

/// The month a national CSV's row is for, written like `example`; else a
/// problem on its cell.
fn csv_month(ctx: &mut Ctx, row: u64, col: &Col, raw: &str, example: &str) -> Option<YearMonth> {
    let expected = format!("not a month (expected such as {example})");
    ctx.known(row, col, raw, parse_month(raw), &expected)
}

/// The split columns of a national monthly CSV.
const SPLIT_COLUMNS: [(&str, &str); 4] = [
    ("time_between_book_and_appt", "booking interval"),
    ("appt_status", "status"),
    ("hcp_type", "HCP type"),
    ("appt_mode", "mode"),
];

/// Reads a national monthly CSV split by one field.
pub(crate) fn read_monthly_csv(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let Some([period_col, count_col, total_col]) =
        table.require_all([&["period"], &["count"], &["total"]], &mut ctx.problems)
    else {
        return (FactBatch::default(), None);
    };
    let Some((split, what, split_col)) = SPLIT_COLUMNS
        .iter()
        .find_map(|(name, what)| table.col(&[name]).map(|c| (*name, *what, c)))
    else {
        return (FactBatch::default(), None);
    };
    let field_of = |raw: &str| -> Option<Field> {
        match split {
            "time_between_book_and_appt" => BookingInterval::parse(raw).map(Field::Interval),
            "appt_status" => ApptStatus::parse(raw).map(Field::Status),
            "hcp_type" => HcpType::parse(raw).map(Field::Hcp),
            _ => ApptMode::parse(raw).map(Field::Mode),
        }
    };
    let mut by_month: BTreeMap<YearMonth, Month> = BTreeMap::new();
    ctx.rows(table, |ctx, row, rec| {
        let raw = cell(rec, &period_col);
        let Some(m) = csv_month(ctx, row, &period_col, raw, "Nov 2017") else {
            return true;
        };
        let label = cell(rec, &split_col);
        let Some(field) = field_of(label) else {
            ctx.problems.cell(
                row,
                &split_col.name,
                label,
                format!("not a known {split} value"),
            );
            return true;
        };
        let count = ctx.count(row, &count_col, cell(rec, &count_col));
        let total = ctx.count(row, &total_col, cell(rec, &total_col));
        let (Some(count), Some(total)) = (count, total) else {
            return true;
        };
        let month = by_month.entry(m).or_default();
        let found = |raw: String, column: &str| Found {
            raw,
            row,
            column: column.to_string(),
        };
        match month.get(&Field::Total) {
            Some(t) if t.raw != total.to_string() => ctx.problems.cell(
                row,
                &total_col.name,
                cell(rec, &total_col),
                format!("the month's total is {} on row {}", t.raw, t.row),
            ),
            Some(_) => {}
            None => {
                month.insert(Field::Total, found(total.to_string(), &total_col.name));
            }
        }
        if let Some(earlier) = month.get(&field) {
            ctx.problems.cell(
                row,
                &split_col.name,
                label,
                format!("this month has this {what} on row {} already", earlier.row),
            );
            return true;
        }
        month.insert(field, found(count.to_string(), &count_col.name));
        true
    });
    finish(ctx, by_month, None, NationalSeries::MonthlyCsv)
}

/// A whole number, or `None` for a blank, `-` or `.z`; `Err` (recorded) for
/// anything else.
fn number(ctx: &mut Ctx, f: Option<&Found>) -> Result<Option<u64>, ()> {
    let Some(f) = f else { return Ok(None) };
    match f.raw.as_str() {
        "" | "-" | ".z" => Ok(None),
        raw => match raw.parse::<u64>() {
            Ok(n) if raw.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => {
                ctx.problems
                    .cell(f.row, &f.column, raw, "not a whole number of 0 or more");
                Err(())
            }
        },
    }
}

/// Builds and checks the months.
fn finish(
    ctx: &mut Ctx,
    by_month: BTreeMap<YearMonth, Month>,
    stated: Option<YearMonth>,
    series: NationalSeries,
) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let Some(newest) = by_month.keys().next_back().copied() else {
        if ctx.problems.is_empty() {
            ctx.problems.whole_file("the file has no months");
        }
        return (batch, None);
    };
    let Some(edition) = edition(ctx, newest, stated) else {
        return (batch, None);
    };
    for (month, figures) in &by_month {
        if let Some(m) = build_month(ctx, *month, edition, series, figures) {
            batch.national_appointments.push(m);
        }
    }
    ctx.notes.push(format!(
        "{} months, {} to {newest}",
        by_month.len(),
        by_month.keys().next().copied().unwrap_or(newest)
    ));
    (batch, Some(edition.month.first_day()))
}

fn build_month(
    ctx: &mut Ctx,
    month: YearMonth,
    edition: GpadEdition,
    series: NationalSeries,
    figures: &Month,
) -> Option<NationalAppointmentMonth> {
    let mut bad = false;
    let mut get = |ctx: &mut Ctx, f: Field| -> Option<u64> {
        number(ctx, figures.get(&f)).unwrap_or_else(|()| {
            bad = true;
            None
        })
    };
    let total = get(ctx, Field::Total);
    let open = get(ctx, Field::OpenPractices);
    let included = get(ctx, Field::IncludedPractices);
    let patients_open = get(ctx, Field::PatientsOpen);
    let patients_included = get(ctx, Field::PatientsIncluded);
    let working_days = get(ctx, Field::WorkingDays);
    let estimate = get(ctx, Field::Estimate);
    let covid_removed = get(ctx, Field::CovidRemoved);
    let covid_by_practices = get(ctx, Field::CovidByPractices);
    let estimate_with_covid = get(ctx, Field::EstimateWithCovid);
    macro_rules! split {
        ($variant:path, $ty:ty) => {{
            let mut values: Vec<($ty, u64)> = Vec::new();
            let mut suppressed = false;
            let mut any = false;
            for v in <$ty>::ALL {
                let found = figures.get(&$variant(*v));
                if found.is_some_and(|f| f.raw == ".z") {
                    suppressed = true;
                }
                if let Some(n) = get(ctx, $variant(*v)) {
                    any = true;
                    values.push((*v, n));
                }
            }
            (any && !suppressed).then_some(values)
        }};
    }
    let by_status = split!(Field::Status, ApptStatus);
    let by_hcp = split!(Field::Hcp, HcpType);
    let by_mode = split!(Field::Mode, ApptMode);
    let by_interval = split!(Field::Interval, BookingInterval);
    if bad {
        return None;
    }
    let Some(total) = total else {
        let (row, column) = figures
            .values()
            .next()
            .map_or((0, String::new()), |f| (f.row, f.column.clone()));
        ctx.problems.cell(
            row,
            &column,
            "",
            format!("{month} has no total count of appointments"),
        );
        return None;
    };
    // Each split adds up to the total.
    let mut check_split = |ctx: &mut Ctx, name: &str, first: Field, sum: Option<u64>| {
        if let Some(sum) = sum.filter(|s| *s != total) {
            let (row, column) = figures
                .get(&first)
                .map_or((0, String::new()), |f| (f.row, f.column.clone()));
            ctx.problems.cell(
                row,
                &column,
                &sum.to_string(),
                format!("the counts by {name} add up to {sum}, not to the month's total {total}"),
            );
            bad = true;
        }
    };
    fn sum<T>(v: &Option<Vec<(T, u64)>>) -> Option<u64> {
        v.as_ref().map(|v| v.iter().map(|(_, n)| n).sum())
    }
    check_split(
        ctx,
        "status",
        Field::Status(ApptStatus::Attended),
        sum(&by_status),
    );
    check_split(ctx, "HCP type", Field::Hcp(HcpType::Gp), sum(&by_hcp));
    check_split(
        ctx,
        "mode",
        Field::Mode(ApptMode::FaceToFace),
        sum(&by_mode),
    );
    check_split(
        ctx,
        "booking interval",
        Field::Interval(BookingInterval::SameDay),
        sum(&by_interval),
    );
    // Ratios agree with their counts; the estimate with vaccinations is the
    // estimate plus them.
    let ratios = ratios_agree(
        ctx,
        figures,
        [
            (Field::PracticeCoverage, included, open),
            (Field::PatientCoverage, patients_included, patients_open),
        ],
    );
    let estimate_ok = estimate_adds_up(
        ctx,
        figures,
        estimate,
        covid_by_practices,
        estimate_with_covid,
    );
    bad |= !ratios || !estimate_ok;
    if bad {
        return None;
    }
    let coverage = match (open, included, patients_open, patients_included) {
        (Some(o), Some(i), Some(po), Some(pi)) => Some(Coverage {
            open_practices: u32::try_from(o).unwrap_or(u32::MAX),
            included_practices: u32::try_from(i).unwrap_or(u32::MAX),
            patients_at_open_practices: po,
            patients_at_included_practices: pi,
        }),
        _ => None,
    };
    Some(NationalAppointmentMonth {
        month,
        edition,
        series,
        recorded: total,
        coverage,
        estimated_england_total: estimate,
        working_days: working_days.and_then(|d| u32::try_from(d).ok()),
        covid_vaccinations_removed: covid_removed,
        covid_vaccinations_by_practices: covid_by_practices,
        by_status,
        by_hcp,
        by_mode,
        by_interval,
    })
}

/// Whether each coverage ratio given agrees with the counts it is made of
/// (to 1e-9); a problem is recorded for each that does not.
fn ratios_agree(
    ctx: &mut Ctx,
    figures: &Month,
    ratios: [(Field, Option<u64>, Option<u64>); 2],
) -> bool {
    let mut agrees_all = true;
    for (ratio, num, den) in ratios {
        let Some(f) = figures
            .get(&ratio)
            .filter(|f| !f.raw.is_empty() && f.raw != "-")
        else {
            continue;
        };
        let given = parse_decimal(&f.raw);
        let computed = num
            .zip(den)
            .filter(|(_, d)| *d > 0)
            .map(|(n, d)| Decimal::from(n) / Decimal::from(d));
        let agrees = match (given, computed) {
            (Some(g), Some(c)) => (g - c).abs() < Decimal::new(1, 9),
            _ => false,
        };
        if !agrees {
            ctx.problems.cell(
                f.row,
                &f.column,
                &f.raw,
                "the coverage ratio does not agree with the counts it is made of",
            );
            agrees_all = false;
        }
    }
    agrees_all
}

/// Whether the estimate including COVID-19 vaccinations is the estimate
/// plus the vaccinations by practices (a problem is recorded when not).
fn estimate_adds_up(
    ctx: &mut Ctx,
    figures: &Month,
    estimate: Option<u64>,
    covid_by_practices: Option<u64>,
    estimate_with_covid: Option<u64>,
) -> bool {
    if let (Some(e), Some(c), Some(ec)) = (estimate, covid_by_practices, estimate_with_covid) {
        if e + c != ec {
            let f = figures.get(&Field::EstimateWithCovid);
            ctx.problems.cell(
                f.map_or(0, |f| f.row),
                &f.map_or(String::new(), |f| f.column.clone()),
                &ec.to_string(),
                format!("is not the estimate {e} plus the vaccinations {c}"),
            );
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footnotes_and_month_headers() {
        assert_eq!(
            without_footnotes("Total count of appointments1"),
            "Total count of appointments"
        );
        assert_eq!(without_footnotes("Unknown6"), "Unknown");
        assert_eq!(
            without_footnotes("Appointment Status3,4"),
            "Appointment Status"
        );
        assert_eq!(without_footnotes("8  to 14 Days"), "8  to 14 Days");
        assert_eq!(
            without_footnotes(
                "Covid Vaccination appointments removed from GP Appointments Data return  8"
            ),
            "Covid Vaccination appointments removed from GP Appointments Data return"
        );
        let ym = |y, m| YearMonth::new(y, m);
        assert_eq!(table_month("Apr-217, 8"), ym(2021, 4));
        assert_eq!(table_month("Nov-207"), ym(2020, 11));
        assert_eq!(table_month("43862"), ym(2020, 2));
        assert_eq!(table_month("2020-02-01"), ym(2020, 2));
        assert_eq!(table_month("Source"), None);
        assert_eq!(csv_name("book", "8  to 14 Days"), "book_8_to_14_days");
        assert_eq!(
            csv_name("hcp", "Other Practice staff"),
            "hcp_other_practice_staff"
        );
        assert_eq!(csv_name("mode", "Face-to-Face"), "mode_face_to_face");
    }
}
