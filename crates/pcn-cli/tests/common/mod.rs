//! Helpers shared by the CLI tests: run the real `pcn` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn pcn(database: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pcn"))
        .arg("--database")
        .arg(database)
        .arg("--by")
        .arg("test-user")
        .args(args)
        .env_remove("PCN_DATABASE")
        .output()
        .expect("running pcn")
}

/// The arguments of a command line: words split at white space, a word with
/// spaces in it written in single quotes (`--name 'A Pharmacist'`).
pub fn words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let (word, tail) = match rest.strip_prefix('\'') {
            Some(quoted) => {
                let end = quoted.find('\'').expect("a closing quote");
                (&quoted[..end], &quoted[end + 1..])
            }
            None => {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        out.push(word);
        rest = tail.trim_start();
    }
    out
}

/// Runs `pcn` and asserts it succeeded: what it wrote to stdout.
pub fn ok(database: &str, args: &[&str]) -> String {
    let out = pcn(database, args);
    assert_eq!(code(&out), 0, "pcn {args:?}: {}", stderr(&out));
    stdout(&out)
}

/// Runs `pcn` and asserts it succeeded: its stdout read as JSON.
pub fn json(database: &str, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(database, args)).unwrap()
}

/// Runs `pcn` and asserts it refused the request (exit code 2): what it
/// wrote to stderr.
pub fn refused(database: &str, args: &[&str]) -> String {
    let out = pcn(database, args);
    assert_eq!(
        code(&out),
        2,
        "pcn {args:?} should be refused: {}",
        stdout(&out)
    );
    stderr(&out)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// ../shared/data beside the checkout. Missing is a skip locally and a failure under CI.
pub fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {} is missing",
        dir.display()
    );
    eprintln!("skipping: {} is missing", dir.display());
    None
}

pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// The demo database, built by `pcn demo --no-serve` in a temporary folder.
pub fn demo() -> (tempfile::TempDir, String) {
    demo_with(&[])
}

/// `pcn demo --no-serve` with more flags, into a temporary folder: the
/// folder, the database and what the command did.
pub fn run_demo(flags: &[&str]) -> (tempfile::TempDir, String, Output) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite").display().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pcn"))
        .args([
            "--by",
            "test-user",
            "demo",
            "--no-serve",
            "--demo-database",
            &db,
        ])
        .args(flags)
        .env_remove("PCN_USER")
        .output()
        .unwrap();
    (dir, db, out)
}

/// The demo database built with more `pcn demo` flags.
pub fn demo_with(flags: &[&str]) -> (tempfile::TempDir, String) {
    let (dir, db, out) = run_demo(flags);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Registered patients"), "{text}");
    assert!(text.contains("NET-SIZE-MIN"), "{text}");
    assert!(text.contains("PRAC-UNALLOCATED"), "{text}");
    (dir, db)
}

/// A fresh database in a temporary folder with `files` imported by `pcn
/// import`: the folder and the database.
pub fn imported(files: &[String]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("national.sqlite").display().to_string();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    let out = pcn(&db, &args);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    (dir, db)
}

/// The files of `data` at the paths `names`.
pub fn data_files(data: &Path, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|f| data.join(f).display().to_string())
        .collect()
}

/// The six national files the README imports, in ../shared/data.
pub fn national_files(data: &Path) -> Vec<String> {
    pcn_import::NATIONAL_FILES
        .iter()
        .map(|f| data.join(f).display().to_string())
        .collect()
}
