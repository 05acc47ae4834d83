//! Pooled payees: one practice paid a network column for several networks.
//!
//! In some commissioners NHS Payments to General Practice shows one practice
//! paid a network stream (PCN Support, Leadership, Extended Hours Access) for
//! several networks: the commissioner paid them all through one payee, and
//! the other networks show nothing paid. Compared network by network the
//! payee's network looks overpaid and the others not paid; compared as one
//! the pool may agree.
//!
//! The search is bounded: per commissioner (the statement's sub-ICB
//! location for the year) and published column of network streams, the
//! pool is every **payee** (an item whose cause is rate or paid outside the
//! network, paid more than it is owed by at least the smallest amount owed
//! to an unpaid network of the pool, less the tolerance: paid for at least
//! one more network) together
//! with every **unpaid** network (owed, nothing paid: not paid, or not in the
//! payments file). No subsets are tried. When the payees' total is within
//! the tolerance ([`ReconcileOptions::tolerance_percent`]) of the pool's total
//! owed, every item of the pool gets the cause [`Cause::PooledPayee`]; when
//! not, the items keep their causes (a real shortfall is never hidden) and
//! the pool is still listed ([`Reconciliation::pools`]) with its figures, as
//! unexplained.
//!
//! In the summaries an agreeing pool is measured once, as its own entry: its
//! payees' total against its networks' total owed. Its items are not
//! measured one by one (a network paid nothing has no difference of its
//! own to measure), so a pool of six networks adds one to "compared", and
//! one to "within 1%" only when the pool's total is within 1%.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;

use super::{percent, within, Cause, NetworkReconciliation, ReconcileOptions};
use crate::codes::{PcnCode, PracticeCode, SubIcbCode};
use crate::money::Pence;

/// One payee of a pool: a network paid more than it was owed, and the
/// practices its payment went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolPayee {
    pub pcn: PcnCode,
    pub practices: Vec<PracticeCode>,
    pub paid: Pence,
    pub owed: Pence,
}

/// Networks of one commissioner paid a column through one payee (or a few),
/// compared as one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pool {
    pub commissioner: SubIcbCode,
    /// The published column(s).
    pub group: String,
    pub payees: Vec<PoolPayee>,
    /// The networks owed and paid nothing.
    pub unpaid: Vec<PcnCode>,
    /// The payees' total.
    pub paid: Pence,
    /// The total owed to the payees' networks and the unpaid networks.
    pub owed: Pence,
    pub difference: Pence,
    pub difference_percent: Option<Decimal>,
    /// Every item of the pool is owed the full year.
    pub full_year: bool,
    /// Whether the total paid is within the tolerance of the total owed;
    /// only then do the items have the cause [`Cause::PooledPayee`].
    pub agrees: bool,
}

/// An item's place: network index, item index.
type At = (usize, usize);

/// Finds the pools of a year's networks and, where a pool's total agrees,
/// gives its items the cause [`Cause::PooledPayee`]. `network_group` says
/// whether a published column holds network streams (paid to a payee).
pub(super) fn find_pools(
    networks: &mut [NetworkReconciliation],
    network_group: impl Fn(&super::Item) -> bool,
    options: &ReconcileOptions,
) -> Vec<Pool> {
    let tol = options.tolerance_percent;
    let mut candidates: BTreeMap<(SubIcbCode, String), (Vec<At>, Vec<At>)> = BTreeMap::new();
    for (ni, n) in networks.iter().enumerate() {
        let Some(c) = &n.commissioner else { continue };
        for (ii, i) in n.items.iter().enumerate() {
            if !network_group(i) || !i.owed_known() {
                continue;
            }
            let payee = i.paid > i.owed
                && !within(i.paid, Decimal::from(i.owed.0), tol)
                && matches!(
                    i.cause,
                    Cause::Rate { .. } | Cause::PaidOutsideNetwork { .. }
                );
            let unpaid = i.paid == Pence::ZERO
                && i.owed > Pence::ZERO
                && matches!(i.cause, Cause::NotPaid | Cause::NotInPaymentsFile);
            if payee || unpaid {
                let entry = candidates.entry((c.clone(), i.group.clone())).or_default();
                if payee {
                    entry.0.push((ni, ii));
                } else {
                    entry.1.push((ni, ii));
                }
            }
        }
    }
    let mut pools = Vec::new();
    for ((commissioner, group), (payees, unpaid)) in candidates {
        let item = |&(ni, ii): &At| &networks[ni].items[ii];
        // A payee is paid for at least one more network: its excess is at
        // least the smallest amount owed to an unpaid network, less the
        // tolerance (a network merely paid a little more is not a payee).
        let Some(smallest) = unpaid.iter().map(|at| item(at).owed).min() else {
            continue;
        };
        let payees: Vec<At> = payees
            .into_iter()
            .filter(|at| {
                let i = item(at);
                let excess = Decimal::from((i.paid - i.owed).0);
                let floor =
                    Decimal::from(smallest.0) * (Decimal::ONE_HUNDRED - tol) / Decimal::ONE_HUNDRED;
                excess >= floor
            })
            .collect();
        if payees.is_empty() {
            continue;
        }
        let payees_out: Vec<PoolPayee> = payees
            .iter()
            .map(|at| {
                let i = item(at);
                PoolPayee {
                    pcn: networks[at.0].pcn.clone(),
                    practices: i.recipients.iter().map(|r| r.practice.clone()).collect(),
                    paid: i.paid,
                    owed: i.owed,
                }
            })
            .collect();
        let paid: Pence = payees_out.iter().map(|p| p.paid).sum();
        let owed: Pence = payees.iter().chain(&unpaid).map(|at| item(at).owed).sum();
        let agrees = within(paid, Decimal::from(owed.0), tol);
        let full_year = payees.iter().chain(&unpaid).all(|at| item(at).full_year);
        let pool = Pool {
            commissioner,
            group,
            unpaid: unpaid.iter().map(|at| networks[at.0].pcn.clone()).collect(),
            payees: payees_out,
            paid,
            owed,
            difference: paid - owed,
            difference_percent: percent(paid - owed, owed),
            full_year,
            agrees,
        };
        if agrees {
            let cause = pool.cause();
            for &(ni, ii) in payees.iter().chain(&unpaid) {
                networks[ni].items[ii].cause = cause.clone();
            }
        }
        pools.push(pool);
    }
    pools
}

impl Pool {
    /// The cause its items get when it agrees.
    pub fn cause(&self) -> Cause {
        let practices: BTreeSet<PracticeCode> = self
            .payees
            .iter()
            .flat_map(|p| p.practices.iter().cloned())
            .collect();
        let mut networks: Vec<PcnCode> = self.payees.iter().map(|p| p.pcn.clone()).collect();
        networks.extend(self.unpaid.iter().cloned());
        networks.sort();
        networks.dedup();
        Cause::PooledPayee {
            practices: practices.into_iter().collect(),
            networks,
            paid: self.paid,
            owed: self.owed,
        }
    }

    /// The pool in words, such as `00P PCN Extended Hours Access: A89025
    /// (U61868) paid £409,630.44 for U61868, U05458, …, owed £409,063.68 in
    /// all (0.14%): agrees, so paid through a pooled payee`.
    pub fn describe(&self) -> String {
        let payees: Vec<String> = self
            .payees
            .iter()
            .map(|p| format!("{} ({})", join(&p.practices), p.pcn))
            .collect();
        let mut networks: Vec<&PcnCode> = self.payees.iter().map(|p| &p.pcn).collect();
        networks.extend(self.unpaid.iter());
        format!(
            "{} {}: {} paid {} for {}, owed {} in all ({}): {}",
            self.commissioner,
            self.group,
            payees.join(", "),
            self.paid,
            join(&networks),
            self.owed,
            self.difference_percent
                .map(|p| format!("{p}%"))
                .unwrap_or_else(|| "—".into()),
            if self.agrees {
                "agrees, so paid through a pooled payee"
            } else {
                "does not agree: unexplained, the items keep their causes"
            }
        )
    }
}

/// Codes joined with `, `.
pub(super) fn join<T: ToString>(codes: &[T]) -> String {
    codes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{item, network};
    use super::super::summarise;
    use super::*;

    fn rate() -> Cause {
        Cause::Rate {
            implied_rate: None,
            rulebook_rate: None,
        }
    }

    /// Commissioner 00P: practice A81001 of U00001 paid `payee_paid` for
    /// U00001 (owed £1,000), U00002 (owed £1,200, nothing in the file) and
    /// U00003 (owed £800, not paid); U00009 of 00Q is not paid and stays so.
    fn fixture(payee_paid: i64) -> Vec<NetworkReconciliation> {
        vec![
            network(
                "U00001",
                "00P",
                item(100_000, payee_paid, rate(), Some("A81001")),
            ),
            network(
                "U00002",
                "00P",
                item(120_000, 0, Cause::NotInPaymentsFile, None),
            ),
            network("U00003", "00P", item(80_000, 0, Cause::NotPaid, None)),
            network("U00009", "00Q", item(90_000, 0, Cause::NotPaid, None)),
        ]
    }

    #[test]
    fn a_payee_paid_for_three_networks_agrees_as_one_pool() {
        let mut networks = fixture(299_000);
        let pools = find_pools(&mut networks, |_| true, &ReconcileOptions::default());
        assert_eq!(pools.len(), 1, "{pools:?}");
        let pool = &pools[0];
        assert!(pool.agrees);
        assert_eq!((pool.paid, pool.owed), (Pence(299_000), Pence(300_000)));
        assert_eq!(pool.difference_percent, Some(Decimal::new(-33, 2)));
        let expected = Cause::PooledPayee {
            practices: vec!["A81001".parse().unwrap()],
            networks: ["U00001", "U00002", "U00003"]
                .iter()
                .map(|p| p.parse().unwrap())
                .collect(),
            paid: Pence(299_000),
            owed: Pence(300_000),
        };
        for n in &networks[..3] {
            assert_eq!(n.items[0].cause, expected, "{}", n.pcn);
        }
        assert_eq!(
            expected.describe(),
            "paid through a pooled payee: practice A81001 paid £2,990.00 for networks \
             U00001, U00002, U00003, owed £3,000.00 in all"
        );
        assert!(expected.is_explained());
        assert_eq!(
            networks[3].items[0].cause,
            Cause::NotPaid,
            "another commissioner"
        );

        // The pool is one entry of the bands, within 1%; the other
        // commissioner's network is owed and not paid, so not compared.
        let summary = summarise(networks.iter().flat_map(|n| n.items.iter()));
        let g = &summary[0];
        assert_eq!(g.pools, 1);
        assert_eq!(
            (g.paid_full_year.compared, g.paid_full_year.within_1),
            (1, 1)
        );
        assert_eq!(g.before_timing.median_percent, Some(Decimal::new(33, 2)));
        assert_eq!(g.causes["pooled payee"], 3);
        assert_eq!(g.causes["not paid"], 1);
    }

    #[test]
    fn a_pool_that_does_not_agree_keeps_its_causes() {
        let mut networks = fixture(250_000);
        let pools = find_pools(&mut networks, |_| true, &ReconcileOptions::default());
        assert_eq!(pools.len(), 1, "{pools:?}");
        let pool = &pools[0];
        assert!(!pool.agrees);
        assert_eq!(pool.difference, Pence(-50_000));
        assert_eq!(pool.unpaid.len(), 2);
        assert!(
            pool.describe().contains("does not agree"),
            "{}",
            pool.describe()
        );
        assert_eq!(networks[0].items[0].cause, rate());
        assert_eq!(networks[1].items[0].cause, Cause::NotInPaymentsFile);
        assert_eq!(networks[2].items[0].cause, Cause::NotPaid);
        let summary = summarise(networks.iter().flat_map(|n| n.items.iter()));
        assert_eq!(summary[0].pools, 0);
        // Only the payee is compared, as before: 150% over.
        assert_eq!(summary[0].paid_full_year.compared, 1);
        assert_eq!(summary[0].paid_full_year.within_5, 0);
    }

    #[test]
    fn no_pool_without_an_overpaid_payee() {
        let mut networks = fixture(100_000);
        networks[0].items[0].cause = Cause::PaidInFull;
        let pools = find_pools(&mut networks, |_| true, &ReconcileOptions::default());
        assert!(pools.is_empty());
        assert_eq!(networks[2].items[0].cause, Cause::NotPaid);
    }
}
