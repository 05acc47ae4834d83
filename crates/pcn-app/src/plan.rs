//! Proposed networks: the planner (`pcn_core::plan`) on the registry as at a
//! date, for one commissioner or all of England, under a time budget kept on
//! this layer's clock; and what a proposal changes in money
//! (`pcn_core::plan::money`): the year's payment run of every affected
//! network with today's networks and with the proposed ones.
//!
//! The area planned:
//! - **England**: every practice with registered patients on the date, in
//!   groups by ICB (or by sub-ICB location);
//! - **an ICB**: its practices, as one group (or one per sub-ICB location);
//! - **a sub-ICB location**: its practices, always as one group (the group
//!   is the sub-ICB location whatever grouping is asked, since an ICB group
//!   would hold only this part of the ICB).
//!
//! Nothing is stored: a proposal is computed on request, and pins come with
//! the request.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use pcn_core::facts::FactBatch;
use pcn_core::payrun::{Agreements, Assessments, RunOptions, Selection};
use pcn_core::plan::money::{self, MoneyComparison};
use pcn_core::plan::{self, Grouping, Plan, PlanConfig};
use pcn_core::registry::{Registry, Snapshot};
use pcn_core::rulebook::{FinancialYear, Rulebook};
use pcn_core::{CommissionerCode, PcnCode, PracticeCode};
use serde::Serialize;

use crate::governance::require_network;
use crate::pay::build_run;
use crate::{App, Error, Result};

/// What is planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Area {
    England,
    /// A sub-ICB location or an ICB.
    Commissioner(CommissionerCode),
}

/// A request for a proposal.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub area: Area,
    /// The registry's date: practices, lists and networks as at this day.
    pub as_at: NaiveDate,
    pub grouping: Grouping,
    pub config: PlanConfig,
    /// Networks that must not change.
    pub pins: BTreeSet<PcnCode>,
    /// Stop searching after this long (each group still gets a complete
    /// proposal); `None`: no limit.
    pub time_budget: Option<Duration>,
}

/// How long the planning took: the only part of a proposal that differs
/// between two runs of the same request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    /// Planning every group (not reading the registry).
    pub seconds: f64,
    /// Per group, by code.
    pub groups: BTreeMap<String, f64>,
    /// True when the time budget ran out (the answer then depends on the
    /// machine's speed).
    pub budget_reached: bool,
}

/// A proposal for an area as at a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// `England`, or the commissioner's code.
    pub area: String,
    pub area_name: Option<String>,
    pub as_at: NaiveDate,
    pub grouping: Grouping,
    pub pins: BTreeSet<PcnCode>,
    pub plan: Plan,
    /// Practices of the area with no ICB (or sub-ICB location) recorded,
    /// which cannot be put in a group and are not planned.
    pub ungrouped: Vec<PracticeCode>,
    pub timing: Timing,
}

/// The practices a request covers, the grouping used, and the area's name.
fn area_snapshot(
    registry: &Registry,
    request: &PlanRequest,
) -> Result<(Snapshot, Grouping, Option<String>)> {
    let mut snapshot = registry.at(request.as_at);
    let Area::Commissioner(code) = &request.area else {
        return Ok((snapshot, request.grouping, None));
    };
    if !registry.knows_commissioner(code) {
        return Err(Error::NotFound(format!(
            "there is no commissioner {code} in the registry (a sub-ICB location such as 16C or an ICB such as QHM)"
        )));
    }
    snapshot.practices = snapshot
        .practices
        .iter()
        .filter(|(_, p)| p.is_under(code))
        .map(|(c, p)| (c.clone(), p.clone()))
        .collect();
    let sub_icb = snapshot.practices.values().find(|p| {
        p.sub_icb
            .as_ref()
            .is_some_and(|s| s.as_str() == code.as_str())
    });
    let (grouping, name) = match sub_icb {
        Some(p) => (Grouping::SubIcb, p.sub_icb_name.clone()),
        None => (
            request.grouping,
            snapshot.practices.values().find_map(|p| p.icb_name.clone()),
        ),
    };
    if snapshot.practices.is_empty() {
        return Err(Error::NotFound(format!(
            "commissioner {code} has no practice with registered patients as at {}",
            request.as_at
        )));
    }
    Ok((snapshot, grouping, name))
}

/// Refuses a pin that is not a network of a practice in the area.
fn check_pins(registry: &Registry, snapshot: &Snapshot, request: &PlanRequest) -> Result<()> {
    let in_area: BTreeSet<&PcnCode> = snapshot
        .practices
        .values()
        .filter_map(|p| p.networks.first())
        .collect();
    for pin in &request.pins {
        require_network(registry, pin)?;
        if !in_area.contains(pin) {
            return Err(Error::invalid(format!(
                "network {pin} cannot be pinned: none of its members is in the area planned as at {}",
                request.as_at
            )));
        }
    }
    Ok(())
}

/// Plans the area of a request on a registry already in memory (the web app
/// keeps one).
pub fn propose(registry: &Registry, request: &PlanRequest) -> Result<Proposal> {
    let (snapshot, grouping, area_name) = area_snapshot(registry, request)?;
    check_pins(registry, &snapshot, request)?;
    let groups = plan::groups_from_snapshot(&snapshot, grouping, &request.pins);
    plan::check_groups(&groups.groups, &request.config)
        .map_err(|e| Error::invalid(e.to_string()))?;
    let started = Instant::now();
    let deadline = request.time_budget.map(|budget| started + budget);
    let stop = || deadline.is_some_and(|d| Instant::now() >= d);
    let mut planned = Vec::with_capacity(groups.groups.len());
    let mut seconds = BTreeMap::new();
    for group in &groups.groups {
        let group_started = Instant::now();
        let plan = plan::plan_group(group, &request.config, &stop)
            .map_err(|e| Error::invalid(e.to_string()))?;
        seconds.insert(
            group.group.to_string(),
            group_started.elapsed().as_secs_f64(),
        );
        planned.push(plan);
    }
    let plan = Plan::assemble(&request.config, planned);
    Ok(Proposal {
        area: match &request.area {
            Area::England => "England".to_string(),
            Area::Commissioner(code) => code.to_string(),
        },
        area_name,
        as_at: request.as_at,
        grouping,
        pins: request.pins.clone(),
        timing: Timing {
            seconds: started.elapsed().as_secs_f64(),
            groups: seconds,
            budget_reached: plan.groups.iter().any(|g| g.stopped),
        },
        plan,
        ungrouped: groups.ungrouped,
    })
}

/// The year a proposal is priced in: the financial year of its date.
pub fn money_year(rulebook: &Rulebook, proposal: &Proposal) -> Result<FinancialYear> {
    let year = FinancialYear::containing(proposal.as_at);
    rulebook.financial_year(year)?;
    Ok(year)
}

/// What the proposal changes in money (see `pcn_core::plan::money`): the
/// year's run with today's networks and with the proposed ones, both from
/// the year's first day, compared network by network.
pub fn price(
    rulebook: &Rulebook,
    registry: &Registry,
    facts: &FactBatch,
    proposal: &Proposal,
    agreements: Agreements,
    assessments: Assessments,
) -> Result<MoneyComparison> {
    let year = money_year(rulebook, proposal)?;
    let snapshot = registry.at(proposal.as_at);
    let scenarios = money::scenarios(facts, &snapshot, &proposal.plan, year.start());
    let options = RunOptions {
        agreements,
        assessments,
        ..RunOptions::default()
    };
    let run = |facts: FactBatch| {
        build_run(
            rulebook,
            &Registry::new(facts),
            year,
            &Selection::all(),
            &options,
        )
    };
    let before = run(scenarios.before)?;
    let after = run(scenarios.after)?;
    Ok(money::compare(&scenarios.affected, &before, &after))
}

impl App {
    /// A proposal for the request, on the registry in the store.
    pub async fn propose(&self, request: PlanRequest) -> Result<Proposal> {
        let registry = self.registry_required().await?;
        tokio::task::spawn_blocking(move || propose(&registry, &request)).await?
    }

    /// A proposal and what it changes in money, on the facts in the store.
    pub async fn propose_and_price(
        &self,
        request: PlanRequest,
    ) -> Result<(Proposal, MoneyComparison)> {
        let facts = self.store.load_facts().await?;
        self.priced(facts, move |registry| propose(registry, &request))
            .await
    }

    /// What an existing proposal changes in money, on the facts in the store.
    pub async fn price(&self, proposal: Proposal) -> Result<MoneyComparison> {
        let facts = self.store.load_facts().await?;
        let (_, money) = self.priced(facts, move |_| Ok(proposal)).await?;
        Ok(money)
    }

    async fn priced(
        &self,
        facts: FactBatch,
        proposal: impl FnOnce(&Registry) -> Result<Proposal> + Send + 'static,
    ) -> Result<(Proposal, MoneyComparison)> {
        let (proposal, registry, facts) = tokio::task::spawn_blocking(move || {
            let registry = Registry::new(facts.clone());
            if registry.latest_date().is_none() {
                return Err(Error::NoRegistry);
            }
            let proposal = proposal(&registry)?;
            Ok((proposal, registry, facts))
        })
        .await??;
        let rulebook = self.rulebook.clone();
        let year = money_year(&rulebook, &proposal)?;
        let (agreements, assessments) = self.recorded_for(year).await?;
        tokio::task::spawn_blocking(move || {
            let money = price(
                &rulebook,
                &registry,
                &facts,
                &proposal,
                agreements,
                assessments,
            )?;
            Ok((proposal, money))
        })
        .await?
    }
}
