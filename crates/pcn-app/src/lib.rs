//! pcn's use cases: what the command line and the web app both do, each one
//! function over the store and the pure core. Neither front end imports the
//! other; both call this crate, and render what it returns.
//!
//! - [`App`]: the store and the rulebook every use case works with;
//! - [`registry`]: load the registry (from the store's cache), a network or a
//!   practice as at a date;
//! - [`checks`]: the DES network checks for a scope, filtered;
//! - [`pay`]: a year's payment run, with the recorded agreements and assessments;
//! - [`reconcile`]: a year's statements against what was paid (the payments
//!   file, or networks' remittances), with the cause of every difference;
//! - [`governance`]: governance facts, distribution agreements, assessments;
//! - [`membership`]: a practice joins, moves to or leaves a network, recorded
//!   by hand;
//! - [`appointments`]: appointments against the 2019 pledge for England, a
//!   commissioner, a network (with its ARRS staff beside) or a practice;
//! - [`arrs`]: posts, terms, payroll actuals, claims, a network's ARRS year,
//!   plans and the national report;
//! - [`plan`]: proposed networks for a commissioner or England, and what a
//!   proposal changes in money;
//! - [`imports`]: read an official file and write it in one transaction;
//! - [`services`]: what networks must deliver and whether they do and can:
//!   a network's services, a commissioner's view, what-ifs, requirements,
//!   rounds, care plans, sessions and care home alignments;
//! - [`accounts`]: the web app's accounts and password hashing;
//! - [`rules`]: the rulebook, built in or from a folder.
//!
//! **Invariant:** this crate renders nothing and knows nothing of HTTP or of
//! the command line's flags; input arrives typed (parsed at the edge with the
//! core's parsers) and errors leave as [`Error`], whose kind tells an edge how
//! to answer (a user's mistake, something not found, a conflict, or a fault).

pub mod accounts;
pub mod appointments;
pub mod arrs;
pub mod checks;
pub mod demo;
pub mod governance;
pub mod imports;
pub mod membership;
pub mod pay;
pub mod plan;
pub mod reconcile;
pub mod registry;
pub mod rules;
pub mod services;

mod error;

use std::sync::Arc;

use pcn_core::rulebook::Rulebook;
use pcn_store::Store;

pub use error::{Error, Result};

/// The store and the rulebook one session of work uses: a CLI command, or
/// the web server for its lifetime.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub rulebook: Arc<Rulebook>,
}

impl App {
    /// Opens (creating and migrating when needed) the database at `database`
    /// (an SQLite path or a `postgres://` URL) with this rulebook.
    pub async fn open(database: &str, rulebook: Arc<Rulebook>) -> Result<App> {
        let store = Store::open(database).await.map_err(Error::store)?;
        Ok(App { store, rulebook })
    }

    /// Closes the store's connections.
    pub async fn close(self) {
        self.store.close().await;
    }
}
