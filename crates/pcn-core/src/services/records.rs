//! What a network records of the services it delivers: care home rounds,
//! care plans, and enhanced access sessions (the weekly plan and what was
//! delivered); the alignment of care homes to networks by date; and the
//! checks that need the registry and the roster, which a reader cannot make
//! alone (a round at a home not aligned to the network, an unknown post).
//!
//! Each record keeps the row it was read from, so a check's problem can name
//! the file, row and column at the import edge. The checks return every
//! problem, not the first.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::arrs::Post;
use crate::codes::PcnCode;
use crate::facts::CareHomeAlignment;
use crate::rulebook::{format_time, Minute};

/// A weekly round at a care home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareHomeRound {
    pub date: NaiveDate,
    /// CQC location id.
    pub location_id: String,
    /// The clinician: a post on the network's roster.
    pub post: i64,
    pub residents_reviewed: u32,
    /// The row of the file it came from.
    pub row: Option<u64>,
}

/// A new resident's personalised care and support plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePlanRecord {
    /// A pseudonymous reference chosen by the network (never a name or NHS number).
    pub resident: String,
    pub location_id: String,
    pub admitted: NaiveDate,
    /// `None` while no plan has been made.
    pub planned: Option<NaiveDate>,
    pub row: Option<u64>,
}

/// Face to face or remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionMode {
    FaceToFace,
    Remote,
}

impl SessionMode {
    /// `face-to-face`, `f2f`, `in person`; `remote`, `telephone`, `video`, `online`.
    pub fn parse(s: &str) -> Option<SessionMode> {
        let n = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        match n.as_str() {
            "face-to-face" | "f2f" | "in-person" | "facetoface" => Some(SessionMode::FaceToFace),
            "remote" | "telephone" | "phone" | "video" | "online" => Some(SessionMode::Remote),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SessionMode::FaceToFace => "face-to-face",
            SessionMode::Remote => "remote",
        }
    }
}

/// When a session runs: every week on a day (a plan), or on one date
/// (delivered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionDay {
    Weekly(Weekday),
    On(NaiveDate),
}

impl SessionDay {
    pub fn weekday(self) -> Weekday {
        match self {
            SessionDay::Weekly(d) => d,
            SessionDay::On(date) => date.weekday(),
        }
    }
}

/// An enhanced access (or extended hours) session, planned or delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSession {
    pub pcn: PcnCode,
    pub site: String,
    pub day: SessionDay,
    /// Minutes after midnight; `start < end` (a session does not cross midnight).
    pub start: Minute,
    pub end: Minute,
    pub post: i64,
    pub appointments: u32,
    pub mode: SessionMode,
    /// For a planned session: the first and last dates the plan row applies.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub row: Option<u64>,
}

impl AccessSession {
    /// Minutes from start to end.
    pub fn minutes(&self) -> u32 {
        u32::from(self.end.saturating_sub(self.start))
    }

    /// The date the session runs in `week`, if it does.
    pub fn date_in(&self, week: crate::services::Week) -> Option<NaiveDate> {
        let date = match self.day {
            SessionDay::On(d) => week.contains(d).then_some(d)?,
            SessionDay::Weekly(day) => week.day(u64::from(day.num_days_from_monday())),
        };
        let in_plan = self.from.is_none_or(|f| f <= date) && self.to.is_none_or(|t| date <= t);
        in_plan.then_some(date)
    }

    /// `Sat 09:00–12:00`.
    pub fn when(&self) -> String {
        let day = match self.day {
            SessionDay::Weekly(d) => format!("{d}"),
            SessionDay::On(d) => format!("{} {d}", d.weekday()),
        };
        format!(
            "{day} {}–{}",
            format_time(self.start),
            format_time(self.end)
        )
    }
}

/// Everything a services import contributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecords {
    #[serde(default)]
    pub rounds: Vec<CareHomeRound>,
    #[serde(default)]
    pub care_plans: Vec<CarePlanRecord>,
    #[serde(default)]
    pub planned_sessions: Vec<AccessSession>,
    #[serde(default)]
    pub delivered_sessions: Vec<AccessSession>,
}

impl ServiceRecords {
    pub fn len(&self) -> usize {
        self.rounds.len()
            + self.care_plans.len()
            + self.planned_sessions.len()
            + self.delivered_sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn extend(&mut self, other: ServiceRecords) {
        self.rounds.extend(other.rounds);
        self.care_plans.extend(other.care_plans);
        self.planned_sessions.extend(other.planned_sessions);
        self.delivered_sessions.extend(other.delivered_sessions);
    }

    /// The records in force, from records kept in the order they were
    /// made: a later record of the same round (home, date, clinician), care
    /// plan (resident, home, admission) or session (network, site, day or
    /// date, start, clinician, and for a plan row its first date) replaces
    /// an earlier one, so a plan date added after the admission, or a
    /// corrected session, is read as the latest said. The store keeps
    /// every record; this is how they are read.
    pub fn current(&self) -> ServiceRecords {
        ServiceRecords {
            rounds: latest(&self.rounds, round_key),
            care_plans: latest(&self.care_plans, plan_key),
            planned_sessions: latest(&self.planned_sessions, session_key),
            delivered_sessions: latest(&self.delivered_sessions, session_key),
        }
    }
}

/// What makes two rounds the same round.
pub fn round_key(r: &CareHomeRound) -> (&str, NaiveDate, i64) {
    (&r.location_id, r.date, r.post)
}

/// What makes two care plan records the same resident's admission.
pub fn plan_key(p: &CarePlanRecord) -> (&str, &str, NaiveDate) {
    (&p.resident, &p.location_id, p.admitted)
}

/// What makes two session records the same session.
pub fn session_key(
    s: &AccessSession,
) -> (&PcnCode, &str, SessionDay, Minute, i64, Option<NaiveDate>) {
    (&s.pcn, &s.site, s.day, s.start, s.post, s.from)
}

/// The last record of each key, in the order of their first appearance.
fn latest<'a, T: Clone, K: std::hash::Hash + Eq>(
    records: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> Vec<T> {
    let mut at: HashMap<K, usize> = HashMap::with_capacity(records.len());
    let mut out: Vec<T> = Vec::with_capacity(records.len());
    for r in records {
        match at.entry(key(r)) {
            std::collections::hash_map::Entry::Occupied(e) => out[*e.get()] = r.clone(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(r.clone());
            }
        }
    }
    out
}

/// A problem for each record whose key an earlier record of the same batch
/// already has: a file (or form) says each thing once.
fn duplicates<'a, T, K: std::hash::Hash + Eq>(
    records: &'a [T],
    key: impl Fn(&'a T) -> K,
    row: impl Fn(&T) -> Option<u64>,
    column: &'static str,
    value: impl Fn(&T) -> String,
    what: &str,
) -> Vec<RecordProblem> {
    let mut seen = HashSet::with_capacity(records.len());
    records
        .iter()
        .filter(|r| !seen.insert(key(r)))
        .map(|r| {
            problem(
                row(r),
                column,
                value(r),
                format!("the same {what} twice in the file"),
            )
        })
        .collect()
}

/// Which network each care home is aligned to, by date, by the registry's
/// rule: the alignment with the latest start on or before the date, unless
/// its (inclusive) end has passed.
#[derive(Debug, Clone, Default)]
pub struct Alignments {
    by_home: HashMap<String, Vec<CareHomeAlignment>>,
}

impl Alignments {
    pub fn new(alignments: &[CareHomeAlignment]) -> Alignments {
        let mut by_home: HashMap<String, Vec<CareHomeAlignment>> = HashMap::new();
        for a in alignments {
            by_home
                .entry(a.location_id.clone())
                .or_default()
                .push(a.clone());
        }
        for v in by_home.values_mut() {
            v.sort_by_key(|a| a.from);
        }
        Alignments { by_home }
    }

    /// The network a home is aligned to on a date.
    pub fn network_on(&self, location_id: &str, date: NaiveDate) -> Option<&PcnCode> {
        self.by_home
            .get(location_id)?
            .iter()
            .rev()
            .find(|a| a.from <= date)
            .filter(|a| a.to.is_none_or(|t| t >= date))
            .map(|a| &a.pcn)
    }

    /// Every home ever aligned, with its alignments (ascending by start).
    pub fn homes(&self) -> impl Iterator<Item = (&str, &[CareHomeAlignment])> {
        self.by_home.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn knows(&self, location_id: &str) -> bool {
        self.by_home.contains_key(location_id)
    }
}

/// A problem with one record, naming the column (as in pcn's CSV formats)
/// and the value, for the import edge to put with the file name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordProblem {
    pub row: Option<u64>,
    pub column: &'static str,
    pub value: String,
    pub message: String,
}

impl std::fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(r) = self.row {
            write!(f, "row {r}, ")?;
        }
        write!(
            f,
            "column {}, value {:?}: {}",
            self.column, self.value, self.message
        )
    }
}

fn problem(
    row: Option<u64>,
    column: &'static str,
    value: impl ToString,
    message: String,
) -> RecordProblem {
    RecordProblem {
        row,
        column,
        value: value.to_string(),
        message,
    }
}

fn post_index(posts: &[Post]) -> HashMap<i64, &Post> {
    posts.iter().map(|p| (p.id, p)).collect()
}

/// The post `id` a record of `row` names, when it is on the roster and, if
/// `pcn` is given, on that network's; otherwise the problem with its
/// `post_id`.
fn rostered_post<'a>(
    posts: &HashMap<i64, &'a Post>,
    row: Option<u64>,
    id: i64,
    pcn: Option<&PcnCode>,
) -> Result<&'a Post, RecordProblem> {
    let Some(post) = posts.get(&id).copied() else {
        return Err(problem(
            row,
            "post_id",
            id,
            "no such post on the roster".into(),
        ));
    };
    if let Some(pcn) = pcn.filter(|p| **p != post.pcn) {
        return Err(problem(
            row,
            "post_id",
            id,
            format!("post {} is on {}'s roster, not {pcn}'s", post.id, post.pcn),
        ));
    }
    Ok(post)
}

/// Checks rounds against the roster and the alignments: the post must
/// exist and be in post on the date; when `pcn` is given (the network the
/// file is imported for) the post must be that network's; and the home
/// must be aligned, on the round's date, to the post's network.
pub fn validate_rounds(
    rounds: &[CareHomeRound],
    alignments: &Alignments,
    posts: &[Post],
    pcn: Option<&PcnCode>,
) -> Vec<RecordProblem> {
    let posts = post_index(posts);
    let mut out = Vec::new();
    for r in rounds {
        let post = match rostered_post(&posts, r.row, r.post, pcn) {
            Ok(post) => post,
            Err(p) => {
                out.push(p);
                continue;
            }
        };
        if !post.covers(r.date) {
            out.push(problem(
                r.row,
                "date",
                r.date,
                format!(
                    "post {} is not in post on {} (from {}{})",
                    post.id,
                    r.date,
                    post.start,
                    post.end.map(|e| format!(" to {e}")).unwrap_or_default()
                ),
            ));
        }
        match alignments.network_on(&r.location_id, r.date) {
            Some(n) if *n == post.pcn => {}
            Some(n) => out.push(problem(
                r.row,
                "location_id",
                &r.location_id,
                format!(
                    "the care home is aligned to {n} on {}, not to {}",
                    r.date, post.pcn
                ),
            )),
            None => out.push(problem(
                r.row,
                "location_id",
                &r.location_id,
                format!("the care home is not aligned to any network on {}", r.date),
            )),
        }
    }
    out.extend(duplicates(
        rounds,
        round_key,
        |r| r.row,
        "date",
        |r| r.date.to_string(),
        "round (home, date and clinician)",
    ));
    out.sort_by_key(|p| p.row);
    out
}

/// Checks care plans: the plan is not before the admission; the home is
/// aligned to a network (to `pcn`, when given) on the admission date; a
/// resident is admitted to a home once a day.
pub fn validate_care_plans(
    plans: &[CarePlanRecord],
    alignments: &Alignments,
    pcn: Option<&PcnCode>,
) -> Vec<RecordProblem> {
    let mut out = Vec::new();
    let mut seen: HashSet<(&str, &str, NaiveDate)> = HashSet::new();
    for p in plans {
        if p.planned.is_some_and(|d| d < p.admitted) {
            out.push(problem(
                p.row,
                "plan_date",
                p.planned.map(|d| d.to_string()).unwrap_or_default(),
                format!("the plan is dated before the admission ({})", p.admitted),
            ));
        }
        if !seen.insert((&p.resident, &p.location_id, p.admitted)) {
            out.push(problem(
                p.row,
                "resident",
                &p.resident,
                format!(
                    "admitted to {} on {} twice in the file",
                    p.location_id, p.admitted
                ),
            ));
        }
        match (alignments.network_on(&p.location_id, p.admitted), pcn) {
            (None, _) => out.push(problem(
                p.row,
                "location_id",
                &p.location_id,
                format!(
                    "the care home is not aligned to any network on {}",
                    p.admitted
                ),
            )),
            (Some(n), Some(want)) if n != want => out.push(problem(
                p.row,
                "location_id",
                &p.location_id,
                format!(
                    "the care home is aligned to {n} on {}, not to {want}",
                    p.admitted
                ),
            )),
            _ => {}
        }
    }
    out
}

/// Checks sessions against the roster: the post must exist, be the
/// session's network's, and be in post on the session's date (a delivered
/// session) or at some point of the plan row (a planned one).
pub fn validate_sessions(sessions: &[AccessSession], posts: &[Post]) -> Vec<RecordProblem> {
    let posts = post_index(posts);
    let mut out = Vec::new();
    for s in sessions {
        let post = match rostered_post(&posts, s.row, s.post, Some(&s.pcn)) {
            Ok(post) => post,
            Err(p) => {
                out.push(p);
                continue;
            }
        };
        match s.day {
            SessionDay::On(date) if !post.covers(date) => out.push(problem(
                s.row,
                "date",
                date,
                format!("post {} is not in post on {date}", post.id),
            )),
            SessionDay::Weekly(_) => {
                let plan_from = s.from.unwrap_or(post.start);
                let ends_before = s.to.is_some_and(|t| t < post.start);
                let starts_after = post.end.is_some_and(|e| plan_from > e);
                if ends_before || starts_after {
                    out.push(problem(
                        s.row,
                        "post_id",
                        s.post,
                        format!(
                            "post {} is not in post while this plan row applies",
                            post.id
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    out.extend(duplicates(
        sessions,
        session_key,
        |r| r.row,
        "start",
        |r| format_time(r.start),
        "session (network, site, day, start and clinician)",
    ));
    out.sort_by_key(|p| p.row);
    out
}
