//! A network's remittance CSV: what its payee was actually paid, month by
//! month and stream by stream, as the network's remittance advices say
//! ([`pcn_core::reconcile::Remittance`]). `pcn reconcile` compares these with
//! the network's statement when the national payments file is too coarse
//! (it has one amount a year per column) or not yet published.
//!
//! ## Format
//!
//! A CSV file (UTF-8, or Windows-1252 as saved by Excel) with a header row
//! and exactly these columns, in any order (names are case-insensitive, `_`
//! and space alike):
//!
//! | column | meaning |
//! |---|---|
//! | `pcn_code` | the network's ODS code, such as `U89141` |
//! | `month` | the month the payment is for: `2021-05`, or any date in it (`2021-05-01`, `01/05/2021`, `01May2021`) |
//! | `stream` | the rulebook stream id, such as `core-pcn-funding`, `clinical-director`, `extended-hours-access` (see `pcn pay`'s lines) |
//! | `amount` | pounds and pence, such as `5123.45`; negative for a recovery; `1,234.56` is read as 1234.56 |
//!
//! ```csv
//! pcn_code,month,stream,amount
//! U89141,2021-04,core-pcn-funding,5123.45
//! U89141,2021-04,clinical-director,2466.10
//! U89141,2021-05,core-pcn-funding,5123.45
//! ```
//!
//! Rows for the same network, month and stream add up (a payment and a later
//! adjustment). The stream must be one the rulebook has in the financial
//! year of the month: an unknown stream, a malformed or `U` network code, a
//! month that is not one, an amount with more than two decimal places, a
//! blank cell or any other column is a problem naming the file, row, column
//! and value, and the file is refused whole. Whether the network exists is
//! for the caller to check against the registry.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pcn_core::money::Pence;
use pcn_core::reconcile::{month_start, Remittance};
use pcn_core::rulebook::{FinancialYear, Rulebook};
use pcn_core::PcnCode;

use crate::ctx::{cell, Ctx};
use crate::decode::{self, Decoded, Table};
use crate::{ImportError, ImportOptions};

const COLUMNS: [&str; 4] = ["pcn_code", "month", "stream", "amount"];

/// A month as written: `2021-05`, `2021/05`, or a date in it.
fn parse_month(raw: &str) -> Option<NaiveDate> {
    let t = raw.trim();
    let parts: Vec<&str> = t.split(['-', '/']).collect();
    if let [y, m] = parts.as_slice() {
        if y.len() == 4 && (1..=2).contains(&m.len()) {
            return NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1);
        }
    }
    pcn_core::dates::parse_date(t).map(month_start)
}

/// Reads a remittance CSV. Every stream is checked against `rules`.
pub fn parse(
    file_name: &str,
    bytes: &[u8],
    rules: &Rulebook,
) -> Result<Vec<Remittance>, ImportError> {
    let Decoded::Text(text) = decode::decode(file_name, bytes, &crate::Limits::default())? else {
        return Err(ImportError::whole_file(
            file_name,
            "a remittance file is a CSV, not a workbook",
        ));
    };
    let table = Table::from_text(&text, None);
    let opts = ImportOptions {
        as_at: None,
        today: NaiveDate::MIN,
        limits: crate::Limits::default(),
    };
    let mut progress = |_| {};
    let mut ctx = Ctx::new(file_name, &opts, &mut progress);
    if table.header.is_empty() {
        ctx.problems
            .whole_file("the file is empty (no header and no rows)");
        return Err(ctx.problems.into_error());
    }
    for (name, norm) in table.header.iter().zip(table.normalised()) {
        if !COLUMNS.iter().any(|c| decode::normalise(c) == *norm) {
            ctx.problems.cell(
                1,
                name,
                name,
                format!("not a remittance column; use {}", COLUMNS.join(", ")),
            );
        }
    }
    let p = &mut ctx.problems;
    let (Some(pcn_col), Some(month_col), Some(stream_col), Some(amount_col)) = (
        table.require(&["pcn_code"], p),
        table.require(&["month"], p),
        table.require(&["stream"], p),
        table.require(&["amount"], p),
    ) else {
        return Err(ctx.problems.into_error());
    };
    if !ctx.problems.is_empty() {
        return Err(ctx.problems.into_error());
    }
    let mut totals: BTreeMap<(PcnCode, NaiveDate, String), Pence> = BTreeMap::new();
    table.for_each(|row, rec| {
        ctx.tick();
        if !table.check_width(row, rec, &mut ctx.problems) {
            return true;
        }
        let raw_pcn = cell(rec, &pcn_col);
        let pcn = match ctx.code(row, &pcn_col, raw_pcn, PcnCode::parse) {
            Some(p) if p.is_unallocated() => {
                ctx.problems.cell(
                    row,
                    &pcn_col.name,
                    raw_pcn,
                    "U (Unallocated) is not a network",
                );
                None
            }
            p => p,
        };
        let raw_month = cell(rec, &month_col);
        let month = parse_month(raw_month);
        if month.is_none() {
            ctx.problems.cell(
                row,
                &month_col.name,
                raw_month,
                "not a month (expected 2021-05, or a date in the month such as 2021-05-01)",
            );
        }
        let raw_stream = cell(rec, &stream_col);
        let stream_ok = match month {
            Some(m) => match rules.financial_year(FinancialYear::containing(m)) {
                Ok(year) => {
                    let ids = year.stream_ids();
                    if ids.contains(&raw_stream) {
                        true
                    } else {
                        ctx.problems.cell(
                            row,
                            &stream_col.name,
                            raw_stream,
                            format!(
                                "not a stream of the {} rulebook; its streams are {}",
                                year.financial_year,
                                ids.join(", ")
                            ),
                        );
                        false
                    }
                }
                Err(e) => {
                    ctx.problems
                        .cell(row, &month_col.name, raw_month, e.to_string());
                    false
                }
            },
            None => false,
        };
        let raw_amount = cell(rec, &amount_col);
        let amount = ctx
            .decimal(row, &amount_col, raw_amount, true)
            .and_then(|pounds| {
                if pounds.round_dp(2) != pounds {
                    ctx.problems.cell(
                        row,
                        &amount_col.name,
                        raw_amount,
                        "an amount in pounds has at most two decimal places",
                    );
                    return None;
                }
                let pence = Pence::from_pounds(pounds);
                if pence.is_none() {
                    ctx.problems
                        .cell(row, &amount_col.name, raw_amount, "amount too large");
                }
                pence
            });
        if let (Some(pcn), Some(month), true, Some(amount)) = (pcn, month, stream_ok, amount) {
            *totals
                .entry((pcn, month, raw_stream.to_string()))
                .or_default() += amount;
        }
        true
    });
    let rows = totals
        .into_iter()
        .map(|((pcn, month, stream), amount)| Remittance {
            pcn,
            month,
            stream,
            amount,
        })
        .collect();
    ctx.problems.finish(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1);
        assert_eq!(parse_month("2021-05"), d(2021, 5));
        assert_eq!(parse_month("2021/5"), d(2021, 5));
        assert_eq!(parse_month("2021-05-17"), d(2021, 5));
        assert_eq!(parse_month("2021-13"), None);
        assert_eq!(parse_month("May"), None);
    }
}
