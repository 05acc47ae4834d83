#![allow(dead_code)]

pub mod raw;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use pcn_core::SourceKind;
use pcn_import::{parse_bytes, read_path, ImportError, ImportOptions, ParsedFile};

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

/// The fixture `rel`, once it is checked to be read as `kind` with the
/// data date `as_at`.
pub fn parse_fixture_as(rel: &str, kind: SourceKind, as_at: NaiveDate) -> ParsedFile {
    read_as(parse_fixture(rel), kind, as_at)
}

/// `p`, once it is checked to be read as `kind` with the data date `as_at`.
pub fn read_as(p: ParsedFile, kind: SourceKind, as_at: NaiveDate) -> ParsedFile {
    assert_eq!(p.kind, kind);
    assert_eq!(p.data_date, as_at);
    p
}

pub fn parse_fixture_with(rel: &str, o: &ImportOptions) -> ParsedFile {
    let name = format!("fixtures/{rel}");
    parse_bytes(&name, &fixture(rel), o, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// The fixture `rel` read as a file named `name`.
pub fn parse_fixture_named(name: &str, rel: &str) -> Result<ParsedFile, ImportError> {
    parse_bytes(name, &fixture(rel), &opts(), &mut |_| {})
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

/// The national files in ../shared/data beside the checkout, or where
/// `PCN_SHARED_DATA` (or `PCN_DATA`) says, or in a `shared/data` above the
/// crate. Missing is a skip locally and a failure under CI.
pub fn data_dir() -> Option<PathBuf> {
    const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
    let named = ["PCN_SHARED_DATA", "PCN_DATA"]
        .into_iter()
        .find_map(std::env::var_os)
        .map(PathBuf::from);
    let found = named.or_else(|| {
        std::iter::once(PathBuf::from(DATA))
            .chain(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .ancestors()
                    .map(|a| a.join("shared/data")),
            )
            .find(|d| d.is_dir())
    });
    if let Some(dir) = found.filter(|d| d.is_dir()) {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("real data directory {DATA} is missing (CI is set)");
    }
    eprintln!("skipping: real data directory {DATA} is missing");
    None
}

/// A real file read with [`opts`], and how long it took (said on stderr
/// with what was read).
pub fn read_timed(path: &Path) -> (ParsedFile, Duration) {
    let start = Instant::now();
    let parsed = read_path(path, &opts(), &mut |_| {})
        .unwrap_or_else(|e| panic!("{} failed:\n{e}", path.display()));
    let took = start.elapsed();
    eprintln!(
        "{}: {} in {took:?}: {} rows, {} skipped, {} facts; notes: {:?}",
        path.display(),
        parsed.kind.name(),
        parsed.rows,
        parsed.skipped_rows,
        parsed.facts.len(),
        parsed.notes
    );
    (parsed, took)
}

/// Asserts that the problem on each row says what is paired with it.
pub fn assert_problems(e: &ImportError, says: &[(u64, &str)]) {
    for (row, text) in says {
        assert!(
            problem_on(e, *row).contains(text),
            "row {row} should say {text:?}: {e}"
        );
    }
}

/// Asserts that `text` says each of `parts`.
pub fn assert_says(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "should say {part:?}: {text}");
    }
}

/// Asserts that one of the notes of `p` passes `test`.
pub fn assert_note(p: &ParsedFile, test: impl Fn(&str) -> bool) {
    assert!(p.notes.iter().any(|n| test(n)), "{:?}", p.notes);
}
