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
//! adjustment). `pcn import` reads the file like any other ([`read`]: every
//! cell checked, one fact per row) and then, before writing anything, checks
//! it against the rulebook and the registry ([`check`]): the stream must be
//! one the rulebook has in the financial year of the month, and the network
//! one the registry knows. An unknown stream or network, a malformed or `U`
//! network code, a month that is not one, an amount with more than two
//! decimal places, a blank cell or any other column is a problem naming the
//! file, row, column and value, and the file is refused whole.

use chrono::NaiveDate;
use pcn_core::money::Pence;
use pcn_core::reconcile::{month_start, Remittance};
use pcn_core::rulebook::{FinancialYear, Rulebook, StreamId};
use pcn_core::{FactBatch, PcnCode};

use crate::ctx::{cell, Ctx};
use crate::decode::{self, Decoded, Table};
use crate::error::{Problem, Problems};
use crate::{ImportError, ImportOptions};

/// The columns, as documented.
pub const COLUMNS: [&str; 4] = ["pcn_code", "month", "stream", "amount"];

/// Whether a header is a remittance CSV's: exactly the four columns.
pub fn looks_like(normalised: &[String]) -> bool {
    normalised.len() == COLUMNS.len()
        && COLUMNS
            .iter()
            .all(|c| normalised.iter().any(|h| *h == decode::normalise(c)))
}

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

/// Whether `stream` is a stream of the rulebook in the financial year of
/// `month`; otherwise the problem, in words, and the column it is in.
fn stream_problem(
    rules: &Rulebook,
    month: NaiveDate,
    stream: &str,
) -> Option<(&'static str, String)> {
    match rules.financial_year(FinancialYear::containing(month)) {
        Ok(year) => {
            let ids = year.stream_ids();
            (!ids.contains(&stream)).then(|| {
                (
                    "stream",
                    format!(
                        "not a stream of the {} rulebook; its streams are {}",
                        year.financial_year,
                        ids.join(", ")
                    ),
                )
            })
        }
        Err(e) => Some(("month", e.to_string())),
    }
}

/// Reads a remittance CSV through the ordinary import path: every cell is
/// checked for its form; the streams and networks are [`check`]ed before the
/// file is written. The data date is the first day of the latest month.
pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let rows = read_rows(ctx, table, None);
    let date = rows.iter().map(|r| r.month).max();
    (
        FactBatch {
            remittances: rows,
            ..FactBatch::default()
        },
        date,
    )
}

/// The rows of the file, each checked; the stream against `rules` too when given.
fn read_rows(ctx: &mut Ctx, table: &Table, rules: Option<&Rulebook>) -> Vec<Remittance> {
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
    let Some([pcn_col, month_col, stream_col, amount_col]) = table.require_all(
        [&["pcn_code"], &["month"], &["stream"], &["amount"]],
        &mut ctx.problems,
    ) else {
        return Vec::new();
    };
    if !ctx.problems.is_empty() {
        return Vec::new();
    }
    let mut rows = Vec::new();
    ctx.rows(table, |ctx, row, rec| {
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
        let month = ctx.known(
            row,
            &month_col,
            raw_month,
            parse_month(raw_month),
            "not a month (expected 2021-05, or a date in the month such as 2021-05-01)",
        );
        let raw_stream = cell(rec, &stream_col);
        let stream = match StreamId::parse(raw_stream) {
            Ok(s) => Some(s),
            Err(e) => {
                ctx.problems
                    .cell(row, &stream_col.name, raw_stream, e.to_string());
                None
            }
        };
        let stream = match (stream, month, rules) {
            (Some(s), Some(m), Some(rules)) => match stream_problem(rules, m, s.as_str()) {
                Some((column, why)) => {
                    let (name, value) = if column == "month" {
                        (&month_col.name, raw_month)
                    } else {
                        (&stream_col.name, raw_stream)
                    };
                    ctx.problems.cell(row, name, value, why);
                    None
                }
                None => Some(s),
            },
            (s, _, _) => s,
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
        if let (Some(pcn), Some(month), Some(stream), Some(amount)) = (pcn, month, stream, amount) {
            rows.push(Remittance {
                pcn,
                month,
                stream,
                amount,
                row,
            });
        }
        true
    });
    rows
}

/// Reads a remittance CSV and checks every stream against `rules` (not the
/// networks: see [`check`]).
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
    let rows = read_rows(&mut ctx, &table, Some(rules));
    ctx.problems.finish(rows)
}

/// Checks remittances read by [`read`] against the rulebook (each stream is
/// one of the financial year of its month) and the registry (`knows_network`),
/// naming the file, row, column and value of every problem.
pub fn check(
    file_name: &str,
    rows: &[Remittance],
    rules: &Rulebook,
    knows_network: impl Fn(&PcnCode) -> bool,
) -> Result<(), ImportError> {
    let mut problems = Problems::new(file_name);
    for r in rows {
        if !knows_network(&r.pcn) {
            problems.push(Problem {
                row: Some(r.row),
                column: Some("pcn_code".into()),
                value: Some(r.pcn.to_string()),
                message: "there is no such network in the registry (check the code; `pcn network list` shows them)".into(),
            });
        }
        if let Some((column, why)) = stream_problem(rules, r.month, r.stream.as_str()) {
            let value = if column == "month" {
                r.month.format("%Y-%m").to_string()
            } else {
                r.stream.to_string()
            };
            problems.push(Problem {
                row: Some(r.row),
                column: Some(column.into()),
                value: Some(value),
                message: why,
            });
        }
    }
    problems.finish(())
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
