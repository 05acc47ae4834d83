//! The planning use cases in process, on the demo commissioner in a
//! temporary SQLite store: what is planned for England, an ICB and a
//! sub-ICB location; the user's mistakes; pins; the time budget; and what a
//! proposal changes in money.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use pcn_app::plan::{Area, PlanRequest, Proposal};
use pcn_app::{App, Error};
use pcn_core::money::Pence;
use pcn_core::plan::{faults, groups_from_snapshot, Grouping, PlanConfig};
use pcn_core::{CommissionerCode, PcnCode};

async fn demo() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plan.sqlite").display().to_string();
    let rulebook = Arc::new(pcn_app::rules::load(None).unwrap());
    let app = App::open(&db, rulebook).await.unwrap();
    pcn_app::demo::write_demo(&app, "test").await.unwrap();
    (dir, app)
}

fn july() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
}

fn request(area: Area) -> PlanRequest {
    PlanRequest {
        area,
        as_at: july(),
        grouping: Grouping::Icb,
        config: PlanConfig::default(),
        pins: BTreeSet::new(),
        time_budget: None,
    }
}

fn commissioner(code: &str) -> Area {
    Area::Commissioner(CommissionerCode::parse(code).unwrap())
}

fn pcn(code: &str) -> PcnCode {
    PcnCode::parse(code).unwrap()
}

/// Practice codes of a proposal, sorted.
fn practices(proposal: &Proposal) -> Vec<String> {
    let mut codes: Vec<String> = proposal
        .plan
        .groups
        .iter()
        .flat_map(|g| &g.networks)
        .flat_map(|n| &n.members)
        .map(|m| m.practice.to_string())
        .collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn england_an_icb_and_a_sub_icb_are_planned_whole() {
    let (_dir, app) = demo().await;
    let registry = app.registry().await.unwrap();
    let snapshot = registry.at(july());

    let england = app.propose(request(Area::England)).await.unwrap();
    assert_eq!(england.area, "England");
    let all: Vec<String> = snapshot.practices.keys().map(|c| c.to_string()).collect();
    assert_eq!(practices(&england), all);
    let groups = groups_from_snapshot(&snapshot, Grouping::Icb, &BTreeSet::new());
    assert_eq!(faults(&groups.groups, &england.plan), Vec::<String>::new());
    assert!(england.ungrouped.is_empty());
    // The demo starts with networks out of band and a practice in U; the
    // proposal ends with every network in band or listed.
    assert!(england.plan.before.in_band < england.plan.before.networks);
    assert_eq!(england.plan.before.practices_without_network, 1);
    for network in england.plan.groups.iter().flat_map(|g| &g.networks) {
        assert!(
            network.exception.is_some() || (30_000..=50_000).contains(&network.list_size),
            "{}: {}",
            network.label,
            network.list_size
        );
    }

    // The ICB is England here (one ICB); the same answer.
    let icb = app.propose(request(commissioner("QZZ"))).await.unwrap();
    assert_eq!(
        icb.area_name.as_deref(),
        Some("NHS Demo Vale Integrated Care Board")
    );
    assert_eq!(icb.plan, england.plan);
    // By sub-ICB location: two groups.
    let mut by_sub_icb = request(commissioner("QZZ"));
    by_sub_icb.grouping = Grouping::SubIcb;
    let split = app.propose(by_sub_icb).await.unwrap();
    let codes: Vec<String> = split
        .plan
        .groups
        .iter()
        .map(|g| g.group.to_string())
        .collect();
    assert_eq!(codes, ["Z1A", "Z2B"]);

    // A sub-ICB location is one group of its own practices, whatever the grouping.
    let z1a = app.propose(request(commissioner("Z1A"))).await.unwrap();
    assert_eq!(z1a.grouping, Grouping::SubIcb);
    assert_eq!(z1a.plan.groups.len(), 1);
    let own: Vec<String> = snapshot
        .practices
        .values()
        .filter(|p| p.sub_icb.as_ref().is_some_and(|s| s.as_str() == "Z1A"))
        .map(|p| p.code.to_string())
        .collect();
    assert_eq!(practices(&z1a), own);
}

#[tokio::test]
async fn mistakes_are_the_users_and_say_why() {
    let (_dir, app) = demo().await;
    let err = app.propose(request(commissioner("QXX"))).await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains("no commissioner QXX"), "{err}");

    let mut upside_down = request(Area::England);
    upside_down.config.floor = 60_000;
    let err = app.propose(upside_down).await.unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the floor (60000) is above the ceiling (50000)"
    );

    let mut pinned = request(commissioner("Z1A"));
    pinned.pins.insert(pcn("U12345"));
    let err = app.propose(pinned.clone()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    // U90005 is a network of the other sub-ICB location.
    pinned.pins = [pcn("U90005")].into();
    let err = app.propose(pinned.clone()).await.unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert!(err.to_string().contains("U90005 cannot be pinned"), "{err}");
    pinned.pins = [PcnCode::unallocated()].into();
    assert!(matches!(
        app.propose(pinned).await.unwrap_err(),
        Error::Invalid(_)
    ));

    // An empty database has no registry to plan.
    let dir = tempfile::tempdir().unwrap();
    let empty = App::open(
        &dir.path().join("empty.sqlite").display().to_string(),
        app.rulebook.clone(),
    )
    .await
    .unwrap();
    assert!(matches!(
        empty.propose(request(Area::England)).await.unwrap_err(),
        Error::NoRegistry
    ));
}

#[tokio::test]
async fn a_pinned_network_keeps_its_members_and_the_same_request_gives_the_same_answer() {
    let (_dir, app) = demo().await;
    let free = app.propose(request(Area::England)).await.unwrap();
    let again = app.propose(request(Area::England)).await.unwrap();
    assert_eq!(again.plan, free.plan);
    // A network the free plan changes.
    let changed = free
        .plan
        .groups
        .iter()
        .flat_map(|g| &g.networks)
        .flat_map(|n| &n.members)
        .find_map(|m| m.from.clone().filter(|f| m.moved && !f.is_unallocated()))
        .expect("the demo plan moves a practice");
    let mut pinned = request(Area::England);
    pinned.pins.insert(changed.clone());
    let kept = app.propose(pinned).await.unwrap();
    assert_eq!(kept.pins, [changed.clone()].into());
    let network = kept
        .plan
        .groups
        .iter()
        .flat_map(|g| &g.networks)
        .find(|n| n.continues.as_ref() == Some(&changed))
        .unwrap();
    let registry = app.registry().await.unwrap();
    let today = &registry.at(july()).networks[&changed].members;
    let members: Vec<_> = network.members.iter().map(|m| m.practice.clone()).collect();
    assert_eq!(&members, today);
    assert!(network.members.iter().all(|m| !m.moved));
}

#[tokio::test]
async fn a_spent_time_budget_still_gives_a_whole_proposal() {
    let (_dir, app) = demo().await;
    let mut hurried = request(Area::England);
    hurried.time_budget = Some(Duration::ZERO);
    let proposal = app.propose(hurried).await.unwrap();
    assert!(proposal.timing.budget_reached);
    let registry = app.registry().await.unwrap();
    assert_eq!(
        practices(&proposal).len(),
        registry.at(july()).practices.len()
    );
    assert!(proposal
        .plan
        .groups
        .iter()
        .flat_map(|g| &g.networks)
        .all(|n| n.contiguous));
}

#[tokio::test]
async fn what_a_proposal_changes_in_money() {
    let (_dir, app) = demo().await;
    let (proposal, money) = app.propose_and_price(request(Area::England)).await.unwrap();
    assert_eq!(money.financial_year.to_string(), "2026-27");
    assert_eq!(money.start, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
    // Every network the proposal changes is listed, and no other.
    let mut changed: BTreeSet<String> = BTreeSet::new();
    for network in proposal.plan.groups.iter().flat_map(|g| &g.networks) {
        for member in network.members.iter().filter(|m| m.moved) {
            changed.insert(network.label.clone());
            if let Some(from) = member.from.as_ref().filter(|f| !f.is_unallocated()) {
                changed.insert(from.to_string());
            }
        }
    }
    let listed: BTreeSet<String> = money.networks.iter().map(|n| n.network.clone()).collect();
    assert_eq!(listed, changed);
    for row in &money.networks {
        let (before, after) = (
            row.before.unwrap_or_default(),
            row.after.unwrap_or_default(),
        );
        assert_eq!(row.difference, after.minus(before), "{}", row.network);
        assert_eq!(
            row.new,
            row.network.starts_with("QZZ-new-"),
            "{}",
            row.network
        );
        if row.new {
            assert!(row.before.is_none() && row.members_before == 0);
        }
        assert!(row.after.is_none() || row.members_after > 0);
    }
    // Money moves between networks with their patients (up to a penny of
    // rounding per network); the only money added is what the demo's
    // practice in U brings when it is placed (4,236 of 346,887 patients,
    // about 1.2%), and none is lost.
    let pennies = money.networks.len() as i64;
    for (total, after) in [
        (money.difference.core_funding, money.after.core_funding),
        (money.difference.participation, money.after.participation),
        (money.difference.arrs_sum, money.after.arrs_sum),
    ] {
        assert!(total.0 >= -pennies, "{:?}", money.difference);
        assert!(total.0 * 50 <= after.0, "{:?}", money.difference);
    }
    assert!(money.after.core_funding > Pence::ZERO);
    assert!(money
        .networks
        .iter()
        .any(|n| n.difference.arrs_sum != Pence::ZERO));

    // Pricing the same proposal again gives the same money.
    assert_eq!(app.price(proposal).await.unwrap(), money);

    // A date whose year has no rules cannot be priced.
    let mut far = request(Area::England);
    far.as_at = NaiveDate::from_ymd_opt(2031, 7, 1).unwrap();
    let err = app.propose_and_price(far).await.unwrap_err();
    assert!(matches!(err, Error::Year(_)), "{err:?}");
}
