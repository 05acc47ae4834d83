//! pcn's care-home alignment CSV: which network each care home is aligned
//! to under Enhanced Health in Care Homes, with dates, as
//! [`CareHomeAlignment`]s ([`SourceKind::CareHomeAlignment`](pcn_core::SourceKind)).
//!
//! ## Format
//!
//! A CSV file with a header row:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `location_id` | yes | the care home's CQC location id, such as `1-101234567` |
//! | `pcn_code` | yes | the network it is aligned to, such as `U89141` (`U` is not a network) |
//! | `aligned_from` | yes | the first day of the alignment (`YYYY-MM-DD`, `20240401` or `01/04/2024`) |
//! | `aligned_to` | no | the last day; blank while it lasts |
//!
//! Each care home is aligned to one network at a time: a later alignment
//! takes over from its `aligned_from` (the registry's rule), so a move can be
//! recorded with just the new row. `aligned_to` before `aligned_from`, the
//! same care home and `aligned_from` twice, and any other column are
//! problems. Column names are case-insensitive and `_` and space are alike.
//!
//! ```csv
//! location_id,pcn_code,aligned_from,aligned_to
//! 1-101234567,U89141,2020-10-01,
//! 1-102345678,U89141,2020-10-01,2024-03-31
//! 1-102345678,U07032,2024-04-01,
//! ```
//!
//! The data date of the import is `--as-at`, else the latest `aligned_from`.

use std::collections::HashMap;

use chrono::NaiveDate;
use pcn_core::{CareHomeAlignment, FactBatch};

use crate::ctx::{cell, latest, Ctx};
use crate::decode::{normalise, Table};

const COLUMNS: [&str; 4] = ["location_id", "pcn_code", "aligned_from", "aligned_to"];

/// True when a normalised header is an alignment CSV's.
pub(crate) fn looks_like(has: &dyn Fn(&str) -> bool) -> bool {
    has("location id") && has("pcn code") && has("aligned from")
}

/// A CQC location id: `1-` and digits.
pub fn is_location_id(s: &str) -> bool {
    s.strip_prefix("1-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    for (name, norm) in table.header.iter().zip(table.normalised()) {
        if !COLUMNS.iter().any(|c| normalise(c) == *norm) {
            ctx.problems.cell(
                1,
                name,
                name,
                format!("not an alignment column; use {}", COLUMNS.join(", ")),
            );
        }
    }
    let Some([id_col, pcn_col, from_col]) = table.require_all(
        [&["location_id"], &["pcn_code"], &["aligned_from"]],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    let to_col = table.col(&["aligned_to"]);
    if !ctx.problems.is_empty() {
        return (batch, None);
    }
    let mut file_date = None;
    let mut seen: HashMap<(String, NaiveDate), u64> = HashMap::new();
    ctx.rows(table, |ctx, row, rec| {
        let raw_id = cell(rec, &id_col);
        let id_ok = is_location_id(raw_id);
        if !id_ok {
            ctx.problems.cell(
                row,
                &id_col.name,
                raw_id,
                "not a CQC location id (1- and digits, such as 1-101234567)",
            );
        }
        let pcn = ctx.network(row, &pcn_col, cell(rec, &pcn_col));
        let from = ctx.date(row, &from_col, cell(rec, &from_col));
        let Ok(to) = ctx.opt_date_in(row, to_col.as_ref(), rec) else {
            return true;
        };
        let (true, Some(pcn), Some(from)) = (id_ok, pcn, from) else {
            return true;
        };
        if let (Some(to), Some(c)) = (to, &to_col) {
            if to < from {
                ctx.problems.cell(
                    row,
                    &c.name,
                    cell(rec, c),
                    format!("the alignment ends before it starts ({from})"),
                );
                return true;
            }
        }
        if let Some(first) = seen.insert((raw_id.to_string(), from), row) {
            ctx.problems.cell(
                row,
                &from_col.name,
                cell(rec, &from_col),
                format!("{raw_id} already has an alignment from {from} (row {first})"),
            );
            return true;
        }
        latest(&mut file_date, Some(from));
        batch.care_home_alignments.push(CareHomeAlignment {
            location_id: raw_id.to_string(),
            pcn,
            from,
            to,
        });
        true
    });
    (batch, ctx.opts.as_at.or(file_date))
}
