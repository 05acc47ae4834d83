//! An independent check of a plan against its input, trusting none of the
//! planner's own flags: for the real-data test, the national example and,
//! later, the command that prints a plan.

use super::graph::PracticeGraph;
use super::{Band, GroupInput, Plan};

/// Every way the plan breaks its promises, in words (empty when it keeps
/// them all): a practice missing, given twice or not in the input; a
/// network not connected on the group's contiguity graph (other than a
/// pinned one); a network out of band without a listed exception; a list
/// size that is not the sum of its members'.
pub fn faults(groups: &[GroupInput], plan: &Plan) -> Vec<String> {
    let mut faults = Vec::new();
    if groups.len() != plan.groups.len() {
        faults.push(format!(
            "{} groups given, {} planned",
            groups.len(),
            plan.groups.len()
        ));
    }
    let (floor, ceiling) = (plan.config.floor, plan.config.ceiling);
    for (input, planned) in groups.iter().zip(&plan.groups) {
        let group = &input.group;
        if &planned.group != group {
            faults.push(format!("group {group} planned as {}", planned.group));
            continue;
        }
        let index = input.practice_index();
        let mut count = vec![0usize; input.practices.len()];
        for network in &planned.networks {
            for m in &network.members {
                match index.get(m.practice.as_str()) {
                    Some(&i) => count[i] += 1,
                    None => faults.push(format!(
                        "{group}: {} in {} is not in the input",
                        m.practice, network.label
                    )),
                }
            }
        }
        for (p, n) in input.practices.iter().zip(&count) {
            if *n != 1 {
                faults.push(format!("{group}: practice {} is in {n} networks", p.code));
            }
        }
        let points: Vec<_> = input.practices.iter().map(|p| p.location).collect();
        let graph = PracticeGraph::build(&points);
        for network in &planned.networks {
            let nodes: Vec<usize> = network
                .members
                .iter()
                .filter_map(|m| index.get(m.practice.as_str()).copied())
                .collect();
            let pinned = network
                .continues
                .as_ref()
                .is_some_and(|c| input.pins.contains(c));
            if !pinned && !graph.is_connected(&nodes) {
                faults.push(format!(
                    "{group}: network {} is not connected",
                    network.label
                ));
            }
            let list: u64 = network.members.iter().map(|m| m.list_size).sum();
            if list != network.list_size {
                faults.push(format!(
                    "{group}: network {} lists {} patients, its members {list}",
                    network.label, network.list_size
                ));
            }
            let listed = planned
                .exceptions
                .iter()
                .any(|e| e.network == network.label && e.practice.is_none());
            if Band::of(list, floor, ceiling) != Band::In && !listed {
                faults.push(format!(
                    "{group}: network {} ({list} patients) is out of band and not listed",
                    network.label
                ));
            }
        }
    }
    faults
}
