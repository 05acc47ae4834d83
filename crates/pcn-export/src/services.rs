//! Services as CSV: a network's weeks, a commissioner's networks, every
//! network's enhanced access requirement. Minutes are exact decimals, money
//! integer pence; an unknown figure is an empty cell, never a zero.

use pcn_core::money::Pence;
use pcn_core::services::{AccessRequirement, ComplianceRow, NetworkServices};
use pcn_core::Decimal;

use crate::csv::CsvOut;
use crate::Result;

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn pence(p: Option<Pence>) -> String {
    opt(p.map(|p| p.0))
}

fn decimal(d: Option<Decimal>) -> String {
    opt(d.map(|d| d.normalize()))
}

/// One row per week of a network's services.
pub fn network_weeks_csv(v: &NetworkServices) -> Result<String> {
    let mut out = CsvOut::new();
    out.row([
        "pcn_code",
        "week_commencing",
        "homes_owed",
        "homes_met",
        "access_spec",
        "required_minutes",
        "planned_minutes",
        "delivered_minutes",
        "delivered_recorded",
        "planned_shortfall_minutes",
        "delivered_shortfall_minutes",
        "planned_cost_pence",
        "delivered_cost_pence",
        "payment_pence",
        "hours_required",
        "hours_available",
        "can_deliver",
    ])?;
    for w in &v.weeks {
        let a = w.access.as_ref();
        let required: Decimal = w.capacity.roles.iter().map(|r| r.required).sum();
        let available: Decimal = w.capacity.roles.iter().map(|r| r.available).sum();
        out.row([
            v.pcn.to_string(),
            w.week.monday().to_string(),
            w.homes_owed.to_string(),
            w.homes_met.to_string(),
            opt(a.map(|a| a.spec_id.clone())),
            decimal(a.and_then(|a| a.required)),
            opt(a.map(|a| a.planned_inside)),
            opt(a.map(|a| a.delivered_inside)),
            opt(a.map(|a| a.delivered_recorded)),
            decimal(a.and_then(|a| a.planned_shortfall)),
            decimal(a.and_then(|a| a.delivered_shortfall)),
            pence(a.and_then(|a| a.planned_cost)),
            pence(a.and_then(|a| a.delivered_cost)),
            pence(a.and_then(|a| a.payment)),
            required.round_dp(2).normalize().to_string(),
            available.round_dp(2).normalize().to_string(),
            w.capacity.can_deliver.to_string(),
        ])?;
    }
    out.finish()
}

/// One row per network of a commissioner's (or England's) view.
pub fn compliance_csv(rows: &[(Option<String>, ComplianceRow)]) -> Result<String> {
    let mut out = CsvOut::new();
    out.row([
        "pcn_code",
        "name",
        "weeks",
        "homes",
        "rounds_owed",
        "rounds_met",
        "plans_on_time",
        "plans_late",
        "plans_overdue",
        "plans_due",
        "access_required_minutes",
        "access_planned_minutes",
        "access_delivered_minutes",
        "access_weeks_short",
        "weeks_short_of_staff",
        "answer",
    ])?;
    for (name, r) in rows {
        out.row([
            r.pcn.to_string(),
            name.clone().unwrap_or_default(),
            r.weeks.to_string(),
            r.homes.to_string(),
            r.rounds_owed.to_string(),
            r.rounds_met.to_string(),
            r.plans_on_time.to_string(),
            r.plans_late.to_string(),
            r.plans_overdue.to_string(),
            r.plans_due.to_string(),
            decimal(r.access_required),
            r.access_planned.to_string(),
            r.access_delivered.to_string(),
            r.access_weeks_short.to_string(),
            r.weeks_short_of_staff.to_string(),
            r.answer.clone(),
        ])?;
    }
    out.finish()
}

/// One row per network: its population, the date of the figure, and the
/// minutes a week required.
pub fn requirements_csv(rows: &[AccessRequirement]) -> Result<String> {
    let mut out = CsvOut::new();
    out.row([
        "pcn_code",
        "spec",
        "population",
        "population_as_at",
        "minutes_a_week",
        "hours_a_week",
    ])?;
    for r in rows {
        out.row([
            r.pcn.to_string(),
            r.spec_id.clone(),
            r.population.normalize().to_string(),
            r.population_as_at.to_string(),
            r.minutes_a_week.normalize().to_string(),
            (r.minutes_a_week / Decimal::from(60))
                .normalize()
                .to_string(),
        ])?;
    }
    out.finish()
}
