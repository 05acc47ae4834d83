//! Enhanced access (and, before October 2022, extended hours): the minutes
//! a network must offer each week, the minutes its sessions give inside the
//! specification's hours, the shortfall, and what the sessions cost against
//! the payment.
//!
//! - **Required** = minutes per 1,000 × population ÷ 1,000 (enhanced access:
//!   60 × the PCN adjusted population; extended hours: 30 × the registered
//!   list, rounded to the nearest quarter hour), exact.
//! - **Counted** = for each session, only its minutes inside the windows (the
//!   Network Standard Hours: 18:30–20:00 Monday to Friday, 09:00–17:00
//!   Saturday); a session from 17:00 to 20:30 counts 90 minutes. Concurrent
//!   sessions each count (the specification allows appointments to run
//!   concurrently).
//! - **Planned** sessions count in every week of their plan row; one that
//!   falls on a bank holiday is taken not to run, and the week says so (its
//!   minutes must be found elsewhere that week).
//! - **Cost** of a session = its whole length (not only the minutes inside)
//!   × the post's hourly cost (see [`super::PostCosts`]); against the week's
//!   share of the payment (see [`super::weekly_income`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::calendar::{Calendar, Week};
use super::costs::PostCosts;
use super::records::AccessSession;
use crate::arrs::Post;
use crate::codes::PcnCode;
use crate::money::Pence;
use crate::rulebook::{Measure, Rounding, ServiceSpec};

/// The weekly minutes a measure requires of a population; `None` for a
/// measure that is not a minutes requirement.
pub fn required_minutes(measure: &Measure, population: Decimal) -> Option<Decimal> {
    let Measure::AppointmentMinutesPerThousand {
        minutes_per_thousand,
        rounding,
        ..
    } = measure
    else {
        return None;
    };
    let exact = *minutes_per_thousand * population / Decimal::ONE_THOUSAND;
    Some(match rounding {
        Rounding::None => exact,
        Rounding::NearestQuarterHour => {
            let q = Decimal::from(15);
            (exact / q)
                .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                * q
        }
    })
}

/// One session in one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionLine {
    pub row: Option<u64>,
    pub date: NaiveDate,
    pub site: String,
    pub post: i64,
    pub when: String,
    pub minutes: u32,
    /// Minutes inside the specification's windows.
    pub inside: u32,
    pub appointments: u32,
    pub face_to_face: bool,
    /// Falls on a bank holiday (a planned session is then taken not to run).
    pub bank_holiday: bool,
    /// The session's cost (whole length); `None` when the post's cost is unknown.
    pub cost: Option<Pence>,
}

/// A network's access week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessWeek {
    pub pcn: PcnCode,
    pub week: Week,
    pub spec_id: String,
    /// Required minutes; `None` when the population is not known.
    pub required: Option<Decimal>,
    pub planned_inside: u32,
    pub delivered_inside: u32,
    /// Whether any delivered session was recorded for the week.
    pub delivered_recorded: bool,
    /// Required − planned (0 when the plan meets it).
    pub planned_shortfall: Option<Decimal>,
    /// Required − delivered, when anything was recorded.
    pub delivered_shortfall: Option<Decimal>,
    pub face_to_face_minutes: u32,
    pub remote_minutes: u32,
    pub planned_cost: Option<Pence>,
    pub delivered_cost: Option<Pence>,
    /// The week's share of the payment stream(s) for the service.
    pub payment: Option<Pence>,
    pub planned: Vec<SessionLine>,
    pub delivered: Vec<SessionLine>,
    pub bank_holidays: Vec<NaiveDate>,
    pub notes: Vec<String>,
}

fn lines(
    spec: &ServiceSpec,
    sessions: &[&AccessSession],
    week: Week,
    posts: &[Post],
    costs: &PostCosts,
    hours_per_wte_week: Decimal,
    calendar: &Calendar,
) -> (Vec<SessionLine>, Option<Pence>) {
    let mut out = Vec::new();
    let mut total = Decimal::ZERO;
    let mut known = true;
    for s in sessions {
        let Some(date) = s.date_in(week) else {
            continue;
        };
        let cost = posts
            .iter()
            .find(|p| p.id == s.post)
            .and_then(|p| costs.hourly(p, date, hours_per_wte_week))
            .map(|c| c.cost * Decimal::from(s.minutes()) / Decimal::from(60));
        match cost {
            Some(c) => total += c,
            None => known = false,
        }
        out.push(SessionLine {
            row: s.row,
            date,
            site: s.site.clone(),
            post: s.post,
            when: s.when(),
            minutes: s.minutes(),
            inside: spec.minutes_inside(s.day.weekday(), s.start, s.end),
            appointments: s.appointments,
            face_to_face: s.mode == super::records::SessionMode::FaceToFace,
            bank_holiday: calendar.is_bank_holiday(date),
            cost: cost.and_then(Pence::from_pounds),
        });
    }
    out.sort_by(|a, b| (a.date, a.when.as_str()).cmp(&(b.date, b.when.as_str())));
    (
        out,
        if known {
            Pence::from_pounds(total)
        } else {
            None
        },
    )
}

/// Inputs for one network's access week.
pub struct AccessInputs<'a> {
    pub spec: &'a ServiceSpec,
    pub pcn: &'a PcnCode,
    pub week: Week,
    /// The population the requirement is per 1,000 of.
    pub population: Option<Decimal>,
    pub planned: &'a [AccessSession],
    pub delivered: &'a [AccessSession],
    pub posts: &'a [Post],
    pub costs: &'a PostCosts,
    pub hours_per_wte_week: Decimal,
    pub payment: Option<Pence>,
    pub calendar: &'a Calendar,
}

/// A network's access week: required, planned and delivered minutes inside
/// the windows, shortfalls, costs against the payment.
pub fn access_week<'a>(i: &AccessInputs<'a>) -> AccessWeek {
    let measure = i
        .spec
        .requirements
        .iter()
        .find(|r| matches!(r.measure, Measure::AppointmentMinutesPerThousand { .. }));
    let required = match (measure, i.population) {
        (Some(r), Some(p)) => required_minutes(&r.measure, p),
        _ => None,
    };
    // The network's own sessions of a week, as lines and their cost.
    let lines_of = |v: &'a [AccessSession]| {
        let mine: Vec<&'a AccessSession> = v.iter().filter(|s| s.pcn == *i.pcn).collect();
        lines(
            i.spec,
            &mine,
            i.week,
            i.posts,
            i.costs,
            i.hours_per_wte_week,
            i.calendar,
        )
    };
    let (planned, planned_cost) = lines_of(i.planned);
    let (delivered, delivered_cost) = lines_of(i.delivered);
    let mut notes = Vec::new();
    let planned_inside: u32 = planned
        .iter()
        .filter(|l| !l.bank_holiday)
        .map(|l| l.inside)
        .sum();
    let lost: u32 = planned
        .iter()
        .filter(|l| l.bank_holiday)
        .map(|l| l.inside)
        .sum();
    if lost > 0 {
        notes.push(format!(
            "{lost} planned minutes fall on a bank holiday and are not counted: provide them elsewhere this week"
        ));
    }
    let outside: u32 = planned.iter().map(|l| l.minutes - l.inside).sum::<u32>();
    if outside > 0 {
        notes.push(format!(
            "{outside} planned minutes are outside the {} hours and do not count",
            i.spec.name
        ));
    }
    if required.is_none() {
        notes.push("the population is not known, so the requirement cannot be worked out".into());
    }
    let delivered_inside: u32 = delivered.iter().map(|l| l.inside).sum();
    let (mut f2f, mut remote) = (0, 0);
    for l in if delivered.is_empty() {
        &planned
    } else {
        &delivered
    } {
        if l.face_to_face {
            f2f += l.inside;
        } else {
            remote += l.inside;
        }
    }
    let short = |got: u32| required.map(|r| (r - Decimal::from(got)).max(Decimal::ZERO));
    AccessWeek {
        pcn: i.pcn.clone(),
        week: i.week,
        spec_id: i.spec.id.clone(),
        required,
        planned_inside,
        delivered_inside,
        delivered_recorded: !delivered.is_empty(),
        planned_shortfall: short(planned_inside),
        delivered_shortfall: (!delivered.is_empty())
            .then(|| short(delivered_inside))
            .flatten(),
        face_to_face_minutes: f2f,
        remote_minutes: remote,
        planned_cost,
        delivered_cost,
        payment: i.payment,
        planned,
        delivered,
        bank_holidays: i.calendar.holidays_in(i.week),
        notes,
    }
}
