//! Enhanced Health in Care Homes: whether each aligned care home had its
//! weekly round, and whether each new resident's care plan was made within
//! the working days the specification allows.
//!
//! Rules (also in the rule files' notes):
//! - **Which network owes a week.** A home's round in a week is owed by the
//!   network it is aligned to on the Monday; a home first aligned part way
//!   through a week is owed by that network from that week. So in the week
//!   a home changes network, the network it left owes the round, and from
//!   the next week the new one does.
//! - **What meets it.** Any round at the home during the week (Monday to
//!   Sunday). Rounds are checked at import ([`super::validate_rounds`]): a
//!   round is only accepted for a day the home is aligned to the clinician's
//!   network, so a round by the new network before its alignment starts is
//!   refused rather than counted.
//! - **Bank holidays** do not excuse a week (no exemption was found); the
//!   week's bank holidays are shown with it.
//! - **Care plans.** The deadline is the Nth working day after the admission
//!   day (N = 7), skipping weekends and bank holidays; a plan on or before the
//!   deadline is on time. A plan not yet made is due until the deadline
//!   passes the as-at date, then overdue. A deadline that depends on a year
//!   whose bank holidays the rulebook does not have is marked.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use super::calendar::{Calendar, Week};
use super::records::{Alignments, CareHomeRound, CarePlanRecord};
use crate::codes::PcnCode;

/// One care home in one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeWeek {
    pub location_id: String,
    pub week: Week,
    /// The network that owes this week's round.
    pub pcn: PcnCode,
    pub rounds: u32,
    pub residents_reviewed: u32,
    pub met: bool,
    pub bank_holidays: Vec<NaiveDate>,
}

/// The network that owes a home's round in a week (see the module doc).
pub fn owing_network<'a>(
    alignments: &'a Alignments,
    location_id: &str,
    week: Week,
) -> Option<&'a PcnCode> {
    week.days()
        .find_map(|d| alignments.network_on(location_id, d))
}

/// Every (home, week) a round is owed in, in home then week order, with
/// the rounds recorded.
pub fn round_compliance(
    alignments: &Alignments,
    rounds: &[CareHomeRound],
    weeks: &[Week],
    calendar: &Calendar,
) -> Vec<HomeWeek> {
    let mut done: HashMap<(&str, Week), (u32, u32)> = HashMap::new();
    for r in rounds {
        let e = done
            .entry((r.location_id.as_str(), Week::of(r.date)))
            .or_default();
        e.0 += 1;
        e.1 = e.1.saturating_add(r.residents_reviewed);
    }
    let holidays: Vec<Vec<NaiveDate>> = weeks.iter().map(|w| calendar.holidays_in(*w)).collect();
    let mut homes: Vec<&str> = alignments.homes().map(|(h, _)| h).collect();
    homes.sort_unstable();
    let mut out = Vec::new();
    for home in homes {
        for (i, week) in weeks.iter().enumerate() {
            let Some(pcn) = owing_network(alignments, home, *week) else {
                continue;
            };
            let (n, reviewed) = done.get(&(home, *week)).copied().unwrap_or_default();
            out.push(HomeWeek {
                location_id: home.to_string(),
                week: *week,
                pcn: pcn.clone(),
                rounds: n,
                residents_reviewed: reviewed,
                met: n > 0,
                bank_holidays: holidays[i].clone(),
            });
        }
    }
    out
}

/// A network's rounds over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoundSummary {
    /// Home-weeks owed.
    pub owed: u32,
    pub met: u32,
    /// Homes with at least one week missed, and how many weeks.
    pub missed: BTreeMap<String, u32>,
}

/// Totals per network from [`round_compliance`].
pub fn summarise_rounds(weeks: &[HomeWeek]) -> BTreeMap<PcnCode, RoundSummary> {
    let mut out: BTreeMap<PcnCode, RoundSummary> = BTreeMap::new();
    for hw in weeks {
        let s = out.entry(hw.pcn.clone()).or_default();
        s.owed += 1;
        if hw.met {
            s.met += 1;
        } else {
            *s.missed.entry(hw.location_id.clone()).or_default() += 1;
        }
    }
    out
}

/// Whether a care plan was (or is being) made in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanStatus {
    OnTime,
    Late,
    /// Not made yet; the deadline has not passed.
    Due,
    /// Not made and the deadline has passed.
    Overdue,
}

/// One resident's plan against its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanCheck {
    pub resident: String,
    pub location_id: String,
    /// The network the home was aligned to on the admission date.
    pub pcn: Option<PcnCode>,
    pub admitted: NaiveDate,
    pub planned: Option<NaiveDate>,
    pub deadline: NaiveDate,
    pub status: PlanStatus,
    /// Working days from admission to the plan (or to the as-at date).
    pub working_days: u32,
    /// Working days past the deadline (0 when on time or due).
    pub working_days_late: u32,
    /// False when a year the deadline crosses has no bank holidays in the rulebook.
    pub calendar_known: bool,
    pub row: Option<u64>,
}

/// Checks each plan against `working_days` working days from admission, as at `as_at`.
pub fn care_plan_timeliness(
    plans: &[CarePlanRecord],
    alignments: &Alignments,
    calendar: &Calendar,
    working_days: u32,
    as_at: NaiveDate,
) -> Vec<PlanCheck> {
    plans
        .iter()
        .map(|p| {
            let (deadline, known) = calendar.add_working_days(p.admitted, working_days);
            let end = p.planned.unwrap_or(as_at);
            let taken = calendar.working_days_between(p.admitted, end);
            let late = calendar.working_days_between(deadline, end);
            let status = match p.planned {
                Some(d) if d <= deadline => PlanStatus::OnTime,
                Some(_) => PlanStatus::Late,
                None if as_at <= deadline => PlanStatus::Due,
                None => PlanStatus::Overdue,
            };
            PlanCheck {
                resident: p.resident.clone(),
                location_id: p.location_id.clone(),
                pcn: alignments.network_on(&p.location_id, p.admitted).cloned(),
                admitted: p.admitted,
                planned: p.planned,
                deadline,
                status,
                working_days: taken,
                working_days_late: if matches!(status, PlanStatus::Late | PlanStatus::Overdue) {
                    late
                } else {
                    0
                },
                calendar_known: known,
                row: p.row,
            }
        })
        .collect()
}
