//! The three NHS Payments to General Practice files as published
//! (`../shared/data/nhsd-nhs-payments-gp-2019-20`, `-2020-21`, `-2021-22`)
//! and the two PCN adjusted population files: each is read whole, and the
//! national total of every PCN column is checked against a sum taken
//! straight from the raw file with a plain CSV reader (not pcn's).
//!
//! Skipped with a message when the data folder is absent, unless `CI` is
//! set. The folder is `../shared/data` beside the checkout, or
//! `PCN_SHARED_DATA` when set (a git worktree elsewhere).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use pcn_core::{Decimal, PopulationKind, PopulationSubject, SourceKind};
use pcn_import::ParsedFile;

use common::raw::raw_text;
use common::{d, data_dir, read_timed};

fn read(path: &Path) -> ParsedFile {
    read_timed(path).0
}

/// The raw file as records, header first, with a plain CSV reader.
fn raw_records(path: &Path) -> Vec<Vec<String>> {
    let text = raw_text(path);
    let text = text.trim_start_matches('\u{feff}');
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Pence of a raw cell (pounds, as published).
fn pence(raw: &str) -> i64 {
    let pounds: Decimal = raw.trim().parse().unwrap_or(Decimal::ZERO);
    i64::try_from((pounds * Decimal::ONE_HUNDRED).round()).unwrap()
}

/// Checks the year's file against the raw file: `rows` practices in
/// `columns` columns, whose PCN payment columns (every `PCN …` column of the
/// raw header but the code and name) are `pcn_columns`, in order.
fn check_year(year: &str, rows: u64, columns: usize, expected_pcn_columns: &[&str]) {
    let Some(dir) = data_dir() else { return };
    let path = dir.join(format!(
        "nhsd-nhs-payments-gp-{year}/nhspaymentsgp-{}-{}-prac.csv.gz",
        &year[2..4],
        &year[5..7]
    ));
    let parsed = read(&path);
    assert_eq!(parsed.kind, SourceKind::NhsPaymentsPractice);
    assert_eq!(parsed.rows, rows);
    assert!(
        parsed.notes[0].starts_with(&format!("layout {year} ({columns} columns)")),
        "{:?}",
        parsed.notes
    );

    let raw = raw_records(&path);
    let header = &raw[0];
    assert_eq!(header.len(), columns);
    let col = |name: &str| header.iter().position(|h| h.trim() == name).unwrap();
    let body = &raw[1..];
    assert_eq!(body.len() as u64, rows);
    let pcn_columns: Vec<&str> = header
        .iter()
        .map(|h| h.trim())
        .filter(|h| h.starts_with("PCN ") && !matches!(*h, "PCN Code" | "PCN Name"))
        .collect();
    assert_eq!(pcn_columns, expected_pcn_columns);

    // Every PCN column's national total, from the raw file and from pcn.
    let mut from_pcn: BTreeMap<&str, i64> = BTreeMap::new();
    for f in &parsed.facts.payment_actuals {
        *from_pcn.entry(f.stream.as_str()).or_default() += f.amount;
    }
    let mut sorted = pcn_columns.clone();
    sorted.sort_unstable();
    assert_eq!(
        from_pcn.keys().copied().collect::<Vec<_>>(),
        sorted,
        "{from_pcn:?}"
    );
    for name in pcn_columns {
        let i = col(name);
        let raw_total: i64 = body.iter().map(|r| pence(&r[i])).sum();
        assert_eq!(from_pcn.get(name), Some(&raw_total), "{year} {name}");
        eprintln!("{year} {name}: £{}", Decimal::new(raw_total, 2));
    }

    // Rows whose PCN code is not a network code are kept and counted.
    let pcn = col("PCN Code");
    let no_network = body
        .iter()
        .filter(|r| pcn_core::PcnCode::parse(&r[pcn]).is_err())
        .count();
    assert!(no_network > 0);
    assert!(
        parsed.notes.iter().any(|n| n.starts_with(&format!(
            "{no_network} practices have no network in the PCN Code column"
        ))),
        "{no_network}: {:?}",
        parsed.notes
    );
    let kept_without = parsed
        .facts
        .payment_actuals
        .iter()
        .filter(|f| f.pcn.is_none())
        .count();
    assert!(kept_without > 0);

    // Registered and weighted figures: one per practice with patients,
    // dated 15 August, adding up to the raw totals.
    let date = d(year[..4].parse().unwrap(), 8, 15);
    let reg = col("Number of Registered Patients (Last Known Figure)");
    let raw_registered: Decimal = body
        .iter()
        .map(|r| r[reg].parse::<Decimal>().unwrap())
        .sum();
    let ours: u64 = parsed.facts.list_sizes.iter().map(|l| l.total).sum();
    let gap = (Decimal::from(ours) - raw_registered).abs();
    assert!(
        gap <= Decimal::from(parsed.facts.list_sizes.len() as u64) / Decimal::TWO,
        "rounding each practice moves the total by at most half a patient each: {ours} vs {raw_registered}"
    );
    assert!(parsed.facts.list_sizes.iter().all(|l| l.as_at == date));
    let w = col("Number of Weighted Patients (Last Known Figure)");
    let raw_weighted: Decimal = body.iter().map(|r| r[w].parse::<Decimal>().unwrap()).sum();
    let our_weighted: Decimal = parsed
        .facts
        .populations
        .iter()
        .filter(|p| p.kind == PopulationKind::Weighted && p.as_at == date)
        .map(|p| p.value)
        .sum();
    assert_eq!(our_weighted, raw_weighted);
}

#[test]
fn payments_2019_20() {
    check_year("2019-20", 7_001, 54, &["PCN Participation"]);
}

/// The PCN payment columns of 2020-21 and 2021-22, as the files have them.
const PCN_COLUMNS_2020_TO_2022: &[&str] = &[
    "PCN Participation",
    "PCN Leadership",
    "PCN Support",
    "PCN Extended Hours Access",
    "PCN Workforce",
    "PCN Investment and impact Fund",
    "PCN Care Home Premium",
];

#[test]
fn payments_2020_21() {
    check_year("2020-21", 6_808, 68, PCN_COLUMNS_2020_TO_2022);
}

#[test]
fn payments_2021_22() {
    check_year("2021-22", 6_758, 74, PCN_COLUMNS_2020_TO_2022);
}

#[test]
fn adjusted_populations() {
    let Some(dir) = data_dir() else { return };
    let p = read(&dir.join("nhse-pcn-adjusted-populations-2025-01/pcn_data.csv"));
    assert_eq!(p.kind, SourceKind::PcnAdjustedPopulations);
    // SOURCE.md: 6,168 member practices in 1,284 networks; totals 63,724,163 raw and 63,724,141 adjusted.
    let networks: Vec<&pcn_core::PopulationFact> = p
        .facts
        .populations
        .iter()
        .filter(|f| matches!(f.subject, PopulationSubject::Network(_)))
        .collect();
    assert_eq!(networks.len(), 1_284);
    let raw: u64 = p.facts.list_sizes.iter().map(|l| l.total).sum();
    assert_eq!(raw, 63_724_163);
    let adjusted: Decimal = p
        .facts
        .populations
        .iter()
        .filter(|f| matches!(f.subject, PopulationSubject::Practice(_)))
        .map(|f| f.value)
        .sum();
    assert_eq!(adjusted, Decimal::from(63_724_141u64));
    assert!(p.facts.list_sizes.iter().all(|l| l.as_at == d(2025, 1, 1)));

    let p = read(&dir.join("nhse-pcn-adjusted-populations-2024-01/pcn_data.csv"));
    let at = |date: NaiveDate| -> u64 {
        p.facts
            .list_sizes
            .iter()
            .filter(|l| l.as_at == date)
            .map(|l| l.total)
            .sum()
    };
    assert_eq!(at(d(2024, 1, 1)), 63_161_806);
    assert_eq!(at(d(2025, 1, 1)), 63_722_221);
    let weighted: Decimal = p
        .facts
        .populations
        .iter()
        .filter(|f| f.kind == PopulationKind::Weighted)
        .map(|f| f.value)
        .sum();
    assert_eq!(weighted, Decimal::from(61_181_285u64));
}
