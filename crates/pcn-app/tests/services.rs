//! The services use cases in process, on the demo in a temporary SQLite
//! store: a network that falls short and one that does not, a
//! commissioner's view, a what-if that adds the missing GP, files whose
//! records the registry refuses (naming file, row and column; nothing
//! written), single entries and their checks, the care home premium fed
//! from an alignment entered in the app, and every network's enhanced
//! access requirement.

use std::sync::Arc;

use chrono::NaiveDate;
use pcn_app::imports::FileOutcome;
use pcn_app::App;
use pcn_core::arrs::Hire;
use pcn_core::facts::CareHomeAlignment;
use pcn_core::payrun::{RunOptions, Selection};
use pcn_core::rulebook::FinancialYear;
use pcn_core::services::{CareHomeRound, PlanStatus, ServiceRecords};
use pcn_core::{CommissionerCode, Decimal, PcnCode};
use pcn_import::ImportOptions;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn pcn(code: &str) -> PcnCode {
    PcnCode::parse(code).unwrap()
}

/// The demo with its services, in a fresh SQLite store.
async fn demo() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite").display().to_string();
    let rulebook = Arc::new(pcn_app::rules::load(None).unwrap());
    let app = App::open(&db, rulebook).await.unwrap();
    pcn_app::demo::write_demo(&app, "test").await.unwrap();
    pcn_app::demo::add_demo_services(&app, "test")
        .await
        .unwrap();
    (app, dir)
}

const FROM: &str = "2026-05-25";
const TO: &str = "2026-06-28";
const TODAY: &str = "2026-07-15";

#[tokio::test]
async fn the_demo_network_that_falls_short_and_one_that_does_not() {
    let (app, _dir) = demo().await;
    let short = app
        .network_services(&pcn("U90005"), Some(d(FROM)), Some(d(TO)), d(TODAY))
        .await
        .unwrap();
    let s = &short.services;
    assert_eq!(s.weeks.len(), 5);
    assert!(s.weeks.iter().all(|w| !w.capacity.can_deliver));
    let last = s.weeks.last().unwrap();
    assert!(
        last.capacity.answer.contains("short by 15.5 hours of gp"),
        "{}",
        last.capacity.answer
    );
    // Two homes, two weeks missed at each.
    assert_eq!((s.rounds.owed, s.rounds.met), (10, 6));
    assert_eq!(s.rounds.missed.len(), 2);
    assert!(s
        .homes
        .iter()
        .filter(|h| !h.week.met)
        .all(|h| h.premium.is_some()));
    let late = s
        .plans
        .iter()
        .filter(|p| p.status == PlanStatus::Late)
        .count();
    let overdue = s
        .plans
        .iter()
        .filter(|p| p.status == PlanStatus::Overdue)
        .count();
    assert_eq!((late, overdue), (2, 2));
    // Enhanced access: the plan is below 60 minutes per 1,000 every week.
    for w in &s.weeks {
        let a = w.access.as_ref().unwrap();
        assert_eq!(a.spec_id, "enhanced-access");
        assert!(a.planned_shortfall.unwrap() > Decimal::ZERO, "{}", w.week);
    }
    assert!(s
        .answers
        .iter()
        .any(|a| a.starts_with("Staff: cannot deliver")));
    assert!(s.answers.iter().any(|a| a.contains("6 of 10 home-weeks")));

    let fine = app
        .network_services(&pcn("U90001"), Some(d(FROM)), Some(d(TO)), d(TODAY))
        .await
        .unwrap();
    let f = &fine.services;
    assert!(
        f.weeks.iter().all(|w| w.capacity.can_deliver),
        "{:?}",
        f.answers
    );
    // The home that moved to Town Central on Wednesday 3 June is owed by it
    // from the week after.
    assert!(f.homes.iter().all(|h| h.week.met));
    // The paramedic is the community partner's: its rounds and sessions show.
    let partner = fine
        .partners
        .iter()
        .find(|p| p.kind == "community")
        .unwrap();
    assert_eq!(partner.posts.len(), 1);
    assert!(partner.sessions > 0 && partner.session_minutes > 0);
    assert!(fine
        .partners
        .iter()
        .any(|p| p.kind == "voluntary" && p.posts.is_empty()));
    // Enhanced access is paid: the payment and the sessions' cost are known.
    let a = f.weeks[2].access.as_ref().unwrap();
    assert!(a.payment.is_some() && a.delivered_cost.is_some(), "{a:?}");
}

#[tokio::test]
async fn a_commissioner_sees_every_network_and_a_what_if_adds_the_missing_gp() {
    let (app, _dir) = demo().await;
    let view = app
        .commissioner_services(
            &CommissionerCode::parse("Z2B").unwrap(),
            Some(d(FROM)),
            Some(d(TO)),
            d(TODAY),
        )
        .await
        .unwrap();
    let row = |code: &str| {
        view.networks
            .iter()
            .find(|(_, r)| r.pcn.as_str() == code)
            .map(|(_, r)| r)
    };
    let short = row("U90005").unwrap();
    assert_eq!(short.weeks_short_of_staff, 5);
    assert_eq!(short.rounds_owed - short.rounds_met, 4);
    assert!(
        short.answer.contains("care home rounds missed"),
        "{}",
        short.answer
    );
    assert!(view
        .networks
        .iter()
        .filter(|(_, r)| r.pcn.as_str() != "U90005")
        .all(|(_, r)| r.weeks_short_of_staff == 0));
    // Only East Villages falls short of staff and rounds. The others plan
    // enough access every week; the largest plan with little slack and do
    // not re-provide the bank holiday Monday's evenings, so they may fall
    // short in that week (25 May 2026) only.
    for (_, r) in view
        .networks
        .iter()
        .filter(|(_, r)| r.pcn.as_str() != "U90005")
    {
        assert!(r.access_weeks_short <= 1, "{}: {}", r.pcn, r.answer);
        assert_eq!(r.rounds_met, r.rounds_owed, "{}", r.pcn);
    }

    let gp = Hire::parse("gp, 1.0 WTE, from 2026-05-01, salary 98000").unwrap();
    let plan = app
        .services_plan(&pcn("U90005"), d("2026-06-08"), &[gp], None)
        .await
        .unwrap();
    assert!(!plan.before.can_deliver);
    assert!(plan.before.answer.contains("15.5 hours of gp"));
    assert!(
        !plan.after.answer.contains("hours of gp"),
        "{}",
        plan.after.answer
    );
    let gp_hours = |c: &pcn_core::services::Capacity| {
        c.roles
            .iter()
            .find(|r| r.role == "gp")
            .map_or(Decimal::ZERO, |r| r.available)
    };
    assert_eq!(
        gp_hours(&plan.after) - gp_hours(&plan.before),
        Decimal::new(375, 1)
    );
    // An ARRS role is built as `pcn arrs plan` builds it; an unknown role is refused.
    let unknown = Hire::parse("astronaut, from 2026-05-01").unwrap();
    assert!(app
        .services_plan(&pcn("U90005"), d("2026-06-08"), &[unknown], None)
        .await
        .is_err());
}

fn options() -> ImportOptions {
    ImportOptions {
        as_at: None,
        today: d(TODAY),
        limits: pcn_import::Limits::default(),
    }
}

async fn import_text(app: &App, name: &str, text: &str) -> FileOutcome {
    let parsed = pcn_import::parse_bytes(name, text.as_bytes(), &options(), &mut |_| {}).unwrap();
    app.write_parsed(parsed, name, "test").await.unwrap()
}

#[tokio::test]
async fn records_the_registry_refuses_name_file_row_and_column_and_write_nothing() {
    let (app, _dir) = demo().await;
    let posts = app.store.posts(Some(&pcn("U90005"))).await.unwrap();
    let paramedic = posts.iter().find(|p| p.role == "paramedic").unwrap().id;
    let registry = app.registry().await.unwrap();
    let theirs: Vec<&str> = registry.aligned_care_home_ids(&pcn("U90001"), d("2026-06-09"));
    let imports = app.store.imports().await.unwrap().len();
    let text = format!(
        "date,location_id,post_id,residents_reviewed\n\
         2026-06-09,{},{paramedic},3\n\
         2026-06-09,1-999999999,{paramedic},1\n\
         2026-06-10,{},999999,2\n",
        theirs[0], theirs[0]
    );
    let FileOutcome::Refused(e) = import_text(&app, "rounds.csv", &text).await else {
        panic!("the file should be refused");
    };
    let message = e.to_string();
    assert_eq!(e.total_problems, 3, "{message}");
    assert!(
        message.contains(&format!(
            "rounds.csv: row 2, column location_id, value \"{}\": the care home is aligned to U90001 on 2026-06-09, not to U90005",
            theirs[0]
        )),
        "{message}"
    );
    assert!(message.contains("rounds.csv: row 3, column location_id, value \"1-999999999\": the care home is not aligned to any network"), "{message}");
    assert!(
        message.contains(
            "rounds.csv: row 4, column post_id, value \"999999\": no such post on the roster"
        ),
        "{message}"
    );
    assert_eq!(
        app.store.imports().await.unwrap().len(),
        imports,
        "nothing written"
    );

    // A delivered session outside its week is the reader's to refuse.
    let text = "pcn_code,site,date,start,end,post_id,appointments_offered,mode,week_commencing\n\
                U90005,Hub,2026-06-16,18:30,20:00,1,6,remote,2026-06-08\n";
    let e = pcn_import::parse_bytes("delivered.csv", text.as_bytes(), &options(), &mut |_| {})
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("delivered.csv: row 2, column date"),
        "{e}"
    );

    // A session on another network's roster.
    let theirs_post = app.store.posts(Some(&pcn("U90001"))).await.unwrap()[0].id;
    let text = format!(
        "pcn_code,site,date,start,end,post_id,appointments_offered,mode\n\
         U90005,Hub,2026-06-16,18:30,20:00,{theirs_post},6,remote\n"
    );
    let FileOutcome::Refused(e) = import_text(&app, "delivered.csv", &text).await else {
        panic!("the file should be refused");
    };
    assert!(
        e.to_string().contains(&format!(
            "delivered.csv: row 2, column post_id, value \"{theirs_post}\": post {theirs_post} is on U90001's roster, not U90005's"
        )),
        "{e}"
    );
    assert_eq!(app.store.imports().await.unwrap().len(), imports);
}

#[tokio::test]
async fn single_entries_are_checked_then_recorded_and_audited() {
    let (app, _dir) = demo().await;
    let posts = app.store.posts(Some(&pcn("U90005"))).await.unwrap();
    let registry = app.registry().await.unwrap();
    let home = registry.aligned_care_home_ids(&pcn("U90005"), d("2026-06-09"))[0].to_string();
    let round = |location: &str, date: &str| ServiceRecords {
        rounds: vec![CareHomeRound {
            date: d(date),
            location_id: location.into(),
            post: posts[0].id,
            residents_reviewed: 2,
            row: None,
        }],
        ..ServiceRecords::default()
    };
    let err = app
        .record_services(
            &pcn("U90005"),
            &round("1-999999999", "2026-06-10"),
            d(TODAY),
            "m",
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("location id, value \"1-999999999\": the care home is not aligned"),
        "{err}"
    );
    let err = app
        .record_services(&pcn("U90005"), &round(&home, "2026-08-01"), d(TODAY), "m")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("after today"), "{err}");
    let err = app
        .record_services(&pcn("U90001"), &round(&home, "2026-06-10"), d(TODAY), "m")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("roster"), "{err}");

    // The missed week of 1 June, recorded late, now counts.
    let before = app
        .network_services(&pcn("U90005"), Some(d(FROM)), Some(d(TO)), d(TODAY))
        .await
        .unwrap();
    app.record_services(
        &pcn("U90005"),
        &round(&home, "2026-06-03"),
        d(TODAY),
        "manager",
    )
    .await
    .unwrap();
    let after = app
        .network_services(&pcn("U90005"), Some(d(FROM)), Some(d(TO)), d(TODAY))
        .await
        .unwrap();
    assert_eq!(after.services.rounds.met, before.services.rounds.met + 1);
    let audit = app.store.audit_log(1).await.unwrap();
    assert_eq!(
        (audit[0].change.entity.as_str(), audit[0].actor.as_str()),
        ("care-home-round", "manager")
    );
}

/// The care home premium is paid on the beds of the homes aligned at the
/// year's start: an alignment entered in the app moves a home's beds from
/// one network's premium to another's.
#[tokio::test]
async fn the_care_home_premium_follows_an_alignment_entered_in_the_app() {
    let (app, _dir) = demo().await;
    let year = FinancialYear::starting(2025);
    let registry = app.registry().await.unwrap();
    let home = registry.aligned_care_home_ids(&pcn("U90003"), year.start())[0].to_string();
    let beds = registry.care_home(&home, year.start()).unwrap().beds;
    let premium_beds = |run: &pcn_core::funding::PayRun, code: &str| {
        run.networks
            .iter()
            .find(|n| n.statement.pcn.as_str() == code)
            .and_then(|n| {
                n.statement
                    .lines
                    .iter()
                    .find(|l| l.stream_id.as_str() == "care-home-premium")
            })
            .and_then(|l| l.basis_value)
            .unwrap()
    };
    let all = Selection::all();
    let before = app
        .pay_run(year, &all, RunOptions::default())
        .await
        .unwrap();
    let moved = CareHomeAlignment {
        location_id: home.clone(),
        pcn: pcn("U90004"),
        from: d("2025-03-01"),
        to: None,
    };
    let replaced = app.align_care_home(&moved, "icb").await.unwrap();
    assert_eq!(replaced.unwrap().pcn, pcn("U90003"));
    let after = app
        .pay_run(year, &all, RunOptions::default())
        .await
        .unwrap();
    let beds = Decimal::from(beds);
    assert_eq!(
        premium_beds(&after, "U90004"),
        premium_beds(&before, "U90004") + beds
    );
    assert_eq!(
        premium_beds(&after, "U90003"),
        premium_beds(&before, "U90003") - beds
    );
    // A home without a CQC record, or a network nobody knows, is refused.
    let mut bad = moved.clone();
    bad.location_id = "1-999999999".into();
    assert!(app.align_care_home(&bad, "icb").await.is_err());
    bad = moved;
    bad.pcn = pcn("U99999");
    assert!(app.align_care_home(&bad, "icb").await.is_err());
}

#[tokio::test]
async fn every_demo_network_has_its_enhanced_access_requirement() {
    let (app, _dir) = demo().await;
    let r = app
        .access_requirements(FinancialYear::starting(2026))
        .await
        .unwrap();
    assert_eq!(r.networks.len(), 9);
    assert!(r.unknown.is_empty());
    for n in &r.networks {
        assert_eq!(
            n.minutes_a_week,
            Decimal::from(60) * n.population / Decimal::from(1000)
        );
    }
    assert_eq!(
        r.total_minutes,
        Decimal::from(60) * r.total_population / Decimal::from(1000)
    );
}
