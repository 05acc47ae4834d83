//! The services use cases: a network's services over a run of weeks
//! (requirements, compliance per care home and week, enhanced access,
//! capacity by role, income against staff cost, partners, plain answers),
//! a commissioner's view of every network's compliance, a what-if adding a
//! post, every network's enhanced access requirement for a year, and the
//! writes: rounds, care plans and sessions entered one at a time, care
//! home alignments, and the check of an imported file's records against
//! the registry and the roster. The rules are the core's
//! ([`pcn_core::services`]); this module reads the store around them.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use pcn_core::arrs::{Hire, MonthClaim, Post};
use pcn_core::facts::CareHomeAlignment;
use pcn_core::funding::{NetworkPay, PayRun};
use pcn_core::payrun::{RunOptions, Selection};
use pcn_core::registry::Registry;
use pcn_core::rulebook::{FinancialYear, Region, Rulebook};
use pcn_core::services::{
    self, access_requirements, planned_post, validate_care_plans, validate_rounds,
    validate_sessions, weekly_income, AccessRequirement, Alignments, Capacity, ComplianceRow,
    NetworkServices, PartnerLine, PostCosts, RecordProblem, ServiceRecords, ServicesIndex,
    ServicesInput, Week,
};
use pcn_core::{CommissionerCode, Decimal, PcnCode};
use pcn_import::{ImportError, Problem};
use serde::Serialize;

use crate::governance::require_network;
use crate::{App, Error, Result};

/// The longest run of weeks a view covers (two years).
pub const MAX_WEEKS: usize = 106;

/// The weeks (Monday to Sunday) from the week of `from` to the week of `to`.
pub fn weeks(from: NaiveDate, to: NaiveDate) -> Result<Vec<Week>> {
    if to < from {
        return Err(Error::invalid(format!(
            "the period ends ({to}) before it starts ({from})"
        )));
    }
    let weeks = Week::span(from, to);
    if weeks.len() > MAX_WEEKS {
        return Err(Error::invalid(format!(
            "{} weeks is too long a period: show at most {MAX_WEEKS} weeks at a time",
            weeks.len()
        )));
    }
    Ok(weeks)
}

/// The period asked for; what is not given is filled in: the four weeks
/// ending with the week of `to`, else of the latest round or delivered
/// session recorded (by `posts`, when given: a network's roster), else of
/// `today`.
pub fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    records: &ServiceRecords,
    posts: Option<&[Post]>,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let ids: Option<BTreeSet<i64>> = posts.map(|p| p.iter().map(|p| p.id).collect());
    let mine = |post: i64| ids.as_ref().is_none_or(|ids| ids.contains(&post));
    let latest = records
        .rounds
        .iter()
        .filter(|r| mine(r.post))
        .map(|r| r.date)
        .chain(
            records
                .delivered_sessions
                .iter()
                .filter(|s| mine(s.post))
                .filter_map(|s| match s.day {
                    services::SessionDay::On(d) => Some(d),
                    services::SessionDay::Weekly(_) => None,
                }),
        )
        .filter(|d| *d <= today)
        .max();
    let last = Week::of(to.unwrap_or(latest.unwrap_or(today)));
    let first = Week::of(last.monday() - chrono::Days::new(21));
    (from.unwrap_or(first.monday()), to.unwrap_or(last.sunday()))
}

/// What the services of the networks in scope are worked out from, in memory.
pub struct ServicesSource<'a> {
    pub rulebook: &'a Rulebook,
    pub registry: &'a Registry,
    /// The records in force ([`ServiceRecords::current`]).
    pub records: &'a ServiceRecords,
    /// The rosters of the networks in scope (others are ignored).
    pub posts: &'a [Post],
    /// The payment runs of the weeks' years (any selection covering the networks).
    pub runs: &'a [&'a PayRun],
    /// ARRS claim lines already worked out for these posts and years (a
    /// network's ARRS year, a national claims run), else worked out here.
    pub claim_lines: Option<&'a [MonthClaim]>,
}

impl<'a> ServicesSource<'a> {
    /// The sources, with the ARRS claim lines worked out here.
    pub fn new(
        rulebook: &'a Rulebook,
        registry: &'a Registry,
        records: &'a ServiceRecords,
        posts: &'a [Post],
        runs: &'a [&'a PayRun],
    ) -> Self {
        Self {
            rulebook,
            registry,
            records,
            posts,
            runs,
            claim_lines: None,
        }
    }
}

/// The financial years the weeks fall in.
pub fn years_of(weeks: &[Week]) -> Vec<FinancialYear> {
    let years: BTreeSet<FinancialYear> = weeks
        .iter()
        .flat_map(|w| [w.monday(), w.sunday()])
        .map(FinancialYear::containing)
        .collect();
    years.into_iter().collect()
}

/// The services of each network over the weeks, worked out in memory: the
/// web app calls this with the data it keeps, the command line after
/// reading the store, the benchmark for every network in England.
pub fn services_of(
    source: &ServicesSource<'_>,
    weeks: &[Week],
    as_at: NaiveDate,
    networks: &[PcnCode],
) -> Vec<NetworkServices> {
    with_services(source, weeks, as_at, networks, |index| {
        networks.iter().map(|n| index.network(n)).collect()
    })
}

/// Indexes the services of `networks` over the weeks, and hands the index to `f`.
pub fn with_services<T>(
    source: &ServicesSource<'_>,
    weeks: &[Week],
    as_at: NaiveDate,
    networks: &[PcnCode],
    f: impl FnOnce(&ServicesIndex<'_>) -> T,
) -> T {
    let wanted: BTreeSet<&PcnCode> = networks.iter().collect();
    let posts: Vec<Post> = source
        .posts
        .iter()
        .filter(|p| wanted.contains(&p.pcn))
        .cloned()
        .collect();
    let years = years_of(weeks);
    let costs = match source.claim_lines {
        Some(lines) => PostCosts::from_claims(source.rulebook, &years, lines, &posts),
        None => PostCosts::for_years(source.rulebook, &years, &posts),
    };
    let pays: HashMap<(FinancialYear, &PcnCode), &NetworkPay> = source
        .runs
        .iter()
        .flat_map(|r| {
            r.networks
                .iter()
                .map(move |n| ((r.financial_year, &n.statement.pcn), &**n))
        })
        .collect();
    let income = |pcn: &PcnCode, streams: &[String], week: Week| {
        let pay = pays.get(&(FinancialYear::containing(week.monday()), pcn))?;
        weekly_income(&pay.statement, streams, week)
    };
    let registered = |pcn: &PcnCode, year: FinancialYear| {
        let pay = pays.get(&(year, pcn))?;
        let lists: Option<Vec<Decimal>> = pay
            .members
            .iter()
            .map(|m| m.registered.as_ref().map(|f| f.value))
            .collect();
        lists.map(|l| l.into_iter().sum())
    };
    let input = ServicesInput {
        rulebook: source.rulebook,
        registry: source.registry,
        records: source.records,
        posts: &posts,
        costs: &costs,
        weeks,
        as_at,
        registered: &registered,
        income: &income,
    };
    f(&ServicesIndex::new(&input))
}

/// A network's services, with its partners.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkServicesView {
    pub name: Option<String>,
    #[serde(flatten)]
    pub services: NetworkServices,
    pub partners: Vec<PartnerLine>,
    /// The requirements in force on the first day, with their sources.
    pub specs: Vec<pcn_core::rulebook::ServiceSpec>,
}

/// A commissioner's networks, each with its compliance.
#[derive(Debug, Clone, Serialize)]
pub struct CommissionerServices {
    pub commissioner: CommissionerCode,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub networks: Vec<(Option<String>, ComplianceRow)>,
}

/// Before and after adding posts, in one week.
#[derive(Debug, Clone, Serialize)]
pub struct ServicesPlan {
    pub pcn: PcnCode,
    pub week: Week,
    pub added: Vec<Post>,
    pub before: Capacity,
    pub after: Capacity,
}

/// Every network's enhanced access requirement for a year.
#[derive(Debug, Clone, Serialize)]
pub struct Requirements {
    pub year: FinancialYear,
    pub on: NaiveDate,
    pub networks: Vec<AccessRequirement>,
    /// Networks open that year with no population figure.
    pub unknown: Vec<PcnCode>,
    pub total_minutes: Decimal,
    pub total_population: Decimal,
}

/// The payment run of a year for a selection, or none when the year has no
/// rules or the selection no network that year.
fn run_for(
    rb: &Rulebook,
    registry: &Registry,
    year: FinancialYear,
    selection: &Selection,
) -> Result<Option<PayRun>> {
    if rb.financial_year(year).is_err() || registry.latest_date().is_none() {
        return Ok(None);
    }
    match crate::pay::build_run(rb, registry, year, selection, &RunOptions::default()) {
        Ok(run) => Ok(Some(run)),
        Err(Error::PayRun(pcn_core::payrun::PayRunError::NoSuchNetwork { .. })) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The payment runs of the weeks' years for a selection (years without
/// rules or networks left out).
fn runs_for(
    rb: &Rulebook,
    registry: &Registry,
    weeks: &[Week],
    selection: &Selection,
) -> Result<Vec<PayRun>> {
    let mut runs = Vec::new();
    for year in years_of(weeks) {
        runs.extend(run_for(rb, registry, year, selection)?);
    }
    Ok(runs)
}

/// Problems as one message a person can act on.
fn problems_text(problems: &[RecordProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            format!(
                "{}, value {:?}: {}",
                p.column.replace('_', " "),
                p.value,
                p.message
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl App {
    /// The registry and the records in force, read once.
    async fn registry_and_records(&self) -> Result<(Registry, ServiceRecords)> {
        let mut facts = self.store.load_facts().await?;
        let records = std::mem::take(&mut facts.services);
        Ok(tokio::task::spawn_blocking(move || (Registry::new(facts), records.current())).await?)
    }

    /// A known network's services from `from` to `to` (whole weeks); care
    /// plans not yet made are judged on `as_at`.
    pub async fn network_services(
        &self,
        pcn: &PcnCode,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        as_at: NaiveDate,
    ) -> Result<NetworkServicesView> {
        let (registry, records) = self.registry_and_records().await?;
        require_network(&registry, pcn)?;
        let posts = self.store.posts(Some(pcn)).await?;
        let (from, to) = period(from, to, &records, Some(&posts), as_at);
        let weeks = weeks(from, to)?;
        let rb = self.rulebook.clone();
        let pcn = pcn.clone();
        tokio::task::spawn_blocking(move || -> Result<NetworkServicesView> {
            let runs = runs_for(&rb, &registry, &weeks, &Selection::network(pcn.clone()))?;
            let runs: Vec<&PayRun> = runs.iter().collect();
            let source = ServicesSource::new(&rb, &registry, &records, &posts, &runs);
            let snapshot = registry.at(weeks[weeks.len() - 1].sunday().min(as_at.max(from)));
            Ok(network_view(&source, &weeks, as_at, &pcn, &snapshot))
        })
        .await?
    }

    /// Every network of a commissioner (as at the period's last day), each
    /// with its compliance over the period.
    pub async fn commissioner_services(
        &self,
        commissioner: &CommissionerCode,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        as_at: NaiveDate,
    ) -> Result<CommissionerServices> {
        let (registry, records) = self.registry_and_records().await?;
        let (from, to) = period(from, to, &records, None, as_at);
        let weeks = weeks(from, to)?;
        if registry.latest_date().is_none() {
            return Err(Error::NoRegistry);
        }
        if !registry.knows_commissioner(commissioner) {
            return Err(Error::NotFound(format!(
                "there is no commissioner {commissioner} in the registry"
            )));
        }
        let posts = self.store.posts(None).await?;
        let rb = self.rulebook.clone();
        let commissioner = commissioner.clone();
        tokio::task::spawn_blocking(move || -> Result<CommissionerServices> {
            let snapshot = registry.at(to);
            let networks: Vec<(PcnCode, Option<String>)> = snapshot
                .networks
                .values()
                .filter(|n| n.is_under(&commissioner) && !n.members.is_empty())
                .map(|n| (n.code.clone(), n.name.clone()))
                .collect();
            let selection = Selection::commissioner(commissioner.clone());
            let runs = runs_for(&rb, &registry, &weeks, &selection)?;
            let runs: Vec<&PayRun> = runs.iter().collect();
            let source = ServicesSource::new(&rb, &registry, &records, &posts, &runs);
            Ok(commissioner_view(
                &source,
                &weeks,
                as_at,
                &commissioner,
                networks,
            ))
        })
        .await?
    }

    /// What adding posts would do to a network's capacity in the week of `on`.
    pub async fn services_plan(
        &self,
        pcn: &PcnCode,
        on: NaiveDate,
        hires: &[Hire],
        region: Option<Region>,
    ) -> Result<ServicesPlan> {
        if hires.is_empty() {
            return Err(Error::invalid("give at least one post to add (--add)"));
        }
        let week = Week::of(on);
        let (registry, records) = self.registry_and_records().await?;
        require_network(&registry, pcn)?;
        let posts = self.store.posts(Some(pcn)).await?;
        let mut added = Vec::new();
        for (i, hire) in hires.iter().enumerate() {
            let post = planned_post(
                &self.rulebook,
                hire,
                pcn.clone(),
                -(i as i64) - 1,
                region.unwrap_or(Region::England),
            )?;
            if !post.covers(week.sunday()) && !post.covers(week.monday()) {
                return Err(Error::invalid(format!(
                    "a post from {} is not in post in the {week}: choose a later --week",
                    hire.from
                )));
            }
            added.push(post);
        }
        let rb = self.rulebook.clone();
        let pcn = pcn.clone();
        tokio::task::spawn_blocking(move || -> Result<ServicesPlan> {
            let runs = runs_for(&rb, &registry, &[week], &Selection::network(pcn.clone()))?;
            let runs: Vec<&PayRun> = runs.iter().collect();
            let mut all = posts.clone();
            all.extend(added.iter().cloned());
            let capacity_with = |posts: &[Post]| -> Result<Capacity> {
                let source = ServicesSource::new(&rb, &registry, &records, posts, &runs);
                with_services(
                    &source,
                    &[week],
                    week.monday(),
                    std::slice::from_ref(&pcn),
                    |index| index.network(&pcn).weeks.into_iter().next(),
                )
                .map(|w| w.capacity)
                .ok_or_else(|| Error::invalid(format!("the rulebook has no year for the {week}")))
            };
            Ok(ServicesPlan {
                before: capacity_with(&posts)?,
                after: capacity_with(&all)?,
                pcn,
                week,
                added,
            })
        })
        .await?
    }

    /// Every network's enhanced access requirement in a year, from the PCN
    /// adjusted populations held (as at the year's population date).
    pub async fn access_requirements(&self, year: FinancialYear) -> Result<Requirements> {
        self.rulebook.financial_year(year)?;
        let registry = self.registry_required().await?;
        let rb = self.rulebook.clone();
        tokio::task::spawn_blocking(move || {
            // The specification in force for most of the year: on its last day.
            let on = year.end();
            let snapshot = registry.at(year.start());
            let open: Vec<&PcnCode> = snapshot.networks_with_members().map(|n| &n.code).collect();
            let (networks, unknown) = access_requirements(&rb, &registry, on, open);
            let total_minutes = networks.iter().map(|n| n.minutes_a_week).sum();
            let total_population = networks.iter().map(|n| n.population).sum();
            Requirements {
                year,
                on,
                networks,
                unknown,
                total_minutes,
                total_population,
            }
        })
        .await
        .map_err(Error::from)
    }

    /// Records rounds, care plans and sessions of a known network entered
    /// one at a time, after the same checks as an import (the home aligned
    /// to the network on the day, the clinician a post of its roster in
    /// post on the day), and none dated after `today`.
    pub async fn record_services(
        &self,
        pcn: &PcnCode,
        records: &ServiceRecords,
        today: NaiveDate,
        actor: &str,
    ) -> Result<()> {
        let (registry, _) = self.registry_and_records().await?;
        require_network(&registry, pcn)?;
        let posts = self.store.posts(Some(pcn)).await?;
        let alignments =
            Alignments::new(&registry.care_home_alignments().cloned().collect::<Vec<_>>());
        let mut problems = validate_rounds(&records.rounds, &alignments, &posts, Some(pcn));
        problems.extend(validate_care_plans(
            &records.care_plans,
            &alignments,
            Some(pcn),
        ));
        let sessions: Vec<_> = (records.planned_sessions.iter())
            .chain(&records.delivered_sessions)
            .cloned()
            .collect();
        problems.extend(validate_sessions(&sessions, &posts));
        let future = records
            .rounds
            .iter()
            .map(|r| r.date)
            .chain(
                records
                    .care_plans
                    .iter()
                    .flat_map(|p| [Some(p.admitted), p.planned])
                    .flatten(),
            )
            .chain(
                records
                    .delivered_sessions
                    .iter()
                    .filter_map(|s| match s.day {
                        services::SessionDay::On(d) => Some(d),
                        services::SessionDay::Weekly(_) => None,
                    }),
            )
            .find(|d| *d > today);
        if let Some(d) = future {
            return Err(Error::invalid(format!(
                "{d} is after today ({today}): record what has happened"
            )));
        }
        if !problems.is_empty() {
            return Err(Error::invalid(format!(
                "{}; nothing was recorded",
                problems_text(&problems)
            )));
        }
        self.store
            .record_services(records, Utc::now(), actor)
            .await?;
        Ok(())
    }

    /// Aligns a care home (with a CQC record) to a known network from a
    /// date; returns the alignment it replaces on that date, if any.
    pub async fn align_care_home(
        &self,
        alignment: &CareHomeAlignment,
        actor: &str,
    ) -> Result<Option<CareHomeAlignment>> {
        if !pcn_import::care_home_alignment::is_location_id(&alignment.location_id) {
            return Err(Error::invalid(format!(
                "{:?} is not a CQC location id (1- and digits, such as 1-101234567)",
                alignment.location_id
            )));
        }
        if alignment.to.is_some_and(|t| t < alignment.from) {
            return Err(Error::invalid("the alignment ends before it starts"));
        }
        let registry = self.registry_required().await?;
        require_network(&registry, &alignment.pcn)?;
        if registry
            .care_home(&alignment.location_id, alignment.from)
            .is_none()
        {
            return Err(Error::NotFound(format!(
                "there is no care home {} in the CQC records held: import the CQC HSCA Active Locations file first",
                alignment.location_id
            )));
        }
        let before = registry
            .care_home_alignments()
            .filter(|a| a.location_id == alignment.location_id && a.from <= alignment.from)
            .last()
            .filter(|a| a.to.is_none_or(|t| t >= alignment.from))
            .cloned();
        self.store
            .align_care_home(alignment, before.as_ref(), Utc::now(), actor)
            .await?;
        Ok(before)
    }

    /// The problems of an imported file's service records against the
    /// registry and the roster (a round at a home not aligned to the
    /// clinician's network, an unknown post, a post not in post), each
    /// naming the file's row and column; `None` when there are none.
    pub async fn check_services(
        &self,
        file: &str,
        records: &ServiceRecords,
    ) -> Result<Option<ImportError>> {
        if records.is_empty() {
            return Ok(None);
        }
        let registry = self.registry().await?;
        let posts = self.store.posts(None).await?;
        let alignments =
            Alignments::new(&registry.care_home_alignments().cloned().collect::<Vec<_>>());
        let mut problems = validate_rounds(&records.rounds, &alignments, &posts, None);
        problems.extend(validate_care_plans(&records.care_plans, &alignments, None));
        problems.extend(validate_sessions(&records.planned_sessions, &posts));
        problems.extend(validate_sessions(&records.delivered_sessions, &posts));
        if problems.is_empty() {
            return Ok(None);
        }
        problems.sort_by_key(|p| p.row);
        let total_problems = problems.len();
        Ok(Some(ImportError {
            file: file.to_string(),
            problems: problems
                .into_iter()
                .take(pcn_import::KEPT_PROBLEMS)
                .map(|p| Problem {
                    row: p.row,
                    column: Some(p.column.to_string()),
                    value: Some(p.value),
                    message: p.message,
                })
                .collect(),
            total_problems,
        }))
    }
}

/// A commissioner's networks (code and name), each with its compliance.
pub fn commissioner_view(
    source: &ServicesSource<'_>,
    weeks: &[Week],
    as_at: NaiveDate,
    commissioner: &CommissionerCode,
    networks: Vec<(PcnCode, Option<String>)>,
) -> CommissionerServices {
    let codes: Vec<PcnCode> = networks.iter().map(|(c, _)| c.clone()).collect();
    let rows = with_services(source, weeks, as_at, &codes, |index| {
        codes.iter().map(|c| index.row(c)).collect::<Vec<_>>()
    });
    CommissionerServices {
        commissioner: commissioner.clone(),
        from: weeks.first().map_or(as_at, |w| w.monday()),
        to: weeks.last().map_or(as_at, |w| w.sunday()),
        networks: networks
            .into_iter()
            .zip(rows)
            .map(|((_, name), row)| (name, row))
            .collect(),
    }
}

/// A network's view with its partners and the specifications in force,
/// from a snapshot that gives its name and governance.
pub fn network_view(
    source: &ServicesSource<'_>,
    weeks: &[Week],
    as_at: NaiveDate,
    pcn: &PcnCode,
    snapshot: &pcn_core::registry::Snapshot,
) -> NetworkServicesView {
    let services = with_services(source, weeks, as_at, std::slice::from_ref(pcn), |index| {
        index.network(pcn)
    });
    let first = weeks.first().map_or(as_at, |w| w.monday());
    let rules = source
        .rulebook
        .financial_year(FinancialYear::containing(first))
        .ok()
        .map(|y| &y.services);
    let network = snapshot.networks.get(pcn);
    let partners = network
        .map(|n| services::partners(&n.governance, source.posts, source.records, weeks, rules))
        .unwrap_or_default();
    NetworkServicesView {
        name: network.and_then(|n| n.name.clone()),
        services,
        partners,
        specs: rules
            .map(|r| r.specs_on(first).cloned().collect())
            .unwrap_or_default(),
    }
}
