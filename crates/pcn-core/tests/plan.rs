//! Properties of the network planner on random groups: every practice in
//! exactly one network, every network connected on the contiguity graph,
//! every network in band or listed with a reason that holds, and the same
//! answer for the same seed (whatever the order of the input).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use pcn_core::plan::graph::PracticeGraph;
use pcn_core::plan::{
    plan, plan_group, Band, ExceptionReason, GroupCode, GroupInput, GroupPlan, NoLocationPlacement,
    PlanConfig, PracticeInput,
};
use pcn_core::{IcbCode, LatLon, PcnCode, PracticeCode};
use proptest::prelude::*;

/// A practice as drawn: grid cell (so some share a location), jitter or
/// not, list size, network choice (0 = none, 1 = U, 2.. = U0000n), whether
/// it has coordinates, a partner.
type Drawn = (u8, u8, bool, u64, u8, bool, u8);

fn practice_strategy(max_list: u64) -> impl Strategy<Value = Drawn> {
    (
        0u8..8,
        0u8..8,
        any::<bool>(),
        0..=max_list,
        0u8..8,
        prop::bool::weighted(0.93),
        0u8..64,
    )
}

fn build_group(drawn: &[Drawn], waive: u8, pin: u8) -> GroupInput {
    let practices: Vec<PracticeInput> = drawn
        .iter()
        .enumerate()
        .map(|(i, &(gx, gy, jitter, list, network, located, partner))| {
            let (mut x, mut y) = (gx as f64 * 3.0, gy as f64 * 3.0);
            if jitter {
                x += (i % 7) as f64 * 0.31;
                y += (i % 5) as f64 * 0.27;
            }
            let current = match network {
                0 => None,
                1 => Some(PcnCode::unallocated()),
                n => Some(PcnCode::parse(&format!("U0000{}", n - 1)).unwrap()),
            };
            let partners = if (partner as usize) < drawn.len() && partner as usize != i {
                vec![code(partner as usize)]
            } else {
                Vec::new()
            };
            PracticeInput {
                code: code(i),
                location: located.then(|| LatLon {
                    lat: 53.0 + y / 111.2,
                    lon: -1.5 + x / 67.0,
                }),
                list_size: list,
                current,
                partners,
            }
        })
        .collect();
    let networks: BTreeSet<PcnCode> = practices
        .iter()
        .filter_map(|p| p.current.clone())
        .filter(|n| !n.is_unallocated())
        .collect();
    let mut waivers = BTreeMap::new();
    let mut pins = BTreeSet::new();
    for (i, n) in networks.iter().enumerate() {
        if waive as usize == i {
            waivers.insert(n.clone(), "rural-waiver".to_string());
        }
        if pin as usize == i {
            pins.insert(n.clone());
        }
    }
    GroupInput {
        group: GroupCode::Icb(IcbCode::parse("QOX").unwrap()),
        name: None,
        practices,
        waivers,
        pins,
    }
}

fn code(i: usize) -> PracticeCode {
    PracticeCode::parse(&format!("A{:05}", i)).unwrap()
}

/// Checks every promise of a group plan against its input, independently of
/// the planner's own flags.
fn check(input: &GroupInput, plan: &GroupPlan, config: &PlanConfig) -> Result<(), TestCaseError> {
    // Every practice exactly once.
    let mut count: HashMap<&str, usize> = HashMap::new();
    for n in &plan.networks {
        for m in &n.members {
            *count.entry(m.practice.as_str()).or_default() += 1;
        }
    }
    prop_assert_eq!(count.len(), input.practices.len());
    for p in &input.practices {
        prop_assert_eq!(count.get(p.code.as_str()), Some(&1), "{}", p.code);
    }

    let points: Vec<_> = input.practices.iter().map(|p| p.location).collect();
    let graph = PracticeGraph::build(&points);
    let index = input.practice_index();
    let by_code: HashMap<&str, &PracticeInput> = input
        .practices
        .iter()
        .map(|p| (p.code.as_str(), p))
        .collect();
    let has_waivers = !input.waivers.is_empty();
    for n in &plan.networks {
        let nodes: Vec<usize> = n
            .members
            .iter()
            .map(|m| index[m.practice.as_str()])
            .collect();
        let connected = graph.is_connected(&nodes);
        let pinned = n.continues.as_ref().is_some_and(|c| input.pins.contains(c));
        // Connected, unless a pinned network that was not to begin with.
        prop_assert!(connected || pinned, "{} is not connected", n.label);
        prop_assert_eq!(n.contiguous, connected);
        let list: u64 = n.members.iter().map(|m| m.list_size).sum();
        prop_assert_eq!(n.list_size, list);
        let band = Band::of(list, config.floor, config.ceiling);
        prop_assert_eq!(n.band, band);
        // In band, or listed with a reason that holds.
        let listed: Vec<&ExceptionReason> = plan
            .exceptions
            .iter()
            .filter(|e| e.network == n.label && e.practice.is_none())
            .map(|e| &e.reason)
            .collect();
        prop_assert!(listed.len() <= 1);
        prop_assert_eq!(listed.first().copied(), n.exception.as_ref());
        match &n.exception {
            None => prop_assert!(band == Band::In, "{} out of band, no reason", n.label),
            Some(ExceptionReason::PracticeOverCeiling) => {
                prop_assert_eq!(n.members.len(), 1);
                prop_assert!(list > config.ceiling);
            }
            Some(ExceptionReason::Waiver { exception }) => {
                prop_assert_eq!(band, Band::Under);
                let waived = n.continues.as_ref().and_then(|c| input.waivers.get(c));
                prop_assert_eq!(waived, Some(exception));
            }
            Some(ExceptionReason::Pinned) => prop_assert!(pinned),
            Some(ExceptionReason::IsolatedArea { patients }) => {
                prop_assert_eq!(*patients, list);
                prop_assert!(band != Band::In);
                if !has_waivers {
                    // No number of in-band networks could hold these patients.
                    let holdable = (1..=list / config.floor.max(1) + 1)
                        .any(|k| k * config.floor <= list && list <= k * config.ceiling);
                    prop_assert!(!holdable, "{list} could be held");
                }
            }
            Some(ExceptionReason::NoLocation { placement }) => {
                prop_assert_eq!(*placement, NoLocationPlacement::OnItsOwn);
                prop_assert!(n.members.iter().all(|m| m.location.is_none()));
            }
            Some(ExceptionReason::Unresolved) => prop_assert!(band != Band::In),
        }
        // A pinned network keeps exactly its members.
        if pinned {
            let now: BTreeSet<&str> = n.members.iter().map(|m| m.practice.as_str()).collect();
            let before: BTreeSet<&str> = input
                .practices
                .iter()
                .filter(|p| p.current.as_ref() == n.continues.as_ref())
                .map(|p| p.code.as_str())
                .collect();
            prop_assert_eq!(now, before);
        }
        for m in &n.members {
            let p = by_code[m.practice.as_str()];
            prop_assert_eq!(&m.from, &p.current);
            let stays = p.current.is_some()
                && !p.current.as_ref().unwrap().is_unallocated()
                && p.current == n.continues;
            prop_assert_eq!(m.moved, !stays);
        }
    }
    // Every practice without coordinates is listed.
    for p in &input.practices {
        if p.location.is_none() {
            prop_assert!(
                plan.exceptions
                    .iter()
                    .any(|e| e.practice.as_ref() == Some(&p.code)
                        && matches!(e.reason, ExceptionReason::NoLocation { .. })),
                "{} without coordinates is not listed",
                p.code
            );
        }
    }
    // Networks continue distinct current networks.
    let continued: Vec<&PcnCode> = plan
        .networks
        .iter()
        .filter_map(|n| n.continues.as_ref())
        .collect();
    let distinct: BTreeSet<&PcnCode> = continued.iter().copied().collect();
    prop_assert_eq!(continued.len(), distinct.len());
    Ok(())
}

/// A group of `count` drawn practices of lists up to `max_list`, with one
/// drawn network waived and one pinned (none where the draw is past the
/// group's networks).
fn group_strategy(
    max_list: u64,
    count: std::ops::Range<usize>,
) -> impl Strategy<Value = GroupInput> {
    (
        prop::collection::vec(practice_strategy(max_list), count),
        0u8..12,
        0u8..12,
    )
        .prop_map(|(drawn, waive, pin)| build_group(&drawn, waive, pin))
}

fn config_strategy() -> impl Strategy<Value = PlanConfig> {
    (
        prop_oneof![Just((30_000u64, 50_000u64)), (1u64..40_000, 0u64..40_000)],
        any::<u64>(),
    )
        .prop_map(|((floor, extra), seed)| PlanConfig {
            floor,
            ceiling: floor + extra,
            seed,
            effort: 200,
            ..PlanConfig::default()
        })
}

proptest! {
    // 256 cases each unless PROPTEST_CASES says otherwise.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn every_promise_holds(
        input in group_strategy(25_000, 1..40),
        config in config_strategy(),
    ) {
        let plan = plan_group(&input, &config, &|| false).unwrap();
        check(&input, &plan, &config)?;
    }

    #[test]
    fn big_practices_and_sparse_coordinates_too(
        drawn in prop::collection::vec(practice_strategy(70_000), 1..25),
        config in config_strategy(),
    ) {
        let input = build_group(&drawn, 99, 99);
        let plan = plan_group(&input, &config, &|| false).unwrap();
        check(&input, &plan, &config)?;
    }

    #[test]
    fn same_seed_same_answer_whatever_the_order(
        input in group_strategy(20_000, 1..40),
        config in config_strategy(),
    ) {
        let first = plan(std::slice::from_ref(&input), &config).unwrap();
        let again = plan(std::slice::from_ref(&input), &config).unwrap();
        prop_assert_eq!(&first, &again);
        let mut reversed = input.clone();
        reversed.practices.reverse();
        let other_order = plan(&[reversed], &config).unwrap();
        prop_assert_eq!(&first, &other_order);
    }

    /// Small practices with coordinates, plenty of room: every network ends
    /// in band, none unresolved.
    #[test]
    fn easy_groups_end_in_band(
        drawn in prop::collection::vec(practice_strategy(9_000), 30..60),
        seed in any::<u64>(),
    ) {
        let drawn: Vec<Drawn> = drawn
            .into_iter()
            .map(|(gx, gy, _, list, network, _, partner)| (gx, gy, true, list.max(3_000), network, true, partner))
            .collect();
        let input = build_group(&drawn, 99, 99);
        let total: u64 = input.practices.iter().map(|p| p.list_size).sum();
        prop_assume!(total >= 100_000);
        let config = PlanConfig { seed, ..PlanConfig::default() };
        let plan = plan_group(&input, &config, &|| false).unwrap();
        check(&input, &plan, &config)?;
        prop_assert_eq!(plan.after.in_band, plan.networks.len(), "{:?}", plan.exceptions);
    }
}
