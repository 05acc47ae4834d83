//! The demo commissioner's services: the posts that deliver them, a home
//! that changes network, five weeks of care home rounds and care plans
//! (25 May to 28 June 2026, starting with the spring bank holiday week),
//! and each network's enhanced access plan and what it delivered. Built
//! from [`crate::demo::demo_facts`], so it is the same on every run.
//!
//! Most networks meet their specifications. **Demo East Villages PCN
//! (U90005)** falls short, so a new user sees the whole picture: no GP on
//! its roster (the enhanced access GP cover is short by 15.5 hours a week),
//! an enhanced access plan below its 60 minutes per 1,000, two missed weeks
//! of rounds at each of its care homes, and at each home a late care plan
//! and an overdue one.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rust_decimal::Decimal;

use crate::arrs::{Employer, Funding, Origin, Post, Terms};
use crate::codes::PcnCode;
use crate::facts::{CareHomeAlignment, FactBatch, PopulationKind, PopulationSubject};
use crate::money::Pence;
use crate::rulebook::Region;
use crate::services::{
    AccessSession, CareHomeRound, CarePlanRecord, ServiceRecords, SessionDay, SessionMode, Week,
};

/// The network that falls short.
pub const SHORT_NETWORK: &str = "U90005";

/// Town Central's (U90001) community partner, which employs its paramedic,
/// so the partner is seen delivering rounds and evening sessions.
pub const COMMUNITY_PARTNER: &str = "Demo Vale Community Health Services";

/// Town Central's voluntary partner, which employs no post on the roster.
pub const VOLUNTARY_PARTNER: &str = "Demo Vale Carers Link";

/// The network whose partners the demo records.
pub const PARTNERED_NETWORK: &str = "U90001";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The five demo weeks: 25 May 2026 (spring bank holiday) to 28 June 2026.
pub fn demo_service_weeks() -> Vec<Week> {
    Week::span(date(2026, 5, 25), date(2026, 6, 28))
}

fn pcn(code: &str) -> PcnCode {
    PcnCode::parse(code).unwrap_or_else(|_| PcnCode::unallocated())
}

fn demo_post(
    id: i64,
    network: &str,
    role: &str,
    funding: Funding,
    band: &str,
    wte: &str,
    salary: i64,
) -> Post {
    Post {
        id,
        pcn: pcn(network),
        person: format!("DEMO-{id}"),
        name: None,
        role: role.to_string(),
        employer: Employer::Network,
        funding,
        region: Region::England,
        start: date(2025, 4, 1),
        end: None,
        terms: vec![Terms {
            effective_from: date(2025, 4, 1),
            band: band.to_string(),
            wte: Decimal::from_str_exact(wte).unwrap_or(Decimal::ONE),
            salary: Some(Pence(salary * 100)),
            on_costs: None,
            levy: false,
            recorded: 0,
        }],
        origin: Origin::Entered,
    }
}

/// The demo's service posts, ids from 1001: for each network a salaried GP
/// (funded by the practices, so "other"), a clinical pharmacist and a
/// paramedic through the ARRS; East Villages has no GP and a part-time
/// paramedic; Town Central's paramedic is employed by its community partner.
pub fn demo_service_posts(facts: &FactBatch) -> Vec<Post> {
    let mut out = Vec::new();
    let mut id = 1000;
    let mut next = || {
        id += 1;
        id
    };
    for n in &facts.networks {
        let code = n.code.as_str();
        if code != SHORT_NETWORK {
            out.push(demo_post(
                next(),
                code,
                "gp",
                Funding::Other,
                "gp",
                "1",
                98_000,
            ));
        }
        out.push(demo_post(
            next(),
            code,
            "clinical-pharmacist",
            Funding::Arrs,
            "7",
            "1",
            48_526,
        ));
        let wte = if code == SHORT_NETWORK { "0.6" } else { "1" };
        let mut paramedic = demo_post(next(), code, "paramedic", Funding::Arrs, "7", wte, 47_810);
        if code == PARTNERED_NETWORK {
            paramedic.employer = Employer::Provider(COMMUNITY_PARTNER.to_string());
        }
        out.push(paramedic);
    }
    out
}

/// A care home of Town North moves to Town Central on Wednesday 3 June 2026
/// (with the practice that moved on 1 June): its old alignment ends on the
/// Tuesday. Added to the demo's alignments.
pub fn demo_alignment_change(facts: &FactBatch) -> Vec<CareHomeAlignment> {
    let Some(home) = facts
        .care_home_alignments
        .iter()
        .find(|a| a.pcn.as_str() == "U90002")
    else {
        return Vec::new();
    };
    vec![
        CareHomeAlignment {
            to: Some(date(2026, 6, 2)),
            ..home.clone()
        },
        CareHomeAlignment {
            location_id: home.location_id.clone(),
            pcn: pcn("U90001"),
            from: date(2026, 6, 3),
            to: None,
        },
    ]
}

fn on(week: Week, day: Weekday) -> NaiveDate {
    week.monday()
        .checked_add_days(Days::new(u64::from(day.num_days_from_monday())))
        .unwrap_or(week.monday())
}

/// The demo's service records, given its facts and posts (as stored: the
/// posts' ids are whatever the roster gave them).
pub fn demo_services(facts: &FactBatch, posts: &[Post]) -> ServiceRecords {
    let mut rec = ServiceRecords::default();
    let weeks = demo_service_weeks();
    let first_post = |network: &PcnCode, roles: &[&str]| first_post(posts, network, roles);
    let mut alignments = facts.care_home_alignments.clone();
    let change = demo_alignment_change(facts);
    if let Some(moved) = change.first() {
        alignments.retain(|a| a.location_id != moved.location_id);
        alignments.extend(change.iter().cloned());
    }
    let al = crate::services::Alignments::new(&alignments);
    // Rounds: every aligned home, every week, on the Tuesday (Thursday in
    // the week a home moves, by its new network); East Villages misses two weeks.
    for (serial, home) in facts.care_homes.iter().enumerate() {
        for (w, week) in weeks.iter().enumerate() {
            let moving_week = change.first().is_some_and(|c| {
                c.location_id == home.location_id && week.contains(date(2026, 6, 3))
            });
            let day = on(
                *week,
                if moving_week {
                    Weekday::Thu
                } else {
                    Weekday::Tue
                },
            );
            let Some(network) = al.network_on(&home.location_id, day) else {
                continue;
            };
            if network.as_str() == SHORT_NETWORK && (w == 1 || w == 3) {
                continue;
            }
            let Some(post) = first_post(network, &["gp", "paramedic"]) else {
                continue;
            };
            rec.rounds.push(CareHomeRound {
                date: day,
                location_id: home.location_id.clone(),
                post,
                residents_reviewed: 2 + (home.beds / 15) + (serial as u32 + w as u32) % 3,
                row: None,
            });
        }
        // Care plans: two admissions per home, on Thursday of the first and
        // third weeks, planned within five working days, except East
        // Villages: one plan late (9 working days) and one not yet made.
        for (k, w) in [0usize, 2].iter().enumerate() {
            let admitted = on(weeks[*w], Weekday::Thu);
            let network = al.network_on(&home.location_id, admitted);
            let short = network.is_some_and(|n| n.as_str() == SHORT_NETWORK);
            let planned = match (short, k) {
                (true, 0) => admitted.checked_add_days(Days::new(13)),
                (true, _) => None,
                // The first week's Thursday is 28 May; five working days
                // later is Thursday 4 June.
                _ => admitted.checked_add_days(Days::new(7)),
            };
            rec.care_plans.push(CarePlanRecord {
                resident: format!("DEMO-R{:03}{}", facts.care_homes.len() * k + serial, k),
                location_id: home.location_id.clone(),
                admitted,
                planned,
                row: None,
            });
        }
    }
    for n in &facts.networks {
        network_sessions(facts, n, posts, &weeks, &mut rec);
    }
    rec
}

/// The id of the network's first post in the first of `roles` it has.
fn first_post(posts: &[Post], network: &PcnCode, roles: &[&str]) -> Option<i64> {
    roles.iter().find_map(|r| {
        posts
            .iter()
            .find(|p| &p.pcn == network && p.role == *r)
            .map(|p| p.id)
    })
}

/// A network's enhanced access plan and what it delivered: the plan meets
/// 60 minutes per 1,000 of its adjusted population with a Saturday
/// 09:00–17:00 GP session and weekday evening sessions (one crossing
/// 20:00); East Villages plans one Saturday morning and two evenings only.
fn network_sessions(
    facts: &FactBatch,
    n: &crate::facts::NetworkFact,
    posts: &[Post],
    weeks: &[Week],
    rec: &mut ServiceRecords,
) {
    let first_post = |network: &PcnCode, roles: &[&str]| first_post(posts, network, roles);
    let adjusted = facts
        .populations
        .iter()
        .find(|p| {
            p.kind == PopulationKind::Adjusted
                && p.subject == PopulationSubject::Network(n.code.clone())
        })
        .map(|p| p.value)
        .unwrap_or_default();
    let required = Decimal::from(60) * adjusted / Decimal::ONE_THOUSAND;
    let site = format!("{} HUB", n.name.clone().unwrap_or_default());
    let mut plan = Vec::new();
    let mut add = |day: Weekday, start: u16, end: u16, post: Option<i64>, mode: SessionMode| {
        if let Some(post) = post {
            plan.push(AccessSession {
                pcn: n.code.clone(),
                site: site.clone(),
                day: SessionDay::Weekly(day),
                start,
                end,
                post,
                appointments: u32::from(end - start) / 15,
                mode,
                from: Some(date(2026, 4, 1)),
                to: None,
                row: None,
            });
        }
    };
    let gp = first_post(&n.code, &["gp"]);
    let para = first_post(&n.code, &["paramedic"]);
    let pharm = first_post(&n.code, &["clinical-pharmacist"]);
    if n.code.as_str() == SHORT_NETWORK {
        add(Weekday::Sat, 540, 780, para, SessionMode::FaceToFace);
        add(Weekday::Tue, 1110, 1200, pharm, SessionMode::Remote);
        add(Weekday::Thu, 1110, 1200, para, SessionMode::FaceToFace);
    } else {
        add(Weekday::Sat, 540, 1020, gp, SessionMode::FaceToFace);
        add(Weekday::Sat, 540, 1020, para, SessionMode::FaceToFace);
        let mut got = Decimal::from(960);
        // The largest networks need more than two Saturday sessions and
        // fifteen evenings can give: their pharmacist runs a remote Saturday.
        if required > Decimal::from(960 + 15 * 90) {
            add(Weekday::Sat, 540, 1020, pharm, SessionMode::Remote);
            got += Decimal::from(480);
        }
        let evenings = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ];
        let mut i = 0;
        while got < required && i < 15 {
            let day = evenings[i % 5];
            let (post, mode) = match i / 5 {
                0 => (gp, SessionMode::FaceToFace),
                1 => (pharm, SessionMode::Remote),
                _ => (para, SessionMode::FaceToFace),
            };
            // Tuesday's GP session runs 17:00–20:30: 90 of its minutes count.
            let start = if i == 1 { 1020 } else { 1110 };
            let end = if i == 1 { 1230 } else { 1200 };
            add(day, start, end, post, mode);
            got += Decimal::from(90);
            i += 1;
        }
    }
    // Delivered: the plan as run, except on the bank holiday, and East
    // Villages' Saturday in the second week.
    for (w, week) in weeks.iter().enumerate() {
        for s in &plan {
            let Some(d) = s.date_in(*week) else { continue };
            if d == date(2026, 5, 25) {
                continue;
            }
            if n.code.as_str() == SHORT_NETWORK && w == 1 && d.weekday() == Weekday::Sat {
                continue;
            }
            rec.delivered_sessions.push(AccessSession {
                day: SessionDay::On(d),
                from: None,
                to: None,
                ..s.clone()
            });
        }
    }
    rec.planned_sessions.extend(plan);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_facts;
    use crate::rulebook::Rulebook;
    use crate::services::*;

    #[test]
    fn the_demo_services_validate_and_one_network_falls_short() {
        let rb = Rulebook::embedded().unwrap();
        let rules = &rb.year("2026-27").unwrap().services;
        let facts = demo_facts();
        let posts = demo_service_posts(&facts);
        let rec = demo_services(&facts, &posts);
        assert_eq!(rec, demo_services(&facts, &posts), "deterministic");
        let mut alignments = facts.care_home_alignments.clone();
        let change = demo_alignment_change(&facts);
        alignments.retain(|a| a.location_id != change[0].location_id);
        alignments.extend(change);
        let al = Alignments::new(&alignments);
        assert!(validate_rounds(&rec.rounds, &al, &posts, None).is_empty());
        assert!(validate_care_plans(&rec.care_plans, &al, None).is_empty());
        assert!(validate_sessions(&rec.planned_sessions, &posts).is_empty());
        assert!(validate_sessions(&rec.delivered_sessions, &posts).is_empty());

        let cal = Calendar::from_rulebook(&rb);
        let weeks = demo_service_weeks();
        let summary = summarise_rounds(&round_compliance(&al, &rec.rounds, &weeks, &cal));
        let short = pcn(SHORT_NETWORK);
        // Its two care homes each miss two weeks.
        assert_eq!(summary[&short].owed - summary[&short].met, 4);
        assert_eq!(summary[&short].missed.len(), 2);
        for (n, s) in &summary {
            if *n != short {
                assert_eq!(s.owed, s.met, "{n}");
            }
        }
        let plans = care_plan_timeliness(&rec.care_plans, &al, &cal, 7, date(2026, 6, 28));
        let late: Vec<_> = plans
            .iter()
            .filter(|p| !matches!(p.status, PlanStatus::OnTime))
            .collect();
        // Per home, one late and one overdue.
        assert_eq!(late.len(), 4);
        assert!(late.iter().all(|p| p.pcn.as_ref() == Some(&short)));

        // Capacity in the week of 8 June: East Villages cannot deliver, Town Central can.
        let week = Week::of(date(2026, 6, 8));
        let costs = PostCosts::new(&rb, "2026-27".parse().unwrap(), &posts);
        let nw = |code: &str| {
            let p = pcn(code);
            let adjusted = facts
                .populations
                .iter()
                .find(|f| f.subject == PopulationSubject::Network(p.clone()))
                .map(|f| f.value);
            let homes: Vec<_> = al
                .homes()
                .filter(|(h, _)| al.network_on(h, week.monday()) == Some(&p))
                .map(|(h, _)| h.to_string())
                .collect();
            let beds: u64 = facts
                .care_homes
                .iter()
                .filter(|c| homes.contains(&c.location_id))
                .map(|c| u64::from(c.beds))
                .sum();
            NetworkWeek {
                pcn: p,
                week,
                adjusted_population: adjusted,
                registered_list: adjusted,
                care_home_beds: Some(beds),
                aligned_homes: homes.len() as u32,
            }
        };
        let none = |_: &[String]| None;
        let c = capacity(rules, &nw(SHORT_NETWORK), &posts, &costs, &none);
        assert!(!c.can_deliver);
        assert!(c.answer.contains("15.5 hours of gp"), "{}", c.answer);
        let c = capacity(rules, &nw("U90001"), &posts, &costs, &none);
        assert!(c.can_deliver, "{}", c.answer);
    }
}
