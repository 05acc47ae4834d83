//! `pcn import FILE…`: read each file, then write it in one transaction.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use pcn_core::rulebook::Rulebook;
use pcn_import::{ImportOptions, ParsedFile};
use pcn_store::{ImportOutcome, NewImport, Store};

use crate::cli::ImportArgs;

/// What happened to one file.
pub enum FileOutcome {
    Written {
        parsed: ParsedFile,
        id: i64,
    },
    AlreadyImported {
        parsed: ParsedFile,
        record: pcn_store::ImportRecord,
    },
    Failed(String),
}

/// Files over this size get a progress bar (when standard error is a terminal).
const PROGRESS_BYTES: u64 = 1 << 20;

/// Reads and writes one file. Errors in the file come back as `Failed` with
/// the reader's message (file, row, column, value); the database is untouched.
pub async fn import_one(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    rulebook: &Rulebook,
    actor: &str,
    show_progress: bool,
) -> Result<FileOutcome> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = if show_progress && size >= PROGRESS_BYTES {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {human_pos} rows ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(format!("reading {}", path.display()));
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    };
    let parsed = pcn_import::read_path(path, options, &mut |rows| bar.set_position(rows));
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            bar.finish_and_clear();
            return Ok(FileOutcome::Failed(err.to_string()));
        }
    };
    bar.set_message(format!("writing {}", path.display()));
    let import = NewImport {
        sha256: &parsed.sha256,
        file_name: &path.display().to_string(),
        kind: parsed.kind,
        data_date: parsed.data_date,
        rows_read: parsed.rows,
        imported_at: Utc::now(),
        imported_by: actor,
    };
    let outcome = store.write_import(&import, &parsed.facts, rulebook).await;
    bar.finish_and_clear();
    Ok(match outcome? {
        ImportOutcome::Written(id) => FileOutcome::Written { parsed, id },
        ImportOutcome::AlreadyImported(record) => FileOutcome::AlreadyImported { parsed, record },
    })
}

pub(crate) fn describe(parsed: &ParsedFile) -> String {
    let f = &parsed.facts;
    let mut parts = Vec::new();
    for (n, what) in [
        (f.practices.len(), "practice facts"),
        (f.networks.len(), "network facts"),
        (f.intervals.len(), "memberships"),
        (f.observations.len(), "membership observations"),
        (f.list_sizes.len(), "list sizes"),
        (f.governance.len(), "governance facts"),
        (f.populations.len(), "populations"),
        (f.care_homes.len(), "care homes"),
        (f.care_home_alignments.len(), "care-home alignments"),
        (f.iif_achievements.len(), "IIF measures"),
        (f.iif_points.len(), "IIF points"),
        (f.payment_actuals.len(), "payments"),
        (
            f.workforce.len(),
            "workforce records (seeding ARRS rosters)",
        ),
    ] {
        if n > 0 {
            parts.push(format!("{} {what}", pcn_core::checks::thousands(n as u64)));
        }
    }
    format!(
        "{} as at {}: {} rows read{}; {}",
        parsed.kind.name(),
        parsed.data_date,
        pcn_core::checks::thousands(parsed.rows),
        if parsed.skipped_rows > 0 {
            format!(
                " ({} skipped)",
                pcn_core::checks::thousands(parsed.skipped_rows)
            )
        } else {
            String::new()
        },
        if parts.is_empty() {
            "no facts".to_string()
        } else {
            parts.join(", ")
        }
    )
}

pub async fn run(database: &str, actor: &str, args: ImportArgs) -> Result<ExitCode> {
    let rulebook = crate::pay::load_rulebook(args.rules.as_deref())?;
    let store = Store::open(database).await?;
    let options = ImportOptions {
        as_at: args.as_at,
        today: crate::cli::today(),
    };
    let (mut failed, mut written) = (0, 0);
    for path in &args.files {
        match import_one(&store, path, &options, &rulebook, actor, true).await? {
            FileOutcome::Written { parsed, id } => {
                written += 1;
                println!(
                    "{}: imported (import {id}) {}",
                    path.display(),
                    describe(&parsed)
                );
                for note in &parsed.notes {
                    println!("  note: {note}");
                }
            }
            FileOutcome::AlreadyImported { parsed, record } => {
                println!(
                    "{}: already imported as import {} on {} by {} (same content); nothing changed. {}",
                    path.display(),
                    record.id,
                    record.imported_at,
                    record.imported_by,
                    describe(&parsed)
                );
            }
            FileOutcome::Failed(message) => {
                failed += 1;
                eprintln!("{message}");
                eprintln!("{}: not imported; nothing was written.", path.display());
            }
        }
    }
    if written > 0 {
        // Rebuild the registry cache now, so the next `pcn check` is fast.
        store.load_facts().await?;
    }
    store.close().await;
    if failed > 0 {
        eprintln!("{failed} of {} files failed", args.files.len());
        Ok(ExitCode::from(2))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
