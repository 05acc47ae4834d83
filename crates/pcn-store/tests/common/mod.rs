//! What the store's tests share: a store on each engine (SQLite always;
//! PostgreSQL when `PCN_TEST_POSTGRES_URL` names a server, which scripts/test
//! sets; under CI a missing PostgreSQL is a failure, not a skip), and dates.
#![allow(dead_code, unused_macros, unused_imports)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use pcn_store::Store;

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// U89141's clinical director `name` from `effective_from` (`yyyy-mm-dd`).
pub fn clinical_director(name: &str, effective_from: &str) -> pcn_core::GovernanceFact {
    pcn_core::GovernanceFact {
        pcn: pcn_core::PcnCode::parse("U89141").unwrap(),
        field: pcn_core::GovernanceField::ClinicalDirector,
        value: name.into(),
        effective_from: d(effective_from),
    }
}

/// A fixed moment, `minutes` after noon on 23 November 2026.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

/// A fresh SQLite store in a temporary folder (kept alive by the guard).
pub async fn sqlite() -> (Store, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pcn.sqlite").display().to_string();
    (Store::open(&path).await.unwrap(), dir, path)
}

/// The URL of a fresh PostgreSQL database, or `None` when no server is given.
pub async fn postgres_url(label: &str) -> Option<String> {
    pcn_store::testing::postgres_url(label).await
}

/// Runs `check` on a fresh SQLite store, then on a fresh PostgreSQL one.
macro_rules! on_both_engines {
    ($label:literal, $check:path) => {{
        let (store, _dir, _) = common::sqlite().await;
        $check(&store).await;
        if let Some(url) = common::postgres_url($label).await {
            let store = pcn_store::Store::open(&url).await.unwrap();
            assert_eq!(store.backend(), pcn_store::Backend::Postgres);
            $check(&store).await;
        }
    }};
}
pub(crate) use on_both_engines;

/// A census record of U89141: `person` in `role` at `fte`, in NHS region `region`.
pub fn record(
    census: &str,
    role: &str,
    fte: &str,
    person: &str,
    region: &str,
) -> pcn_core::facts::WorkforceFact {
    pcn_core::facts::WorkforceFact {
        pcn: pcn_core::PcnCode::parse("U89141").unwrap(),
        census: d(census),
        data_source: "NWRS Staff".into(),
        staff_group: "Direct Patient Care".into(),
        staff_role: role.into(),
        detailed_role: String::new(),
        fte: fte.parse().unwrap(),
        person: person.into(),
        region: Some(region.into()),
    }
}

/// Imports `records` as a workforce census file whose digest is `sha`,
/// seeding rosters with the built-in rules.
pub async fn import_census(
    store: &Store,
    sha: &str,
    records: Vec<pcn_core::facts::WorkforceFact>,
) -> pcn_store::Result<pcn_store::ImportOutcome> {
    let facts = pcn_core::facts::FactBatch {
        workforce: records,
        ..Default::default()
    };
    let import = pcn_store::NewImport {
        sha256: sha,
        file_name: "census.csv",
        kind: pcn_core::facts::SourceKind::PcnWorkforce,
        data_date: d("2026-06-30"),
        rows_read: facts.workforce.len() as u64,
        imported_at: at(0),
        imported_by: "tester",
    };
    let rules = pcn_core::rulebook::Rulebook::embedded().unwrap();
    store.write_import(&import, &facts, &rules).await
}
