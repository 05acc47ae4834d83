//! `pcn import FILE…`: read each file, then write it in one transaction.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use pcn_app::imports::{is_large, FileOutcome};
use pcn_import::ImportOptions;

use crate::cli::{Ctx, ImportArgs};

/// A spinner counting rows for a large file (hidden for small ones and when
/// standard error is not a terminal).
fn progress_bar(path: &std::path::Path) -> ProgressBar {
    if !is_large(path) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {human_pos} rows ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(format!("reading {}", path.display()));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub async fn run(ctx: &Ctx, args: ImportArgs) -> Result<ExitCode> {
    let app = ctx.app().await?;
    let options = ImportOptions {
        as_at: args.as_at,
        today: ctx.today,
        limits: pcn_import::Limits::default(),
    };
    let (mut failed, mut written) = (0, 0);
    for path in &args.files {
        let bar = progress_bar(path);
        let outcome = app
            .import_file(path, &options, &ctx.actor, &mut |rows| {
                bar.set_position(rows)
            })
            .await;
        bar.finish_and_clear();
        match outcome? {
            FileOutcome::Written { parsed, id } => {
                written += 1;
                println!(
                    "{}: imported (import {id}) {}",
                    path.display(),
                    parsed.describe()
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
                    parsed.describe()
                );
            }
            FileOutcome::Refused(error) => {
                failed += 1;
                eprintln!("{error}");
                eprintln!("{}: not imported; nothing was written.", path.display());
            }
        }
    }
    if written > 0 {
        // Rebuild the registry cache now, so the next `pcn check` is fast.
        app.refresh_cache().await?;
    }
    app.close().await;
    if failed > 0 && written == 0 {
        // An error, so a database this command created is removed again.
        anyhow::bail!(
            "{failed} of {} files failed; nothing was written",
            args.files.len()
        )
    } else if failed > 0 {
        eprintln!("{failed} of {} files failed", args.files.len());
        Ok(ExitCode::from(2))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
