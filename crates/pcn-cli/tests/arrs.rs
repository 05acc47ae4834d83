//! `pcn arrs` as a user runs it: on the demo commissioner, a small
//! workforce census in the official layout, and the national census.

mod common;

use common::{
    code, data_files, fixture, imported, json, ok, pcn, refused, shared_data, stderr, words,
};

/// The demo without its services, so U90006's roster starts empty.
fn demo() -> (tempfile::TempDir, String) {
    common::demo_with(&["--no-services"])
}

/// `pcn arrs plan --pcn U90006 --as-at 2026-11-23 MORE…`: a what-if for
/// Demo Dales on 23 November 2026.
fn dales_plan<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["arrs", "plan", "--pcn", "U90006", "--as-at", "2026-11-23"];
    args.extend_from_slice(more);
    args
}

fn posts(db: &str) -> usize {
    json(db, &words("arrs roster --pcn U90006 --all --format json"))
        .as_array()
        .unwrap()
        .len()
}

/// The id of U90006's post held by `person` (the demo's other networks
/// have posts of their own, so ids are looked up, not assumed).
fn post_id(db: &str, person: &str) -> String {
    json(db, &words("arrs roster --pcn U90006 --all --format json"))
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person"] == person)
        .unwrap_or_else(|| panic!("no post for {person}"))["post"]
        .to_string()
}

#[test]
fn roster_claims_statuses_budget_and_plan() {
    let (_dir, db) = demo();
    ok(
        &db,
        &words("arrs add --pcn U90006 --person E1 --name 'A Pharmacist' --role 'Clinical pharmacist' --band 8a --wte 0.8 --start 2026-04-15 --salary 52000"),
    );
    ok(
        &db,
        &words("arrs add --pcn U90006 --person E2 --role paramedic --wte 1 --start 2026-04-01 --salary 47,000 --employer practice:Z90001"),
    );
    assert_eq!(posts(&db), 2);

    // Claims for April and May, made in June: April is backdated.
    let made = ok(
        &db,
        &words("arrs claim --pcn U90006 --month 2026-05 --on 2026-06-10"),
    );
    assert!(made.contains("4 draft claims"), "{made}");
    assert!(made.contains("backdated"), "{made}");
    let lines = json(
        &db,
        &words("arrs claims --pcn U90006 --year 2026-27 --format json"),
    );
    let lines = lines.as_array().unwrap();
    // Paramedic, a full month: £3,916.67 pay + 15% NI above £416.67 (£525.00)
    // + 14.38% pension (£563.22) = £5,004.88, under the £64,907 / 12 cap.
    let para_april = lines
        .iter()
        .find(|l| l["month"]["month"] == 4 && l["band"] == "7")
        .unwrap();
    assert_eq!(para_april["cost"], 500_488);
    assert_eq!(para_april["claimable"], 500_488);
    assert_eq!(para_april["cap"], 540_892);
    assert!(para_april["working"].as_str().unwrap().contains("pension"));

    // A pay award backdated to April: arrears for April and May at the next claim.
    ok(
        &db,
        &words("arrs status --pcn U90006 --month 2026-04 --to submitted"),
    );
    let bad = pcn(
        &db,
        &words("arrs status --pcn U90006 --month 2026-04 --to paid"),
    );
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).contains("cannot become paid"),
        "{}",
        stderr(&bad)
    );
    let e2 = post_id(&db, "E2");
    ok(
        &db,
        &[
            "arrs",
            "change",
            "--post",
            &e2,
            "--from",
            "2026-04-01",
            "--salary",
            "49000",
        ],
    );
    let made = ok(
        &db,
        &words("arrs claim --pcn U90006 --month 2026-06 --on 2026-07-05"),
    );
    assert_eq!(made.matches("arrears").count(), 2, "{made}");

    // CSV schedule in the claim layout.
    let csv = ok(
        &db,
        &words("arrs claims --pcn U90006 --month 2026-04 --format csv"),
    );
    let mut rows = csv.lines();
    assert!(rows
        .next()
        .unwrap()
        .starts_with("PCN ODS code,Claim month,Staff reference"));
    assert_eq!(rows.count(), 2);

    // The budget against the demo network's ARRS Sum.
    let b = json(
        &db,
        &words("arrs budget --pcn U90006 --as-at 2026-07-05 --format json"),
    );
    let sum = b["sum"].as_i64().expect("the demo network has an ARRS Sum");
    assert!(sum > 0);
    let spent = b["spent"].as_i64().unwrap();
    let committed = b["committed"].as_i64().unwrap();
    assert_eq!(b["headroom"].as_i64().unwrap(), sum - spent - committed);
    assert!(b["outstanding"].as_i64().unwrap() > 0);
    let months: i64 = b["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["claimable"].as_i64().unwrap())
        .sum();
    assert_eq!(months, spent + committed);

    // A what-if: another paramedic from December.
    let plan = ok(
        &db,
        &dales_plan(&["--add", "paramedic, band 7, 1.0 WTE, from 2026-12-01"]),
    );
    assert!(
        plan.contains("+ paramedic band 7, 1 WTE from 2026-12-01: claimable £21,635.67"),
        "{plan}"
    );
    assert!(plan.contains("What U90006 can still recruit"), "{plan}");
    let pj = json(
        &db,
        &dales_plan(&words(
            "--format json --add 'paramedic, band 7, 1.0 WTE, from 2026-12-01'",
        )),
    );
    let before = pj["before"]["headroom"].as_i64().unwrap();
    let after = pj["after"]["headroom"].as_i64().unwrap();
    assert_eq!(before - after, 2_163_567);

    // Every change is in the audit log.
    let audit = ok(&db, &["audit", "--limit", "50"]);
    for what in ["arrs-post", "arrs-claim", "claim-status"] {
        assert!(audit.contains(what), "{what} missing from {audit}");
    }
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let (_dir, db) = demo();
    let base = [
        "arrs",
        "add",
        "--pcn",
        "U90006",
        "--person",
        "X",
        "--start",
        "2026-04-01",
    ];
    let cases: [(&[&str], &str); 6] = [
        (
            &["--role", "astronaut", "--wte", "1"],
            "not an ARRS role in 2026-27",
        ),
        (
            &["--role", "paramedic", "--band", "9", "--wte", "1"],
            "band \"9\" is not reimbursable",
        ),
        (&["--role", "paramedic", "--wte", "1.5"], "outside 0–1"),
        (&["--role", "paramedic", "--wte", "0"], "outside 0–1"),
        (
            &["--role", "paramedic", "--wte", "1", "--end", "2026-03-01"],
            "before the start",
        ),
        (
            &["--role", "paramedic", "--wte", "1", "--salary", "lots"],
            "not an amount",
        ),
    ];
    for (extra, message) in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        let out = pcn(&db, &args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(posts(&db), 0);
    // A cost for a month outside employment.
    ok(
        &db,
        &words("arrs add --pcn U90006 --person E --role paramedic --wte 1 --start 2026-06-01 --end 2026-08-31"),
    );
    let e = post_id(&db, "E");
    let err = refused(
        &db,
        &[
            "arrs", "cost", "--post", &e, "--month", "2026-09", "--amount", "4000",
        ],
    );
    assert!(err.contains("not in post in 2026-09"), "{err}");
    let err = refused(
        &db,
        &["arrs", "claim", "--pcn", "U90006", "--month", "2026-13"],
    );
    assert!(err.contains("not a month"));
    let err = refused(
        &db,
        &dales_plan(&["--add", "paramedic, 2 WTE, from 2026-12-01"]),
    );
    assert!(err.contains("outside 0–1"));
}

#[test]
fn workforce_census_seeds_rosters() {
    let (_dir, db) = demo();
    let file = fixture("workforce-2026-06.csv");
    let out = ok(&db, &["import", &file]);
    assert!(out.contains("pcn-workforce as at 2026-06-30"), "{out}");
    assert!(out.contains("1 skipped"), "{out}"); // the 0 FTE row
    let roster = json(
        &db,
        &words("arrs roster --pcn U90006 --as-at 2026-06-30 --format json"),
    );
    let roster = roster.as_array().unwrap();
    // Pharmacist, care coordinator, manager, and the contracted 1.6 FTE split into 1 + 0.6.
    assert_eq!(roster.len(), 5);
    let roles: Vec<&str> = roster.iter().map(|r| r["role"].as_str().unwrap()).collect();
    assert!(roles.contains(&"clinical-pharmacist"));
    assert!(roles.contains(&"Manager"));
    assert_eq!(
        roles
            .iter()
            .filter(|r| **r == "mental-health-practitioner")
            .count(),
        2
    );
    assert!(roster.iter().any(|r| r["person"] == "census-row-5"));
    // Re-importing the same file changes nothing.
    let again = ok(&db, &["import", &file]);
    assert!(again.contains("already imported"), "{again}");
    // The national report over the seeded rosters.
    let report = json(&db, &["arrs", "report", "--format", "json"]);
    let north = report
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["pcn"] == "U90006")
        .unwrap();
    assert_eq!(north["arrs_wte"], "3.2");
    assert_eq!(north["other_wte"], "1");
    // 1.0 pharmacist (band 7-8a £66,972) + 0.6 care coordinator (band 4,
    // £33,396 carried) + 1.6 MHP (band 5, £43,352), each for the whole year.
    assert_eq!(north["estimated_spend"], 6_697_200 + 2_003_760 + 6_936_320);
    assert!(north["sum"].as_i64().unwrap() > 0);
}

#[test]
fn national_workforce_census_report() {
    let Some(data) = shared_data() else { return };
    let files = [
        "ods-epcn-2024-10/ePCN.xlsx",
        "ods-epraccur-2025-11/epraccur.csv",
        "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-map.csv",
        "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-quin-age.csv.gz",
        "nhsd-pcn-workforce-2026-06/pcn-workforce-individual-level-2026-06.csv.gz",
    ];
    let (_dir, db) = imported(&data_files(&data, &files));

    // Independently: networks and total FTE straight from the file.
    let raw = std::fs::read(data.join(files[4])).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[..]), &mut text).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let pcn_i = headers.iter().position(|h| h == "PCN_CODE").unwrap();
    let fte_i = headers.iter().position(|h| h == "FTE").unwrap();
    let mut networks = std::collections::BTreeSet::new();
    let mut fte = rust_decimal::Decimal::ZERO;
    for r in reader.records() {
        let r = r.unwrap();
        networks.insert(r[pcn_i].to_string());
        fte += rust_decimal::Decimal::from_str_exact(&r[fte_i]).unwrap();
    }

    let report = json(&db, &["arrs", "report", "--format", "json"]);
    let rows = report.as_array().unwrap();
    assert_eq!(
        rows.len(),
        networks.len(),
        "every network in the census has a roster"
    );
    let dec =
        |v: &serde_json::Value| rust_decimal::Decimal::from_str_exact(v.as_str().unwrap()).unwrap();
    let seeded: rust_decimal::Decimal = rows
        .iter()
        .map(|n| dec(&n["arrs_wte"]) + dec(&n["other_wte"]))
        .sum();
    assert_eq!(seeded, fte, "every FTE of the census is on a roster");
    let arrs_wte: rust_decimal::Decimal = rows.iter().map(|n| dec(&n["arrs_wte"])).sum();
    assert!(
        arrs_wte > rust_decimal::Decimal::from(25_000) && arrs_wte < fte,
        "{arrs_wte}"
    );
    let with_sum = rows.iter().filter(|n| n["sum"].is_i64()).count();
    assert!(
        with_sum * 100 >= rows.len() * 99,
        "{with_sum} of {}",
        rows.len()
    );
    let spend: i64 = rows
        .iter()
        .map(|n| n["estimated_spend"].as_i64().unwrap())
        .sum();
    let sum: i64 = rows.iter().filter_map(|n| n["sum"].as_i64()).sum();
    // The 2026/27 ARRS pool is £1,754m for all ~1,300 networks (R23); the rosters'
    // annualised cost at the maxima is below it.
    assert!(sum > 150_000_000_000 && sum < 175_400_000_000, "sum {sum}");
    assert!(spend > 100_000_000_000 && spend < sum, "spend {spend}");
    let text = ok(&db, &["arrs", "report"]);
    assert!(text.contains("ARRS national picture, 2026-27"), "{text}");
}

/// `--rules DIR` reaches the ARRS commands: the roles table and each
/// month's cap in `pcn arrs claims` come from the folder's figures, not the
/// built-in ones.
#[test]
fn arrs_roles_and_claims_use_the_rules_folder_given() {
    let (dir, db) = demo();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let built_in = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules");
    for entry in std::fs::read_dir(built_in).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let mut text = std::fs::read_to_string(&path).unwrap();
            if path.ends_with("2025-26.toml") {
                // The 2025/26 maximum of pay group 7 (a paramedic on band 7).
                assert_eq!(text.matches("england = \"64907\"").count(), 1);
                text = text.replace("england = \"64907\"", "england = \"60000\"");
            }
            std::fs::write(rules.join(path.file_name().unwrap()), text).unwrap();
        }
    }
    let rules = rules.display().to_string();
    let with_rules = |line: &'static str| {
        let mut args = words(line);
        args.extend(["--rules", rules.as_str()]);
        args
    };

    let roles = ok(&db, &with_rules("arrs roles --year 2025-26"));
    let paramedic = roles
        .lines()
        .find(|l| l.contains("paramedic ") && l.contains("7 → 7 "))
        .unwrap_or_else(|| panic!("{roles}"));
    assert!(paramedic.contains("£60,000"), "{paramedic}");
    let built_in_roles = ok(&db, &words("arrs roles --year 2025-26"));
    assert!(built_in_roles.contains("£64,907"), "{built_in_roles}");
    assert!(!built_in_roles.contains("£60,000"), "{built_in_roles}");

    // A paramedic paid over the maximum: each month is capped at the
    // folder's maximum, £60,000 / 12 = £5,000.00 for a full month.
    ok(
        &db,
        &with_rules(
            "arrs add --pcn U90006 --person P1 --role paramedic --wte 1 --start 2025-04-01 --salary 90000",
        ),
    );
    let post: i64 = post_id(&db, "P1").parse().unwrap();
    let april = |lines: serde_json::Value| {
        lines
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["post"] == post && l["month"]["month"] == 4 && l["month"]["year"] == 2025)
            .cloned()
            .unwrap()
    };
    let capped = april(json(
        &db,
        &with_rules("arrs claims --pcn U90006 --year 2025-26 --format json"),
    ));
    assert_eq!(capped["maximum"], "60000");
    assert_eq!(capped["cap"], 500_000);
    assert_eq!(capped["claimable"], 500_000);
    let built_in_cap = april(json(
        &db,
        &words("arrs claims --pcn U90006 --year 2025-26 --format json"),
    ));
    assert_eq!(built_in_cap["maximum"], "64907");
    assert_eq!(built_in_cap["cap"], 540_892);
}
