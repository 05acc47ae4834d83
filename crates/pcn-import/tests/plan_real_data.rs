//! The network planner on all of England (the July 2026 registration files,
//! ODS epraccur and ePCN, the GPAD mapping and the NHS website's `GP.csv`),
//! against the targets of issue 16: every practice in exactly one network,
//! every network connected, at least 99% of networks in band (leaving out
//! single practices over the ceiling), compactness at least as good as the
//! peer's 4.31 km and today's networks'. `PCN_DATA` names the data folder
//! when it is not beside the checkout. The time target (under 30 s; about
//! half a second here) is measured in release by
//! `cargo run --release -p pcn-import --example plan_national`, since this
//! test runs unoptimised. Skipped with a message when the data folder is
//! absent, unless `CI` is set.

mod common;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use pcn_core::plan::{self, ExceptionReason, Grouping, PlanConfig};
use pcn_core::registry::Registry;
use pcn_core::FactBatch;
use pcn_import::{read_path, ImportOptions};

use common::data_dir;

#[test]
fn all_of_england() {
    let Some(dir) = data_dir() else { return };
    let as_at = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    let options = ImportOptions {
        as_at: None,
        today: as_at,
        limits: pcn_import::Limits::default(),
    };
    let mut facts = FactBatch::default();
    for file in pcn_import::NATIONAL_FILES {
        let parsed = read_path(&dir.join(file), &options, &mut |_| {})
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        facts.extend(parsed.facts);
    }
    let snapshot = Registry::new(facts).at(as_at);
    let groups = plan::groups_from_snapshot(&snapshot, Grouping::Icb, &BTreeSet::new());
    assert!(groups.ungrouped.is_empty());
    let practices: usize = groups.groups.iter().map(|g| g.practices.len()).sum();
    assert_eq!(practices, snapshot.practices.len());
    assert_eq!(practices, 6_139);

    let config = PlanConfig::default();
    let plan = plan::plan(&groups.groups, &config).unwrap();
    let faults = plan::faults(&groups.groups, &plan);
    assert!(faults.is_empty(), "{faults:#?}");

    // Today: the networks as the registration map has them, each counted by
    // its members within the ICB (1,299 parts of 1,298 networks).
    assert_eq!(plan.before.networks, 1_299);
    assert_eq!(plan.before.practices_without_network, 52);
    assert!(
        (plan.before.rms_km - 3.95).abs() < 0.01,
        "{}",
        plan.before.rms_km
    );

    let after = &plan.after;
    eprintln!(
        "{} networks, {} in band ({:.2}%), {} single practices over the ceiling, RMS {:.2} km, {} practices moved",
        after.networks,
        after.in_band,
        after.in_band_share() * 100.0,
        after.single_practice_over_ceiling,
        after.rms_km,
        plan.changes.practices_moved
    );
    assert!(after.in_band_share() >= 0.99, "{}", after.in_band_share());
    assert!(after.in_band > 1_469, "more in band than the peer's 1,469");
    assert!(after.rms_km <= 4.31 && after.rms_km <= plan.before.rms_km);
    assert_eq!(after.patients, snapshot.total_patients());
    assert_eq!(plan.changes.practices_placed, 52);

    // The 22 practices alone over the ceiling, and the 23 without
    // coordinates, are listed; nothing else is out of band.
    let count = |f: &dyn Fn(&ExceptionReason) -> bool| {
        plan.groups
            .iter()
            .flat_map(|g| &g.exceptions)
            .filter(|e| f(&e.reason))
            .count()
    };
    assert_eq!(count(&|r| *r == ExceptionReason::PracticeOverCeiling), 22);
    assert_eq!(after.single_practice_over_ceiling, 22);
    assert_eq!(
        count(&|r| matches!(r, ExceptionReason::NoLocation { .. })),
        snapshot
            .practices
            .values()
            .filter(|p| p.location.is_none())
            .count()
    );
    assert_eq!(count(&|r| *r == ExceptionReason::Unresolved), 0);
}
