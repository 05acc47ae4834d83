//! Times the services computation for a synthetic England-sized set: 1,300
//! networks, 15,600 care homes, 39,000 posts, four weeks of rounds, care
//! plans and enhanced access sessions. Run in release:
//!
//! ```sh
//! cargo run --release -p pcn-core --example services_bench
//! ```

// Tests and examples may read the rule files and time themselves; the
// library itself may not (clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Days, NaiveDate, Weekday};
use pcn_core::arrs::{Employer, Funding, Origin, Post, Terms};
use pcn_core::money::Pence;
use pcn_core::rulebook::{Region, Rulebook};
use pcn_core::services::*;
use pcn_core::{CareHomeAlignment, PcnCode};
use rust_decimal::Decimal;

fn main() {
    let rb = Rulebook::embedded().expect("rules");
    let rules = &rb.year("2025-26").expect("2025-26").services;
    let ea = rules.spec("enhanced-access").expect("enhanced access");
    let start = NaiveDate::from_ymd_opt(2025, 6, 2).expect("date");
    let weeks = Week::span(start, start + Days::new(27));
    let (networks, homes_per, posts_per) = (1_300usize, 12usize, 30usize);
    let roles = [
        "gp",
        "clinical-pharmacist",
        "paramedic",
        "advanced-practitioner",
        "care-coordinator",
    ];

    let mut alignments = Vec::new();
    let mut rounds = Vec::new();
    let mut plans = Vec::new();
    let mut sessions = Vec::new();
    let mut posts: Vec<Post> = Vec::new();
    let mut beds_of: HashMap<String, u64> = HashMap::new();
    let mut codes = Vec::new();
    for n in 0..networks {
        let code = PcnCode::parse(&format!("U{:05}", 10_000 + n)).expect("code");
        codes.push(code.clone());
        for p in 0..posts_per {
            let id = (n * posts_per + p) as i64;
            posts.push(Post {
                id,
                pcn: code.clone(),
                person: format!("P{id}"),
                name: None,
                role: roles[p % roles.len()].to_string(),
                employer: Employer::Network,
                funding: if p % roles.len() == 0 {
                    Funding::Other
                } else {
                    Funding::Arrs
                },
                region: Region::England,
                start: NaiveDate::from_ymd_opt(2025, 4, 1).expect("date"),
                end: None,
                terms: vec![Terms {
                    effective_from: NaiveDate::from_ymd_opt(2025, 4, 1).expect("date"),
                    band: if p % roles.len() == 0 {
                        "gp".into()
                    } else {
                        "7".into()
                    },
                    wte: Decimal::ONE,
                    salary: Some(Pence(if p % roles.len() == 0 {
                        10_000_000
                    } else {
                        4_800_000
                    })),
                    on_costs: None,
                    levy: false,
                    recorded: 0,
                }],
                origin: Origin::Entered,
            });
        }
        for h in 0..homes_per {
            let home = format!("1-{}", 100_000 + n * homes_per + h);
            beds_of.insert(home.clone(), 20 + (h as u64 * 7) % 60);
            alignments.push(CareHomeAlignment {
                location_id: home.clone(),
                pcn: code.clone(),
                from: NaiveDate::from_ymd_opt(2020, 10, 1).expect("date"),
                to: None,
            });
            for (w, week) in weeks.iter().enumerate() {
                if (n + h + w) % 17 != 0 {
                    rounds.push(CareHomeRound {
                        date: week.day(1),
                        location_id: home.clone(),
                        post: (n * posts_per) as i64,
                        residents_reviewed: 3,
                        row: None,
                    });
                }
            }
            plans.push(CarePlanRecord {
                resident: format!("R{n}-{h}"),
                location_id: home,
                admitted: start + Days::new((h % 20) as u64),
                planned: (h % 5 != 0).then(|| start + Days::new((h % 20) as u64 + 9)),
                row: None,
            });
        }
        for (i, day) in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
        ]
        .iter()
        .enumerate()
        {
            for k in 0..3 {
                sessions.push(AccessSession {
                    pcn: code.clone(),
                    site: "Hub".into(),
                    day: SessionDay::Weekly(*day),
                    start: if i == 5 { 540 } else { 1080 },
                    end: if i == 5 { 1020 } else { 1230 },
                    post: (n * posts_per + k * 5) as i64,
                    appointments: 10,
                    mode: SessionMode::FaceToFace,
                    from: None,
                    to: None,
                    row: None,
                });
            }
        }
    }
    println!(
        "synthetic England: {} networks, {} care homes, {} posts, {} rounds, {} plans, {} planned sessions, {} weeks",
        networks,
        alignments.len(),
        posts.len(),
        rounds.len(),
        plans.len(),
        sessions.len(),
        weeks.len()
    );

    let t0 = Instant::now();
    let cal = Calendar::from_rulebook(&rb);
    let al = Alignments::new(&alignments);
    let t_costs = Instant::now();
    let costs = PostCosts::new(&rb, "2025-26".parse().expect("year"), &posts);
    let costs_time = t_costs.elapsed();
    let t_compliance = Instant::now();
    let hw = round_compliance(&al, &rounds, &weeks, &cal);
    let summary = summarise_rounds(&hw);
    let checks = care_plan_timeliness(&plans, &al, &cal, 7, start + Days::new(27));
    let compliance_time = t_compliance.elapsed();

    let t_cap = Instant::now();
    let mut by_pcn: HashMap<&PcnCode, Vec<Post>> = HashMap::new();
    for p in &posts {
        by_pcn.entry(&p.pcn).or_default().push(p.clone());
    }
    let mut sessions_by: HashMap<&PcnCode, Vec<AccessSession>> = HashMap::new();
    for s in &sessions {
        sessions_by.entry(&s.pcn).or_default().push(s.clone());
    }
    let mut homes_by: HashMap<&PcnCode, (u32, u64)> = HashMap::new();
    for a in &alignments {
        let e = homes_by.entry(&a.pcn).or_default();
        e.0 += 1;
        e.1 += beds_of[&a.location_id];
    }
    let income = |_: &[String]| Some(Pence(200_000));
    let (mut short, mut access_short, mut total_required) = (0, 0, Decimal::ZERO);
    for code in &codes {
        let my_posts = &by_pcn[code];
        let my_sessions = &sessions_by[code];
        let (homes, beds) = homes_by[code];
        let adjusted =
            Decimal::from(30_000 + (code.as_str()[1..].parse::<u64>().unwrap_or(0) % 40_000));
        for week in &weeks {
            let n = NetworkWeek {
                pcn: code.clone(),
                week: *week,
                adjusted_population: Some(adjusted),
                registered_list: Some(adjusted),
                care_home_beds: Some(beds),
                aligned_homes: homes,
            };
            let c = capacity(rules, &n, my_posts, &costs, &income);
            short += usize::from(!c.can_deliver);
            let a = access_week(&AccessInputs {
                spec: ea,
                pcn: code,
                week: *week,
                population: Some(adjusted),
                planned: my_sessions,
                delivered: &[],
                posts: my_posts,
                costs: &costs,
                hours_per_wte_week: Decimal::from_str_exact("37.5").expect("decimal"),
                payment: Some(Pence(160_000)),
                calendar: &cal,
            });
            access_short += usize::from(a.planned_shortfall.is_some_and(|s| s > Decimal::ZERO));
            total_required += a.required.unwrap_or_default();
        }
    }
    let cap_time = t_cap.elapsed();
    let total = t0.elapsed();
    println!(
        "costs of every post: {:.3} s; rounds and plans compliance: {:.3} s ({} home-weeks, {} networks, {} plans); requirements, access and capacity for {} network-weeks: {:.3} s",
        costs_time.as_secs_f64(),
        compliance_time.as_secs_f64(),
        hw.len(),
        summary.len(),
        checks.len(),
        codes.len() * weeks.len(),
        cap_time.as_secs_f64()
    );
    println!(
        "total: {:.3} s (target under 1 s); network-weeks short of staff: {short}; short of access minutes: {access_short}; access minutes required: {total_required}",
        total.as_secs_f64()
    );
}
