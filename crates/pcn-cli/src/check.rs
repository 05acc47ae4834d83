//! `pcn check`: every DES network rule as findings, as a table, CSV or JSON.

use std::process::ExitCode;

use anyhow::{bail, Result};
use pcn_app::checks::CheckRequest;
use pcn_app::App;
use pcn_core::checks::{CheckConfig, Scope, Severity};

use crate::cli::{parse_opt, CheckArgs, Ctx, Format, MinSeverity};
use crate::output;

/// The request the arguments describe: thresholds, scope and filters.
fn request(args: &CheckArgs, ctx: &Ctx) -> Result<CheckRequest> {
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
    Ok(CheckRequest {
        as_at: args.as_at.unwrap_or(ctx.today),
        scope: Scope {
            pcn: parse_opt(&args.pcn, "--pcn")?,
            commissioner: parse_opt(&args.commissioner, "--commissioner")?,
        },
        config: CheckConfig {
            min_list: args.min_list,
            max_list: args.max_list,
            far_km: args.far_km,
        },
        rules: args
            .rule
            .iter()
            .map(|r| r.trim().to_ascii_uppercase())
            .collect(),
        least: match args.severity {
            MinSeverity::Error => Severity::Error,
            MinSeverity::Warning => Severity::Warning,
            MinSeverity::Info => Severity::Info,
        },
    })
}

pub async fn run(ctx: &Ctx, args: CheckArgs) -> Result<ExitCode> {
    let registry = ctx.with_app(App::registry_required).await?;
    let report = pcn_app::checks::check(&registry, &request(&args, ctx)?)?;
    let text = match args.format {
        Format::Table => pcn_export::text::checks::check_table(&report),
        Format::Csv => pcn_export::checks::check_csv(&report)?,
        Format::Json => output::json(&report)?,
    };
    output::emit(&text, args.out.as_deref())?;
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
