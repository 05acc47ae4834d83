//! The `pcn` command as a user runs it, on the demo database and small fixtures.

mod common;

use common::*;

#[test]
fn demo_then_check_as_json_and_csv() {
    let (_dir, db) = demo();
    let out = pcn(&db, &["check", "--as-at", "2026-07-01", "--format", "json"]);
    assert_eq!(
        code(&out),
        1,
        "error-level findings give exit code 1: {}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["summary"]["practices"], 44);
    assert_eq!(report["summary"]["networks_with_members"], 9);
    assert_eq!(report["summary"]["unallocated_practices"], 1);
    let findings = report["findings"].as_array().unwrap();
    assert!(findings
        .iter()
        .any(|f| f["rule"] == "NET-SIZE-MIN" && f["pcn"] == "U90005" && f["severity"] == "error"));

    let out = pcn(
        &db,
        &words("check --as-at 2026-07-01 --format csv --rule NET-SIZE-MAX"),
    );
    assert_eq!(code(&out), 0, "only warnings shown: exit 0");
    let csv = stdout(&out);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("as_at,severity,rule"));
    let row = lines.next().unwrap();
    assert!(
        row.contains("NET-SIZE-MAX") && row.contains("U90004"),
        "{row}"
    );
    assert_eq!(lines.next(), None);

    let out = pcn(
        &db,
        &words("check --as-at 2026-07-01 --commissioner Z2B --format json"),
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["commissioner"], "Z2B", "{f}");
    }
}

#[test]
fn network_set_is_dated_audited_and_clears_the_finding() {
    let (_dir, db) = demo();
    let before = pcn(
        &db,
        &words("check --as-at 2026-07-01 --pcn U90009 --format csv"),
    );
    assert!(stdout(&before).contains("NET-NO-CLINICAL-DIRECTOR"));

    let set = "network set U90009 --clinical-director 'Dr Mary Seacole' \
               --nominated-payee Z90040 --effective-from 2026-06-01";
    ok(&db, &words(set));
    let after = stdout(&pcn(
        &db,
        &words("check --as-at 2026-07-01 --pcn U90009 --format csv"),
    ));
    assert!(!after.contains("NET-NO-CLINICAL-DIRECTOR"), "{after}");
    assert!(!after.contains("NET-NO-PAYEE"), "{after}");
    // Before the effective date the director was still missing.
    let earlier = stdout(&pcn(
        &db,
        &words("check --as-at 2026-05-01 --pcn U90009 --format csv"),
    ));
    assert!(earlier.contains("NET-NO-CLINICAL-DIRECTOR"), "{earlier}");

    let audit = stdout(&pcn(&db, &["audit"]));
    assert!(
        audit.contains("test-user") && audit.contains("Dr Mary Seacole"),
        "{audit}"
    );
    let show = stdout(&pcn(
        &db,
        &["network", "show", "U90009", "--as-at", "2026-07-01"],
    ));
    assert!(
        show.contains("Dr Mary Seacole") && show.contains("Governance history"),
        "{show}"
    );
}

/// `pcn network move`: a practice moved by hand is in its new network from
/// the date (its checks, the list sizes, the payment run), audited, shown in
/// its history; a mistake is refused and changes nothing.
#[test]
fn network_move_is_dated_audited_and_moves_the_money() {
    let (_dir, db) = demo();
    let pay = |pcn_code: &str| -> serde_json::Value {
        let out = pcn(
            &db,
            &[
                "pay", "--year", "2026-27", "--pcn", pcn_code, "--format", "json",
            ],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    let total = |v: &serde_json::Value| {
        v["networks"][0]["statement"]["totals"]["scheduled_to_practices"]
            .as_i64()
            .unwrap()
    };
    let (u1, u9) = (total(&pay("U90001")), total(&pay("U90009")));
    let audit_before = stdout(&pcn(&db, &["audit", "--limit", "1000"]));
    for (args, says) in [
        ("network move Z99999 --to U90001", "no practice Z99999"),
        ("network move Z90040 --to U99999", "no network U99999"),
        (
            "network move Z90040 --to U90009 --effective-from 2026-06-01",
            "already",
        ),
        (
            "network move Z90040 --to U90001 --effective-from 31/02/2026",
            "31/02/2026",
        ),
    ] {
        let out = pcn(&db, &words(args));
        assert_eq!(code(&out), 2, "{args}: {}", stdout(&out));
        assert!(stderr(&out).contains(says), "{args}: {}", stderr(&out));
    }
    assert_eq!(
        stdout(&pcn(&db, &["audit", "--limit", "1000"])),
        audit_before
    );

    let out = pcn(
        &db,
        &words(
            "network move Z90040 --to U90001 --effective-from 2026-05-01 --note 'Agreed by Z1A'",
        ),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Z90040 moves from U90009 to U90001 from 2026-05-01"),
        "{}",
        stdout(&out)
    );
    let show = stdout(&pcn(&db, &["practice", "Z90040", "--as-at", "2026-07-01"]));
    assert!(show.contains("recorded by hand"), "{show}");
    let audit = stdout(&pcn(&db, &["audit"]));
    assert!(audit.contains("Agreed by Z1A"), "{audit}");
    // Its Network Participation Payment (paid to the practice by month) is
    // U90009's in April alone, U90001's from May; the network streams count
    // the members of each network's first month, as the DES does.
    let (u1_after, u9_after) = (total(&pay("U90001")), total(&pay("U90009")));
    assert!(
        u1_after > u1 && u9_after < u9,
        "{u1} {u1_after} {u9} {u9_after}"
    );
    // Before the date it was still in U90009.
    let april = stdout(&pcn(&db, &["practice", "Z90040", "--as-at", "2026-04-15"]));
    assert!(april.contains("U90009"), "{april}");
    // Leaving every network: the check finds it outside one.
    ok(
        &db,
        &words("network move Z90040 --to none --effective-from 2026-06-01"),
    );
    let check = stdout(&pcn(
        &db,
        &words("check --as-at 2026-07-01 --format csv --rule PRAC-UNALLOCATED"),
    ));
    assert!(check.contains("Z90040"), "{check}");
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_changes_nothing() {
    let (_dir, db) = demo();
    let audit_before = stdout(&pcn(&db, &["audit", "--limit", "1000"]));

    let err = refused(
        &db,
        &words("network set U90009 --clinical-director 'Dr X' --nominated-payee NOT-A-CODE"),
    );
    assert!(err.contains("NOT-A-CODE"), "{err}");

    let err = refused(
        &db,
        &["network", "set", "X123", "--clinical-director", "Dr X"],
    );
    assert!(err.contains("X123"), "{err}");

    refused(
        &db,
        &words("network set U90009 --network-agreement-signed 31/02/2026"),
    );

    let err = refused(&db, &["check", "--rule", "NO-SUCH-RULE"]);
    assert!(err.contains("NO-SUCH-RULE"));

    refused(&db, &["check", "--as-at", "yesterday"]);

    assert_eq!(
        stdout(&pcn(&db, &["audit", "--limit", "1000"])),
        audit_before,
        "nothing was written"
    );
}

#[test]
fn practice_history_shows_a_move() {
    let (_dir, db) = demo();
    let out = stdout(&pcn(&db, &["practice", "Z90010", "--as-at", "2026-07-01"]));
    assert!(out.contains("U90001") && out.contains("U90002"), "{out}");
    assert!(out.contains("2026-05-31"), "{out}");
}

#[test]
fn check_on_an_empty_database_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.sqlite").display().to_string();
    let err = refused(&db, &["check"]);
    assert!(err.contains("pcn import"), "{err}");
}

fn imports(db: &str) -> String {
    stdout(&pcn(db, &["imports"]))
}

#[test]
fn importing_a_newer_month_adds_history_and_the_same_file_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pcn.sqlite").display().to_string();
    let out = pcn(
        &db,
        &[
            "import",
            &fixture("map-2026-06.csv"),
            &fixture("map-2026-07.csv"),
            &fixture("quin-age-2026-07.csv.gz"),
            &fixture("governance.csv"),
        ],
    );
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("registration-map as at 2026-06-01"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("registration-quinary-age as at 2026-07-01"),
        "{}",
        stdout(&out)
    );

    let again = pcn(&db, &["import", &fixture("map-2026-07.csv")]);
    assert_eq!(code(&again), 0);
    assert!(
        stdout(&again).contains("already imported"),
        "{}",
        stdout(&again)
    );
    assert_eq!(imports(&db).matches("map-2026-07.csv").count(), 1);

    // A81002 moved from U89141 (June) to U07032 (July): both memberships, dated.
    let history = stdout(&pcn(&db, &["practice", "A81002", "--as-at", "2026-07-01"]));
    assert!(
        history.contains("U89141") && history.contains("2026-06-01"),
        "{history}"
    );
    assert!(
        history.contains("U07032") && history.contains("2026-07-01"),
        "{history}"
    );

    let out = pcn(&db, &["check", "--as-at", "2026-07-01", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["summary"]["patients"], 52_100);
    let findings = report["findings"].as_array().unwrap();
    let size = |pcn: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == "NET-SIZE-MIN" && f["pcn"] == pcn)
            .map(|f| f["severity"].clone())
    };
    assert_eq!(
        size("U89141"),
        Some("info".into()),
        "10,200 patients with the rural waiver recorded in governance.csv"
    );
    assert_eq!(size("U07032"), None, "41,900 patients");
    assert!(
        !findings
            .iter()
            .any(|f| f["rule"] == "NET-NO-CLINICAL-DIRECTOR"),
        "both directors come from governance.csv"
    );
}

#[test]
fn a_bad_file_is_refused_whole_with_file_row_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pcn.sqlite").display().to_string();
    assert_eq!(code(&pcn(&db, &["import", &fixture("map-2026-06.csv")])), 0);
    let before = imports(&db);

    let out = pcn(&db, &["import", &fixture("governance-bad.csv")]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("governance-bad.csv")
            && err.contains("row 3")
            && err.contains("nominated_payee")
            && err.contains("NOTAPRACTICE"),
        "{err}"
    );
    // The good first row was not written either.
    assert!(!stdout(&pcn(&db, &["audit"])).contains("Dr Ada Lovelace"));

    let err = refused(&db, &["import", &fixture("map-truncated.csv")]);
    assert!(
        err.contains("map-truncated.csv") && err.contains("row 3"),
        "{err}"
    );

    let not_nhs = dir.path().join("notes.csv");
    std::fs::write(&not_nhs, "name,colour\nfoo,blue\n").unwrap();
    let err = refused(&db, &["import", &not_nhs.display().to_string()]);
    assert!(err.contains("notes.csv"), "{err}");

    assert_eq!(imports(&db), before, "nothing was written");
}

/// A typo in an organisation code is an error (exit 2) that names it, in
/// every command that takes one, never an empty answer that a script would
/// read as "nothing wrong".
#[test]
fn a_mistyped_code_is_an_error_everywhere() {
    let (_dir, db) = demo();
    let cases: &[(&[&str], &str)] = &[
        (&["check", "--pcn", "U99999"], "no network U99999"),
        (&["check", "--commissioner", "XYZ"], "no commissioner XYZ"),
        (
            &["pay", "--year", "2026-27", "--pcn", "U99999"],
            "no network U99999",
        ),
        (
            &["pay", "--year", "2026-27", "--commissioner", "XYZ"],
            "no commissioner XYZ",
        ),
        (&["network", "show", "U99999"], "no network U99999"),
        (
            &["network", "set", "U99999", "--clinical-director", "Dr X"],
            "no network U99999",
        ),
        (&["practice", "Z99999"], "no practice Z99999"),
        (&["arrs", "roster", "--pcn", "U99999"], "no network U99999"),
        (&["arrs", "budget", "--pcn", "U99999"], "no network U99999"),
        (
            &["arrs", "report", "--commissioner", "XYZ"],
            "no commissioner XYZ",
        ),
        (&["plan", "--commissioner", "XYZ"], "no commissioner XYZ"),
        (
            &["reconcile", "--year", "2021-22", "--pcn", "U99999"],
            "no network U99999",
        ),
    ];
    for (args, says) in cases {
        let out = pcn(&db, args);
        assert_eq!(code(&out), 2, "pcn {}: {}", args.join(" "), stdout(&out));
        assert!(
            stderr(&out).contains(says),
            "pcn {}: {}",
            args.join(" "),
            stderr(&out)
        );
    }
    // Nothing was recorded for the network that does not exist.
    assert!(!stdout(&pcn(&db, &["audit"])).contains("U99999"));
}

/// A database that is not there is not created by a command that reads,
/// and a file that is not a database is refused at once, unchanged.
#[test]
fn a_mistyped_or_foreign_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.sqlite");
    let out = pcn(&missing.display().to_string(), &["check"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("there is no database at"),
        "{}",
        stderr(&out)
    );
    assert!(!missing.exists(), "a read must not leave an empty database");
    // An import that fails leaves no new database behind either.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "not,an,nhs,file\n1,2,3,4\n").unwrap();
    let out = pcn(
        &missing.display().to_string(),
        &["import", &bad.display().to_string()],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        !missing.exists(),
        "the failed import's new database is removed"
    );
    // A text file named as the database is refused, at once, and kept.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "practice list\n").unwrap();
    let started = std::time::Instant::now();
    let out = pcn(&notes.display().to_string(), &["check"]);
    assert_eq!(code(&out), 2);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        stderr(&out).contains("is not an SQLite database"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "practice list\n");
    // The error is said once, not repeated down the chain.
    assert_eq!(stderr(&out).matches("not an SQLite database").count(), 1);
}
