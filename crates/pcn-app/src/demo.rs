//! The demo commissioner (NHS Demo Vale) in a database: its facts, its
//! web accounts and a few ARRS posts, for `pcn demo`, the web app's tests and
//! the browser journeys.

use chrono::Utc;
use pcn_core::access::{Role, Scope};
use pcn_core::arrs::{Employer, Funding, NewPost};
use pcn_core::demo::{demo_dates, demo_facts};
use pcn_core::demo_appointments::{demo_appointments, demo_appointments_edition};
use pcn_core::facts::SourceKind;
use pcn_core::rulebook::Region;
use pcn_store::NewImport;

use crate::accounts::NewAccount;
use crate::{App, Error, Result};

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

/// A few ARRS posts on the demo networks, so each network manager's first
/// view has a roster and a budget to read (U90005 to U90009 have none, as
/// many networks' rosters start).
const DEMO_POSTS: [(&str, &str, &str, &str, &str, &str); 8] = [
    (
        "U90001",
        "TC-01",
        "clinical-pharmacist",
        "7",
        "1.0",
        "2024-04-01",
    ),
    (
        "U90001",
        "TC-02",
        "social-prescribing-link-worker",
        "5",
        "0.8",
        "2025-06-02",
    ),
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
                .parse::<Scope>()
                .map_err(|e| Error::invalid(e.to_string()))?,
            password: password.to_string(),
        };
        app.add_account(&account, actor).await?;
    }
    for (pcn, person, role, band, wte, start) in DEMO_POSTS {
        let input = NewPost {
            pcn: pcn
                .parse()
                .map_err(|e: pcn_core::CodeError| Error::invalid(e.to_string()))?,
            person: person.into(),
            name: None,
            role: role.into(),
            band: Some(band.into()),
            wte: pcn_core::arrs::parse_wte(wte)?,
            start: pcn_core::dates::parse_date(start)
                .ok_or_else(|| Error::invalid(format!("{start} is not a date")))?,
            end: None,
            salary: None,
            on_costs: None,
            levy: false,
            employer: Employer::Network,
            funding: Funding::Arrs,
            region: Region::England,
        };
        app.add_post(&input, actor).await?;
    }
    Ok(())
}
