//! Writing what a command made: to standard output or a file, and the
//! terminal tables every command shares.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// The formats of a command that can also write a workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Out {
    Table,
    Csv,
    Json,
    Xlsx,
}

/// Writes `text` to `out`, or to standard output.
pub fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`pcn check | head`) is not an error worth reporting.
            match stdout.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("writing to standard output"),
            }
        }
    }
}

/// A value as pretty JSON, ending with a newline.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

/// Writes a workbook (or any bytes) to `out`, which `--format xlsx` needs,
/// and says so on standard error with `what` it holds.
pub fn write_xlsx(out: Option<&Path>, bytes: &[u8], what: &str) -> Result<()> {
    let out = out.context("--format xlsx needs --out FILE.xlsx")?;
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    if !what.is_empty() {
        eprintln!("wrote {} ({what})", out.display());
    }
    Ok(())
}

pub use pcn_export::text::{figures_table, key_value_table, right, table};
