//! CSV formula injection: names a user or a file supplies that start with
//! `=`, `+`, `-` or `@` (a spreadsheet would run them as formulas) come out
//! of every CSV the command line writes as text, an apostrophe before them.

mod common;

use common::{ok, words};

const FORMULAS: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example\",\"open me\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
];

/// Every cell of a CSV: none may start a formula, save a plain number.
fn assert_no_formula_cells(csv_text: &str, what: &str) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            let number = cell.parse::<f64>().is_ok();
            assert!(
                number || !cell.starts_with(['=', '+', '-', '@']),
                "{what}: the cell {cell:?} would run as a formula"
            );
        }
    }
}

#[test]
fn formula_names_are_escaped_in_every_csv_the_command_line_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite").display().to_string();
    ok(&db, &["demo", "--no-serve", "--demo-database", &db]);
    // Staff references and names typed on the command line.
    // (`--flag=value`, as a user must type a value starting with `-`.)
    for (i, formula) in FORMULAS.iter().enumerate() {
        let person = format!("--person={formula}");
        let name = format!("--name={}", FORMULAS[(i + 1) % FORMULAS.len()]);
        ok(
            &db,
            &[
                "arrs",
                "add",
                "--pcn",
                "U90001",
                &person,
                &name,
                "--role",
                "paramedic",
                "--band",
                "7",
                "--wte",
                "1",
                "--start",
                "2026-04-01",
            ],
        );
    }
    // Network names from an official file (the ODS ePCN report).
    let epcn = dir.path().join("epcn.csv");
    let mut rows = String::from("PCN Code,PCN Name,Current CCG Code,CCG Name,Open Date,Close Date,Address Line 1,Address Line 2,Address Line 3,Address Line 4,Address Line 5,Postcode\n");
    for (code, name) in [("U90001", FORMULAS[0]), ("U90002", FORMULAS[3])] {
        let quoted = name.replace('"', "\"\"");
        rows.push_str(&format!(
            "{code},\"{quoted}\",Z1A,NHS DEMO VALE,20190701,,,,,,,\n"
        ));
    }
    std::fs::write(&epcn, rows).unwrap();
    ok(
        &db,
        &[
            "import",
            &epcn.display().to_string(),
            "--as-at",
            "2026-07-01",
        ],
    );

    let roster = ok(&db, &words("arrs roster --pcn U90001 --all --format csv"));
    let claims = ok(
        &db,
        &words("arrs claims --pcn U90001 --year 2026-27 --format csv"),
    );
    let networks = ok(
        &db,
        &words("network list --commissioner Z1A --as-at 2026-07-01 --format csv"),
    );
    for (what, text, expected) in [
        ("arrs roster", &roster, &FORMULAS[..]),
        ("arrs claims", &claims, &FORMULAS[..]),
        ("network list", &networks, &[FORMULAS[0], FORMULAS[3]][..]),
    ] {
        assert_no_formula_cells(text, what);
        for formula in expected {
            let escaped = format!("'{formula}");
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes());
            let found = reader
                .records()
                .any(|r| r.unwrap().iter().any(|cell| cell == escaped));
            assert!(found, "{what} lacks {escaped:?}:\n{text}");
        }
    }
    // Numbers stay numbers: the claims' amounts are not escaped.
    assert!(claims.lines().skip(1).any(|l| l
        .split(',')
        .any(|c| c.parse::<f64>().is_ok_and(|n| n > 0.0))));
}
