//! NHS Payments to General Practice, practice-level CSV (NHS England
//! Digital; one file a financial year, such as
//! `nhspaymentsgp-22-23-prac-csv.csv`)
//! ([`SourceKind::NhsPaymentsPractice`](pcn_core::SourceKind)).
//!
//! UTF-8 with a BOM, one row per practice, money in pounds. pcn takes:
//!
//! - a contractor weighted population ([`PopulationFact`], `Weighted`) per
//!   practice from `Number of Weighted Patients (Last Known Figure)` (named
//!   `Average Number of Weighted Patients` in 2018-19 and in recent years).
//!   Rows with a blank figure give none and are counted in a note. Registered
//!   lists are **not** taken from here: they come from the registration files.
//! - the PCN payments actually made to the practice ([`PaymentActualFact`],
//!   exact pence) from the columns `PCN Leadership`, `PCN Support`, `PCN
//!   Extended Hours Access`, `PCN Workforce`, `PCN Investment and impact
//!   Fund`, `PCN Care Home Premium`, `PCN Enhanced Access` and `PCN
//!   Participation`, each with the network in the file's PCN code column.
//!   Blank and zero amounts give no fact (no fact means nothing was paid).
//!   Amounts with more than two decimal places are rounded to the penny,
//!   half away from zero, and counted in a note.
//!
//! Columns are found by name; `_£` or ` (£)` after a stream's name is
//! accepted. The practice is `Practice Code`; the network `PCN Code`
//! (blank: no network). Columns 3–6 were CCG-era (`CCG Code`, `CCG Name`)
//! and are sub-ICB-era now; pcn does not need them.
//!
//! **Financial year and date.** The year is read from the file name
//! (`22-23` or `2022-23` → 2022-23), else from `--as-at` (the year
//! containing it). The weighted figure is the "last known figure" of that
//! year: it is dated `--as-at` when given, else 1 January of the year (for
//! 2022-23, 2023-01-01), which a note says. With neither a year in the name
//! nor `--as-at`, the file is refused, asking for `--as-at`.
//!
//! **Verification.** The column list of the 2022-23 file is from the
//! project's format notes (`formats.md`). `Number of Weighted Patients (Last
//! Known Figure)` and `Number of Registered Patients (Last Known Figure)`
//! were seen in published analysis code reading the 2017-18 file, and
//! `Average Number of Weighted/Registered Patients` in code reading the
//! 2018-19 and a recent (2024-25) file, with `Practice Code`. The names of
//! the eight PCN stream columns and of `PCN Code` are from the format notes
//! only: **not verified** against a real file, and the names of columns 3–6
//! in the sub-ICB era are **assumed** (`Sub ICB Location Code` …).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use pcn_core::rulebook::FinancialYear;
use pcn_core::{
    FactBatch, PaymentActualFact, PcnCode, PopulationFact, PopulationKind, PopulationSubject,
    PracticeCode,
};

use crate::ctx::{cell, Ctx};
use crate::decode::{Col, Table};

/// The weighted-population column across the years.
pub(crate) const WEIGHTED: [&str; 3] = [
    "Number of Weighted Patients (Last Known Figure)",
    "Average Number of Weighted Patients",
    "NumberOfWeightedPatientsLastKnownFigure",
];

/// The PCN streams, as the 2022-23 file names its columns.
pub const PCN_STREAMS: [&str; 8] = [
    "PCN Leadership",
    "PCN Support",
    "PCN Extended Hours Access",
    "PCN Workforce",
    "PCN Investment and impact Fund",
    "PCN Care Home Premium",
    "PCN Enhanced Access",
    "PCN Participation",
];

/// The financial year a file name names: `22-23`, `2022-23` or `2022_23`
/// (the second year must follow the first).
pub(crate) fn year_in_name(path: &str) -> Option<FinancialYear> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let runs: Vec<&str> = name
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .collect();
    runs.windows(2).find_map(|pair| {
        let [a, b] = pair else { return None };
        if b.len() != 2 || !(a.len() == 2 || a.len() == 4) {
            return None;
        }
        let start: i32 = a.parse().ok()?;
        let start = if a.len() == 2 { 2000 + start } else { start };
        let end: i32 = b.parse().ok()?;
        ((1990..=2100).contains(&start) && (start + 1) % 100 == end)
            .then(|| FinancialYear::starting(start))
    })
}

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let year = year_in_name(ctx.file).or(ctx.opts.as_at.map(FinancialYear::containing));
    let Some(year) = year else {
        ctx.problems.whole_file(
            "the file name does not name a financial year (such as 22-23) and no --as-at was \
             given; give the date the weighted populations are as at with --as-at",
        );
        return (batch, None);
    };
    let as_at = match ctx.opts.as_at {
        Some(d) => {
            ctx.notes.push(format!(
                "financial year {year}; weighted populations dated {d} (--as-at)"
            ));
            d
        }
        None => {
            let d = NaiveDate::from_ymd_opt(year.start().year() + 1, 1, 1).unwrap_or(year.end());
            ctx.notes.push(format!(
                "financial year {year} from the file name; its weighted populations are the \
                 year's last known figures, dated {d} (give --as-at to date them otherwise)"
            ));
            d
        }
    };
    let p = &mut ctx.problems;
    let (Some(practice_col), Some(weighted_col)) = (
        table.require(&["Practice Code"], p),
        table.require(&WEIGHTED, p),
    ) else {
        return (batch, None);
    };
    let pcn_col = table.col(&["PCN Code", "PCN_CODE"]);
    let streams: Vec<(Col, &str)> = PCN_STREAMS
        .iter()
        .filter_map(|name| {
            table
                .col(&[name, &format!("{name}_£"), &format!("{name} (£)")])
                .map(|c| (c, *name))
        })
        .collect();
    if streams.is_empty() {
        ctx.notes
            .push("the file has no PCN payment columns; only weighted populations read".into());
    }
    let fy = year.to_string();
    let mut seen: HashMap<PracticeCode, u64> = HashMap::new();
    let mut blank_weighted = 0u64;
    let mut rounded = 0u64;
    table.for_each(|row, rec| {
        ctx.tick();
        if !table.check_width(row, rec, &mut ctx.problems) {
            return true;
        }
        let practice = ctx.code(
            row,
            &practice_col,
            cell(rec, &practice_col),
            PracticeCode::parse,
        );
        let pcn = ctx
            .opt_code(row, pcn_col.as_ref(), rec, PcnCode::parse)
            .filter(|p| !p.is_unallocated());
        let raw_weighted = cell(rec, &weighted_col);
        let weighted = if raw_weighted.is_empty() {
            blank_weighted = blank_weighted.saturating_add(1);
            None
        } else {
            ctx.decimal(row, &weighted_col, raw_weighted, false)
        };
        let mut amounts = Vec::new();
        for (col, stream) in &streams {
            let raw = cell(rec, col);
            if raw.is_empty() {
                continue;
            }
            let Some(pounds) = ctx.decimal(row, col, raw, true) else {
                continue;
            };
            if pounds.scale() > 2 && pounds.round_dp(2) != pounds {
                rounded = rounded.saturating_add(1);
            }
            match pcn_core::money::Pence::from_pounds(pounds) {
                Some(pence) if pence.0 != 0 => amounts.push((*stream, pence.0)),
                Some(_) => {}
                None => ctx.problems.cell(row, &col.name, raw, "amount too large"),
            }
        }
        let Some(practice) = practice else {
            return true;
        };
        if let Some(first) = seen.insert(practice.clone(), row) {
            ctx.problems.cell(
                row,
                &practice_col.name,
                practice.as_str(),
                format!("practice listed twice (first on row {first})"),
            );
            return true;
        }
        if let Some(value) = weighted {
            batch.populations.push(PopulationFact {
                subject: PopulationSubject::Practice(practice.clone()),
                kind: PopulationKind::Weighted,
                as_at,
                value,
            });
        }
        for (stream, amount) in amounts {
            batch.payment_actuals.push(PaymentActualFact {
                practice: practice.clone(),
                pcn: pcn.clone(),
                financial_year: fy.clone(),
                stream: stream.to_string(),
                amount,
            });
        }
        true
    });
    if blank_weighted > 0 {
        ctx.notes.push(format!(
            "{blank_weighted} practices have no weighted population (blank); none recorded for them"
        ));
    }
    if rounded > 0 {
        ctx.notes.push(format!(
            "{rounded} amounts had more than two decimal places and were rounded to the penny"
        ));
    }
    (batch, Some(as_at))
}

/// Pence of a decimal amount of pounds, for tests.
#[cfg(test)]
fn pence(pounds: &str) -> Option<i64> {
    pounds
        .parse::<pcn_core::Decimal>()
        .ok()
        .and_then(pcn_core::money::Pence::from_pounds)
        .map(|p| p.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_in_names() {
        let y = |s: &str| year_in_name(s).map(|y| y.to_string());
        assert_eq!(
            y("nhspaymentsgp-22-23-prac-csv.csv"),
            Some("2022-23".into())
        );
        assert_eq!(
            y("data/2021-22/payments 2023-24.csv"),
            Some("2023-24".into())
        );
        assert_eq!(y("nhspaymentsgp_99_00.csv"), Some("2099-00".into()));
        assert_eq!(y("payments-22-24.csv"), None);
        assert_eq!(y("payments.csv"), None);
        assert_eq!(y("2023-24/payments.csv"), None, "the file name only");
    }

    #[test]
    fn money_is_exact() {
        assert_eq!(pence("1234.56"), Some(123_456));
        assert_eq!(pence("0.105"), Some(11));
        assert_eq!(pence("-7.5"), Some(-750));
    }
}
