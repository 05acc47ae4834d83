//! Hand-worked tests of the services core: one per requirement, from the
//! rule files' own figures (2025/26), across bank holidays, a care home that
//! changes network, and sessions at the edges of the Network Standard Hours.

// Tests and examples may read the rule files and time themselves; the
// library itself may not (clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use chrono::Weekday;
use pcn_core::arrs::{Employer, Funding, Origin, Post, Terms};
use pcn_core::funding::{statement, Figure, MemberInputs, MissingInputs, NetworkInputs};
use pcn_core::money::Pence;
use pcn_core::rulebook::{parse_time, Region, Rulebook, ServiceRules};
use pcn_core::services::*;
use pcn_core::{CareHomeAlignment, PracticeCode};
use rust_decimal::Decimal;

mod support;
use support::{d, dec, pcn};

fn rb() -> Rulebook {
    Rulebook::embedded().unwrap()
}

fn rules_2025(rb: &Rulebook) -> &ServiceRules {
    &rb.year("2025-26").unwrap().services
}

fn post(
    id: i64,
    network: &str,
    role: &str,
    funding: Funding,
    wte: &str,
    salary: Option<i64>,
) -> Post {
    Post {
        id,
        pcn: pcn(network),
        person: format!("P{id}"),
        name: None,
        role: role.into(),
        employer: Employer::Network,
        funding,
        region: Region::England,
        start: d("2025-04-01"),
        end: None,
        terms: vec![Terms {
            effective_from: d("2025-04-01"),
            band: if role == "gp" {
                "gp".into()
            } else {
                "7".into()
            },
            wte: dec(wte),
            salary: salary.map(|s| Pence(s * 100)),
            on_costs: None,
            levy: false,
            recorded: 0,
        }],
        origin: Origin::Entered,
    }
}

// ---------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------

#[test]
fn the_2025_26_specifications_are_data_with_sources() {
    let rb = rb();
    let s = rules_2025(&rb);
    let ea = s.spec("enhanced-access").unwrap();
    assert_eq!(ea.income_streams, vec!["enhanced-access".to_string()]);
    // Network Standard Hours: 18:30–20:00 weekdays, 09:00–17:00 Saturday.
    let weekly: u32 = ea.windows.iter().map(|w| w.minutes_a_week()).sum();
    assert_eq!(weekly, 5 * 90 + 480);
    assert_eq!(
        required_minutes(&ea.requirements[0].measure, dec("1000")),
        Some(dec("60"))
    );
    let ehch = s.spec("enhanced-health-in-care-homes").unwrap();
    assert!(ehch.requirements.iter().any(|r| matches!(
        r.measure,
        pcn_core::rulebook::Measure::CarePlanWithinWorkingDays { working_days: 7 }
    )));
    assert!(s.bank_holidays.contains(&d("2025-04-18")));
    assert!(s.bank_holidays.contains(&d("2025-12-26")));
    for spec in &s.specs {
        assert!(!spec.cited.source.document.is_empty(), "{}", spec.id);
    }
    // Extended hours ended on 30 September 2022, enhanced access began on 1 October.
    let y = &rb.year("2022-23").unwrap().services;
    assert_eq!(y.spec("extended-hours-access").unwrap().to, d("2022-09-30"));
    assert_eq!(y.spec("enhanced-access").unwrap().from, d("2022-10-01"));
    // Every year's bank holidays are inside it; England and Wales 2022-23 had ten.
    assert_eq!(y.bank_holidays.len(), 10);
}

#[test]
fn the_loader_names_every_bad_service_field() {
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/2025-26.toml"
    ))
    .unwrap();
    let bad = good
        .replacen("roles = [\"gp\"]", "roles = [\"wizard\"]", 1)
        .replacen("from = \"18:30\"", "from = \"18:75\"", 1)
        .replacen(
            "id = \"minutes-per-care-plan\"",
            "id = \"minutes-per-care-plan-x\"",
            1,
        )
        .replacen(
            "income_streams = [\"enhanced-access\"]",
            "income_streams = [\"no-such-stream\"]",
            1,
        );
    let e = Rulebook::from_sources(&[("rules/2025-26.toml", &bad)]).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("\"wizard\" is neither an [arrs] role"),
        "{text}"
    );
    assert!(text.contains("\"18:75\" is not a time"), "{text}");
    assert!(
        text.contains("uses the assumption \"minutes-per-care-plan\""),
        "{text}"
    );
    assert!(
        text.contains("\"no-such-stream\" is not a [[stream]]"),
        "{text}"
    );
    assert!(text.contains("services.spec[0]"), "{text}");
}

// ---------------------------------------------------------------------------
// Care homes: rounds across a bank holiday and a home that changes network
// ---------------------------------------------------------------------------

/// Home 1-100 is aligned to U00001 until Tuesday 22 April 2025 and to
/// U00002 from Wednesday 23 April. Home 1-200 stays with U00001.
fn alignments() -> Alignments {
    Alignments::new(&[
        CareHomeAlignment {
            location_id: "1-100".into(),
            pcn: pcn("U00001"),
            from: d("2025-04-01"),
            to: Some(d("2025-04-22")),
        },
        CareHomeAlignment {
            location_id: "1-100".into(),
            pcn: pcn("U00002"),
            from: d("2025-04-23"),
            to: None,
        },
        CareHomeAlignment {
            location_id: "1-200".into(),
            pcn: pcn("U00001"),
            from: d("2025-04-01"),
            to: None,
        },
    ])
}

fn round(date: &str, home: &str, post: i64, row: u64) -> CareHomeRound {
    CareHomeRound {
        date: d(date),
        location_id: home.into(),
        post,
        residents_reviewed: 3,
        row: Some(row),
    }
}

#[test]
fn weekly_rounds_across_easter_and_a_change_of_network() {
    let rb = rb();
    let cal = Calendar::from_rulebook(&rb);
    let al = alignments();
    let weeks = Week::span(d("2025-04-14"), d("2025-05-04"));
    assert_eq!(weeks.len(), 3);
    let rounds = vec![
        // Week of 14 April (Good Friday 18th): both homes seen on the Tuesday.
        round("2025-04-15", "1-100", 1, 2),
        round("2025-04-15", "1-200", 1, 3),
        // Week of 21 April (Easter Monday; 1-100 moves on Wednesday): the new
        // network's round on Thursday meets the week the old network owes.
        round("2025-04-24", "1-100", 2, 4),
        // 1-200 has its round on the bank holiday itself.
        round("2025-04-21", "1-200", 1, 5),
        // Week of 28 April: nobody visits 1-100; 1-200 is seen.
        round("2025-04-29", "1-200", 1, 6),
    ];
    let hw = round_compliance(&al, &rounds, &weeks, &cal);
    let get = |home: &str, monday: &str| {
        hw.iter()
            .find(|h| h.location_id == home && h.week.monday() == d(monday))
            .unwrap()
    };
    let w1 = get("1-100", "2025-04-14");
    assert!(w1.met && w1.pcn == pcn("U00001"));
    assert_eq!(w1.bank_holidays, vec![d("2025-04-18")]);
    let w2 = get("1-100", "2025-04-21");
    assert_eq!(w2.pcn, pcn("U00001"), "aligned to U00001 on the Monday");
    assert!(w2.met);
    assert_eq!(w2.bank_holidays, vec![d("2025-04-21")]);
    let w3 = get("1-100", "2025-04-28");
    assert_eq!(w3.pcn, pcn("U00002"));
    assert!(!w3.met);
    assert!(get("1-200", "2025-04-21").met);
    let sum = summarise_rounds(&hw);
    let a = &sum[&pcn("U00001")];
    assert_eq!((a.owed, a.met), (5, 5));
    let b = &sum[&pcn("U00002")];
    assert_eq!((b.owed, b.met), (1, 0));
    assert_eq!(b.missed.get("1-100"), Some(&1));
}

#[test]
fn a_round_for_a_home_not_aligned_to_the_network_is_refused_with_its_row() {
    let al = alignments();
    let posts = vec![
        post(1, "U00001", "gp", Funding::Other, "1", Some(100_000)),
        post(
            2,
            "U00002",
            "advanced-practitioner",
            Funding::Arrs,
            "1",
            None,
        ),
    ];
    let rounds = vec![
        // U00001's GP at 1-100 after it moved to U00002.
        round("2025-04-24", "1-100", 1, 2),
        // U00002's practitioner there before the move.
        round("2025-04-22", "1-100", 2, 3),
        // An unknown post.
        round("2025-04-22", "1-200", 99, 4),
        // A home never aligned.
        round("2025-04-22", "1-999", 1, 5),
        // Fine.
        round("2025-04-22", "1-200", 1, 6),
    ];
    let p = validate_rounds(&rounds, &al, &posts, None);
    assert_eq!(p.len(), 4, "{p:?}");
    assert_eq!((p[0].row, p[0].column), (Some(2), "location_id"));
    assert!(
        p[0].message
            .contains("aligned to U00002 on 2025-04-24, not to U00001"),
        "{}",
        p[0]
    );
    assert_eq!((p[1].row, p[1].column), (Some(3), "location_id"));
    assert!(p[1]
        .message
        .contains("aligned to U00001 on 2025-04-22, not to U00002"));
    assert_eq!((p[2].row, p[2].column), (Some(4), "post_id"));
    assert!(p[2].message.contains("no such post"));
    assert_eq!((p[3].row, p[3].column), (Some(5), "location_id"));
    assert!(p[3].message.contains("not aligned to any network"));
    // Imported for a network: another network's post is refused.
    let p = validate_rounds(&rounds[4..], &al, &posts, Some(&pcn("U00002")));
    assert!(
        p[0].message.contains("on U00001's roster, not U00002's"),
        "{p:?}"
    );
}

// ---------------------------------------------------------------------------
// Care plans within 7 working days, across Easter
// ---------------------------------------------------------------------------

#[test]
fn care_plans_within_seven_working_days_across_easter() {
    let rb = rb();
    let cal = Calendar::from_rulebook(&rb);
    let al = alignments();
    let plan = |r: &str, admitted: &str, planned: Option<&str>| CarePlanRecord {
        resident: r.into(),
        location_id: "1-200".into(),
        admitted: d(admitted),
        planned: planned.map(d),
        row: None,
    };
    // Admitted Thursday 17 April 2025. Good Friday (18th) and Easter Monday
    // (21st) are bank holidays, so the seven working days are 22, 23, 24,
    // 25, 28, 29 and 30 April: the deadline is Wednesday 30 April.
    let plans = vec![
        plan("R1", "2025-04-17", Some("2025-04-30")),
        plan("R2", "2025-04-17", Some("2025-05-01")),
        plan("R3", "2025-04-17", None),
        // Admitted on Saturday 19 April: counting starts on Tuesday 22nd,
        // so the deadline is also 30 April.
        plan("R4", "2025-04-19", Some("2025-04-30")),
    ];
    let at = |as_at: &str| care_plan_timeliness(&plans, &al, &cal, 7, d(as_at));
    let c = at("2025-04-29");
    assert!(c.iter().all(|p| p.deadline == d("2025-04-30")), "{c:?}");
    assert_eq!(c[0].status, PlanStatus::OnTime);
    assert_eq!(c[0].working_days, 7);
    assert_eq!(c[1].status, PlanStatus::Late);
    assert_eq!(c[1].working_days_late, 1);
    assert_eq!(c[2].status, PlanStatus::Due);
    assert_eq!(c[3].status, PlanStatus::OnTime);
    assert_eq!(c[0].pcn, Some(pcn("U00001")));
    let c = at("2025-05-02");
    assert_eq!(c[2].status, PlanStatus::Overdue);
    assert_eq!(c[2].working_days_late, 2);
    assert!(c.iter().all(|p| p.calendar_known));
    // Across the end of the rulebook's years the deadline is marked.
    let late = vec![plan("R5", "2027-03-25", None)];
    let c = care_plan_timeliness(&late, &al, &cal, 7, d("2027-03-25"));
    assert!(!c[0].calendar_known);
}

#[test]
fn a_plan_before_its_admission_is_refused() {
    let al = alignments();
    let plans = vec![
        CarePlanRecord {
            resident: "R1".into(),
            location_id: "1-200".into(),
            admitted: d("2025-05-02"),
            planned: Some(d("2025-05-01")),
            row: Some(2),
        },
        CarePlanRecord {
            resident: "R2".into(),
            location_id: "1-100".into(),
            admitted: d("2025-05-02"),
            planned: None,
            row: Some(3),
        },
    ];
    let p = validate_care_plans(&plans, &al, Some(&pcn("U00001")));
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!((p[0].row, p[0].column), (Some(2), "plan_date"));
    assert_eq!((p[1].row, p[1].column), (Some(3), "location_id"));
    assert!(p[1].message.contains("aligned to U00002"));
}

// ---------------------------------------------------------------------------
// Enhanced access: minutes at the edges of the Network Standard Hours
// ---------------------------------------------------------------------------

fn session(day: Weekday, start: &str, end: &str, post: i64) -> AccessSession {
    AccessSession {
        pcn: pcn("U00001"),
        site: "Main Surgery".into(),
        day: SessionDay::Weekly(day),
        start: parse_time(start).unwrap(),
        end: parse_time(end).unwrap(),
        post,
        appointments: 6,
        mode: SessionMode::FaceToFace,
        from: None,
        to: None,
        row: None,
    }
}

#[test]
fn minutes_count_only_inside_the_network_standard_hours() {
    let rb = rb();
    let ea = rules_2025(&rb).spec("enhanced-access").unwrap();
    let inside = |day, a: &str, b: &str| {
        ea.minutes_inside(day, parse_time(a).unwrap(), parse_time(b).unwrap())
    };
    assert_eq!(inside(Weekday::Mon, "18:30", "20:00"), 90);
    assert_eq!(
        inside(Weekday::Mon, "18:00", "18:30"),
        0,
        "ends at the start"
    );
    assert_eq!(
        inside(Weekday::Mon, "20:00", "21:00"),
        0,
        "starts at the end"
    );
    assert_eq!(inside(Weekday::Tue, "17:00", "20:30"), 90, "crosses 20:00");
    assert_eq!(
        inside(Weekday::Wed, "19:45", "20:15"),
        15,
        "crosses 20:00 late"
    );
    assert_eq!(inside(Weekday::Sat, "08:00", "09:30"), 30);
    assert_eq!(inside(Weekday::Sat, "16:30", "17:30"), 30);
    assert_eq!(
        inside(Weekday::Sat, "18:30", "20:00"),
        0,
        "Saturday evening is outside"
    );
    assert_eq!(inside(Weekday::Sun, "10:00", "12:00"), 0);
}

#[test]
fn an_access_week_with_a_session_across_20_00_and_a_bank_holiday() {
    let rb = rb();
    let cal = Calendar::from_rulebook(&rb);
    let ea = rules_2025(&rb).spec("enhanced-access").unwrap();
    let posts = vec![post(1, "U00001", "gp", Funding::Other, "1", Some(100_000))];
    let costs = PostCosts::new(&rb, "2025-26".parse().unwrap(), &posts);
    let planned = vec![
        session(Weekday::Mon, "18:30", "20:00", 1),
        // Crosses 20:00: 90 of its 210 minutes count.
        session(Weekday::Tue, "17:00", "20:30", 1),
        session(Weekday::Sat, "09:00", "17:00", 1),
    ];
    // Adjusted population 40,210.75: 60 × 40.21075 = 2,412.645 minutes a week.
    let inputs = |week: &str, delivered: &'static [AccessSession]| AccessInputs {
        spec: ea,
        pcn: Box::leak(Box::new(pcn("U00001"))),
        week: Week::of(d(week)),
        population: Some(dec("40210.75")),
        planned: Box::leak(planned.clone().into_boxed_slice()),
        delivered,
        posts: Box::leak(posts.clone().into_boxed_slice()),
        costs: Box::leak(Box::new(costs.clone())),
        hours_per_wte_week: dec("37.5"),
        payment: Some(Pence(196_630)),
        calendar: Box::leak(Box::new(cal.clone())),
    };
    let w = access_week(&inputs("2025-06-02", &[]));
    assert_eq!(w.required, Some(dec("2412.645")));
    assert_eq!(w.planned_inside, 90 + 90 + 480);
    assert_eq!(w.planned_shortfall, Some(dec("1752.645")));
    assert!(
        w.notes
            .iter()
            .any(|n| n.contains("120 planned minutes are outside")),
        "{:?}",
        w.notes
    );
    // Cost of the whole sessions (90 + 210 + 480 = 780 minutes = 13 hours) of a
    // 1 WTE GP at £100,000: June pay 100,000 × 30/(12 × 30) = 8,333.33; employer NI
    // 15% above 416.67 = 1,187.50; pension 14.38% = 1,198.33; 10,719.17 a month,
    // 357.3056 a day, 37.5/7 hours a day: £66.697 an hour, × 13 = £867.06.
    assert_eq!(w.planned_cost, Some(Pence(86_706)));
    assert_eq!(w.payment, Some(Pence(196_630)));
    // Whit week: none. Easter Monday 2025 (21 April): the Monday session does not run.
    let w = access_week(&inputs("2025-04-21", &[]));
    assert_eq!(w.planned_inside, 90 + 480);
    assert!(w
        .notes
        .iter()
        .any(|n| n.contains("90 planned minutes fall on a bank holiday")));
    // Delivered: only the Saturday happened.
    static DELIVERED: std::sync::OnceLock<Vec<AccessSession>> = std::sync::OnceLock::new();
    let delivered = DELIVERED.get_or_init(|| {
        let mut s = session(Weekday::Sat, "09:00", "13:00", 1);
        s.day = SessionDay::On(d("2025-06-07"));
        vec![s]
    });
    let w = access_week(&inputs("2025-06-02", delivered));
    assert_eq!(w.delivered_inside, 240);
    assert_eq!(w.delivered_shortfall, Some(dec("2172.645")));
}

#[test]
fn extended_hours_round_to_the_nearest_quarter_hour() {
    let rb = rb();
    let eh = rb
        .year("2021-22")
        .unwrap()
        .services
        .spec("extended-hours-access")
        .unwrap();
    let m = &eh.requirements[0].measure;
    // 50,000 registered patients: 50 × 30 = 1,500 minutes (25 hours).
    assert_eq!(required_minutes(m, dec("50000")), Some(dec("1500")));
    // 41,234: 1,237.02 minutes, nearest quarter hour 1,230 (82 × 15).
    assert_eq!(required_minutes(m, dec("41234")), Some(dec("1230")));
    // Outside core hours: a Monday 07:00–08:30 session counts 60 minutes.
    assert_eq!(eh.minutes_inside(Weekday::Mon, 420, 510), 60);
    assert_eq!(eh.minutes_inside(Weekday::Sun, 600, 660), 60);
}

#[test]
fn a_session_for_an_unknown_post_or_another_network_is_refused() {
    let posts = vec![post(1, "U00002", "gp", Funding::Other, "1", Some(100_000))];
    let mut a = session(Weekday::Mon, "18:30", "20:00", 1);
    a.row = Some(2);
    let mut b = session(Weekday::Mon, "18:30", "20:00", 7);
    b.row = Some(3);
    let p = validate_sessions(&[a, b], &posts);
    assert_eq!(p.len(), 2);
    assert_eq!((p[0].row, p[0].column), (Some(2), "post_id"));
    assert!(p[0].message.contains("on U00002's roster, not U00001's"));
    assert!(p[1].message.contains("no such post"));
}

// ---------------------------------------------------------------------------
// Workload against capacity
// ---------------------------------------------------------------------------

fn ea_statement(rb: &Rulebook) -> pcn_core::funding::Statement {
    let year = rb.year("2025-26").unwrap();
    let member = MemberInputs {
        code: PracticeCode::parse("A81001").unwrap(),
        name: None,
        registered: Some(Figure::exact(12_000u32, Some(d("2025-01-01")))),
        weighted: Some(Figure::exact(12_000u32, Some(d("2025-01-01")))),
        membership_months: None,
    };
    let inputs = NetworkInputs {
        adjusted: Some(Figure::exact(12_000u32, Some(d("2025-01-01")))),
        care_home_beds: Some(Figure::exact(60u32, Some(d("2025-01-01")))),
        ..NetworkInputs::new(pcn("U00001"), vec![member])
    };
    statement(year, &inputs, MissingInputs::Estimate).unwrap()
}

#[test]
fn the_weeks_share_of_a_payment_is_spread_by_day() {
    let rb = rb();
    let s = ea_statement(&rb);
    // £8.427 × 12,000 = £101,124 a year, £8,427 in June: 7/30 of it is £1,966.30.
    let w = weekly_income(&s, &["enhanced-access".into()], Week::of(d("2025-06-02")));
    assert_eq!(w, Some(Pence(196_630)));
    // A week across June and July (Monday 30 June to Sunday 6 July):
    // 1/30 × 8,427 + 6/31 × 8,427 = 280.90 + 1,631.0322… = £1,911.93, rounded once.
    let w = weekly_income(&s, &["enhanced-access".into()], Week::of(d("2025-06-30")));
    assert_eq!(w, Some(Pence(191_193)));
    assert_eq!(
        weekly_income(&s, &["no-such".into()], Week::of(d("2025-06-02"))),
        None
    );
}

#[test]
fn capacity_says_who_is_short_and_a_what_if_fixes_it() {
    let rb = rb();
    let rules = rules_2025(&rb);
    let s = ea_statement(&rb);
    let income = |ids: &[String]| weekly_income(&s, ids, Week::of(d("2025-06-02")));
    let n = NetworkWeek {
        pcn: pcn("U00001"),
        week: Week::of(d("2025-06-02")),
        adjusted_population: Some(dec("12000")),
        registered_list: Some(dec("12000")),
        care_home_beds: Some(60),
        aligned_homes: 2,
    };
    // Demand, hand-worked from the 2025/26 assumptions:
    let dm = demands(rules, &n);
    let hours = |req: &str| dm.iter().find(|x| x.requirement_id == req).unwrap().hours;
    // EA: 60 × 12 = 720 minutes = 12 hours; GP cover 5 × 1.5 + 8 = 15.5 hours.
    assert_eq!(hours("appointment-minutes"), Some(dec("12")));
    assert_eq!(hours("gp-cover"), Some(dec("15.5")));
    // Rounds: 2 homes × 60 min + 60 beds × 0.1 × 20 min = 240 min = 4 hours.
    assert_eq!(hours("weekly-home-round"), Some(dec("4")));
    // Plans: 60 beds × 0.6 a year ÷ 52 × 60 min ÷ 60 = 36/52 hours.
    assert_eq!(
        hours("care-plan-within-7-working-days")
            .unwrap()
            .round_dp(6),
        (dec("36") / dec("52")).round_dp(6)
    );
    // Care home SMRs: 60 × 1 ÷ 52 × 30 min = 30/52 hours.
    assert_eq!(
        hours("care-home-resident-smr").unwrap().round_dp(6),
        (dec("30") / dec("52")).round_dp(6)
    );
    assert_eq!(
        hours("specification"),
        None,
        "the overarching spec is unquantified"
    );

    // A roster with a paramedic only: no GP, so the cover is short by 15.5 hours.
    let posts = vec![post(
        2,
        "U00001",
        "paramedic",
        Funding::Arrs,
        "1",
        Some(45_000),
    )];
    let costs = PostCosts::new(&rb, "2025-26".parse().unwrap(), &posts);
    let c = capacity(rules, &n, &posts, &costs, &income);
    assert!(!c.can_deliver);
    let ea = c
        .services
        .iter()
        .find(|s| s.spec_id == "enhanced-access")
        .unwrap();
    assert_eq!(ea.short, vec![("gp".to_string(), dec("15.5"))]);
    assert!(
        ea.delivery_answer.starts_with("short by 15.5 hours of gp"),
        "{}",
        ea.delivery_answer
    );
    // The paramedic (37.5 h) gives the 12 EA hours, then the round (4 h) and plans.
    assert_eq!(ea.allocated, vec![("paramedic".to_string(), dec("12"))]);
    assert_eq!(ea.income, Some(Pence(196_630)));
    // Care home SMRs need a pharmacist, GP or advanced practitioner: short.
    let ehch = c
        .services
        .iter()
        .find(|s| s.spec_id == "enhanced-health-in-care-homes")
        .unwrap();
    assert!(
        ehch.delivery_answer
            .contains("hours of clinical-pharmacist"),
        "{}",
        ehch.delivery_answer
    );
    assert!(c.answer.contains("cannot deliver"), "{}", c.answer);
    let para = c.roles.iter().find(|r| r.role == "paramedic").unwrap();
    assert_eq!(para.available, dec("37.5"));
    // The paramedic is ARRS-funded below the maximum: fully reimbursed, so EA is funded.
    assert!(
        ea.funding_answer.starts_with("funded"),
        "{}",
        ea.funding_answer
    );

    // What if: a GP (1 WTE) and a pharmacist join.
    let added = vec![
        post(-1, "U00001", "gp", Funding::Arrs, "1", None),
        post(
            -2,
            "U00001",
            "clinical-pharmacist",
            Funding::Arrs,
            "0.2",
            None,
        ),
    ];
    let mut all = posts.clone();
    all.extend(added.clone());
    let costs_after = PostCosts::new(&rb, "2025-26".parse().unwrap(), &all);
    let w = what_if(rules, &n, &posts, &added, &costs, &costs_after, &income);
    assert!(!w.before.can_deliver);
    assert!(w.after.can_deliver, "{}", w.after.answer);
    let ea = w
        .after
        .services
        .iter()
        .find(|s| s.spec_id == "enhanced-access")
        .unwrap();
    assert_eq!(ea.unmet_hours, Decimal::ZERO);
    // The cover (one eligible role) is allocated first; the appointments then
    // take the GP first too, as the lead role: 15.5 + 12 hours.
    assert_eq!(ea.allocated, vec![("gp".to_string(), dec("27.5"))]);
}

// ---------------------------------------------------------------------------
// Records as kept, costs from claim lines
// ---------------------------------------------------------------------------

#[test]
fn the_latest_record_of_each_round_plan_and_session_is_in_force() {
    let mut recorded = ServiceRecords {
        rounds: vec![
            round("2025-04-15", "1-1", 1, 2),
            round("2025-04-22", "1-1", 1, 3),
        ],
        care_plans: vec![CarePlanRecord {
            resident: "R-1".into(),
            location_id: "1-1".into(),
            admitted: d("2025-04-17"),
            planned: None,
            row: Some(2),
        }],
        planned_sessions: vec![session(Weekday::Tue, "18:30", "20:00", 1)],
        delivered_sessions: Vec::new(),
    };
    // Later: the round of 15 April again with the reviews corrected, the
    // plan made, the Tuesday session moved to a later end.
    let mut later = recorded.clone();
    later.rounds = vec![CareHomeRound {
        residents_reviewed: 9,
        ..round("2025-04-15", "1-1", 1, 2)
    }];
    later.care_plans[0].planned = Some(d("2025-04-25"));
    later.planned_sessions[0].end = parse_time("20:30").unwrap();
    recorded.extend(later);
    let now = recorded.current();
    assert_eq!(now.rounds.len(), 2);
    assert_eq!(now.rounds[0].residents_reviewed, 9, "replaced in place");
    assert_eq!(now.rounds[1].date, d("2025-04-22"));
    assert_eq!(now.care_plans.len(), 1);
    assert_eq!(now.care_plans[0].planned, Some(d("2025-04-25")));
    assert_eq!(now.planned_sessions.len(), 1);
    assert_eq!(now.planned_sessions[0].end, parse_time("20:30").unwrap());
}

#[test]
fn the_same_round_or_session_twice_in_a_file_is_refused() {
    let al = alignments();
    let posts = [post(1, "U00001", "gp", Funding::Other, "1", Some(98_000))];
    let rounds = [
        round("2025-04-15", "1-1", 1, 2),
        round("2025-04-15", "1-1", 1, 5),
    ];
    let problems = validate_rounds(&rounds, &al, &posts, None);
    let dup: Vec<_> = problems
        .iter()
        .filter(|p| p.message.contains("twice"))
        .collect();
    assert_eq!(dup.len(), 1);
    assert_eq!((dup[0].row, dup[0].column), (Some(5), "date"));
    let s = session(Weekday::Tue, "18:30", "20:00", 1);
    let problems = validate_sessions(&[s.clone(), s], &posts);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("twice"));
}

#[test]
fn costs_from_claim_lines_already_worked_out_are_the_same_costs() {
    let rb = rb();
    let fy = "2025-26".parse().unwrap();
    let posts = vec![
        post(1, "U00001", "paramedic", Funding::Arrs, "1", Some(47_810)),
        post(
            2,
            "U00001",
            "clinical-pharmacist",
            Funding::Arrs,
            "0.6",
            None,
        ),
        post(3, "U00001", "gp", Funding::Other, "1", Some(98_000)),
    ];
    let arrs: Vec<Post> = posts
        .iter()
        .filter(|p| p.funding == Funding::Arrs)
        .cloned()
        .collect();
    let (lines, errors) = pcn_core::arrs::roster_year(&rb, fy, &arrs, &Default::default(), false);
    assert!(errors.is_empty());
    let worked = PostCosts::new(&rb, fy, &posts);
    let reused = PostCosts::from_claims(&rb, &[fy], &lines, &posts);
    // A week across the end of May, and a whole month.
    for p in &posts {
        for (from, to) in [("2025-05-26", "2025-06-01"), ("2025-07-01", "2025-07-31")] {
            let (a, b) = (
                worked.between(p, d(from), d(to)),
                reused.between(p, d(from), d(to)),
            );
            assert_eq!(a, b, "post {} {from}..{to}", p.id);
            assert!(a.known && a.cost > Decimal::ZERO);
        }
    }
    // A month's days add up to the month's claim line.
    let july = lines
        .iter()
        .find(|l| l.post == 1 && l.month.month == 7)
        .unwrap();
    let c = reused.between(&posts[0], d("2025-07-01"), d("2025-07-31"));
    assert_eq!(Pence::from_pounds(c.cost).unwrap(), july.cost);
    assert_eq!(Pence::from_pounds(c.claimable).unwrap(), july.claimable);
    // Outside the years costed, a cost is unknown rather than zero.
    assert!(
        !reused
            .between(&posts[0], d("2026-04-01"), d("2026-04-07"))
            .known
    );
}
