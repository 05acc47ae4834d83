//! `pcn services` and `pcn care-home`: what networks must deliver and
//! whether they do and can, and care home alignments. The grammar is here;
//! the use cases are `pcn_app::services`, the rules `pcn_core::services`,
//! the tables `render::services` and the files `pcn_export::services`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use pcn_core::arrs::Hire;
use pcn_core::facts::CareHomeAlignment;
use pcn_core::rulebook::FinancialYear;
use pcn_core::CommissionerCode;
use pcn_export::services::{compliance_csv, network_weeks_csv, requirements_csv};

use crate::cli::{parse_date, pcn, region as region_flag, Ctx, Format};
use crate::output::{emit, json};
use crate::render::services as render;

#[derive(Debug, Subcommand)]
pub enum ServicesCommand {
    /// A network's services week by week: care home rounds and plans,
    /// enhanced access minutes against the requirement, hours by role
    /// against the hours required, each service's income against its staff
    /// cost, its partners, and plain answers (default: the four weeks to the
    /// latest round or session recorded).
    Show {
        #[arg(long)]
        pcn: String,
        #[command(flatten)]
        weeks: Weeks,
        #[command(flatten)]
        output: Output,
    },
    /// Every network of a commissioner (a sub-ICB location or an ICB) with
    /// its compliance over the weeks.
    Commissioner {
        code: String,
        #[command(flatten)]
        weeks: Weeks,
        #[command(flatten)]
        output: Output,
    },
    /// What adding posts would do to a network's capacity in a week, as
    /// `pcn arrs plan` does to its budget: an ARRS role ("paramedic, band 7,
    /// 1.0 WTE, from 2026-06-01") or a role outside the ARRS the rules name
    /// ("gp, 1.0 WTE, from 2026-06-01, salary 98000").
    Plan {
        #[arg(long)]
        pcn: String,
        #[arg(long, required = true)]
        add: Vec<String>,
        /// The week to try (the week of this date; default today's).
        #[arg(long, value_parser = parse_date)]
        week: Option<NaiveDate>,
        /// england, outer-london or inner-london (ARRS maxima).
        #[arg(long, default_value = "england")]
        region: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Every network's enhanced access requirement in a year, from the PCN
    /// adjusted populations held, with the national total.
    Requirements {
        /// The financial year, e.g. 2025-26.
        #[arg(long)]
        year: String,
        /// Networks listed in the table (the CSV and JSON list every one).
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        output: Output,
    },
}

/// The weeks a services view covers.
#[derive(Debug, Args)]
pub struct Weeks {
    /// The first week (the week of this date).
    #[arg(long, value_parser = parse_date)]
    from: Option<NaiveDate>,
    /// The last week (the week of this date; default today's).
    #[arg(long, value_parser = parse_date)]
    to: Option<NaiveDate>,
}

/// A view's format, and the file it is written to (default standard output).
#[derive(Debug, Args)]
pub struct Output {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CareHomeCommand {
    /// Align a care home (a CQC location held) to a network from a date.
    /// A move to another network needs no end to the old alignment; to end
    /// an alignment, align the home to the same network with its start and
    /// --to.
    Align {
        /// The CQC location id, such as 1-101234567.
        location: String,
        #[arg(long)]
        pcn: String,
        #[arg(long, value_parser = parse_date)]
        from: NaiveDate,
        #[arg(long, value_parser = parse_date)]
        to: Option<NaiveDate>,
    },
}

pub async fn run(ctx: &Ctx, command: ServicesCommand) -> Result<ExitCode> {
    match command {
        ServicesCommand::Show {
            pcn: code,
            weeks: Weeks { from, to },
            output,
        } => {
            let code = pcn(&code)?;
            let view = ctx
                .with_app(async |app| app.network_services(&code, from, to, ctx.today).await)
                .await?;
            emit_view(&view, output, render::network_text, |v| {
                Ok(network_weeks_csv(&v.services)?)
            })?;
        }
        ServicesCommand::Commissioner {
            code,
            weeks: Weeks { from, to },
            output,
        } => {
            let code = CommissionerCode::parse(&code).context("the commissioner code")?;
            let view = ctx
                .with_app(async |app| app.commissioner_services(&code, from, to, ctx.today).await)
                .await?;
            emit_view(&view, output, render::commissioner_text, |v| {
                Ok(compliance_csv(&v.networks)?)
            })?;
        }
        ServicesCommand::Plan {
            pcn: code,
            add,
            week,
            region,
            format,
        } => {
            let code = pcn(&code)?;
            let region = region_flag(&region)?;
            let hires = add
                .iter()
                .map(|spec| Hire::parse(spec).with_context(|| format!("--add {spec:?}")))
                .collect::<Result<Vec<_>>>()?;
            let week = week.unwrap_or(ctx.today);
            let plan = ctx
                .with_app(async |app| app.services_plan(&code, week, &hires, Some(region)).await)
                .await?;
            match format {
                Format::Json => emit(&json(&plan)?, None)?,
                Format::Table => emit(&render::plan_text(&plan), None)?,
                Format::Csv => bail!("--format for a plan: table or json"),
            }
        }
        ServicesCommand::Requirements {
            year,
            limit,
            output,
        } => {
            let year: FinancialYear = year.parse().context("--year")?;
            let r = ctx
                .with_app(async |app| app.access_requirements(year).await)
                .await?;
            emit_view(
                &r,
                output,
                |r| render::requirements_text(r, limit),
                |r| Ok(requirements_csv(&r.networks)?),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a view as its table, its CSV or its JSON, to `out` or standard
/// output.
fn emit_view<V: serde::Serialize>(
    view: &V,
    Output { format, out }: Output,
    table: impl FnOnce(&V) -> String,
    csv: impl FnOnce(&V) -> Result<String>,
) -> Result<()> {
    let text = match format {
        Format::Table => table(view),
        Format::Csv => csv(view)?,
        Format::Json => json(view)?,
    };
    emit(&text, out.as_deref())
}

pub async fn run_care_home(ctx: &Ctx, command: CareHomeCommand) -> Result<ExitCode> {
    match command {
        CareHomeCommand::Align {
            location,
            pcn: code,
            from,
            to,
        } => {
            let alignment = CareHomeAlignment {
                location_id: location.trim().to_string(),
                pcn: pcn(&code)?,
                from,
                to,
            };
            let before = ctx
                .with_app(async |app| app.align_care_home(&alignment, &ctx.actor).await)
                .await?;
            println!(
                "{} aligned to {} from {}{}{}",
                alignment.location_id,
                alignment.pcn,
                alignment.from,
                alignment.to.map(|t| format!(" to {t}")).unwrap_or_default(),
                before
                    .map(|b| format!(" (it was aligned to {} from {})", b.pcn, b.from))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
