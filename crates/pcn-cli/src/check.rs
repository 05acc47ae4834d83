//! `pcn check`: every DES network rule as findings, as a table, CSV or JSON.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use pcn_core::checks::{self, CheckConfig, Report, Scope, Severity};
use pcn_core::registry::Registry;
use pcn_core::{CommissionerCode, PcnCode};

use crate::cli::{CheckArgs, Ctx, Format, MinSeverity};
use crate::output;

/// The checks with the arguments' thresholds, scope and filters.
pub fn report(registry: &Registry, args: &CheckArgs, ctx: &Ctx) -> Result<Report> {
    let as_at = args.as_at.unwrap_or(ctx.today);
    let pcn = args
        .pcn
        .as_deref()
        .map(PcnCode::parse)
        .transpose()
        .context("--pcn")?;
    let commissioner = args
        .commissioner
        .as_deref()
        .map(CommissionerCode::parse)
        .transpose()
        .context("--commissioner")?;
    if let Some(pcn) = &pcn {
        pcn_app::governance::require_network(registry, pcn)?;
    }
    if let Some(c) = &commissioner {
        if !registry.knows_commissioner(c) {
            bail!("there is no commissioner {c} in the registry (a sub-ICB location such as 16C or an ICB such as QHM)");
        }
    }
    if args.min_list > args.max_list {
        bail!(
            "--min-list {} is above --max-list {}",
            args.min_list,
            args.max_list
        );
    }
    if !(args.far_km.is_finite() && args.far_km > 0.0) {
        bail!("--far-km must be a positive number of kilometres");
    }
    let rules: Vec<String> = args
        .rule
        .iter()
        .map(|r| r.trim().to_ascii_uppercase())
        .collect();
    for rule in &rules {
        if !checks::RULES.iter().any(|r| r.id == rule) {
            let known: Vec<&str> = checks::RULES.iter().map(|r| r.id).collect();
            bail!("unknown rule {rule:?}; the rules are {}", known.join(", "));
        }
    }
    let config = CheckConfig {
        min_list: args.min_list,
        max_list: args.max_list,
        far_km: args.far_km,
    };
    let scope = Scope { commissioner, pcn };
    let mut report = checks::run(&registry.at(as_at), &config, &scope);
    let keep = |s: Severity| match args.severity {
        MinSeverity::Error => s == Severity::Error,
        MinSeverity::Warning => s != Severity::Info,
        MinSeverity::Info => true,
    };
    report
        .findings
        .retain(|f| keep(f.severity) && (rules.is_empty() || rules.iter().any(|r| r == f.rule)));
    Ok(report)
}

pub async fn run(ctx: &Ctx, args: CheckArgs) -> Result<ExitCode> {
    let app = ctx.app().await?;
    let registry = app.registry_required().await?;
    app.close().await;
    let report = report(&registry, &args, ctx)?;
    let text = match args.format {
        Format::Table => crate::render::check::check_table(&report),
        Format::Csv => pcn_export::checks::check_csv(&report)?,
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
    };
    output::emit(&text, args.out.as_deref())?;
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
