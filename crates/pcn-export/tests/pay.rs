//! The payment run's files: CSV, JSON and the workbook read back and add up;
//! one line explained; an empty run; a national run quickly.

use std::collections::{HashMap, HashSet};

use pcn_core::funding::{
    distribute, statement, Distribution, LineStatus, MemberInputs, MissingInputs, NetworkPay,
};
use pcn_core::money::Pence;
use pcn_core::rulebook::{PaidTo, Rulebook};
use pcn_core::text::{grouped, pounds_plain as gbp};
use pcn_core::PcnCode;
use pcn_export::fixtures::*;
use pcn_export::pay::*;
use pcn_export::xlsx::{pounds, sheet_name};

#[test]
fn pounds_are_exact_text() {
    assert_eq!(gbp(Pence(123_456)), "1234.56");
    assert_eq!(gbp(Pence(-5)), "-0.05");
    assert_eq!(gbp(Pence(0)), "0.00");
    assert_eq!(grouped("46002.37"), "46,002.37");
    assert_eq!(grouped(-1_234_567), "-1,234,567");
    assert_eq!(grouped(999), "999");
}

#[test]
fn sheet_names_are_valid_and_unique() {
    let mut used: HashSet<String> = ["summary"].map(String::from).into_iter().collect();
    assert_eq!(sheet_name("U00001", &mut used), "U00001");
    assert_eq!(sheet_name("u00001", &mut used), "u00001~2");
    assert_eq!(sheet_name("Summary", &mut used), "Summary~2");
    let long = sheet_name(&"a[b]:c*?/\\".repeat(10), &mut used);
    assert!(long.chars().count() <= 31, "{long}");
    assert!(
        !long.contains(['[', ']', ':', '*', '?', '/', '\\']),
        "{long}"
    );
    assert_eq!(sheet_name("'x'", &mut used), "x");
}

#[test]
fn csv_parses_back_and_adds_up() {
    let run = two_networks();
    let text = run_csv(&run).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let lines: usize = run.networks.iter().map(|n| n.statement.lines.len()).sum();
    assert_eq!(rows.len(), lines);
    assert_eq!(headers.len(), 29);
    for n in &run.networks {
        let s = &n.statement;
        let sum_where = |status: &str, paid_to: &str| -> i64 {
            rows.iter()
                .filter(|r| {
                    &r[col("pcn_code")] == s.pcn.as_str()
                        && &r[col("status")] == status
                        && (paid_to.is_empty() || &r[col("paid_to")] == paid_to)
                })
                .map(|r| r[col("amount_pence")].parse::<i64>().unwrap())
                .sum()
        };
        assert_eq!(
            sum_where("scheduled", "pcn"),
            s.totals.scheduled_to_network.0
        );
        assert_eq!(
            sum_where("scheduled", "practice"),
            s.totals.scheduled_to_practices.0
        );
        assert_eq!(sum_where("maximum", ""), s.totals.claimable_maximum.0);
        assert_eq!(sum_where("on_achievement", ""), s.totals.on_achievement.0);
    }
    let mut not_computed = 0;
    for r in &rows {
        let estimated = &r[col("estimated")];
        assert_eq!(estimated == "true", !r[col("estimates")].is_empty());
        if &r[col("status")] == "not_computed" {
            assert!(!r[col("not_computed_reason")].is_empty());
            assert_eq!(&r[col("amount_pence")], "", "never a silent zero");
            not_computed += 1;
            continue;
        }
        // The pounds column is the pence, exactly.
        let pence: i64 = r[col("amount_pence")].parse().unwrap();
        assert_eq!(r[col("amount_gbp")], gbp(Pence(pence)));
    }
    assert!(not_computed > 0);
    let reg = rows
        .iter()
        .find(|r| {
            &r[col("pcn_code")] == "U00001"
                && &r[col("rule_id")] == "2025-26/core-pcn-funding/registered"
        })
        .unwrap();
    assert_eq!(&reg[col("amount_pence")], "10228497");
    assert_eq!(&reg[col("amount_gbp")], "102284.97");
    assert_eq!(&reg[col("basis_value")], "45139");
    assert_eq!(&reg[col("estimated")], "false");
    assert!(rows
        .iter()
        .any(|r| &r[col("pcn_code")] == "U00002" && &r[col("estimated")] == "true"));
}

#[test]
fn schedule_csv_adds_up_to_each_line() {
    let run = two_networks();
    let text = run_schedule_csv(&run).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut by_line: HashMap<(String, String), i64> = HashMap::new();
    let mut rows = 0;
    for r in reader.records() {
        let r = r.unwrap();
        *by_line
            .entry((r[0].to_string(), r[1].to_string()))
            .or_default() += r[4].parse::<i64>().unwrap();
        assert_eq!(r[5], gbp(Pence(r[4].parse().unwrap())));
        rows += 1;
    }
    let expected_rows: usize = run
        .networks
        .iter()
        .flat_map(|n| &n.statement.lines)
        .map(|l| l.schedule.len())
        .sum();
    assert_eq!(rows, expected_rows);
    for n in &run.networks {
        for l in &n.statement.lines {
            if l.status == LineStatus::Scheduled {
                let key = (n.statement.pcn.to_string(), l.rule_id.clone());
                assert_eq!(by_line.get(&key).copied(), Some(l.amount.0), "{key:?}");
            }
        }
    }
}

#[test]
fn distribution_csv_adds_up_to_what_was_divided() {
    let run = two_networks();
    let text = run_distribution_csv(&run).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for n in &run.networks {
        let d = n.distribution.as_ref().unwrap();
        let shares: i64 = rows
            .iter()
            .filter(|r| &r[0] == n.statement.pcn.as_str())
            .map(|r| r[3].parse::<i64>().unwrap())
            .sum();
        assert_eq!(shares, d.distributed.0);
        assert_eq!(shares + 100_000, d.total.0);
    }
}

#[test]
fn json_round_trips_the_figures() {
    let run = two_networks();
    let value: serde_json::Value = serde_json::from_str(&run_json(&run).unwrap()).unwrap();
    assert_eq!(value["financial_year"], "2025-26");
    assert_eq!(value["networks"].as_array().unwrap().len(), 2);
    assert_eq!(
        value["networks"][0]["statement"]["totals"]["scheduled_to_network"],
        run.networks[0].statement.totals.scheduled_to_network.0
    );
}

#[test]
fn workbook_is_written_and_reads_back() {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    let run = two_networks();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.xlsx");
    std::fs::write(&path, run_xlsx(&run).unwrap()).unwrap();
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let names = book.sheet_names();
    assert_eq!(
        names,
        vec!["Summary", "Streams", "Schedule", "U00001", "U00002"]
    );

    let summary = book.worksheet_range("Summary").unwrap();
    let cell = |r: u32, c: u32| summary.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    let header_col = |name: &str| {
        (0..summary.width() as u32)
            .find(|c| cell(HEADER_ROW, *c) == Data::String(name.into()))
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    assert!(
        matches!(cell(0, 0), Data::String(t) if t.contains("2025-26") && t.contains("generated by pcn"))
    );
    let to_network = header_col("total to network (£)");
    let estimated = header_col("estimated");
    for (i, n) in run.networks.iter().enumerate() {
        let row = FIRST_DATA_ROW + i as u32;
        let s = &n.statement;
        assert_eq!(cell(row, 0), Data::String(s.pcn.to_string()));
        assert_eq!(
            cell(row, to_network),
            Data::Float(pounds(s.totals.scheduled_to_network))
        );
        assert_eq!(
            cell(row, estimated),
            Data::String(if s.is_estimated() { "yes" } else { "no" }.into())
        );
    }
    assert_eq!(cell(FIRST_DATA_ROW + 2, 0), Data::Empty);
    // The not-computed care-home premium of U00002 is not a zero.
    let chp = run
        .stream_totals()
        .into_iter()
        .find(|t| t.stream_id == "care-home-premium")
        .unwrap();
    let chp = header_col(&format!("{} (£)", chp.stream_name));
    assert_eq!(
        cell(FIRST_DATA_ROW + 1, chp),
        Data::String("not computed".into())
    );
    assert!(matches!(cell(FIRST_DATA_ROW, chp), Data::Float(_)));

    // The schedule's row totals carry their cached values.
    let schedule = book.worksheet_range("Schedule").unwrap();
    let total_col = 2 + 12;
    for (i, n) in run.networks.iter().enumerate() {
        let row = FIRST_DATA_ROW + i as u32;
        let expected: Pence = n.statement.monthly.iter().map(|(_, a)| *a).sum();
        assert_eq!(
            schedule.get_value((row, total_col)),
            Some(&Data::Float(pounds(expected)))
        );
    }
    let formulas = book.worksheet_formula("Schedule").unwrap();
    assert_eq!(
        formulas
            .get_value((FIRST_DATA_ROW, total_col))
            .map(String::as_str),
        Some("SUM(C5:N5)")
    );

    // Each network's sheet has its lines and totals.
    let sheet = book.worksheet_range("U00001").unwrap();
    let text: Vec<String> = sheet
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(text
        .iter()
        .any(|t| t == "2025-26/core-pcn-funding/registered"));
    assert!(text.iter().any(|t| t == "ALPHA SURGERY"));
    assert!(sheet.rows().any(|r| r.contains(&Data::Float(102_284.97))));
    let estimated = book.worksheet_range("U00002").unwrap();
    assert!(estimated
        .rows()
        .any(|r| r.iter().any(|c| c.to_string().starts_with("ESTIMATED"))));
}

#[test]
fn explain_finds_lines_and_lists_valid_ids() {
    let run = two_networks();
    let pcn = PcnCode::parse("U00001").unwrap();
    let text = explain_line(&run, &pcn, "2025-26/core-pcn-funding/registered").unwrap();
    let line = run.networks[0]
        .statement
        .lines
        .iter()
        .find(|l| l.rule_id == "2025-26/core-pcn-funding/registered")
        .unwrap();
    assert!(text.contains(&line.working), "{text}");
    assert!(text.contains(&line.source.document), "{text}");
    assert!(text.contains("2025-04-30"), "{text}");
    assert!(text.contains("12 months of 2025-26; 12 paid"), "{text}");

    // By stream: every component.
    let text = explain_line(&run, &pcn, "core-pcn-funding").unwrap();
    assert!(text.contains("Component:   registered"), "{text}");
    assert!(text.contains("Component:   adjusted"), "{text}");

    // A practice-paid stream shows each practice.
    let practice_stream = run.networks[0]
        .statement
        .lines
        .iter()
        .find(|l| l.paid_to == PaidTo::Practice && l.status == LineStatus::Scheduled)
        .unwrap();
    let text = explain_line(&run, &pcn, practice_stream.stream_id.as_str()).unwrap();
    assert!(text.contains("To each practice:"), "{text}");
    assert!(text.contains("A81002 BETA SURGERY"), "{text}");
    assert!(
        text.contains(&practice_stream.to_practices[1].1.to_string()),
        "{text}"
    );

    let err = explain_line(&run, &pcn, "2025-26/no-such/thing")
        .unwrap_err()
        .to_string();
    assert!(err.contains("valid ids"), "{err}");
    assert!(err.contains("2025-26/core-pcn-funding/registered"), "{err}");
    let err = explain_line(&run, &PcnCode::parse("U99999").unwrap(), "core-pcn-funding")
        .unwrap_err()
        .to_string();
    assert!(err.contains("U99999") && err.contains("U00001"), "{err}");
}

#[test]
fn an_empty_run_renders_everywhere() {
    let run = run_of(Vec::new());
    assert_eq!(run_csv(&run).unwrap().lines().count(), 1);
    assert_eq!(run_schedule_csv(&run).unwrap().lines().count(), 1);
    assert_eq!(run_distribution_csv(&run).unwrap().lines().count(), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.xlsx");
    std::fs::write(&path, run_xlsx(&run).unwrap()).unwrap();
    use calamine::{open_workbook, Reader, Xlsx};
    let book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), vec!["Summary", "Streams", "Schedule"]);
}

#[test]
fn a_national_run_exports_quickly() {
    let rules = Rulebook::embedded().unwrap();
    let year = rules.year("2025-26").unwrap();
    let networks: Vec<NetworkPay> = (0..1_300)
        .map(|i| {
            let members: Vec<MemberInputs> = (0..5)
                .map(|m| {
                    member(
                        &format!("P{:05}", i * 5 + m),
                        "SYNTHETIC PRACTICE",
                        6_000 + (i as u64 * 37 + m as u64 * 101) % 9_000,
                        (i % 3 != 0).then_some(6_500),
                    )
                })
                .collect();
            let inputs = inputs(&format!("U{:05}", i + 1), members, i % 4 != 0);
            let statement = statement(year, &inputs, MissingInputs::Estimate).unwrap();
            let distribution = distribute(
                statement.totals.scheduled_to_network,
                Pence::ZERO,
                &inputs.members,
                &Distribution::ByRegisteredList,
            )
            .unwrap();
            NetworkPay {
                statement,
                members: inputs.members,
                distribution_method: Some(Distribution::ByRegisteredList),
                distribution_problem: None,
                at_risk: Vec::new(),
                distribution: Some(distribution),
            }
        })
        .collect();
    let run = run_of(networks);
    let lines: usize = run.networks.iter().map(|n| n.statement.lines.len()).sum();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("national.xlsx");
    let started = std::time::Instant::now();
    std::fs::write(&path, run_xlsx(&run).unwrap()).unwrap();
    let elapsed = started.elapsed();
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "run_xlsx: {} networks, {lines} lines, {size} bytes in {elapsed:?} ({})",
        run.networks.len(),
        if cfg!(debug_assertions) {
            "debug build: not held to the 5 s target"
        } else {
            "optimised"
        }
    );
    assert!(size > 100_000);
    if !cfg!(debug_assertions) {
        assert!(
            elapsed < std::time::Duration::from_secs(5),
            "{elapsed:?} for a national run"
        );
    }
}
