//! `pcn appointments`: appointments against the pledge of 50 million more
//! a year than in 2019, for England, a sub-ICB location, a network or a
//! practice. The grammar is here; the use case is `pcn_app::appointments`,
//! the tables `render::appointments`, the files `pcn_export::appointments`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use pcn_app::appointments::{sub_icb_of, AppointmentsQuery, Area, AreaAppointments};
use pcn_core::appointments::YearBasis;
use pcn_core::{CommissionerCode, PcnCode, PracticeCode};
use pcn_export::appointments::{appointments_xlsx, pledge_csv, trend_csv};

use crate::cli::{parse_date, Ctx};
use crate::output::{emit, json, write_xlsx, Out};
use crate::render::appointments as render;

#[derive(Debug, Subcommand)]
pub enum AppointmentsCommand {
    /// Appointments by month against the same month of 2019 (for a network,
    /// with its ARRS WTE by month from the roster and the censuses beside).
    Trend(AppointmentsArgs),
    /// The pledge: the 2019 baseline, each later year, the change, the gap
    /// to 50 million more (an area's share of it), and the change by staff.
    Pledge(AppointmentsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Years {
    Calendar,
    Financial,
}

/// The area (England when none is given) and how to show it.
#[derive(Debug, Args)]
pub struct AppointmentsArgs {
    #[command(flatten)]
    pub area: AreaArgs,
    /// Calendar years (the pledge's 2019) or financial years (2019-20).
    #[arg(long, value_enum, default_value_t = Years::Calendar)]
    pub years: Years,
    /// The list extract an area's share of England's patients comes from:
    /// the latest on or before this date, else the earliest (default 2019-01-01).
    #[arg(long, value_parser = parse_date)]
    pub share_on: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = Out::Table)]
    pub format: Out,
    /// Write to this file (required for xlsx).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct AreaArgs {
    /// A sub-ICB location (a CCG before July 2022), e.g. 03R.
    #[arg(long)]
    pub commissioner: Option<String>,
    /// A network, e.g. U89141.
    #[arg(long)]
    pub pcn: Option<String>,
    /// A practice, e.g. A81001.
    #[arg(long)]
    pub practice: Option<String>,
}

impl AreaArgs {
    fn area(&self) -> Result<Area> {
        Ok(match (&self.commissioner, &self.pcn, &self.practice) {
            (Some(c), _, _) => {
                let code = CommissionerCode::parse(c).context("--commissioner")?;
                Area::Commissioner(sub_icb_of(&code)?)
            }
            (_, Some(p), _) => Area::Network(PcnCode::parse(p).context("--pcn")?),
            (_, _, Some(p)) => Area::Practice(PracticeCode::parse(p).context("--practice")?),
            _ => Area::England,
        })
    }
}

pub async fn run(ctx: &Ctx, command: AppointmentsCommand) -> Result<ExitCode> {
    let (args, pledge) = match command {
        AppointmentsCommand::Trend(args) => (args, false),
        AppointmentsCommand::Pledge(args) => (args, true),
    };
    let query = AppointmentsQuery {
        area: args.area.area()?,
        years: match args.years {
            Years::Calendar => YearBasis::Calendar,
            Years::Financial => YearBasis::Financial,
        },
        share_on: args.share_on,
    };
    let found = ctx
        .with_app(async |app| {
            let registry = app.registry().await?;
            app.appointments(&registry, &query).await
        })
        .await?;
    show(&found, pledge, args.format, args.out)?;
    Ok(ExitCode::SUCCESS)
}

fn show(a: &AreaAppointments, pledge: bool, format: Out, out: Option<PathBuf>) -> Result<()> {
    let out = out.as_deref();
    match (format, pledge) {
        (Out::Table, false) => emit(&render::trend_text(a), out),
        (Out::Table, true) => emit(&render::pledge_text(a), out),
        (Out::Csv, false) => emit(&trend_csv(&a.trend)?, out),
        (Out::Csv, true) => emit(&pledge_csv(&a.pledge)?, out),
        (Out::Json, false) => emit(
            &json(&serde_json::json!({
                "area": a.area,
                "trend": a.trend,
                "not_counted": a.not_counted,
            }))?,
            out,
        ),
        (Out::Json, true) => emit(
            &json(&serde_json::json!({"area": a.area, "pledge": a.pledge}))?,
            out,
        ),
        (Out::Xlsx, _) => write_xlsx(
            out,
            &appointments_xlsx(&a.area.to_string(), &a.trend, &a.pledge)?,
            "",
        ),
    }
}
