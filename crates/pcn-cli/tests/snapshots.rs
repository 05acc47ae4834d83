//! What the `pcn` command prints, whole, on the demo database: tables and
//! files as snapshots (`insta`), so any change to a figure or a word is seen
//! in review. Paths and the run's own dates are redacted; everything else in
//! the demo is fixed. Update on purpose with `cargo insta review` (or
//! `INSTA_UPDATE=always`), and read the diff.

mod common;

use common::*;

/// `pcn ARGS` on the database, which must succeed (or exit 1 for `check`
/// with error-level findings); its standard output.
fn run(db: &str, args: &[&str]) -> String {
    // "Today" fixed, so what depends on the date does not move.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pcn"))
        .args([
            "--database",
            db,
            "--by",
            "test-user",
            "--today",
            "2026-11-29",
        ])
        .args(args)
        .env_remove("PCN_DATABASE")
        .output()
        .unwrap();
    assert!(
        code(&out) == 0 || (args[0] == "check" && code(&out) == 1),
        "pcn {}: exit {}: {}",
        args.join(" "),
        code(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// Snapshots with the temporary folder's path redacted.
macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => vec![
            (r"/tmp/[^ \n]*/demo\.sqlite", "[DEMO DATABASE]"),
            (r"\.tmp[A-Za-z0-9]+", "[TMP]"),
            // When a fact was recorded: the moment the test ran.
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00", "[RECORDED AT]"),
        ]}, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

#[test]
fn the_demo_prints_its_check_report() {
    let (_dir, _db, out) = run_demo(&[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    snapshot!("demo", stdout(&out));
}

#[test]
fn checks_as_a_table_and_as_csv() {
    let (_dir, db) = demo();
    snapshot!(
        "check_table",
        run(
            &db,
            &["check", "--as-at", "2026-07-01", "--commissioner", "Z1A"]
        )
    );
    snapshot!(
        "check_csv",
        run(
            &db,
            &words("check --as-at 2026-07-01 --severity warning --format csv")
        )
    );
}

#[test]
fn networks_and_practices() {
    let (_dir, db) = demo();
    snapshot!(
        "network_list",
        run(&db, &["network", "list", "--as-at", "2026-07-01"])
    );
    snapshot!(
        "network_list_csv",
        run(&db, &words("network list --as-at 2026-07-01 --format csv"))
    );
    snapshot!(
        "network_show",
        run(&db, &["network", "show", "U90007", "--as-at", "2026-07-01"])
    );
    snapshot!(
        "practice",
        run(&db, &["practice", "Z90010", "--as-at", "2026-07-01"])
    );
}

#[test]
fn a_statement_its_explanation_and_its_schedule() {
    let (_dir, db) = demo();
    snapshot!(
        "pay_table",
        run(&db, &["pay", "--year", "2026-27", "--pcn", "U90001"])
    );
    snapshot!(
        "pay_explain",
        run(
            &db,
            &words("pay --year 2026-27 --pcn U90001 --explain enhanced-access")
        )
    );
    snapshot!(
        "pay_schedule_csv",
        run(
            &db,
            &words("pay --year 2026-27 --pcn U90002 --format csv --csv schedule")
        )
    );
    snapshot!(
        "pay_commissioner",
        run(&db, &["pay", "--year", "2026-27", "--commissioner", "Z2B"])
    );
}

#[test]
fn arrs_roles_claims_and_budget() {
    let (_dir, db) = demo();
    snapshot!(
        "arrs_roles",
        run(&db, &["arrs", "roles", "--year", "2026-27"])
    );
    snapshot!(
        "arrs_roster",
        run(
            &db,
            &["arrs", "roster", "--pcn", "U90002", "--as-at", "2026-07-01"]
        )
    );
    snapshot!(
        "arrs_claims",
        run(
            &db,
            &["arrs", "claims", "--pcn", "U90002", "--year", "2026-27"]
        )
    );
    snapshot!(
        "arrs_claims_csv",
        run(
            &db,
            &["arrs", "claims", "--pcn", "U90002", "--year", "2026-27", "--format", "csv"]
        )
    );
    snapshot!(
        "arrs_budget",
        run(
            &db,
            &words("arrs budget --pcn U90002 --year 2026-27 --as-at 2026-11-23")
        )
    );
}
