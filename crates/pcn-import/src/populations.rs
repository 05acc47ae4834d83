//! pcn's population CSV: contractor weighted populations of practices and
//! PCN adjusted populations of networks, as dated [`PopulationFact`]s
//! ([`SourceKind::Populations`](pcn_core::SourceKind)).
//!
//! ## Format
//!
//! A CSV file (UTF-8, or Windows-1252 as saved by Excel; comma-separated)
//! with a header row:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `practice_code` | one of these two per row | a practice's ODS code, such as `A81001`: the row gives its weighted population |
//! | `pcn_code` | | a network's ODS code, such as `U89141`: the row gives its adjusted population |
//! | `as_at` | yes (or `--as-at`) | the date the figure is as at (`YYYY-MM-DD`, `20250101` or `01/01/2025`); a blank cell takes `--as-at` |
//! | `weighted_population` | at least one of the two columns | contractor weighted population (Carr-Hill), practices only |
//! | `adjusted_population` | | PCN adjusted population (NHS England), networks only |
//!
//! Figures are exact decimals (`9123.456`, never rounded by pcn), 0 or
//! more; `1,234.5` is read as 1234.5. A blank figure says nothing. Each row
//! names exactly one practice or one network; a weighted figure on a network
//! row, or an adjusted figure on a practice row, is a problem, as is the
//! same practice or network and date twice, a row with no figure, and any
//! other column. Column names are case-insensitive and `_` and space are
//! alike.
//!
//! ```csv
//! practice_code,pcn_code,as_at,weighted_population,adjusted_population
//! A81001,,2025-01-01,9123.456,
//! A81002,,2025-01-01,12001.5,
//! ,U89141,2025-01-01,,40210.75
//! ```
//!
//! The data date of the import is the latest `as_at`.

use std::collections::HashMap;

use chrono::NaiveDate;
use pcn_core::{
    FactBatch, PcnCode, PopulationFact, PopulationKind, PopulationSubject, PracticeCode,
};

use crate::ctx::{cell, latest, Ctx};
use crate::decode::{Col, Table};

const COLUMNS: [&str; 5] = [
    "practice_code",
    "pcn_code",
    "as_at",
    "weighted_population",
    "adjusted_population",
];

/// True when a normalised header is a population CSV's.
pub(crate) fn looks_like(has: &dyn Fn(&str) -> bool) -> bool {
    (has("practice code") || has("pcn code"))
        && (has("weighted population") || has("adjusted population"))
}

/// Whose population a row gives: a practice or a network, exactly one.
fn row_subject(
    ctx: &mut Ctx,
    row: u64,
    rec: &csv::StringRecord,
    practice_col: &Option<Col>,
    pcn_col: &Option<Col>,
) -> Option<PopulationSubject> {
    let raw_practice = practice_col.as_ref().map_or("", |c| cell(rec, c));
    let raw_pcn = pcn_col.as_ref().map_or("", |c| cell(rec, c));
    match (practice_col, pcn_col) {
        (Some(c), _) if !raw_practice.is_empty() && raw_pcn.is_empty() => ctx
            .code(row, c, raw_practice, PracticeCode::parse)
            .map(PopulationSubject::Practice),
        (_, Some(c)) if raw_practice.is_empty() && !raw_pcn.is_empty() => {
            match ctx.code(row, c, raw_pcn, PcnCode::parse) {
                Some(code) if code.is_unallocated() => {
                    ctx.problems
                        .cell(row, &c.name, raw_pcn, "U (Unallocated) is not a network");
                    None
                }
                code => code.map(PopulationSubject::Network),
            }
        }
        _ => {
            ctx.problems.row(
                row,
                "give either a practice_code or a pcn_code (exactly one) on each row",
            );
            None
        }
    }
}

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    for (name, norm) in table.header.iter().zip(table.normalised()) {
        if !COLUMNS.iter().any(|c| crate::decode::normalise(c) == *norm) {
            ctx.problems.cell(
                1,
                name,
                name,
                format!("not a population column; use {}", COLUMNS.join(", ")),
            );
        }
    }
    let practice_col = table.col(&["practice_code"]);
    let pcn_col = table.col(&["pcn_code"]);
    let date_col = table.col(&["as_at"]);
    let weighted_col = table.col(&["weighted_population"]);
    let adjusted_col = table.col(&["adjusted_population"]);
    if date_col.is_none() && ctx.opts.as_at.is_none() {
        ctx.problems.whole_file(
            "there is no as_at column and no --as-at was given: say what date the figures are as at",
        );
    }
    if !ctx.problems.is_empty() {
        return (batch, None);
    }
    let mut file_date = None;
    let mut defaulted = false;
    let mut seen: HashMap<(PopulationSubject, PopulationKind, NaiveDate), u64> = HashMap::new();
    ctx.rows(table, |ctx, row, rec| {
        let subject = row_subject(ctx, row, rec, &practice_col, &pcn_col);
        let date = match &date_col {
            Some(c) => match ctx.opt_date(row, c, cell(rec, c)) {
                Ok(Some(d)) => Some(d),
                Ok(None) => match ctx.opts.as_at {
                    Some(d) => {
                        defaulted = true;
                        Some(d)
                    }
                    None => {
                        ctx.problems.cell(
                            row,
                            &c.name,
                            "",
                            "a date is required here (or give --as-at)",
                        );
                        None
                    }
                },
                Err(()) => None,
            },
            None => {
                defaulted = true;
                ctx.opts.as_at
            }
        };
        let mut figures: Vec<(PopulationKind, &Col, pcn_core::Decimal)> = Vec::new();
        for (col, kind) in [
            (&weighted_col, PopulationKind::Weighted),
            (&adjusted_col, PopulationKind::Adjusted),
        ] {
            let Some(col) = col else { continue };
            let raw = cell(rec, col);
            if raw.is_empty() {
                continue;
            }
            if let Some(v) = ctx.decimal(row, col, raw, false) {
                figures.push((kind, col, v));
            }
        }
        let (Some(subject), Some(date)) = (subject, date) else {
            return true;
        };
        if figures.is_empty()
            && [&weighted_col, &adjusted_col]
                .iter()
                .all(|c| c.as_ref().is_none_or(|c| cell(rec, c).is_empty()))
        {
            ctx.problems
                .row(row, "no weighted_population or adjusted_population given");
        }
        for (kind, col, value) in figures {
            let fits = matches!(
                (&subject, kind),
                (PopulationSubject::Practice(_), PopulationKind::Weighted)
                    | (PopulationSubject::Network(_), PopulationKind::Adjusted)
            );
            if !fits {
                let message = match kind {
                    PopulationKind::Weighted => {
                        "a weighted population is a practice's; this row is a network's"
                    }
                    PopulationKind::Adjusted => {
                        "an adjusted population is a network's; this row is a practice's"
                    }
                };
                ctx.problems
                    .cell(row, &col.name, &value.to_string(), message);
                continue;
            }
            let key = (subject.clone(), kind, date);
            if let Some(first) = seen.insert(key, row) {
                ctx.problems.cell(
                    row,
                    &col.name,
                    &value.to_string(),
                    format!(
                        "{} already has a {} population as at {date} (row {first})",
                        subject.code(),
                        kind.name()
                    ),
                );
                continue;
            }
            latest(&mut file_date, Some(date));
            batch.populations.push(PopulationFact {
                subject: subject.clone(),
                kind,
                as_at: date,
                value,
            });
        }
        true
    });
    if defaulted {
        if let Some(d) = ctx.opts.as_at {
            ctx.notes
                .push(format!("rows without as_at take {d} (--as-at)"));
        }
    }
    (batch, file_date)
}
