//! Hand-made groups with known answers.

use super::*;

/// A practice at (x, y) km east and north of a point near Leicester.
fn at(code: &str, x: f64, y: f64, list: u64, network: Option<&str>) -> PracticeInput {
    PracticeInput {
        code: PracticeCode::parse(code).unwrap(),
        location: Some(LatLon {
            lat: 52.6 + y / 111.2,
            lon: -1.1 + x / (111.2 * 52.6f64.to_radians().cos()),
        }),
        list_size: list,
        current: network.map(|n| PcnCode::parse(n).unwrap()),
        partners: Vec::new(),
    }
}

fn group(practices: Vec<PracticeInput>) -> GroupInput {
    GroupInput {
        group: GroupCode::Icb(IcbCode::parse("QK1").unwrap()),
        name: None,
        practices,
        waivers: BTreeMap::new(),
        pins: BTreeSet::new(),
    }
}

/// One network of 120,000 patients on a 4 × 6 grid of 5,000-patient practices.
fn big_network() -> GroupInput {
    let practices = (0..24).map(|i| {
        at(
            &format!("A81{i:03}"),
            (i % 6) as f64,
            (i / 6) as f64,
            5_000,
            Some("U00001"),
        )
    });
    group(practices.collect())
}

/// U00001, 20,000 patients below the floor, beside U00002 of 40,000.
fn small_beside_large() -> GroupInput {
    group(vec![
        at("A81001", 0.0, 0.0, 12_000, Some("U00001")),
        at("A81002", 1.0, 0.0, 8_000, Some("U00001")),
        at("B81001", 3.0, 0.0, 20_000, Some("U00002")),
        at("B81002", 3.0, 2.0, 20_000, Some("U00002")),
    ])
}

fn run(input: &GroupInput) -> GroupPlan {
    plan_group(input, &PlanConfig::default(), &|| false).unwrap()
}

fn network<'a>(plan: &'a GroupPlan, practice: &str) -> &'a ProposedNetwork {
    plan.networks
        .iter()
        .find(|n| n.members.iter().any(|m| m.practice.as_str() == practice))
        .unwrap()
}

/// The practices the plan moves out of their network.
fn moved(plan: &GroupPlan) -> Vec<&str> {
    plan.networks
        .iter()
        .flat_map(|n| n.members.iter())
        .filter(|m| m.moved)
        .map(|m| m.practice.as_str())
        .collect()
}

/// The code of the network that the proposed network holding `practice` continues.
fn continues<'a>(plan: &'a GroupPlan, practice: &str) -> &'a str {
    network(plan, practice).continues.as_ref().unwrap().as_str()
}

fn reasons(plan: &GroupPlan) -> Vec<(Option<String>, ExceptionReason)> {
    plan.exceptions
        .iter()
        .map(|e| (e.practice.as_ref().map(|p| p.to_string()), e.reason.clone()))
        .collect()
}

/// Every practice once; every network connected; out of band only with a reason.
fn assert_sound(input: &GroupInput, plan: &GroupPlan) {
    let mut seen: Vec<&str> = plan
        .networks
        .iter()
        .flat_map(|n| n.members.iter().map(|m| m.practice.as_str()))
        .collect();
    seen.sort();
    let mut given: Vec<&str> = input.practices.iter().map(|p| p.code.as_str()).collect();
    given.sort();
    assert_eq!(seen, given);
    for n in &plan.networks {
        assert!(n.contiguous, "{} is not contiguous", n.label);
        assert_eq!(
            n.list_size,
            n.members.iter().map(|m| m.list_size).sum::<u64>()
        );
        assert_eq!(n.band != Band::In, n.exception.is_some(), "{}", n.label);
    }
}

/// Five practices of 11,000 in a row: one network of 55,000.
fn row_of_five(x0: f64, network: &str, prefix: char) -> Vec<PracticeInput> {
    (0..5)
        .map(|i| {
            at(
                &format!("{prefix}8100{i}"),
                x0 + 2.0 * i as f64,
                (i % 2) as f64,
                11_000,
                Some(network),
            )
        })
        .collect()
}

#[test]
fn a_55k_network_alone_cannot_split_and_is_an_isolated_area() {
    let input = group(row_of_five(0.0, "U00001", 'A'));
    let plan = run(&input);
    assert_sound(&input, &plan);
    assert_eq!(plan.networks.len(), 1);
    let only = &plan.networks[0];
    assert_eq!(only.list_size, 55_000);
    assert_eq!(only.continues.as_ref().unwrap().as_str(), "U00001");
    assert_eq!(
        only.exception,
        Some(ExceptionReason::IsolatedArea { patients: 55_000 })
    );
    assert_eq!(plan.changes.practices_moved, 0);
    assert_eq!(plan.after.over_ceiling, 1);
}

#[test]
fn a_55k_network_next_to_a_36k_one_gives_a_practice_to_it() {
    let mut practices = row_of_five(0.0, "U00001", 'A');
    practices.extend((0..4).map(|i| {
        at(
            &format!("B8100{i}"),
            10.0 + 2.0 * i as f64,
            (i % 2) as f64,
            9_000,
            Some("U00002"),
        )
    }));
    let input = group(practices);
    let plan = run(&input);
    assert_sound(&input, &plan);
    assert!(plan.exceptions.is_empty(), "{:?}", plan.exceptions);
    assert_eq!(plan.networks.len(), 2);
    let sizes: Vec<u64> = plan.networks.iter().map(|n| n.list_size).collect();
    assert_eq!(sizes, vec![44_000, 47_000]);
    // One move, at the border: the easternmost practice of U00001.
    assert_eq!(plan.changes.practices_moved, 1);
    assert_eq!(continues(&plan, "A81004"), "U00002");
    assert_eq!(plan.before.in_band, 1);
    assert_eq!(plan.after.in_band, 2);
    assert_eq!(plan.changes.network_pairs, 10 + 6);
    assert_eq!(plan.changes.network_pairs_kept, 6 + 6);
}

#[test]
fn a_practice_over_the_ceiling_is_left_alone_and_its_partners_find_homes() {
    let input = group(vec![
        at("A81001", 0.0, 0.0, 60_000, Some("U00001")),
        at("A81002", 1.0, 0.0, 8_000, Some("U00001")),
        at("A81003", 0.0, 1.0, 7_000, Some("U00001")),
        at("B81001", 3.0, 0.0, 20_000, Some("U00002")),
        at("B81002", 3.0, 2.0, 15_000, Some("U00002")),
    ]);
    let plan = run(&input);
    assert_sound(&input, &plan);
    let giant = network(&plan, "A81001");
    assert_eq!(giant.members.len(), 1);
    assert_eq!(giant.exception, Some(ExceptionReason::PracticeOverCeiling));
    // The giant keeps its network's code; its two partners join U00002.
    assert_eq!(giant.continues.as_ref().unwrap().as_str(), "U00001");
    let other = network(&plan, "A81002");
    assert_eq!(other.list_size, 50_000);
    assert_eq!(other.continues.as_ref().unwrap().as_str(), "U00002");
    assert_eq!(
        reasons(&plan),
        vec![(None, ExceptionReason::PracticeOverCeiling)]
    );
    assert_eq!(plan.after.single_practice_over_ceiling, 1);
    assert_eq!(plan.after.in_band_share(), 1.0);
}

#[test]
fn a_lonely_small_practice_joins_its_nearest_network() {
    // A practice in the U placeholder, 40 km out, next to two networks.
    let mut practices = vec![at("C81001", 60.0, 0.0, 3_000, Some("U"))];
    practices
        .extend((0..4).map(|i| at(&format!("A8100{i}"), i as f64, 0.0, 10_000, Some("U00001"))));
    practices.extend((0..4).map(|i| {
        at(
            &format!("B8100{i}"),
            10.0 + i as f64,
            5.0,
            10_000,
            Some("U00002"),
        )
    }));
    let input = group(practices);
    let plan = run(&input);
    assert_sound(&input, &plan);
    assert!(plan.exceptions.is_empty());
    assert_eq!(continues(&plan, "C81001"), "U00002");
    assert_eq!(plan.changes.practices_placed, 1);
    assert_eq!(plan.changes.practices_moved, 0);
    assert_eq!(plan.before.practices_without_network, 1);
}

#[test]
fn a_lonely_small_practice_alone_in_its_group_is_an_isolated_area() {
    let input = group(vec![at("C81001", 0.0, 0.0, 3_000, Some("U"))]);
    let plan = run(&input);
    assert_sound(&input, &plan);
    assert_eq!(plan.networks.len(), 1);
    assert_eq!(
        plan.networks[0].exception,
        Some(ExceptionReason::IsolatedArea { patients: 3_000 })
    );
    assert_eq!(plan.networks[0].continues, None);
    assert_eq!(plan.networks[0].label, "QK1-new-1");
}

#[test]
fn co_located_practices_in_different_networks_can_stay_apart() {
    // Two practices in one health centre, each the heart of its own network.
    let input = group(vec![
        at("A81001", 0.0, 0.0, 20_000, Some("U00001")),
        at("A81002", -2.0, 0.0, 15_000, Some("U00001")),
        at("B81001", 0.0, 0.0, 20_000, Some("U00002")),
        at("B81002", 2.0, 0.0, 15_000, Some("U00002")),
    ]);
    let plan = run(&input);
    assert_sound(&input, &plan);
    assert!(plan.exceptions.is_empty());
    assert_eq!(plan.changes.practices_moved, 0);
    assert_eq!(plan.networks.len(), 2);
    // The graph joins the co-located pair and gives both the same neighbours.
    let points: Vec<_> = input.practices.iter().map(|p| p.location).collect();
    let g = graph::PracticeGraph::build(&points);
    assert_eq!(g.locations(), 3);
    assert_eq!(g.neighbours(0), &[1, 2, 3]);
    assert_eq!(g.neighbours(2), &[0, 1, 3]);
}

#[test]
fn a_big_network_is_cut_into_compact_in_band_parts() {
    let input = big_network();
    let plan = run(&input);
    assert_sound(&input, &plan);
    assert!(plan.exceptions.is_empty());
    assert_eq!(plan.after.in_band, plan.networks.len());
    assert!(plan.networks.len() >= 3);
    assert_eq!(
        plan.networks
            .iter()
            .filter(|n| n.continues.is_some())
            .count(),
        1
    );
    assert!(plan.after.rms_km < 1.5, "{}", plan.after.rms_km);
}

#[test]
fn a_waived_network_may_stay_small() {
    let mut input = small_beside_large();
    input
        .waivers
        .insert(PcnCode::parse("U00001").unwrap(), "rural-waiver".into());
    let plan = run(&input);
    assert_sound(&input, &plan);
    assert_eq!(plan.changes.practices_moved, 0);
    assert_eq!(
        network(&plan, "A81001").exception,
        Some(ExceptionReason::Waiver {
            exception: "rural-waiver".into()
        })
    );
}

#[test]
fn a_pinned_network_does_not_change() {
    let mut input = small_beside_large();
    let plan = run(&input);
    // Unpinned, the small network is dissolved or topped up.
    assert!(plan.changes.practices_moved > 0);
    input.pins.insert(PcnCode::parse("U00001").unwrap());
    let plan = run(&input);
    assert_sound(&input, &plan);
    assert_eq!(plan.changes.practices_moved, 0);
    let pinned = network(&plan, "A81001");
    assert_eq!(pinned.list_size, 20_000);
    assert_eq!(pinned.exception, Some(ExceptionReason::Pinned));
}

#[test]
fn practices_without_coordinates_are_placed_and_listed() {
    let mut practices: Vec<_> = (0..4)
        .map(|i| at(&format!("A8100{i}"), i as f64, 0.0, 9_000, Some("U00001")))
        .collect();
    practices
        .extend((0..4).map(|i| at(&format!("B8100{i}"), i as f64, 3.0, 9_000, Some("U00002"))));
    let mut lost = at("A81009", 0.0, 0.0, 2_000, Some("U00001"));
    lost.location = None;
    let mut unallocated = at("C81001", 0.0, 0.0, 4_000, Some("U"));
    unallocated.location = None;
    practices.push(lost);
    practices.push(unallocated);
    let input = group(practices);
    let plan = run(&input);
    assert_sound(&input, &plan);
    assert_eq!(continues(&plan, "A81009"), "U00001");
    assert_eq!(
        reasons(&plan),
        vec![
            (
                Some("A81009".into()),
                ExceptionReason::NoLocation {
                    placement: NoLocationPlacement::WithCurrentNetwork
                }
            ),
            (
                Some("C81001".into()),
                ExceptionReason::NoLocation {
                    placement: NoLocationPlacement::WhereItFits
                }
            ),
        ]
    );
    assert_eq!(plan.after.in_band, 2);
}

#[test]
fn a_group_without_any_coordinates_keeps_its_networks() {
    let mut a = at("A81001", 0.0, 0.0, 35_000, Some("U00001"));
    let mut b = at("B81001", 0.0, 0.0, 3_000, None);
    a.location = None;
    b.location = None;
    let input = group(vec![a, b]);
    let plan = run(&input);
    assert_eq!(plan.networks.len(), 2);
    assert_eq!(
        plan.networks[0].continues.as_ref().unwrap().as_str(),
        "U00001"
    );
    assert_eq!(plan.networks[0].exception, None);
    assert_eq!(
        plan.networks[1].exception,
        Some(ExceptionReason::NoLocation {
            placement: NoLocationPlacement::OnItsOwn
        })
    );
}

#[test]
fn partners_stay_together_when_the_band_allows() {
    // U00001 (55,000) must shed about 5,000 patients east or west; the
    // recorded partners make it shed the other end. Its practices stand in
    // a straight line, so only an end can leave without cutting it in two.
    let mut practices: Vec<_> = (0..5)
        .map(|i| {
            at(
                &format!("A8100{i}"),
                10.0 + 2.0 * i as f64,
                0.0,
                11_000,
                Some("U00001"),
            )
        })
        .collect();
    practices.extend((0..3).map(|i| {
        at(
            &format!("B8100{i}"),
            2.0 * i as f64,
            5.0,
            12_000,
            Some("U00002"),
        )
    }));
    practices.extend((0..3).map(|i| {
        at(
            &format!("D8100{i}"),
            22.0 + 2.0 * i as f64,
            5.0,
            12_000,
            Some("U00003"),
        )
    }));
    let plan = run(&group(practices.clone()));
    let shed_without = moved(&plan);
    assert_eq!(shed_without.len(), 1);
    let shed = shed_without[0].to_string();
    assert!(shed == "A81000" || shed == "A81004", "{shed}");
    // Now make the shed practice a partner of its neighbour in U00001.
    let neighbour = if shed == "A81004" { "A81003" } else { "A81001" };
    for p in &mut practices {
        if p.code.as_str() == shed {
            p.partners.push(PracticeCode::parse(neighbour).unwrap());
        }
    }
    let plan = run(&group(practices));
    let shed_with = moved(&plan);
    assert_eq!(shed_with.len(), 1);
    assert_ne!(shed_with[0], shed);
    assert!(shed_with[0] == "A81000" || shed_with[0] == "A81004");
    assert_eq!(plan.changes.partner_pairs, 1);
    assert_eq!(plan.changes.partner_pairs_kept, 1);
}

#[test]
fn bad_input_is_a_typed_error() {
    let input = group(vec![at("A81001", 0.0, 0.0, 30_000, Some("U00001"))]);
    let config = PlanConfig {
        floor: 60_000,
        ..PlanConfig::default()
    };
    assert_eq!(
        plan_group(&input, &config, &|| false).unwrap_err(),
        PlanError::FloorAboveCeiling {
            floor: 60_000,
            ceiling: 50_000
        }
    );
    let zero = PlanConfig {
        floor: 0,
        ceiling: 0,
        ..PlanConfig::default()
    };
    assert_eq!(
        plan(std::slice::from_ref(&input), &zero).unwrap_err(),
        PlanError::ZeroCeiling
    );
    let empty = group(Vec::new());
    assert!(matches!(
        plan(&[empty], &PlanConfig::default()),
        Err(PlanError::EmptyGroup { .. })
    ));
    let twice = group(vec![
        at("A81001", 0.0, 0.0, 30_000, Some("U00001")),
        at("A81001", 1.0, 0.0, 30_000, Some("U00001")),
    ]);
    assert!(matches!(
        plan(&[twice], &PlanConfig::default()),
        Err(PlanError::DuplicatePractice { .. })
    ));
    assert!(matches!(
        plan(&[input.clone(), input.clone()], &PlanConfig::default()),
        Err(PlanError::DuplicateGroup { .. })
    ));
    let mut nowhere = input.clone();
    nowhere.practices[0].location = Some(LatLon {
        lat: f64::NAN,
        lon: 0.0,
    });
    assert!(matches!(
        plan(&[nowhere], &PlanConfig::default()),
        Err(PlanError::InvalidLocation { .. })
    ));
    let mut pinned = input.clone();
    pinned.pins.insert(PcnCode::parse("U99999").unwrap());
    assert!(matches!(
        plan(&[pinned], &PlanConfig::default()),
        Err(PlanError::PinNotInGroup { .. })
    ));
    let mut pinned = input;
    pinned.pins.insert(PcnCode::unallocated());
    assert!(matches!(
        plan(&[pinned], &PlanConfig::default()),
        Err(PlanError::PinUnallocated { .. })
    ));
}

#[test]
fn the_stop_closure_still_gives_a_complete_proposal() {
    let input = big_network();
    let plan = plan_group(&input, &PlanConfig::default(), &|| true).unwrap();
    assert!(plan.stopped);
    assert_eq!(
        plan.networks.iter().map(|n| n.members.len()).sum::<usize>(),
        24
    );
    assert!(plan.networks.iter().all(|n| n.contiguous));
}

#[test]
fn parts_for_picks_the_count_nearest_the_middle_of_the_band() {
    use search::parts_for;
    assert_eq!(parts_for(120_000, 30_000, 50_000), Some(3));
    assert_eq!(parts_for(61_000, 30_000, 50_000), Some(2));
    assert_eq!(parts_for(101_000, 30_000, 50_000), Some(3));
    assert_eq!(parts_for(55_000, 30_000, 50_000), None);
    assert_eq!(parts_for(20_000, 30_000, 50_000), None);
    assert_eq!(parts_for(40_000, 30_000, 50_000), Some(1));
    assert_eq!(parts_for(20_000, 0, 50_000), Some(1));
}
