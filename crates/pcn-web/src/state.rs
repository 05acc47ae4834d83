//! The server's state: the store, the rulebook, and the registry, checks,
//! service records and payment runs computed from the store and kept in memory until the data
//! changes (through the app, or through the CLI in another process, seen by
//! polling the store's data version).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use chrono::NaiveDate;
use pcn_app::App;
use pcn_core::access::Account;
use pcn_core::arrs::{Budget, Post};
use pcn_core::checks::{self, CheckConfig, Report, Scope as CheckScope};
use pcn_core::funding::PayRun;
use pcn_core::payrun::{arrs_sum, RunOptions, Selection};
use pcn_core::registry::{Registry, Snapshot};
use pcn_core::rulebook::{FinancialYear, Rulebook};
use pcn_core::PcnCode;
use pcn_store::Store;

/// A payment run of one year, with each network's place in it.
pub struct YearRun {
    pub run: PayRun,
    pub by_pcn: HashMap<PcnCode, usize>,
}

impl YearRun {
    pub fn network(&self, code: &PcnCode) -> Option<&pcn_core::funding::NetworkPay> {
        self.by_pcn.get(code).map(|i| &self.run.networks[*i])
    }
}

/// Everything computed from the store at one data version.
pub struct Data {
    /// The store's fact version this was computed at.
    pub version: (i64, i64),
    pub registry: Registry,
    /// The date the pages describe: the latest date the registry knows.
    pub as_at: NaiveDate,
    pub snapshot: Snapshot,
    pub report: Report,
    /// Findings per network and per practice (indexes into `report.findings`).
    pub findings_by_pcn: HashMap<PcnCode, Vec<usize>>,
    pub findings_by_practice: HashMap<pcn_core::PracticeCode, Vec<usize>>,
    /// The financial year pages show by default.
    pub year: FinancialYear,
    /// The service records in force (rounds, care plans, sessions).
    pub services: pcn_core::services::ServiceRecords,
    runs: Mutex<HashMap<FinancialYear, Arc<YearRun>>>,
}

impl Data {
    /// The networks a practice belongs to, as at the pages' date.
    pub fn networks_of(
        &self,
        practice: &pcn_core::PracticeCode,
    ) -> Vec<&pcn_core::registry::NetworkView> {
        self.snapshot
            .practices
            .get(practice)
            .map(|p| {
                p.networks
                    .iter()
                    .filter_map(|n| self.snapshot.networks.get(n))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One form's single-use token, bound to the session that rendered it.
pub struct FormToken {
    pub session: String,
    pub issued: Instant,
}

/// An upload parsed and waiting for the admin to commit or discard it.
pub struct StagedImport {
    pub owner: i64,
    pub file_name: String,
    pub sha256: String,
    pub staged: Instant,
    pub parsed: pcn_import::ParsedFile,
}

/// A session as the server keeps it between requests.
#[derive(Clone)]
pub struct Session {
    pub token_sha256: String,
    pub account: Account,
    pub csrf_token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

pub struct Inner {
    /// The use cases; `store` and `rulebook` are the app's, for short.
    pub app: App,
    pub store: Store,
    pub rulebook: std::sync::Arc<Rulebook>,
    pub data: RwLock<Arc<Data>>,
    /// Held while refreshing; holds the account version last seen.
    reload: tokio::sync::Mutex<i64>,
    pub sessions: RwLock<HashMap<String, Session>>,
    pub forms: Mutex<HashMap<String, FormToken>>,
    pub staged: Mutex<HashMap<String, StagedImport>>,
    /// Failed logins per client address: (count, window start).
    pub client_failures: Mutex<HashMap<String, (u32, Instant)>>,
    pub secure_cookies: bool,
    /// Largest upload accepted, in bytes.
    pub max_upload: usize,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

fn lock_err<T>(_: T) -> anyhow::Error {
    anyhow!("a lock was poisoned by an earlier panic")
}

impl AppState {
    pub async fn new(app: App, secure_cookies: bool, max_upload: usize) -> Result<AppState> {
        let (store, rulebook) = (app.store.clone(), app.rulebook.clone());
        let accounts = store.data_version().await?.accounts;
        let data = load_data(&store, &rulebook).await?;
        Ok(AppState(Arc::new(Inner {
            app,
            store,
            rulebook,
            data: RwLock::new(Arc::new(data)),
            reload: tokio::sync::Mutex::new(accounts),
            sessions: RwLock::new(HashMap::new()),
            forms: Mutex::new(HashMap::new()),
            staged: Mutex::new(HashMap::new()),
            client_failures: Mutex::new(HashMap::new()),
            secure_cookies,
            max_upload,
        })))
    }

    /// The data as now computed.
    pub fn data(&self) -> Result<Arc<Data>> {
        Ok(self.data.read().map_err(lock_err)?.clone())
    }

    /// Recomputes the data when the facts in the store have changed since it
    /// was computed, and forgets cached sessions when an account has changed.
    pub async fn refresh(&self) -> Result<()> {
        let mut accounts_seen = self.reload.lock().await;
        let version = self.store.data_version().await?;
        if version.accounts != *accounts_seen {
            // An account disabled or re-passworded (perhaps by the CLI) has
            // lost its sessions in the store: forget the cached ones, so each
            // is read again from the store on its next request.
            self.sessions.write().map_err(lock_err)?.clear();
            *accounts_seen = version.accounts;
        }
        if self.data()?.version != version.facts {
            let data = load_data(&self.store, &self.rulebook).await?;
            *self.data.write().map_err(lock_err)? = Arc::new(data);
        }
        Ok(())
    }

    /// The payment run of a year, computed once per data version.
    pub async fn year_run(
        &self,
        data: &Arc<Data>,
        year: FinancialYear,
    ) -> Result<Arc<YearRun>, crate::error::AppError> {
        if self.rulebook.financial_year(year).is_err() {
            let years: Vec<String> = self
                .rulebook
                .years()
                .map(|y| y.financial_year.to_string())
                .collect();
            return Err(crate::error::AppError::NotFound(format!(
                "There are no rules for {year}; the rulebook has {}.",
                years.join(", ")
            )));
        }
        Ok(self.computed_year_run(data, year).await?)
    }

    async fn computed_year_run(
        &self,
        data: &Arc<Data>,
        year: FinancialYear,
    ) -> Result<Arc<YearRun>> {
        if let Some(run) = data.runs.lock().map_err(lock_err)?.get(&year) {
            return Ok(run.clone());
        }
        let (agreements, assessments) = self.app.recorded_for(year).await?;
        let rulebook = self.rulebook.clone();
        let data2 = data.clone();
        let run = tokio::task::spawn_blocking(move || -> Result<YearRun> {
            let options = RunOptions {
                agreements,
                assessments,
                ..RunOptions::default()
            };
            let run = pcn_app::pay::build_run(
                &rulebook,
                &data2.registry,
                year,
                &Selection::all(),
                &options,
            )?;
            let by_pcn = run
                .networks
                .iter()
                .enumerate()
                .map(|(i, n)| (n.statement.pcn.clone(), i))
                .collect();
            Ok(YearRun { run, by_pcn })
        })
        .await
        .context("the payment run stopped")??;
        let run = Arc::new(run);
        data.runs
            .lock()
            .map_err(lock_err)?
            .insert(year, run.clone());
        Ok(run)
    }

    /// A network's ARRS year: its posts and the budget as at `as_at`.
    pub async fn arrs_year(
        &self,
        data: &Arc<Data>,
        code: &PcnCode,
        year: FinancialYear,
        as_at: NaiveDate,
    ) -> Result<(Vec<Post>, Budget), crate::error::AppError> {
        let run = self.year_run(data, year).await?;
        let sum = run.network(code).and_then(|n| arrs_sum(&n.statement));
        let year = self.app.network_year_with_sum(code, year, sum).await?;
        let budget = year.budget(&self.rulebook, as_at, &year.posts)?;
        Ok((year.posts, budget))
    }

    /// Forgets single-use form tokens and staged uploads older than `max_age`.
    pub fn sweep(&self, max_age: Duration) {
        if let Ok(mut forms) = self.forms.lock() {
            forms.retain(|_, f| f.issued.elapsed() < max_age);
        }
        if let Ok(mut staged) = self.staged.lock() {
            staged.retain(|_, s| s.staged.elapsed() < max_age);
        }
        if let Ok(mut failures) = self.client_failures.lock() {
            failures.retain(|_, (_, since)| since.elapsed() < max_age);
        }
        if let Ok(mut sessions) = self.sessions.write() {
            let now = chrono::Utc::now();
            sessions.retain(|_, s| s.expires_at > now);
        }
    }
}

/// The date a year's ARRS budget is shown as at: today within the year,
/// else the year's last day.
pub fn budget_date(year: FinancialYear) -> NaiveDate {
    let today = chrono::Local::now().date_naive();
    if year.contains(today) {
        today
    } else {
        year.end()
    }
}

async fn load_data(store: &Store, rulebook: &Rulebook) -> Result<Data> {
    let version = store.data_version().await?.facts;
    let mut facts = store.load_facts().await?;
    let services = std::mem::take(&mut facts.services);
    let today = chrono::Local::now().date_naive();
    let default_year = FinancialYear::containing(today);
    let year = if rulebook.financial_year(default_year).is_ok() {
        default_year
    } else {
        rulebook
            .years()
            .last()
            .map_or(default_year, |y| y.financial_year)
    };
    tokio::task::spawn_blocking(move || -> Result<Data> {
        let registry = Registry::new(facts);
        let services = services.current();
        let as_at = registry.latest_date().unwrap_or(today);
        let snapshot = registry.at(as_at);
        let report = checks::run(&snapshot, &CheckConfig::default(), &CheckScope::default());
        let mut findings_by_pcn: HashMap<PcnCode, Vec<usize>> = HashMap::new();
        let mut findings_by_practice: HashMap<pcn_core::PracticeCode, Vec<usize>> = HashMap::new();
        for (i, f) in report.findings.iter().enumerate() {
            if let Some(p) = &f.pcn {
                findings_by_pcn.entry(p.clone()).or_default().push(i);
            }
            if let Some(p) = &f.practice {
                findings_by_practice.entry(p.clone()).or_default().push(i);
            }
        }
        Ok(Data {
            version,
            registry,
            as_at,
            snapshot,
            report,
            findings_by_pcn,
            findings_by_practice,
            year,
            services,
            runs: Mutex::new(HashMap::new()),
        })
    })
    .await
    .context("computing the registry stopped")?
}
