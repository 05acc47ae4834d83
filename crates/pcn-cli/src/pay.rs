//! `pcn pay`: the Network Contract DES payments of a financial year, per
//! network. How the inputs are chosen is `pcn_core::payrun`'s module doc;
//! this module only reads the flags, calls the use case and renders.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use pcn_core::funding::{Distribution, MissingInputs};
use pcn_core::payrun::{Agreement, RunOptions, Selection};
use pcn_core::rulebook::FinancialYear;
use pcn_core::Decimal;
use pcn_export::pay as export;

use crate::cli::{parse_opt, Ctx};
use crate::output::{emit, write_xlsx, Out};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvPart {
    /// One row per network and line.
    Lines,
    /// One row per instalment.
    Schedule,
    /// One row per practice share.
    Distribution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DistributeBy {
    RegisteredList,
    WeightedList,
    Equal,
}

/// Which networks: one, a commissioner's, or every one.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Only this network.
    #[arg(long, conflicts_with = "commissioner")]
    pub pcn: Option<String>,
    /// Only the networks of this commissioner (a sub-ICB code such as 16C, or an ICB code such as QHM).
    #[arg(long)]
    pub commissioner: Option<String>,
}

impl SelectionArgs {
    pub fn parse(&self) -> Result<Selection> {
        Ok(Selection {
            pcn: parse_opt(&self.pcn, "--pcn")?,
            commissioner: parse_opt(&self.commissioner, "--commissioner")?,
        })
    }
}

#[derive(Debug, Args)]
pub struct PayArgs {
    /// The financial year, e.g. 2025-26.
    #[arg(long)]
    pub year: String,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[arg(long, value_enum, default_value_t = Out::Table)]
    pub format: Out,
    /// With --format csv: which table.
    #[arg(long, value_enum, default_value_t = CsvPart::Lines)]
    pub csv: CsvPart,
    /// Write to this file (required for xlsx).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Refuse when an input is missing instead of estimating it.
    #[arg(long)]
    pub strict: bool,
    /// Explain one line of one network (needs --pcn): a rule id such as
    /// 2025-26/core-pcn-funding/registered, or a stream id such as enhanced-access.
    #[arg(long, requires = "pcn")]
    pub explain: Option<String>,
    /// The date membership is taken as at (default: the first day of the year).
    #[arg(long, value_parser = crate::cli::parse_date)]
    pub membership_as_at: Option<NaiveDate>,
    /// Divide each network's scheduled payments among its members this way,
    /// instead of the agreements recorded with `pcn network distribution`.
    #[arg(long, value_enum)]
    pub distribute: Option<DistributeBy>,
    /// With --distribute: the percentage kept back for network costs first (e.g. 5 or 2.5).
    #[arg(long, default_value = "0")]
    pub top_slice_percent: Decimal,
}

pub async fn run(ctx: &Ctx, args: PayArgs) -> Result<ExitCode> {
    let year: FinancialYear = args.year.parse().context("--year")?;
    if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&args.top_slice_percent) {
        bail!("--top-slice-percent must be between 0 and 100");
    }
    let selection = args.selection.parse()?;
    let options = RunOptions {
        missing: if args.strict {
            MissingInputs::Refuse
        } else {
            MissingInputs::Estimate
        },
        membership_as_at: args.membership_as_at,
        distribution: args.distribute.map(|d| Agreement {
            method: match d {
                DistributeBy::RegisteredList => Distribution::ByRegisteredList,
                DistributeBy::WeightedList => Distribution::ByWeightedList,
                DistributeBy::Equal => Distribution::Equal,
            },
            top_slice_percent: args.top_slice_percent,
        }),
        ..RunOptions::default()
    };
    let run = ctx
        .with_app(async |app| app.pay_run(year, &selection, options).await)
        .await?;
    if run.networks.is_empty() {
        bail!(
            "no networks match{} with members on {}",
            selection
                .commissioner
                .as_ref()
                .map(|c| format!(" commissioner {c}"))
                .unwrap_or_default(),
            run.membership_as_at
        );
    }
    let out = args.out.as_deref();
    if let (Some(what), Some(pcn)) = (&args.explain, &selection.pcn) {
        emit(&export::explain_line(&run, pcn, what)?, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    match args.format {
        Out::Table => emit(&pcn_export::text::pay::run_table(&run), out)?,
        Out::Json => emit(&export::run_json(&run)?, out)?,
        Out::Csv => {
            let text = match args.csv {
                CsvPart::Lines => export::run_csv(&run)?,
                CsvPart::Schedule => export::run_schedule_csv(&run)?,
                CsvPart::Distribution => {
                    if run.networks.iter().all(|n| n.distribution.is_none()) {
                        bail!(
                            "no distribution to write: no network here has a distribution \
                             agreement recorded for {} that divides its money (`pcn network \
                             distribution` records one), and no --distribute method was given \
                             (registered-list, weighted-list or equal)",
                            run.financial_year
                        );
                    }
                    export::run_distribution_csv(&run)?
                }
            };
            emit(&text, out)?
        }
        Out::Xlsx => write_xlsx(
            out,
            &export::run_xlsx(&run)?,
            &format!("{} networks", run.networks.len()),
        )?,
    }
    Ok(ExitCode::SUCCESS)
}
