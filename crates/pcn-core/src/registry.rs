//! The registry: every fact ever imported, and the state it gives as at any date.
//!
//! Facts are never overwritten; [`Registry::at`] answers "what did the
//! registry look like on this date" by these rules, which are the invariants
//! the checks and payments rely on:
//!
//! - **Attributes** (name, commissioner, status, location …) of a practice or
//!   network: facts dated on or before the date are laid over each other
//!   oldest first, so the newest source that says something wins, field by
//!   field. When no fact is that old, all facts are used.
//! - **Practices in scope**: those with a registered list in the latest list
//!   extract on or before the date (the registration data is the authority on
//!   which practices have patients). Without any list extract, the practices
//!   open in ODS on that date.
//! - **Membership**: the newest dated evidence on or before the date wins.
//!   ODS relationships (ePCN) are evidence from their start date (joined) and
//!   the day after their end date (left); snapshots (the registration map,
//!   GPAD mapping) are evidence on their extract date. If a snapshot is at
//!   least as new as the latest ODS change, the snapshot says which network;
//!   otherwise every ODS relationship covering the date does (so two
//!   overlapping relationships show up as two networks).
//!   A change recorded by hand ([`MembershipChange`]) is evidence from its
//!   effective date that the practice is in that one network (or, for the
//!   `U` placeholder, in none); it wins against official evidence of the
//!   same date, and newer official evidence wins against it.
//! - **Governance** facts: per field, the one with the latest `effective_from`
//!   on or before the date; an empty value means cleared.
//! - **Funding inputs** (populations, care-home beds, IIF points): the
//!   latest fact on or before the date; when there is none that old, the
//!   earliest after it (the best that is known). Each accessor returns the
//!   date of the fact it used, so the funding engine can mark a figure that
//!   is not as at the date a rule asks for. Among facts of the same date the
//!   later import wins. See [`Registry::weighted_population`],
//!   [`Registry::adjusted_population`], [`Registry::care_home_beds`],
//!   [`Registry::iif_points`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::codes::{CommissionerCode, IcbCode, PcnCode, PracticeCode, RegionCode, SubIcbCode};
use crate::facts::*;
use crate::rulebook::FinancialYear;

/// All facts, indexed for answering "as at" questions.
///
/// Cloning is cheap: the indexes are shared, and each network's facts are
/// shared one network at a time, so a registry with one network's
/// governance changed ([`Registry::with_governance_of`]) costs that network
/// alone.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    practices: Arc<BTreeMap<PracticeCode, PracticeFacts>>,
    networks: BTreeMap<PcnCode, Arc<NetworkFacts>>,
    /// Membership changes recorded by hand, per practice, ascending by
    /// effective date (of one date, in the order recorded). Kept apart from
    /// the practices' other facts so that a registry with one practice's
    /// changes replaced ([`Registry::with_membership_changes_of`]) shares
    /// every practice.
    recorded: Arc<BTreeMap<PracticeCode, Vec<MembershipChange>>>,
    /// Dates of list-size extracts, ascending.
    list_extracts: Arc<[NaiveDate]>,
    funding: Arc<FundingFacts>,
}

/// The inputs of the funding engine, indexed.
#[derive(Debug, Default)]
struct FundingFacts {
    /// Contractor weighted populations per practice, ascending by date.
    weighted: BTreeMap<PracticeCode, Vec<(NaiveDate, Decimal)>>,
    /// PCN adjusted populations per network, ascending by date.
    adjusted: BTreeMap<PcnCode, Vec<(NaiveDate, Decimal)>>,
    /// Each practice's share of its network's adjusted population (NHS
    /// England's adjusted populations files), ascending by date.
    adjusted_practice: BTreeMap<PracticeCode, Vec<(NaiveDate, Decimal)>>,
    /// CQC records per care home (location id), ascending by date.
    care_homes: BTreeMap<String, Vec<CareHomeFact>>,
    /// Alignments per care home (location id), ascending by `from`.
    alignments: BTreeMap<String, Vec<CareHomeAlignment>>,
    iif_achievements: Vec<IifAchievementFact>,
    /// Ascending by `recorded`.
    iif_points: Vec<IifPointsFact>,
    payment_actuals: Vec<PaymentActualFact>,
}

/// The beds of the care homes aligned to a network on a date.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CareHomeBeds {
    /// Beds of the aligned homes with a CQC record.
    pub beds: u64,
    /// Aligned homes with a CQC record (counted in `beds`).
    pub homes: usize,
    /// Of those, homes CQC marks dormant (their beds are counted).
    pub dormant: usize,
    /// The newest CQC extract date among the records used.
    pub as_at: Option<NaiveDate>,
    /// Location ids aligned to the network with no CQC record at all
    /// (their beds are unknown, so `beds` is incomplete).
    pub without_cqc_record: Vec<String>,
}

#[derive(Debug, Default)]
struct PracticeFacts {
    attributes: Vec<PracticeFact>,
    intervals: Vec<MembershipInterval>,
    observations: Vec<MembershipObservation>,
    /// Totals for all sexes, (as_at, total), ascending by date.
    list_sizes: Vec<(NaiveDate, u64)>,
}

#[derive(Debug, Default, Clone)]
struct NetworkFacts {
    attributes: Vec<NetworkFact>,
    governance: Vec<GovernanceFact>,
}

/// How a practice's network on a date was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "basis", content = "date", rename_all = "snake_case")]
pub enum MembershipBasis {
    /// An ODS relationship (ePCN) covering the date.
    OdsRelationship,
    /// A snapshot extract of this date (registration map, GPAD mapping).
    Snapshot(NaiveDate),
    /// A change recorded by hand, effective from this date.
    Recorded(NaiveDate),
    /// No evidence at all.
    None,
}

/// A practice as at a date.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PracticeView {
    pub code: PracticeCode,
    pub name: Option<String>,
    pub postcode: Option<String>,
    pub sub_icb: Option<SubIcbCode>,
    pub sub_icb_name: Option<String>,
    pub icb: Option<IcbCode>,
    pub icb_name: Option<String>,
    pub region: Option<RegionCode>,
    pub region_name: Option<String>,
    pub status: Option<PracticeStatus>,
    pub open_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    pub supplier: Option<String>,
    pub location: Option<LatLon>,
    /// Registered patients (all sexes) in the latest extract on or before the date.
    pub list_size: Option<u64>,
    pub list_as_at: Option<NaiveDate>,
    /// Real networks (never `U`) the practice belongs to on the date.
    pub networks: Vec<PcnCode>,
    /// True when the evidence places the practice in the `U` placeholder.
    pub unallocated: bool,
    pub membership_basis: MembershipBasis,
}

impl PracticeView {
    /// Whether the practice is under a commissioner (its sub-ICB or its ICB).
    pub fn is_under(&self, commissioner: &CommissionerCode) -> bool {
        commissioner.covers(self.sub_icb.as_ref(), self.icb.as_ref())
    }
}

/// A network's governance facts as at a date.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Governance {
    pub clinical_director: Option<String>,
    pub nominated_payee: Option<PracticeCode>,
    pub network_agreement_signed: Option<NaiveDate>,
    pub data_sharing_agreement_signed: Option<NaiveDate>,
    pub size_exception: Option<String>,
    pub community_partners: Vec<String>,
    pub mental_health_partners: Vec<String>,
    pub voluntary_partners: Vec<String>,
}

/// A network as at a date.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NetworkView {
    pub code: PcnCode,
    pub name: Option<String>,
    /// The sub-ICB ODS records for the network (ePCN), if any.
    pub recorded_sub_icb: Option<SubIcbCode>,
    /// The commissioner: the sub-ICB holding most of the members' patients on
    /// the date, or the recorded one when the network has no members.
    pub commissioner: Option<SubIcbCode>,
    pub icb: Option<IcbCode>,
    pub open_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    /// Member practices in scope on the date, by code.
    pub members: Vec<PracticeCode>,
    /// Sum of the members' registered lists.
    pub list_size: u64,
    /// Members with no registered list known (their patients are missing from `list_size`).
    pub members_without_list: Vec<PracticeCode>,
    pub governance: Governance,
}

impl NetworkView {
    /// Whether the network is under a commissioner (its sub-ICB or its ICB).
    pub fn is_under(&self, commissioner: &CommissionerCode) -> bool {
        commissioner.covers(self.commissioner.as_ref(), self.icb.as_ref())
    }

    pub fn is_closed_at(&self, date: NaiveDate) -> bool {
        self.close_date.is_some_and(|c| c <= date)
    }
}

/// The registry as at one date.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Snapshot {
    pub as_at: NaiveDate,
    /// The list-size extract the snapshot uses (latest on or before `as_at`).
    pub list_extract: Option<NaiveDate>,
    /// Shared: a snapshot with one network's governance changed
    /// ([`Snapshot::with_governance`]) shares its practices, and one with a
    /// practice's membership changed ([`Snapshot::with_membership_of`])
    /// shares all but one path of the (persistent) map.
    pub practices: imbl::OrdMap<PracticeCode, Arc<PracticeView>>,
    /// Networks with members on the date, and networks ODS has open on the
    /// date; never the `U` placeholder. Each shared, so a snapshot with one
    /// network's governance changed copies no other network.
    pub networks: BTreeMap<PcnCode, Arc<NetworkView>>,
}

impl Snapshot {
    /// The networks (with members or not) under a commissioner, every one
    /// when none is given.
    pub fn networks_under(&self, commissioner: Option<&CommissionerCode>) -> Vec<&NetworkView> {
        self.networks
            .values()
            .map(|n| &**n)
            .filter(|n| commissioner.is_none_or(|c| n.is_under(c)))
            .collect()
    }

    pub fn total_patients(&self) -> u64 {
        self.practices.values().filter_map(|p| p.list_size).sum()
    }

    /// Practices placed in the `U` "Unallocated" placeholder.
    pub fn unallocated(&self) -> impl Iterator<Item = &PracticeView> {
        self.practices
            .values()
            .map(|p| &**p)
            .filter(|p| p.unallocated)
    }

    /// Networks with at least one member on the date.
    pub fn networks_with_members(&self) -> impl Iterator<Item = &NetworkView> {
        self.networks
            .values()
            .map(|n| &**n)
            .filter(|n| !n.members.is_empty())
    }

    /// This snapshot after a change of `practice`'s membership evidence:
    /// what `registry` (which holds the change) gives as at the same date.
    /// The practice and the networks it left or joined are worked out again
    /// (their members, lists and commissioner); every other practice and
    /// network is shared with `self`. Returns the networks whose members
    /// changed. A practice the snapshot does not hold (no registered list
    /// at its date) changes nothing.
    pub fn with_membership_of(
        &self,
        registry: &Registry,
        practice: &PracticeCode,
    ) -> (Snapshot, BTreeSet<PcnCode>) {
        let Some(before) = self.practices.get(practice) else {
            return (self.clone(), BTreeSet::new());
        };
        let (pcns, basis) = registry.membership_at(practice, self.as_at);
        let unallocated = pcns.iter().any(PcnCode::is_unallocated);
        let networks: Vec<PcnCode> = pcns.into_iter().filter(|p| !p.is_unallocated()).collect();
        let changed: BTreeSet<PcnCode> = before
            .networks
            .iter()
            .chain(&networks)
            .filter(|pcn| before.networks.contains(pcn) != networks.contains(pcn))
            .cloned()
            .collect();
        let mut snapshot = self.clone();
        let mut view = (**before).clone();
        view.networks = networks;
        view.unallocated = unallocated;
        view.membership_basis = basis;
        let joined = view.networks.clone();
        snapshot.practices.insert(practice.clone(), Arc::new(view));
        for code in &changed {
            let mut members: Vec<PracticeCode> = self
                .networks
                .get(code)
                .map(|n| n.members.clone())
                .unwrap_or_default();
            members.retain(|m| m != practice);
            if joined.contains(code) {
                let at = members.partition_point(|m| m < practice);
                members.insert(at, practice.clone());
            }
            let member_views: Vec<&PracticeView> = members
                .iter()
                .filter_map(|m| snapshot.practices.get(m).map(|p| &**p))
                .collect();
            match registry.network_view(code, self.as_at, &member_views) {
                Some(network) => {
                    snapshot.networks.insert(code.clone(), Arc::new(network));
                }
                None => {
                    snapshot.networks.remove(code);
                }
            }
        }
        (snapshot, changed)
    }

    /// This snapshot with a network's governance replaced: what the
    /// registry gives as at the same date after a governance change
    /// ([`Registry::with_governance_of`]). A network the snapshot does not
    /// hold is left out, as [`Registry::at`] leaves it out.
    pub fn with_governance(&self, pcn: &PcnCode, governance: Governance) -> Snapshot {
        let mut snapshot = self.clone();
        if let Some(network) = snapshot.networks.get_mut(pcn) {
            Arc::make_mut(network).governance = governance;
        }
        snapshot
    }
}

impl Registry {
    /// Indexes a set of facts. Facts may come in any order and from any mix of
    /// sources; the result does not depend on import order.
    pub fn new(facts: FactBatch) -> Registry {
        let mut practices: BTreeMap<PracticeCode, PracticeFacts> = BTreeMap::new();
        let mut networks: BTreeMap<PcnCode, NetworkFacts> = BTreeMap::new();
        let mut extracts = BTreeSet::new();
        file_into(
            &mut practices,
            facts.practices,
            |f| f.code.clone(),
            |p| &mut p.attributes,
        );
        file_into(
            &mut practices,
            facts.intervals,
            |i| i.practice.clone(),
            |p| &mut p.intervals,
        );
        file_into(
            &mut practices,
            facts.observations,
            |o| o.practice.clone(),
            |p| &mut p.observations,
        );
        for list in facts.list_sizes {
            if list.sex == Sex::All {
                extracts.insert(list.as_at);
                practices
                    .entry(list.practice.clone())
                    .or_default()
                    .list_sizes
                    .push((list.as_at, list.total));
            }
        }
        let mut recorded = filed(facts.membership_changes, |c| c.practice.clone());
        for changes in recorded.values_mut() {
            changes.sort_by_key(|c| c.effective_from);
        }
        file_into(
            &mut networks,
            facts.networks,
            |f| f.code.clone(),
            |n| &mut n.attributes,
        );
        file_into(
            &mut networks,
            facts.governance,
            |f| f.pcn.clone(),
            |n| &mut n.governance,
        );
        let funding = FundingFacts::new(
            facts.populations,
            facts.care_homes,
            facts.care_home_alignments,
            facts.iif_achievements,
            facts.iif_points,
            facts.payment_actuals,
        );
        for practice in practices.values_mut() {
            // Stable sorts: among facts of the same date, the later import wins.
            practice.attributes.sort_by_key(|f| f.as_at);
            practice.observations.sort_by_key(|o| o.as_at);
            practice.list_sizes.sort_by_key(|(d, _)| *d);
        }
        for network in networks.values_mut() {
            network.attributes.sort_by_key(|f| f.as_at);
            network.governance.sort_by_key(|g| g.effective_from);
        }
        Registry {
            practices: Arc::new(practices),
            networks: networks
                .into_iter()
                .map(|(code, facts)| (code, Arc::new(facts)))
                .collect(),
            recorded: Arc::new(recorded),
            list_extracts: extracts.into_iter().collect(),
            funding: Arc::new(funding),
        }
    }

    /// This registry with a network's governance facts replaced by `facts`
    /// (all of them, in the order recorded): what a governance change made
    /// since it was built gives. Every other network, practice and funding
    /// fact is shared with `self`.
    pub fn with_governance_of(&self, pcn: &PcnCode, facts: Vec<GovernanceFact>) -> Registry {
        let mut registry = self.clone();
        let network = registry.networks.entry(pcn.clone()).or_default();
        let network = Arc::make_mut(network);
        network.governance = facts;
        network.governance.sort_by_key(|g| g.effective_from);
        registry
    }

    /// This registry with a practice's membership changes recorded by hand
    /// replaced by `changes` (all of them, in the order recorded): what a
    /// change recorded since it was built gives. Every other fact is shared
    /// with `self`.
    pub fn with_membership_changes_of(
        &self,
        practice: &PracticeCode,
        mut changes: Vec<MembershipChange>,
    ) -> Registry {
        let mut registry = self.clone();
        let recorded = Arc::make_mut(&mut registry.recorded);
        changes.sort_by_key(|c| c.effective_from);
        if changes.is_empty() {
            recorded.remove(practice);
        } else {
            recorded.insert(practice.clone(), changes);
        }
        registry
    }

    /// A practice's membership changes recorded by hand, oldest effective
    /// date first (of one date, in the order recorded).
    pub fn membership_changes_of(&self, practice: &PracticeCode) -> &[MembershipChange] {
        self.recorded.get(practice).map_or(&[], Vec::as_slice)
    }

    /// The networks a practice is in on a date, `U` included, and the
    /// evidence that decided it (the rule of [`Registry::at`]).
    pub fn membership_at(
        &self,
        practice: &PracticeCode,
        on: NaiveDate,
    ) -> (Vec<PcnCode>, MembershipBasis) {
        match self.practices.get(practice) {
            Some(facts) => membership_at(facts, self.membership_changes_of(practice), on),
            None => (Vec::new(), MembershipBasis::None),
        }
    }

    /// A network's governance facts, oldest `effective_from` first (of one
    /// date, in the order recorded).
    pub fn governance_facts_of(&self, pcn: &PcnCode) -> &[GovernanceFact] {
        self.networks.get(pcn).map_or(&[], |f| &f.governance)
    }

    /// A network's governance as at a date (see the module's rules).
    pub fn governance_at(&self, pcn: &PcnCode, as_at: NaiveDate) -> Governance {
        self.networks
            .get(pcn)
            .map(|f| governance_at(&f.governance, as_at))
            .unwrap_or_default()
    }

    /// The dates of the list-size extracts the registry holds.
    pub fn list_extracts(&self) -> &[NaiveDate] {
        &self.list_extracts
    }

    /// The latest date any fact describes, a sensible default for "as at".
    pub fn latest_date(&self) -> Option<NaiveDate> {
        let practice_dates = self.practices.values().flat_map(|p| {
            p.attributes
                .iter()
                .map(|f| f.as_at)
                .chain(p.observations.iter().map(|o| o.as_at))
                .chain(p.list_sizes.iter().map(|(d, _)| *d))
        });
        let network_dates = self
            .networks
            .values()
            .flat_map(|n| n.attributes.iter().map(|f| f.as_at));
        practice_dates.chain(network_dates).max()
    }

    /// The contractor weighted population of a practice as at `as_at`: the
    /// latest figure on or before the date, else the earliest after it, with
    /// the date of the figure used. `None` when none is recorded.
    pub fn weighted_population(
        &self,
        practice: &PracticeCode,
        as_at: NaiveDate,
    ) -> Option<(NaiveDate, Decimal)> {
        nearest_figure(&self.funding.weighted, practice, as_at)
    }

    /// Every registered list (all sexes) held for a practice, ascending by
    /// date, counts as decimals (the series [`crate::payrun::figure_at`] reads).
    pub fn list_sizes_of(&self, practice: &PracticeCode) -> Vec<(NaiveDate, Decimal)> {
        self.practices
            .get(practice)
            .map(|p| {
                p.list_sizes
                    .iter()
                    .map(|(d, n)| (*d, Decimal::from(*n)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every contractor weighted population held for a practice, ascending by date.
    pub fn weighted_populations_of(&self, practice: &PracticeCode) -> &[(NaiveDate, Decimal)] {
        self.funding
            .weighted
            .get(practice)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every PCN adjusted population held for a network, ascending by date.
    pub fn adjusted_populations_of(&self, pcn: &PcnCode) -> &[(NaiveDate, Decimal)] {
        self.funding
            .adjusted
            .get(pcn)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every adjusted population held for a practice (its share of its
    /// network's), ascending by date.
    pub fn practice_adjusted_populations_of(
        &self,
        practice: &PracticeCode,
    ) -> &[(NaiveDate, Decimal)] {
        self.funding
            .adjusted_practice
            .get(practice)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every PCN payment NHS Payments to General Practice records, all years.
    pub fn payment_actuals(&self) -> &[PaymentActualFact] {
        &self.funding.payment_actuals
    }

    /// The PCN adjusted population of a network as at `as_at`, by the same
    /// rule as [`Registry::weighted_population`].
    pub fn adjusted_population(
        &self,
        pcn: &PcnCode,
        as_at: NaiveDate,
    ) -> Option<(NaiveDate, Decimal)> {
        nearest_figure(&self.funding.adjusted, pcn, as_at)
    }

    /// Location ids of the care homes aligned to `pcn` on `on`. A home's
    /// alignment on a date is the one with the latest `from` on or before the
    /// date whose `to` (inclusive) has not passed, so a re-alignment to
    /// another network takes over from its start even if the old one was
    /// never closed.
    pub fn aligned_care_home_ids(&self, pcn: &PcnCode, on: NaiveDate) -> Vec<&str> {
        self.funding
            .alignments
            .iter()
            .filter(|(_, alignments)| {
                alignments
                    .iter()
                    .rev()
                    .find(|a| a.from <= on)
                    .is_some_and(|a| &a.pcn == pcn && a.to.is_none_or(|t| t >= on))
            })
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// The care homes aligned to `pcn` on `on`, each as the CQC record
    /// nearest the date (the latest on or before it, else the earliest
    /// after). Aligned homes with no CQC record are left out; see
    /// [`Registry::care_home_beds`].
    pub fn aligned_care_homes(&self, pcn: &PcnCode, on: NaiveDate) -> Vec<&CareHomeFact> {
        self.aligned_care_home_ids(pcn, on)
            .into_iter()
            .filter_map(|id| self.care_home(id, on))
            .collect()
    }

    /// The CQC record of a care home nearest `as_at` (latest on or before, else earliest after).
    pub fn care_home(&self, location_id: &str, as_at: NaiveDate) -> Option<&CareHomeFact> {
        self.funding
            .care_homes
            .get(location_id)
            .and_then(|v| nearest(v, as_at, |f| f.as_at))
    }

    /// The real networks (never `U`) a practice belongs to on a date, by the
    /// same evidence rule as [`Registry::at`], without building a snapshot.
    pub fn networks_of(&self, practice: &PracticeCode, on: NaiveDate) -> Vec<PcnCode> {
        let mut pcns = self.membership_at(practice, on).0;
        pcns.retain(|p| !p.is_unallocated());
        pcns
    }

    /// A practice's registered patients (all sexes) as at `on`: the extract
    /// latest on or before the date, else the earliest after it, with the
    /// extract date, by the rule of [`Registry::weighted_population`].
    pub fn list_size(&self, practice: &PracticeCode, on: NaiveDate) -> Option<(NaiveDate, u64)> {
        self.practices
            .get(practice)
            .and_then(|facts| nearest(&facts.list_sizes, on, |(d, _)| *d))
            .copied()
    }

    /// A practice's commissioner on a date: the newest fact on or before
    /// the date that names one, else the earliest after it that does (a
    /// list-size extract that names no commissioner does not hide the one
    /// an older or newer source gives).
    pub fn sub_icb_of(&self, practice: &PracticeCode, on: NaiveDate) -> Option<SubIcbCode> {
        let naming: Vec<&PracticeFact> = self
            .practices
            .get(practice)?
            .attributes
            .iter()
            .filter(|f| f.sub_icb.is_some())
            .collect();
        nearest(&naming, on, |f| f.as_at).and_then(|f| f.sub_icb.clone())
    }

    /// Every practice the registry knows, by code.
    pub fn practice_codes(&self) -> impl Iterator<Item = &PracticeCode> {
        self.practices.keys()
    }

    /// Whether any fact names this network (at any date): a code the
    /// registry has never heard of is a typo, not an empty network.
    pub fn knows_network(&self, pcn: &PcnCode) -> bool {
        self.networks
            .get(pcn)
            .is_some_and(|n| !n.attributes.is_empty())
            || self.practices.values().any(|p| {
                p.intervals.iter().any(|i| &i.pcn == pcn)
                    || p.observations.iter().any(|o| &o.pcn == pcn)
            })
    }

    /// The ICB each sub-ICB location belongs to, as the latest facts naming
    /// both say. A sub-ICB location is a fixed part of one ICB (since July
    /// 2022), so where the files of a date name a practice's sub-ICB location
    /// but not its ICB (ODS's epraccur and ePCN do not carry it), the ICB is
    /// the one later files name for that location.
    fn icb_of_sub_icb(&self) -> BTreeMap<&SubIcbCode, (&IcbCode, Option<&String>)> {
        let mut out: BTreeMap<&SubIcbCode, (NaiveDate, &IcbCode, Option<&String>)> =
            BTreeMap::new();
        for facts in self.practices.values() {
            for f in &facts.attributes {
                if let (Some(sub), Some(icb)) = (&f.sub_icb, &f.icb) {
                    let e = out
                        .entry(sub)
                        .or_insert((f.as_at, icb, f.icb_name.as_ref()));
                    if f.as_at > e.0 {
                        *e = (f.as_at, icb, f.icb_name.as_ref());
                    }
                }
            }
        }
        out.into_iter()
            .map(|(sub, (_, icb, name))| (sub, (icb, name)))
            .collect()
    }

    /// Every practice any membership fact (an ODS relationship, a snapshot
    /// or a change recorded by hand) has ever placed in `pcn`: the only practices that can count
    /// for it on some date.
    pub fn practices_ever_in(&self, pcn: &PcnCode) -> Vec<&PracticeCode> {
        self.practices
            .iter()
            .filter(|(code, p)| {
                p.intervals.iter().any(|i| &i.pcn == pcn)
                    || p.observations.iter().any(|o| &o.pcn == pcn)
                    || self
                        .membership_changes_of(code)
                        .iter()
                        .any(|c| &c.pcn == pcn)
            })
            .map(|(code, _)| code)
            .collect()
    }

    /// Whether any fact names this practice.
    pub fn knows_practice(&self, practice: &PracticeCode) -> bool {
        self.practices.contains_key(practice)
    }

    /// Whether any practice or network is under this commissioner (a sub-ICB
    /// location or an ICB) on any date the facts record.
    pub fn knows_commissioner(&self, commissioner: &CommissionerCode) -> bool {
        self.practices.values().any(|p| {
            p.attributes
                .iter()
                .any(|f| commissioner.covers(f.sub_icb.as_ref(), f.icb.as_ref()))
        }) || self.networks.values().any(|n| {
            n.attributes
                .iter()
                .any(|f| commissioner.covers(f.sub_icb.as_ref(), None))
        })
    }

    /// Every care home alignment, home by home, each home's in order of
    /// start (as recorded, for equal starts): the services view indexes
    /// them once instead of asking network by network.
    pub fn care_home_alignments(&self) -> impl Iterator<Item = &CareHomeAlignment> {
        self.funding.alignments.values().flatten()
    }

    /// The networks with a PCN adjusted population recorded at any date.
    pub fn networks_with_adjusted_population(&self) -> impl Iterator<Item = &PcnCode> {
        self.funding.adjusted.keys()
    }

    /// Whether any care home has ever been aligned to any network: until one
    /// has, a network's care-home beds are unknown rather than zero.
    pub fn has_care_home_alignments(&self) -> bool {
        !self.funding.alignments.is_empty()
    }

    /// The total beds of the care homes aligned to `pcn` on `on`, how many
    /// homes they are, the newest CQC date used, and the aligned homes whose
    /// beds are unknown.
    pub fn care_home_beds(&self, pcn: &PcnCode, on: NaiveDate) -> CareHomeBeds {
        let mut out = CareHomeBeds::default();
        for id in self.aligned_care_home_ids(pcn, on) {
            match self.care_home(id, on) {
                Some(home) => {
                    out.beds += u64::from(home.beds);
                    out.homes += 1;
                    out.dormant += usize::from(home.dormant);
                    out.as_at = out.as_at.max(Some(home.as_at));
                }
                None => out.without_cqc_record.push(id.to_string()),
            }
        }
        out
    }

    /// The IIF points recorded for a network and year: the total of
    /// [`Registry::iif_points_detail`], with the latest date recorded.
    pub fn iif_points(&self, pcn: &PcnCode, year: FinancialYear) -> Option<(NaiveDate, Decimal)> {
        let detail = self.iif_points_detail(pcn, year);
        let recorded = detail.iter().map(|f| f.recorded).max()?;
        Some((recorded, detail.iter().map(|f| f.points).sum()))
    }

    /// The IIF points recorded for a network and year, one entry per
    /// indicator (or one for the network's total): for each, the latest
    /// recorded (a correction supersedes).
    pub fn iif_points_detail(&self, pcn: &PcnCode, year: FinancialYear) -> Vec<&IifPointsFact> {
        let year = year.to_string();
        let mut latest: BTreeMap<Option<&str>, &IifPointsFact> = BTreeMap::new();
        // Ascending by `recorded` (stable: later imports last), so the last wins.
        for f in self
            .funding
            .iif_points
            .iter()
            .filter(|f| &f.pcn == pcn && f.financial_year == year)
        {
            latest.insert(f.indicator.as_deref(), f);
        }
        latest.into_values().collect()
    }

    /// The published IIF measures of an organisation (a network, or a
    /// practice) for a year, in import order.
    pub fn iif_achievements(
        &self,
        organisation: &IifOrganisation,
        year: FinancialYear,
    ) -> Vec<&IifAchievementFact> {
        let year = year.to_string();
        self.funding
            .iif_achievements
            .iter()
            .filter(|f| &f.organisation == organisation && f.financial_year == year)
            .collect()
    }

    /// The PCN payments NHS Payments to General Practice records for a
    /// practice in a year, one per stream.
    pub fn payments_to_practice(
        &self,
        practice: &PracticeCode,
        year: FinancialYear,
    ) -> Vec<&PaymentActualFact> {
        let year = year.to_string();
        self.funding
            .payment_actuals
            .iter()
            .filter(|f| &f.practice == practice && f.financial_year == year)
            .collect()
    }

    /// The PCN payments recorded for a network's practices in a year (by the
    /// network the payments file names for each practice), totalled by
    /// stream, in pence.
    pub fn network_payments(&self, pcn: &PcnCode, year: FinancialYear) -> BTreeMap<String, i64> {
        let year = year.to_string();
        let mut totals: BTreeMap<String, i64> = BTreeMap::new();
        for f in self
            .funding
            .payment_actuals
            .iter()
            .filter(|f| f.pcn.as_ref() == Some(pcn) && f.financial_year == year)
        {
            let total = totals.entry(f.stream.clone()).or_default();
            *total = total.saturating_add(f.amount);
        }
        totals
    }

    /// The membership history of a practice: ODS relationships as recorded,
    /// then runs of snapshot observations (first and last date seen).
    pub fn membership_history(&self, practice: &PracticeCode) -> Vec<MembershipRecord> {
        let Some(facts) = self.practices.get(practice) else {
            return Vec::new();
        };
        let mut records: Vec<MembershipRecord> = facts
            .intervals
            .iter()
            .map(|i| MembershipRecord {
                pcn: i.pcn.clone(),
                from: i.start,
                to: i.end,
                basis: "ODS relationship",
            })
            .collect();
        let mut run: Option<MembershipRecord> = None;
        for o in &facts.observations {
            match &mut run {
                Some(r) if r.pcn == o.pcn => r.to = Some(o.as_at),
                _ => {
                    records.extend(run.take());
                    run = Some(MembershipRecord {
                        pcn: o.pcn.clone(),
                        from: o.as_at,
                        to: Some(o.as_at),
                        basis: "seen in snapshot",
                    });
                }
            }
        }
        records.extend(run);
        records.extend(
            self.membership_changes_of(practice)
                .iter()
                .map(|c| MembershipRecord {
                    pcn: c.pcn.clone(),
                    from: c.effective_from,
                    to: None,
                    basis: "recorded by hand",
                }),
        );
        records.sort_by_key(|r| r.from);
        records
    }

    /// The state of the registry on `as_at`.
    pub fn at(&self, as_at: NaiveDate) -> Snapshot {
        let list_extract = self
            .list_extracts
            .iter()
            .rev()
            .find(|d| **d <= as_at)
            .copied();
        let mut practices = BTreeMap::new();
        let icbs = self.icb_of_sub_icb();
        for (code, facts) in self.practices.iter() {
            let mut attributes = merge_practice(code, &facts.attributes, as_at);
            if attributes.icb.is_none() {
                if let Some((icb, name)) = attributes.sub_icb.as_ref().and_then(|s| icbs.get(s)) {
                    attributes.icb = Some((*icb).clone());
                    attributes.icb_name = name.cloned();
                }
            }
            let list = facts
                .list_sizes
                .iter()
                .rev()
                .find(|(d, _)| *d <= as_at)
                .copied();
            let in_scope = match list_extract {
                Some(extract) => list.is_some_and(|(d, _)| d == extract),
                None => is_open_practice(&attributes, as_at),
            };
            if !in_scope {
                continue;
            }
            let (pcns, basis) = membership_at(facts, self.membership_changes_of(code), as_at);
            let unallocated = pcns.iter().any(PcnCode::is_unallocated);
            let networks = pcns.into_iter().filter(|p| !p.is_unallocated()).collect();
            practices.insert(
                code.clone(),
                Arc::new(PracticeView {
                    code: code.clone(),
                    name: attributes.name,
                    postcode: attributes.postcode,
                    sub_icb: attributes.sub_icb,
                    sub_icb_name: attributes.sub_icb_name,
                    icb: attributes.icb,
                    icb_name: attributes.icb_name,
                    region: attributes.region,
                    region_name: attributes.region_name,
                    status: attributes.status,
                    open_date: attributes.open_date,
                    close_date: attributes.close_date,
                    supplier: attributes.supplier,
                    location: attributes.location,
                    list_size: list.map(|(_, n)| n),
                    list_as_at: list.map(|(d, _)| d),
                    networks,
                    unallocated,
                    membership_basis: basis,
                }),
            );
        }

        let mut members: HashMap<&PcnCode, Vec<&PracticeView>> = HashMap::new();
        for practice in practices.values() {
            for pcn in &practice.networks {
                members.entry(pcn).or_default().push(practice);
            }
        }

        let mut networks = BTreeMap::new();
        let codes: BTreeSet<&PcnCode> = self
            .networks
            .keys()
            .chain(members.keys().copied())
            .filter(|c| !c.is_unallocated())
            .collect();
        for code in codes {
            let member_views = members.get(code).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(view) = self.network_view(code, as_at, member_views) {
                networks.insert(code.clone(), Arc::new(view));
            }
        }
        Snapshot {
            as_at,
            list_extract,
            practices: practices.into_iter().collect(),
            networks,
        }
    }

    /// A network as at `as_at` with these members (in code order), as
    /// [`Registry::at`] describes it; `None` for one with no members that
    /// ODS does not have open on the date.
    fn network_view(
        &self,
        code: &PcnCode,
        as_at: NaiveDate,
        member_views: &[&PracticeView],
    ) -> Option<NetworkView> {
        let facts = self.networks.get(code);
        let attributes = facts.map(|f| merge_network(code, &f.attributes, as_at));
        let open_in_ods = attributes.as_ref().is_some_and(|a| {
            a.open_date.is_some_and(|o| o <= as_at) && a.close_date.is_none_or(|c| c > as_at)
        });
        if member_views.is_empty() && !open_in_ods {
            return None;
        }
        let recorded_sub_icb = attributes.as_ref().and_then(|a| a.sub_icb.clone());
        let (commissioner, icb) = dominant_commissioner(member_views);
        Some(NetworkView {
            code: code.clone(),
            name: attributes.as_ref().and_then(|a| a.name.clone()),
            commissioner: commissioner.or_else(|| recorded_sub_icb.clone()),
            recorded_sub_icb,
            icb,
            open_date: attributes.as_ref().and_then(|a| a.open_date),
            close_date: attributes.as_ref().and_then(|a| a.close_date),
            members: member_views.iter().map(|p| p.code.clone()).collect(),
            list_size: member_views.iter().filter_map(|p| p.list_size).sum(),
            members_without_list: member_views
                .iter()
                .filter(|p| p.list_size.is_none())
                .map(|p| p.code.clone())
                .collect(),
            governance: facts
                .map(|f| governance_at(&f.governance, as_at))
                .unwrap_or_default(),
        })
    }
}

impl FundingFacts {
    fn new(
        populations: Vec<PopulationFact>,
        care_homes: Vec<CareHomeFact>,
        alignments: Vec<CareHomeAlignment>,
        iif_achievements: Vec<IifAchievementFact>,
        iif_points: Vec<IifPointsFact>,
        payment_actuals: Vec<PaymentActualFact>,
    ) -> FundingFacts {
        let mut funding = FundingFacts::default();
        for p in populations {
            match (p.kind, p.subject) {
                (PopulationKind::Weighted, PopulationSubject::Practice(code)) => funding
                    .weighted
                    .entry(code)
                    .or_default()
                    .push((p.as_at, p.value)),
                (PopulationKind::Adjusted, PopulationSubject::Network(code)) => funding
                    .adjusted
                    .entry(code)
                    .or_default()
                    .push((p.as_at, p.value)),
                (PopulationKind::Adjusted, PopulationSubject::Practice(code)) => funding
                    .adjusted_practice
                    .entry(code)
                    .or_default()
                    .push((p.as_at, p.value)),
                // A weighted figure for a network is not published; the
                // importers never make one.
                _ => {}
            }
        }
        funding.care_homes = filed(care_homes, |h| h.location_id.clone());
        funding.alignments = filed(alignments, |a| a.location_id.clone());
        // Stable sorts: among facts of the same date, the later import wins.
        for v in funding.weighted.values_mut() {
            v.sort_by_key(|(d, _)| *d);
        }
        for v in funding.adjusted.values_mut() {
            v.sort_by_key(|(d, _)| *d);
        }
        for v in funding.adjusted_practice.values_mut() {
            v.sort_by_key(|(d, _)| *d);
        }
        for v in funding.care_homes.values_mut() {
            v.sort_by_key(|f| f.as_at);
        }
        for v in funding.alignments.values_mut() {
            v.sort_by_key(|a| a.from);
        }
        funding.iif_achievements = iif_achievements;
        funding.iif_points = iif_points;
        funding.iif_points.sort_by_key(|f| f.recorded);
        funding.payment_actuals = payment_actuals;
        funding
    }
}

/// In facts sorted by date: the last fact dated on or before `as_at`; when
/// none is, the last of those sharing the earliest date.
fn nearest<T>(sorted: &[T], as_at: NaiveDate, date: impl Fn(&T) -> NaiveDate) -> Option<&T> {
    let upto = sorted.partition_point(|f| date(f) <= as_at);
    if upto > 0 {
        return sorted.get(upto - 1);
    }
    let first = date(sorted.first()?);
    let end = sorted.partition_point(|f| date(f) <= first);
    sorted.get(end.saturating_sub(1))
}

/// One line of a practice's membership history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MembershipRecord {
    pub pcn: PcnCode,
    pub from: NaiveDate,
    /// Last day known; `None` is open-ended.
    pub to: Option<NaiveDate>,
    pub basis: &'static str,
}

/// Lays the facts dated on or before `as_at` over each other, oldest first.
/// If none is that old, lays all of them (the best that is known).
fn facts_for<T>(facts: &[T], as_at: NaiveDate, date: impl Fn(&T) -> NaiveDate) -> &[T] {
    let upto = facts.partition_point(|f| date(f) <= as_at);
    if upto == 0 {
        facts
    } else {
        &facts[..upto]
    }
}

/// Files each item under its key in `map`, at the end of the list `field`
/// picks of the key's entry (so each list keeps the order the items come).
fn file_into<K: Ord, V: Default, T>(
    map: &mut BTreeMap<K, V>,
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
    field: impl Fn(&mut V) -> &mut Vec<T>,
) {
    for item in items {
        field(map.entry(key(&item)).or_default()).push(item);
    }
}

/// The items filed under their key, each list in the order the items come.
fn filed<K: Ord, T>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> BTreeMap<K, Vec<T>> {
    let mut filed = BTreeMap::new();
    file_into(&mut filed, items, key, |list| list);
    filed
}

/// The dated figure of `key` nearest `as_at` (see [`nearest`]).
fn nearest_figure<K: Ord>(
    series: &BTreeMap<K, Vec<(NaiveDate, Decimal)>>,
    key: &K,
    as_at: NaiveDate,
) -> Option<(NaiveDate, Decimal)> {
    series
        .get(key)
        .and_then(|v| nearest(v, as_at, |(d, _)| *d))
        .copied()
}

fn overlay<T: Clone>(target: &mut Option<T>, value: &Option<T>) {
    if value.is_some() {
        target.clone_from(value);
    }
}

fn merge_practice(code: &PracticeCode, facts: &[PracticeFact], as_at: NaiveDate) -> PracticeFact {
    let mut merged = PracticeFact::new(code.clone(), as_at);
    for f in facts_for(facts, as_at, |f| f.as_at) {
        overlay(&mut merged.name, &f.name);
        overlay(&mut merged.postcode, &f.postcode);
        overlay(&mut merged.sub_icb, &f.sub_icb);
        overlay(&mut merged.sub_icb_name, &f.sub_icb_name);
        overlay(&mut merged.icb, &f.icb);
        overlay(&mut merged.icb_name, &f.icb_name);
        overlay(&mut merged.region, &f.region);
        overlay(&mut merged.region_name, &f.region_name);
        overlay(&mut merged.open_date, &f.open_date);
        overlay(&mut merged.close_date, &f.close_date);
        overlay(&mut merged.status, &f.status);
        overlay(&mut merged.prescribing_setting, &f.prescribing_setting);
        overlay(&mut merged.supplier, &f.supplier);
        overlay(&mut merged.location, &f.location);
    }
    merged
}

fn merge_network(code: &PcnCode, facts: &[NetworkFact], as_at: NaiveDate) -> NetworkFact {
    let mut merged = NetworkFact::new(code.clone(), as_at);
    for f in facts_for(facts, as_at, |f| f.as_at) {
        overlay(&mut merged.name, &f.name);
        overlay(&mut merged.sub_icb, &f.sub_icb);
        overlay(&mut merged.open_date, &f.open_date);
        overlay(&mut merged.close_date, &f.close_date);
        overlay(&mut merged.postcode, &f.postcode);
    }
    merged
}

fn is_open_practice(p: &PracticeFact, as_at: NaiveDate) -> bool {
    // The status is today's: a practice closed since `as_at` (its close date
    // later) was open then.
    let status_open = match p.status {
        Some(PracticeStatus::Closed) => p.close_date.is_some_and(|c| c > as_at),
        Some(PracticeStatus::Proposed) => false,
        _ => true,
    };
    let setting_gp = p.prescribing_setting.is_none_or(|s| s == 4);
    status_open
        && setting_gp
        && p.open_date.is_none_or(|o| o <= as_at)
        && p.close_date.is_none_or(|c| c > as_at)
}

fn membership_at(
    facts: &PracticeFacts,
    recorded: &[MembershipChange],
    as_at: NaiveDate,
) -> (Vec<PcnCode>, MembershipBasis) {
    let latest_observation = facts
        .observations
        .iter()
        .rev()
        .find(|o| o.as_at <= as_at)
        .map(|o| o.as_at);
    let latest_ods_change = facts
        .intervals
        .iter()
        .flat_map(|i| [Some(i.start), i.end.and_then(|e| e.succ_opt())])
        .flatten()
        .filter(|d| *d <= as_at)
        .max();
    // Ascending by date, of one date in the order recorded: the last in
    // force is the newest.
    let latest_recorded = recorded.iter().rev().find(|c| c.effective_from <= as_at);
    if let Some(change) = latest_recorded {
        let newest = change.effective_from;
        if latest_observation.is_none_or(|seen| newest >= seen)
            && latest_ods_change.is_none_or(|changed| newest >= changed)
        {
            return (vec![change.pcn.clone()], MembershipBasis::Recorded(newest));
        }
    }
    if let Some(seen) = latest_observation {
        if latest_ods_change.is_none_or(|changed| seen >= changed) {
            let mut pcns: Vec<PcnCode> = facts
                .observations
                .iter()
                .filter(|o| o.as_at == seen)
                .map(|o| o.pcn.clone())
                .collect();
            pcns.sort();
            pcns.dedup();
            return (pcns, MembershipBasis::Snapshot(seen));
        }
    }
    let mut pcns: Vec<PcnCode> = facts
        .intervals
        .iter()
        .filter(|i| i.start <= as_at && i.end.is_none_or(|e| e >= as_at))
        .map(|i| i.pcn.clone())
        .collect();
    pcns.sort();
    pcns.dedup();
    let basis = if facts.intervals.is_empty() {
        MembershipBasis::None
    } else {
        MembershipBasis::OdsRelationship
    };
    (pcns, basis)
}

/// The sub-ICB (and its ICB) holding most of the members' patients; ties go
/// to the lower code so the answer is deterministic.
fn dominant_commissioner(members: &[&PracticeView]) -> (Option<SubIcbCode>, Option<IcbCode>) {
    let mut weight: BTreeMap<&SubIcbCode, (u64, Option<&IcbCode>)> = BTreeMap::new();
    for p in members {
        if let Some(sub_icb) = &p.sub_icb {
            let entry = weight.entry(sub_icb).or_insert((0, p.icb.as_ref()));
            entry.0 += p.list_size.unwrap_or(0);
        }
    }
    let best = weight
        .iter()
        .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then_with(|| b.0.cmp(a.0)));
    match best {
        Some((code, (_, icb))) => (Some((*code).clone()), icb.cloned()),
        None => (None, None),
    }
}

fn governance_at(facts: &[GovernanceFact], as_at: NaiveDate) -> Governance {
    let mut latest: BTreeMap<GovernanceField, &str> = BTreeMap::new();
    for f in facts.iter().filter(|f| f.effective_from <= as_at) {
        latest.insert(f.field, f.value.as_str());
    }
    let value = |field| latest.get(&field).copied().filter(|v| !v.is_empty());
    let list = |field| {
        value(field)
            .map(|v| {
                v.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    Governance {
        clinical_director: value(GovernanceField::ClinicalDirector).map(String::from),
        nominated_payee: value(GovernanceField::NominatedPayee)
            .and_then(|v| PracticeCode::parse(v).ok()),
        network_agreement_signed: value(GovernanceField::NetworkAgreementSigned)
            .and_then(crate::dates::parse_date),
        data_sharing_agreement_signed: value(GovernanceField::DataSharingAgreementSigned)
            .and_then(crate::dates::parse_date),
        size_exception: value(GovernanceField::SizeException).map(String::from),
        community_partners: list(GovernanceField::CommunityPartners),
        mental_health_partners: list(GovernanceField::MentalHealthPartners),
        voluntary_partners: list(GovernanceField::VoluntaryPartners),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::dates::parse_date(s).unwrap()
    }
    fn prac(s: &str) -> PracticeCode {
        PracticeCode::parse(s).unwrap()
    }
    fn pcn(s: &str) -> PcnCode {
        PcnCode::parse(s).unwrap()
    }
    fn list(p: &str, at: &str, n: u64) -> ListSizeFact {
        ListSizeFact {
            practice: prac(p),
            as_at: d(at),
            sex: Sex::All,
            total: n,
            bands: None,
        }
    }
    fn obs(p: &str, n: &str, at: &str) -> MembershipObservation {
        MembershipObservation {
            practice: prac(p),
            pcn: pcn(n),
            as_at: d(at),
        }
    }
    fn interval(p: &str, n: &str, start: &str, end: Option<&str>) -> MembershipInterval {
        MembershipInterval {
            practice: prac(p),
            pcn: pcn(n),
            start: d(start),
            end: end.map(d),
        }
    }

    #[test]
    fn a_practice_that_moved_keeps_both_memberships_dated() {
        let facts = FactBatch {
            intervals: vec![interval("A81001", "U00001", "2019-07-01", None)],
            observations: vec![obs("A81001", "U00002", "2026-07-01")],
            list_sizes: vec![
                list("A81001", "2024-10-01", 9000),
                list("A81001", "2026-07-01", 9100),
            ],
            ..FactBatch::default()
        };
        let registry = Registry::new(facts);
        let before = registry.at(d("2025-01-01"));
        assert_eq!(
            before.practices[&prac("A81001")].networks,
            vec![pcn("U00001")]
        );
        assert_eq!(before.practices[&prac("A81001")].list_size, Some(9000));
        let after = registry.at(d("2026-07-01"));
        assert_eq!(
            after.practices[&prac("A81001")].networks,
            vec![pcn("U00002")]
        );
        assert_eq!(after.practices[&prac("A81001")].list_size, Some(9100));
        assert_eq!(after.networks[&pcn("U00002")].list_size, 9100);
        let history = registry.membership_history(&prac("A81001"));
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].pcn, pcn("U00001"));
        assert_eq!(history[1].pcn, pcn("U00002"));
    }

    fn moved(p: &str, n: &str, from: &str) -> MembershipChange {
        MembershipChange {
            practice: prac(p),
            pcn: pcn(n),
            effective_from: d(from),
        }
    }

    /// Three practices in two networks, on a July 2026 snapshot.
    fn two_networks() -> FactBatch {
        let mut facts = FactBatch::default();
        for (p, n, size) in [
            ("A81001", "U00001", 20_000),
            ("A81002", "U00001", 15_000),
            ("A81003", "U00002", 30_000),
        ] {
            let mut fact = PracticeFact::new(prac(p), d("2026-07-01"));
            fact.sub_icb = Some(SubIcbCode::parse("00K").unwrap());
            facts.practices.push(fact);
            facts.observations.push(obs(p, n, "2026-07-01"));
            facts.list_sizes.push(list(p, "2026-07-01", size));
        }
        facts
    }

    #[test]
    fn a_move_recorded_by_hand_holds_from_its_date_until_newer_evidence() {
        let mut facts = two_networks();
        facts.membership_changes = vec![moved("A81002", "U00002", "2027-04-01")];
        facts
            .observations
            .push(obs("A81002", "U00001", "2027-10-01"));
        let registry = Registry::new(facts);
        let a81002 = prac("A81002");
        assert_eq!(
            registry.networks_of(&a81002, d("2027-03-31")),
            vec![pcn("U00001")]
        );
        let moved_then = registry.at(d("2027-04-01"));
        assert_eq!(moved_then.practices[&a81002].networks, vec![pcn("U00002")]);
        assert_eq!(
            moved_then.practices[&a81002].membership_basis,
            MembershipBasis::Recorded(d("2027-04-01"))
        );
        assert_eq!(moved_then.networks[&pcn("U00001")].list_size, 20_000);
        assert_eq!(moved_then.networks[&pcn("U00002")].list_size, 45_000);
        // A newer official snapshot is newer evidence, and wins.
        assert_eq!(
            registry.networks_of(&a81002, d("2027-10-01")),
            vec![pcn("U00001")]
        );
        let history = registry.membership_history(&a81002);
        assert!(history
            .iter()
            .any(|r| r.basis == "recorded by hand" && r.pcn == pcn("U00002")));
    }

    #[test]
    fn a_change_recorded_by_hand_wins_a_tie_and_u_means_it_left() {
        let mut facts = two_networks();
        // Recorded for the snapshot's own date: the deliberate record wins.
        facts.membership_changes = vec![moved("A81003", "U", "2026-07-01")];
        let registry = Registry::new(facts);
        let snapshot = registry.at(d("2026-07-01"));
        let a81003 = &snapshot.practices[&prac("A81003")];
        assert!(a81003.networks.is_empty());
        assert!(a81003.unallocated);
        // U00002 has no members left and ODS never opened it: it is gone.
        assert!(!snapshot.networks.contains_key(&pcn("U00002")));
    }

    /// A snapshot worked out again for one practice equals the snapshot of
    /// the changed registry, network by network.
    #[test]
    fn a_snapshot_changed_for_one_practice_equals_the_whole_snapshot() {
        let before = Registry::new(two_networks());
        let on = d("2027-05-01");
        let snapshot = before.at(on);
        let json = |s: &Snapshot| serde_json::to_value(s).unwrap();
        for (practice, to) in [("A81002", "U00002"), ("A81003", "U"), ("A81001", "U00003")] {
            let code = prac(practice);
            let after =
                before.with_membership_changes_of(&code, vec![moved(practice, to, "2027-04-01")]);
            let (changed, networks) = snapshot.with_membership_of(&after, &code);
            assert_eq!(json(&changed), json(&after.at(on)), "{practice} to {to}");
            let from = &snapshot.practices[&code].networks[0];
            assert!(networks.contains(from), "{practice} left {from}");
            assert_eq!(networks.contains(&pcn(to)), to != "U");
        }
        // Nothing recorded: nothing changes.
        let code = prac("A81001");
        let (same, networks) = snapshot.with_membership_of(&before, &code);
        assert!(networks.is_empty());
        assert_eq!(json(&same), json(&snapshot));
    }

    #[test]
    fn a_newer_ods_change_beats_an_older_snapshot() {
        let facts = FactBatch {
            intervals: vec![
                interval("A81001", "U00001", "2019-07-01", Some("2026-03-31")),
                interval("A81001", "U00002", "2026-04-01", None),
            ],
            observations: vec![obs("A81001", "U00001", "2025-08-01")],
            list_sizes: vec![list("A81001", "2026-05-01", 5000)],
            ..FactBatch::default()
        };
        let snapshot = Registry::new(facts).at(d("2026-05-01"));
        assert_eq!(
            snapshot.practices[&prac("A81001")].networks,
            vec![pcn("U00002")]
        );
    }

    #[test]
    fn overlapping_ods_relationships_give_two_networks() {
        let facts = FactBatch {
            intervals: vec![
                interval("A81001", "U00001", "2019-07-01", None),
                interval("A81001", "U00002", "2020-04-01", None),
            ],
            list_sizes: vec![list("A81001", "2021-01-01", 5000)],
            ..FactBatch::default()
        };
        let snapshot = Registry::new(facts).at(d("2021-01-01"));
        assert_eq!(
            snapshot.practices[&prac("A81001")].networks,
            vec![pcn("U00001"), pcn("U00002")]
        );
    }

    #[test]
    fn scope_is_the_latest_list_extract() {
        let facts = FactBatch {
            list_sizes: vec![
                list("A81001", "2026-06-01", 100),
                list("A81002", "2026-06-01", 200),
                list("A81001", "2026-07-01", 110),
            ],
            observations: vec![obs("A81001", "U", "2026-07-01")],
            ..FactBatch::default()
        };
        let registry = Registry::new(facts);
        let july = registry.at(d("2026-07-15"));
        assert_eq!(july.list_extract, Some(d("2026-07-01")));
        assert_eq!(july.practices.len(), 1, "A81002 is not in the July extract");
        assert!(july.practices[&prac("A81001")].unallocated);
        assert!(july.networks.is_empty(), "U is not a network");
        let june = registry.at(d("2026-06-01"));
        assert_eq!(june.practices.len(), 2);
        assert_eq!(june.total_patients(), 300);
    }

    #[test]
    fn newest_attribute_wins_field_by_field() {
        let mut old = PracticeFact::new(prac("A81001"), d("2025-09-01"));
        old.name = Some("OLD NAME".into());
        old.status = Some(PracticeStatus::Active);
        let mut new = PracticeFact::new(prac("A81001"), d("2026-07-01"));
        new.name = Some("NEW NAME".into());
        let facts = FactBatch {
            // Deliberately newest first: order of import must not matter.
            practices: vec![new, old],
            list_sizes: vec![list("A81001", "2026-07-01", 1)],
            ..FactBatch::default()
        };
        let registry = Registry::new(facts);
        let p = &registry.at(d("2026-07-01")).practices[&prac("A81001")];
        assert_eq!(p.name.as_deref(), Some("NEW NAME"));
        assert_eq!(p.status, Some(PracticeStatus::Active));
    }

    #[test]
    fn governance_is_dated_and_can_be_cleared() {
        let g = |field, value: &str, from: &str| GovernanceFact {
            pcn: pcn("U00001"),
            field,
            value: value.into(),
            effective_from: d(from),
        };
        let facts = FactBatch {
            networks: vec![NetworkFact {
                open_date: Some(d("2019-07-01")),
                ..NetworkFact::new(pcn("U00001"), d("2024-10-01"))
            }],
            governance: vec![
                g(GovernanceField::ClinicalDirector, "Dr A", "2019-07-01"),
                g(GovernanceField::ClinicalDirector, "Dr B", "2024-04-01"),
                g(GovernanceField::NominatedPayee, "A81001", "2019-07-01"),
                g(GovernanceField::NominatedPayee, "", "2025-01-01"),
            ],
            ..FactBatch::default()
        };
        let registry = Registry::new(facts);
        let early = &registry.at(d("2020-01-01")).networks[&pcn("U00001")].governance;
        assert_eq!(early.clinical_director.as_deref(), Some("Dr A"));
        assert_eq!(early.nominated_payee, Some(prac("A81001")));
        let late = &registry.at(d("2025-06-01")).networks[&pcn("U00001")].governance;
        assert_eq!(late.clinical_director.as_deref(), Some("Dr B"));
        assert_eq!(late.nominated_payee, None);
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }
    fn population(
        subject: PopulationSubject,
        kind: PopulationKind,
        at: &str,
        v: &str,
    ) -> PopulationFact {
        PopulationFact {
            subject,
            kind,
            as_at: d(at),
            value: dec(v),
        }
    }

    #[test]
    fn populations_as_at_latest_on_or_before_else_earliest_after() {
        let practice = || PopulationSubject::Practice(prac("A81001"));
        let network = || PopulationSubject::Network(pcn("U00001"));
        let registry = Registry::new(FactBatch {
            populations: vec![
                population(practice(), PopulationKind::Weighted, "2024-01-01", "9100.5"),
                population(
                    practice(),
                    PopulationKind::Weighted,
                    "2023-01-01",
                    "9000.25",
                ),
                // Same date again, imported later: it wins.
                population(
                    practice(),
                    PopulationKind::Weighted,
                    "2024-01-01",
                    "9101.75",
                ),
                population(
                    network(),
                    PopulationKind::Adjusted,
                    "2025-01-01",
                    "40123.456",
                ),
            ],
            ..FactBatch::default()
        });
        let w = |at| registry.weighted_population(&prac("A81001"), d(at));
        assert_eq!(w("2022-06-01"), Some((d("2023-01-01"), dec("9000.25"))));
        assert_eq!(w("2023-06-01"), Some((d("2023-01-01"), dec("9000.25"))));
        assert_eq!(w("2024-01-01"), Some((d("2024-01-01"), dec("9101.75"))));
        assert_eq!(w("2030-01-01"), Some((d("2024-01-01"), dec("9101.75"))));
        assert_eq!(
            registry.weighted_population(&prac("A81002"), d("2024-01-01")),
            None
        );
        assert_eq!(
            registry.adjusted_population(&pcn("U00001"), d("2024-04-01")),
            Some((d("2025-01-01"), dec("40123.456")))
        );
        assert_eq!(
            registry.adjusted_population(&pcn("U00002"), d("2024-04-01")),
            None
        );
        // An adjusted figure is not a weighted one.
        assert_eq!(
            registry
                .weighted_population(&prac("A81001"), d("2024-01-01"))
                .map(|x| x.1),
            Some(dec("9101.75"))
        );
    }

    fn home(id: &str, beds: u32, at: &str) -> CareHomeFact {
        CareHomeFact {
            location_id: id.into(),
            name: format!("HOME {id}"),
            postcode: None,
            beds,
            location: None,
            local_authority: None,
            ods_code: None,
            dormant: false,
            as_at: d(at),
        }
    }
    fn align(id: &str, n: &str, from: &str, to: Option<&str>) -> CareHomeAlignment {
        CareHomeAlignment {
            location_id: id.into(),
            pcn: pcn(n),
            from: d(from),
            to: to.map(d),
        }
    }

    #[test]
    fn care_homes_aligned_on_a_date_and_their_beds() {
        let registry = Registry::new(FactBatch {
            care_homes: vec![
                home("1-1", 40, "2024-01-01"),
                home("1-1", 42, "2025-01-01"),
                home("1-2", 30, "2024-01-01"),
                CareHomeFact {
                    dormant: true,
                    ..home("1-3", 10, "2024-01-01")
                },
            ],
            care_home_alignments: vec![
                align("1-1", "U00001", "2020-04-01", None),
                // Moved to U00002 from 2024-10-01 without closing the first.
                align("1-2", "U00001", "2020-04-01", None),
                align("1-2", "U00002", "2024-10-01", None),
                align("1-3", "U00001", "2020-04-01", Some("2024-12-31")),
                align("1-9", "U00001", "2020-04-01", None),
            ],
            ..FactBatch::default()
        });
        let u1 = pcn("U00001");
        let mid_2024 = registry.care_home_beds(&u1, d("2024-06-01"));
        assert_eq!(
            mid_2024,
            CareHomeBeds {
                beds: 40 + 30 + 10,
                homes: 3,
                dormant: 1,
                as_at: Some(d("2024-01-01")),
                without_cqc_record: vec!["1-9".into()],
            }
        );
        let y2025 = registry.care_home_beds(&u1, d("2025-06-01"));
        assert_eq!((y2025.beds, y2025.homes), (42, 1));
        assert_eq!(y2025.as_at, Some(d("2025-01-01")));
        let homes = registry.aligned_care_homes(&pcn("U00002"), d("2025-06-01"));
        assert_eq!(homes.len(), 1);
        assert_eq!(homes[0].location_id, "1-2");
        // Before any CQC extract: the earliest one is used.
        assert_eq!(
            registry.care_home_beds(&u1, d("2021-01-01")).as_at,
            Some(d("2024-01-01"))
        );
        assert_eq!(
            registry.care_home_beds(&u1, d("2019-01-01")),
            CareHomeBeds::default()
        );
    }

    #[test]
    fn iif_points_achievements_and_payments_by_year() {
        let fy: FinancialYear = "2023-24".parse().unwrap();
        let points = |p: &str, at: &str| IifPointsFact {
            indicator: None,
            pcn_prevalence: None,
            national_prevalence: None,
            pcn: pcn("U00001"),
            financial_year: "2023-24".into(),
            points: dec(p),
            recorded: d(at),
        };
        let registry = Registry::new(FactBatch {
            iif_points: vec![points("150.5", "2024-07-01"), points("120", "2024-06-01")],
            iif_achievements: vec![
                IifAchievementFact {
                    organisation: IifOrganisation::Pcn(pcn("U00001")),
                    financial_year: "2023-24".into(),
                    indicator: "NCDMI198".into(),
                    measure: "EHCH-04 Numerator".into(),
                    value: dec("12"),
                    achievement_date: d("2024-03-31"),
                },
                IifAchievementFact {
                    organisation: IifOrganisation::Practice(prac("A81001")),
                    financial_year: "2023-24".into(),
                    indicator: "NCD026".into(),
                    measure: "ACC-08 Numerator".into(),
                    value: dec("3001"),
                    achievement_date: d("2024-03-31"),
                },
            ],
            payment_actuals: vec![
                PaymentActualFact {
                    practice: prac("A81001"),
                    pcn: Some(pcn("U00001")),
                    financial_year: "2023-24".into(),
                    stream: "PCN Leadership".into(),
                    amount: 1_234_567,
                },
                PaymentActualFact {
                    practice: prac("A81002"),
                    pcn: Some(pcn("U00001")),
                    financial_year: "2023-24".into(),
                    stream: "PCN Leadership".into(),
                    amount: 33,
                },
                PaymentActualFact {
                    practice: prac("A81002"),
                    pcn: Some(pcn("U00001")),
                    financial_year: "2022-23".into(),
                    stream: "PCN Support".into(),
                    amount: 1,
                },
            ],
            ..FactBatch::default()
        });
        assert_eq!(
            registry.iif_points(&pcn("U00001"), fy),
            Some((d("2024-07-01"), dec("150.5")))
        );
        assert_eq!(registry.iif_points(&pcn("U00001"), fy.next()), None);
        let org = IifOrganisation::Pcn(pcn("U00001"));
        assert_eq!(registry.iif_achievements(&org, fy).len(), 1);
        let practice = IifOrganisation::Practice(prac("A81001"));
        assert_eq!(
            registry.iif_achievements(&practice, fy)[0].value,
            dec("3001")
        );
        assert_eq!(registry.payments_to_practice(&prac("A81002"), fy).len(), 1);
        let totals = registry.network_payments(&pcn("U00001"), fy);
        assert_eq!(totals.len(), 1);
        assert_eq!(totals["PCN Leadership"], 1_234_600);
    }
}
