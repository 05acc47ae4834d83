//! `pcn bench`: times the national import into a fresh SQLite database and
//! the national `pcn check`, on the real files, and prints the median of
//! several runs (these machines are noisy: compare ratios, not single runs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Args;
use pcn_core::checks::{self, CheckConfig, Scope};
use pcn_core::registry::Registry;
use pcn_import::ImportOptions;
use pcn_store::Store;

use crate::import::{import_one, FileOutcome};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The folder holding the national files (the shared data folder).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Counted runs of each measurement.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// The date to check as at.
    #[arg(long, default_value = "2026-07-01")]
    pub as_at: chrono::NaiveDate,
}

/// The national registry files, as published, in the shared data folder.
pub fn national_files(data: &Path) -> Vec<PathBuf> {
    [
        "ods-epcn-2024-10/ePCN.xlsx",
        "ods-epraccur-2025-11/epraccur.csv",
        "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-map.csv",
        "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-quin-age.csv.gz",
        "nhsd-gpad-mapping-2025-08/Mapping.csv",
        "nhsuk-gp-locations-2019-05/GP.csv",
    ]
    .iter()
    .map(|f| data.join(f))
    .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Imports every national file into the store; fails on the first bad file.
/// As `pcn import` does, ending with the registry cache rebuilt.
pub async fn import_national(store: &Store, data: &Path) -> Result<()> {
    let options = ImportOptions {
        as_at: None,
        today: crate::cli::today(),
    };
    for path in national_files(data) {
        if let FileOutcome::Failed(message) =
            import_one(store, &path, &options, "bench", false).await?
        {
            bail!("{message}");
        }
    }
    store.load_facts().await?;
    Ok(())
}

pub async fn run(args: BenchArgs) -> Result<ExitCode> {
    let missing: Vec<_> = national_files(&args.data)
        .into_iter()
        .filter(|p| !p.exists())
        .collect();
    if !missing.is_empty() {
        bail!("missing national files (use --data DIR): {missing:?}");
    }
    let runs = args.runs.max(1);
    let dir = tempfile::tempdir()?;
    let (mut import, mut load, mut check, mut whole_check) = (vec![], vec![], vec![], vec![]);
    let (mut pay, mut xlsx) = (vec![], vec![]);
    let rulebook = crate::pay::load_rulebook(None)?;
    let rules = rulebook
        .year("2025-26")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let previous = rulebook.year("2024-25").ok();
    let pay_options = crate::pay::RunOptions {
        missing: pcn_core::funding::MissingInputs::Estimate,
        membership_as_at: None,
        distribution: Some(pcn_core::funding::Distribution::ByRegisteredList),
        top_slice_percent: rust_decimal::Decimal::new(5, 0),
        agreements: Default::default(),
        assessments: Default::default(),
    };
    let mut networks_paid = 0;
    let mut findings = 0;
    let (mut seed, mut roster_load, mut claims_year) = (vec![], vec![], vec![]);
    let mut claim_lines = 0;
    let mut roster_networks = 0;
    let workforce = args
        .data
        .join("nhsd-pcn-workforce-2026-06/pcn-workforce-individual-level-2026-06.csv.gz");
    // One warm-up run, then the counted ones.
    for run in 0..=runs {
        let path = dir.path().join(format!("bench-{run}.sqlite"));
        let store = Store::open(&path.display().to_string()).await?;
        let started = Instant::now();
        import_national(&store, &args.data).await?;
        let imported = started.elapsed();

        let started = Instant::now();
        let registry = Registry::new(store.load_facts().await?);
        let loaded = started.elapsed();
        let started = Instant::now();
        let report = checks::run(
            &registry.at(args.as_at),
            &CheckConfig::default(),
            &Scope::default(),
        );
        let checked = started.elapsed();
        findings = report.findings.len();
        store.close().await;

        // `pcn check` as a user runs it: open the database, load, check, render.
        let started = Instant::now();
        let store = Store::open(&path.display().to_string()).await?;
        let registry = Registry::new(store.load_facts().await?);
        let report = checks::run(
            &registry.at(args.as_at),
            &CheckConfig::default(),
            &Scope::default(),
        );
        let rendered = crate::output::check_table(&report);
        store.close().await;
        let whole = started.elapsed();
        std::hint::black_box(rendered);

        // A national payment run: every network, every stream, distribution to practices.
        let started = Instant::now();
        let pay_run = crate::pay::build_run(
            &registry,
            rules,
            previous,
            &crate::pay::Selection::default(),
            &pay_options,
        )?;
        let paid = started.elapsed();
        networks_paid = pay_run.networks.len();
        let started = Instant::now();
        crate::statement_export::run_xlsx(&pay_run, &dir.path().join("pay.xlsx"))?;
        let exported = started.elapsed();
        // ARRS: seed every network's roster from the workforce census, load
        // it, and work out a year of monthly claims and each network's budget.
        let store = Store::open(&path.display().to_string()).await?;
        let options = ImportOptions {
            as_at: None,
            today: crate::cli::today(),
        };
        let started = Instant::now();
        if let FileOutcome::Failed(message) =
            import_one(&store, &workforce, &options, "bench", false).await?
        {
            bail!("{message}");
        }
        let seeded = started.elapsed();
        let started = Instant::now();
        let mut posts = store.posts(None).await?;
        let loaded_roster = started.elapsed();
        store.close().await;
        // Network by network, so each network's claim lines are one run.
        posts.sort_by(|a, b| (&a.pcn, a.id).cmp(&(&b.pcn, b.id)));
        let fy = pcn_core::rulebook::FinancialYear::starting(2026);
        let started = Instant::now();
        let (lines, errors) =
            pcn_core::arrs::roster_year(&rulebook, fy, &posts, &Default::default(), false);
        if let Some((id, e)) = errors.first() {
            bail!("post {id}: {e}");
        }
        let pcn_of: std::collections::HashMap<i64, &pcn_core::PcnCode> =
            posts.iter().map(|p| (p.id, &p.pcn)).collect();
        let mut networks = 0;
        for network_lines in lines.chunk_by(|a, b| pcn_of.get(&a.post) == pcn_of.get(&b.post)) {
            std::hint::black_box(pcn_core::arrs::budget(
                fy,
                fy.start(),
                None,
                network_lines,
                &[],
            ));
            networks += 1;
        }
        let claimed = started.elapsed();
        claim_lines = lines.len();
        roster_networks = networks;
        if run > 0 {
            seed.push(seeded);
            roster_load.push(loaded_roster);
            claims_year.push(claimed);
            pay.push(paid);
            xlsx.push(exported);
            import.push(imported);
            load.push(loaded);
            check.push(checked);
            whole_check.push(whole);
        }
    }
    println!(
        "pcn bench: {runs} runs after one warm-up, medians; national files from {}",
        args.data.display()
    );
    println!(
        "  national import into a new SQLite database (6 files, cache rebuilt): {}",
        ms(median(import))
    );
    println!(
        "  load the registry from SQLite (cached):                 {}",
        ms(median(load))
    );
    println!(
        "  checks as at {} ({findings} findings):          {}",
        args.as_at,
        ms(median(check))
    );
    println!(
        "  pcn check end to end (open, load, check, render table):  {}",
        ms(median(whole_check))
    );
    println!(
        "  payment run 2025-26 ({networks_paid} networks, every stream, distribution to practices): {}",
        ms(median(pay))
    );
    println!("  XLSX export of that run: {}", ms(median(xlsx)));
    println!(
        "  ARRS: seed rosters from the PCN workforce census (39,940 records): {}",
        ms(median(seed))
    );
    println!(
        "  ARRS: load every roster from SQLite:                  {}",
        ms(median(roster_load))
    );
    println!(
        "  ARRS: a year of monthly claims and budgets, {roster_networks} networks ({claim_lines} claim lines): {}",
        ms(median(claims_year))
    );
    Ok(ExitCode::SUCCESS)
}
