//! Local or unlisted money: a column that holds more than the DES streams
//! in several networks of one commissioner.
//!
//! Some commissioners paid their networks, in a published column, money no
//! national rule sets: a CCG's own allocation, or a national sum not in the
//! rulebook. It shows as networks of one commissioner paid more than the
//! statement owes them by about the same amount per weighted patient. Once
//! every other cause has been tried (pools included), each network stream
//! item still put down to "rate" and paid more than owed is measured as its
//! excess ÷ the network's contractor weighted population (the statement's
//! figure); where at least [`MIN_NETWORKS`] such networks of one
//! commissioner and column are within a quarter of their median excess, each
//! of them gets [`Cause::LocalMoney`] with its own figure, the count and the
//! median. The cause names the gap; it does not make the statement agree,
//! so the difference measured stays the one against the statement.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Cause, Item, NetworkReconciliation};
use crate::codes::{PcnCode, SubIcbCode};

/// The fewest networks of one commissioner and column that make an excess
/// local money rather than one network's rate.
pub const MIN_NETWORKS: usize = 3;

/// An item paid over: (network index, item index, excess per weighted patient).
type Over = (usize, usize, Decimal);

/// Names local money in the items still put down to "rate": `weighted` is
/// each network's contractor weighted population, `network_group` says which
/// items are network streams (columns paid to one payee per network).
pub fn name_local_money(
    networks: &mut [NetworkReconciliation],
    weighted: &BTreeMap<PcnCode, Decimal>,
    network_group: impl Fn(&Item) -> bool,
) {
    let mut over: BTreeMap<(SubIcbCode, String), Vec<Over>> = BTreeMap::new();
    for (n, net) in networks.iter().enumerate() {
        let (Some(commissioner), Some(w)) = (&net.commissioner, weighted.get(&net.pcn)) else {
            continue;
        };
        if *w <= Decimal::ZERO {
            continue;
        }
        for (i, item) in net.items.iter().enumerate() {
            let rate = matches!(item.cause, Cause::Rate { .. });
            if rate && item.paid > item.owed && network_group(item) {
                let excess = (item.paid.to_pounds() - item.owed.to_pounds()) / *w;
                over.entry((commissioner.clone(), item.group.clone()))
                    .or_default()
                    .push((n, i, excess));
            }
        }
    }
    for ((commissioner, _), found) in over {
        if found.len() < MIN_NETWORKS {
            continue;
        }
        let median = median(found.iter().map(|f| f.2).collect());
        let near: Vec<_> = found
            .into_iter()
            .filter(|f| (f.2 - median).abs() * Decimal::from(4) <= median)
            .collect();
        if near.len() < MIN_NETWORKS {
            continue;
        }
        let count = near.len();
        for (n, i, excess) in near {
            networks[n].items[i].cause = Cause::LocalMoney {
                over_per_weighted_patient: excess.round_dp(4),
                networks: count,
                commissioner: commissioner.clone(),
                median: median.round_dp(4),
            };
        }
    }
}

/// The median of a non-empty list (the mean of the middle two when even).
fn median(mut v: Vec<Decimal>) -> Decimal {
    v.sort();
    super::median_of_sorted(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::fixtures::{self, network};

    /// An item put down to "rate", with no payee named.
    fn item(owed: i64, paid: i64) -> Item {
        fixtures::item(
            owed,
            paid,
            Cause::Rate {
                implied_rate: None,
                rulebook_rate: None,
            },
            None,
        )
    }

    /// Three networks of 01A paid £1.50 a patient of core funding and about
    /// £1 a weighted patient more (10,000 weighted patients each: £10,000,
    /// £10,500, £9,800 over) are local money; a fourth over by £3 a weighted
    /// patient stays "rate"; two networks of 02B over by £1 are too few; a
    /// network of 01A paid less stays "rate".
    #[test]
    fn an_excess_shared_by_networks_of_a_commissioner_is_local_money() {
        let core = 1_500_000; // £15,000 owed
        let mut networks = vec![
            network("U00001", "01A", item(core, core + 1_000_000)),
            network("U00002", "01A", item(core, core + 1_050_000)),
            network("U00003", "01A", item(core, core + 980_000)),
            network("U00004", "01A", item(core, core + 3_000_000)),
            network("U00005", "01A", item(core, core - 500_000)),
            network("U00006", "02B", item(core, core + 1_000_000)),
            network("U00007", "02B", item(core, core + 1_000_000)),
        ];
        let weighted: BTreeMap<PcnCode, Decimal> = networks
            .iter()
            .map(|n| (n.pcn.clone(), Decimal::from(10_000)))
            .collect();
        name_local_money(&mut networks, &weighted, |_| true);
        let causes: Vec<&Cause> = networks.iter().map(|n| &n.items[0].cause).collect();
        // The median of 1.00, 1.05, 0.98 and 3.00 is 1.025; 3.00 is not near it.
        assert_eq!(
            causes[0],
            &Cause::LocalMoney {
                over_per_weighted_patient: Decimal::ONE,
                networks: 3,
                commissioner: "01A".parse().unwrap(),
                median: Decimal::new(1025, 3),
            }
        );
        assert!(matches!(causes[1], Cause::LocalMoney { networks: 3, .. }));
        assert!(matches!(causes[2], Cause::LocalMoney { networks: 3, .. }));
        for c in &causes[3..] {
            assert!(matches!(c, Cause::Rate { .. }), "{c:?}");
        }
        assert_eq!(
            causes[0].describe(),
            "local money: the column holds £1.00 per weighted patient more than the DES \
             streams, as it does in 3 networks of 01A (median £1.03): local or unlisted money"
        );
        assert!(!causes[0].is_explained());
    }

    /// A network stream item that is not a network group (a practice-paid
    /// column) is never local money.
    #[test]
    fn practice_paid_columns_are_left_alone() {
        let mut networks: Vec<_> = ["U00001", "U00002", "U00003"]
            .iter()
            .map(|c| network(c, "01A", item(100_000, 200_000)))
            .collect();
        let weighted = networks
            .iter()
            .map(|n| (n.pcn.clone(), Decimal::from(1_000)))
            .collect();
        name_local_money(&mut networks, &weighted, |_| false);
        assert!(networks
            .iter()
            .all(|n| matches!(n.items[0].cause, Cause::Rate { .. })));
    }

    #[test]
    fn median_of_odd_and_even_lists() {
        let d = |n: i64| Decimal::new(n, 2);
        assert_eq!(median(vec![d(3), d(1), d(2)]), d(2));
        assert_eq!(median(vec![d(4), d(1), d(2), d(3)]), Decimal::new(25, 3));
    }
}
