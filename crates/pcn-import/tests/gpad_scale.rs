//! The GPAD practice-level crosstab at national scale: a month is about 1.5
//! million rows. `synthetic_crosstab` writes such a file in the official
//! layout; it must import whole (every row, every appointment) or not at
//! all, naming file, row and column of each bad row.
//!
//! The timing target (under 10 s on a 2-core machine) is checked by the
//! ignored test, run in release:
//! `cargo test -p pcn-import --release --test gpad_scale -- --ignored --nocapture`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use pcn_core::appointments::Appointments;
use pcn_core::gpad_facts::EditionBasis;
use pcn_core::registry::Registry;
use pcn_core::{FactBatch, SourceKind};
use pcn_import::gpad_appointments::{synthetic_crosstab, SyntheticCrosstab};
use pcn_import::{parse_bytes, read_path, ImportError};

const NAME: &str = "Practice_Level_Crosstab_Aug_25.csv";

fn synthetic(rows: u64) -> (Vec<u8>, SyntheticCrosstab) {
    let mut bytes = Vec::new();
    let summary = synthetic_crosstab(&mut bytes, rows, 2025).unwrap();
    (bytes, summary)
}

/// Replaces field `field` (0-based) of line `line` (1-based, the header is 1).
fn corrupt(bytes: &mut Vec<u8>, line: usize, field: usize, value: &str) {
    let mut start = 0;
    for _ in 1..line {
        start += bytes[start..].iter().position(|b| *b == b'\n').unwrap() + 1;
    }
    let end = start + bytes[start..].iter().position(|b| *b == b'\r').unwrap();
    let text = String::from_utf8(bytes[start..end].to_vec()).unwrap();
    let mut fields: Vec<&str> = text.split(',').collect();
    fields[field] = value;
    let replaced = fields.join(",");
    bytes.splice(start..end, replaced.into_bytes());
}

fn check_refused(err: &ImportError, file: &str) {
    assert_eq!(err.file, file);
    assert_eq!(err.total_problems, 2, "{err}");
    let p = &err.problems[0];
    assert_eq!(p.row, Some(12_345));
    assert_eq!(p.column.as_deref(), Some("COUNT_OF_APPOINTMENTS"));
    assert_eq!(p.value.as_deref(), Some("12x"));
    let p = &err.problems[1];
    assert_eq!(p.row, Some(15_001));
    assert_eq!(p.column.as_deref(), Some("APPT_STATUS"));
    assert_eq!(p.value.as_deref(), Some("Maybe"));
    let shown = err.to_string();
    assert!(shown.contains(&format!(
        "{file}: row 12345, column COUNT_OF_APPOINTMENTS, value \"12x\""
    )));
}

#[test]
fn a_synthetic_month_imports_whole_and_exactly() {
    let (bytes, s) = synthetic(20_000);
    let p = parse_bytes(NAME, &bytes, &opts(), &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.kind, SourceKind::GpadPracticeAppointments);
    assert_eq!(p.rows, 20_000);
    let t = &p.facts.appointments[0];
    assert_eq!(t.rows.len(), 20_000);
    assert_eq!(t.total(), s.appointments);
    assert_eq!(t.areas.len(), s.practices as usize);
    assert_eq!(t.edition.basis, EditionBasis::Path);
    assert_eq!(p.facts.observations.len(), s.practices as usize);
    assert_eq!(p.data_date, d(2025, 8, 1));
}

#[test]
fn a_bad_row_anywhere_refuses_the_whole_file() {
    let (mut bytes, _) = synthetic(20_000);
    corrupt(&mut bytes, 12_345, 12, "12x");
    corrupt(&mut bytes, 15_001, 13, "Maybe");
    let err = parse_bytes(NAME, &bytes, &opts(), &mut |_| {}).unwrap_err();
    check_refused(&err, NAME);
}

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// CPU time of this process so far (user and system; Linux, 100 ticks a
/// second), which a busy shared machine does not inflate as it does wall time.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

#[test]
#[ignore = "national scale; run in release with --ignored"]
fn a_national_month_imports_in_under_ten_seconds() {
    let rows = 1_500_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(NAME);
    // Written straight to disk, so the peak memory measured is the import's.
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let s = synthetic_crosstab(&mut out, rows, 2025).unwrap();
    drop(out);
    let size_mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
    let before = peak_rss_mib();

    let start = Instant::now();
    let cpu_start = cpu_time();
    let p = read_path(&path, &opts(), &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    let took = start.elapsed();
    let cpu = cpu_time().zip(cpu_start).map(|(b, a)| b.saturating_sub(a));
    let t = &p.facts.appointments[0];
    assert_eq!(p.rows, rows);
    assert_eq!(t.rows.len() as u64, rows);
    assert_eq!(t.total(), s.appointments);
    eprintln!(
        "{rows} rows ({size_mb:.0} MB, {} practices, {} appointments): read + facts in {took:?} \
         ({:.0} rows/s, CPU {cpu:?}); peak RSS {:?} MiB before reading, {:?} MiB after",
        s.practices,
        s.appointments,
        rows as f64 / took.as_secs_f64(),
        before,
        peak_rss_mib()
    );

    // The core over the same month: counts per practice, then every
    // practice counted for its network through the registry.
    let start = Instant::now();
    let a = Appointments::new(&p.facts.appointments, &[]);
    let indexed = start.elapsed();
    let registry = Registry::new(FactBatch {
        observations: p.facts.observations.clone(),
        ..FactBatch::default()
    });
    let start = Instant::now();
    let networks = a.by_network(&registry);
    let attributed = start.elapsed();
    let counted: u64 = networks
        .networks
        .values()
        .flat_map(|s| s.values())
        .map(|f| f.counts.total)
        .sum();
    assert_eq!(counted, s.appointments);
    assert!(networks.not_counted.is_empty());
    eprintln!(
        "core: {} practices indexed in {indexed:?}; {} networks attributed in {attributed:?}",
        a.practices().count(),
        networks.networks.len()
    );
    drop((p, a, registry, networks));
    let mut bytes = std::fs::read(&path).unwrap();
    corrupt(&mut bytes, 12_345, 12, "12x");
    corrupt(&mut bytes, 15_001, 13, "Maybe");
    std::fs::write(&path, &bytes).unwrap();
    drop(bytes);
    let start = Instant::now();
    let err = read_path(&path, &opts(), &mut |_| {}).unwrap_err();
    let refused = start.elapsed();
    check_refused(&err, &path.display().to_string());
    eprintln!("the same file with two bad rows: refused in {refused:?}:\n{err}");

    if !cfg!(debug_assertions) {
        assert!(took < Duration::from_secs(10), "took {took:?}");
        assert!(refused < Duration::from_secs(10), "took {refused:?}");
    }
}
