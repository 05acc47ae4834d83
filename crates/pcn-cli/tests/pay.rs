//! `pcn pay` as a user runs it: on the demo commissioner (every input
//! recorded) and on the national files in ../shared/data.

mod common;

use std::process::Output;

use common::*;

fn pence(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not pence: {v}"))
}

#[test]
fn demo_statements_use_the_recorded_inputs_and_add_up() {
    let (_dir, db) = demo();
    let run = json(
        &db,
        &words("pay --year 2026-27 --commissioner Z1A --format json --distribute registered-list --top-slice-percent 5"),
    );
    let networks = run["networks"].as_array().unwrap();
    assert!(!networks.is_empty());
    for network in networks {
        let statement = &network["statement"];
        assert_eq!(statement["commissioner"], "Z1A");
        let lines = statement["lines"].as_array().unwrap();
        // Weighted and adjusted populations and care-home beds are recorded in the demo, so the
        // only estimates are the 2026-27 rates carried from 2025-26.
        for line in lines {
            for estimate in line["estimates"].as_array().unwrap() {
                assert!(
                    estimate
                        .as_str()
                        .unwrap()
                        .contains("rate is not in the rulebook"),
                    "{estimate}"
                );
            }
            if line["status"]["status"] == "scheduled" {
                let schedule: i64 = line["schedule"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| pence(&i["amount"]))
                    .sum();
                assert_eq!(schedule, pence(&line["amount"]), "{}", line["rule_id"]);
            }
        }
        let chp = lines
            .iter()
            .find(|l| l["stream_id"] == "care-home-premium")
            .unwrap();
        assert_eq!(
            chp["status"]["status"], "scheduled",
            "beds are recorded in the demo"
        );
        // Shares add up to what was divided, after the 5% top-slice.
        let distribution = &network["distribution"];
        let shares: i64 = distribution["shares"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| pence(&s["amount"]))
            .sum();
        assert_eq!(shares, pence(&distribution["distributed"]));
        assert_eq!(
            pence(&distribution["distributed"]) + pence(&distribution["top_slice"]),
            pence(&statement["totals"]["scheduled_to_network"])
        );
    }
}

#[test]
fn explain_shows_the_arithmetic_and_the_source() {
    let (_dir, db) = demo();
    let text = ok(
        &db,
        &words("pay --year 2025-26 --pcn U90002 --explain enhanced-access"),
    );
    assert!(text.contains("2025-26/enhanced-access/payment"), "{text}");
    assert!(text.contains("£8.427"), "{text}");
    assert!(text.contains("S06"), "{text}");
    let err = refused(
        &db,
        &words("pay --year 2025-26 --pcn U90002 --explain no-such-stream"),
    );
    assert!(
        err.contains("core-pcn-funding"),
        "lists the valid ids: {err}"
    );
}

#[test]
fn strict_refuses_a_missing_input_and_names_it() {
    let (_dir, db) = demo();
    // 2025-26 needs lists as at 1 January 2025, which the demo does not hold: estimated by default…
    let run = json(&db, &words("pay --year 2025-26 --pcn U90001 --format json"));
    let lines = run["networks"][0]["statement"]["lines"].as_array().unwrap();
    assert!(lines.iter().any(|l| l["estimates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e.as_str().unwrap().contains("as at 2025-01-01 not held"))));
    // …and refused under --strict when a rate is missing (2026-27's are not in the rulebook).
    let err = refused(
        &db,
        &["pay", "--year", "2026-27", "--pcn", "U90001", "--strict"],
    );
    assert!(
        err.contains("2026-27/core-pcn-funding/registered") && err.contains("no rate"),
        "{err}"
    );
}

#[test]
fn exports_csv_and_xlsx() {
    let (dir, db) = demo();
    let csv = ok(&db, &["pay", "--year", "2026-27", "--format", "csv"]);
    assert!(csv.starts_with("financial_year,pcn_code"), "{csv}");
    assert_eq!(
        csv.lines()
            .filter(|l| l.contains("core-pcn-funding"))
            .count(),
        9 * 2,
        "nine networks, two components"
    );
    let schedule = stdout(&pcn(
        &db,
        &words("pay --year 2026-27 --format csv --csv schedule"),
    ));
    assert!(schedule.lines().count() > 9 * 12);
    let xlsx = dir.path().join("pay.xlsx");
    ok(
        &db,
        &[
            "pay",
            "--year",
            "2026-27",
            "--format",
            "xlsx",
            "--out",
            &xlsx.display().to_string(),
        ],
    );
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 10_000);
    let out = pcn(&db, &["pay", "--year", "2026-27", "--format", "xlsx"]);
    assert_eq!(code(&out), 2, "xlsx needs --out");
}

#[test]
fn rulebook_problems_and_unknown_years_are_clear_errors() {
    let (dir, db) = demo();
    let err = refused(&db, &["pay", "--year", "2031-32"]);
    assert!(err.contains("2031-32") && err.contains("2025-26"), "{err}");

    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/2025-26.toml"
    ))
    .unwrap();
    std::fs::write(
        rules.join("2025-26.toml"),
        good.replacen(
            "unit = \"gbp-per-patient-per-year\"",
            "unit = \"gbp-per-fortnight\"",
            1,
        ),
    )
    .unwrap();
    let out = pcn(
        &db,
        &[
            "pay",
            "--year",
            "2025-26",
            "--rules",
            &rules.display().to_string(),
        ],
    );
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("2025-26.toml") && err.contains("unit") && err.contains("gbp-per-fortnight"),
        "{err}"
    );
}

#[test]
fn national_pay_run_2025_26_against_the_des_envelopes() {
    let Some(data) = shared_data() else { return };
    let (_dir, db) = imported(&data_files(
        &data,
        &[
            "ods-epcn-2024-10/ePCN.xlsx",
            "ods-epraccur-2025-11/epraccur.csv",
            "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-map.csv",
            "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-quin-age.csv.gz",
            "nhsd-gpad-mapping-2025-08/Mapping.csv",
        ],
    ));

    for year in ["2025-26", "2026-27"] {
        let run = json(&db, &["pay", "--year", year, "--format", "json"]);
        let networks = run["networks"].as_array().unwrap();
        assert!(
            networks.len() > 1_250,
            "{year}: a statement for every network, got {}",
            networks.len()
        );
        for n in networks {
            assert!(!n["statement"]["lines"].as_array().unwrap().is_empty());
        }
    }

    // National totals against the envelopes the DES states for 2025-26 (Pulse PCN, S06; S59):
    // CASP £204m, CAIP £87.6m, ARRS £1,711m. pcn estimates adjusted and weighted populations as
    // the registered list (July 2026), so it should land within a few per cent.
    let run = json(&db, &["pay", "--year", "2025-26", "--format", "json"]);
    let total = |stream: &str| -> f64 {
        run["networks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| n["statement"]["lines"].as_array().unwrap().iter())
            .filter(|l| l["stream_id"] == stream)
            .map(|l| pence(&l["amount"]) as f64 / 100.0)
            .sum()
    };
    for (stream, envelope) in [
        ("capacity-and-access-support", 204.0e6),
        ("capacity-and-access-improvement", 87.6e6),
        ("arrs", 1_711.0e6),
    ] {
        let computed = total(stream);
        let ratio = computed / envelope;
        assert!(
            (0.95..1.05).contains(&ratio),
            "{stream}: £{computed:.0} against an envelope of £{envelope:.0} ({ratio:.3})"
        );
    }
}

#[test]
fn a_recorded_distribution_agreement_is_used_by_pay_and_kept_with_history() {
    let (_dir, db) = demo();
    // Town North's members on 1 April 2026 are Z90006 to Z90010.
    let shares = "Z90006=30;Z90007=25;Z90008=20;Z90009=15;Z90010=10";
    let out = town_north_distribution(
        &db,
        "percentages",
        &["--shares", shares, "--top-slice-percent", "2.5"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let run = json(&db, &words("pay --year 2026-27 --pcn U90002 --format json"));
    let network = &run["networks"][0];
    let d = &network["distribution"];
    let total = pence(&network["statement"]["totals"]["scheduled_to_network"]);
    assert_eq!(
        pence(&d["top_slice"]),
        (total as f64 * 0.025).round() as i64
    );
    let amounts: Vec<i64> = d["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| pence(&s["amount"]))
        .collect();
    assert_eq!(amounts.iter().sum::<i64>(), pence(&d["distributed"]));
    assert!(
        amounts[0] > amounts[1] && amounts[3] > amounts[4],
        "30% > 25% … 15% > 10%: {amounts:?}"
    );
    // Another network has no agreement recorded: no distribution.
    let other = json(&db, &words("pay --year 2026-27 --pcn U90003 --format json"));
    assert!(other["networks"][0]["distribution"].is_null());

    // A later agreement supersedes; the audit log keeps both.
    let out = town_north_distribution(&db, "registered-list", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let audit = stdout(&pcn(&db, &["audit"]));
    assert!(
        audit.contains("percentages, top-slice 2.5%")
            && audit.contains("registered-list, top-slice 0%"),
        "{audit}"
    );

    // Shares that leave out a member, name a stranger or do not add up are refused.
    for bad in [
        "Z90006=50;Z90007=50",
        "Z90006=20;Z90007=20;Z90008=20;Z90009=20;Z90001=20",
        "Z90006=30;Z90007=25;Z90008=20;Z90009=15;Z90010=5",
    ] {
        let out = town_north_distribution(&db, "percentages", &["--shares", bad]);
        assert_eq!(code(&out), 2, "{bad}: {}", stdout(&out));
    }
}

#[test]
fn a_practice_that_moves_part_way_is_paid_by_month_by_each_network() {
    let (_dir, db) = demo();
    // Z90010 left Town North (U90002) on 31 May 2026 and joined Town Central (U90001) on 1 June.
    let run = json(
        &db,
        &words("pay --year 2026-27 --commissioner Z1A --format json"),
    );
    let networks = run["networks"].as_array().unwrap();
    let npp_of = |pcn: &str| -> i64 {
        let n = networks
            .iter()
            .find(|n| n["statement"]["pcn"] == pcn)
            .unwrap();
        let line = n["statement"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["stream_id"] == "network-participation-payment")
            .unwrap();
        let share = line["to_practices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p[0] == "Z90010")
            .unwrap();
        pence(&share[1])
    };
    let (north, central) = (npp_of("U90002"), npp_of("U90001"));
    // Both parts come from the same twelve instalments of the practice's annual amount:
    // two months from Town North, ten from Town Central, adding up to the year exactly.
    let annual = north + central;
    let month = annual / 12;
    assert!(
        (north - 2 * month).abs() <= 2 && (central - 10 * month).abs() <= 10,
        "{north} + {central}"
    );
    // Network-level streams count the members of April: Z90010 is in Town North's list, not Central's.
    let core = |pcn: &str| -> String {
        let n = networks
            .iter()
            .find(|n| n["statement"]["pcn"] == pcn)
            .unwrap();
        n["statement"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rule_id"] == "2026-27/core-pcn-funding/registered")
            .unwrap()["basis_value"]
            .to_string()
    };
    let lists = json(&db, &words("network list --as-at 2026-04-01 --format json"));
    let list_of = |pcn: &str| {
        lists
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["code"] == pcn)
            .unwrap()["members"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(list_of("U90002"), 5);
    assert_eq!(list_of("U90001"), 5);
    assert_ne!(core("U90001"), core("U90002"));
}

#[test]
fn iif_points_by_indicator_are_paid_with_both_adjustments() {
    let (_dir, db) = demo();
    let run = json(&db, &words("pay --year 2024-25 --pcn U90004 --format json"));
    let lines = run["networks"][0]["statement"]["lines"].as_array().unwrap();
    let iif = lines.iter().find(|l| l["stream_id"] == "iif").unwrap();
    assert_eq!(iif["status"]["status"], "on_achievement");
    assert!(pence(&iif["amount"]) > 0);
    let working = iif["working"].as_str().unwrap();
    assert!(
        working.contains("list-size adjustment")
            && working.contains("HI-03")
            && working.contains("prevalence adjustment"),
        "{working}"
    );
    assert!(
        !iif["estimates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("prevalence")),
        "{iif}"
    );
}

#[test]
fn a_commissioner_assesses_caip_and_pay_uses_it() {
    let (_dir, db) = demo();
    let caip = |db: &str| -> i64 {
        let run = json(db, &words("pay --year 2025-26 --pcn U90001 --format json"));
        let lines = run["networks"][0]["statement"]["lines"]
            .as_array()
            .unwrap()
            .clone();
        pence(
            &lines
                .iter()
                .find(|l| l["stream_id"] == "capacity-and-access-improvement")
                .unwrap()["amount"],
        )
    };
    let most = caip(&db);
    ok(
        &db,
        &words("network assess U90001 --year 2025-26 --stream capacity-and-access-improvement --earned 2/3 --note 'telephony and online requests in place'"),
    );
    let earned = caip(&db);
    // Rounded once from the exact amount: within two pence of two thirds of the rounded maximum.
    assert!(
        (earned - most * 2 / 3).abs() <= 2,
        "{earned} is two thirds of {most}"
    );
    assert!(stdout(&pcn(&db, &["audit"])).contains("telephony and online requests"));
    for (stream, share) in [
        ("iif", "1"),
        ("capacity-and-access-improvement", "1.5"),
        ("capacity-and-access-improvement", "lots"),
    ] {
        let out = pcn(
            &db,
            &[
                "network", "assess", "U90001", "--year", "2025-26", "--stream", stream, "--earned",
                share,
            ],
        );
        assert_eq!(code(&out), 2, "{stream} {share}");
    }
}

#[test]
fn fixed_amounts_per_practice() {
    let (_dir, db) = demo();
    let amounts = "Z90006=10000;Z90007=12000.50;Z90008=9000;Z90009=8000;Z90010=7000";
    let out = town_north_distribution(&db, "fixed", &["--shares", amounts]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let run = json(&db, &words("pay --year 2026-27 --pcn U90002 --format json"));
    let d = &run["networks"][0]["distribution"];
    let shares: Vec<i64> = d["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| pence(&s["amount"]))
        .collect();
    assert_eq!(
        shares,
        vec![1_000_000, 1_200_050, 900_000, 800_000, 700_000]
    );
    assert_eq!(
        pence(&d["distributed"]) + pence(&d["top_slice"]),
        pence(&d["total"])
    );
    let out = town_north_distribution(&db, "fixed", &["--shares", "Z90006=10000"]);
    assert_eq!(code(&out), 2, "every member needs an amount");
}

/// `pcn network distribution U90002 --year 2026-27 --method METHOD MORE…`:
/// records Town North's agreement for 2026-27.
fn town_north_distribution(db: &str, method: &str, more: &[&str]) -> Output {
    let mut args = vec![
        "network",
        "distribution",
        "U90002",
        "--year",
        "2026-27",
        "--method",
        method,
    ];
    args.extend_from_slice(more);
    pcn(db, &args)
}
