//! `pcn demo`: builds the demo database and runs the checks on it.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use pcn_core::access::{Role, Scope};
use pcn_core::checks::{self, CheckConfig, Scope as CheckScope};
use pcn_core::demo::{demo_dates, demo_facts};
use pcn_core::facts::SourceKind;
use pcn_core::registry::Registry;
use pcn_store::{NewImport, Store};

/// Builds the demo database at `path`, replacing any earlier one.
pub async fn build(path: &Path, actor: &str) -> Result<Store> {
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing the old demo database {file}"))
            }
            _ => {}
        }
    }
    let store = Store::open(&path.display().to_string()).await?;
    write_demo(&store, actor).await?;
    Ok(store)
}

/// Writes the demo registry into an empty store (SQLite or PostgreSQL).
pub async fn write_demo(store: &Store, actor: &str) -> Result<()> {
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
    store
        .write_import(&import, &facts, &crate::pay::load_rulebook(None)?)
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
/// starts empty, for the walk-through of adding the first staff member).
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
pub async fn add_demo_accounts_and_posts(store: &Store, actor: &str, password: &str) -> Result<()> {
    let hash = crate::web::auth::hash_password(password)?;
    for (name, role, scope, display) in DEMO_ACCOUNTS {
        let scope: Scope = scope.parse().map_err(|e: String| anyhow::anyhow!(e))?;
        store
            .add_account(name, Some(display), &hash, role, &scope, Utc::now(), actor)
            .await?;
    }
    let rulebook = crate::pay::load_rulebook(None)?;
    for (pcn, person, role, band, wte, start) in DEMO_POSTS {
        let args = crate::arrs::AddArgs {
            pcn: pcn.into(),
            person: person.into(),
            role: role.into(),
            band: Some(band.into()),
            wte: wte.into(),
            start: crate::cli::parse_date(start).map_err(anyhow::Error::msg)?,
            employer: "network".into(),
            funding: "arrs".into(),
            region: "england".into(),
            ..Default::default()
        };
        let post = crate::arrs::new_post(&rulebook, &args)?;
        store.add_post(&post, Utc::now(), actor).await?;
    }
    Ok(())
}

pub async fn run(
    path: &Path,
    actor: &str,
    serve: bool,
    listen: std::net::SocketAddr,
    password: Option<String>,
) -> Result<ExitCode> {
    let password = match password {
        Some(p) => {
            crate::web::auth::check_password_strength(&p)?;
            p
        }
        None => crate::web::auth::random_token()?[..16].to_string(),
    };
    let store = build(path, actor).await?;
    add_demo_accounts_and_posts(&store, actor, &password).await?;
    let registry = Registry::new(store.load_facts().await?);
    store.close().await;
    let (_, july) = demo_dates();
    let report = checks::run(
        &registry.at(july),
        &CheckConfig::default(),
        &CheckScope::default(),
    );
    println!(
        "Built the demo database {} (a synthetic commissioner, NHS Demo Vale).\n",
        path.display()
    );
    print!("{}", crate::output::check_table(&report));
    let db = path.display();
    println!(
        "\nTry next:\n  pcn --database {db} network list --as-at {july}\n  pcn --database {db} network show U90007 --as-at {july}\n  pcn --database {db} practice Z90010 --as-at {july}\n  pcn --database {db} check --as-at {july} --severity error --format csv\n  pcn --database {db} network set U90009 --clinical-director \"Dr New\" --effective-from 2026-07-01\n  pcn --database {db} pay --year 2026-27 --pcn U90001\n  pcn --database {db} pay --year 2026-27 --pcn U90001 --explain enhanced-access\n  pcn --database {db} pay --year 2026-27 --format xlsx --out demo-pay.xlsx"
    );
    if !serve {
        return Ok(ExitCode::SUCCESS);
    }
    let args = crate::web::ServeArgs {
        listen,
        secure_cookies: None,
        max_upload_mb: 64,
        rules: None,
    };
    let state = crate::web::build_state(&db.to_string(), &args).await?;
    println!("\nThe web app, on the demo data. Log in as any of these, password {password}:");
    for (name, role, scope, _) in DEMO_ACCOUNTS {
        println!("  {name:<13} {role} for {scope}");
    }
    println!("(Ctrl-C stops the server; `pcn demo --no-serve` builds the database only.)");
    crate::web::serve(state, listen).await?;
    Ok(ExitCode::SUCCESS)
}
