//! The demo commissioner (NHS Demo Vale) in a database: its facts, its
//! web accounts and a few ARRS posts, and its services (the posts that
//! deliver them, partners, a care home that moves network, five weeks of
//! rounds, care plans and sessions), for `pcn demo`, the web app's tests and
//! the browser journeys. Everything goes in through the use cases a user's
//! data goes through (posts, governance, alignments, imports checked
//! against the registry and the roster).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use pcn_core::access::{Role, Scope as AccessScope};
use pcn_core::arrs::NewPost;
use pcn_core::checks::{self, CheckConfig, Report, Scope};
use pcn_core::demo::{demo_dates, demo_facts};
use pcn_core::demo_appointments::{demo_appointments, demo_appointments_edition};
use pcn_core::facts::{FactBatch, GovernanceField, SourceKind};
use pcn_core::rulebook::Rulebook;
use pcn_core::services::ServiceRecords;
use pcn_import::ParsedFile;
use pcn_store::NewImport;

use crate::accounts::NewAccount;
use crate::imports::FileOutcome;
use crate::{App, Error, Result};

/// Builds the demo database at `path` (an SQLite file), replacing any
/// earlier one, with the demo registry and its appointments.
pub async fn build_demo(path: &Path, rulebook: Arc<Rulebook>, actor: &str) -> Result<App> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&file) {
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Remove { path: file, source })
            }
            _ => {}
        }
    }
    let app = App::open(&path.display().to_string(), rulebook).await?;
    write_demo(&app, actor).await?;
    Ok(app)
}

/// The checks of the demo registry as at its July date.
pub async fn demo_checks(app: &App) -> Result<Report> {
    let registry = app.registry().await?;
    let (_, july) = demo_dates();
    Ok(checks::run(
        &registry.at(july),
        &CheckConfig::default(),
        &Scope::default(),
    ))
}

/// A new password for the demo accounts: sixteen random URL-safe
/// characters and "-demo".
pub fn demo_password() -> Result<String> {
    let bytes = crate::accounts::random_bytes::<12>()?;
    Ok(bytes
        .iter()
        .map(|b| {
            const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
            ALPHABET[usize::from(*b) % ALPHABET.len()] as char
        })
        .chain("-demo".chars())
        .collect())
}

/// Writes the demo registry and its appointments into an empty store
/// (SQLite or PostgreSQL).
pub async fn write_demo(app: &App, actor: &str) -> Result<()> {
    let (_, july) = demo_dates();
    let facts = demo_facts();
    let import = NewImport {
        sha256: concat!("demo-", env!("CARGO_PKG_VERSION")),
        file_name: "(demo: NHS Demo Vale)",
        kind: SourceKind::Demo,
        data_date: july,
        rows_read: facts.len() as u64,
        imported_at: Utc::now(),
        imported_by: actor,
    };
    app.store
        .write_import(&import, &facts, &app.rulebook)
        .await?;
    // Its appointments, as GPAD publishes them, in their own import.
    let appointments = demo_appointments(&facts);
    let import = NewImport {
        sha256: concat!("demo-appointments-", env!("CARGO_PKG_VERSION")),
        file_name: "(demo: NHS Demo Vale appointments)",
        kind: SourceKind::GpadPracticeAppointments,
        data_date: demo_appointments_edition().first_day(),
        rows_read: appointments.len() as u64,
        imported_at: Utc::now(),
        imported_by: actor,
    };
    app.store
        .write_import(&import, &appointments, &app.rulebook)
        .await?;
    Ok(())
}

/// The demo's accounts: user name, role, scope, display name.
pub const DEMO_ACCOUNTS: [(&str, Role, &str, &str); 5] = [
    ("admin", Role::Admin, "all", "Demo Administrator"),
    (
        "commissioner",
        Role::Commissioner,
        "commissioner:Z1A",
        "Demo Commissioner (Z1A)",
    ),
    (
        "network",
        Role::Network,
        "network:U90001",
        "Demo PCN Manager (U90001)",
    ),
    (
        "practice",
        Role::Practice,
        "practice:Z90001",
        "Demo Practice Manager (Z90001)",
    ),
    (
        "viewer",
        Role::Viewer,
        "commissioner:Z2B",
        "Demo Viewer (Z2B)",
    ),
];

/// A few ARRS posts on the demo networks other than U90001 (whose roster
/// holds only the posts that deliver its services, see [`add_demo_services`]).
const DEMO_POSTS: [(&str, &str, &str, &str, &str, &str); 6] = [
    (
        "U90002",
        "TN-01",
        "clinical-pharmacist",
        "7",
        "1.0",
        "2025-09-01",
    ),
    (
        "U90002",
        "TN-02",
        "social-prescribing-link-worker",
        "5",
        "1.0",
        "2024-04-01",
    ),
    (
        "U90003",
        "RV-01",
        "care-coordinator",
        "4",
        "1.0",
        "2023-06-01",
    ),
    ("U90003", "RV-02", "paramedic", "7", "0.8", "2026-05-01"),
    (
        "U90004",
        "HP-01",
        "first-contact-physiotherapist",
        "7",
        "1.0",
        "2024-10-01",
    ),
    (
        "U90004",
        "HP-02",
        "pharmacy-technician",
        "5",
        "0.6",
        "2025-01-06",
    ),
];

/// The demo's web accounts (one password) and its few ARRS posts.
pub async fn add_demo_accounts_and_posts(app: &App, actor: &str, password: &str) -> Result<()> {
    for (name, role, scope, display) in DEMO_ACCOUNTS {
        let account = NewAccount {
            username: name.to_string(),
            display_name: Some(display.to_string()),
            role,
            scope: scope
                .parse::<AccessScope>()
                .map_err(|e| Error::invalid(e.to_string()))?,
            password: password.to_string(),
        };
        app.add_account(&account, actor).await?;
    }
    for (pcn, person, role, band, wte, start) in DEMO_POSTS {
        let pcn = pcn
            .parse()
            .map_err(|e: pcn_core::CodeError| Error::invalid(e.to_string()))?;
        let start = pcn_core::dates::parse_date(start)
            .ok_or_else(|| Error::invalid(format!("{start} is not a date")))?;
        let input = NewPost {
            band: Some(band.into()),
            wte: pcn_core::arrs::parse_wte(wte)?,
            ..NewPost::arrs(pcn, person, role, start)
        };
        app.add_post(&input, actor).await?;
    }
    Ok(())
}

/// The demo's services, written as a user's would be: the posts that
/// deliver them ([`pcn_core::demo_services::demo_service_posts`]), Town
/// Central's partners, the care home that moves from Town North to Town
/// Central on 3 June 2026, and five weeks of rounds, care plans and access
/// sessions, each kind as one import checked against the registry and the
/// roster. Demo East Villages (U90005) falls short.
pub async fn add_demo_services(app: &App, actor: &str) -> Result<()> {
    use pcn_core::demo_services::*;
    let facts = demo_facts();
    let mut posts = Vec::new();
    for p in demo_service_posts(&facts) {
        let terms = p.terms.first().cloned();
        let input = NewPost {
            pcn: p.pcn.clone(),
            person: p.person.clone(),
            name: None,
            role: p.role.clone(),
            band: terms.as_ref().map(|t| t.band.clone()),
            wte: terms.as_ref().map_or(pcn_core::Decimal::ONE, |t| t.wte),
            start: p.start,
            end: p.end,
            salary: terms.and_then(|t| t.salary),
            on_costs: None,
            levy: false,
            employer: p.employer.clone(),
            funding: p.funding,
            region: p.region,
        };
        posts.push(app.add_post(&input, actor).await?.1);
    }
    let partnered: pcn_core::PcnCode = PARTNERED_NETWORK
        .parse()
        .map_err(|e: pcn_core::CodeError| Error::invalid(e.to_string()))?;
    let (_, july) = demo_dates();
    app.set_governance(
        &crate::governance::GovernanceInput {
            pcn: partnered,
            effective_from: demo_service_weeks().first().map_or(july, |w| w.monday()),
            values: vec![
                (GovernanceField::CommunityPartners, COMMUNITY_PARTNER.into()),
                (GovernanceField::VoluntaryPartners, VOLUNTARY_PARTNER.into()),
            ],
        },
        actor,
    )
    .await?;
    for alignment in demo_alignment_change(&facts) {
        app.align_care_home(&alignment, actor).await?;
    }
    let records = demo_services(&facts, &posts);
    let kinds = [
        (
            SourceKind::CareHomeRounds,
            ServiceRecords {
                rounds: records.rounds.clone(),
                ..Default::default()
            },
        ),
        (
            SourceKind::CarePlans,
            ServiceRecords {
                care_plans: records.care_plans.clone(),
                ..Default::default()
            },
        ),
        (
            SourceKind::AccessSessionsPlanned,
            ServiceRecords {
                planned_sessions: records.planned_sessions.clone(),
                ..Default::default()
            },
        ),
        (
            SourceKind::AccessSessionsDelivered,
            ServiceRecords {
                delivered_sessions: records.delivered_sessions.clone(),
                ..Default::default()
            },
        ),
    ];
    for (kind, services) in kinds {
        let parsed = ParsedFile {
            kind,
            data_date: demo_service_weeks().last().map_or(july, |w| w.sunday()),
            rows: services.len() as u64,
            skipped_rows: 0,
            facts: FactBatch {
                services,
                ..FactBatch::default()
            },
            sha256: format!("demo-{}-{}", kind.name(), env!("CARGO_PKG_VERSION")),
            notes: Vec::new(),
        };
        let name = format!("(demo: {})", kind.name());
        if let FileOutcome::Refused(e) = app.write_parsed(parsed, &name, actor).await? {
            return Err(Error::invalid(e.to_string()));
        }
    }
    Ok(())
}
