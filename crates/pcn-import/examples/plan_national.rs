//! Runs the network planner on all of England from the national files, and
//! checks and prints what it proposes.
//!
//! ```sh
//! cargo run --release -p pcn-import --example plan_national -- \
//!     [--data ../shared/data] [--as-at 2026-07-01] [--group icb|sub-icb] \
//!     [--seed 1] [--effort N] [--move-cost KM2] [--min 30000] [--max 50000] \
//!     [--dump-groups groups.json] [--out plan.json] [--quiet]
//! ```
//!
//! It builds the registry from the July 2026 registration files, ODS
//! epraccur and ePCN, the GPAD mapping and the NHS website's `GP.csv` (the
//! files `pcn bench` imports), groups the practices by ICB, plans each group
//! on one thread, timing each, and prints a line per group and the national
//! totals. It then checks the proposal independently of the planner: every
//! practice in exactly one network, every network connected on the
//! contiguity graph, every network out of band listed as an exception.
//! `--dump-groups` writes the planner's input (the groups) as JSON, and
//! `--out` the plan with its timings, for `scripts/plan-peer/compare.py`.
//! Exit status 1 when a check fails.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use pcn_core::plan::{self, GroupInput, Grouping, Plan, PlanConfig};
use pcn_core::registry::Registry;
use pcn_core::FactBatch;
use pcn_import::{read_path, ImportOptions, NATIONAL_FILES};

struct Args {
    data: PathBuf,
    as_at: NaiveDate,
    grouping: Grouping,
    config: PlanConfig,
    dump_groups: Option<PathBuf>,
    out: Option<PathBuf>,
    quiet: bool,
}

/// The shared data folder beside the checkout (as the real-data tests find
/// it), else `../shared/data` from the current folder (as the README uses).
fn default_data() -> PathBuf {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if beside.is_dir() {
        beside
    } else {
        PathBuf::from("../shared/data")
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: default_data(),
        as_at: NaiveDate::from_ymd_opt(2026, 7, 1).expect("date"),
        grouping: Grouping::Icb,
        config: PlanConfig::default(),
        dump_groups: None,
        out: None,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--quiet" {
            args.quiet = true;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--data" => args.data = PathBuf::from(value),
            "--as-at" => {
                args.as_at = NaiveDate::parse_from_str(&value, "%Y-%m-%d")
                    .map_err(|e| format!("--as-at {value}: {e}"))?
            }
            "--group" => {
                args.grouping = match value.as_str() {
                    "icb" => Grouping::Icb,
                    "sub-icb" => Grouping::SubIcb,
                    other => return Err(format!("--group {other}: expected icb or sub-icb")),
                }
            }
            "--seed" => args.config.seed = number(&value)?,
            "--move-cost" => {
                args.config.move_cost = value
                    .parse()
                    .map_err(|e| format!("--move-cost {value}: {e}"))?
            }
            "--effort" => args.config.effort = number(&value)? as u32,
            "--min" => args.config.floor = number(&value)?,
            "--max" => args.config.ceiling = number(&value)?,
            "--dump-groups" => args.dump_groups = Some(PathBuf::from(value)),
            "--out" => args.out = Some(PathBuf::from(value)),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let args = parse_args()?;
    let started = Instant::now();
    let mut facts = FactBatch::default();
    let options = ImportOptions {
        as_at: None,
        today: args.as_at,
        limits: pcn_import::Limits::default(),
    };
    for file in NATIONAL_FILES {
        let path = args.data.join(file);
        let parsed = read_path(&path, &options, &mut |_| {}).map_err(|e| format!("{file}: {e}"))?;
        facts.extend(parsed.facts);
    }
    let snapshot = Registry::new(facts).at(args.as_at);
    let groups = plan::groups_from_snapshot(&snapshot, args.grouping, &BTreeSet::new());
    eprintln!(
        "registry as at {}: {} practices in {} groups ({} ungrouped), read in {:.1} s",
        args.as_at,
        snapshot.practices.len(),
        groups.groups.len(),
        groups.ungrouped.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = &args.dump_groups {
        let json = serde_json::to_string(&groups.groups).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    }

    plan::check_groups(&groups.groups, &args.config).map_err(|e| e.to_string())?;
    let mut seconds: Vec<f64> = Vec::new();
    let mut planned = Vec::new();
    let started = Instant::now();
    for group in &groups.groups {
        let one = Instant::now();
        planned.push(plan::plan_group(group, &args.config, &|| false).map_err(|e| e.to_string())?);
        seconds.push(one.elapsed().as_secs_f64());
    }
    let total_seconds = started.elapsed().as_secs_f64();
    let plan = Plan::assemble(&args.config, planned);

    if !args.quiet {
        print_groups(&plan, &seconds);
    }
    print_totals(&plan, total_seconds);
    let ok = verify(&groups.groups, &plan, groups.ungrouped.len());

    if let Some(path) = &args.out {
        let timings: HashMap<String, f64> = plan
            .groups
            .iter()
            .zip(&seconds)
            .map(|(g, s)| (g.group.to_string(), *s))
            .collect();
        let json = serde_json::json!({
            "seconds": total_seconds,
            "group_seconds": timings,
            "plan": plan,
        });
        std::fs::write(path, json.to_string()).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(ok)
}

fn print_groups(plan: &Plan, seconds: &[f64]) {
    println!(
        "{:<6} {:>5} {:>13} {:>13} {:>6} {:>6} {:>7} {:>7} {:>5} {:>8}",
        "group",
        "prac",
        "before in/all",
        "after in/all",
        "moved",
        "placed",
        "rms0 km",
        "rms1 km",
        "exc",
        "ms"
    );
    for (g, s) in plan.groups.iter().zip(seconds) {
        println!(
            "{:<6} {:>5} {:>6}/{:<6} {:>6}/{:<6} {:>6} {:>6} {:>7.2} {:>7.2} {:>5} {:>8.1}",
            g.group.to_string(),
            g.changes.practices,
            g.before.in_band,
            g.before.networks,
            g.after.in_band,
            g.after.networks,
            g.changes.practices_moved,
            g.changes.practices_placed,
            g.before.rms_km,
            g.after.rms_km,
            g.exceptions.len(),
            s * 1000.0
        );
    }
}

fn print_totals(plan: &Plan, seconds: f64) {
    let (b, a, c) = (&plan.before, &plan.after, &plan.changes);
    println!(
        "England, floor {} ceiling {} seed {}:",
        plan.config.floor, plan.config.ceiling, plan.config.seed
    );
    println!(
        "  before: {} networks, {} in band, {} under, {} over ({} single practices over), {} practices in no network; RMS {:.2} km",
        b.networks, b.in_band, b.under_floor, b.over_ceiling, b.single_practice_over_ceiling, b.practices_without_network, b.rms_km
    );
    println!(
        "  after:  {} networks, {} in band, {} under, {} over ({} single practices over); in band {:.2}% excluding those; RMS {:.2} km",
        a.networks,
        a.in_band,
        a.under_floor,
        a.over_ceiling,
        a.single_practice_over_ceiling,
        a.in_band_share() * 100.0,
        a.rms_km
    );
    println!(
        "  changes: {} of {} practices moved ({} patients), {} placed from U or no network; network pairs kept {} of {}",
        c.practices_moved, c.practices, c.patients_moved, c.practices_placed, c.network_pairs_kept, c.network_pairs
    );
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for g in &plan.groups {
        for e in &g.exceptions {
            let key = serde_json::to_value(&e.reason)
                .ok()
                .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_string))
                .unwrap_or_default();
            *reasons.entry(key).or_default() += 1;
        }
    }
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort();
    println!("  exceptions: {} {:?}", plan.exceptions, reasons);
    println!("  planning time: {seconds:.2} s on one thread");
}

/// Checks the plan against its input without trusting the planner's own
/// flags ([`plan::faults`]): prints each failure and returns false if any.
fn verify(groups: &[GroupInput], plan: &Plan, ungrouped: usize) -> bool {
    let mut failures = plan::faults(groups, plan);
    if ungrouped > 0 {
        failures.push(format!(
            "{ungrouped} practices have no ICB and were not planned"
        ));
    }
    for f in &failures {
        println!("CHECK FAILED: {f}");
    }
    if failures.is_empty() {
        println!("  checks: every practice in exactly one network, every network connected, every network out of band listed");
    }
    failures.is_empty()
}
