//! `pcn services` and `pcn import` of service records as a user runs them,
//! on the demo (whose East Villages network, U90005, falls short), and the
//! national enhanced access requirement on the real files in
//! ../shared/data.

mod common;

use common::*;

fn demo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite").display().to_string();
    ok(&db, &["demo", "--no-serve", "--demo-database", &db]);
    (dir, db)
}

const PERIOD: [&str; 4] = ["--from", "2026-05-25", "--to", "2026-06-28"];

fn json(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(code(out), 0, "{}", stderr(out));
    serde_json::from_str(&stdout(out)).unwrap()
}

#[test]
fn services_show_commissioner_plan_and_an_imported_rounds_file() {
    let (dir, db) = demo();
    let with_period = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(PERIOD);
        pcn(&db, &all)
    };

    // The network that falls short: told plainly, week by week.
    let out = with_period(&["services", "show", "--pcn", "U90005"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("short by 15.5 hours of gp"), "{text}");
    assert!(text.contains("6 of 10 home-weeks"), "{text}");
    let v = json(&with_period(&words(
        "services show --pcn U90005 --format json",
    )));
    assert_eq!(v["weeks"].as_array().unwrap().len(), 5);
    assert_eq!(v["rounds"]["owed"], 10);
    assert_eq!(v["rounds"]["met"], 6);

    // The commissioner's view lists it with its compliance.
    let out = with_period(&["services", "commissioner", "Z2B", "--format", "csv"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let csv = stdout(&out);
    assert!(csv.lines().any(|l| l.contains("U90005")), "{csv}");

    // Adding the missing GP closes the gap in staff hours.
    let v = json(&pcn(
        &db,
        &words("services plan --pcn U90005 --add 'gp, 1.0 WTE, from 2026-06-01, salary 98000' --week 2026-06-22 --format json"),
    ));
    let before = v["before"]["answer"].as_str().unwrap();
    let after = v["after"]["answer"].as_str().unwrap();
    assert!(before.contains("hours of gp"), "{before}");
    assert!(!after.contains("hours of gp"), "{after}");

    // Unknown organisations are errors (exit 2).
    let out = pcn(&db, &["services", "show", "--pcn", "U99999"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("U99999"), "{}", stderr(&out));

    // A rounds file: one at a home not aligned to the network is refused
    // with its row and column, and nothing is written; a good one is stored.
    let v = json(&with_period(&words(
        "services show --pcn U90001 --format json",
    )));
    let home = v["homes"][0]["location_id"].as_str().unwrap().to_string();
    let met = v["rounds"]["met"].as_u64().unwrap();
    let roster = json(&pcn(
        &db,
        &words("arrs roster --pcn U90001 --as-at 2026-06-01 --format json"),
    ));
    let post = roster.as_array().unwrap()[0]["post"].as_i64().unwrap();
    let bad = dir.path().join("rounds-bad.csv");
    std::fs::write(
        &bad,
        format!("date,location_id,post_id,residents_reviewed\n2026-06-23,{home},{post},3\n2026-06-24,1-999999999,{post},2\n"),
    )
    .unwrap();
    let out = pcn(&db, &["import", &bad.display().to_string()]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("rounds-bad.csv") && err.contains("row 3"),
        "{err}"
    );
    assert!(
        err.contains("location_id") || err.contains("location id"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    let good = dir.path().join("rounds.csv");
    std::fs::write(
        &good,
        format!("date,location_id,post_id,residents_reviewed\n2026-06-27,{home},{post},3\n"),
    )
    .unwrap();
    ok(&db, &["import", &good.display().to_string()]);
    let v = json(&with_period(&words(
        "services show --pcn U90001 --format json",
    )));
    assert!(v["rounds"]["met"].as_u64().unwrap() >= met, "{v}");
    let imports = stdout(&pcn(&db, &["imports"]));
    assert!(imports.contains("rounds.csv"), "{imports}");
    assert!(!imports.contains("rounds-bad.csv"), "{imports}");
}

/// The national enhanced access requirement for 2025/26: every network of
/// the national registry with its PCN adjusted population, 60 minutes per
/// 1,000 a week, and the total against the national population.
#[test]
fn national_enhanced_access_requirement() {
    let Some(data) = shared_data() else { return };
    let (_dir, db) = imported(&data_files(
        &data,
        &[
            "ods-epcn-2024-10/ePCN.xlsx",
            "ods-epraccur-2025-11/epraccur.csv",
            "nhse-pcn-adjusted-populations-2025-01/pcn_data.csv",
        ],
    ));
    let v = json(&pcn(
        &db,
        &words("services requirements --year 2025-26 --format json"),
    ));
    let networks = v["networks"].as_array().unwrap();
    let minutes: rust_decimal::Decimal = v["total_minutes"].as_str().unwrap().parse().unwrap();
    let population: rust_decimal::Decimal =
        v["total_population"].as_str().unwrap().parse().unwrap();
    eprintln!(
        "2025-26: {} networks, {} without a population, population {population}, {minutes} minutes a week",
        networks.len(),
        v["unknown"].as_array().unwrap().len()
    );
    // The same as summing the file's member practices independently (exact
    // decimals, outside pcn): 1,284 networks, 63,428,385 patients,
    // 3,805,703.1 minutes (63,428.385 hours) a week.
    assert_eq!(networks.len(), 1_284);
    assert_eq!(population, rust_decimal::Decimal::from(63_428_385));
    assert_eq!(
        minutes,
        population * rust_decimal::Decimal::from(60) / rust_decimal::Decimal::from(1000)
    );
    assert_eq!(minutes, rust_decimal::Decimal::new(38_057_031, 1));
}
