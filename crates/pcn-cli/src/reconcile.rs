//! `pcn reconcile`: a year's statements against what was paid, per network
//! and stream, with the cause of every difference, then the national and
//! per-commissioner summaries. How it is worked out is
//! `pcn_core::reconcile`'s module doc; this module reads the flags, calls the
//! use case and renders.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use pcn_app::reconcile::Against;
use pcn_core::rulebook::FinancialYear;
use pcn_export::reconcile as export;

use crate::cli::Ctx;
use crate::output::{emit, write_xlsx, Out};
use crate::pay::SelectionArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgainstArg {
    /// NHS Payments to General Practice (practice level), as imported.
    Payments,
    /// The networks' remittance CSVs, as imported.
    Remittances,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The financial year, e.g. 2021-22.
    #[arg(long)]
    pub year: String,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[arg(long, value_enum, default_value_t = Out::Table)]
    pub format: Out,
    /// Write to this file (required for xlsx).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What the statements are compared with.
    #[arg(long, value_enum, default_value_t = AgainstArg::Payments)]
    pub against: AgainstArg,
}

pub async fn run(ctx: &Ctx, args: ReconcileArgs) -> Result<ExitCode> {
    let year: FinancialYear = args.year.parse().context("--year")?;
    let selection = args.selection.parse()?;
    let against = match args.against {
        AgainstArg::Payments => Against::Payments,
        AgainstArg::Remittances => Against::Remittances,
    };
    let r = ctx
        .with_app(async |app| app.reconcile(year, &selection, against).await)
        .await?;
    let out = args.out.as_deref();
    match args.format {
        Out::Table => emit(&pcn_export::text::reconcile::reconciliation_table(&r), out)?,
        Out::Json => emit(&export::reconciliation_json(&r)?, out)?,
        Out::Csv => emit(&export::reconciliation_csv(&r)?, out)?,
        Out::Xlsx => write_xlsx(
            out,
            &export::reconciliation_xlsx(&r)?,
            &format!("{} networks", r.networks.len()),
        )?,
    }
    Ok(ExitCode::SUCCESS)
}
