//! The services view for every network in England: the national registry,
//! the 2025/26 PCN adjusted populations and the rosters seeded from the
//! workforce census (all real), with care homes, alignments and four weeks
//! of rounds, care plans and access sessions made up for every network (no
//! national delivery records exist), imported through the same checks as a
//! user's file. Timed: the view (requirements, compliance per home and
//! week, access, capacity by role, income against cost) of every network,
//! from what the server keeps in memory (registry, records, rosters, the
//! year's payment run and the ARRS claim lines of the year).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use chrono::{Days, NaiveDate, Weekday};
use pcn_app::imports::FileOutcome;
use pcn_app::services::{services_of, ServicesSource};
use pcn_core::arrs::{MonthClaim, Post};
use pcn_core::facts::{CareHomeAlignment, CareHomeFact, FactBatch, SourceKind};
use pcn_core::payrun::RunOptions;
use pcn_core::registry::Registry;
use pcn_core::rulebook::FinancialYear;
use pcn_core::services::{
    AccessSession, CareHomeRound, CarePlanRecord, ServiceRecords, SessionDay, SessionMode, Week,
};
use pcn_core::PcnCode;
use pcn_import::ParsedFile;

/// The four weeks timed: July 2026, in the year the census rosters are claimed for.
pub fn weeks() -> Vec<Week> {
    let first = NaiveDate::from_ymd_opt(2026, 7, 6).unwrap_or_default();
    Week::span(first, first + Days::new(27))
}

/// What one timing found.
#[derive(Debug, Default)]
pub struct ServicesRun {
    pub networks: usize,
    pub homes: usize,
    pub rounds: usize,
    pub sessions: usize,
    pub import: Duration,
    pub view: Duration,
    /// The view with the year's claim lines worked out again, as before.
    pub view_without_lines: Duration,
    pub short_of_staff: usize,
}

/// Care homes (twelve per network, 20 to 79 beds) aligned to every network
/// with members, and four weeks of records by its first posts.
fn synthetic(networks: &[PcnCode], posts: &[Post]) -> (FactBatch, ServiceRecords) {
    let mut by_pcn: BTreeMap<&PcnCode, Vec<&Post>> = BTreeMap::new();
    for p in posts {
        by_pcn.entry(&p.pcn).or_default().push(p);
    }
    let census = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default();
    let mut facts = FactBatch::default();
    let mut records = ServiceRecords::default();
    let weeks = weeks();
    for (n, code) in networks.iter().enumerate() {
        let mine: Vec<&Post> = by_pcn
            .get(code)
            .map(|v| v.iter().copied().filter(|p| p.covers(census)).collect())
            .unwrap_or_default();
        for h in 0..12 {
            let id = format!("1-{}", 500_000_000 + n * 12 + h);
            facts.care_homes.push(CareHomeFact {
                location_id: id.clone(),
                name: format!("HOME {n}-{h}"),
                postcode: None,
                beds: 20 + ((n + h * 7) % 60) as u32,
                location: None,
                local_authority: None,
                ods_code: None,
                dormant: false,
                as_at: census,
            });
            facts.care_home_alignments.push(CareHomeAlignment {
                location_id: id.clone(),
                pcn: code.clone(),
                from: NaiveDate::from_ymd_opt(2020, 10, 1).unwrap_or_default(),
                to: None,
            });
            let Some(post) = mine.first() else { continue };
            for (w, week) in weeks.iter().enumerate() {
                if (n + h + w) % 17 != 0 {
                    records.rounds.push(CareHomeRound {
                        date: week.day(1),
                        location_id: id.clone(),
                        post: post.id,
                        residents_reviewed: 3,
                        row: None,
                    });
                }
            }
            let admitted = weeks[0].day((h % 20) as u64);
            records.care_plans.push(CarePlanRecord {
                resident: format!("R{n}-{h}"),
                location_id: id,
                admitted,
                planned: (h % 5 != 0).then(|| admitted + Days::new(9)),
                row: None,
            });
        }
        for (i, day) in [Weekday::Mon, Weekday::Wed, Weekday::Fri, Weekday::Sat]
            .into_iter()
            .enumerate()
        {
            let Some(post) = mine.get(i % mine.len().max(1)) else {
                continue;
            };
            let (start, end) = if day == Weekday::Sat {
                (540, 1020)
            } else {
                (1080, 1230)
            };
            let planned = AccessSession {
                pcn: code.clone(),
                site: "Hub".into(),
                day: SessionDay::Weekly(day),
                start,
                end,
                post: post.id,
                appointments: 10,
                mode: SessionMode::FaceToFace,
                from: None,
                to: None,
                row: None,
            };
            for week in &weeks {
                if let Some(date) = planned.date_in(*week) {
                    records.delivered_sessions.push(AccessSession {
                        day: SessionDay::On(date),
                        ..planned.clone()
                    });
                }
            }
            records.planned_sessions.push(planned);
        }
    }
    (facts, records)
}

fn parsed(kind: SourceKind, facts: FactBatch, sha: &str) -> ParsedFile {
    ParsedFile {
        kind,
        data_date: NaiveDate::from_ymd_opt(2026, 8, 2).unwrap_or_default(),
        rows: facts.len() as u64,
        skipped_rows: 0,
        facts,
        sha256: sha.into(),
        notes: Vec::new(),
    }
}

/// Imports the adjusted populations and the synthetic records into the
/// bench's database, then times the services view of every network.
pub async fn run(
    data: &Path,
    path: &Path,
    posts: &[Post],
    lines: &[MonthClaim],
) -> Result<ServicesRun> {
    let app = crate::open(path).await?;
    let populations = data.join("nhse-pcn-adjusted-populations-2025-01/pcn_data.csv");
    crate::import_file(&app, &populations).await?;
    let registry = app.registry().await?;
    let weeks = weeks();
    let snapshot = registry.at(weeks[0].monday());
    let networks: Vec<PcnCode> = snapshot
        .networks_with_members()
        .map(|n| n.code.clone())
        .collect();
    let (homes, records) = synthetic(&networks, posts);
    let mut out = ServicesRun {
        networks: networks.len(),
        homes: homes.care_homes.len(),
        rounds: records.rounds.len(),
        sessions: records.planned_sessions.len() + records.delivered_sessions.len(),
        ..ServicesRun::default()
    };
    let started = Instant::now();
    for (kind, facts, sha) in [
        (SourceKind::CqcCareHomes, homes, "bench-homes"),
        (
            SourceKind::CareHomeRounds,
            FactBatch {
                services: records,
                ..FactBatch::default()
            },
            "bench-records",
        ),
    ] {
        let outcome = app
            .write_parsed(parsed(kind, facts, sha), sha, "bench")
            .await?;
        if let FileOutcome::Refused(e) = outcome {
            bail!("{e}");
        }
    }
    out.import = started.elapsed();
    // What the server keeps: the registry, the records in force, the year's run.
    let mut facts = app.store.load_facts().await?;
    let records = std::mem::take(&mut facts.services).current();
    let registry = Registry::new(facts);
    let rulebook = app.rulebook.clone();
    app.close().await;
    let year = FinancialYear::starting(2026);
    let run = crate::england_run(&rulebook, &registry, year, &RunOptions::default())?;
    let runs = [&run];
    let source = |claim_lines| ServicesSource {
        rulebook: &rulebook,
        registry: &registry,
        records: &records,
        posts,
        runs: &runs,
        claim_lines,
    };
    let started = Instant::now();
    let views = services_of(&source(Some(lines)), &weeks, weeks[3].sunday(), &networks);
    out.view = started.elapsed();
    out.short_of_staff = views
        .iter()
        .filter(|v| v.weeks.iter().any(|w| !w.capacity.can_deliver))
        .count();
    let started = Instant::now();
    std::hint::black_box(services_of(
        &source(None),
        &weeks,
        weeks[3].sunday(),
        &networks,
    ));
    out.view_without_lines = started.elapsed();
    Ok(out)
}
