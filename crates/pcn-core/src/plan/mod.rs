//! The network planner: a proposed set of networks for each commissioner
//! group in which every practice is in exactly one network of 30,000 to
//! 50,000 registered patients, or in a network listed as an exception with
//! its reason.
//!
//! **Input** ([`GroupInput`]): for each group (an ICB or a sub-ICB location),
//! its practices ([`PracticeInput`]: code, coordinates or none, registered
//! list, current network or the `U` placeholder or none, recorded partners),
//! the recorded size waivers of its current networks, and the networks
//! pinned so they must not change. [`PlanConfig`] holds the floor, the
//! ceiling, the seed and the work budget.
//!
//! **What a proposal guarantees** ([`plan`], [`plan_group`]):
//! - every practice of the input is in exactly one proposed network;
//! - every proposed network is connected on the [`graph::PracticeGraph`] of
//!   the group's practice locations (Delaunay neighbours, co-located
//!   practices merged), except a pinned network that was not connected to
//!   begin with, which is listed;
//! - every proposed network is within the band, or listed in
//!   [`GroupPlan::exceptions`] with its reason ([`ExceptionReason`]): a
//!   practice alone over the ceiling, an isolated area (a connected area
//!   whose patients no set of in-band networks can hold, such as 55,000
//!   patients cut off from the rest), a recorded waiver (under the floor
//!   only), a pinned network, a network of practices without coordinates,
//!   or, when the search found nothing better, "unresolved";
//! - it starts from the current networks and changes as few memberships as
//!   it can: a practice moves when the band needs it, or when its move makes
//!   networks markedly more compact ([`PlanConfig::move_cost`]);
//! - the same input and seed give the same answer, whatever the order of
//!   the practices (unless the caller's stop closure cuts the search short).
//!   The random numbers (ChaCha8) are the same on every platform; the
//!   floating-point functions the search uses (`exp`, `atan2`) may round
//!   differently on another platform's maths library, which could in rare
//!   cases tip a choice.
//!
//! **Practices without coordinates** are not in the graph, so they cannot
//! be placed by geography, and they are never dropped. Each stays with its
//! current network: it is attached, before the search, to the largest
//! located member of that network in the group and moves with it. One with
//! no network (or the `U` placeholder), or with no located fellow member
//! that can take it, is attached to a located member of the current network
//! with the most room under the ceiling, so the search counts its patients.
//! Only when nothing can take it is it placed after the search, in the
//! proposed network with the most room (or kept as a network of its own when
//! the group has no located practice). Every one is listed as an exception
//! ([`ExceptionReason::NoLocation`], saying how it was placed) for the
//! commissioner to decide.
//!
//! **Compactness** is the patient-weighted root mean square distance, in
//! km, from each located practice to its network's patient-weighted
//! centroid: `sqrt(Σ list × d² / Σ list)`, over the practices of a network,
//! a group or the country (so it is the square root of the moment of
//! inertia per patient). Distances are taken on a flat projection of each
//! group ([`graph::Projection`]).
//!
//! **Measures**: [`Measures`] before (the current networks, each counted by
//! its members in the group) and after, practices moved (in a proposed
//! network that does not continue their current network; a proposed network
//! continues the current network with which it shares most practices),
//! practices placed from the `U` placeholder or from no network, and the
//! pairs of practices of one current network (and of recorded partners)
//! kept together. How the proposal is found is in `plan/search.rs`.
//!
//! Nothing here does I/O or reads a clock: a time budget is the caller's,
//! through the `stop` closure of [`plan_group`].

pub mod graph;
mod input;
pub mod money;
mod search;
mod verify;

pub use input::{groups_from_snapshot, Grouping, Groups};
pub use verify::faults;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::codes::{IcbCode, PcnCode, PracticeCode, SubIcbCode};
use crate::facts::LatLon;
use graph::{PracticeGraph, Projection};
use search::{Engine, Lock, Settings, Units, NONE};

/// The DES floor: a network serves at least 30,000 patients.
pub const DEFAULT_FLOOR: u64 = 30_000;
/// The DES ceiling: a network serves at most 50,000 patients.
pub const DEFAULT_CEILING: u64 = 50_000;

/// A commissioner group the planner works within.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum GroupCode {
    Icb(IcbCode),
    SubIcb(SubIcbCode),
}

impl fmt::Display for GroupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupCode::Icb(code) => write!(f, "{code}"),
            GroupCode::SubIcb(code) => write!(f, "{code}"),
        }
    }
}

/// One practice of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PracticeInput {
    pub code: PracticeCode,
    /// `None`: no coordinates known (see the module doc).
    pub location: Option<LatLon>,
    /// Registered patients.
    pub list_size: u64,
    /// The current network; `Some(U)` for the "Unallocated" placeholder,
    /// `None` for no network at all.
    pub current: Option<PcnCode>,
    /// Practices this one should stay with beyond its current network (one
    /// partnership running several practices, a merger under way). Kept
    /// together when the band allows: splitting a pair costs as much as a
    /// move. Codes not in the group are ignored.
    #[serde(default)]
    pub partners: Vec<PracticeCode>,
}

/// One commissioner group's practices, waivers and pins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupInput {
    pub group: GroupCode,
    pub name: Option<String>,
    pub practices: Vec<PracticeInput>,
    /// Recorded size exceptions of current networks (`rural-waiver`,
    /// `geographic-isolation`, `commissioner-approved`): the network that
    /// continues one may stay under the floor.
    #[serde(default)]
    pub waivers: BTreeMap<PcnCode, String>,
    /// Networks that must not change: no practice leaves or joins them.
    #[serde(default)]
    pub pins: BTreeSet<PcnCode>,
}

impl GroupInput {
    /// Each practice's place in [`GroupInput::practices`], by its code.
    pub fn practice_index(&self) -> HashMap<&str, usize> {
        self.practices
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.as_str(), i))
            .collect()
    }
}

/// The band and the search's budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanConfig {
    pub floor: u64,
    pub ceiling: u64,
    pub seed: u64,
    /// Work budget of the search: tries per located practice in each round
    /// of annealing (at most three rounds, then at most ten rounds' worth
    /// of repair). The search usually stops well before, as soon as every
    /// network is in band.
    pub effort: u32,
    /// What moving one practice costs, in patient·km² of moment of inertia
    /// (patients × squared km to their network's centroid). A practice moves
    /// for compactness alone only when that lowers the moment by more.
    pub move_cost: f64,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            floor: DEFAULT_FLOOR,
            ceiling: DEFAULT_CEILING,
            seed: 1,
            effort: 2_000,
            move_cost: 500_000.0,
        }
    }
}

/// Input the planner refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("the floor ({floor}) is above the ceiling ({ceiling})")]
    FloorAboveCeiling { floor: u64, ceiling: u64 },
    #[error("the ceiling must be at least 1 patient")]
    ZeroCeiling,
    #[error("group {group} has no practices")]
    EmptyGroup { group: GroupCode },
    #[error("group {group} is given twice")]
    DuplicateGroup { group: GroupCode },
    #[error("practice {practice} is given twice (in group {group})")]
    DuplicatePractice {
        group: GroupCode,
        practice: PracticeCode,
    },
    #[error("practice {practice} in group {group} has impossible coordinates ({lat}, {lon})")]
    InvalidLocation {
        group: GroupCode,
        practice: PracticeCode,
        lat: f64,
        lon: f64,
    },
    #[error("pinned network {pcn} has no practice in group {group}")]
    PinNotInGroup { group: GroupCode, pcn: PcnCode },
    #[error("the U placeholder cannot be pinned (group {group}): it is not a network")]
    PinUnallocated { group: GroupCode },
}

/// Where a network stands against the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Under,
    In,
    Over,
}

impl Band {
    pub fn of(list: u64, floor: u64, ceiling: u64) -> Band {
        if list < floor {
            Band::Under
        } else if list > ceiling {
            Band::Over
        } else {
            Band::In
        }
    }
}

/// Why a network (or a practice) is an exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ExceptionReason {
    /// One practice whose own list is over the ceiling, alone in its network.
    PracticeOverCeiling,
    /// The network covers a connected area (after pinned networks and
    /// practices alone over the ceiling are taken out) whose patients no set
    /// of in-band networks can hold: under the floor, or between the ceiling
    /// and twice the floor.
    IsolatedArea { patients: u64 },
    /// Under the floor, continuing a network with a recorded size waiver.
    Waiver { exception: String },
    /// A pinned network, kept as it is (out of band, or not connected).
    Pinned,
    /// A practice without coordinates, placed without geography; or a
    /// network made only of such practices.
    NoLocation { placement: NoLocationPlacement },
    /// The search found no in-band configuration for this network.
    Unresolved,
}

/// How a practice without coordinates was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoLocationPlacement {
    /// With the largest located member of its current network.
    WithCurrentNetwork,
    /// In the proposed network with the most room under the ceiling (no
    /// network, the `U` placeholder, or no located fellow member).
    WhereItFits,
    /// Kept as a network of its own (nothing located to place it with).
    OnItsOwn,
}

/// One listed exception.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanException {
    /// The proposed network's label ([`ProposedNetwork::label`]).
    pub network: String,
    /// The practice concerned, for practice-level exceptions.
    pub practice: Option<PracticeCode>,
    #[serde(flatten)]
    pub reason: ExceptionReason,
    /// The network's list size.
    pub list_size: u64,
}

/// A member of a proposed network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedMember {
    pub practice: PracticeCode,
    pub list_size: u64,
    pub location: Option<LatLon>,
    /// The practice's current network (`U` for the placeholder).
    pub from: Option<PcnCode>,
    /// True when the practice is not in the network that continues its
    /// current one (always true for `U` or no network).
    pub moved: bool,
}

/// A proposed network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedNetwork {
    /// The continued network's code, or `{group}-new-{n}`.
    pub label: String,
    /// The current network this one continues (most practices in common).
    pub continues: Option<PcnCode>,
    pub list_size: u64,
    pub band: Band,
    /// The reason when out of band (or pinned and not connected).
    pub exception: Option<ExceptionReason>,
    /// Connected on the group's graph (its located members).
    pub contiguous: bool,
    /// Patient-weighted RMS distance of located members to the centroid, km.
    pub rms_km: f64,
    pub centroid: Option<LatLon>,
    /// By practice code.
    pub members: Vec<ProposedMember>,
}

/// Counts and compactness of a set of networks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    pub networks: usize,
    pub in_band: usize,
    pub under_floor: usize,
    pub over_ceiling: usize,
    /// Networks of one practice whose own list is over the ceiling.
    pub single_practice_over_ceiling: usize,
    /// Practices in no network (`U` or none): only before.
    pub practices_without_network: usize,
    pub patients: u64,
    /// Σ list × squared km to the network centroid, over located practices
    /// in networks (so measures add up across groups).
    pub moment_km2: f64,
    /// Σ list over those practices.
    pub located_patients: u64,
    /// `sqrt(moment_km2 / located_patients)`.
    pub rms_km: f64,
}

impl Measures {
    /// Counts one network of `practices` practices and `list_size` patients
    /// in `band`, with its moment and located patients.
    fn count(&mut self, band: Band, practices: usize, list_size: u64, moment: f64, located: u64) {
        self.networks += 1;
        match band {
            Band::In => self.in_band += 1,
            Band::Under => self.under_floor += 1,
            Band::Over => self.over_ceiling += 1,
        }
        if band == Band::Over && practices == 1 {
            self.single_practice_over_ceiling += 1;
        }
        self.patients += list_size;
        self.moment_km2 += moment;
        self.located_patients += located;
    }

    fn add(&mut self, other: &Measures) {
        self.networks += other.networks;
        self.in_band += other.in_band;
        self.under_floor += other.under_floor;
        self.over_ceiling += other.over_ceiling;
        self.single_practice_over_ceiling += other.single_practice_over_ceiling;
        self.practices_without_network += other.practices_without_network;
        self.patients += other.patients;
        self.moment_km2 += other.moment_km2;
        self.located_patients += other.located_patients;
        self.rms_km = rms(self.moment_km2, self.located_patients);
    }

    /// Networks in band as a share of networks, leaving out single practices
    /// over the ceiling (which no configuration can bring into band).
    pub fn in_band_share(&self) -> f64 {
        let counted = self.networks - self.single_practice_over_ceiling;
        if counted == 0 {
            1.0
        } else {
            self.in_band as f64 / counted as f64
        }
    }
}

fn rms(moment: f64, patients: u64) -> f64 {
    if patients == 0 {
        0.0
    } else {
        (moment / patients as f64).sqrt()
    }
}

/// What the proposal changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    pub practices: usize,
    /// Practices with a current network that end up in a network not
    /// continuing it.
    pub practices_moved: usize,
    pub patients_moved: u64,
    /// Practices from the `U` placeholder or no network, now in a network.
    pub practices_placed: usize,
    /// Pairs of practices in one current network, and how many stay together.
    pub network_pairs: u64,
    pub network_pairs_kept: u64,
    /// Pairs of recorded partners, and how many stay together.
    pub partner_pairs: u64,
    pub partner_pairs_kept: u64,
}

impl Changes {
    fn add(&mut self, other: &Changes) {
        self.practices += other.practices;
        self.practices_moved += other.practices_moved;
        self.patients_moved += other.patients_moved;
        self.practices_placed += other.practices_placed;
        self.network_pairs += other.network_pairs;
        self.network_pairs_kept += other.network_pairs_kept;
        self.partner_pairs += other.partner_pairs;
        self.partner_pairs_kept += other.partner_pairs_kept;
    }
}

/// The proposal for one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPlan {
    pub group: GroupCode,
    pub name: Option<String>,
    pub before: Measures,
    pub after: Measures,
    pub changes: Changes,
    /// Proposed networks: continuing ones by code, then new ones.
    pub networks: Vec<ProposedNetwork>,
    pub exceptions: Vec<PlanException>,
    /// Moves the search tried (a measure of work, not of time).
    pub iterations: u64,
    /// True when the stop closure cut the search short.
    pub stopped: bool,
}

/// The proposal for every group, with national totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub config: PlanConfig,
    pub groups: Vec<GroupPlan>,
    pub before: Measures,
    pub after: Measures,
    pub changes: Changes,
    pub exceptions: usize,
}

/// Plans every group (in the order given) with no time limit.
pub fn plan(groups: &[GroupInput], config: &PlanConfig) -> Result<Plan, PlanError> {
    plan_with(groups, config, &|| false)
}

/// Plans every group; `stop` is asked now and then and cuts the search of
/// the current and later groups short when it says true (each group still
/// gets a complete proposal, only less searched).
pub fn plan_with(
    groups: &[GroupInput],
    config: &PlanConfig,
    stop: &dyn Fn() -> bool,
) -> Result<Plan, PlanError> {
    check_groups(groups, config)?;
    let planned = groups
        .iter()
        .map(|group| plan_group(group, config, stop))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan::assemble(config, planned))
}

/// Checks what [`plan_group`] cannot see alone: the configuration, and that
/// no group or practice is given twice. [`plan_group`] checks the rest.
pub fn check_groups(groups: &[GroupInput], config: &PlanConfig) -> Result<(), PlanError> {
    check_config(config)?;
    let mut seen_groups = BTreeSet::new();
    let mut seen_practices: HashMap<&PracticeCode, &GroupCode> = HashMap::new();
    for group in groups {
        if !seen_groups.insert(&group.group) {
            return Err(PlanError::DuplicateGroup {
                group: group.group.clone(),
            });
        }
        for practice in &group.practices {
            if seen_practices
                .insert(&practice.code, &group.group)
                .is_some()
            {
                return Err(PlanError::DuplicatePractice {
                    group: group.group.clone(),
                    practice: practice.code.clone(),
                });
            }
        }
    }
    Ok(())
}

impl Plan {
    /// The national plan from group plans (in the order given), with totals.
    pub fn assemble(config: &PlanConfig, groups: Vec<GroupPlan>) -> Plan {
        let mut out = Plan {
            config: config.clone(),
            groups: Vec::new(),
            before: Measures::default(),
            after: Measures::default(),
            changes: Changes::default(),
            exceptions: 0,
        };
        for planned in &groups {
            out.before.add(&planned.before);
            out.after.add(&planned.after);
            out.changes.add(&planned.changes);
            out.exceptions += planned.exceptions.len();
        }
        out.groups = groups;
        out
    }
}

fn check_config(config: &PlanConfig) -> Result<(), PlanError> {
    if config.ceiling == 0 {
        return Err(PlanError::ZeroCeiling);
    }
    if config.floor > config.ceiling {
        return Err(PlanError::FloorAboveCeiling {
            floor: config.floor,
            ceiling: config.ceiling,
        });
    }
    Ok(())
}

/// The seed of one group's search: the caller's seed mixed with the group's
/// code (FNV-1a), so a group's answer does not depend on the other groups.
fn group_seed(seed: u64, group: &GroupCode) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for byte in group.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Plans one group.
pub fn plan_group(
    input: &GroupInput,
    config: &PlanConfig,
    stop: &dyn Fn() -> bool,
) -> Result<GroupPlan, PlanError> {
    check_config(config)?;
    let group = &input.group;
    if input.practices.is_empty() {
        return Err(PlanError::EmptyGroup {
            group: group.clone(),
        });
    }
    // Practices in code order, so the answer does not depend on input order.
    let mut practices: Vec<&PracticeInput> = input.practices.iter().collect();
    practices.sort_by(|a, b| a.code.cmp(&b.code));
    for pair in practices.windows(2) {
        if pair[0].code == pair[1].code {
            return Err(PlanError::DuplicatePractice {
                group: group.clone(),
                practice: pair[0].code.clone(),
            });
        }
    }
    for p in &practices {
        if let Some(l) = p.location {
            let ok = l.lat.is_finite()
                && l.lon.is_finite()
                && (-90.0..=90.0).contains(&l.lat)
                && (-180.0..=180.0).contains(&l.lon);
            if !ok {
                return Err(PlanError::InvalidLocation {
                    group: group.clone(),
                    practice: p.code.clone(),
                    lat: l.lat,
                    lon: l.lon,
                });
            }
        }
    }

    // Current networks (never U), in code order.
    let networks: Vec<PcnCode> = practices
        .iter()
        .filter_map(|p| p.current.clone())
        .filter(|n| !n.is_unallocated())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let network_index: HashMap<&PcnCode, u32> = networks
        .iter()
        .enumerate()
        .map(|(i, n)| (n, i as u32))
        .collect();
    for pin in &input.pins {
        if pin.is_unallocated() {
            return Err(PlanError::PinUnallocated {
                group: group.clone(),
            });
        }
        if !network_index.contains_key(pin) {
            return Err(PlanError::PinNotInGroup {
                group: group.clone(),
                pcn: pin.clone(),
            });
        }
    }
    let current_of: Vec<u32> = practices
        .iter()
        .map(|p| {
            p.current
                .as_ref()
                .and_then(|n| network_index.get(n).copied())
                .unwrap_or(NONE)
        })
        .collect();
    let pinned: Vec<bool> = networks.iter().map(|n| input.pins.contains(n)).collect();

    let prepared = prepare(&practices, &current_of, &pinned, config);
    let settings = Settings {
        floor: config.floor,
        ceiling: config.ceiling,
        network_floor: networks
            .iter()
            .map(|n| {
                if input.waivers.contains_key(n) {
                    0
                } else {
                    config.floor
                }
            })
            .collect(),
        move_cost: config.move_cost,
        partner_cost: config.move_cost,
    };
    let (assignment, locks) = initial_regions(&prepared, &pinned, &settings);
    let mut engine = Engine::new(
        &prepared.units,
        &settings,
        assignment,
        locks,
        group_seed(config.seed, group),
    );
    engine.rematch();
    engine.split_oversized();
    let movable = prepared.units.len() as u64;
    let budget = movable * u64::from(config.effort);
    let (t0, t1) = (config.move_cost.max(1.0), config.move_cost.max(1.0) / 100.0);
    let mut stopped = false;
    for _ in 0..3 {
        if stop() {
            stopped = true;
            break;
        }
        engine.anneal(budget, t0, t1, stop);
        if !engine.split_oversized() {
            break;
        }
    }
    // Repair gets at most ten rounds' worth of work, however many networks
    // are left out of band (many, with a narrow band).
    engine.repair(u64::from(config.effort), budget.saturating_mul(10), stop);
    if !stopped {
        engine.polish(20);
    } else {
        engine.rematch();
    }
    stopped |= stop();

    Ok(report(
        input,
        &practices,
        &networks,
        &current_of,
        &pinned,
        &prepared,
        &engine,
        &settings,
        stopped,
    ))
}

/// The located practices as search units, with the practices without
/// coordinates attached to them or left floating.
struct Prepared {
    units: Units,
    /// The unit of each practice: its own, its host's, or [`NONE`] (floating).
    unit_of_practice: Vec<u32>,
    /// How each attached practice without coordinates was placed.
    placement: Vec<Option<NoLocationPlacement>>,
    graph: PracticeGraph,
    projection: Projection,
}

/// The units' neighbours on the graph, as offsets into one list (a unit's
/// neighbours are those of its located practice, by unit).
fn adjacency(
    graph: &PracticeGraph,
    practice_of_unit: &[usize],
    unit_of_practice: &[u32],
) -> (Vec<usize>, Vec<u32>) {
    let mut adj_offsets = vec![0];
    let mut adj = Vec::new();
    for &i in practice_of_unit {
        adj.extend(
            graph
                .neighbours(i)
                .iter()
                .map(|&j| unit_of_practice[j as usize]),
        );
        adj_offsets.push(adj.len());
    }
    // Neighbour lists must stay ascending: unit order follows practice order.
    (adj_offsets, adj)
}

/// The recorded partners of each unit (other units only), as offsets into
/// one list.
fn partner_pairs(
    practices: &[&PracticeInput],
    units: usize,
    unit_of_practice: &[u32],
) -> (Vec<usize>, Vec<u32>) {
    let index: HashMap<&PracticeCode, usize> = practices
        .iter()
        .enumerate()
        .map(|(i, p)| (&p.code, i))
        .collect();
    let mut partner_lists: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); units];
    for (i, p) in practices.iter().enumerate() {
        for partner in &p.partners {
            let Some(&j) = index.get(partner) else {
                continue;
            };
            let (a, b) = (unit_of_practice[i], unit_of_practice[j]);
            if a != NONE && b != NONE && a != b {
                partner_lists[a as usize].insert(b);
                partner_lists[b as usize].insert(a);
            }
        }
    }
    let mut partner_offsets = vec![0];
    let mut partners = Vec::new();
    for list in partner_lists {
        partners.extend(list);
        partner_offsets.push(partners.len());
    }
    (partner_offsets, partners)
}

fn prepare(
    practices: &[&PracticeInput],
    current_of: &[u32],
    pinned: &[bool],
    config: &PlanConfig,
) -> Prepared {
    let points: Vec<Option<LatLon>> = practices.iter().map(|p| p.location).collect();
    let graph = PracticeGraph::build(&points);
    let projection = Projection::centred_on(points.iter().flatten());
    let practice_of_unit: Vec<usize> = (0..practices.len())
        .filter(|&i| practices[i].location.is_some())
        .collect();
    let mut unit_of_practice = vec![NONE; practices.len()];
    for (u, &i) in practice_of_unit.iter().enumerate() {
        unit_of_practice[i] = u as u32;
    }
    let mut w: Vec<u64> = practice_of_unit
        .iter()
        .map(|&i| practices[i].list_size)
        .collect();
    let mut count = vec![1u32; practice_of_unit.len()];
    let mut placement = vec![None; practices.len()];

    // Attach each practice without coordinates to the largest located member
    // of its network that can take it without going over the ceiling (any
    // member, for a pinned network, which will not change anyway).
    for i in 0..practices.len() {
        if practices[i].location.is_some() || current_of[i] == NONE {
            continue;
        }
        let network = current_of[i];
        let host = practice_of_unit
            .iter()
            .enumerate()
            .filter(|&(_, &j)| current_of[j] == network)
            .filter(|&(u, _)| {
                pinned[network as usize]
                    || w[u].saturating_add(practices[i].list_size) <= config.ceiling
            })
            .max_by(|&(ua, &ja), &(ub, &jb)| {
                practices[ja]
                    .list_size
                    .cmp(&practices[jb].list_size)
                    .then(ub.cmp(&ua))
            })
            .map(|(u, _)| u);
        if let Some(u) = host {
            unit_of_practice[i] = u as u32;
            w[u] = w[u].saturating_add(practices[i].list_size);
            count[u] += 1;
            placement[i] = Some(NoLocationPlacement::WithCurrentNetwork);
        }
    }

    // The rest (no network, the U placeholder, or no located fellow member
    // that can take them), in blocks by network (one per practice for U or
    // none), go to the current network with the most room under the
    // ceiling, on its largest located member that can take the block, so
    // the search counts their patients; no pinned network takes one.
    let mut network_total = vec![0u64; pinned.len()];
    for (u, &i) in practice_of_unit.iter().enumerate() {
        if current_of[i] != NONE {
            network_total[current_of[i] as usize] += w[u];
        }
    }
    let mut blocks: BTreeMap<(u32, usize), Vec<usize>> = BTreeMap::new();
    for i in 0..practices.len() {
        if practices[i].location.is_none() && unit_of_practice[i] == NONE {
            let key = if current_of[i] == NONE {
                (NONE, i)
            } else {
                (current_of[i], 0)
            };
            blocks.entry(key).or_default().push(i);
        }
    }
    for ((network, _), block) in blocks {
        if network != NONE && pinned[network as usize] {
            continue;
        }
        let block_w: u64 = block.iter().map(|&i| practices[i].list_size).sum();
        let room = |u: usize| -> i128 {
            let c = current_of[practice_of_unit[u]];
            let taken = if c == NONE {
                w[u]
            } else {
                network_total[c as usize]
            };
            i128::from(config.ceiling) - i128::from(taken)
        };
        let host = (0..practice_of_unit.len())
            .filter(|&u| {
                let c = current_of[practice_of_unit[u]];
                (c == NONE || !pinned[c as usize]) && w[u].saturating_add(block_w) <= config.ceiling
            })
            .max_by(|&a, &b| room(a).cmp(&room(b)).then(w[a].cmp(&w[b])).then(b.cmp(&a)));
        if let Some(u) = host {
            let c = current_of[practice_of_unit[u]];
            if c != NONE {
                network_total[c as usize] += block_w;
            }
            w[u] += block_w;
            for i in block {
                unit_of_practice[i] = u as u32;
                count[u] += 1;
                placement[i] = Some(NoLocationPlacement::WhereItFits);
            }
        }
    }

    let (x, y): (Vec<f64>, Vec<f64>) = practice_of_unit
        .iter()
        .map(|&i| projection.to_km(practices[i].location.expect("located")))
        .unzip();
    let (adj_offsets, adj) = adjacency(&graph, &practice_of_unit, &unit_of_practice);
    let (partner_offsets, partners) =
        partner_pairs(practices, practice_of_unit.len(), &unit_of_practice);
    let current = practice_of_unit.iter().map(|&i| current_of[i]).collect();
    Prepared {
        units: Units {
            x,
            y,
            w,
            practices: count,
            current,
            adj_offsets,
            adj,
            partner_offsets,
            partners,
        },
        unit_of_practice,
        placement,
        graph,
        projection,
    }
}

/// The starting regions: pinned networks (locked), practices alone over the
/// ceiling (locked), connected areas no in-band networks can hold (locked,
/// one region each), and the current networks cut into their connected
/// pieces (the `U` placeholder and no network: one region per practice).
fn initial_regions(
    prepared: &Prepared,
    pinned: &[bool],
    settings: &Settings,
) -> (Vec<u32>, Vec<(Lock, u32)>) {
    let units = &prepared.units;
    let n = units.len();
    let mut region = vec![NONE; n];
    let mut locks: Vec<(Lock, u32)> = Vec::new();

    let mut pinned_region: HashMap<u32, u32> = HashMap::new();
    for (u, slot) in region.iter_mut().enumerate() {
        let c = units.current[u];
        if c != NONE && pinned[c as usize] {
            *slot = *pinned_region.entry(c).or_insert_with(|| {
                locks.push((Lock::Pinned(c), c));
                (locks.len() - 1) as u32
            });
        } else if units.w[u] > settings.ceiling {
            locks.push((Lock::Giant, c));
            *slot = (locks.len() - 1) as u32;
        }
    }

    // The free units, in connected areas; an area no in-band networks can
    // hold becomes one locked region.
    let free: Vec<u32> = (0..n as u32)
        .filter(|&u| region[u as usize] == NONE)
        .collect();
    let is_free = |v: u32| region[v as usize] == NONE;
    let areas = search::pieces_of(units, &free, is_free);
    for area in areas {
        let w: u64 = area.iter().map(|&u| units.w[u as usize]).sum();
        let floor = area
            .iter()
            .map(|&u| units.current[u as usize])
            .filter(|&c| c != NONE)
            .map(|c| settings.network_floor[c as usize])
            .min()
            .unwrap_or(settings.floor)
            .min(settings.floor);
        let holdable = w == 0 || search::parts_for(w, floor, settings.ceiling).is_some();
        if !holdable {
            locks.push((Lock::Isolated, NONE));
            let r = (locks.len() - 1) as u32;
            for u in area {
                region[u as usize] = r;
            }
        }
    }

    // The rest: each current network's connected pieces; the `U`
    // placeholder and no network one region per practice.
    let rest: Vec<u32> = (0..n as u32)
        .filter(|&u| region[u as usize] == NONE)
        .collect();
    let same_network = |a: u32, b: u32| {
        let (ca, cb) = (units.current[a as usize], units.current[b as usize]);
        ca != NONE && ca == cb
    };
    for &u in &rest {
        if region[u as usize] != NONE {
            continue;
        }
        let c = units.current[u as usize];
        let members: Vec<u32> = if c == NONE {
            vec![u]
        } else {
            let piece = search::pieces_of(units, &[u], |v| {
                region[v as usize] == NONE && same_network(u, v)
            });
            piece.into_iter().next().unwrap_or_else(|| vec![u])
        };
        locks.push((Lock::Free, NONE));
        let r = (locks.len() - 1) as u32;
        for v in members {
            region[v as usize] = r;
        }
    }
    (region, locks)
}

/// Each practice's proposed region (by index), the regions' lists, how
/// practices without coordinates were placed, and the locks of regions made
/// only of floating practices (after the engine's).
struct Floating {
    network_of: Vec<u32>,
    list: Vec<u64>,
    placement: BTreeMap<usize, NoLocationPlacement>,
    extra_locks: Vec<Lock>,
}

/// The engine's regions, then the floating practices placed where they fit.
fn place_floating(
    practices: &[&PracticeInput],
    current_of: &[u32],
    pinned: &[bool],
    prepared: &Prepared,
    engine: &Engine,
    ceiling: u64,
) -> Floating {
    let mut network_of = vec![NONE; practices.len()];
    let mut list: Vec<u64> = vec![0; engine.regions.len()];
    for (i, &u) in prepared.unit_of_practice.iter().enumerate() {
        if u != NONE {
            let r = engine.region_of[u as usize];
            network_of[i] = r;
            list[r as usize] += practices[i].list_size;
        }
    }
    let mut placement: BTreeMap<usize, NoLocationPlacement> = prepared
        .placement
        .iter()
        .enumerate()
        .filter_map(|(i, how)| how.map(|how| (i, how)))
        .collect();
    // Practices still floating (a block no located practice could take
    // without going over the ceiling, or a pinned network with no located
    // member), in blocks by current network (each `U` or no-network
    // practice on its own), placed in the unlocked region with the most
    // room under the ceiling; with none, each block stays a network of its
    // own.
    let mut blocks: BTreeMap<(u32, usize), Vec<usize>> = BTreeMap::new();
    for i in 0..practices.len() {
        if network_of[i] == NONE {
            let key = if current_of[i] == NONE {
                (NONE, i)
            } else {
                (current_of[i], 0)
            };
            blocks.entry(key).or_default().push(i);
        }
    }
    // Networks made only of floating practices, and their locks (a pinned
    // network stays pinned).
    let mut extra_locks: Vec<Lock> = Vec::new();
    for ((network, _), block) in blocks {
        let block_list: u64 = block.iter().map(|&i| practices[i].list_size).sum();
        let is_pinned = network != NONE && pinned[network as usize];
        let host = (0..engine.regions.len())
            .filter(|_| !is_pinned)
            .filter(|&r| {
                engine.regions[r].lock == Lock::Free && !engine.regions[r].members.is_empty()
            })
            .max_by(|&a, &b| {
                let room = |r: usize| ceiling as i128 - list[r] as i128;
                room(a).cmp(&room(b)).then(b.cmp(&a))
            });
        let (r, how) = match host {
            Some(r) => (r as u32, NoLocationPlacement::WhereItFits),
            None => {
                list.push(0);
                extra_locks.push(if is_pinned {
                    Lock::Pinned(network)
                } else {
                    Lock::Free
                });
                ((list.len() - 1) as u32, NoLocationPlacement::OnItsOwn)
            }
        };
        list[r as usize] += block_list;
        for i in block {
            network_of[i] = r;
            placement.insert(i, how);
        }
    }
    Floating {
        network_of,
        list,
        placement,
        extra_locks,
    }
}

/// Why a proposed network is an exception, if it is one.
fn exception_reason(
    lock: Lock,
    band: Band,
    contiguous: bool,
    waiver: Option<&String>,
    only_unlocated: bool,
    list_size: u64,
) -> Option<ExceptionReason> {
    match lock {
        Lock::Pinned(_) if band != Band::In || !contiguous => Some(ExceptionReason::Pinned),
        Lock::Pinned(_) => None,
        _ if band == Band::In => None,
        Lock::Giant => Some(ExceptionReason::PracticeOverCeiling),
        _ if band == Band::Under && waiver.is_some() => Some(ExceptionReason::Waiver {
            exception: waiver.cloned().unwrap_or_default(),
        }),
        Lock::Isolated => Some(ExceptionReason::IsolatedArea {
            patients: list_size,
        }),
        _ if only_unlocated => Some(ExceptionReason::NoLocation {
            placement: NoLocationPlacement::OnItsOwn,
        }),
        _ => Some(ExceptionReason::Unresolved),
    }
}

/// The current networks' measures, by their members in this group; counts
/// the pairs of practices that share a current network.
fn measure_before(
    practices: &[&PracticeInput],
    network_count: usize,
    current_of: &[u32],
    prepared: &Prepared,
    settings: &Settings,
    changes: &mut Changes,
) -> Measures {
    let (floor, ceiling) = (settings.floor, settings.ceiling);
    let mut before = Measures::default();
    let mut by_network: Vec<Vec<usize>> = vec![Vec::new(); network_count];
    for (i, &c) in current_of.iter().enumerate() {
        if c == NONE {
            before.practices_without_network += 1;
        } else {
            by_network[c as usize].push(i);
        }
    }
    for members in &by_network {
        let list_size: u64 = members.iter().map(|&i| practices[i].list_size).sum();
        let (moment, located, _) = moment_of(practices, prepared, members);
        let band = Band::of(list_size, floor, ceiling);
        before.count(band, members.len(), list_size, moment, located);
        let n = members.len() as u64;
        changes.network_pairs += n * n.saturating_sub(1) / 2;
    }
    before.rms_km = rms(before.moment_km2, before.located_patients);
    before
}

/// Pairs of practices of one current network, and recorded partner pairs,
/// that the proposal keeps together.
fn count_pairs_kept(
    practices: &[&PracticeInput],
    current_of: &[u32],
    network_of: &[u32],
    changes: &mut Changes,
) {
    // Pairs of one current network kept together: per (network, proposed).
    let mut together: HashMap<(u32, u32), u64> = HashMap::new();
    for i in 0..practices.len() {
        if current_of[i] != NONE {
            *together.entry((current_of[i], network_of[i])).or_default() += 1;
        }
    }
    changes.network_pairs_kept = together
        .values()
        .map(|&k| k * k.saturating_sub(1) / 2)
        .sum();
    let index: HashMap<&PracticeCode, usize> = practices
        .iter()
        .enumerate()
        .map(|(i, p)| (&p.code, i))
        .collect();
    let mut partner_pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (i, p) in practices.iter().enumerate() {
        for partner in &p.partners {
            if let Some(&j) = index.get(partner) {
                if i != j {
                    partner_pairs.insert((i.min(j), i.max(j)));
                }
            }
        }
    }
    changes.partner_pairs = partner_pairs.len() as u64;
    changes.partner_pairs_kept = partner_pairs
        .iter()
        .filter(|&&(i, j)| network_of[i] == network_of[j])
        .count() as u64;
}

/// The members of each region, and the order proposed networks are listed
/// and labelled in: continuing networks by code, then new ones by their
/// lowest member.
fn label_order(
    identity: &[u32],
    networks: &[PcnCode],
    network_of: &[u32],
    region_count: usize,
) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut members_of: Vec<Vec<usize>> = vec![Vec::new(); region_count];
    for (i, &r) in network_of.iter().enumerate() {
        members_of[r as usize].push(i);
    }
    let mut order: Vec<usize> = (0..members_of.len())
        .filter(|&r| !members_of[r].is_empty())
        .collect();
    order.sort_by(|&a, &b| {
        let key = |r: usize| {
            (
                identity[r] == NONE,
                (identity[r] != NONE).then(|| networks[identity[r] as usize].clone()),
                members_of[r].first().copied(),
            )
        };
        key(a).cmp(&key(b))
    });
    (members_of, order)
}

#[allow(clippy::too_many_arguments)]
fn report(
    input: &GroupInput,
    practices: &[&PracticeInput],
    networks: &[PcnCode],
    current_of: &[u32],
    pinned: &[bool],
    prepared: &Prepared,
    engine: &Engine,
    settings: &Settings,
    stopped: bool,
) -> GroupPlan {
    let (floor, ceiling) = (settings.floor, settings.ceiling);
    let group = &input.group;

    // Proposed network of each practice: the engine's regions, then the
    // floating practices placed where they fit.
    let Floating {
        network_of,
        list,
        placement,
        extra_locks,
    } = place_floating(practices, current_of, pinned, prepared, engine, ceiling);
    let region_count = list.len();

    // Which proposed network continues which current network.
    let lock_of = |r: usize| match engine.regions.get(r) {
        Some(region) => region.lock,
        None => extra_locks[r - engine.regions.len()],
    };
    let pinned_pairs: Vec<(u32, u32)> = (0..region_count)
        .filter_map(|r| match lock_of(r) {
            Lock::Pinned(n) => Some((r as u32, n)),
            _ => None,
        })
        .collect();
    let identity = search::match_overlaps(
        (0..practices.len()).map(|i| (network_of[i], current_of[i], 1, practices[i].list_size)),
        region_count,
        networks.len(),
        &pinned_pairs,
    );

    let (members_of, order) = label_order(&identity, networks, &network_of, region_count);
    let mut proposed = Vec::with_capacity(order.len());
    let mut exceptions = Vec::new();
    let mut after = Measures::default();
    let mut changes = Changes::default();
    let mut new_count = 0;
    for r in order {
        let members = &members_of[r];
        let continues = (identity[r] != NONE).then(|| networks[identity[r] as usize].clone());
        let label = match &continues {
            Some(code) => code.to_string(),
            None => {
                new_count += 1;
                format!("{group}-new-{new_count}")
            }
        };
        let list_size: u64 = members.iter().map(|&i| practices[i].list_size).sum();
        let band = Band::of(list_size, floor, ceiling);
        let contiguous = prepared.graph.is_connected(members);
        let (moment, located, centroid) = moment_of(practices, prepared, members);
        let waiver = continues.as_ref().and_then(|c| input.waivers.get(c));
        let only_unlocated = members.iter().all(|&i| practices[i].location.is_none());
        let exception = exception_reason(
            lock_of(r),
            band,
            contiguous,
            waiver,
            only_unlocated,
            list_size,
        );
        if let Some(reason) = &exception {
            exceptions.push(PlanException {
                network: label.clone(),
                practice: None,
                reason: reason.clone(),
                list_size,
            });
        }
        let mut proposed_members = Vec::with_capacity(members.len());
        for &i in members {
            let p = practices[i];
            let moved = current_of[i] == NONE || current_of[i] != identity[r];
            if current_of[i] == NONE {
                changes.practices_placed += 1;
            } else if moved {
                changes.practices_moved += 1;
                changes.patients_moved += p.list_size;
            }
            if let Some(&how) = placement.get(&i) {
                exceptions.push(PlanException {
                    network: label.clone(),
                    practice: Some(p.code.clone()),
                    reason: ExceptionReason::NoLocation { placement: how },
                    list_size,
                });
            }
            proposed_members.push(ProposedMember {
                practice: p.code.clone(),
                list_size: p.list_size,
                location: p.location,
                from: p.current.clone(),
                moved,
            });
        }
        after.count(band, members.len(), list_size, moment, located);
        proposed.push(ProposedNetwork {
            label,
            continues,
            list_size,
            band,
            exception,
            contiguous,
            rms_km: rms(moment, located),
            centroid,
            members: proposed_members,
        });
    }
    after.rms_km = rms(after.moment_km2, after.located_patients);
    changes.practices = practices.len();

    // Before: the current networks, by their members in this group.
    let before = measure_before(
        practices,
        networks.len(),
        current_of,
        prepared,
        settings,
        &mut changes,
    );
    count_pairs_kept(practices, current_of, &network_of, &mut changes);

    GroupPlan {
        group: group.clone(),
        name: input.name.clone(),
        before,
        after,
        changes,
        networks: proposed,
        exceptions,
        iterations: engine.iterations,
        stopped,
    }
}

/// The moment (Σ list × squared km to the centroid), located patients and
/// centroid of a set of practices.
fn moment_of(
    practices: &[&PracticeInput],
    prepared: &Prepared,
    members: &[usize],
) -> (f64, u64, Option<LatLon>) {
    let (mut w, mut sx, mut sy) = (0u64, 0.0, 0.0);
    let mut points = Vec::with_capacity(members.len());
    for &i in members {
        if let Some(location) = practices[i].location {
            let (x, y) = prepared.projection.to_km(location);
            let wi = practices[i].list_size;
            w += wi;
            sx += wi as f64 * x;
            sy += wi as f64 * y;
            points.push((wi, x, y));
        }
    }
    if points.is_empty() {
        return (0.0, 0, None);
    }
    let (cx, cy) = if w == 0 {
        let n = points.len() as f64;
        (
            points.iter().map(|p| p.1).sum::<f64>() / n,
            points.iter().map(|p| p.2).sum::<f64>() / n,
        )
    } else {
        (sx / w as f64, sy / w as f64)
    };
    let moment = points
        .iter()
        .map(|&(wi, x, y)| wi as f64 * ((x - cx).powi(2) + (y - cy).powi(2)))
        .sum();
    (moment, w, Some(prepared.projection.to_lat_lon(cx, cy)))
}

#[cfg(test)]
mod tests;
