//! The services view: for a network (or every network in scope) and a run
//! of weeks, the requirements in force, compliance per care home and week,
//! care plan timeliness, enhanced access minutes against the requirement
//! and the sessions' cost against the payment, capacity by role against the
//! hours required, each service's income against its staff cost, and plain
//! answers. It assembles the other modules' answers; it decides nothing of
//! its own beyond which population a week uses.
//!
//! - **Populations.** A week's adjusted population and registered list are
//!   those the payments use: as at the DES population date of the week's
//!   financial year (1 January before it), so the minutes required and the
//!   enhanced access payment rest on the same figure.
//! - **Care homes.** The homes and beds of a network in a week are those
//!   aligned to it on the Monday (the CQC record nearest the Monday gives
//!   the beds); a week's care home premium for one home is the network's
//!   weekly premium × the home's share of the beds.
//! - **Indexing.** Everything is indexed once per call (alignments, homes per
//!   network and week, posts and sessions per network), so every network of
//!   England costs one pass over the records, not one per network.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::access::{access_week, required_minutes, AccessInputs, AccessWeek};
use super::calendar::{Calendar, Week};
use super::capacity::{capacity, Capacity, NetworkWeek};
use super::care_homes::{
    care_plan_timeliness, round_compliance, summarise_rounds, HomeWeek, PlanCheck, PlanStatus,
    RoundSummary,
};
use super::costs::PostCosts;
use super::records::{AccessSession, Alignments, ServiceRecords};
use crate::arrs::Post;
use crate::codes::PcnCode;
use crate::money::Pence;
use crate::payrun::population_date;
use crate::registry::Registry;
use crate::rulebook::{Basis, FinancialYear, Measure, Rulebook, ServiceSpec};
use crate::text::{grouped, thousands};

/// The stream that pays per bed of the aligned care homes.
pub const CARE_HOME_PREMIUM: &str = "care-home-premium";

/// A network's income in a week from the payment streams named.
pub type IncomeOf<'a> = dyn Fn(&PcnCode, &[String], Week) -> Option<Pence> + 'a;

/// What the view is worked out from. `records` are the records in force
/// ([`ServiceRecords::current`]); `posts` the rosters of the networks in
/// scope; `costs` must cost them for the weeks' years.
pub struct ServicesInput<'a> {
    pub rulebook: &'a Rulebook,
    pub registry: &'a Registry,
    pub records: &'a ServiceRecords,
    pub posts: &'a [Post],
    pub costs: &'a PostCosts,
    pub weeks: &'a [Week],
    /// The day care plans not yet made are judged due or overdue on.
    pub as_at: NaiveDate,
    /// A network's registered list for a year (extended hours, before
    /// October 2022, is per 1,000 registered patients).
    pub registered: &'a dyn Fn(&PcnCode, FinancialYear) -> Option<Decimal>,
    /// A network's income in a week from the payment streams named.
    pub income: &'a IncomeOf<'a>,
}

/// A care home in a week, as its network sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeLine {
    #[serde(flatten)]
    pub week: HomeWeek,
    pub name: Option<String>,
    pub beds: Option<u32>,
    /// The home's share of the network's care home premium that week.
    pub premium: Option<Pence>,
}

/// One week of a network's services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicesWeek {
    pub week: Week,
    pub inputs: NetworkWeek,
    pub capacity: Capacity,
    /// The appointment-minutes specification in force (enhanced access, or
    /// extended hours before October 2022); `None` when neither is.
    pub access: Option<AccessWeek>,
    pub homes_owed: u32,
    pub homes_met: u32,
}

/// A network's services over a run of weeks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkServices {
    pub pcn: PcnCode,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub weeks: Vec<ServicesWeek>,
    /// Each aligned home in each week, home then week.
    pub homes: Vec<HomeLine>,
    /// Care plans of admissions to homes aligned to the network on the day,
    /// admitted in the weeks shown or still open.
    pub plans: Vec<PlanCheck>,
    pub rounds: RoundSummary,
    /// Weeks the rulebook has no year for (nothing is worked out for them).
    pub weeks_without_rules: Vec<Week>,
    /// Plain answers, most important first.
    pub answers: Vec<String>,
}

/// One network's line in a commissioner's (or England's) view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplianceRow {
    pub pcn: PcnCode,
    pub weeks: u32,
    pub homes: u32,
    pub rounds_owed: u32,
    pub rounds_met: u32,
    pub plans_on_time: u32,
    pub plans_late: u32,
    pub plans_overdue: u32,
    pub plans_due: u32,
    /// Minutes required over the weeks (`None` when the population is unknown).
    pub access_required: Option<Decimal>,
    pub access_planned: u32,
    pub access_delivered: u32,
    /// Weeks whose delivered (or, with nothing delivered, planned) minutes
    /// fall short of the requirement.
    pub access_weeks_short: u32,
    /// Weeks the roster cannot give the hours required.
    pub weeks_short_of_staff: u32,
    pub answer: String,
}

/// The indexes every network's view reads.
pub struct ServicesIndex<'a> {
    input: &'a ServicesInput<'a>,
    calendar: Calendar,
    alignments: Alignments,
    homes: HashMap<PcnCode, Vec<HomeWeek>>,
    plans: HashMap<PcnCode, Vec<PlanCheck>>,
    /// (network, week) → (homes, beds, homes with unknown beds).
    beds: HashMap<(PcnCode, Week), (u32, u64, u32)>,
    posts: HashMap<&'a PcnCode, Vec<Post>>,
    planned: HashMap<&'a PcnCode, Vec<AccessSession>>,
    delivered: HashMap<&'a PcnCode, Vec<AccessSession>>,
}

fn group<'a, T: Clone>(
    items: &'a [T],
    key: impl Fn(&'a T) -> &'a PcnCode,
) -> HashMap<&'a PcnCode, Vec<T>> {
    let mut out: HashMap<&PcnCode, Vec<T>> = HashMap::new();
    for i in items {
        out.entry(key(i)).or_default().push(i.clone());
    }
    out
}

impl<'a> ServicesIndex<'a> {
    /// Indexes the input: compliance for every aligned home and week, plan
    /// timeliness for every plan, homes and beds per network and week.
    pub fn new(input: &'a ServicesInput<'a>) -> ServicesIndex<'a> {
        let calendar = Calendar::from_rulebook(input.rulebook);
        let all: Vec<_> = input.registry.care_home_alignments().cloned().collect();
        let alignments = Alignments::new(&all);
        let mut homes: HashMap<PcnCode, Vec<HomeWeek>> = HashMap::new();
        for hw in round_compliance(&alignments, &input.records.rounds, input.weeks, &calendar) {
            homes.entry(hw.pcn.clone()).or_default().push(hw);
        }
        let working_days = plan_working_days(input.rulebook, input.as_at);
        let mut plans: HashMap<PcnCode, Vec<PlanCheck>> = HashMap::new();
        for p in care_plan_timeliness(
            &input.records.care_plans,
            &alignments,
            &calendar,
            working_days,
            input.as_at,
        ) {
            if let Some(n) = p.pcn.clone() {
                plans.entry(n).or_default().push(p);
            }
        }
        let mut beds: HashMap<(PcnCode, Week), (u32, u64, u32)> = HashMap::new();
        for &week in input.weeks {
            for (home, _) in alignments.homes() {
                let Some(n) = alignments.network_on(home, week.monday()) else {
                    continue;
                };
                let e = beds.entry((n.clone(), week)).or_default();
                e.0 += 1;
                match input.registry.care_home(home, week.monday()) {
                    Some(h) => e.1 += u64::from(h.beds),
                    None => e.2 += 1,
                }
            }
        }
        ServicesIndex {
            input,
            calendar,
            alignments,
            homes,
            plans,
            beds,
            posts: group(input.posts, |p| &p.pcn),
            planned: group(&input.records.planned_sessions, |s| &s.pcn),
            delivered: group(&input.records.delivered_sessions, |s| &s.pcn),
        }
    }

    /// The alignments the view used.
    pub fn alignments(&self) -> &Alignments {
        &self.alignments
    }

    /// A network's services over the weeks.
    pub fn network(&self, pcn: &PcnCode) -> NetworkServices {
        let input = self.input;
        let posts = self.posts.get(pcn).map(Vec::as_slice).unwrap_or_default();
        let mut weeks = Vec::new();
        let mut weeks_without_rules = Vec::new();
        for &week in input.weeks {
            match self.week(pcn, week, posts) {
                Some(w) => weeks.push(w),
                None => weeks_without_rules.push(week),
            }
        }
        let homes = self.home_lines(pcn);
        let plans: Vec<PlanCheck> = self
            .plans
            .get(pcn)
            .map(|v| {
                let first = input.weeks.first().map(|w| w.monday());
                let last = input.weeks.last().map(|w| w.sunday());
                v.iter()
                    .filter(|p| last.is_none_or(|l| p.admitted <= l))
                    .filter(|p| {
                        first.is_none_or(|f| p.admitted >= f)
                            || matches!(p.status, PlanStatus::Due | PlanStatus::Overdue)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let rounds = summarise_rounds(&homes.iter().map(|h| h.week.clone()).collect::<Vec<_>>())
            .remove(pcn)
            .unwrap_or_default();
        let mut out = NetworkServices {
            pcn: pcn.clone(),
            from: input.weeks.first().map_or(input.as_at, |w| w.monday()),
            to: input.weeks.last().map_or(input.as_at, |w| w.sunday()),
            weeks,
            homes,
            plans,
            rounds,
            weeks_without_rules,
            answers: Vec::new(),
        };
        out.answers = answers(&out, self.input.registry);
        out
    }

    /// A network's line for a commissioner's view.
    pub fn row(&self, pcn: &PcnCode) -> ComplianceRow {
        compliance_row(&self.network(pcn))
    }

    fn week(&self, pcn: &PcnCode, week: Week, posts: &[Post]) -> Option<ServicesWeek> {
        let input = self.input;
        let fy = FinancialYear::containing(week.monday());
        let rules = &input.rulebook.financial_year(fy).ok()?.services;
        let (homes, beds, unknown) = self
            .beds
            .get(&(pcn.clone(), week))
            .copied()
            .unwrap_or_default();
        let adjusted = input
            .registry
            .adjusted_population(pcn, population_date(fy))
            .map(|(_, v)| v);
        let registered = (input.registered)(pcn, fy);
        let inputs = NetworkWeek {
            pcn: pcn.clone(),
            week,
            adjusted_population: adjusted,
            registered_list: registered,
            // Beds are unknown when an aligned home has no CQC record.
            care_home_beds: (unknown == 0).then_some(beds),
            aligned_homes: homes,
        };
        let income = |streams: &[String]| (input.income)(pcn, streams, week);
        let capacity = capacity(rules, &inputs, posts, input.costs, &income);
        let access = access_spec(rules.specs_on(week.monday())).map(|(spec, basis)| {
            let population = match basis {
                Basis::RegisteredList => registered,
                _ => adjusted,
            };
            access_week(&AccessInputs {
                spec,
                pcn,
                week,
                population,
                planned: self.planned.get(pcn).map(Vec::as_slice).unwrap_or_default(),
                delivered: self
                    .delivered
                    .get(pcn)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
                posts,
                costs: input.costs,
                hours_per_wte_week: rules
                    .value(crate::rulebook::assumption_ids::HOURS_PER_WTE_WEEK)
                    .unwrap_or_default(),
                payment: income(&spec.income_streams),
                calendar: &self.calendar,
            })
        });
        let mine = self.homes.get(pcn);
        let this_week = || mine.into_iter().flatten().filter(move |h| h.week == week);
        Some(ServicesWeek {
            week,
            inputs,
            capacity,
            access,
            homes_owed: this_week().count() as u32,
            homes_met: this_week().filter(|h| h.met).count() as u32,
        })
    }

    fn home_lines(&self, pcn: &PcnCode) -> Vec<HomeLine> {
        let input = self.input;
        let mut premium_of_week: BTreeMap<Week, Option<Pence>> = BTreeMap::new();
        self.homes
            .get(pcn)
            .into_iter()
            .flatten()
            .map(|hw| {
                let home = input.registry.care_home(&hw.location_id, hw.week.monday());
                let premium = *premium_of_week
                    .entry(hw.week)
                    .or_insert_with(|| (input.income)(pcn, &[CARE_HOME_PREMIUM.into()], hw.week));
                let network_beds = self.beds.get(&(pcn.clone(), hw.week)).map(|b| b.1);
                let share = match (premium, home, network_beds) {
                    (Some(p), Some(h), Some(total)) if total > 0 => Pence::from_pounds(
                        p.to_pounds() * Decimal::from(h.beds) / Decimal::from(total),
                    ),
                    _ => None,
                };
                HomeLine {
                    week: hw.clone(),
                    name: home.map(|h| h.name.clone()),
                    beds: home.map(|h| h.beds),
                    premium: share,
                }
            })
            .collect()
    }
}

/// The working days a care plan is due in, from the year in force on `on`
/// (7 when no year says).
fn plan_working_days(rb: &Rulebook, on: NaiveDate) -> u32 {
    rb.financial_year(FinancialYear::containing(on))
        .ok()
        .and_then(|y| {
            y.services.specs_on(on).find_map(|s| {
                s.requirements.iter().find_map(|r| match r.measure {
                    Measure::CarePlanWithinWorkingDays { working_days } => Some(working_days),
                    _ => None,
                })
            })
        })
        .unwrap_or(7)
}

/// The specification with an appointment-minutes requirement, and the
/// population it is per 1,000 of.
pub fn access_spec<'s>(
    mut specs: impl Iterator<Item = &'s ServiceSpec>,
) -> Option<(&'s ServiceSpec, Basis)> {
    specs.find_map(|s| {
        s.requirements.iter().find_map(|r| match r.measure {
            Measure::AppointmentMinutesPerThousand { population, .. } => Some((s, population)),
            _ => None,
        })
    })
}

fn minutes(d: Decimal) -> String {
    grouped(d.round_dp(1).normalize())
}

/// Plain answers for a network's view.
fn answers(v: &NetworkServices, registry: &Registry) -> Vec<String> {
    let mut out = Vec::new();
    let short: Vec<&ServicesWeek> = v.weeks.iter().filter(|w| !w.capacity.can_deliver).collect();
    match (short.last(), v.weeks.last()) {
        (Some(w), _) => out.push(format!(
            "Staff: cannot deliver with the roster in {} of {} weeks; in the {}: {}.",
            short.len(),
            v.weeks.len(),
            w.week,
            w.capacity
                .services
                .iter()
                .filter(|s| s.unmet_hours > Decimal::ZERO)
                .map(|s| format!("{} {}", s.name, s.delivery_answer))
                .collect::<Vec<_>>()
                .join("; ")
        )),
        (None, Some(_)) => out.push(format!(
            "Staff: the roster can give the hours every estimated workload needs in all {} weeks.",
            v.weeks.len()
        )),
        _ => {}
    }
    if let Some(last) = v.weeks.last() {
        for s in &last.capacity.services {
            if s.required_hours > Decimal::ZERO || s.has_payment {
                out.push(format!("{} ({}): {}.", s.name, last.week, s.funding_answer));
            }
        }
    }
    let r = &v.rounds;
    if r.owed > 0 {
        let missed: Vec<String> = r
            .missed
            .iter()
            .map(|(home, n)| {
                let name = registry
                    .care_home(home, v.to)
                    .map_or(home.clone(), |h| format!("{} ({home})", h.name));
                format!("{name}: {n} week{}", if *n == 1 { "" } else { "s" })
            })
            .collect();
        out.push(if missed.is_empty() {
            format!("Care home rounds: all {} home-weeks had a round.", r.owed)
        } else {
            format!(
                "Care home rounds: {} of {} home-weeks had a round; missed at {}.",
                r.met,
                r.owed,
                missed.join(", ")
            )
        });
    }
    let count = |s: PlanStatus| v.plans.iter().filter(|p| p.status == s).count();
    if !v.plans.is_empty() {
        out.push(format!(
            "Care plans: {} on time, {} late, {} overdue, {} due (of {} admissions).",
            count(PlanStatus::OnTime),
            count(PlanStatus::Late),
            count(PlanStatus::Overdue),
            count(PlanStatus::Due),
            v.plans.len()
        ));
    }
    out.extend(access_answer(v));
    out
}

fn access_answer(v: &NetworkServices) -> Option<String> {
    let weeks: Vec<&AccessWeek> = v.weeks.iter().filter_map(|w| w.access.as_ref()).collect();
    let last = weeks.last()?;
    let Some(required) = last.required else {
        return Some(format!(
            "{}: the requirement is not known (no population recorded).",
            last.spec_id
        ));
    };
    let short = weeks.iter().filter(|w| week_short(w)).count();
    Some(format!(
        "Access ({}): {} minutes a week required; {} planned inside the hours in the {}; {} of {} weeks short.",
        last.spec_id,
        minutes(required),
        thousands(u64::from(last.planned_inside)),
        last.week,
        short,
        weeks.len()
    ))
}

/// Whether a week's delivered minutes (or, with none recorded, its planned
/// minutes) fall short of the requirement.
fn week_short(w: &AccessWeek) -> bool {
    let s = if w.delivered_recorded {
        w.delivered_shortfall
    } else {
        w.planned_shortfall
    };
    s.is_some_and(|s| s > Decimal::ZERO)
}

/// A network's view summed for a commissioner's table.
pub fn compliance_row(v: &NetworkServices) -> ComplianceRow {
    let count = |s: PlanStatus| v.plans.iter().filter(|p| p.status == s).count() as u32;
    let access: Vec<&AccessWeek> = v.weeks.iter().filter_map(|w| w.access.as_ref()).collect();
    let required = (!access.is_empty() && access.iter().all(|a| a.required.is_some()))
        .then(|| access.iter().filter_map(|a| a.required).sum());
    let weeks_short_of_staff = v.weeks.iter().filter(|w| !w.capacity.can_deliver).count() as u32;
    let access_weeks_short = access.iter().filter(|a| week_short(a)).count() as u32;
    let mut problems = Vec::new();
    if weeks_short_of_staff > 0 {
        problems.push(format!("short of staff in {weeks_short_of_staff} weeks"));
    }
    if v.rounds.owed > v.rounds.met {
        problems.push(format!(
            "{} care home rounds missed",
            v.rounds.owed - v.rounds.met
        ));
    }
    let (late, overdue) = (count(PlanStatus::Late), count(PlanStatus::Overdue));
    if late + overdue > 0 {
        problems.push(format!("{late} care plans late, {overdue} overdue"));
    }
    if access_weeks_short > 0 {
        problems.push(format!("access short in {access_weeks_short} weeks"));
    }
    ComplianceRow {
        pcn: v.pcn.clone(),
        weeks: v.weeks.len() as u32,
        homes: v
            .homes
            .iter()
            .map(|h| h.week.location_id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u32,
        rounds_owed: v.rounds.owed,
        rounds_met: v.rounds.met,
        plans_on_time: count(PlanStatus::OnTime),
        plans_late: late,
        plans_overdue: overdue,
        plans_due: count(PlanStatus::Due),
        access_required: required,
        access_planned: access.iter().map(|a| a.planned_inside).sum(),
        access_delivered: access.iter().map(|a| a.delivered_inside).sum(),
        access_weeks_short,
        weeks_short_of_staff,
        answer: if problems.is_empty() {
            "meets what is recorded".into()
        } else {
            problems.join("; ")
        },
    }
}

/// One network's appointment-minutes requirement for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRequirement {
    pub pcn: PcnCode,
    pub spec_id: String,
    /// The population the requirement is per 1,000 of, and its date.
    pub population: Decimal,
    pub population_as_at: NaiveDate,
    pub minutes_a_week: Decimal,
}

/// Every network's appointment-minutes requirement in a year (as in force
/// on `on`, a day of the year): networks with a population figure (the
/// adjusted population as at the year's population date, by the registry's
/// nearest-date rule), and the networks in `also` without one.
pub fn access_requirements<'r>(
    rb: &Rulebook,
    registry: &'r Registry,
    on: NaiveDate,
    also: impl IntoIterator<Item = &'r PcnCode>,
) -> (Vec<AccessRequirement>, Vec<PcnCode>) {
    let fy = FinancialYear::containing(on);
    let Ok(year) = rb.financial_year(fy) else {
        return (Vec::new(), Vec::new());
    };
    let Some((spec, basis)) = access_spec(year.services.specs_on(on)) else {
        return (Vec::new(), Vec::new());
    };
    let Some(measure) = spec.requirements.iter().find_map(|r| {
        matches!(r.measure, Measure::AppointmentMinutesPerThousand { .. }).then_some(&r.measure)
    }) else {
        return (Vec::new(), Vec::new());
    };
    let mut networks: std::collections::BTreeSet<&PcnCode> =
        registry.networks_with_adjusted_population().collect();
    networks.extend(also);
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for pcn in networks {
        let population = match basis {
            Basis::AdjustedPopulation => registry.adjusted_population(pcn, population_date(fy)),
            _ => None,
        };
        match population.and_then(|(d, p)| required_minutes(measure, p).map(|m| (d, p, m))) {
            Some((as_at, population, minutes_a_week)) => out.push(AccessRequirement {
                pcn: pcn.clone(),
                spec_id: spec.id.clone(),
                population,
                population_as_at: as_at,
                minutes_a_week,
            }),
            None => unknown.push(pcn.clone()),
        }
    }
    (out, unknown)
}
