//! pcn's enhanced access session CSVs: a network's weekly plan of sessions
//! ([`SourceKind::AccessSessionsPlanned`](pcn_core::SourceKind)) and the
//! sessions delivered ([`SourceKind::AccessSessionsDelivered`](pcn_core::SourceKind)).
//!
//! ## The plan
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `pcn_code` | yes | the network, such as `U89141` |
//! | `site` | yes | where (a surgery's name or ODS code) |
//! | `day` | yes | the day of the week, `Monday` … `Sunday` (or `Mon` …) |
//! | `start`, `end` | yes | `HH:MM`, 24-hour; the end after the start (a session that crosses midnight is two rows) |
//! | `post_id` | yes | the clinician's post on the network's roster |
//! | `appointments_offered` | yes | a whole number |
//! | `mode` | yes | `face-to-face` or `remote` (also `f2f`, `telephone`, `video`) |
//! | `from`, `to` | no | the first and last dates the row applies (blank: always) |
//!
//! ```csv
//! pcn_code,site,day,start,end,post_id,appointments_offered,mode
//! U89141,Main Street Surgery,Saturday,09:00,13:00,12,16,face-to-face
//! U89141,Main Street Surgery,Tuesday,17:00,20:30,14,10,remote
//! ```
//!
//! ## Delivered
//!
//! The same columns with `date` (the day it ran) instead of `day`, `from`
//! and `to`, and an optional `week_commencing` (a Monday): when given, a
//! session dated outside that week is a problem ("a session outside the
//! week"), so a weekly return cannot carry another week's session by
//! mistake.
//!
//! Only the minutes inside the specification's hours count (the core's
//! rule: a Tuesday 17:00–20:30 session counts 18:30–20:00); the file keeps
//! the session as run. A malformed time, day, mode or count is a problem
//! naming the row and column. Whether the post exists and is the network's
//! needs the roster: `pcn_core::services::validate_sessions` checks it
//! before anything is written. The data date is `--as-at`, else the latest
//! date in the file (a plan without dates: `--as-at` is needed).

use chrono::{Datelike, NaiveDate, Weekday};
use pcn_core::rulebook::{parse_time, parse_weekday, Minute};
use pcn_core::services::{AccessSession, SessionDay, SessionMode};
use pcn_core::FactBatch;

use crate::care_home_delivery::{only_columns, post_id};
use crate::ctx::{cell, latest, Ctx};
use crate::decode::{Col, Table};

const PLANNED: [&str; 10] = [
    "pcn_code",
    "site",
    "day",
    "start",
    "end",
    "post_id",
    "appointments_offered",
    "mode",
    "from",
    "to",
];
const DELIVERED: [&str; 9] = [
    "pcn_code",
    "site",
    "date",
    "start",
    "end",
    "post_id",
    "appointments_offered",
    "mode",
    "week_commencing",
];

pub(crate) fn looks_like_planned(has: &dyn Fn(&str) -> bool) -> bool {
    has("pcn code") && has("day") && has("start") && has("end") && has("post id")
}

pub(crate) fn looks_like_delivered(has: &dyn Fn(&str) -> bool) -> bool {
    has("pcn code") && has("date") && has("start") && has("end") && has("post id")
}

fn time(ctx: &mut Ctx, row: u64, col: &Col, raw: &str) -> Option<Minute> {
    ctx.known(
        row,
        col,
        raw,
        parse_time(raw),
        "not a time (HH:MM, 24-hour, such as 18:30)",
    )
}

pub(crate) fn read_planned(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    read(ctx, table, true)
}

pub(crate) fn read_delivered(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    read(ctx, table, false)
}

/// A planned row's weekday or a delivered row's date.
fn session_day(ctx: &mut Ctx, row: u64, col: &Col, raw: &str, planned: bool) -> Option<SessionDay> {
    if !planned {
        return ctx.date(row, col, raw).map(SessionDay::On);
    }
    ctx.known(
        row,
        col,
        raw,
        parse_weekday(raw).map(SessionDay::Weekly),
        "not a day of the week (Monday … Sunday)",
    )
}

/// A delivered session's `week_commencing` (column and cell): a Monday,
/// with the session's date (`when`: its column and cell) in that week.
fn check_week(
    ctx: &mut Ctx,
    row: u64,
    (week_col, raw): (&Col, &str),
    (when_col, raw_when): (&Col, &str),
    date: NaiveDate,
) {
    if let Ok(Some(monday)) = ctx.opt_date(row, week_col, raw) {
        if monday.weekday() != Weekday::Mon {
            ctx.problems.cell(
                row,
                &week_col.name,
                raw,
                format!("{monday} is a {}, not a Monday", monday.weekday()),
            );
        } else if date < monday || (date - monday).num_days() > 6 {
            ctx.problems.cell(
                row,
                &when_col.name,
                raw_when,
                format!("the session is outside the week commencing {monday}"),
            );
        }
    }
}

fn read(ctx: &mut Ctx, table: &Table, planned: bool) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    only_columns(ctx, table, if planned { &PLANNED } else { &DELIVERED });
    let when = if planned { "day" } else { "date" };
    let Some([pcn_col, site_col, when_col, start_col, end_col, post_col, n_col, mode_col]) = table
        .require_all(
            [
                &["pcn_code"],
                &["site"],
                &[when],
                &["start"],
                &["end"],
                &["post_id"],
                &["appointments_offered"],
                &["mode"],
            ],
            &mut ctx.problems,
        )
    else {
        return (batch, None);
    };
    let from_col = table.col(&["from"]).filter(|_| planned);
    let to_col = table.col(&["to"]).filter(|_| planned);
    let week_col = table.col(&["week_commencing"]).filter(|_| !planned);
    if !ctx.problems.is_empty() {
        return (batch, None);
    }
    let mut file_date = None;
    ctx.rows(table, |ctx, row, rec| {
        let pcn = ctx.network(row, &pcn_col, cell(rec, &pcn_col));
        let site = cell(rec, &site_col);
        if site.is_empty() {
            ctx.problems
                .cell(row, &site_col.name, site, "a site is required here");
        }
        let raw_when = cell(rec, &when_col);
        let day = session_day(ctx, row, &when_col, raw_when, planned);
        let start = time(ctx, row, &start_col, cell(rec, &start_col));
        let end = time(ctx, row, &end_col, cell(rec, &end_col));
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                ctx.problems.cell(
                    row,
                    &end_col.name,
                    cell(rec, &end_col),
                    format!(
                        "ends at or before it starts ({}); a session that crosses midnight is two rows",
                        cell(rec, &start_col)
                    ),
                );
            }
        }
        let post = post_id(ctx, row, &post_col, cell(rec, &post_col));
        let n = ctx.count(row, &n_col, cell(rec, &n_col)).and_then(|n| u32::try_from(n).ok());
        let raw_mode = cell(rec, &mode_col);
        let mode = SessionMode::parse(raw_mode);
        if mode.is_none() {
            ctx.problems
                .cell(row, &mode_col.name, raw_mode, "expected face-to-face or remote");
        }
        let from = ctx.opt_date_in(row, from_col.as_ref(), rec).unwrap_or(None);
        let to = ctx.opt_date_in(row, to_col.as_ref(), rec).unwrap_or(None);
        if let (Some(f), Some(t), Some(c)) = (from, to, &to_col) {
            if t < f {
                ctx.problems
                    .cell(row, &c.name, cell(rec, c), format!("before from ({f})"));
            }
        }
        if let (Some(c), Some(SessionDay::On(date))) = (&week_col, day) {
            check_week(ctx, row, (c, cell(rec, c)), (&when_col, raw_when), date);
        }
        if let (Some(pcn), Some(day), Some(start), Some(end), Some(post), Some(n), Some(mode)) =
            (pcn, day, start, end, post, n, mode)
        {
            if end <= start || site.is_empty() {
                return true;
            }
            if let SessionDay::On(d) = day {
                latest(&mut file_date, Some(d));
            }
            latest(&mut file_date, from);
            let s = AccessSession {
                pcn,
                site: site.to_string(),
                day,
                start,
                end,
                post,
                appointments: n,
                mode,
                from,
                to,
                row: Some(row),
            };
            if planned {
                batch.services.planned_sessions.push(s);
            } else {
                batch.services.delivered_sessions.push(s);
            }
        }
        true
    });
    (batch, ctx.opts.as_at.or(file_date))
}
