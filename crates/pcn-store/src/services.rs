//! The services networks deliver (migration 0011): care home rounds, care
//! plans and enhanced access sessions, written with their import or entered
//! one at a time (each with its audit row), and care home alignments
//! entered one at a time. Read back in the order recorded, every record kept
//! (`pcn_core::services::ServiceRecords::current` picks the latest of each).

use chrono::{DateTime, Utc};
use pcn_core::facts::{CareHomeAlignment, FactBatch};
use pcn_core::rulebook::parse_weekday;
use pcn_core::services::{
    AccessSession, CareHomeRound, CarePlanRecord, ServiceRecords, SessionDay, SessionMode,
};
use sqlx::AnyConnection;

use crate::audit::AuditChange;
use crate::error::{Error, Result};
use crate::rows::{from_columns, Columns};
use crate::write::{count, fetch_mapped, int, opt_text, text, Value, Write};
use crate::Store;

const ROUND_COLUMNS: &str = "import_id, source_row, location_id, round_date, post_id, \
     residents_reviewed, recorded_at, recorded_by";
const PLAN_COLUMNS: &str = "import_id, source_row, resident, location_id, admitted, planned, \
     recorded_at, recorded_by";
const SESSION_COLUMNS: &str = "import_id, source_row, kind, pcn_code, site, weekday, \
     session_date, start_minute, end_minute, post_id, appointments, mode, plan_from, plan_to, \
     recorded_at, recorded_by";
/// The order records are read in: as recorded, an import's rows in file order.
const RECORDED_ORDER: &str =
    "ORDER BY recorded_at, COALESCE(import_id, 0), COALESCE(source_row, 0)";

/// Who wrote a batch of records, from which import (if any).
struct Origin {
    import_id: Option<i64>,
    at: String,
    by: String,
}

impl Origin {
    fn lead(&self, row: Option<u64>) -> Result<Vec<Value>> {
        Ok(vec![
            Value::Int(self.import_id),
            match row {
                Some(r) => count(r)?,
                None => Value::Int(None),
            },
        ])
    }

    fn tail(&self) -> [Value; 2] {
        [text(&self.at), text(&self.by)]
    }
}

fn round_row(o: &Origin, r: &CareHomeRound) -> Result<Vec<Value>> {
    let mut row = o.lead(r.row)?;
    row.extend([
        text(&r.location_id),
        text(r.date),
        int(r.post),
        int(i64::from(r.residents_reviewed)),
    ]);
    row.extend(o.tail());
    Ok(row)
}

fn plan_row(o: &Origin, p: &CarePlanRecord) -> Result<Vec<Value>> {
    let mut row = o.lead(p.row)?;
    row.extend([
        text(&p.resident),
        text(&p.location_id),
        text(p.admitted),
        opt_text(&p.planned),
    ]);
    row.extend(o.tail());
    Ok(row)
}

fn session_row(o: &Origin, kind: &str, s: &AccessSession) -> Result<Vec<Value>> {
    let (weekday, date) = match s.day {
        SessionDay::Weekly(d) => (Some(weekday_name(d)), None),
        SessionDay::On(d) => (None, Some(d)),
    };
    let mut row = o.lead(s.row)?;
    row.extend([
        text(kind),
        text(&s.pcn),
        text(&s.site),
        Value::Text(weekday.map(str::to_string)),
        opt_text(&date),
        int(i64::from(s.start)),
        int(i64::from(s.end)),
        int(s.post),
        int(i64::from(s.appointments)),
        text(s.mode.as_str()),
        opt_text(&s.from),
        opt_text(&s.to),
    ]);
    row.extend(o.tail());
    Ok(row)
}

fn weekday_name(d: chrono::Weekday) -> &'static str {
    match d {
        chrono::Weekday::Mon => "mon",
        chrono::Weekday::Tue => "tue",
        chrono::Weekday::Wed => "wed",
        chrono::Weekday::Thu => "thu",
        chrono::Weekday::Fri => "fri",
        chrono::Weekday::Sat => "sat",
        chrono::Weekday::Sun => "sun",
    }
}

/// Writes every service record of a batch.
async fn write_records(w: &mut Write<'_>, o: &Origin, records: &ServiceRecords) -> Result<()> {
    let rounds = records.rounds.iter().map(|r| round_row(o, r));
    w.insert_rows(
        "care_home_round",
        ROUND_COLUMNS,
        rounds.collect::<Result<_>>()?,
    )
    .await?;
    let plans = records.care_plans.iter().map(|p| plan_row(o, p));
    w.insert_rows("care_plan", PLAN_COLUMNS, plans.collect::<Result<_>>()?)
        .await?;
    let sessions = (records.planned_sessions.iter().map(|s| ("planned", s)))
        .chain(records.delivered_sessions.iter().map(|s| ("delivered", s)))
        .map(|(kind, s)| session_row(o, kind, s));
    w.insert_rows(
        "access_session",
        SESSION_COLUMNS,
        sessions.collect::<Result<_>>()?,
    )
    .await
}

/// Writes the service records of an import, in its transaction.
pub(crate) async fn write_services(
    w: &mut Write<'_>,
    import_id: i64,
    facts: &FactBatch,
) -> Result<()> {
    let origin = Origin {
        import_id: Some(import_id),
        at: w.at_text(),
        by: w.actor.to_string(),
    };
    write_records(w, &origin, &facts.services).await
}

/// One audit row per record entered.
fn audit_rows(records: &ServiceRecords) -> Vec<AuditChange> {
    let mut out = Vec::new();
    for r in &records.rounds {
        out.push(
            AuditChange::new(
                "recorded",
                "care-home-round",
                format!("{} {}", r.location_id, r.date),
            )
            .after(Some(format!(
                "post {}, {} residents reviewed",
                r.post, r.residents_reviewed
            ))),
        );
    }
    for p in &records.care_plans {
        out.push(
            AuditChange::new(
                "recorded",
                "care-plan",
                format!("{} {} admitted {}", p.location_id, p.resident, p.admitted),
            )
            .after(Some(
                p.planned
                    .map_or("no plan yet".to_string(), |d| format!("planned {d}")),
            )),
        );
    }
    for (kind, sessions) in [
        ("planned", &records.planned_sessions),
        ("delivered", &records.delivered_sessions),
    ] {
        for s in sessions {
            out.push(
                AuditChange::new(
                    "recorded",
                    "access-session",
                    format!("{} {} {}", s.pcn, s.site, s.when()),
                )
                .after(Some(format!(
                    "{kind}: post {}, {} appointments, {}",
                    s.post,
                    s.appointments,
                    s.mode.as_str()
                ))),
            );
        }
    }
    out
}

impl Store {
    /// Records rounds, care plans or sessions entered one at a time (checked
    /// by the caller against the registry and the roster), each with its
    /// audit row, in one transaction.
    pub async fn record_services(
        &self,
        records: &ServiceRecords,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        if records.is_empty() {
            return Err(Error::Invalid("nothing to record".into()));
        }
        let mut w = self.write(at, actor).await?;
        let origin = Origin {
            import_id: None,
            at: w.at_text(),
            by: actor.to_string(),
        };
        write_records(&mut w, &origin, records).await?;
        for change in audit_rows(records) {
            w.audit(change).await?;
        }
        w.commit().await
    }

    /// Aligns a care home to a network from a date (to a date, when given),
    /// with its audit row. The alignment in force on a date is the one with
    /// the latest start on or before it, so a move to another network needs
    /// no end to the old one; an end alone is an alignment to the same
    /// network with the same start and an end.
    pub async fn align_care_home(
        &self,
        alignment: &CareHomeAlignment,
        before: Option<&CareHomeAlignment>,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut w = self.write(at, actor).await?;
        let at_text = w.at_text();
        w.insert_rows(
            "care_home_alignment_entry",
            "location_id, pcn_code, aligned_from, aligned_to, recorded_at, recorded_by",
            vec![vec![
                text(&alignment.location_id),
                text(&alignment.pcn),
                text(alignment.from),
                opt_text(&alignment.to),
                text(at_text),
                text(actor),
            ]],
        )
        .await?;
        let describe = |a: &CareHomeAlignment| {
            format!(
                "{} from {}{}",
                a.pcn,
                a.from,
                a.to.map(|t| format!(" to {t}")).unwrap_or_default()
            )
        };
        w.audit(
            AuditChange::new("aligned", "care-home-alignment", &alignment.location_id)
                .before(before.map(describe))
                .after(Some(describe(alignment))),
        )
        .await?;
        w.commit().await
    }
}

/// Every service record, in the order recorded.
pub(crate) async fn load_services(conn: &mut AnyConnection) -> Result<ServiceRecords> {
    let sql = format!(
        "SELECT location_id, round_date, post_id, residents_reviewed, source_row FROM care_home_round {RECORDED_ORDER}"
    );
    let rounds = fetch_mapped(conn, sqlx::query(&sql), "care_home_round", |c| {
        Ok(from_columns!(c => CareHomeRound {
            date: parse("round_date"), location_id: text, post: int("post_id"),
            residents_reviewed: count, row: opt_count("source_row"),
        }))
    })
    .await?;
    let sql = format!(
        "SELECT resident, location_id, admitted, planned, source_row FROM care_plan {RECORDED_ORDER}"
    );
    let care_plans = fetch_mapped(conn, sqlx::query(&sql), "care_plan", |c| {
        Ok(from_columns!(c => CarePlanRecord {
            resident: text, location_id: text, admitted: parse, planned: opt_parse,
            row: opt_count("source_row"),
        }))
    })
    .await?;
    let sql = format!(
        "SELECT kind, pcn_code, site, weekday, session_date, start_minute, end_minute, post_id, \
         appointments, mode, plan_from, plan_to, source_row FROM access_session {RECORDED_ORDER}"
    );
    let sessions = fetch_mapped(conn, sqlx::query(&sql), "access_session", |c| {
        Ok((c.text("kind")?, session(c)?))
    })
    .await?;
    let mut records = ServiceRecords {
        rounds,
        care_plans,
        ..ServiceRecords::default()
    };
    for (kind, s) in sessions {
        match kind.as_str() {
            "planned" => records.planned_sessions.push(s),
            _ => records.delivered_sessions.push(s),
        }
    }
    Ok(records)
}

fn session(c: &Columns) -> Result<AccessSession> {
    let day = match (c.opt_text("weekday")?, c.opt_parse("session_date")?) {
        (_, Some(d)) => SessionDay::On(d),
        (Some(w), None) => SessionDay::Weekly(c.named("weekday", |_| parse_weekday(&w))?),
        (None, None) => return Err(Error::corrupt("access_session", "weekday", "", None)),
    };
    let (start, end) = (c.count("start_minute")?, c.count("end_minute")?);
    Ok(from_columns!(c => AccessSession {
        pcn: parse("pcn_code"), site: text, day => day, start => start,
        end => end, post: int("post_id"), appointments: count,
        mode => c.named("mode", SessionMode::parse)?, from: opt_parse("plan_from"),
        to: opt_parse("plan_to"), row: opt_count("source_row"),
    }))
}

/// Care home alignments, imported and entered, in the order recorded.
pub(crate) async fn load_alignments(conn: &mut AnyConnection) -> Result<Vec<CareHomeAlignment>> {
    let query = sqlx::query(
        "SELECT a.location_id, a.pcn_code, a.aligned_from, a.aligned_to, i.imported_at AS recorded_at, \
         a.import_id AS seq FROM care_home_alignment a JOIN import_log i ON i.id = a.import_id \
         UNION ALL SELECT location_id, pcn_code, aligned_from, aligned_to, recorded_at, CAST(0 AS BIGINT) AS seq \
         FROM care_home_alignment_entry ORDER BY recorded_at, seq, location_id, aligned_from",
    );
    fetch_mapped(conn, query, "care_home_alignment", |c| {
        Ok(from_columns!(c => CareHomeAlignment {
            location_id: text, pcn: parse("pcn_code"), from: parse("aligned_from"),
            to: opt_parse("aligned_to"),
        }))
    })
    .await
}

/// How many records were entered one at a time (not with an import), for
/// the registry cache's key: imports are counted already.
pub(crate) const ENTRIES_COUNT: &str =
    "(SELECT COUNT(*) FROM care_home_round WHERE import_id IS NULL) \
     + (SELECT COUNT(*) FROM care_plan WHERE import_id IS NULL) \
     + (SELECT COUNT(*) FROM access_session WHERE import_id IS NULL) \
     + (SELECT COUNT(*) FROM care_home_alignment_entry)";
