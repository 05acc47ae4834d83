//! `pcn demo`: builds the demo database and runs the checks on it.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use pcn_core::checks::{self, CheckConfig, Scope};
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
    store.write_import(&import, &facts).await?;
    Ok(store)
}

pub async fn run(path: &Path, actor: &str) -> Result<ExitCode> {
    let store = build(path, actor).await?;
    let registry = Registry::new(store.load_facts().await?);
    store.close().await;
    let (_, july) = demo_dates();
    let report = checks::run(
        &registry.at(july),
        &CheckConfig::default(),
        &Scope::default(),
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
    Ok(ExitCode::SUCCESS)
}
