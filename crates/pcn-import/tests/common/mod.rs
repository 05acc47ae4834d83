#![allow(dead_code)]

use chrono::NaiveDate;
use pcn_import::{parse_bytes, ImportError, ImportOptions, ParsedFile};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub fn opts() -> ImportOptions {
    ImportOptions {
        as_at: None,
        today: d(2026, 8, 1),
        limits: pcn_import::Limits::default(),
    }
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap()
}

pub fn parse_fixture(rel: &str) -> ParsedFile {
    parse_fixture_with(rel, &opts())
}

pub fn parse_fixture_with(rel: &str, o: &ImportOptions) -> ParsedFile {
    let name = format!("fixtures/{rel}");
    parse_bytes(&name, &fixture(rel), o, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

pub fn parse_text(name: &str, text: &str) -> Result<ParsedFile, ImportError> {
    parse_bytes(name, text.as_bytes(), &opts(), &mut |_| {})
}

/// The error of a file that should be refused.
pub fn err(name: &str, text: &str) -> ImportError {
    parse_text(name, text).expect_err("should be refused")
}

/// The problem on `row`, with its display line.
pub fn problem_on(e: &ImportError, row: u64) -> String {
    let p = e
        .problems
        .iter()
        .find(|p| p.row == Some(row))
        .unwrap_or_else(|| panic!("no problem on row {row}: {e}"));
    format!("{}: {p}", e.file)
}
