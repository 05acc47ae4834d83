//! The planner's input from the registry as at a date: one group per ICB or
//! per sub-ICB location, each practice with its location, list and network.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{GroupCode, GroupInput, PracticeInput};
use crate::codes::PcnCode;
use crate::registry::Snapshot;

/// How practices are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grouping {
    /// By the practice's ICB (the default: networks are commissioned within
    /// an ICB, and cross sub-ICB boundaries).
    #[default]
    Icb,
    /// By the practice's sub-ICB location.
    SubIcb,
}

/// The groups of a snapshot, and practices that belong to none.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    pub groups: Vec<GroupInput>,
    /// Practices with no ICB (or sub-ICB) recorded, which cannot be planned.
    pub ungrouped: Vec<crate::codes::PracticeCode>,
}

/// Every practice of the snapshot in its group, in group code order.
///
/// A practice in the `U` placeholder has `current = Some(U)`; one with no
/// membership at all has `None`; one in two networks at once (which the
/// checks report) is taken to be in the first by code. A practice with no
/// registered list counts as 0 patients. Each group carries the size
/// waivers recorded for the networks of its practices, and the pins among
/// `pins` that are networks of its practices.
pub fn groups_from_snapshot(
    snapshot: &Snapshot,
    grouping: Grouping,
    pins: &BTreeSet<PcnCode>,
) -> Groups {
    let mut by_group: BTreeMap<GroupCode, GroupInput> = BTreeMap::new();
    let mut ungrouped = Vec::new();
    for practice in snapshot.practices.values() {
        let (code, name) = match grouping {
            Grouping::Icb => (
                practice.icb.clone().map(GroupCode::Icb),
                practice.icb_name.clone(),
            ),
            Grouping::SubIcb => (
                practice.sub_icb.clone().map(GroupCode::SubIcb),
                practice.sub_icb_name.clone(),
            ),
        };
        let Some(code) = code else {
            ungrouped.push(practice.code.clone());
            continue;
        };
        let current = match practice.networks.first() {
            Some(network) => Some(network.clone()),
            None if practice.unallocated => Some(PcnCode::unallocated()),
            None => None,
        };
        let group = by_group.entry(code.clone()).or_insert_with(|| GroupInput {
            group: code,
            name: None,
            practices: Vec::new(),
            waivers: BTreeMap::new(),
            pins: BTreeSet::new(),
        });
        if group.name.is_none() {
            group.name = name;
        }
        if let Some(network) = current.as_ref().filter(|n| !n.is_unallocated()) {
            if let Some(exception) = snapshot
                .networks
                .get(network)
                .and_then(|n| n.governance.size_exception.clone())
            {
                group.waivers.insert(network.clone(), exception);
            }
            if pins.contains(network) {
                group.pins.insert(network.clone());
            }
        }
        group.practices.push(PracticeInput {
            code: practice.code.clone(),
            location: practice.location,
            list_size: practice.list_size.unwrap_or(0),
            current,
            partners: Vec::new(),
        });
    }
    Groups {
        groups: by_group.into_values().collect(),
        ungrouped,
    }
}
