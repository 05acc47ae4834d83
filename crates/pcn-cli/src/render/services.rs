//! Services for a terminal: a network's weeks, roles, services, care homes,
//! care plans and partners; a commissioner's networks; a what-if; every
//! network's enhanced access requirement.

use comfy_table::Cell;
use pcn_app::services::{CommissionerServices, NetworkServicesView, Requirements, ServicesPlan};
use pcn_core::money::Pence;
use pcn_core::services::{Capacity, PlanStatus};
use pcn_core::text::grouped;
use pcn_core::Decimal;

use crate::output::{right, table};

fn hours(h: Decimal) -> String {
    grouped(h.round_dp(1).normalize())
}

fn minutes(m: Option<Decimal>) -> String {
    m.map_or("unknown".into(), |m| grouped(m.round_dp(1).normalize()))
}

fn money(p: Option<Pence>) -> String {
    p.map_or("-".into(), |p| p.to_string())
}

/// A network's services over its weeks.
pub fn network_text(v: &NetworkServicesView) -> String {
    let s = &v.services;
    let mut out = format!(
        "{} {}: services from {} to {}\n",
        s.pcn,
        v.name.as_deref().unwrap_or(""),
        s.from,
        s.to
    );
    for a in &s.answers {
        out.push_str(&format!("- {a}\n"));
    }
    if !s.weeks_without_rules.is_empty() {
        out.push_str(&format!(
            "- {} weeks have no rules in the rulebook and are left out.\n",
            s.weeks_without_rules.len()
        ));
    }
    let mut t = table(&[
        "week",
        "rounds",
        "access required",
        "planned",
        "delivered",
        "sessions cost",
        "payment",
        "staff",
    ]);
    for w in &s.weeks {
        let a = w.access.as_ref();
        t.add_row(vec![
            Cell::new(w.week.monday()),
            right(format!("{}/{}", w.homes_met, w.homes_owed)),
            right(minutes(a.and_then(|a| a.required))),
            right(a.map_or("-".into(), |a| grouped(a.planned_inside))),
            right(a.map_or("-".into(), |a| {
                if a.delivered_recorded {
                    grouped(a.delivered_inside)
                } else {
                    "none recorded".into()
                }
            })),
            right(money(a.and_then(|a| a.delivered_cost.or(a.planned_cost)))),
            right(money(a.and_then(|a| a.payment))),
            Cell::new(if w.capacity.can_deliver {
                "can deliver"
            } else {
                "short"
            }),
        ]);
    }
    out.push_str(&format!("\nWeeks (minutes inside the hours)\n{t}\n"));
    if let Some(last) = s.weeks.last() {
        out.push_str(&capacity_text(&last.capacity));
    }
    out.push_str(&homes_text(v));
    out.push_str(&plans_text(v));
    out.push_str(&partners_text(v));
    out
}

/// Hours by role and each service's money, for one week.
pub fn capacity_text(c: &Capacity) -> String {
    let mut roles = table(&["role", "hours required", "hours available", "cost an hour"]);
    for r in &c.roles {
        roles.add_row(vec![
            Cell::new(&r.role),
            right(hours(r.required)),
            right(hours(r.available)),
            right(
                r.cost_per_hour
                    .map_or("-".into(), |c| format!("£{}", grouped(c))),
            ),
        ]);
    }
    let mut services = table(&[
        "service",
        "hours",
        "short",
        "staff cost",
        "ARRS",
        "income",
        "delivery",
        "funding",
    ]);
    for s in &c.services {
        services.add_row(vec![
            Cell::new(&s.name),
            right(hours(s.required_hours)),
            right(hours(s.unmet_hours)),
            right(s.staff_cost.to_string()),
            right(s.arrs_reimbursed.to_string()),
            right(money(s.income)),
            Cell::new(&s.delivery_answer),
            Cell::new(&s.funding_answer),
        ]);
    }
    format!(
        "\nHours by role in the {}\n{roles}\n\nEach service in the {}\n{services}\n{}\n",
        c.week, c.week, c.answer
    )
}

fn homes_text(v: &NetworkServicesView) -> String {
    if v.services.homes.is_empty() {
        return "\nNo care homes aligned in these weeks.\n".into();
    }
    let mut t = table(&[
        "week",
        "care home",
        "beds",
        "rounds",
        "reviewed",
        "met",
        "premium that week",
    ]);
    for h in &v.services.homes {
        t.add_row(vec![
            Cell::new(h.week.week.monday()),
            Cell::new(format!(
                "{} {}",
                h.week.location_id,
                h.name.as_deref().unwrap_or("")
            )),
            right(h.beds.map_or("-".into(), |b| b.to_string())),
            right(h.week.rounds),
            right(h.week.residents_reviewed),
            Cell::new(match (h.week.met, h.week.bank_holidays.is_empty()) {
                (true, _) => "yes".to_string(),
                (false, true) => "MISSED".to_string(),
                (false, false) => "MISSED (bank holiday week)".to_string(),
            }),
            right(money(h.premium)),
        ]);
    }
    format!("\nCare home rounds (a round every week at every aligned home)\n{t}\n")
}

fn plans_text(v: &NetworkServicesView) -> String {
    if v.services.plans.is_empty() {
        return "\nNo care plans recorded for admissions in these weeks.\n".into();
    }
    let mut t = table(&[
        "resident",
        "care home",
        "admitted",
        "deadline",
        "plan",
        "status",
        "working days",
    ]);
    for p in &v.services.plans {
        t.add_row(vec![
            Cell::new(&p.resident),
            Cell::new(&p.location_id),
            Cell::new(p.admitted),
            Cell::new(p.deadline),
            Cell::new(p.planned.map_or("-".into(), |d| d.to_string())),
            Cell::new(match p.status {
                PlanStatus::OnTime => "on time".to_string(),
                PlanStatus::Due => "due".to_string(),
                PlanStatus::Late => format!("LATE by {} working days", p.working_days_late),
                PlanStatus::Overdue => format!("OVERDUE by {} working days", p.working_days_late),
            }),
            right(p.working_days),
        ]);
    }
    format!("\nCare plans (within the working days the specification allows)\n{t}\n")
}

fn partners_text(v: &NetworkServicesView) -> String {
    if v.partners.is_empty() {
        return "\nNo partners recorded (pcn network set CODE --community-partners …).\n".into();
    }
    let mut t = table(&[
        "partner",
        "kind",
        "posts on the roster",
        "may deliver",
        "rounds",
        "sessions (minutes)",
    ]);
    for p in &v.partners {
        t.add_row(vec![
            Cell::new(&p.name),
            Cell::new(p.kind),
            Cell::new(
                p.posts
                    .iter()
                    .map(|(id, role, wte)| format!("{id} {role} {}", wte.normalize()))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::new(p.may_deliver.join("; ")),
            right(p.rounds),
            right(format!("{} ({})", p.sessions, grouped(p.session_minutes))),
        ]);
    }
    format!("\nPartners and the services they deliver\n{t}\n")
}

/// A commissioner's networks with their compliance.
pub fn commissioner_text(c: &CommissionerServices) -> String {
    let mut t = table(&[
        "network",
        "name",
        "rounds met",
        "plans late/overdue",
        "access required",
        "delivered",
        "weeks short",
        "staff",
        "answer",
    ]);
    for (name, r) in &c.networks {
        t.add_row(vec![
            Cell::new(&r.pcn),
            Cell::new(name.as_deref().unwrap_or("")),
            right(format!("{}/{}", r.rounds_met, r.rounds_owed)),
            right(format!("{}/{}", r.plans_late, r.plans_overdue)),
            right(minutes(r.access_required)),
            right(grouped(r.access_delivered)),
            right(format!("{}/{}", r.access_weeks_short, r.weeks)),
            right(format!("{} weeks short", r.weeks_short_of_staff)),
            Cell::new(&r.answer),
        ]);
    }
    format!(
        "{}: services of {} networks from {} to {} (minutes inside the hours)\n{t}\n",
        c.commissioner,
        c.networks.len(),
        c.from,
        c.to
    )
}

/// A services what-if.
pub fn plan_text(p: &ServicesPlan) -> String {
    let added: Vec<String> = p
        .added
        .iter()
        .map(|a| {
            format!(
                "{} {} WTE from {}",
                a.role,
                a.terms.first().map_or(Decimal::ONE, |t| t.wte).normalize(),
                a.start
            )
        })
        .collect();
    format!(
        "{}: adding {} in the {}\n\nBEFORE{}\nAFTER{}",
        p.pcn,
        added.join(", "),
        p.week,
        capacity_text(&p.before),
        capacity_text(&p.after)
    )
}

/// Every network's enhanced access requirement.
pub fn requirements_text(r: &Requirements, limit: usize) -> String {
    let mut t = table(&[
        "network",
        "population",
        "as at",
        "minutes a week",
        "hours a week",
    ]);
    for n in r.networks.iter().take(limit) {
        t.add_row(vec![
            Cell::new(&n.pcn),
            right(grouped(n.population.normalize())),
            Cell::new(n.population_as_at),
            right(grouped(n.minutes_a_week.normalize())),
            right(grouped(
                (n.minutes_a_week / Decimal::from(60))
                    .round_dp(3)
                    .normalize(),
            )),
        ]);
    }
    let more = r.networks.len().saturating_sub(limit);
    format!(
        "Enhanced access in {} (as in force on {}): 60 minutes a week per 1,000 PCN adjusted population\n{t}\n{}{} networks: {} minutes a week = {} hours a week, from an adjusted population of {} (60 × {} ÷ 1,000 = {} minutes).\n{}",
        r.year,
        r.on,
        if more > 0 { format!("… and {more} more networks (--format csv lists every one)\n") } else { String::new() },
        r.networks.len(),
        grouped(r.total_minutes.normalize()),
        grouped((r.total_minutes / Decimal::from(60)).normalize()),
        grouped(r.total_population.normalize()),
        grouped(r.total_population.normalize()),
        grouped((Decimal::from(60) * r.total_population / Decimal::ONE_THOUSAND).normalize()),
        if r.unknown.is_empty() {
            String::new()
        } else {
            format!(
                "{} networks with members have no adjusted population: {}\n",
                r.unknown.len(),
                r.unknown.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            )
        }
    )
}
