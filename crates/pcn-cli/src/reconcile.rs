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
use pcn_core::payrun::Selection;
use pcn_core::rulebook::FinancialYear;
use pcn_core::{CommissionerCode, PcnCode};
use pcn_export::reconcile as export;

use crate::cli::Ctx;
use crate::output::emit;
use crate::pay::PayFormat;

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
    /// Only this network.
    #[arg(long, conflicts_with = "commissioner")]
    pub pcn: Option<String>,
    /// Only the networks of this commissioner (a sub-ICB code such as 16C, or an ICB code such as QHM).
    #[arg(long)]
    pub commissioner: Option<String>,
    #[arg(long, value_enum, default_value_t = PayFormat::Table)]
    pub format: PayFormat,
    /// Write to this file (required for xlsx).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What the statements are compared with.
    #[arg(long, value_enum, default_value_t = AgainstArg::Payments)]
    pub against: AgainstArg,
}

pub async fn run(ctx: &Ctx, args: ReconcileArgs) -> Result<ExitCode> {
    let year: FinancialYear = args.year.parse().context("--year")?;
    let selection = Selection {
        pcn: args
            .pcn
            .as_deref()
            .map(PcnCode::parse)
            .transpose()
            .context("--pcn")?,
        commissioner: args
            .commissioner
            .as_deref()
            .map(CommissionerCode::parse)
            .transpose()
            .context("--commissioner")?,
    };
    let against = match args.against {
        AgainstArg::Payments => Against::Payments,
        AgainstArg::Remittances => Against::Remittances,
    };
    let app = ctx.app().await?;
    let reconciliation = app.reconcile(year, &selection, against).await;
    app.close().await;
    let r = reconciliation?;
    let out = args.out.as_deref();
    match args.format {
        PayFormat::Table => emit(&crate::render::reconcile::reconciliation_table(&r), out)?,
        PayFormat::Json => emit(&export::reconciliation_json(&r)?, out)?,
        PayFormat::Csv => emit(&export::reconciliation_csv(&r)?, out)?,
        PayFormat::Xlsx => {
            let out = out.context("--format xlsx needs --out FILE.xlsx")?;
            let bytes = export::reconciliation_xlsx(&r)?;
            std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {} ({} networks)", out.display(), r.networks.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
