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
use csv::StringRecord;
use pcn_core::rulebook::{parse_time, parse_weekday, Minute};
use pcn_core::services::{AccessSession, SessionDay, SessionMode};
use pcn_core::{FactBatch, PcnCode};

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
    let t = parse_time(raw);
    if t.is_none() {
        ctx.problems.cell(
            row,
            &col.name,
            raw,
            "not a time (HH:MM, 24-hour, such as 18:30)",
        );
    }
    t
}

pub(crate) fn read_planned(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    read(ctx, table, true)
}

pub(crate) fn read_delivered(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    read(ctx, table, false)
}

/// The columns of a plan or a delivered file.
struct Columns {
    planned: bool,
    pcn: Col,
    site: Col,
    /// `day` in a plan, `date` in a delivered file.
    when: Col,
    start: Col,
    end: Col,
    post: Col,
    appointments: Col,
    mode: Col,
    /// A plan's `from` and `to`.
    from: Option<Col>,
    to: Option<Col>,
    /// A delivered file's `week_commencing`.
    week: Option<Col>,
}

/// Finds the columns: `None` (with the problems recorded) when a required
/// one is missing or an unknown one is present.
fn columns(ctx: &mut Ctx, table: &Table, planned: bool) -> Option<Columns> {
    only_columns(ctx, table, if planned { &PLANNED } else { &DELIVERED });
    let p = &mut ctx.problems;
    let when = if planned { "day" } else { "date" };
    let (
        Some(pcn),
        Some(site),
        Some(when),
        Some(start),
        Some(end),
        Some(post),
        Some(appointments),
        Some(mode),
    ) = (
        table.require(&["pcn_code"], p),
        table.require(&["site"], p),
        table.require(&[when], p),
        table.require(&["start"], p),
        table.require(&["end"], p),
        table.require(&["post_id"], p),
        table.require(&["appointments_offered"], p),
        table.require(&["mode"], p),
    )
    else {
        return None;
    };
    let columns = Columns {
        planned,
        pcn,
        site,
        when,
        start,
        end,
        post,
        appointments,
        mode,
        from: table.col(&["from"]).filter(|_| planned),
        to: table.col(&["to"]).filter(|_| planned),
        week: table.col(&["week_commencing"]).filter(|_| !planned),
    };
    ctx.problems.is_empty().then_some(columns)
}

fn read(ctx: &mut Ctx, table: &Table, planned: bool) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let Some(cols) = columns(ctx, table, planned) else {
        return (batch, None);
    };
    let mut file_date = None;
    table.for_each(|row, rec| {
        ctx.tick();
        if !table.check_width(row, rec, &mut ctx.problems) {
            return true;
        }
        let Some(s) = session(ctx, &cols, row, rec) else {
            return true;
        };
        if let SessionDay::On(d) = s.day {
            latest(&mut file_date, Some(d));
        }
        latest(&mut file_date, s.from);
        if planned {
            batch.services.planned_sessions.push(s);
        } else {
            batch.services.delivered_sessions.push(s);
        }
        true
    });
    (batch, ctx.opts.as_at.or(file_date))
}

/// Reads and checks one row: the session when every cell is good, else
/// `None` with the problems recorded.
fn session(ctx: &mut Ctx, cols: &Columns, row: u64, rec: &StringRecord) -> Option<AccessSession> {
    let pcn = network(ctx, row, &cols.pcn, cell(rec, &cols.pcn));
    let site = cell(rec, &cols.site);
    if site.is_empty() {
        ctx.problems
            .cell(row, &cols.site.name, site, "a site is required here");
    }
    let day = session_day(ctx, cols, row, cell(rec, &cols.when));
    let start = time(ctx, row, &cols.start, cell(rec, &cols.start));
    let end = time(ctx, row, &cols.end, cell(rec, &cols.end));
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            ctx.problems.cell(
                row,
                &cols.end.name,
                cell(rec, &cols.end),
                format!(
                    "ends at or before it starts ({}); a session that crosses midnight is two rows",
                    cell(rec, &cols.start)
                ),
            );
        }
    }
    let post = post_id(ctx, row, &cols.post, cell(rec, &cols.post));
    let n = ctx
        .count(row, &cols.appointments, cell(rec, &cols.appointments))
        .and_then(|n| u32::try_from(n).ok());
    let raw_mode = cell(rec, &cols.mode);
    let mode = SessionMode::parse(raw_mode);
    if mode.is_none() {
        ctx.problems.cell(
            row,
            &cols.mode.name,
            raw_mode,
            "expected face-to-face or remote",
        );
    }
    let (from, to) = applies(ctx, cols, row, rec);
    if let (Some(c), Some(SessionDay::On(date))) = (&cols.week, day) {
        check_week(ctx, row, rec, c, &cols.when, date);
    }
    let (pcn, day, start, end, post, n, mode) = (pcn?, day?, start?, end?, post?, n?, mode?);
    if end <= start || site.is_empty() {
        return None;
    }
    Some(AccessSession {
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
    })
}

/// The network: a code, and not the `U` placeholder.
fn network(ctx: &mut Ctx, row: u64, col: &Col, raw: &str) -> Option<PcnCode> {
    match ctx.code(row, col, raw, PcnCode::parse) {
        Some(c) if c.is_unallocated() => {
            ctx.problems.cell(
                row,
                &col.name,
                c.as_str(),
                "U (Unallocated) is not a network",
            );
            None
        }
        c => c,
    }
}

/// A plan's day of the week, or a delivered session's date.
fn session_day(ctx: &mut Ctx, cols: &Columns, row: u64, raw: &str) -> Option<SessionDay> {
    if !cols.planned {
        return ctx.date(row, &cols.when, raw).map(SessionDay::On);
    }
    let day = parse_weekday(raw).map(SessionDay::Weekly);
    if day.is_none() {
        ctx.problems.cell(
            row,
            &cols.when.name,
            raw,
            "not a day of the week (Monday … Sunday)",
        );
    }
    day
}

/// A plan row's `from` and `to` (blank or absent: `None`), `to` not before
/// `from`.
fn applies(
    ctx: &mut Ctx,
    cols: &Columns,
    row: u64,
    rec: &StringRecord,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let mut dates = |col: &Option<Col>| match col {
        Some(c) => ctx.opt_date(row, c, cell(rec, c)).unwrap_or(None),
        None => None,
    };
    let from = dates(&cols.from);
    let to = dates(&cols.to);
    if let (Some(f), Some(t), Some(c)) = (from, to, &cols.to) {
        if t < f {
            ctx.problems
                .cell(row, &c.name, cell(rec, c), format!("before from ({f})"));
        }
    }
    (from, to)
}

/// A delivered session's `week_commencing`: a Monday, and the session's
/// date within its week.
fn check_week(
    ctx: &mut Ctx,
    row: u64,
    rec: &StringRecord,
    week_col: &Col,
    date_col: &Col,
    date: NaiveDate,
) {
    let raw = cell(rec, week_col);
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
                &date_col.name,
                cell(rec, date_col),
                format!("the session is outside the week commencing {monday}"),
            );
        }
    }
}
