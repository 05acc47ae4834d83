//! The inputs of reconciliation other than the payments file: NHS England's
//! PCN adjusted populations by practice (both published layouts) and a
//! network's remittance CSV, each with its bad input.

mod common;

use common::*;
use pcn_core::rulebook::Rulebook;
use pcn_core::{Decimal, PopulationKind, PopulationSubject, SourceKind};
use pcn_import::{detect, parse_bytes, remittance};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// (subject code, kind, date, value) of every population fact, sorted.
fn populations(p: &pcn_import::ParsedFile) -> Vec<(String, &'static str, String, Decimal)> {
    let mut v: Vec<_> = p
        .facts
        .populations
        .iter()
        .map(|f| {
            let who = match &f.subject {
                PopulationSubject::Practice(c) => format!("practice {c}"),
                PopulationSubject::Network(c) => format!("network {c}"),
            };
            (who, f.kind.name(), f.as_at.to_string(), f.value)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn adjusted_populations_2024_25_layout() {
    let name = "pcn-adjusted-2024-01/pcn_data.csv";
    assert_eq!(
        detect(name, &fixture(name)).unwrap(),
        SourceKind::PcnAdjustedPopulations
    );
    let p = parse_fixture(name);
    assert_eq!(p.kind, SourceKind::PcnAdjustedPopulations);
    assert_eq!(p.data_date, d(2025, 1, 1));
    let lists: Vec<(String, String, u64)> = p
        .facts
        .list_sizes
        .iter()
        .map(|l| (l.practice.to_string(), l.as_at.to_string(), l.total))
        .collect();
    assert_eq!(lists.len(), 8);
    assert!(lists.contains(&("E81615".into(), "2024-01-01".into(), 4096)));
    assert!(lists.contains(&("E81615".into(), "2025-01-01".into(), 4238)));
    let pops = populations(&p);
    let networks: Vec<_> = pops
        .iter()
        .filter(|p| p.0.starts_with("network"))
        .cloned()
        .collect();
    assert_eq!(
        networks,
        vec![
            (
                "network U64356".into(),
                "adjusted",
                "2024-01-01".into(),
                dec("9100")
            ),
            (
                "network U74819".into(),
                "adjusted",
                "2024-01-01".into(),
                dec("15977")
            ),
        ]
    );
    assert!(pops.contains(&(
        "practice E81050".into(),
        PopulationKind::Weighted.name(),
        "2024-01-01".into(),
        dec("12848")
    )));
    assert!(pops.contains(&(
        "practice Y01163".into(),
        "adjusted",
        "2024-01-01".into(),
        dec("4197")
    )));
    assert_eq!(pops.len(), 4 + 4 + 2);
    assert_note(&p, |n| {
        n.starts_with(
            "not read (derived from the other columns): Historical Adjustment Factor (%):",
        )
    });
    assert_note(&p, |n| {
        n.starts_with("1 practices are in no network (\"N/A\" ×1)")
    });
}

#[test]
fn adjusted_populations_2025_26_layout() {
    let p = parse_fixture_as(
        "pcn-adjusted-2025-01/pcn_data.csv",
        SourceKind::PcnAdjustedPopulations,
        d(2025, 1, 1),
    );
    assert_eq!(p.rows, 5);
    assert_eq!(p.skipped_rows, 1, "the totals row");
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("agree with the practice rows")));
    let pops = populations(&p);
    let networks: Vec<_> = pops.iter().filter(|p| p.0.starts_with("network")).collect();
    // K82054 is not a member in January 2025, so U64356 has no members here.
    assert_eq!(
        networks,
        vec![&(
            "network U74819".to_string(),
            "adjusted",
            "2025-01-01".to_string(),
            dec("16288")
        )]
    );
    assert_eq!(p.facts.list_sizes.len(), 4);
    assert!(p.facts.list_sizes.iter().all(|l| l.as_at == d(2025, 1, 1)));
}

#[test]
fn adjusted_populations_bad_input() {
    let text = String::from_utf8(fixture("pcn-adjusted-2025-01/pcn_data.csv")).unwrap();
    let short = text.replacen(",27982,", ",27981,", 1);
    let e = parse_text("pcn_data.csv", &short).unwrap_err();
    assert_eq!(
        e.to_string(),
        "pcn_data.csv: row 6, column Raw list size, value \"27981\": the totals row says 27981 \
         but the practice rows add up to 27982: is the file complete?"
    );
    let bad = text
        .replacen("10579", "10579.5", 1)
        .replacen("E81050", "E8105", 1);
    let e = parse_text("pcn_data.csv", &bad).unwrap_err();
    let shown = e.to_string();
    assert_says(
        &shown,
        &[
            "row 3, column Practice Code, value \"E8105\"",
            "row 3, column Raw list size, value \"10579.5\": not a whole number",
        ],
    );
    // Undated figures with no membership column and no month in the path.
    let undated =
        "Practice Code,PCN Code,Raw list size,Adjusted Population\nE81615,U74819,4239,4008\n";
    let e = parse_text("pcn_data.csv", undated).unwrap_err();
    assert!(
        e.to_string()
            .contains("row 1, column Raw list size, value \"Raw list size\": the column does not say what date"),
        "{e}"
    );
    let o = pcn_import::ImportOptions {
        as_at: Some(d(2025, 1, 1)),
        ..opts()
    };
    let p = parse_bytes("pcn_data.csv", undated.as_bytes(), &o, &mut |_| {}).unwrap();
    assert_eq!(p.facts.list_sizes[0].as_at, d(2025, 1, 1));
}

fn rules() -> Rulebook {
    Rulebook::embedded().unwrap()
}

#[test]
fn remittances() {
    let rows = remittance::parse("remittance.csv", &fixture("remittance.csv"), &rules()).unwrap();
    let got: Vec<(u64, String, String, String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.row,
                r.pcn.to_string(),
                r.month.to_string(),
                r.stream.to_string(),
                r.amount.0,
            )
        })
        .collect();
    // One fact per row (the reconciliation adds rows of the same month up).
    let row = |n, pcn: &str, month: &str, stream: &str, pence| {
        (n, pcn.into(), month.into(), stream.into(), pence)
    };
    assert_eq!(
        got,
        vec![
            row(2, "U89141", "2021-04-01", "core-pcn-funding", 512_345),
            row(3, "U89141", "2021-04-01", "clinical-director", 246_610),
            row(4, "U89141", "2021-05-01", "core-pcn-funding", 512_345),
            row(5, "U89141", "2021-05-01", "core-pcn-funding", -2_345),
            row(6, "U12345", "2022-03-01", "extended-hours-access", 123_456),
        ]
    );
}

#[test]
fn remittances_through_the_import_path_then_checked_against_the_registry() {
    let parsed = parse_fixture_named("remittance.csv", "remittance.csv").unwrap();
    assert_eq!(parsed.kind, SourceKind::Remittances);
    assert_eq!(
        parsed.data_date.to_string(),
        "2022-03-01",
        "the latest month"
    );
    assert_eq!(parsed.facts.remittances.len(), 5);
    assert!(
        parsed.describe().ends_with("5 remittance rows"),
        "{}",
        parsed.describe()
    );
    // Both networks known: nothing to say.
    remittance::check(
        "remittance.csv",
        &parsed.facts.remittances,
        &rules(),
        |_| true,
    )
    .unwrap();
    // U12345 unknown: its row, the column and the value are named.
    let e = remittance::check("remittance.csv", &parsed.facts.remittances, &rules(), |p| {
        p.as_str() == "U89141"
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "remittance.csv: row 6, column pcn_code, value \"U12345\": there is no such network in the \
         registry (check the code; `pcn network list` shows them)"
    );
}

#[test]
fn remittance_bad_rows_name_file_row_and_column() {
    let text = "pcn_code,month,stream,amount\n\
                U89141,2021-04,core-funding,5123.45\n\
                U8914,2021-04,core-pcn-funding,1\n\
                U,2021-04,core-pcn-funding,1\n\
                U89141,2021-04,enhanced-access,1\n\
                U89141,2021-13,core-pcn-funding,1\n\
                U89141,2021-04,core-pcn-funding,1.234\n\
                U89141,2031-04,core-pcn-funding,1\n";
    let e = remittance::parse("remit.csv", text.as_bytes(), &rules()).unwrap_err();
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 7, "{shown}");
    assert!(lines[0].starts_with(
        "remit.csv: row 2, column stream, value \"core-funding\": not a stream of the 2021-22 rulebook; its streams are core-pcn-funding, "
    ), "{shown}");
    assert!(
        lines[1].starts_with("remit.csv: row 3, column pcn_code, value \"U8914\": not a valid"),
        "{shown}"
    );
    assert_eq!(
        lines[2],
        "remit.csv: row 4, column pcn_code, value \"U\": U (Unallocated) is not a network"
    );
    assert!(lines[3].starts_with("remit.csv: row 5, column stream, value \"enhanced-access\": not a stream of the 2021-22 rulebook"), "{shown}");
    assert!(
        lines[4].starts_with("remit.csv: row 6, column month, value \"2021-13\": not a month"),
        "{shown}"
    );
    assert_eq!(lines[5], "remit.csv: row 7, column amount, value \"1.234\": an amount in pounds has at most two decimal places");
    assert!(
        lines[6].starts_with("remit.csv: row 8, column month, value \"2031-04\""),
        "{shown}"
    );
    let e = remittance::parse(
        "remit.csv",
        b"pcn_code,month,stream,amount,note\n",
        &rules(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "remit.csv: row 1, column note, value \"note\": not a remittance column; use pcn_code, month, stream, amount"
    );
}
