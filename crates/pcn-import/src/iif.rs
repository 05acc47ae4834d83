//! The Investment and Impact Fund: NHS England Digital's published IIF
//! indicators ([`SourceKind::IifIndicators`](pcn_core::SourceKind)) and
//! pcn's own CSV of points achieved ([`SourceKind::IifPoints`](pcn_core::SourceKind)).
//!
//! ## IIF indicators (published)
//!
//! "Network Contract DES (MI) – IIF", such as
//! `IIF_indicators_annual_pub_2023_24.csv`. Header (**verified** against the
//! real 2023-24 annual file): `ORGANISATION_TYPE, ORGANISATION_CODE,
//! ORGANISATION_NAME, QUALITY_SERVICE, ACH_DATE, IND_CODE, MEASURE, VALUE`.
//! Each row becomes an [`IifAchievementFact`]: the organisation (type `GP
//! practice` → a practice code, `PCN` → a network code, as published in
//! 2023-24; `Practice` is accepted too), the indicator, the measure as
//! published (`ACC-08 Numerator` …), the exact value, and the achievement
//! date (`31/03/2024`) with its financial year (`2023-24`). Rows of other
//! organisation types are skipped and counted; a blank or `*` (suppressed)
//! value is skipped and counted. The same organisation, indicator, measure
//! and date twice is a problem. The file has raw measures only, not points
//! or money. The data date is the latest achievement date.
//!
//! ## IIF points (pcn's own)
//!
//! Points are what a commissioner declares in CQRS; record them with a CSV:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `pcn_code` | yes | the network, such as `U89141` |
//! | `financial_year` | yes | `2024-25` |
//! | `points` | yes | points achieved, an exact decimal of 0 or more (`123.45`) |
//! | `recorded` | no | the date the points were recorded; blank or absent: `--as-at`, else today |
//! | `indicator` | no | the indicator the points are for (`HI-03`); blank: the network's total |
//! | `pcn_prevalence`, `national_prevalence` | no | for a prevalence-adjusted indicator, both (decimals above zero, e.g. `0.0061`); the payment is multiplied by their ratio |
//!
//! A network, year and indicator twice in one file is a problem; a later import
//! for the same network, year and indicator supersedes (the latest `recorded`
//! wins). Column names are case-insensitive and `_` and space are alike; any
//! other column is refused.
//!
//! ```csv
//! pcn_code,financial_year,indicator,points,pcn_prevalence,national_prevalence
//! U89141,2024-25,HI-03,30,0.0061,0.0055
//! U89141,2024-25,CAN-04,20,,
//! U07032,2024-25,,98,,
//! ```

use std::collections::HashMap;

use chrono::NaiveDate;
use pcn_core::rulebook::FinancialYear;
use pcn_core::Decimal;
use pcn_core::{
    FactBatch, IifAchievementFact, IifOrganisation, IifPointsFact, PcnCode, PracticeCode,
};

use crate::ctx::{cell, latest, Ctx};
use crate::decode::{normalise, Table};

/// True when a normalised header is the published indicators file's.
pub(crate) fn looks_like_indicators(has: &dyn Fn(&str) -> bool) -> bool {
    has("organisation type") && has("organisation code") && has("ind code") && has("value")
}

/// True when a normalised header is pcn's points CSV's.
pub(crate) fn looks_like_points(has: &dyn Fn(&str) -> bool) -> bool {
    has("pcn code") && has("financial year") && has("points")
}

pub(crate) fn read_indicators(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let Some([type_col, code_col, date_col, ind_col, measure_col, value_col]) = table.require_all(
        [
            &["ORGANISATION_TYPE"],
            &["ORGANISATION_CODE"],
            &["ACH_DATE", "ACHIEVEMENT_DATE"],
            &["IND_CODE", "INDICATOR_CODE"],
            &["MEASURE"],
            &["VALUE"],
        ],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    let mut file_date = None;
    let mut other_types: HashMap<String, u64> = HashMap::new();
    let mut suppressed = 0u64;
    let mut seen: HashMap<(IifOrganisation, String, String, NaiveDate), u64> = HashMap::new();
    ctx.rows(table, |ctx, row, rec| {
        let org_type = cell(rec, &type_col);
        let raw_code = cell(rec, &code_col);
        let organisation = match normalise(org_type).as_str() {
            "gp practice" | "practice" => ctx
                .code(row, &code_col, raw_code, PracticeCode::parse)
                .map(IifOrganisation::Practice),
            "pcn" => match ctx.code(row, &code_col, raw_code, PcnCode::parse) {
                Some(code) if code.is_unallocated() => {
                    ctx.problems.cell(
                        row,
                        &code_col.name,
                        raw_code,
                        "U (Unallocated) is not a network",
                    );
                    None
                }
                code => code.map(IifOrganisation::Pcn),
            },
            "" => {
                ctx.problems.cell(
                    row,
                    &type_col.name,
                    org_type,
                    "an organisation type is required here",
                );
                None
            }
            _ => {
                *other_types.entry(org_type.to_string()).or_default() += 1;
                ctx.skip();
                return true;
            }
        };
        let date = ctx.date(row, &date_col, cell(rec, &date_col));
        let indicator = cell(rec, &ind_col);
        let measure = cell(rec, &measure_col);
        if indicator.is_empty() {
            ctx.problems.cell(
                row,
                &ind_col.name,
                indicator,
                "an indicator code is required here",
            );
        }
        if measure.is_empty() {
            ctx.problems.cell(
                row,
                &measure_col.name,
                measure,
                "a measure is required here",
            );
        }
        let raw_value = cell(rec, &value_col);
        if raw_value.is_empty() || raw_value == "*" {
            suppressed = suppressed.saturating_add(1);
            ctx.skip();
            return true;
        }
        let value = ctx.decimal(row, &value_col, raw_value, true);
        let (Some(organisation), Some(date), Some(value), false, false) = (
            organisation,
            date,
            value,
            indicator.is_empty(),
            measure.is_empty(),
        ) else {
            return true;
        };
        let key = (
            organisation,
            indicator.to_string(),
            measure.to_string(),
            date,
        );
        if let Some(first) = seen.get(&key) {
            ctx.problems.cell(
                row,
                &measure_col.name,
                measure,
                format!(
                    "{} {indicator} {measure} as at {date} is already given (row {first})",
                    key.0.code()
                ),
            );
            return true;
        }
        seen.insert(key.clone(), row);
        latest(&mut file_date, Some(date));
        batch.iif_achievements.push(IifAchievementFact {
            organisation: key.0,
            financial_year: FinancialYear::containing(date).to_string(),
            indicator: key.1,
            measure: key.2,
            value,
            achievement_date: date,
        });
        true
    });
    let mut others: Vec<_> = other_types.into_iter().collect();
    others.sort();
    for (kind, n) in others {
        ctx.notes
            .push(format!("{n} rows for organisation type {kind:?} skipped"));
    }
    ctx.note_count(
        suppressed,
        "rows with a blank or suppressed (*) value skipped",
    );
    (batch, file_date)
}

const POINTS_COLUMNS: [&str; 7] = [
    "pcn_code",
    "financial_year",
    "points",
    "recorded",
    "indicator",
    "pcn_prevalence",
    "national_prevalence",
];

/// Every column of pcn's IIF points CSV must be one it knows.
fn check_points_header(ctx: &mut Ctx, table: &Table) {
    for (name, norm) in table.header.iter().zip(table.normalised()) {
        if !POINTS_COLUMNS.iter().any(|c| normalise(c) == *norm) {
            ctx.problems.cell(
                1,
                name,
                name,
                format!(
                    "not an IIF points column; use {}",
                    POINTS_COLUMNS.join(", ")
                ),
            );
        }
    }
}

/// A row's PCN and national prevalences: both (each above zero) or neither.
fn row_prevalences(
    ctx: &mut Ctx,
    row: u64,
    rec: &csv::StringRecord,
    pcn_col: &Option<crate::decode::Col>,
    national_col: &Option<crate::decode::Col>,
) -> Result<(Option<Decimal>, Option<Decimal>), ()> {
    let mut prevalence = |col: &Option<crate::decode::Col>| -> Result<Option<Decimal>, ()> {
        let Some(c) = col else { return Ok(None) };
        let raw = cell(rec, c);
        if raw.trim().is_empty() {
            return Ok(None);
        }
        match ctx.decimal(row, c, raw, false) {
            Some(v) if v > Decimal::ZERO => Ok(Some(v)),
            Some(_) => {
                ctx.problems
                    .cell(row, &c.name, raw, "a prevalence must be above zero");
                Err(())
            }
            None => Err(()),
        }
    };
    let (Ok(pcn), Ok(national)) = (prevalence(pcn_col), prevalence(national_col)) else {
        return Err(());
    };
    if pcn.is_some() != national.is_some() {
        let c = pcn_col.as_ref().or(national_col.as_ref());
        ctx.problems.cell(
            row,
            c.map_or("pcn_prevalence", |c| c.name.as_str()),
            "",
            "give both pcn_prevalence and national_prevalence, or neither",
        );
        return Err(());
    }
    Ok((pcn, national))
}

pub(crate) fn read_points(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    check_points_header(ctx, table);
    let Some([pcn_col, year_col, points_col]) = table.require_all(
        [&["pcn_code"], &["financial_year"], &["points"]],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    let recorded_col = table.col(&["recorded"]);
    let indicator_col = table.col(&["indicator"]);
    let pcn_prevalence_col = table.col(&["pcn_prevalence"]);
    let national_prevalence_col = table.col(&["national_prevalence"]);
    if !ctx.problems.is_empty() {
        return (batch, None);
    }
    let default_date = ctx.default_date();
    let mut defaulted = false;
    let mut file_date = None;
    let mut seen: HashMap<(PcnCode, String, String), u64> = HashMap::new();
    ctx.rows(table, |ctx, row, rec| {
        let pcn = ctx.network(row, &pcn_col, cell(rec, &pcn_col));
        let raw_year = cell(rec, &year_col);
        let year = match raw_year.parse::<FinancialYear>() {
            Ok(y) => Some(y.to_string()),
            Err(_) => {
                ctx.problems.cell(
                    row,
                    &year_col.name,
                    raw_year,
                    "not a financial year (such as 2024-25)",
                );
                None
            }
        };
        let points = ctx.decimal(row, &points_col, cell(rec, &points_col), false);
        let recorded = ctx.date_or_default(row, recorded_col.as_ref(), rec, &mut defaulted);
        let indicator = indicator_col
            .as_ref()
            .map(|c| cell(rec, c).trim().to_string())
            .filter(|i| !i.is_empty());
        // A prevalence-adjusted indicator gives both prevalences, each above zero.
        let Ok((pcn_prevalence, national_prevalence)) =
            row_prevalences(ctx, row, rec, &pcn_prevalence_col, &national_prevalence_col)
        else {
            return true;
        };
        let (Some(pcn), Some(year), Some(points), Some(recorded)) = (pcn, year, points, recorded)
        else {
            return true;
        };
        let key = (
            pcn.clone(),
            year.clone(),
            indicator.clone().unwrap_or_default(),
        );
        if let Some(first) = seen.insert(key, row) {
            let what = indicator
                .as_deref()
                .map(|i| format!(" for {i}"))
                .unwrap_or_default();
            ctx.problems.cell(
                row,
                &pcn_col.name,
                pcn.as_str(),
                format!("{pcn} already has points{what} for {year} (row {first})"),
            );
            return true;
        }
        latest(&mut file_date, Some(recorded));
        batch.iif_points.push(IifPointsFact {
            pcn,
            financial_year: year,
            points,
            recorded,
            indicator,
            pcn_prevalence,
            national_prevalence,
        });
        true
    });
    if defaulted {
        ctx.note_defaulted("points without a recorded date are recorded on");
    }
    (batch, file_date.or(Some(default_date)))
}
