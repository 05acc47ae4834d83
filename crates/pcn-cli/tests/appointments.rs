//! GPAD through the real `pcn` binary. On fixtures in the official layouts
//! (tests/fixtures/gpad): `pcn appointments` for England, a sub-ICB
//! location, a network (a practice that moved counts for each network in
//! its own months) and a practice, as tables, CSV, JSON and XLSX, checked
//! against sums taken here from the fixture rows. On the real files in
//! ../shared/data: every GPAD file imports with `pcn import`, and England's
//! 2019 and 2023 totals and Wakefield's (03R) calendar years agree with the
//! raw files (skipped with a message when the data is absent, a failure
//! under CI). A file with a bad row is refused whole, naming file, row and
//! column.

mod common;
/// The published files' text with no pcn code in between, shared with
/// pcn-import's real-data tests.
#[path = "../../pcn-import/tests/common/raw.rs"]
mod raw;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use raw::raw_text;

const GPAD: [&str; 5] = [
    "nhsd-gpad-practice-2025-08/Practice_Level_Crosstab_Aug_25_NewBankOnly.csv",
    "nhsd-gpad-subicb-daily-2023-10/gpad-daily-subicb-03R-wakefield-2017-11-to-2023-10.csv.gz",
    "nhsd-gpad-national-2021-04/GP_APPT_Publication_April_2021.xlsx",
    "nhsd-gpad-national-2021-04/table1-national-monthly-2018-11-to-2021-04.csv",
    "nhsd-gpad-national-2021-04/hf-national-monthly-by-booking-interval-2017-11-to-2024-01.csv",
];

/// The registry the shares and per-1,000 figures need: the lists of 1
/// January 2021, commissioners from the January 2022 map and epraccur, the
/// practice's network from the GPAD mapping of August 2025.
const REGISTRY: [&str; 4] = [
    "nhsd-gp-reg-pat-prac-2021-01/gp-reg-pat-prac-all.csv.gz",
    "nhsd-gp-reg-pat-prac-2022-01/gp-reg-pat-prac-map.csv",
    "ods-epraccur-2025-11/epraccur.csv",
    "nhsd-gpad-mapping-2025-08/Mapping.csv",
];

/// Sums column `value` of a plain CSV by the year in column `date`, whose
/// year is its first four characters (`first`) or its last four.
fn raw_by_year(text: &str, date: usize, first: bool, value: usize) -> BTreeMap<i32, u64> {
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        let d = f[date];
        let year = if first { &d[..4] } else { &d[d.len() - 4..] };
        if let Ok(n) = f[value].parse::<u64>() {
            *out.entry(year.parse().unwrap()).or_insert(0) += n;
        }
    }
    out
}

fn year<'a>(pledge: &'a serde_json::Value, label: &str) -> &'a serde_json::Value {
    pledge["years"]
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["label"] == label)
        .unwrap_or_else(|| panic!("no {label} in {pledge}"))
}

#[test]
fn every_gpad_file_imports_and_the_pledge_agrees_with_the_raw_files() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pcn.sqlite").display().to_string();
    let files: Vec<String> = REGISTRY
        .iter()
        .chain(&GPAD)
        .map(|f| data.join(f).display().to_string())
        .collect();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    let out = pcn(&db, &args);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    for f in GPAD {
        assert!(stdout(&out).contains(&format!("{f}: imported")), "{f}");
    }
    // The same files again change nothing.
    let again = pcn(&db, &args);
    assert_eq!(code(&again), 0);
    assert_eq!(
        stdout(&again).matches("already imported").count(),
        files.len()
    );

    // England: the national monthly series (the newest edition) for the
    // recorded totals, straight from its rows.
    let monthly = raw_text(&data.join(GPAD[4]));
    let england = raw_by_year(&monthly, 1, false, 3);
    assert_eq!(england[&2019], 302_204_892);
    let p = json(&db, &["appointments", "pledge", "--format", "json"]);
    let p = &p["pledge"];
    assert_eq!(p["target"], 50_000_000);
    assert_eq!(p["baseline"]["recorded"], england[&2019]);
    // The estimated England total of 2019 is Table 1's, straight from its rows.
    let table1 = raw_by_year(&raw_text(&data.join(GPAD[3])), 0, true, 9);
    assert_eq!(p["baseline"]["estimated_england_total"], table1[&2019]);
    let y2023 = year(p, "2023");
    assert_eq!(y2023["recorded"], england[&2023]);
    let change = england[&2023] as i64 - england[&2019] as i64;
    assert_eq!(y2023["change"], change);
    assert_eq!(y2023["gap"], 50_000_000 - change);

    // Wakefield: the daily file summed by calendar year.
    let wakefield = raw_by_year(&raw_text(&data.join(GPAD[1])), 2, true, 7);
    assert_eq!(wakefield[&2019], 2_337_161);
    let w = json(
        &db,
        &words("appointments pledge --commissioner 03R --format json"),
    );
    let p = &w["pledge"];
    assert_eq!(p["baseline"]["recorded"], wakefield[&2019]);
    for (label, months) in [("2020", 12), ("2021", 12), ("2022", 12), ("2023", 10)] {
        let y = year(p, label);
        assert_eq!(
            y["recorded"],
            wakefield[&label.parse::<i32>().unwrap()],
            "{label}"
        );
        assert_eq!(y["months"], months, "{label}");
    }
    assert_eq!(p["share"]["area_patients"], 383_878);
    assert_eq!(p["share"]["england_patients"], 60_606_345);
    assert_eq!(p["target"], 316_698);
    let change = wakefield[&2022] as i64 - wakefield[&2019] as i64;
    assert_eq!(year(p, "2022")["gap"], 316_698 - change);
    // The trend as CSV adds up to the same years.
    let out = pcn(
        &db,
        &words("appointments trend --commissioner 03R --format csv"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let trend = raw_by_year(&stdout(&out), 0, true, 1);
    assert_eq!(trend, wakefield);

    // The practice of the crosstab, counted for its network by the mapping.
    let t = json(&db, &words("appointments trend --pcn U07506 --format json"));
    let aug = t["trend"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["month"] == "2025-08")
        .unwrap();
    assert_eq!(aug["appointments"], 2_644);

    // An unknown area is refused.
    let err = refused(&db, &["appointments", "trend", "--commissioner", "Z9Z"]);
    assert!(err.contains("Z9Z"), "{err}");
}

#[test]
fn a_bad_row_refuses_the_whole_file_naming_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pcn.sqlite").display().to_string();
    let path = dir.path().join("Practice_Level_Crosstab_Aug_25.csv");
    let mut text = Vec::new();
    pcn_import::gpad_appointments::synthetic_crosstab(&mut text, 500, 7).unwrap();
    let mut text = String::from_utf8(text).unwrap();
    // Line 301 (row 300 of data) gets a count that is not a number.
    let start = text.match_indices("\r\n").nth(299).unwrap().0 + 2;
    let end = start + text[start..].find("\r\n").unwrap();
    let mut fields: Vec<String> = text[start..end].split(',').map(String::from).collect();
    fields[12] = "4O".into();
    text.replace_range(start..end, &fields.join(","));
    std::fs::write(&path, text).unwrap();
    let file = path.display().to_string();
    let out = pcn(&db, &["import", &file]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{file}: row 301, column COUNT_OF_APPOINTMENTS, value \"4O\""
        )),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    // The import made the database and wrote nothing, so the file is gone:
    // nothing of the file is held anywhere.
    assert!(!std::path::Path::new(&db).exists());
    let err = refused(&db, &["appointments", "trend", "--format", "csv"]);
    assert!(err.contains("there is no database"), "{err}");
}

/// The fixtures: a registry of three practices in sub-ICB 16C (A81002
/// moves from U89141 to U07032 on 1 July 2026), their lists of July 2026,
/// the sub-ICB's months of 2019 (CCG-era Regional CSV) and 2023 (sub-ICB
/// era), the practices' Julys of 2019 and 2026 (crosstab), England's 2019
/// (Table 1 as CSV) and 2023 (national monthly series).
fn fixture_database(dir: &Path) -> String {
    let db = dir.join("pcn.sqlite").display().to_string();
    let gpad = |f: &str| fixture(&format!("gpad/{f}"));
    let files = [
        fixture("map-2026-06.csv"),
        fixture("map-2026-07.csv"),
        fixture("quin-age-2026-07.csv.gz"),
        gpad("regional_tabs_dec2019/Regional_CSV_NorthEastandYorkshire.csv"),
        gpad("regional_tabs_dec2023/Regional_CSV_NorthEastandYorkshire.csv"),
        gpad("Practice_Level_Crosstab_Jul_19.csv"),
        gpad("Practice_Level_Crosstab_Jul_26.csv"),
        gpad("table1-national-monthly-2019-01-to-2019-12.csv"),
        gpad("national-monthly-by-booking-interval-2023-01-to-2023-12.csv"),
    ];
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    let out = pcn(&db, &args);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    db
}

/// A fixture's count column summed by the year in its month column
/// (`JAN2019` or `01JUL2019`: the year is the last four characters).
fn fixture_by_year(file: &str, month: usize, value: usize) -> BTreeMap<i32, u64> {
    raw_by_year(
        &raw_text(Path::new(&fixture(&format!("gpad/{file}")))),
        month,
        false,
        value,
    )
}

/// A crosstab's count per network, by the network each row names.
fn crosstab_by_network(file: &str) -> BTreeMap<String, u64> {
    let text = raw_text(Path::new(&fixture(&format!("gpad/{file}"))));
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        *out.entry(f[4].to_string()).or_insert(0) += f[12].parse::<u64>().unwrap();
    }
    out
}

#[test]
fn the_pledge_and_the_trend_on_fixtures_in_the_official_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_database(dir.path());

    // England: 2019 from Table 1, 2023 from the monthly series.
    let t1 = raw_by_year(
        &raw_text(Path::new(&fixture(
            "gpad/table1-national-monthly-2019-01-to-2019-12.csv",
        ))),
        0,
        true,
        8,
    );
    let monthly = fixture_by_year(
        "national-monthly-by-booking-interval-2023-01-to-2023-12.csv",
        1,
        3,
    );
    let p = json(&db, &["appointments", "pledge", "--format", "json"]);
    let p = &p["pledge"];
    assert_eq!(p["baseline"]["recorded"], t1[&2019]);
    let y2023 = year(p, "2023");
    assert_eq!(y2023["recorded"], monthly[&2023]);
    assert_eq!(y2023["months"], 12);
    let change = monthly[&2023] as i64 - t1[&2019] as i64;
    assert_eq!(y2023["change"], change);
    assert_eq!(y2023["gap"], 50_000_000 - change);
    let out = pcn(&db, &["appointments", "pledge"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("england_pledge", stdout(&out));

    // Sub-ICB 16C: its own files, against its share of England's patients.
    let s2019 = fixture_by_year(
        "regional_tabs_dec2019/Regional_CSV_NorthEastandYorkshire.csv",
        9,
        14,
    );
    let s2023 = fixture_by_year(
        "regional_tabs_dec2023/Regional_CSV_NorthEastandYorkshire.csv",
        7,
        12,
    );
    let w = json(
        &db,
        &words("appointments pledge --commissioner 16C --format json"),
    );
    let p = &w["pledge"];
    assert_eq!(p["baseline"]["recorded"], s2019[&2019]);
    assert_eq!(year(p, "2023")["recorded"], s2023[&2023]);
    // Every practice held is in 16C, so its share is the whole 50 million.
    assert_eq!(p["share"]["area_patients"], p["share"]["england_patients"]);
    assert_eq!(p["target"], 50_000_000);
    let out = pcn(&db, &["appointments", "pledge", "--commissioner", "16C"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("commissioner_pledge", stdout(&out));
    let out = pcn(
        &db,
        &words("appointments trend --commissioner 16C --format csv"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let by_year = raw_by_year(&stdout(&out), 0, true, 1);
    assert_eq!(by_year[&2019], s2019[&2019]);
    assert_eq!(by_year[&2023], s2023[&2023]);

    // Network U89141: July 2019 counts A81001 and A81002; July 2026 only
    // A81001 (A81002 moved to U07032 that day), against July 2019.
    let jul19 = crosstab_by_network("Practice_Level_Crosstab_Jul_19.csv");
    let jul26 = crosstab_by_network("Practice_Level_Crosstab_Jul_26.csv");
    let t = json(&db, &words("appointments trend --pcn U89141 --format json"));
    let rows = t["trend"].as_array().unwrap();
    let month = |m: &str| {
        rows.iter()
            .find(|r| r["month"] == m)
            .unwrap_or_else(|| panic!("{m}"))
    };
    assert_eq!(month("2019-07")["appointments"], jul19["U89141"]);
    assert_eq!(month("2026-07")["appointments"], jul26["U89141"]);
    assert_eq!(month("2026-07")["same_month_2019"], jul19["U89141"]);
    let out = pcn(&db, &words("appointments trend --pcn U07032 --format json"));
    let t: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let july = |m: &str| {
        t["trend"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["month"] == m)
            .unwrap()["appointments"]
            .clone()
    };
    assert_eq!(july("2019-07"), jul19["U07032"]);
    assert_eq!(july("2026-07"), jul26["U07032"]);
    let out = pcn(&db, &["appointments", "pledge", "--pcn", "U89141"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("network_pledge", stdout(&out));
    let out = pcn(&db, &["appointments", "trend", "--practice", "A81002"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("practice_trend", stdout(&out));

    // The workbook has the pledge, trend and staff sheets.
    let xlsx = dir.path().join("16C.xlsx");
    ok(
        &db,
        &[
            "appointments",
            "pledge",
            "--commissioner",
            "16C",
            "--format",
            "xlsx",
            "--out",
            xlsx.to_str().unwrap(),
        ],
    );
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
}

#[test]
fn wrong_areas_and_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_database(dir.path());
    for (args, says) in [
        (
            &["appointments", "trend", "--commissioner", "Z9Z"][..],
            "Z9Z",
        ),
        (&["appointments", "trend", "--pcn", "U00000"][..], "U00000"),
        (
            &["appointments", "trend", "--practice", "Z99999"][..],
            "Z99999",
        ),
        (
            &["appointments", "pledge", "--commissioner", "QHM"][..],
            "sub-ICB",
        ),
        (&["appointments", "pledge", "--format", "xlsx"][..], "--out"),
        (
            &words("appointments pledge --pcn U89141 --practice A81001")[..],
            "cannot be used with",
        ),
    ] {
        let out = pcn(&db, args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stdout(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}
