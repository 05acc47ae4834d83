//! The national registry files from ../shared/data, imported and checked as a
//! user would, on SQLite and (when scripts/test started one) PostgreSQL. The
//! expected figures are computed here straight from the raw files, so the
//! test checks pcn against the publication, not against itself.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use common::*;

struct Expected {
    practices: u64,
    patients: u64,
    networks: u64,
    unallocated: u64,
    under_30k: u64,
    over_50k: u64,
}

fn expected(data: &Path) -> Expected {
    let mut map =
        csv::Reader::from_path(data.join("nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-map.csv"))
            .unwrap();
    let headers = map.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (practice_col, pcn_col) = (col("PRACTICE_CODE"), col("PCN_CODE"));
    let mut pcn_of = BTreeMap::new();
    for row in map.records() {
        let row = row.unwrap();
        pcn_of.insert(row[practice_col].to_string(), row[pcn_col].to_string());
    }

    let mut gz = String::new();
    let file = std::fs::File::open(
        data.join("nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-quin-age.csv.gz"),
    )
    .unwrap();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut gz)
        .unwrap();
    let mut quin = csv::Reader::from_reader(gz.as_bytes());
    let headers = quin.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (t, c, s, a, n) = (
        col("ORG_TYPE"),
        col("ORG_CODE"),
        col("SEX"),
        col("AGE_GROUP_5"),
        col("NUMBER_OF_PATIENTS"),
    );
    let mut list = BTreeMap::new();
    for row in quin.records() {
        let row = row.unwrap();
        if &row[t] == "GP" && &row[s] == "ALL" && &row[a] == "ALL" {
            list.insert(row[c].to_string(), row[n].parse::<u64>().unwrap());
        }
    }

    let mut by_pcn: BTreeMap<&str, u64> = BTreeMap::new();
    for (practice, pcn) in &pcn_of {
        if pcn != "U" {
            *by_pcn.entry(pcn).or_default() += list.get(practice).copied().unwrap_or(0);
        }
    }
    Expected {
        practices: list.len() as u64,
        patients: list.values().sum(),
        networks: by_pcn.len() as u64,
        unallocated: pcn_of.values().filter(|p| *p == "U").count() as u64,
        under_30k: by_pcn.values().filter(|n| **n < 30_000).count() as u64,
        over_50k: by_pcn.values().filter(|n| **n > 50_000).count() as u64,
    }
}

fn import_and_check(database: &str, data: &Path) {
    let files = national_files(data);
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    let out = pcn(database, &args);
    assert_eq!(
        code(&out),
        0,
        "import failed: {}\n{}",
        stdout(&out),
        stderr(&out)
    );

    // Importing the same files again changes nothing.
    let out = pcn(database, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out).matches("already imported").count(),
        files.len(),
        "{}",
        stdout(&out)
    );

    let out = pcn(
        database,
        &["check", "--as-at", "2026-07-01", "--format", "json"],
    );
    assert!(
        code(&out) == 1,
        "national data has error-level findings: {}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let summary = &report["summary"];
    let expected = expected(data);
    assert_eq!(expected.practices, 6_139);
    assert_eq!(expected.patients, 63_436_508);
    assert_eq!(expected.networks, 1_298);
    assert_eq!(expected.unallocated, 52);
    assert_eq!(summary["practices"], expected.practices);
    assert_eq!(summary["patients"], expected.patients);
    assert_eq!(summary["networks_with_members"], expected.networks);
    assert_eq!(summary["unallocated_practices"], expected.unallocated);
    assert_eq!(summary["networks_under_min"], expected.under_30k);
    assert_eq!(summary["networks_over_max"], expected.over_50k);

    let findings = report["findings"].as_array().unwrap();
    let count = |rule: &str| findings.iter().filter(|f| f["rule"] == rule).count() as u64;
    assert_eq!(count("PRAC-UNALLOCATED"), 52);
    assert_eq!(count("NET-SIZE-MIN"), expected.under_30k);
    assert_eq!(count("NET-SIZE-MAX"), expected.over_50k);
    // The official files carry no governance facts: each is reported once as
    // not recorded, not as an error for every network.
    for rule in [
        "NET-NO-CLINICAL-DIRECTOR",
        "NET-NO-PAYEE",
        "NET-NO-AGREEMENT",
        "NET-NO-DATA-SHARING",
    ] {
        let found: Vec<_> = findings.iter().filter(|f| f["rule"] == rule).collect();
        assert_eq!(found.len(), 1, "{rule}");
        assert_eq!(found[0]["severity"], "info", "{rule}");
        assert!(found[0]["pcn"].is_null(), "{rule}");
        let message = found[0]["message"].as_str().unwrap();
        assert!(
            message.contains("not recorded") && message.contains("1,298 networks"),
            "{message}"
        );
    }
    let commissioners: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["rule"] == "COMMISSIONER-COVERAGE")
        .filter_map(|f| f["commissioner"].as_str())
        .collect();
    assert_eq!(
        commissioners.len(),
        106,
        "one coverage finding per sub-ICB location"
    );

    // A practice's history across the ePCN (2024) and the July 2026 map.
    let out = pcn(database, &["practice", "A81001", "--as-at", "2026-07-01"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("U89141"), "{}", stdout(&out));
}

#[test]
fn national_import_and_check_on_sqlite() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    import_and_check(
        &dir.path().join("national.sqlite").display().to_string(),
        &data,
    );
}

#[test]
fn national_import_and_check_on_postgres() {
    let Some(data) = shared_data() else { return };
    let Some(base) = pcn_store::testing::postgres_server() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = runtime
        .block_on(pcn_store::testing::fresh_postgres_database(
            &base, "national",
        ))
        .unwrap();
    import_and_check(&url, &data);
}
