//! What a proposal does to money. A proposal is priced by building one
//! year's payment run twice on the same facts, each time with one
//! configuration of the planned practices laid over the facts from the
//! year's first day: today's networks ("before") and the proposed ones
//! ("after"). Both runs are built the same way, so the difference between
//! them is the proposal's alone, not a change of membership that happened
//! during the year or a published figure that describes an older
//! membership. Nothing here is stored: the facts laid over are in memory,
//! for the two runs only.
//!
//! How a configuration is laid over the facts ([`overlay`]):
//! - **membership**: from the start date each configured practice is in
//!   one network. Its membership evidence dated on or after the start
//!   (snapshot observations, ODS relationships starting then or later,
//!   changes recorded by hand from then or later) is left out, relationships still open at the start end the day before,
//!   and one observation of the configured network is added, dated the
//!   start. Under the registry's rule (the newest evidence wins) that
//!   observation decides the practice's network on every date from the
//!   start; the evidence before it is untouched, so the months before are
//!   as recorded. A practice configured to no network is observed in the
//!   `U` placeholder.
//! - **PCN adjusted population**: NHS England publishes it per network for
//!   the membership of its date, so for a network whose members differ
//!   between the two configurations it is re-derived, in both, as the sum
//!   of its configured members' practice figures at each date practice
//!   figures were published, when every member has one at that date. A
//!   date where one is missing gives no figure, and the funding engine then
//!   estimates the network's figure as its registered list and marks every
//!   line it touches (its documented estimate).
//! - **new networks** get a code no fact uses, counting down from `U99999`,
//!   and are reported by their proposed label, never by that code.
//!
//! [`compare`] then reads, per affected network, core PCN funding, the
//! Network Participation Payment and the ARRS Sum from the two runs.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Plan;
use crate::codes::{PcnCode, PracticeCode};
use crate::facts::{
    FactBatch, MembershipObservation, PopulationFact, PopulationKind, PopulationSubject,
};
use crate::funding::{NetworkPay, PayRun};
use crate::money::Pence;
use crate::payrun::arrs_sum;
use crate::registry::Snapshot;
use crate::rulebook::FinancialYear;

/// The stream of core PCN funding.
pub const CORE_FUNDING: &str = "core-pcn-funding";
/// The stream of the Network Participation Payment (paid to practices).
pub const PARTICIPATION: &str = "network-participation-payment";

/// The two sets of facts a proposal is priced on, and the networks whose
/// members differ between them.
#[derive(Debug, Clone)]
pub struct Scenarios {
    /// The date both configurations hold from.
    pub start: NaiveDate,
    /// The facts with today's networks of the planned practices.
    pub before: FactBatch,
    /// The facts with the proposed networks.
    pub after: FactBatch,
    /// Networks whose members differ, in label order.
    pub affected: Vec<Affected>,
}

/// A network whose members the proposal changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affected {
    /// The network's code, or the proposed label of a new network.
    pub label: String,
    /// The code it is paid under in the runs (a code no fact uses for a new
    /// network).
    pub code: PcnCode,
    /// True for a network the proposal creates.
    pub new: bool,
}

/// The planned practices in a configuration: each practice's network
/// (`U` for none).
pub type Configuration = BTreeMap<PracticeCode, PcnCode>;

/// The two configurations of a plan's practices, today's and the
/// proposed, with a code for each new network, and how each network is
/// labelled.
pub fn configurations(
    facts: &FactBatch,
    plan: &Plan,
) -> (Configuration, Configuration, BTreeMap<PcnCode, String>) {
    let used = codes_in(facts);
    let mut spare = (1..=99_999u32)
        .rev()
        .filter_map(|n| PcnCode::parse(&format!("U{n:05}")).ok())
        .filter(|code| !used.contains(code));
    let (mut before, mut after) = (Configuration::new(), Configuration::new());
    let mut labels = BTreeMap::new();
    for network in plan.groups.iter().flat_map(|g| &g.networks) {
        let code = match &network.continues {
            Some(code) => code.clone(),
            // 99,999 codes less those in use: more than any plan proposes.
            None => spare.next().unwrap_or_else(PcnCode::unallocated),
        };
        labels.insert(code.clone(), network.label.clone());
        for member in &network.members {
            let today = member.from.clone().unwrap_or_else(PcnCode::unallocated);
            before.insert(member.practice.clone(), today);
            after.insert(member.practice.clone(), code.clone());
        }
    }
    (before, after, labels)
}

/// Every network code any fact names.
fn codes_in(facts: &FactBatch) -> BTreeSet<PcnCode> {
    let mut used: BTreeSet<PcnCode> = BTreeSet::new();
    used.extend(facts.networks.iter().map(|n| n.code.clone()));
    used.extend(facts.intervals.iter().map(|i| i.pcn.clone()));
    used.extend(facts.observations.iter().map(|o| o.pcn.clone()));
    used.extend(facts.membership_changes.iter().map(|c| c.pcn.clone()));
    used.extend(facts.governance.iter().map(|g| g.pcn.clone()));
    used.extend(facts.care_home_alignments.iter().map(|a| a.pcn.clone()));
    used.extend(facts.iif_points.iter().map(|p| p.pcn.clone()));
    used.extend(facts.populations.iter().filter_map(|p| match &p.subject {
        PopulationSubject::Network(code) => Some(code.clone()),
        PopulationSubject::Practice(_) => None,
    }));
    used
}

/// The facts under which today's and the proposed networks of a plan's
/// practices hold from `start`; `snapshot` (the one the plan was made
/// from) gives the members of a changed network that the plan does not
/// cover (a network across two commissioners).
pub fn scenarios(
    facts: &FactBatch,
    snapshot: &Snapshot,
    plan: &Plan,
    start: NaiveDate,
) -> Scenarios {
    let (before, after, labels) = configurations(facts, plan);
    let mut changed: BTreeSet<PcnCode> = BTreeSet::new();
    for (practice, today) in &before {
        let proposed = &after[practice];
        if today != proposed {
            changed.insert(today.clone());
            changed.insert(proposed.clone());
        }
    }
    changed.retain(|code| !code.is_unallocated());
    let members_of = |configuration: &Configuration| {
        let mut members: BTreeMap<PcnCode, BTreeSet<PracticeCode>> = changed
            .iter()
            .map(|code| (code.clone(), BTreeSet::new()))
            .collect();
        for (code, set) in members.iter_mut() {
            if let Some(network) = snapshot.networks.get(code) {
                set.extend(
                    network
                        .members
                        .iter()
                        .filter(|p| !configuration.contains_key(*p))
                        .cloned(),
                );
            }
        }
        for (practice, code) in configuration {
            if let Some(set) = members.get_mut(code) {
                set.insert(practice.clone());
            }
        }
        members
    };
    let mut affected: Vec<Affected> = changed
        .iter()
        .map(|code| Affected {
            label: labels
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.to_string()),
            code: code.clone(),
            new: labels.get(code).is_some_and(|l| l != code.as_str()),
        })
        .collect();
    affected.sort_by(|a, b| (a.new, &a.label).cmp(&(b.new, &b.label)));
    Scenarios {
        start,
        before: overlay(facts, start, &before, &members_of(&before)),
        after: overlay(facts, start, &after, &members_of(&after)),
        affected,
    }
}

/// `facts` with `configuration` holding from `start` (see the module doc),
/// and the PCN adjusted population of each network in `rederive`
/// re-derived from the members given.
pub fn overlay(
    facts: &FactBatch,
    start: NaiveDate,
    configuration: &Configuration,
    rederive: &BTreeMap<PcnCode, BTreeSet<PracticeCode>>,
) -> FactBatch {
    let mut out = facts.clone();
    out.observations
        .retain(|o| o.as_at < start || !configuration.contains_key(&o.practice));
    out.intervals
        .retain(|i| i.start < start || !configuration.contains_key(&i.practice));
    out.membership_changes
        .retain(|c| c.effective_from < start || !configuration.contains_key(&c.practice));
    let day_before = start.pred_opt().unwrap_or(start);
    for interval in &mut out.intervals {
        if configuration.contains_key(&interval.practice) && interval.end.is_none_or(|e| e >= start)
        {
            interval.end = Some(day_before);
        }
    }
    out.observations.extend(
        configuration
            .iter()
            .map(|(practice, pcn)| MembershipObservation {
                practice: practice.clone(),
                pcn: pcn.clone(),
                as_at: start,
            }),
    );

    // Practice figures by practice and date; among facts of one date the
    // later import wins, as in the registry.
    let mut by_practice: BTreeMap<&PracticeCode, BTreeMap<NaiveDate, Decimal>> = BTreeMap::new();
    for fact in &facts.populations {
        if let (PopulationKind::Adjusted, PopulationSubject::Practice(code)) =
            (fact.kind, &fact.subject)
        {
            by_practice
                .entry(code)
                .or_default()
                .insert(fact.as_at, fact.value);
        }
    }
    let dates: BTreeSet<NaiveDate> = by_practice
        .values()
        .flat_map(|d| d.keys().copied())
        .collect();
    out.populations.retain(|p| {
        !(p.kind == PopulationKind::Adjusted
            && matches!(&p.subject, PopulationSubject::Network(code) if rederive.contains_key(code)))
    });
    for (code, members) in rederive {
        for &date in &dates {
            let figures: Option<Vec<Decimal>> = members
                .iter()
                .map(|p| by_practice.get(p).and_then(|d| d.get(&date)).copied())
                .collect();
            if let Some(figures) = figures.filter(|f| !f.is_empty()) {
                out.populations.push(PopulationFact {
                    subject: PopulationSubject::Network(code.clone()),
                    kind: PopulationKind::Adjusted,
                    as_at: date,
                    value: figures.iter().sum(),
                });
            }
        }
    }
    out
}

/// What a network receives in a year from the three streams a
/// reconfiguration moves most.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Income {
    /// Core PCN funding (paid to the network).
    pub core_funding: Pence,
    /// The Network Participation Payment (paid to its member practices).
    pub participation: Pence,
    /// The ARRS Sum: the most the network can claim.
    pub arrs_sum: Pence,
}

impl Income {
    fn of(pay: &NetworkPay) -> Income {
        let stream = |id: &str| {
            pay.statement
                .lines
                .iter()
                .filter(|l| l.stream_id == id)
                .map(|l| l.amount)
                .sum()
        };
        Income {
            core_funding: stream(CORE_FUNDING),
            participation: stream(PARTICIPATION),
            arrs_sum: arrs_sum(&pay.statement).unwrap_or(Pence::ZERO),
        }
    }

    /// `self − other`, stream by stream.
    pub fn minus(self, other: Income) -> Income {
        Income {
            core_funding: self.core_funding - other.core_funding,
            participation: self.participation - other.participation,
            arrs_sum: self.arrs_sum - other.arrs_sum,
        }
    }

    fn plus(self, other: Income) -> Income {
        Income {
            core_funding: self.core_funding + other.core_funding,
            participation: self.participation + other.participation,
            arrs_sum: self.arrs_sum + other.arrs_sum,
        }
    }
}

/// One affected network's income before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkMoney {
    /// The network's code, or the proposed label of a new network.
    pub network: String,
    pub new: bool,
    /// Members paid in the run (none: the network is not in that run).
    pub members_before: usize,
    pub members_after: usize,
    /// `None`: not paid in that run (a new network before, a dissolved one after).
    pub before: Option<Income>,
    pub after: Option<Income>,
    /// After less before, counting a missing side as nothing.
    pub difference: Income,
    /// True when a line of either statement rests on an estimated input.
    pub estimated: bool,
}

/// The proposal's money: every affected network, and their totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoneyComparison {
    pub financial_year: FinancialYear,
    /// Both configurations hold from this date (the year's first day).
    pub start: NaiveDate,
    pub networks: Vec<NetworkMoney>,
    pub before: Income,
    pub after: Income,
    pub difference: Income,
}

/// Each affected network's income in the two runs.
pub fn compare(affected: &[Affected], before: &PayRun, after: &PayRun) -> MoneyComparison {
    let mut out = MoneyComparison {
        financial_year: after.financial_year,
        start: after.membership_as_at,
        networks: Vec::new(),
        before: Income::default(),
        after: Income::default(),
        difference: Income::default(),
    };
    for network in affected {
        let (b, a) = (before.network(&network.code), after.network(&network.code));
        let income = |pay: Option<&NetworkPay>| pay.map(Income::of);
        let (ib, ia) = (income(b), income(a));
        let difference = ia.unwrap_or_default().minus(ib.unwrap_or_default());
        out.before = out.before.plus(ib.unwrap_or_default());
        out.after = out.after.plus(ia.unwrap_or_default());
        out.networks.push(NetworkMoney {
            network: network.label.clone(),
            new: network.new,
            members_before: b.map_or(0, |n| n.members.len()),
            members_after: a.map_or(0, |n| n.members.len()),
            before: ib,
            after: ia,
            difference,
            estimated: [b, a]
                .into_iter()
                .flatten()
                .any(|n| n.statement.is_estimated()),
        });
    }
    out.difference = out.after.minus(out.before);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::MembershipInterval;
    use crate::payrun::{self, RunOptions, Selection};
    use crate::plan::{groups_from_snapshot, plan, Grouping, PlanConfig};
    use crate::registry::Registry;
    use crate::rulebook::Rulebook;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn practice(code: &str) -> PracticeCode {
        PracticeCode::parse(code).unwrap()
    }

    fn pcn(code: &str) -> PcnCode {
        PcnCode::parse(code).unwrap()
    }

    /// A81001 and A81002 in U00001, A81003 in U00002 (ODS, since 2019),
    /// and a July snapshot seeing A81003 there again.
    fn small_facts() -> FactBatch {
        let mut facts = FactBatch::default();
        for (p, n) in [
            ("A81001", "U00001"),
            ("A81002", "U00001"),
            ("A81003", "U00002"),
        ] {
            facts.intervals.push(MembershipInterval {
                practice: practice(p),
                pcn: pcn(n),
                start: date(2019, 7, 1),
                end: None,
            });
        }
        facts.observations.push(MembershipObservation {
            practice: practice("A81003"),
            pcn: pcn("U00002"),
            as_at: date(2026, 7, 1),
        });
        for (p, value) in [("A81001", 10), ("A81002", 20), ("A81003", 30)] {
            facts.populations.push(PopulationFact {
                subject: PopulationSubject::Practice(practice(p)),
                kind: PopulationKind::Adjusted,
                as_at: date(2025, 1, 1),
                value: Decimal::from(value),
            });
        }
        // A date when A81003 had no figure yet.
        facts.populations.push(PopulationFact {
            subject: PopulationSubject::Practice(practice("A81001")),
            kind: PopulationKind::Adjusted,
            as_at: date(2024, 1, 1),
            value: Decimal::from(9),
        });
        for (n, value) in [("U00001", 99), ("U00002", 77)] {
            facts.populations.push(PopulationFact {
                subject: PopulationSubject::Network(pcn(n)),
                kind: PopulationKind::Adjusted,
                as_at: date(2025, 1, 1),
                value: Decimal::from(value),
            });
        }
        facts
    }

    fn adjusted(facts: &FactBatch, network: &str) -> Vec<(NaiveDate, Decimal)> {
        facts
            .populations
            .iter()
            .filter(|p| {
                p.kind == PopulationKind::Adjusted
                    && p.subject == PopulationSubject::Network(pcn(network))
            })
            .map(|p| (p.as_at, p.value))
            .collect()
    }

    #[test]
    fn a_configuration_holds_from_its_start_and_history_before_is_kept() {
        let facts = small_facts();
        let start = date(2026, 4, 1);
        let configuration: Configuration = [
            (practice("A81001"), pcn("U00002")),
            (practice("A81003"), PcnCode::unallocated()),
        ]
        .into_iter()
        .collect();
        let rederive = [(pcn("U00002"), [practice("A81001")].into_iter().collect())]
            .into_iter()
            .collect();
        let laid = overlay(&facts, start, &configuration, &rederive);
        let registry = Registry::new(laid.clone());
        let networks = |p: &str, on| registry.networks_of(&practice(p), on);
        // Before the start: as recorded.
        assert_eq!(networks("A81001", date(2026, 3, 31)), vec![pcn("U00001")]);
        assert_eq!(networks("A81003", date(2026, 3, 31)), vec![pcn("U00002")]);
        // From the start, and after the July snapshot that was left out.
        for on in [start, date(2026, 8, 1), date(2027, 3, 1)] {
            assert_eq!(networks("A81001", on), vec![pcn("U00002")], "{on}");
            assert_eq!(networks("A81002", on), vec![pcn("U00001")], "{on}");
            assert!(networks("A81003", on).is_empty(), "{on}");
        }
        // The re-derived network: its member's figure at each date it has one.
        assert_eq!(
            adjusted(&laid, "U00002"),
            vec![
                (date(2024, 1, 1), Decimal::from(9)),
                (date(2025, 1, 1), Decimal::from(10))
            ]
        );
        // The other network keeps its published figure.
        assert_eq!(
            adjusted(&laid, "U00001"),
            vec![(date(2025, 1, 1), Decimal::from(99))]
        );
        // A date a member has no figure for gives none.
        let both = [(
            pcn("U00002"),
            [practice("A81001"), practice("A81003")]
                .into_iter()
                .collect(),
        )]
        .into_iter()
        .collect();
        let laid = overlay(&facts, start, &configuration, &both);
        assert_eq!(
            adjusted(&laid, "U00002"),
            vec![(date(2025, 1, 1), Decimal::from(40))]
        );
        // The facts given are untouched.
        assert_eq!(facts, small_facts());
    }

    /// The demo commissioner planned, and priced for 2026-27.
    fn demo_priced() -> (Plan, Scenarios, PayRun, PayRun) {
        let facts = crate::demo::demo_facts();
        let registry = Registry::new(facts.clone());
        let snapshot = registry.at(date(2026, 7, 1));
        let groups = groups_from_snapshot(&snapshot, Grouping::Icb, &BTreeSet::new());
        let planned = plan(&groups.groups, &PlanConfig::default()).unwrap();
        let year = FinancialYear::starting(2026);
        let scenarios = scenarios(&facts, &snapshot, &planned, year.start());
        let rulebook = Rulebook::embedded().unwrap();
        let run = |facts: &FactBatch| {
            payrun::build(
                &Registry::new(facts.clone()),
                rulebook.financial_year(year).unwrap(),
                rulebook.financial_year(year.previous()).ok(),
                &Selection::all(),
                &RunOptions::default(),
            )
            .unwrap()
        };
        let (before, after) = (run(&scenarios.before), run(&scenarios.after));
        (planned, scenarios, before, after)
    }

    /// The practices placed from U (or from no network): their share, by
    /// registered list, of their new network's income in `after`.
    fn brought_by_placed(planned: &Plan, after: &PayRun) -> Income {
        let placed: BTreeSet<&PracticeCode> = planned
            .groups
            .iter()
            .flat_map(|g| &g.networks)
            .flat_map(|n| &n.members)
            .filter(|m| m.from.as_ref().is_none_or(|f| f.is_unallocated()))
            .map(|m| &m.practice)
            .collect();
        let mut brought = Income::default();
        for pay in &after.networks {
            let list = |m: &crate::funding::MemberInputs| {
                m.registered.as_ref().map_or(Decimal::ZERO, |f| f.value)
            };
            let total: Decimal = pay.members.iter().map(list).sum();
            let theirs: Decimal = pay
                .members
                .iter()
                .filter(|m| placed.contains(&m.code))
                .map(list)
                .sum();
            if theirs.is_zero() || total.is_zero() {
                continue;
            }
            let income = Income::of(pay);
            let share = |p: Pence| Pence::from_pounds(p.to_pounds() * theirs / total).unwrap();
            brought.core_funding += share(income.core_funding);
            brought.arrs_sum += share(income.arrs_sum);
        }
        brought
    }

    #[test]
    fn the_demo_priced_before_and_after() {
        let (planned, scenarios, before, after) = demo_priced();
        assert!(planned.changes.practices_moved + planned.changes.practices_placed > 0);
        let money = compare(&scenarios.affected, &before, &after);
        assert_eq!(money.financial_year, FinancialYear::starting(2026));
        assert_eq!(money.start, date(2026, 4, 1));
        let affected: BTreeSet<&PcnCode> = scenarios.affected.iter().map(|a| &a.code).collect();
        assert!(!affected.is_empty());
        // Exactly the networks whose members differ are affected; the
        // others are paid the same in both runs.
        for pay in &before.networks {
            let code = &pay.statement.pcn;
            let other = after.network(code);
            let same_members = other.is_some_and(|o| {
                o.members
                    .iter()
                    .map(|m| &m.code)
                    .eq(pay.members.iter().map(|m| &m.code))
            });
            assert_eq!(!same_members, affected.contains(code), "{code}");
            if same_members {
                assert_eq!(Income::of(pay), Income::of(other.unwrap()), "{code}");
            }
        }
        // New networks are not paid before, and are paid after.
        for row in money.networks.iter().filter(|r| r.new) {
            assert!(
                row.before.is_none() && row.after.is_some(),
                "{}",
                row.network
            );
            assert!(row.network.starts_with("QZZ-new-"), "{}", row.network);
        }
        // Participation is paid per practice: each practice that had a
        // network is paid the same in both runs, whichever network it is
        // in, so the total changes only by what placed practices get.
        let participation = |run: &PayRun| -> BTreeMap<PracticeCode, Pence> {
            run.networks
                .iter()
                .flat_map(|n| &n.statement.lines)
                .filter(|l| l.stream_id == PARTICIPATION)
                .flat_map(|l| l.to_practices.iter().cloned())
                .collect()
        };
        let (paid_before, paid_after) = (participation(&before), participation(&after));
        assert!(!paid_before.is_empty());
        let mut placed = Pence::ZERO;
        for member in planned
            .groups
            .iter()
            .flat_map(|g| &g.networks)
            .flat_map(|n| &n.members)
        {
            let (b, a) = (
                paid_before.get(&member.practice),
                paid_after.get(&member.practice),
            );
            match member.from.as_ref().filter(|f| !f.is_unallocated()) {
                Some(_) => assert_eq!(b, a, "{}", member.practice),
                None => {
                    assert_eq!(b, None, "{}", member.practice);
                    placed += a.copied().unwrap_or_default();
                }
            }
        }
        assert_eq!(money.difference.participation, placed);
        // Network money moves with the patients: what the networks gain in
        // all is what the practices placed from U bring (the demo's practice
        // in U has a list, the nearest to the population date), about their
        // share of their new network's list; nothing is lost or made.
        let brought = brought_by_placed(&planned, &after);
        for (what, difference, expected) in [
            ("core", money.difference.core_funding, brought.core_funding),
            ("arrs", money.difference.arrs_sum, brought.arrs_sum),
        ] {
            let slack = expected.0 / 4 + money.networks.len() as i64;
            assert!(
                (difference.0 - expected.0).abs() <= slack,
                "{what}: {difference:?} against {expected:?} brought"
            );
        }
        assert!(money
            .networks
            .iter()
            .any(|n| n.difference.core_funding != Pence::ZERO));
        // Totals are the sums of the rows.
        let summed = money
            .networks
            .iter()
            .fold(Income::default(), |t, r| t.plus(r.difference));
        assert_eq!(summed, money.difference);
    }

    #[test]
    fn new_networks_get_codes_no_fact_uses() {
        let (planned, scenarios, _, _) = demo_priced();
        let mut facts = crate::demo::demo_facts();
        let (_, after, labels) = configurations(&facts, &planned);
        let new: Vec<&PcnCode> = labels
            .iter()
            .filter(|(code, label)| code.as_str() != label.as_str())
            .map(|(code, _)| code)
            .collect();
        assert!(!new.is_empty(), "the demo plan makes a new network");
        assert_eq!(new[new.len() - 1], &pcn("U99999"));
        assert!(after.values().any(|c| c == &pcn("U99999")));
        assert!(scenarios
            .affected
            .iter()
            .any(|a| a.new && a.code == pcn("U99999")));
        // Once U99999 is in use, the next free code is taken.
        facts.observations.push(MembershipObservation {
            practice: practice("A81001"),
            pcn: pcn("U99999"),
            as_at: date(2020, 1, 1),
        });
        let (_, _, labels) = configurations(&facts, &planned);
        assert!(!labels.contains_key(&pcn("U99999")));
        assert!(labels.contains_key(&pcn("U99998")));
    }
}
