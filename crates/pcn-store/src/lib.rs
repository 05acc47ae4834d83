//! pcn's storage: the same schema and the same queries on SQLite (the
//! default, a single file) and PostgreSQL (for multi-user deployments).
//!
//! The store keeps facts, never state: every row says which import it came
//! from, and the registry as at a date is computed by `pcn-core` from all of
//! them. An import is written in one transaction, so it lands whole or not at
//! all; a file whose content hash is already recorded is not written again.
//!
//! Portability rules, kept by every query here: placeholders are `$1, $2 …`
//! (both engines accept them), dates are ISO text, integers are `BIGINT`,
//! aggregates are cast to `BIGINT`, and ids are the database's (`RETURNING
//! id`). Only how an id column is made differs by engine (migration 0008).
//!
//! Writers: many processes may write at once (the CLI beside the server).
//! Every write is one transaction that takes SQLite's write lock first
//! (`BEGIN IMMEDIATE`, waiting up to a busy timeout) and, where two writers
//! of the same thing must not interleave on PostgreSQL, a named lock.
//!
//! Modules by concern: `open` (engines, connection settings, migrations),
//! `imports` (the import log and the registry's facts), `registry` (reading
//! the facts back, with `cache`), `funding` (the funding engine's inputs),
//! `appointments` (GPAD counts, kept out of the registry cache),
//! `governance`, `membership` (membership changes recorded by hand), `agreements` (distribution agreements and assessments),
//! `remittances` (networks' remittance CSVs),
//! `arrs` and `census` (the ARRS roster), `services` (rounds, care plans,
//! access sessions, care home alignments entered one at a time), `web`
//! (accounts and sessions),
//! `login` (throttling),
//! `audit`, and the shared `write` (transactions, inserts) and `rows`
//! (typed getters).

use sqlx::AnyPool;

mod agreements;
mod appointments;
mod arrs;
mod audit;
mod cache;
mod census;
mod error;
mod funding;
mod governance;
mod imports;
mod login;
mod membership;
mod open;
mod registry;
mod remittances;
mod rows;
mod services;
mod web;
mod write;

pub mod testing;

pub use agreements::{Assessment, DistributionAgreement};
pub use appointments::{AppointmentAreas, AppointmentHoldings};
pub use audit::{AuditChange, AuditEntry};
pub use error::{BoxError, Error, ErrorKind, Result};
pub use imports::{ImportOutcome, ImportRecord, NewImport};
pub use login::{LoginAttempt, LoginGate, LoginLimits};
pub use membership::RecordedMembershipChange;
pub use open::{database_url, sqlite_path};
pub use web::{check_username, DataVersion, StoredAccount, StoredSession};

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to a migrated pcn database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite: a connection of its own for checkpoints ([`Store::checkpoint`]),
    /// opened when first used, so one never holds up the pool's.
    checkpoints: Option<AnyPool>,
}

/// The tables of facts and logs (`registry_cache` is derived, so not listed).
const TABLES: [&str; 31] = [
    "import_log",
    "practice_fact",
    "network_fact",
    "membership_interval",
    "membership_observation",
    "list_size",
    "governance_fact",
    "population_fact",
    "care_home_fact",
    "care_home_alignment",
    "iif_achievement",
    "iif_points",
    "distribution_agreement",
    "assessment",
    "payment_actual",
    "remittance",
    "appointment_table",
    "appointment_block",
    "national_appointment",
    "care_home_round",
    "care_plan",
    "access_session",
    "care_home_alignment_entry",
    "arrs_post",
    "arrs_terms",
    "arrs_cost",
    "arrs_claim",
    "web_user",
    "web_session",
    "login_attempt",
    "audit_log",
];

impl Store {
    /// Row counts of the fact tables, for `pcn status`.
    pub async fn table_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut counts = Vec::new();
        for table in TABLES {
            let row = sqlx::query(&format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"
            ))
            .fetch_one(&self.pool)
            .await?;
            counts.push((table, rows::Columns::new(&row, table).int("n")?));
        }
        Ok(counts)
    }
}
