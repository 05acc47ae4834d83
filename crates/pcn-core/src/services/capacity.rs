//! Workload against capacity: for a network and a week, the hours each
//! specification in force requires (from its requirements and the year's
//! editable assumptions), the hours the roster provides by role, and each
//! service's income against its staff cost, with a plain answer.
//!
//! - **Required hours** per requirement (see the rule files for each
//!   assumption's footing): a weekly round = homes × minutes per round +
//!   beds × residents reviewed per bed × minutes per review; care plans =
//!   beds × admissions per bed a year ÷ 52 × minutes per plan; appointment
//!   minutes = the required minutes; cover = the windows' length; reviews a
//!   year = basis × reviews per unit ÷ 52 × minutes per review. An
//!   unquantified requirement has no hours and is listed as such.
//! - **Available hours** per role = Σ WTE × hours per WTE a week × the share
//!   of hours for services, over the posts in post that week (pro rata by day).
//! - **Allocation** is greedy and shown: requirements with fewer eligible
//!   roles first (the GP cover of enhanced access before anything a GP
//!   shares), then in file order; each takes hours from its roles in the
//!   order the rule file lists them (the lead role first). Hours no eligible
//!   role has left are unmet and put against the lead role ("short by N
//!   hours of role X"). A greedy allocation can report a shortfall that a
//!   cleverer rota would avoid only when two requirements share two roles
//!   in opposite orders; the allocation is in the answer so it can be checked.
//! - **Cost** of a service = Σ allocated hours × the role's cost per hour
//!   that week (the posts' costs over their hours); the ARRS reimburses part
//!   of it. **Income** = the week's share of the service's payment streams
//!   ([`weekly_income`]). Funded when income ≥ cost less ARRS reimbursement.
//! - A specification applies to a week when it is in force on the week's
//!   Monday.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::calendar::Week;
use super::costs::PostCosts;
use crate::arrs::{validate_post, ArrsError, Funding, Hire, Post};
use crate::codes::PcnCode;
use crate::funding::{LineStatus, Statement};
use crate::money::Pence;
use crate::rulebook::{
    assumption_ids as ids, Basis, FinancialYear, Measure, Region, Rulebook, ServiceRules,
};

/// What a network brings to a week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkWeek {
    pub pcn: PcnCode,
    pub week: Week,
    pub adjusted_population: Option<Decimal>,
    pub registered_list: Option<Decimal>,
    /// Beds of the homes aligned on the week's Monday; `None` when unknown.
    pub care_home_beds: Option<u64>,
    pub aligned_homes: u32,
}

/// The hours one requirement needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Demand {
    pub spec_id: String,
    pub requirement_id: String,
    /// `None`: not estimated (unquantified, or an input is unknown); see `working`.
    pub hours: Option<Decimal>,
    pub roles: Vec<String>,
    pub working: String,
}

fn per_week(per_year: Decimal) -> Decimal {
    per_year / Decimal::from(52)
}

fn basis_value(n: &NetworkWeek, b: Basis) -> Option<Decimal> {
    match b {
        Basis::CareHomeBeds => n.care_home_beds.map(Decimal::from),
        Basis::RegisteredList => n.registered_list,
        Basis::AdjustedPopulation => n.adjusted_population,
        _ => None,
    }
}

/// The hours each requirement of each specification in force needs.
pub fn demands(rules: &ServiceRules, n: &NetworkWeek) -> Vec<Demand> {
    let a = |id: &str| rules.value(id).unwrap_or_default();
    let sixty = Decimal::from(60);
    let mut out = Vec::new();
    for spec in rules.specs_on(n.week.monday()) {
        for r in &spec.requirements {
            let (hours, working) = match &r.measure {
                Measure::WeeklyRoundPerAlignedHome => match n.care_home_beds {
                    Some(beds) => {
                        let mins = Decimal::from(n.aligned_homes) * a(ids::MINUTES_PER_HOME_ROUND)
                            + Decimal::from(beds)
                                * a(ids::RESIDENTS_REVIEWED_PER_BED_PER_ROUND)
                                * a(ids::MINUTES_PER_RESIDENT_REVIEW);
                        (
                            Some(mins / sixty),
                            format!(
                                "{} homes × {} min + {beds} beds × {} reviewed × {} min",
                                n.aligned_homes,
                                a(ids::MINUTES_PER_HOME_ROUND).normalize(),
                                a(ids::RESIDENTS_REVIEWED_PER_BED_PER_ROUND).normalize(),
                                a(ids::MINUTES_PER_RESIDENT_REVIEW).normalize()
                            ),
                        )
                    }
                    None => (None, "care home beds are not known".to_string()),
                },
                Measure::CarePlanWithinWorkingDays { .. } => match n.care_home_beds {
                    Some(beds) => {
                        let plans =
                            per_week(Decimal::from(beds) * a(ids::ADMISSIONS_PER_BED_PER_YEAR));
                        (
                            Some(plans * a(ids::MINUTES_PER_CARE_PLAN) / sixty),
                            format!(
                                "{beds} beds × {} admissions a year ÷ 52 × {} min",
                                a(ids::ADMISSIONS_PER_BED_PER_YEAR).normalize(),
                                a(ids::MINUTES_PER_CARE_PLAN).normalize()
                            ),
                        )
                    }
                    None => (None, "care home beds are not known".to_string()),
                },
                Measure::AppointmentMinutesPerThousand { population, .. } => {
                    match basis_value(n, *population)
                        .and_then(|p| super::required_minutes(&r.measure, p))
                    {
                        Some(m) => (
                            Some(m / sixty),
                            format!(
                                "{} minutes a week of appointments",
                                m.round_dp(2).normalize()
                            ),
                        ),
                        None => (None, format!("the {population} is not known")),
                    }
                }
                Measure::CoverDuringWindows => {
                    let mins: u32 = spec.windows.iter().map(|w| w.minutes_a_week()).sum();
                    (
                        Some(Decimal::from(mins) / sixty),
                        format!(
                            "{} hours a week of {} cover",
                            Decimal::from(mins) / sixty,
                            r.roles.join(" or ")
                        ),
                    )
                }
                Measure::ReviewsPerYear {
                    volume_basis,
                    volume_assumption,
                    minutes_assumption,
                } => match basis_value(n, *volume_basis) {
                    Some(v) => (
                        Some(per_week(v * a(volume_assumption)) * a(minutes_assumption) / sixty),
                        format!(
                            "{} {volume_basis} × {} a year ÷ 52 × {} min",
                            v.normalize(),
                            a(volume_assumption).normalize(),
                            a(minutes_assumption).normalize()
                        ),
                    ),
                    None => (None, format!("the {volume_basis} is not known")),
                },
                Measure::Unquantified => (
                    None,
                    "the specification sets no volume; not estimated".to_string(),
                ),
            };
            out.push(Demand {
                spec_id: spec.id.clone(),
                requirement_id: r.id.clone(),
                hours,
                roles: r.roles.clone(),
                working,
            });
        }
    }
    out
}

/// A role's hours and cost in a week.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoleSupply {
    pub hours: Decimal,
    pub cost: Decimal,
    pub claimable: Decimal,
    /// Some post's cost is unknown (its hours count, its cost does not).
    pub cost_incomplete: bool,
}

/// Hours, cost and ARRS reimbursement per role from the posts in post that week.
pub fn supply(
    rules: &ServiceRules,
    posts: &[Post],
    pcn: &PcnCode,
    week: Week,
    costs: &PostCosts,
) -> BTreeMap<String, RoleSupply> {
    let per_wte = rules.value(ids::HOURS_PER_WTE_WEEK).unwrap_or_default();
    let share = rules
        .value(ids::SERVICE_SHARE_OF_HOURS)
        .unwrap_or(Decimal::ONE);
    let mut out: BTreeMap<String, RoleSupply> = BTreeMap::new();
    for p in posts.iter().filter(|p| p.pcn == *pcn) {
        // WTE-days first, then one multiplication and division, so a whole
        // week at 1 WTE is exactly the hours a week.
        let wte_days: Decimal = week
            .days()
            .filter(|d| p.covers(*d))
            .map(|d| p.terms_at(d).map(|t| t.wte).unwrap_or_default())
            .sum();
        let hours = wte_days * per_wte * share / Decimal::from(7);
        if hours.is_zero() {
            continue;
        }
        let c = costs.week(p, week);
        let s = out.entry(p.role.trim().to_ascii_lowercase()).or_default();
        s.hours += hours;
        // The share of hours for services takes the same share of the cost.
        s.cost += c.cost * share;
        s.claimable += c.claimable * share;
        s.cost_incomplete |= !c.known;
    }
    out
}

/// The week's share of the payment streams `stream_ids` in a statement:
/// each month's instalment spread evenly over its days, summed over the
/// week's days, rounded once. `None` when a stream is not computed or not
/// in the statement.
pub fn weekly_income(statement: &Statement, stream_ids: &[String], week: Week) -> Option<Pence> {
    let mut total = Decimal::ZERO;
    for id in stream_ids {
        let lines: Vec<_> = statement
            .lines
            .iter()
            .filter(|l| l.stream_id.as_str() == id.as_str())
            .collect();
        if lines.is_empty() {
            return None;
        }
        for l in lines {
            if matches!(l.status, LineStatus::NotComputed(_)) {
                return None;
            }
            for d in week.days() {
                let first = NaiveDate::from_ymd_opt(
                    chrono::Datelike::year(&d),
                    chrono::Datelike::month(&d),
                    1,
                )?;
                if let Some(i) = l.schedule.iter().find(|i| i.month == first) {
                    let days = crate::arrs::YearMonth::of(first).days();
                    total += i.amount.to_pounds() / Decimal::from(days);
                }
            }
        }
    }
    Pence::from_pounds(total)
}

/// One service's week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceCapacity {
    pub spec_id: String,
    pub name: String,
    pub demands: Vec<Demand>,
    /// Hours of the quantified requirements.
    pub required_hours: Decimal,
    /// Hours given, by role.
    pub allocated: Vec<(String, Decimal)>,
    pub unmet_hours: Decimal,
    /// Unmet hours by lead role.
    pub short: Vec<(String, Decimal)>,
    pub staff_cost: Pence,
    pub arrs_reimbursed: Pence,
    /// The week's income from the service's payment streams; `None` when
    /// the service has no dedicated payment or it is not known.
    pub income: Option<Pence>,
    pub has_payment: bool,
    /// Income − (staff cost − ARRS reimbursement); negative when unfunded.
    pub funding_margin: Option<Pence>,
    pub delivery_answer: String,
    pub funding_answer: String,
}

/// A role's week across all services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleLine {
    pub role: String,
    pub required: Decimal,
    pub available: Decimal,
    pub cost_per_hour: Option<Decimal>,
}

/// A network's services week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capacity {
    pub pcn: PcnCode,
    pub week: Week,
    pub services: Vec<ServiceCapacity>,
    pub roles: Vec<RoleLine>,
    pub can_deliver: bool,
    pub answer: String,
}

fn hours_text(h: Decimal) -> String {
    h.round_dp(1).normalize().to_string()
}

/// Gives each demand hours from the roles that may deliver it, from what is
/// `left` of each role's hours: fewest eligible roles first, then file
/// order. Returns the hours given by role and the hours unmet, per demand.
fn allocate(
    demands: &[Demand],
    left: &mut BTreeMap<String, Decimal>,
) -> (Vec<Vec<(String, Decimal)>>, Vec<Decimal>) {
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by_key(|&i| (demands[i].roles.len(), i));
    let mut given: Vec<Vec<(String, Decimal)>> = vec![Vec::new(); demands.len()];
    let mut unmet: Vec<Decimal> = vec![Decimal::ZERO; demands.len()];
    for &i in &order {
        let Some(mut need) = demands[i].hours else {
            continue;
        };
        for role in &demands[i].roles {
            if need <= Decimal::ZERO {
                break;
            }
            if let Some(avail) = left.get_mut(role) {
                let take = need.min(*avail);
                if take > Decimal::ZERO {
                    *avail -= take;
                    need -= take;
                    given[i].push((role.clone(), take));
                }
            }
        }
        unmet[i] = need.max(Decimal::ZERO);
    }
    (given, unmet)
}

/// A service's margin (income less staff cost less ARRS reimbursement) and
/// its funding answer; `costs` (staff cost, ARRS reimbursed) is `None`
/// when a post delivering it has no pay recorded.
fn funding(
    has_payment: bool,
    income: Option<Pence>,
    costs: Option<(Pence, Pence)>,
) -> (Option<Pence>, String) {
    let Some((staff_cost, arrs_reimbursed)) = costs else {
        return (
            None,
            "cost not known: a post delivering it has no pay recorded".to_string(),
        );
    };
    let net = staff_cost - arrs_reimbursed;
    let margin = match (has_payment, income) {
        (true, Some(i)) => Some(i - net),
        (false, _) => Some(Pence::ZERO - net),
        _ => None,
    };
    let answer = match (has_payment, margin, income) {
        (true, None, _) => "income not known: the payment is not computed".to_string(),
        (true, Some(m), Some(i)) if m.0 >= 0 => format!(
            "funded: income {i} a week against staff cost {staff_cost} less ARRS {arrs_reimbursed}, {m} to spare"
        ),
        (true, Some(m), Some(i)) => format!(
            "unfunded by {}: income {i} a week against staff cost {staff_cost} less ARRS {arrs_reimbursed}",
            Pence(-m.0)
        ),
        (false, Some(m), _) if m.0 < 0 => format!(
            "no dedicated payment: unfunded by {} (staff cost {staff_cost} less ARRS {arrs_reimbursed})",
            Pence(-m.0)
        ),
        _ => "no dedicated payment; no staff cost estimated".to_string(),
    };
    (margin, answer)
}

/// Whether the network can deliver every service with its roster, and the
/// plain answer naming the services it is short for.
fn delivery(n: &NetworkWeek, services: &[ServiceCapacity]) -> (bool, String) {
    let short: Vec<String> = services
        .iter()
        .filter(|s| s.unmet_hours > Decimal::ZERO)
        .map(|s| format!("{}: {}", s.name, s.delivery_answer))
        .collect();
    if short.is_empty() {
        let answer = format!(
            "{} can deliver its specifications in the {} with its roster (where a workload is estimated)",
            n.pcn, n.week
        );
        (true, answer)
    } else {
        let answer = format!(
            "{} cannot deliver with its roster in the {}: {}",
            n.pcn,
            n.week,
            short.join("; ")
        );
        (false, answer)
    }
}

/// Workload against capacity for a network's week. `income_of` gives the
/// week's income for a list of stream ids (from the year's statement, via
/// [`weekly_income`]).
pub fn capacity(
    rules: &ServiceRules,
    n: &NetworkWeek,
    posts: &[Post],
    costs: &PostCosts,
    income_of: &dyn Fn(&[String]) -> Option<Pence>,
) -> Capacity {
    let demands = demands(rules, n);
    let roles_supply = supply(rules, posts, &n.pcn, n.week, costs);
    let mut left: BTreeMap<String, Decimal> = roles_supply
        .iter()
        .map(|(r, s)| (r.clone(), s.hours))
        .collect();
    let (given, unmet) = allocate(&demands, &mut left);
    let rate = |role: &str| {
        roles_supply.get(role).and_then(|s| {
            (!s.hours.is_zero() && !s.cost_incomplete)
                .then(|| (s.cost / s.hours, s.claimable / s.hours))
        })
    };
    let mut required_by_role: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut services = Vec::new();
    let mut spec_ids: Vec<&str> = Vec::new();
    for d in &demands {
        if !spec_ids.contains(&d.spec_id.as_str()) {
            spec_ids.push(&d.spec_id);
        }
    }
    for spec_id in spec_ids {
        let Some(spec) = rules.spec(spec_id) else {
            continue;
        };
        let idx: Vec<usize> = (0..demands.len())
            .filter(|&i| demands[i].spec_id == spec_id)
            .collect();
        let required: Decimal = idx.iter().filter_map(|&i| demands[i].hours).sum();
        let mut allocated: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut short: BTreeMap<String, Decimal> = BTreeMap::new();
        let (mut cost, mut claim) = (Decimal::ZERO, Decimal::ZERO);
        let mut cost_known = true;
        for &i in &idx {
            for (role, h) in &given[i] {
                *allocated.entry(role.clone()).or_default() += *h;
                *required_by_role.entry(role.clone()).or_default() += *h;
                match rate(role) {
                    Some((c, r)) => {
                        cost += c * *h;
                        claim += r * *h;
                    }
                    None => cost_known = false,
                }
            }
            if unmet[i] > Decimal::ZERO {
                let lead = demands[i].roles.first().cloned().unwrap_or_default();
                *short.entry(lead.clone()).or_default() += unmet[i];
                *required_by_role.entry(lead).or_default() += unmet[i];
            }
        }
        let unmet_hours: Decimal = short.values().copied().sum();
        let unquantified: Vec<&str> = idx
            .iter()
            .filter(|&&i| demands[i].hours.is_none())
            .map(|&i| demands[i].requirement_id.as_str())
            .collect();
        let mut delivery_answer = if unmet_hours > Decimal::ZERO {
            format!(
                "short by {}",
                short
                    .iter()
                    .map(|(r, h)| format!("{} hours of {r}", hours_text(*h)))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        } else if required > Decimal::ZERO {
            format!("can deliver ({} hours a week)", hours_text(required))
        } else {
            "no workload estimated".to_string()
        };
        if !unquantified.is_empty() {
            delivery_answer.push_str(&format!(
                "; not estimated: {}",
                idx.iter()
                    .filter(|&&i| demands[i].hours.is_none())
                    .map(|&i| format!("{} ({})", demands[i].requirement_id, demands[i].working))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let staff_cost = Pence::from_pounds(cost).unwrap_or(Pence::ZERO);
        let arrs_reimbursed = Pence::from_pounds(claim).unwrap_or(Pence::ZERO);
        let has_payment = !spec.income_streams.is_empty();
        let income = if has_payment {
            income_of(&spec.income_streams)
        } else {
            None
        };
        let (funding_margin, funding_answer) = funding(
            has_payment,
            income,
            cost_known.then_some((staff_cost, arrs_reimbursed)),
        );
        services.push(ServiceCapacity {
            spec_id: spec.id.clone(),
            name: spec.name.clone(),
            demands: idx.iter().map(|&i| demands[i].clone()).collect(),
            required_hours: required,
            allocated: allocated.into_iter().collect(),
            unmet_hours,
            short: short.into_iter().collect(),
            staff_cost,
            arrs_reimbursed,
            income,
            has_payment,
            funding_margin,
            delivery_answer,
            funding_answer,
        });
    }
    let mut role_names: Vec<String> = roles_supply.keys().cloned().collect();
    for r in required_by_role.keys() {
        if !role_names.contains(r) {
            role_names.push(r.clone());
        }
    }
    role_names.sort();
    let roles: Vec<RoleLine> = role_names
        .into_iter()
        .map(|r| RoleLine {
            required: required_by_role.get(&r).copied().unwrap_or_default(),
            available: roles_supply.get(&r).map(|s| s.hours).unwrap_or_default(),
            cost_per_hour: rate(&r).map(|(c, _)| c.round_dp(2)),
            role: r,
        })
        .collect();
    let (can_deliver, answer) = delivery(n, &services);
    Capacity {
        pcn: n.pcn.clone(),
        week: n.week,
        services,
        roles,
        can_deliver,
        answer,
    }
}

/// The week before and after adding posts (as `pcn arrs plan` does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhatIf {
    pub before: Capacity,
    pub after: Capacity,
}

/// Capacity with the roster, then with `added` posts too. `costs_after`
/// must cost the roster and the added posts.
pub fn what_if(
    rules: &ServiceRules,
    n: &NetworkWeek,
    posts: &[Post],
    added: &[Post],
    costs_before: &PostCosts,
    costs_after: &PostCosts,
    income_of: &dyn Fn(&[String]) -> Option<Pence>,
) -> WhatIf {
    let before = capacity(rules, n, posts, costs_before, income_of);
    let mut all = posts.to_vec();
    all.extend(added.iter().cloned());
    let after = capacity(rules, n, &all, costs_after, income_of);
    WhatIf { before, after }
}

/// A post to try in a services what-if: a role of the year's ARRS, built
/// as `pcn arrs plan` builds it ([`Hire::to_post`]); or a role outside the
/// ARRS that the year's services rules name (`other_roles`: a GP, a
/// practice nurse), funded otherwise and costed from the salary given
/// (without one its hours count and its cost is unknown).
pub fn planned_post(
    rb: &Rulebook,
    hire: &Hire,
    pcn: PcnCode,
    id: i64,
    region: Region,
) -> Result<Post, ArrsError> {
    let fy = FinancialYear::containing(hire.from);
    let other = rb.financial_year(fy).ok().and_then(|y| {
        let role = hire.role.trim().to_ascii_lowercase();
        y.services.other_roles.iter().find(|r| **r == role).cloned()
    });
    let Some(role) = other else {
        return hire.to_post(rb, pcn, id, region);
    };
    let band = hire.band.clone().unwrap_or_else(|| "other".into());
    let post = hire.post_as(pcn, id, region, role, band, Funding::Other);
    validate_post(rb, &post)?;
    Ok(post)
}
