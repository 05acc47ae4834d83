//! `pcn plan`: proposed networks for a commissioner or all of England, and
//! with `--money` what the proposal changes in each affected network's
//! income. How the planner works is `pcn_core::plan`'s module doc; how the
//! area is chosen and priced is `pcn_app::plan`'s. This module reads the
//! flags, calls the use case and renders.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use pcn_app::plan::{Area, PlanRequest, Proposal};
use pcn_core::plan::money::MoneyComparison;
use pcn_core::plan::{Grouping, PlanConfig, DEFAULT_CEILING, DEFAULT_FLOOR};
use pcn_core::{CommissionerCode, PcnCode};
use pcn_export::plan::{self as export, PlanTable};
use serde::Serialize;

use crate::cli::{parse_date, Ctx};
use crate::output::{emit, json, write_xlsx, Out};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    Icb,
    SubIcb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanCsv {
    /// One row per practice, in its proposed network.
    Members,
    /// One row per proposed network.
    Networks,
    /// One row per group, then all of them.
    Groups,
    /// One row per exception, with its reason.
    Exceptions,
    /// One row per affected network: income before and after (implies --money).
    Money,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan one commissioner: a sub-ICB location (16C) or an ICB (QHM).
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    pub commissioner: Option<String>,
    /// Plan all of England.
    #[arg(long)]
    pub all: bool,
    /// The registry's date: practices, lists and networks as at this day (default: today).
    #[arg(long, value_parser = parse_date)]
    pub as_at: Option<NaiveDate>,
    /// The floor: fewest patients a network should serve.
    #[arg(long, default_value_t = DEFAULT_FLOOR)]
    pub min: u64,
    /// The ceiling: most patients a network should serve.
    #[arg(long, default_value_t = DEFAULT_CEILING)]
    pub max: u64,
    /// Plan within each ICB, or within each sub-ICB location.
    #[arg(long, value_enum, default_value_t = GroupBy::Icb)]
    pub group: GroupBy,
    /// The search's seed: the same seed gives the same answer.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop searching after this many seconds (every group still gets a
    /// whole proposal, but the answer then depends on the machine's speed).
    #[arg(long, allow_negative_numbers = true)]
    pub time_budget: Option<f64>,
    /// Networks that must not change (repeat the flag or comma-separate).
    #[arg(long = "pin", num_args = 1.., value_delimiter = ',')]
    pub pins: Vec<String>,
    #[arg(long, value_enum, default_value_t = Out::Table)]
    pub format: Out,
    /// With --format csv: which table.
    #[arg(long, value_enum, default_value_t = PlanCsv::Members)]
    pub csv: PlanCsv,
    /// Write to this file (required for xlsx).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also price the proposal: the payment run of the year of --as-at for
    /// each affected network, with today's and with the proposed networks.
    #[arg(long)]
    pub money: bool,
}

/// The JSON answer: the proposal, and its money when asked.
#[derive(Serialize)]
struct PlanJson<'a> {
    #[serde(flatten)]
    proposal: &'a Proposal,
    #[serde(skip_serializing_if = "Option::is_none")]
    money: Option<&'a MoneyComparison>,
}

/// The request the flags describe.
fn request(ctx: &Ctx, args: &PlanArgs) -> Result<PlanRequest> {
    let area = match &args.commissioner {
        Some(raw) => Area::Commissioner(CommissionerCode::parse(raw).context("--commissioner")?),
        None => Area::England,
    };
    let pins: BTreeSet<PcnCode> = args
        .pins
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| PcnCode::parse(p).context("--pin"))
        .collect::<Result<_>>()?;
    let time_budget = args
        .time_budget
        .map(|s| {
            Duration::try_from_secs_f64(s)
                .ok()
                .context("--time-budget must be a number of seconds, 0 or more")
        })
        .transpose()?;
    if args.min > args.max {
        bail!("--min {} is above --max {}", args.min, args.max);
    }
    Ok(PlanRequest {
        area,
        as_at: args.as_at.unwrap_or(ctx.today),
        grouping: match args.group {
            GroupBy::Icb => Grouping::Icb,
            GroupBy::SubIcb => Grouping::SubIcb,
        },
        config: PlanConfig {
            floor: args.min,
            ceiling: args.max,
            seed: args.seed,
            ..PlanConfig::default()
        },
        pins,
        time_budget,
    })
}

pub async fn run(ctx: &Ctx, args: PlanArgs) -> Result<ExitCode> {
    let request = request(ctx, &args)?;
    let priced = args.money || (args.format == Out::Csv && args.csv == PlanCsv::Money);
    let (proposal, money) = ctx
        .with_app(async |app| match priced {
            true => app
                .propose_and_price(request)
                .await
                .map(|(p, m)| (p, Some(m))),
            false => app.propose(request).await.map(|p| (p, None)),
        })
        .await?;
    let out = args.out.as_deref();
    let plan = &proposal.plan;
    match args.format {
        Out::Table => emit(
            &crate::render::plan::plan_table(&proposal, money.as_ref()),
            out,
        )?,
        Out::Json => emit(
            &json(&PlanJson {
                proposal: &proposal,
                money: money.as_ref(),
            })?,
            out,
        )?,
        Out::Csv => {
            let text = match (args.csv, &money) {
                (PlanCsv::Money, Some(money)) => export::money_csv(money)?,
                (PlanCsv::Members | PlanCsv::Money, _) => {
                    export::plan_csv(plan, PlanTable::Members)?
                }
                (PlanCsv::Networks, _) => export::plan_csv(plan, PlanTable::Networks)?,
                (PlanCsv::Groups, _) => export::plan_csv(plan, PlanTable::Groups)?,
                (PlanCsv::Exceptions, _) => export::plan_csv(plan, PlanTable::Exceptions)?,
            };
            emit(&text, out)?
        }
        Out::Xlsx => {
            let title = format!("pcn plan: {} as at {}", proposal.area, proposal.as_at);
            let bytes = export::plan_xlsx(&title, plan, money.as_ref())?;
            let what = format!("{} proposed networks", plan.after.networks);
            write_xlsx(out, &bytes, &what)?
        }
    }
    Ok(ExitCode::SUCCESS)
}
