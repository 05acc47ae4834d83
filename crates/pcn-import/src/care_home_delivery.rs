//! pcn's care home delivery CSVs: the weekly rounds a network makes at its
//! aligned care homes ([`SourceKind::CareHomeRounds`](pcn_core::SourceKind))
//! and new residents' personalised care and support plans
//! ([`SourceKind::CarePlans`](pcn_core::SourceKind)), for Enhanced Health in
//! Care Homes.
//!
//! ## Rounds
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `date` | yes | the day of the round (`YYYY-MM-DD`, `20250415` or `15/04/2025`) |
//! | `location_id` | yes | the care home's CQC location id, such as `1-101234567` |
//! | `post_id` | yes | the clinician: the id of a post on the network's roster (`pcn arrs roster`) |
//! | `residents_reviewed` | yes | residents reviewed on the round, a whole number |
//!
//! ```csv
//! date,location_id,post_id,residents_reviewed
//! 2025-04-15,1-101234567,12,4
//! ```
//!
//! ## Care plans
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `resident` | yes | a pseudonymous reference the network keeps (never a name or NHS number): letters, digits, `-` and `_`, at most 40 |
//! | `location_id` | yes | the care home |
//! | `admission_date` | yes | the day of admission or re-admission |
//! | `plan_date` | no | the day the personalised care and support plan was agreed; blank while none |
//!
//! ```csv
//! resident,location_id,admission_date,plan_date
//! R-0001,1-101234567,2025-04-17,2025-04-30
//! R-0002,1-101234567,2025-04-28,
//! ```
//!
//! A cell that cannot be read is a problem naming the row and column; so is
//! a plan dated before its admission. Whether the home is aligned to the
//! network on the date and whether the post exists need the registry and
//! the roster: `pcn_core::services::validate_rounds` and
//! `validate_care_plans` check them before anything is written, with the
//! row of each record kept for the message. Column names are
//! case-insensitive, `_` and space alike; any other column is a problem.
//! The data date is `--as-at`, else the latest date in the file.

use chrono::NaiveDate;
use pcn_core::services::{CareHomeRound, CarePlanRecord};
use pcn_core::FactBatch;

use crate::care_home_alignment::is_location_id;
use crate::ctx::{cell, latest, Ctx};
use crate::decode::{normalise, Col, Table};

const ROUND_COLUMNS: [&str; 4] = ["date", "location_id", "post_id", "residents_reviewed"];
const PLAN_COLUMNS: [&str; 4] = ["resident", "location_id", "admission_date", "plan_date"];

pub(crate) fn looks_like_rounds(has: &dyn Fn(&str) -> bool) -> bool {
    has("location id") && has("post id") && has("residents reviewed")
}

pub(crate) fn looks_like_plans(has: &dyn Fn(&str) -> bool) -> bool {
    has("resident") && has("location id") && has("admission date")
}

/// Refuses columns the format does not have.
pub(crate) fn only_columns(ctx: &mut Ctx, table: &Table, columns: &[&str]) {
    for (name, norm) in table.header.iter().zip(table.normalised()) {
        if !columns.iter().any(|c| normalise(c) == *norm) {
            ctx.problems.cell(
                1,
                name,
                name,
                format!("not a column of this file; use {}", columns.join(", ")),
            );
        }
    }
}

/// A roster post id: a whole number.
pub(crate) fn post_id(ctx: &mut Ctx, row: u64, col: &Col, raw: &str) -> Option<i64> {
    match raw.parse::<i64>() {
        Ok(n) if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit() || b == b'-') => Some(n),
        _ => {
            ctx.problems.cell(
                row,
                &col.name,
                raw,
                "not a post id (the whole number pcn gave the post on the roster)",
            );
            None
        }
    }
}

fn location(ctx: &mut Ctx, row: u64, col: &Col, raw: &str) -> Option<String> {
    if is_location_id(raw) {
        Some(raw.to_string())
    } else {
        ctx.problems.cell(
            row,
            &col.name,
            raw,
            "not a CQC location id (1- and digits, such as 1-101234567)",
        );
        None
    }
}

pub(crate) fn read_rounds(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    only_columns(ctx, table, &ROUND_COLUMNS);
    let Some([date_col, home_col, post_col, n_col]) = table.require_all(
        [
            &["date"],
            &["location_id"],
            &["post_id"],
            &["residents_reviewed"],
        ],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    if !ctx.problems.is_empty() {
        return (batch, None);
    }
    let mut file_date = None;
    ctx.rows(table, |ctx, row, rec| {
        let date = ctx.date(row, &date_col, cell(rec, &date_col));
        let home = location(ctx, row, &home_col, cell(rec, &home_col));
        let post = post_id(ctx, row, &post_col, cell(rec, &post_col));
        let n = ctx.count(row, &n_col, cell(rec, &n_col));
        let n = n.and_then(|n| match u32::try_from(n) {
            Ok(v) => Some(v),
            Err(_) => {
                ctx.problems
                    .cell(row, &n_col.name, cell(rec, &n_col), "too large");
                None
            }
        });
        if let (Some(date), Some(location_id), Some(post), Some(residents_reviewed)) =
            (date, home, post, n)
        {
            latest(&mut file_date, Some(date));
            batch.services.rounds.push(CareHomeRound {
                date,
                location_id,
                post,
                residents_reviewed,
                row: Some(row),
            });
        }
        true
    });
    (batch, ctx.opts.as_at.or(file_date))
}

fn resident(ctx: &mut Ctx, row: u64, col: &Col, raw: &str) -> Option<String> {
    let ok = !raw.is_empty()
        && raw.len() <= 40
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    // Ten digits in a row looks like an NHS number: refuse it, the file must be pseudonymous.
    let digits = raw.bytes().filter(u8::is_ascii_digit).count();
    if !ok || (digits >= 10 && raw.bytes().all(|b| b.is_ascii_digit() || b == b' ')) {
        ctx.problems.cell(
            row,
            &col.name,
            raw,
            "not a pseudonymous reference (letters, digits, - and _, at most 40; never an NHS number)",
        );
        return None;
    }
    Some(raw.to_string())
}

pub(crate) fn read_plans(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    only_columns(ctx, table, &PLAN_COLUMNS);
    let Some([res_col, home_col, adm_col]) = table.require_all(
        [&["resident"], &["location_id"], &["admission_date"]],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    let plan_col = table.col(&["plan_date"]);
    if !ctx.problems.is_empty() {
        return (batch, None);
    }
    let mut file_date = None;
    ctx.rows(table, |ctx, row, rec| {
        let who = resident(ctx, row, &res_col, cell(rec, &res_col));
        let home = location(ctx, row, &home_col, cell(rec, &home_col));
        let admitted = ctx.date(row, &adm_col, cell(rec, &adm_col));
        let Ok(planned) = ctx.opt_date_in(row, plan_col.as_ref(), rec) else {
            return true;
        };
        let (Some(resident), Some(location_id), Some(admitted)) = (who, home, admitted) else {
            return true;
        };
        if let (Some(pd), Some(c)) = (planned, &plan_col) {
            if pd < admitted {
                ctx.problems.cell(
                    row,
                    &c.name,
                    cell(rec, c),
                    format!("the plan is dated before the admission ({admitted})"),
                );
                return true;
            }
        }
        latest(&mut file_date, Some(admitted));
        latest(&mut file_date, planned);
        batch.services.care_plans.push(CarePlanRecord {
            resident,
            location_id,
            admitted,
            planned,
            row: Some(row),
        });
        true
    });
    (batch, ctx.opts.as_at.or(file_date))
}
