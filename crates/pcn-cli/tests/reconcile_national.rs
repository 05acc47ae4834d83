//! `pcn reconcile` on the national files of `../shared/data`, as the README
//! imports them: the agreement reached per year and published column, as
//! floors, so a change to the rulebook, the column map or the causes that
//! makes the statements agree with fewer networks fails here. The measure is
//! the summary's "paid the full year" band (every compared network but those
//! whose payment, or a member's, is a whole number of months other than
//! twelve, measured after timing): the test of the rulebook's rates and bases. Each amount
//! owed that is unknown must be null in the JSON, never 0. The pools of
//! networks paid through one payee that agree do not fall below
//! [`POOLS`], and each agrees within 1% of its total owed.

mod common;

use common::*;

/// (year, published column, networks compared at least, within 2% at
/// least in tenths of a per cent): the figures measured on 30 November 2026
/// (README, "What was paid"), less half a point of share. An agreeing pool
/// (networks paid through one payee) is one of those compared.
const FLOORS: &[(&str, &str, u64, u64)] = &[
    ("2019-20", "PCN Participation", 900, 697),
    ("2020-21", "PCN Participation", 1_000, 744),
    ("2020-21", "PCN Support", 640, 456),
    ("2020-21", "PCN Leadership", 780, 615),
    ("2020-21", "PCN Extended Hours Access", 740, 664),
    ("2021-22", "PCN Participation", 940, 861),
    ("2021-22", "PCN Support", 740, 584),
    ("2021-22", "PCN Leadership", 800, 426),
    ("2021-22", "PCN Extended Hours Access", 700, 844),
];

/// (year, agreeing pools at least, items paid through a pooled payee at
/// least): as measured on 30 November 2026.
const POOLS: &[(&str, usize, usize)] = &[("2020-21", 3, 15), ("2021-22", 5, 23)];

#[test]
fn national_agreement_per_year_and_column_does_not_fall() {
    let Some(data) = shared_data() else { return };
    let mut files = national_files(&data);
    for f in [
        "nhsd-nhs-payments-gp-2019-20/nhspaymentsgp-19-20-prac.csv.gz",
        "nhsd-nhs-payments-gp-2020-21/nhspaymentsgp-20-21-prac.csv.gz",
        "nhsd-nhs-payments-gp-2021-22/nhspaymentsgp-21-22-prac.csv.gz",
        "nhsd-gp-reg-pat-prac-2021-01/gp-reg-pat-prac-all.csv.gz",
        "nhsd-gp-reg-pat-prac-2022-01/gp-reg-pat-prac-map.csv",
        "nhse-pcn-adjusted-populations-2025-01/pcn_data.csv",
    ] {
        files.push(data.join(f).display().to_string());
    }
    let (dir, db) = imported(&files);

    let mut failures = Vec::new();
    for year in ["2019-20", "2020-21", "2021-22"] {
        let json = dir.path().join(format!("{year}.json"));
        let json_path = json.display().to_string();
        ok(
            &db,
            &[
                "reconcile",
                "--year",
                year,
                "--format",
                "json",
                "--out",
                &json_path,
            ],
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let national = v["national"].as_array().unwrap();
        let groups: Vec<&str> = national
            .iter()
            .map(|g| g["group"].as_str().unwrap())
            .collect();
        if year == "2019-20" {
            assert_eq!(
                groups,
                vec!["PCN Participation"],
                "2019-20 publishes no other network column"
            );
        }
        for &(y, group, compared_floor, within_2_floor) in FLOORS {
            if y != year {
                continue;
            }
            let g = national
                .iter()
                .find(|g| g["group"] == group)
                .unwrap_or_else(|| panic!("{year}: no {group} in {groups:?}"));
            let band = &g["paid_full_year"];
            let compared = band["compared"].as_u64().unwrap();
            let within_2 = band["within_2"].as_u64().unwrap();
            let tenths = within_2 * 1_000 / compared.max(1);
            if compared < compared_floor || tenths < within_2_floor {
                failures.push(format!(
                    "{year} {group}: {within_2} of {compared} within 2% ({}.{}%), floor {compared_floor} \
                     compared and {}.{}%",
                    tenths / 10,
                    tenths % 10,
                    within_2_floor / 10,
                    within_2_floor % 10
                ));
            }
        }
        // An unknown amount owed is null, never 0.
        let mut unknown = 0;
        for n in v["networks"].as_array().unwrap() {
            for i in n["items"].as_array().unwrap() {
                if i["cause"]["cause"] == "owed_unknown" {
                    unknown += 1;
                    assert!(i["owed"].is_null() && i["difference"].is_null(), "{i}");
                } else {
                    assert!(i["owed"].is_i64(), "{i}");
                }
            }
        }
        let pooled_items = v["networks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| n["items"].as_array().unwrap())
            .filter(|i| i["cause"]["cause"] == "pooled_payee")
            .count();
        let pools = v["pools"].as_array().unwrap();
        let agreeing: Vec<&serde_json::Value> =
            pools.iter().filter(|p| p["agrees"] == true).collect();
        for p in &agreeing {
            let (paid, owed) = (p["paid"].as_i64().unwrap(), p["owed"].as_i64().unwrap());
            assert!(
                (paid - owed).abs() * 100 <= owed,
                "a pool agrees only within 1%: {p}"
            );
        }
        for &(y, pools_floor, items_floor) in POOLS {
            if y == year && (agreeing.len() < pools_floor || pooled_items < items_floor) {
                failures.push(format!(
                    "{year}: {} agreeing pools ({pools_floor} floor), {pooled_items} items paid \
                     through a pooled payee ({items_floor} floor)",
                    agreeing.len()
                ));
            }
        }
        if year != "2019-20" {
            assert!(
                unknown > 1_000,
                "{year}: care home premium owed unknown ({unknown})"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
