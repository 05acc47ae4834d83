//! The server's state: the store, the rulebook, and the registry, checks,
//! service records and payment runs computed from the store and kept in memory until the data
//! changes (through the app, or through the CLI in another process, seen by
//! polling the store's data version).
//!
//! Each network's ARRS year (roster, payroll actuals, claims and the budget
//! worked out from them) is computed on first request and kept, stamped with
//! the network's change count: an edit through this server bumps the count
//! of that network at once, so the next request recomputes that network
//! alone (a millisecond or two) and every other network keeps its figures.
//! Edits by the command line in another process are found by the poll, from
//! the audit rows of ARRS changes since the last one seen; when the count of
//! such rows says one was missed (a transaction that committed out of id
//! order), every network's ARRS year is recomputed on its next request.
//!
//! A change to one network's governance, distribution agreement or
//! assessment (through this server, or the command line, found by the same
//! kind of feed over the audit rows of facts) is applied to that network
//! alone: the registry, the snapshot and the checks with its governance
//! replaced, and its statement worked out again in each payment run held,
//! in the year's kept context ([`pcn_core::payrun::YearContext`]); every
//! other network's figures are shared with the data before. A membership
//! change recorded by hand is applied the same way to the practice and the
//! networks it left or joined ([`Data::with_membership`]), the year's
//! context worked out again for that practice. Anything else (an import,
//! service records, an alignment, a row the feed missed) recomputes the
//! data as a whole.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use chrono::NaiveDate;
use pcn_app::reconcile::Against;
use pcn_app::App;
use pcn_core::access::Account;
use pcn_core::arrs::{Budget, Post};
use pcn_core::checks::{self, CheckConfig, Finding, Report, Scope as CheckScope};
use pcn_core::facts::GovernanceFact;
use pcn_core::funding::PayRun;
use pcn_core::payrun::{arrs_sum, RunOptions, Selection, YearContext};
use pcn_core::reconcile::{NetworkReconciliation, Reconciliation};
use pcn_core::registry::{Registry, Snapshot};
use pcn_core::rulebook::{FinancialYear, Rulebook};
use pcn_core::{PcnCode, PracticeCode};
use pcn_store::Store;

/// A payment run of one year, with each network's place in it and what it
/// was worked out from, so that one network can be worked out again.
pub struct YearRun {
    pub run: PayRun,
    /// Shared: a network worked out again keeps its place.
    pub by_pcn: Arc<HashMap<PcnCode, usize>>,
    context: Arc<YearContext>,
    options: RunOptions,
}

impl YearRun {
    pub fn network(&self, code: &PcnCode) -> Option<&Arc<pcn_core::funding::NetworkPay>> {
        self.by_pcn.get(code).map(|i| &self.run.networks[*i])
    }

    /// The run with `changed` networks worked out again on `registry` and
    /// `options` (a network that now has members joins the run in its
    /// place, one that has none leaves it); `None` when one cannot be (its
    /// inputs are refused), so the run must be worked out whole.
    fn with_networks(
        &self,
        rulebook: &Rulebook,
        registry: &Registry,
        changed: &BTreeSet<PcnCode>,
        options: RunOptions,
    ) -> Option<YearRun> {
        let year = self.run.financial_year;
        let rules = rulebook.financial_year(year).ok()?;
        let previous = rulebook.financial_year(year.previous()).ok();
        // Cheap: the networks are shared.
        let mut run = self.run.clone();
        let mut moved = false;
        for pcn in changed {
            let pay = self
                .context
                .network_pay(registry, rules, previous, pcn, &options)
                .ok()?;
            let at = run.networks.binary_search_by(|n| n.statement.pcn.cmp(pcn));
            match (pay, at) {
                (Some(pay), Ok(i)) => run.networks[i] = Arc::new(pay),
                (Some(pay), Err(i)) => {
                    run.networks.insert(i, Arc::new(pay));
                    moved = true;
                }
                (None, Ok(i)) => {
                    run.networks.remove(i);
                    moved = true;
                }
                (None, Err(_)) => {}
            }
        }
        let by_pcn = match moved {
            false => self.by_pcn.clone(),
            true => Arc::new(places(&run)),
        };
        Some(YearRun {
            run,
            by_pcn,
            context: self.context.clone(),
            options,
        })
    }

    /// The run after a change of `practice`'s membership, which `registry`
    /// holds: the context worked out again for the practice, and the
    /// networks it names in it; with those networks. `None` when the run
    /// must be worked out whole.
    fn with_membership_of(
        &self,
        rulebook: &Rulebook,
        registry: &Registry,
        practice: &PracticeCode,
    ) -> Option<(YearRun, BTreeSet<PcnCode>)> {
        let (context, changed) = self.context.with_membership_of(registry, practice)?;
        let in_context = YearRun {
            run: self.run.clone(),
            by_pcn: self.by_pcn.clone(),
            context: Arc::new(context),
            options: self.options.clone(),
        };
        let run = in_context.with_networks(rulebook, registry, &changed, self.options.clone())?;
        Some((run, changed))
    }
}

/// Each network's place in a run (the run is in order of code).
fn places(run: &PayRun) -> HashMap<PcnCode, usize> {
    run.networks
        .iter()
        .enumerate()
        .map(|(i, n)| (n.statement.pcn.clone(), i))
        .collect()
}

/// A year's reconciliation of every network against one source of what was
/// paid, with each network's place in it.
pub struct YearReconciliation {
    pub reconciliation: Reconciliation,
    pub by_pcn: HashMap<PcnCode, usize>,
}

impl YearReconciliation {
    pub fn network(&self, code: &PcnCode) -> Option<&NetworkReconciliation> {
        self.by_pcn
            .get(code)
            .map(|i| &self.reconciliation.networks[*i])
    }
}

/// Reconciliations per year and source; `None` when nothing paid is held.
type Reconciliations = HashMap<(FinancialYear, Against), Option<Arc<YearReconciliation>>>;

/// Everything computed from the store at one data version.
pub struct Data {
    /// The store's fact version this was computed at.
    pub version: (i64, i64),
    pub registry: Registry,
    /// The date the pages describe: the latest date the registry knows.
    pub as_at: NaiveDate,
    pub snapshot: Snapshot,
    pub report: Report,
    /// The report's findings per network and per practice.
    pub findings: FindingsIndex,
    /// The financial year pages show by default.
    pub year: FinancialYear,
    /// The service records in force (rounds, care plans, sessions).
    pub services: Arc<pcn_core::services::ServiceRecords>,
    runs: Mutex<HashMap<FinancialYear, Arc<YearRun>>>,
    /// Each network's ARRS year, as last computed.
    arrs: Mutex<HashMap<(PcnCode, FinancialYear), Arc<ArrsYear>>>,
    /// One gate per network and year: after an edit, one request reads the
    /// network's ARRS year again and the others wait for it, instead of every
    /// concurrent request reading the store at once.
    arrs_loading: Mutex<HashMap<(PcnCode, FinancialYear), Gate>>,
    reconciliations: Mutex<Reconciliations>,
}

/// An async lock that lets one request at a time do a piece of work.
type Gate = Arc<tokio::sync::Mutex<()>>;

/// A network's ARRS year as the pages show it: what the store holds for it
/// and the budget as at a date.
pub struct ArrsYear {
    pub year: pcn_app::arrs::NetworkYear,
    pub budget: Budget,
    pub as_at: NaiveDate,
    /// The year's claim lines of every post, so a post added through the
    /// server adds only its own lines: the lines as read, then one piece per
    /// post added since (shared, so keeping them copies no line).
    lines: Vec<Arc<[pcn_core::arrs::MonthClaim]>>,
    /// The network's change stamp when it was read from the store.
    stamp: (u64, u64),
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
                    .filter_map(|n| self.snapshot.networks.get(n).map(|n| &**n))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A change the feed of fact changes names: one network's, which the data
/// takes in for that network alone.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NetworkChange {
    /// A governance fact (`pcn network set`).
    Governance(PcnCode),
    /// A distribution agreement or an assessment of a year.
    Recorded(PcnCode, FinancialYear),
    /// A membership change recorded by hand (`pcn network move`): the
    /// practice's, and through it its networks'.
    Membership(PracticeCode),
}

impl NetworkChange {
    /// The change an audit row records, if it is one network's.
    fn of(change: &pcn_store::AuditChange) -> Option<NetworkChange> {
        if change.entity == "practice" && change.action == "move" {
            return PracticeCode::parse(&change.entity_key)
                .ok()
                .map(NetworkChange::Membership);
        }
        if change.entity != "network" {
            return None;
        }
        let mut words = change.entity_key.split_whitespace();
        let pcn = PcnCode::parse(words.next()?).ok()?;
        let (second, third) = (words.next()?, words.next());
        if words.next().is_some() {
            return None;
        }
        match (change.action.as_str(), third) {
            // "U00001 clinical_director"
            ("set", None) => Some(NetworkChange::Governance(pcn)),
            // "U00001 distribution 2025-26", "U00001 capacity-and-access 2025-26"
            ("set", Some(year)) if second == "distribution" => {
                Some(NetworkChange::Recorded(pcn, year.parse().ok()?))
            }
            ("assess", Some(year)) => Some(NetworkChange::Recorded(pcn, year.parse().ok()?)),
            _ => None,
        }
    }

    /// The network changed, for a change of one network's.
    fn pcn(&self) -> Option<&PcnCode> {
        match self {
            NetworkChange::Governance(pcn) | NetworkChange::Recorded(pcn, _) => Some(pcn),
            NetworkChange::Membership(_) => None,
        }
    }
}

impl Data {
    /// The same data, as at the store's `version` (every change since
    /// already in it).
    fn at_version(&self, version: (i64, i64)) -> Result<Data> {
        Ok(Data {
            version,
            registry: self.registry.clone(),
            as_at: self.as_at,
            snapshot: self.snapshot.clone(),
            report: self.report.clone(),
            findings: self.findings.clone(),
            year: self.year,
            services: self.services.clone(),
            runs: Mutex::new(self.runs.lock().map_err(lock_err)?.clone()),
            arrs: Mutex::new(self.arrs.lock().map_err(lock_err)?.clone()),
            arrs_loading: Mutex::new(HashMap::new()),
            reconciliations: Mutex::new(self.reconciliations.lock().map_err(lock_err)?.clone()),
        })
    }

    /// This data after changes to some networks: `governance` holds each
    /// changed network's governance facts as the store now has them,
    /// `options` the recorded agreements and assessments of each year whose
    /// run is held. Every other network's figures are shared with `self`.
    fn changed(
        &self,
        rulebook: &Rulebook,
        version: (i64, i64),
        governance: BTreeMap<PcnCode, Vec<GovernanceFact>>,
        changed: &BTreeSet<PcnCode>,
        mut options: HashMap<FinancialYear, RunOptions>,
    ) -> Result<Data> {
        let mut registry = self.registry.clone();
        let mut snapshot: Option<Snapshot> = None;
        let mut report: Option<Report> = None;
        let mut every_network = false;
        for (pcn, facts) in governance {
            let next_registry = registry.with_governance_of(&pcn, facts);
            let before = snapshot.as_ref().unwrap_or(&self.snapshot);
            let next = before.with_governance(&pcn, next_registry.governance_at(&pcn, self.as_at));
            let previous = report.as_ref().unwrap_or(&self.report);
            let rechecked = checks::recheck_network(previous, before, &next, &pcn);
            every_network |= rechecked.every_network;
            report = Some(rechecked.report);
            registry = next_registry;
            snapshot = Some(next);
        }
        let snapshot = snapshot.unwrap_or_else(|| self.snapshot.clone());
        let report = report.unwrap_or_else(|| self.report.clone());
        let mut runs = HashMap::new();
        for (year, run) in self.runs.lock().map_err(lock_err)?.iter() {
            let options = options.remove(year).unwrap_or_else(|| run.options.clone());
            // A run that cannot be worked out in part is left out, to be
            // worked out whole on its next request.
            if let Some(run) = run.with_networks(rulebook, &registry, changed, options) {
                runs.insert(*year, Arc::new(run));
            }
        }
        // Neither the ARRS Sum nor a roster depends on governance, an
        // agreement or an assessment.
        let arrs = self.arrs.lock().map_err(lock_err)?.clone();
        let findings = if every_network {
            FindingsIndex::of(&report)
        } else {
            self.findings
                .with_changes(&self.report, &report, changed, &BTreeSet::new())
        };
        let checked = (registry, snapshot, report, findings);
        Ok(self.after(version, checked, runs, arrs))
    }
}

/// The payment runs held, by year.
type Runs = HashMap<FinancialYear, Arc<YearRun>>;
/// The ARRS years held, by network and year.
type ArrsYears = HashMap<(PcnCode, FinancialYear), Arc<ArrsYear>>;

impl Data {
    /// The data at `version` after a change worked out in part: the
    /// registry, snapshot, report and findings index `checked` gives, the
    /// runs and ARRS years kept; the pages' date, year and services are
    /// this data's, and reconciliations are worked out again when asked.
    fn after(
        &self,
        version: (i64, i64),
        checked: (Registry, Snapshot, Report, FindingsIndex),
        runs: Runs,
        arrs: ArrsYears,
    ) -> Data {
        let (registry, snapshot, report, findings) = checked;
        Data {
            version,
            registry,
            as_at: self.as_at,
            snapshot,
            report,
            findings,
            year: self.year,
            services: self.services.clone(),
            runs: Mutex::new(runs),
            arrs: Mutex::new(arrs),
            arrs_loading: Mutex::new(HashMap::new()),
            reconciliations: Mutex::new(HashMap::new()),
        }
    }

    /// This data after a change of `practice`'s membership: `changes` are
    /// its membership changes recorded by hand as the store now has them.
    /// The practice, the networks it left or joined, the commissioners'
    /// coverage and those networks' statements in each run held are worked
    /// out again; every other network's figures are shared with `self`. A
    /// run the change reaches whole (the national mean list moved) is left
    /// out, to be worked out whole on its next request, and so are the ARRS
    /// years whose Sum it may have moved.
    fn with_membership(
        &self,
        rulebook: &Rulebook,
        version: (i64, i64),
        practice: &PracticeCode,
        changes: Vec<pcn_core::facts::MembershipChange>,
    ) -> Result<Data> {
        let registry = self.registry.with_membership_changes_of(practice, changes);
        let (snapshot, networks) = self.snapshot.with_membership_of(&registry, practice);
        let practices = BTreeSet::from([practice.clone()]);
        let rechecked = checks::recheck(
            &self.report,
            &self.snapshot,
            &snapshot,
            &networks,
            &practices,
        );
        let report = rechecked.report;
        let findings = match rechecked.every_network {
            true => FindingsIndex::of(&report),
            false => self
                .findings
                .with_changes(&self.report, &report, &networks, &practices),
        };
        let mut runs = HashMap::new();
        let mut moved: HashMap<FinancialYear, BTreeSet<PcnCode>> = HashMap::new();
        for (year, run) in self.runs.lock().map_err(lock_err)?.iter() {
            if let Some((run, changed)) = run.with_membership_of(rulebook, &registry, practice) {
                runs.insert(*year, Arc::new(run));
                moved.insert(*year, changed);
            }
        }
        // An ARRS year is kept when its year's run is kept and its network's
        // Sum did not move.
        let mut arrs = self.arrs.lock().map_err(lock_err)?.clone();
        arrs.retain(|(pcn, year), _| moved.get(year).is_some_and(|c| !c.contains(pcn)));
        let checked = (registry, snapshot, report, findings);
        Ok(self.after(version, checked, runs, arrs))
    }
}

/// Findings, shared.
type Findings = Arc<[Arc<Finding>]>;

/// A report's findings per network and per practice, each in report order.
#[derive(Clone, Default)]
pub struct FindingsIndex {
    by_pcn: HashMap<PcnCode, Findings>,
    by_practice: HashMap<PracticeCode, Findings>,
}

impl FindingsIndex {
    fn of(report: &Report) -> FindingsIndex {
        let mut by_pcn: HashMap<PcnCode, Vec<Arc<Finding>>> = HashMap::new();
        let mut by_practice: HashMap<PracticeCode, Vec<Arc<Finding>>> = HashMap::new();
        for f in &report.findings {
            if let Some(p) = &f.pcn {
                by_pcn.entry(p.clone()).or_default().push(f.clone());
            }
            if let Some(p) = &f.practice {
                by_practice.entry(p.clone()).or_default().push(f.clone());
            }
        }
        FindingsIndex {
            by_pcn: by_pcn.into_iter().map(|(k, v)| (k, v.into())).collect(),
            by_practice: by_practice
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect(),
        }
    }

    /// The index of `report`, which differs from `before` (this index's
    /// report) only in findings naming a network in `networks` or a
    /// practice in `practices`: the entries of every network and practice
    /// such findings name are made again; every other entry is shared.
    fn with_changes(
        &self,
        before: &Report,
        report: &Report,
        networks: &BTreeSet<PcnCode>,
        practices: &BTreeSet<PracticeCode>,
    ) -> FindingsIndex {
        let touched = |f: &&Arc<Finding>| {
            f.pcn.as_ref().is_some_and(|p| networks.contains(p))
                || f.practice.as_ref().is_some_and(|p| practices.contains(p))
        };
        let mut by_pcn: HashMap<&PcnCode, Vec<Arc<Finding>>> =
            networks.iter().map(|p| (p, Vec::new())).collect();
        let mut by_practice: HashMap<&PracticeCode, Vec<Arc<Finding>>> =
            practices.iter().map(|p| (p, Vec::new())).collect();
        for f in before
            .findings
            .iter()
            .chain(&report.findings)
            .filter(touched)
        {
            if let Some(p) = &f.pcn {
                by_pcn.entry(p).or_default();
            }
            if let Some(p) = &f.practice {
                by_practice.entry(p).or_default();
            }
        }
        for f in &report.findings {
            if let Some(list) = f.pcn.as_ref().and_then(|p| by_pcn.get_mut(p)) {
                list.push(f.clone());
            }
            if let Some(list) = f.practice.as_ref().and_then(|p| by_practice.get_mut(p)) {
                list.push(f.clone());
            }
        }
        let mut next = self.clone();
        for (code, list) in by_pcn {
            match list.is_empty() {
                true => next.by_pcn.remove(code),
                false => next.by_pcn.insert(code.clone(), list.into()),
            };
        }
        for (code, list) in by_practice {
            match list.is_empty() {
                true => next.by_practice.remove(code),
                false => next.by_practice.insert(code.clone(), list.into()),
            };
        }
        next
    }

    /// The findings naming a network.
    pub fn of_network(&self, pcn: &PcnCode) -> &[Arc<Finding>] {
        self.by_pcn.get(pcn).map_or(&[], |f| f)
    }

    /// The findings naming a practice.
    pub fn of_practice(&self, code: &PracticeCode) -> &[Arc<Finding>] {
        self.by_practice.get(code).map_or(&[], |f| f)
    }
}

/// One form's single-use token, bound to the session that rendered it and
/// to the form's action.
pub struct FormToken {
    pub session: String,
    /// The path the form posts to.
    pub action: String,
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
    /// Held while a change is worked into the data as it now is and the
    /// result put in its place (not while the store is read), so two
    /// changes taken in at once cannot each replace the other's.
    apply: tokio::sync::Mutex<()>,
    pub sessions: RwLock<HashMap<String, Session>>,
    pub forms: Mutex<HashMap<String, FormToken>>,
    pub staged: Mutex<HashMap<String, StagedImport>>,
    /// One permit: uploads are parsed one at a time.
    pub parsing: tokio::sync::Semaphore,
    pub secure_cookies: bool,
    /// Largest upload accepted, in bytes.
    pub max_upload: usize,
    /// How many times each network's ARRS data has changed, as this server
    /// knows; a kept `ArrsYear` is good while its stamp is
    /// `(arrs_epoch, arrs_changes[network])`.
    arrs_changes: Mutex<HashMap<PcnCode, u64>>,
    /// Bumped when every network's ARRS data must be read again.
    arrs_epoch: AtomicU64,
    /// The ARRS change feed: the newest audit id read, and how many ARRS
    /// audit rows (`DataVersion::arrs`) are accounted for.
    arrs_feed: tokio::sync::Mutex<(i64, i64)>,
    /// The fact change feed: the newest audit id the data accounts for
    /// (the rows it counts are `Data::version`).
    facts_feed: tokio::sync::Mutex<i64>,
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

/// Keeps `value` under `key` in one of the data version's caches and hands
/// it back.
fn keep<K: Eq + std::hash::Hash, V: Clone>(
    cache: &Mutex<HashMap<K, V>>,
    key: K,
    value: V,
) -> Result<V> {
    cache.lock().map_err(lock_err)?.insert(key, value.clone());
    Ok(value)
}

impl AppState {
    pub async fn new(app: App, secure_cookies: bool, max_upload: usize) -> Result<AppState> {
        let (store, rulebook) = (app.store.clone(), app.rulebook.clone());
        let version = store.data_version().await?;
        let newest = store.audit_log(1).await?.first().map_or(0, |e| e.id);
        let data = load_data(&store, &rulebook).await?;
        Ok(AppState(Arc::new(Inner {
            app,
            store,
            rulebook,
            data: RwLock::new(Arc::new(data)),
            reload: tokio::sync::Mutex::new(version.accounts),
            apply: tokio::sync::Mutex::new(()),
            sessions: RwLock::new(HashMap::new()),
            forms: Mutex::new(HashMap::new()),
            staged: Mutex::new(HashMap::new()),
            parsing: tokio::sync::Semaphore::new(1),
            secure_cookies,
            max_upload,
            arrs_changes: Mutex::new(HashMap::new()),
            arrs_epoch: AtomicU64::new(0),
            arrs_feed: tokio::sync::Mutex::new((newest, version.arrs)),
            facts_feed: tokio::sync::Mutex::new(newest),
        })))
    }

    /// Puts `next` in place of the data. The data it replaces is let go
    /// on a blocking thread: dropping the last hold on a national registry,
    /// its checks and its runs takes longer than working out an edit.
    fn replace_data(&self, next: Data) -> Result<()> {
        let before = std::mem::replace(&mut *self.data.write().map_err(lock_err)?, Arc::new(next));
        if Arc::strong_count(&before) == 1 {
            tokio::task::spawn_blocking(move || drop(before));
        }
        Ok(())
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
            self.follow_fact_changes(version.facts).await?;
        }
        self.follow_arrs_changes(version.arrs).await
    }

    /// Records governance facts for a network through this server and takes
    /// them in for that network alone, so the next request shows them. The
    /// network is worked out again while SQLite writes the facts, and the
    /// result put in place once they are written (dropped if the write
    /// fails). The poll reads them again from the store later (finding
    /// them already in, it works nothing out), which also brings in any
    /// fact another process recorded meanwhile.
    pub async fn set_governance(
        &self,
        data: &Arc<Data>,
        input: &pcn_app::governance::GovernanceInput,
        actor: &str,
    ) -> Result<Vec<GovernanceFact>, crate::error::AppError> {
        let facts = pcn_app::governance::governance_facts_in(&data.registry, input)?;
        // One change at a time, on the data as it is now.
        let _applying = self.apply.lock().await;
        let now = self.data()?;
        let write = self
            .store
            .record_governance(&facts, chrono::Utc::now(), actor);
        let next = async {
            let mut all = now.registry.governance_facts_of(&input.pcn).to_vec();
            all.extend(facts.iter().cloned());
            let governance = BTreeMap::from([(input.pcn.clone(), all)]);
            let changed = BTreeSet::from([input.pcn.clone()]);
            now.changed(
                &self.rulebook,
                now.version,
                governance,
                &changed,
                HashMap::new(),
            )
        };
        // The write is sent first; the work runs while SQLite does it.
        let (written, next) = tokio::join!(biased; write, next);
        written.map_err(pcn_app::Error::from)?;
        self.replace_data(next?)?;
        Ok(facts)
    }

    /// Records a membership change through this server and takes it in for
    /// the practice and the networks it left or joined alone (as
    /// [`AppState::set_governance`] does for a network's governance).
    pub async fn record_membership_change(
        &self,
        data: &Arc<Data>,
        input: &pcn_app::membership::MembershipInput,
        actor: &str,
    ) -> Result<pcn_app::membership::CheckedChange, crate::error::AppError> {
        let checked = pcn_app::membership::membership_change_in(&data.registry, input)?;
        let _applying = self.apply.lock().await;
        let now = self.data()?;
        let practice = &checked.change.practice;
        let write = self.app.record_checked_membership_change(&checked, actor);
        let next = async {
            let mut all = now.registry.membership_changes_of(practice).to_vec();
            all.push(checked.change.clone());
            now.with_membership(&self.rulebook, now.version, practice, all)
        };
        let (written, next) = tokio::join!(biased; write, next);
        written?;
        self.replace_data(next?)?;
        Ok(checked)
    }

    /// Takes in the changes of facts since the data was computed: one
    /// network's at a time when every change the feed reads is one
    /// network's and the count of rows says none was missed; else the data
    /// is computed again as a whole.
    async fn follow_fact_changes(&self, facts: (i64, i64)) -> Result<()> {
        let mut feed = self.facts_feed.lock().await;
        let data = self.data()?;
        const BATCH: i64 = 1_000;
        let mut changes = Vec::new();
        let mut newest = *feed;
        let in_part = data.version.1 == facts.1 && facts.0 - data.version.0 <= BATCH && {
            let rows = self.store.fact_changes_after(*feed, BATCH).await?;
            for row in &rows {
                newest = newest.max(row.id);
                changes.push(NetworkChange::of(&row.change));
            }
            rows.len() as i64 == facts.0 - data.version.0 && changes.iter().all(Option::is_some)
        };
        if in_part {
            let changes: Vec<NetworkChange> = changes.into_iter().flatten().collect();
            self.take_in(facts, &changes).await?;
            *feed = newest;
            return Ok(());
        }
        // The newest row before the data is read: rows after it are read by
        // the next call (one already counted makes that call whole again).
        let newest = self.store.audit_log(1).await?.first().map_or(0, |e| e.id);
        let data = load_data(&self.store, &self.rulebook).await?;
        {
            let _applying = self.apply.lock().await;
            self.replace_data(data)?;
        }
        *feed = newest;
        Ok(())
    }

    /// Takes in one network's changes, reading what changed from the store
    /// (each network's governance facts, the agreements and assessments of
    /// each year where one changed) and working it into the data as it then
    /// is.
    async fn take_in(&self, version: (i64, i64), changes: &[NetworkChange]) -> Result<()> {
        let mut governance = BTreeMap::new();
        for change in changes {
            if let NetworkChange::Governance(pcn) = change {
                if !governance.contains_key(pcn) {
                    let rows = self.store.governance_rows(Some(pcn)).await?;
                    governance.insert(pcn.clone(), rows.into_iter().map(|r| r.0).collect());
                }
            }
        }
        let years: BTreeSet<FinancialYear> = changes
            .iter()
            .filter_map(|c| match c {
                NetworkChange::Recorded(_, year) => Some(*year),
                NetworkChange::Governance(_) | NetworkChange::Membership(_) => None,
            })
            .collect();
        let mut options = HashMap::new();
        for year in years {
            let (agreements, assessments) = self.app.recorded_for(year).await?;
            let options_of_year = RunOptions {
                agreements,
                assessments,
                ..RunOptions::default()
            };
            options.insert(year, options_of_year);
        }
        let mut moves = BTreeMap::new();
        for change in changes {
            if let NetworkChange::Membership(practice) = change {
                if !moves.contains_key(practice) {
                    let rows = self.store.membership_changes(Some(practice)).await?;
                    let facts: Vec<_> = rows.into_iter().map(|r| r.change).collect();
                    moves.insert(practice.clone(), facts);
                }
            }
        }
        let _applying = self.apply.lock().await;
        let mut now = self.data()?;
        // A network or practice whose facts are already the data's (an edit
        // this server made and took in itself) is not worked out again.
        governance.retain(|pcn, facts: &mut Vec<GovernanceFact>| {
            now.registry.governance_facts_of(pcn) != facts.as_slice()
        });
        moves.retain(
            |practice, facts: &mut Vec<pcn_core::facts::MembershipChange>| {
                now.registry.membership_changes_of(practice) != facts.as_slice()
            },
        );
        for (practice, facts) in moves {
            now = Arc::new(now.with_membership(&self.rulebook, version, &practice, facts)?);
        }
        let changed: BTreeSet<PcnCode> = changes
            .iter()
            .filter(|c| match c {
                NetworkChange::Governance(pcn) => governance.contains_key(pcn),
                NetworkChange::Recorded(..) => true,
                NetworkChange::Membership(_) => false,
            })
            .filter_map(|c| c.pcn().cloned())
            .collect();
        let next = match changed.is_empty() {
            true => now.at_version(version)?,
            false => now.changed(&self.rulebook, version, governance, &changed, options)?,
        };
        self.replace_data(next)?;
        Ok(())
    }

    /// Marks the networks whose ARRS data another process changed since
    /// the last call; all of them when the count `arrs` (of every ARRS
    /// audit row) says a change was missed.
    async fn follow_arrs_changes(&self, arrs: i64) -> Result<()> {
        let mut feed = self.arrs_feed.lock().await;
        if feed.1 == arrs {
            return Ok(());
        }
        const BATCH: i64 = 10_000;
        let rows = self.store.arrs_changes_after(feed.0, BATCH).await?;
        for row in &rows {
            feed.0 = feed.0.max(row.id);
            let first = row
                .change
                .entity_key
                .split_whitespace()
                .next()
                .unwrap_or("");
            match PcnCode::parse(first) {
                Ok(code) => self.network_changed(&code),
                // A claim status or a census names no one network.
                Err(_) => self.all_networks_changed(),
            }
        }
        if feed.1 + rows.len() as i64 != arrs {
            self.all_networks_changed();
        }
        feed.1 = arrs;
        Ok(())
    }

    /// Says a network's ARRS data changed: its next request reads it again.
    pub fn network_changed(&self, code: &PcnCode) {
        if let Ok(mut changes) = self.arrs_changes.lock() {
            *changes.entry(code.clone()).or_default() += 1;
        }
    }

    /// Says every network's ARRS data may have changed.
    fn all_networks_changed(&self) {
        self.arrs_epoch.fetch_add(1, Ordering::SeqCst);
    }

    fn arrs_stamp(&self, code: &PcnCode) -> (u64, u64) {
        let epoch = self.arrs_epoch.load(Ordering::SeqCst);
        let count = self
            .arrs_changes
            .lock()
            .ok()
            .and_then(|c| c.get(code).copied())
            .unwrap_or(0);
        (epoch, count)
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
            let rules = rulebook.financial_year(year)?;
            let previous = rulebook.financial_year(year.previous()).ok();
            let context = YearContext::new(&data2.registry, rules, options.membership_as_at);
            let run = pcn_core::payrun::build_in(
                &context,
                &data2.registry,
                rules,
                previous,
                &Selection::all(),
                &options,
            )?;
            Ok(YearRun {
                by_pcn: Arc::new(places(&run)),
                run,
                context: Arc::new(context),
                options,
            })
        })
        .await
        .context("the payment run stopped")??;
        keep(&data.runs, year, Arc::new(run))
    }

    /// Adds a post through this server and answers with its network's ARRS
    /// year of the pages' year including it. When what is kept is the year as
    /// it was just before (no other change since), the post is added to it in
    /// memory and the budget worked out again, without reading the store;
    /// otherwise the network is read again.
    pub async fn add_post(
        &self,
        data: &Arc<Data>,
        post: &pcn_core::arrs::NewPost,
        actor: &str,
    ) -> Result<(i64, Arc<ArrsYear>), crate::error::AppError> {
        let before = self.arrs_stamp(&post.pcn);
        let (id, added) = self.app.add_post_in(&data.registry, post, actor).await?;
        self.network_changed(&added.pcn);
        let (year, as_at) = (data.year, budget_date(data.year));
        let now = self.arrs_stamp(&added.pcn);
        let key = (added.pcn.clone(), year);
        if now == (before.0, before.1 + 1) {
            let kept = data
                .arrs
                .lock()
                .map_err(lock_err)?
                .get(&key)
                .filter(|k| k.stamp == before && k.as_at == as_at)
                .cloned();
            if let Some(kept) = kept {
                let mut network_year = kept.year.clone();
                let mut lines = kept.lines.clone();
                lines.push(
                    network_year
                        .lines(&self.rulebook, std::slice::from_ref(&added), false)?
                        .into(),
                );
                network_year.posts.push(added);
                let budget = pcn_core::arrs::budget_of(
                    year,
                    as_at,
                    network_year.sum,
                    lines.iter().flat_map(|piece| piece.iter()),
                    &network_year.claims,
                );
                let entry = Arc::new(ArrsYear {
                    year: network_year,
                    budget,
                    as_at,
                    lines,
                    stamp: now,
                });
                return Ok((id, keep(&data.arrs, key, entry)?));
            }
        }
        let entry = self.arrs_cached(data, &added.pcn, year, as_at).await?;
        Ok((id, entry))
    }

    /// A network's ARRS year, with the budget as at `as_at`: kept from an
    /// earlier request unless the network's ARRS data has changed since.
    pub async fn arrs_cached(
        &self,
        data: &Arc<Data>,
        code: &PcnCode,
        year: FinancialYear,
        as_at: NaiveDate,
    ) -> Result<Arc<ArrsYear>, crate::error::AppError> {
        // The stamp is taken before the store is read: a change that lands
        // after it bumps the count, so this reading is not used again.
        let key = (code.clone(), year);
        let kept = |stamp: (u64, u64)| -> Result<Option<Arc<ArrsYear>>, crate::error::AppError> {
            Ok(data
                .arrs
                .lock()
                .map_err(lock_err)?
                .get(&key)
                .filter(|k| k.stamp == stamp && k.as_at == as_at)
                .cloned())
        };
        if let Some(kept) = kept(self.arrs_stamp(code))? {
            return Ok(kept);
        }
        let gate = data
            .arrs_loading
            .lock()
            .map_err(lock_err)?
            .entry(key.clone())
            .or_default()
            .clone();
        let _reading = gate.lock().await;
        let stamp = self.arrs_stamp(code);
        // Another request may have read it while this one waited.
        if let Some(kept) = kept(stamp)? {
            return Ok(kept);
        }
        let run = self.year_run(data, year).await?;
        let sum = run.network(code).and_then(|n| arrs_sum(&n.statement));
        let network_year = self.app.network_year_with_sum(code, year, sum).await?;
        let lines = network_year.lines(&self.rulebook, &network_year.posts, false)?;
        let budget =
            pcn_core::arrs::budget(year, as_at, network_year.sum, &lines, &network_year.claims);
        let entry = Arc::new(ArrsYear {
            year: network_year,
            budget,
            as_at,
            lines: vec![lines.into()],
            stamp,
        });
        Ok(keep(&data.arrs, key, entry)?)
    }

    /// The reconciliation of a year (every network) against the payments
    /// file or the remittances, computed once per data version; `None` when
    /// nothing paid in the year is held.
    pub async fn year_reconciliation(
        &self,
        data: &Arc<Data>,
        year: FinancialYear,
        against: Against,
    ) -> Result<Option<Arc<YearReconciliation>>, crate::error::AppError> {
        if let Some(r) = data
            .reconciliations
            .lock()
            .map_err(lock_err)?
            .get(&(year, against))
        {
            return Ok(r.clone());
        }
        let run = self.year_run(data, year).await?;
        let remittances = match against {
            Against::Remittances => self
                .store
                .remittances(year, None)
                .await
                .map_err(anyhow::Error::from)?,
            Against::Payments => Vec::new(),
        };
        let held = match against {
            Against::Payments => {
                pcn_app::reconcile::years_with_payments(&data.registry).contains(&year)
            }
            Against::Remittances => !remittances.is_empty(),
        };
        let computed = if held {
            let data2 = data.clone();
            let r = tokio::task::spawn_blocking(move || {
                let reconciliation = pcn_app::reconcile::reconcile_run(
                    &data2.registry,
                    &run.run,
                    &Selection::all(),
                    against,
                    &remittances,
                );
                let by_pcn = reconciliation
                    .networks
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.pcn.clone(), i))
                    .collect();
                YearReconciliation {
                    reconciliation,
                    by_pcn,
                }
            })
            .await
            .context("the reconciliation stopped")?;
            Some(Arc::new(r))
        } else {
            None
        };
        Ok(keep(&data.reconciliations, (year, against), computed)?)
    }

    /// A network's ARRS year: its posts and the budget as at `as_at`.
    pub async fn arrs_year(
        &self,
        data: &Arc<Data>,
        code: &PcnCode,
        year: FinancialYear,
        as_at: NaiveDate,
    ) -> Result<(Vec<Post>, Budget), crate::error::AppError> {
        let kept = self.arrs_cached(data, code, year, as_at).await?;
        Ok((kept.year.posts.clone(), kept.budget.clone()))
    }

    /// Forgets single-use form tokens and staged uploads older than `max_age`.
    pub fn sweep(&self, max_age: Duration) {
        if let Ok(mut forms) = self.forms.lock() {
            forms.retain(|_, f| f.issued.elapsed() < max_age);
        }
        if let Ok(mut staged) = self.staged.lock() {
            staged.retain(|_, s| s.staged.elapsed() < max_age);
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
        let findings = FindingsIndex::of(&report);
        Ok(Data {
            version,
            registry,
            as_at,
            snapshot,
            report,
            findings,
            year,
            services: Arc::new(services),
            runs: Mutex::new(HashMap::new()),
            arrs: Mutex::new(HashMap::new()),
            arrs_loading: Mutex::new(HashMap::new()),
            reconciliations: Mutex::new(HashMap::new()),
        })
    })
    .await
    .context("computing the registry stopped")?
}
