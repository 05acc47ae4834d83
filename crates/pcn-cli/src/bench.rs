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
use pcn_core::rulebook::Rulebook;
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
    /// Instead: load-test the web app on the national database, the network
    /// statement page and its API, on loopback.
    #[arg(long)]
    pub web: bool,
    /// Concurrent keep-alive connections (--web).
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Seconds per URL (--web).
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// At most this many requests per URL (--web).
    #[arg(long, default_value_t = 2_000_000)]
    pub max_requests: u64,
    /// Fail (exit 1) when a URL has any error or a p99 at or over this many ms (--web).
    #[arg(long)]
    pub max_p99_ms: Option<f64>,
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
pub async fn import_national(store: &Store, data: &Path, rulebook: &Rulebook) -> Result<()> {
    let options = ImportOptions {
        as_at: None,
        today: crate::cli::today(),
    };
    for path in national_files(data) {
        if let FileOutcome::Failed(message) =
            import_one(store, &path, &options, rulebook, "bench", false).await?
        {
            bail!("{message}");
        }
    }
    store.load_facts().await?;
    Ok(())
}

pub async fn run(args: BenchArgs) -> Result<ExitCode> {
    if args.web {
        return web(args).await;
    }
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
        import_national(&store, &args.data, &rulebook).await?;
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
            import_one(&store, &workforce, &options, &rulebook, "bench", false).await?
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

/// `pcn bench --web`: the national database, served on loopback, and the
/// statement page and API of one network under load.
async fn web(args: BenchArgs) -> Result<ExitCode> {
    use crate::web::state::Session;
    use pcn_core::access::{Account, Role, Scope as AccessScope};

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("national.sqlite").display().to_string();
    let store = Store::open(&path).await?;
    let started = Instant::now();
    import_national(&store, &args.data, &crate::pay::load_rulebook(None)?).await?;
    store.close().await;
    println!(
        "national database built in {} (6 files)",
        ms(started.elapsed())
    );
    let serve_args = crate::web::ServeArgs {
        listen: "127.0.0.1:0".parse()?,
        secure_cookies: Some(false),
        max_upload_mb: 64,
        rules: None,
    };
    let started = Instant::now();
    let state = crate::web::build_state(&path, &serve_args).await?;
    let data = state.data()?;
    // The largest network: the longest statement page.
    let pcn = data
        .snapshot
        .networks_with_members()
        .max_by_key(|n| (n.members.len(), n.list_size))
        .map(|n| n.code.clone())
        .ok_or_else(|| anyhow::anyhow!("the national database has no networks"))?;
    state.year_run(&data, data.year).await?;
    println!(
        "server state (registry, checks, {} payment run) ready in {}",
        data.year,
        ms(started.elapsed())
    );
    // A session for a network manager of that network, held in memory only.
    let token = crate::web::auth::random_token()?;
    let digest = crate::web::auth::sha256_hex(&token);
    state
        .sessions
        .write()
        .map_err(|_| anyhow::anyhow!("session lock"))?
        .insert(
            digest.clone(),
            Session {
                token_sha256: digest,
                account: Account {
                    id: 0,
                    username: "bench".into(),
                    display_name: None,
                    role: Role::Network,
                    scope: AccessScope::Network(pcn.clone()),
                },
                csrf_token: crate::web::auth::random_token()?,
                expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
            },
        );
    let listener = tokio::net::TcpListener::bind(serve_args.listen).await?;
    let addr = listener.local_addr()?;
    let app = crate::web::router(state.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let cookie = format!("{}={token}", crate::web::auth::SESSION_COOKIE);
    let mut failed = false;
    println!(
        "{} connections for {} s per URL (at most {} requests), network {pcn}:",
        args.connections, args.seconds, args.max_requests
    );
    for path in [
        format!("/networks/{pcn}/statement"),
        format!("/api/networks/{pcn}/statement"),
    ] {
        let url = format!("http://{addr}{path}");
        // Warm up: one request, which must succeed.
        let warm = reqwest::Client::new()
            .get(&url)
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await?;
        if warm.status() != reqwest::StatusCode::OK {
            bail!("GET {path} answered {} before the load", warm.status());
        }
        let r = crate::web::load::run(
            &url,
            &cookie,
            args.connections,
            Duration::from_secs(args.seconds),
            args.max_requests,
        )
        .await?;
        println!(
            "  GET {path}: {} requests in {:.1} s ({:.0}/s), {} errors; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} bytes a response",
            r.requests,
            r.seconds,
            r.per_second(),
            r.errors,
            r.p50_ms,
            r.p90_ms,
            r.p99_ms,
            r.max_ms,
            r.bytes_per_response
        );
        if let Some(limit) = args.max_p99_ms {
            if r.errors > 0 || r.p99_ms >= limit || r.requests == 0 {
                eprintln!("  FAILED: {path} needs no errors and p99 under {limit} ms");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
