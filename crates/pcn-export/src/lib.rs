//! Files for finance systems and spreadsheets, shared by the command line and
//! the web app: a payment run as CSV, JSON or an XLSX workbook and one line
//! explained in words; an ARRS claim schedule; a commissioner's networks; a
//! year's reconciliation of statements with what was paid; a network plan
//! and what it changes in money; appointments against the 2019 pledge;
//! services (a network's weeks, a commissioner's compliance, requirements);
//! and as plain text for people, a payment run, a reconciliation and the
//! DES checks' findings.
//!
//! Rules every export keeps:
//! - money is exact: CSV carries integer pence and exact pounds formatted
//!   from the pence, never through a float; workbook cells are numbers of
//!   pounds (see [`xlsx::pounds`] for why that conversion is exact enough);
//! - a line that could not be computed says so with its reason and is never
//!   written as a silent zero;
//! - every line resting on an estimate is marked;
//! - a CSV cell that a spreadsheet would read as a formula is escaped
//!   ([`csv::safe_cell`]);
//! - rendering is pure: each function returns text or bytes; the caller
//!   decides where they go.

pub mod appointments;
pub mod arrs;
pub mod checks;
pub mod csv;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod networks;
pub mod pay;
pub mod plan;
pub mod reconcile;
pub mod services;
pub mod table;
pub mod text;
pub mod words;
pub mod xlsx;

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("writing the CSV")]
    Csv(#[from] ::csv::Error),
    #[error("writing the workbook")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("writing the JSON")]
    Json(#[from] serde_json::Error),
    #[error("{pcn} is not in the payment run for {year}{others}")]
    NotInRun {
        pcn: pcn_core::PcnCode,
        year: pcn_core::rulebook::FinancialYear,
        others: String,
    },
    #[error("{pcn} has no line {wanted:?} in {year}; valid ids: {valid}")]
    NoSuchLine {
        pcn: pcn_core::PcnCode,
        year: pcn_core::rulebook::FinancialYear,
        wanted: String,
        valid: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
