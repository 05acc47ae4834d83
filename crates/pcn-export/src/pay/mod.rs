//! A payment run ([`pcn_core::funding::PayRun`]) as files.

mod csv;
mod explain;
mod xlsx;

pub use csv::{run_csv, run_distribution_csv, run_schedule_csv};
pub use explain::explain_line;
pub use xlsx::{run_xlsx, FIRST_DATA_ROW, HEADER_ROW};

use pcn_core::funding::PayRun;

use crate::Result;

/// The whole run as pretty JSON (money in integer pence).
pub fn run_json(run: &PayRun) -> Result<String> {
    let mut text = serde_json::to_string_pretty(run)?;
    text.push('\n');
    Ok(text)
}
