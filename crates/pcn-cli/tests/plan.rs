//! `pcn plan` as a user runs it: on the demo database (every format, the
//! user's mistakes, the same seed giving the same answer) and on the
//! national files in ../shared/data (England in under 30 s, at least 99% of
//! networks in band leaving out single practices over the ceiling, no
//! practice left out, every network contiguous).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;
use pcn_core::plan::{faults, groups_from_snapshot, Grouping, Plan};

/// The JSON answer without its timing (the only part that varies between runs).
fn json_without_timing(text: &str) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
    value.as_object_mut().unwrap().remove("timing");
    value
}

#[test]
fn the_same_seed_gives_the_same_answer() {
    let (_dir, db) = demo();
    let args = [
        "plan",
        "--all",
        "--as-at",
        "2026-07-01",
        "--format",
        "json",
        "--seed",
        "7",
    ];
    let first = pcn(&db, &args);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let second = pcn(&db, &args);
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    let first = json_without_timing(&stdout(&first));
    assert_eq!(first, json_without_timing(&stdout(&second)));
    assert_eq!(first["area"], "England");
    assert_eq!(first["plan"]["config"]["seed"], 7);
    let plan: Plan = serde_json::from_value(first["plan"].clone()).unwrap();
    assert_eq!(plan.before.practices_without_network, 1);
    assert_eq!(
        plan.after.under_floor + plan.after.over_ceiling,
        plan.exceptions
    );
}

#[test]
fn mistakes_are_refused_with_exit_code_2() {
    let (_dir, db) = demo();
    for (args, says) in [
        (
            vec!["plan", "--commissioner", "QXX"],
            "there is no commissioner QXX in the registry",
        ),
        (
            vec!["plan", "--all", "--min", "60000"],
            "--min 60000 is above --max 50000",
        ),
        (
            vec!["plan", "--commissioner", "Z1A", "--pin", "U90005"],
            "network U90005 cannot be pinned",
        ),
        (vec!["plan", "--all", "--pin", "X1"], "--pin"),
        (
            vec!["plan", "--all", "--time-budget", "-1"],
            "--time-budget",
        ),
        (
            vec!["plan", "--all", "--format", "xlsx"],
            "--format xlsx needs --out",
        ),
        (vec!["plan"], "--commissioner"),
        (
            vec!["plan", "--all", "--commissioner", "QZZ"],
            "cannot be used with",
        ),
        (
            vec!["plan", "--all", "--money", "--as-at", "2031-07-01"],
            "2031-32",
        ),
    ] {
        let out = pcn(&db, &args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stdout(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
    }
}

#[test]
fn the_table_files_and_money_on_the_demo() {
    let (dir, db) = demo();
    let out = pcn(
        &db,
        &words("plan --commissioner QZZ --as-at 2026-07-01 --money"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The timing line is the machine's; the rest is the answer.
    let table: String = stdout(&out)
        .lines()
        .filter(|l| !l.starts_with("Planned "))
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    insta::assert_snapshot!("demo_plan_table", table);

    let csv_of = |which: &str| {
        let out = pcn(
            &db,
            &[
                "plan",
                "--commissioner",
                "QZZ",
                "--as-at",
                "2026-07-01",
                "--format",
                "csv",
                "--csv",
                which,
            ],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stdout(&out)
    };
    let members = csv_of("members");
    assert_eq!(
        members.lines().next().unwrap(),
        pcn_export::plan::MEMBER_COLUMNS.join(",")
    );
    assert_eq!(members.lines().count(), 1 + 44, "the demo's 44 practices");
    let groups = csv_of("groups");
    assert!(
        groups.lines().nth(1).unwrap().starts_with("QZZ,"),
        "{groups}"
    );
    assert!(
        groups.lines().nth(2).unwrap().starts_with("all,"),
        "{groups}"
    );
    let money = csv_of("money");
    assert_eq!(
        money.lines().next().unwrap(),
        pcn_export::plan::MONEY_COLUMNS.join(",")
    );
    assert!(money.lines().last().unwrap().starts_with("all,"), "{money}");

    let xlsx = dir.path().join("plan.xlsx");
    ok(
        &db,
        &[
            "plan",
            "--commissioner",
            "Z2B",
            "--as-at",
            "2026-07-01",
            "--format",
            "xlsx",
            "--out",
            &xlsx.display().to_string(),
            "--money",
        ],
    );
    use calamine::Reader;
    let workbook: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        ["Summary", "Networks", "Members", "Exceptions", "Money"]
    );
}

#[test]
fn england_on_the_national_files() {
    let Some(data) = shared_data() else { return };
    let (_dir, db) = imported(&national_files(&data));

    let started = Instant::now();
    let out = pcn(
        &db,
        &["plan", "--all", "--as-at", "2026-07-01", "--format", "json"],
    );
    let took = started.elapsed();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        took < Duration::from_secs(30),
        "pcn plan --all took {took:?}"
    );
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let plan: Plan = serde_json::from_value(answer["plan"].clone()).unwrap();
    assert_eq!(answer["ungrouped"], serde_json::json!([]));

    // Checked against the registry, trusting none of the planner's flags.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let registry = runtime.block_on(async {
        let rulebook = std::sync::Arc::new(pcn_app::rules::load(None).unwrap());
        let app = pcn_app::App::open(&db, rulebook).await.unwrap();
        let registry = app.registry_required().await.unwrap();
        app.close().await;
        registry
    });
    let snapshot = registry.at(chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
    let groups = groups_from_snapshot(&snapshot, Grouping::Icb, &BTreeSet::new());
    assert_eq!(faults(&groups.groups, &plan), Vec::<String>::new());
    let planned: usize = plan
        .groups
        .iter()
        .flat_map(|g| &g.networks)
        .map(|n| n.members.len())
        .sum();
    assert_eq!(planned, snapshot.practices.len(), "no practice left out");
    assert!(plan
        .groups
        .iter()
        .flat_map(|g| &g.networks)
        .all(|n| n.contiguous));
    let share = plan.after.in_band_share();
    assert!(share >= 0.99, "{share}");
    assert!(plan.after.in_band > plan.before.in_band);
    assert!(plan.after.rms_km <= plan.before.rms_km);
    eprintln!(
        "pcn plan --all: {took:?}, {} of {} networks in band ({:.1}% leaving out {} single practices over the ceiling), RMS {:.2} km (today {:.2} km), {} practices moved",
        plan.after.in_band,
        plan.after.networks,
        100.0 * share,
        plan.after.single_practice_over_ceiling,
        plan.after.rms_km,
        plan.before.rms_km,
        plan.changes.practices_moved
    );
}
