//! `pcn check`: every DES network rule as findings, as a table, CSV or JSON.

use std::process::ExitCode;

use anyhow::{Context, Result};
use pcn_core::checks::{self, CheckConfig, Report, Scope, Severity};
use pcn_core::registry::Registry;
use pcn_core::PcnCode;
use pcn_store::Store;

use crate::cli::{CheckArgs, Format, MinSeverity};
use crate::output;

/// Loads the registry from the store.
pub async fn load_registry(store: &Store) -> Result<Registry> {
    Ok(Registry::new(store.load_facts().await?))
}

/// Runs the checks with the arguments' thresholds and scope.
pub fn report(registry: &Registry, args: &CheckArgs) -> Result<Report> {
    let as_at = args.as_at.unwrap_or_else(crate::cli::today);
    let pcn = args
        .pcn
        .as_deref()
        .map(PcnCode::parse)
        .transpose()
        .context("--pcn")?;
    if args.min_list > args.max_list {
        anyhow::bail!(
            "--min-list {} is above --max-list {}",
            args.min_list,
            args.max_list
        );
    }
    if !(args.far_km.is_finite() && args.far_km > 0.0) {
        anyhow::bail!("--far-km must be a positive number of kilometres");
    }
    let config = CheckConfig {
        min_list: args.min_list,
        max_list: args.max_list,
        far_km: args.far_km,
    };
    let scope = Scope {
        commissioner: args.commissioner.clone(),
        pcn,
    };
    let mut report = checks::run(&registry.at(as_at), &config, &scope);
    let keep = |s: Severity| match args.severity {
        MinSeverity::Error => s == Severity::Error,
        MinSeverity::Warning => s != Severity::Info,
        MinSeverity::Info => true,
    };
    let rules: Vec<String> = args
        .rule
        .iter()
        .map(|r| r.trim().to_ascii_uppercase())
        .collect();
    for rule in &rules {
        if !checks::RULES.iter().any(|r| r.id == rule) {
            let known: Vec<&str> = checks::RULES.iter().map(|r| r.id).collect();
            anyhow::bail!("unknown rule {rule:?}; the rules are {}", known.join(", "));
        }
    }
    report
        .findings
        .retain(|f| keep(f.severity) && (rules.is_empty() || rules.iter().any(|r| r == f.rule)));
    Ok(report)
}

pub async fn run(database: &str, args: CheckArgs) -> Result<ExitCode> {
    let store = Store::open(database).await?;
    let registry = load_registry(&store).await?;
    store.close().await;
    if registry.latest_date().is_none() {
        anyhow::bail!("the database {database} holds no registry yet: run `pcn import FILE…` or `pcn demo` first");
    }
    let report = report(&registry, &args)?;
    let text = match args.format {
        Format::Table => output::check_table(&report),
        Format::Csv => output::check_csv(&report)?,
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
    };
    output::emit(&text, args.out.as_deref())?;
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
