//! What a reconciliation reads besides the run: the payments relevant to a
//! selection of networks, and the other figures a network's basis could have
//! been (for the cause "population basis"), both from the registry.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::AlternativeBasis;
use crate::codes::{PcnCode, PracticeCode};
use crate::facts::PaymentActualFact;
use crate::funding::PayRun;
use crate::registry::Registry;
use crate::rulebook::Basis;

/// The payments a reconciliation of `run` needs when the run covers a
/// selection of networks: those the file gives to a network `in_selection`
/// says is selected, and those to a practice that is a member or the payee
/// of a network in the run. (A national run needs every payment, so that
/// networks paid with no statement show.)
pub fn actuals_for<'a>(
    run: &PayRun,
    actuals: impl IntoIterator<Item = &'a PaymentActualFact>,
    in_selection: impl Fn(&PcnCode) -> bool,
) -> Vec<&'a PaymentActualFact> {
    let year = run.financial_year.to_string();
    let practices: BTreeSet<&PracticeCode> = run
        .networks
        .iter()
        .flat_map(|n| {
            n.members
                .iter()
                .map(|m| &m.code)
                .chain(n.statement.payee.iter())
        })
        .collect();
    actuals
        .into_iter()
        .filter(|f| f.financial_year == year)
        .filter(|f| f.pcn.as_ref().is_some_and(&in_selection) || practices.contains(&f.practice))
        .collect()
}

/// How far before the population date, and after the year's end, a held
/// figure may be to be tried as another basis.
const ALTERNATIVE_WINDOW_DAYS: i64 = 400;

/// Other figures each network's bases could have been, from the registry:
/// for the registered list and the weighted population, the members' figures
/// of each date held within [`ALTERNATIVE_WINDOW_DAYS`] of the year (before
/// the population date, or after the year's end), summed over the
/// statement's members that have a figure of that date; for the adjusted
/// population, the network's own of each such date. A figure the statement
/// itself used is not repeated.
pub fn alternatives(registry: &Registry, run: &PayRun) -> BTreeMap<PcnCode, Vec<AlternativeBasis>> {
    let year = run.financial_year;
    let population_date = run
        .networks
        .iter()
        .flat_map(|n| n.statement.lines.iter())
        .find_map(|l| l.basis.is_population().then_some(l.basis_as_at).flatten());
    let from =
        population_date.unwrap_or(year.start()) - chrono::Days::new(ALTERNATIVE_WINDOW_DAYS as u64);
    let to = year.end() + chrono::Days::new(ALTERNATIVE_WINDOW_DAYS as u64);
    let in_window = |d: &NaiveDate| *d >= from && *d <= to;
    let mut out = BTreeMap::new();
    for n in &run.networks {
        let mut registered: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
        let mut weighted: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
        for m in &n.members {
            for (d, v) in registry.list_sizes_of(&m.code) {
                if in_window(&d) {
                    *registered.entry(d).or_default() += v;
                }
            }
            for (d, v) in registry.weighted_populations_of(&m.code) {
                if in_window(d) {
                    *weighted.entry(*d).or_default() += *v;
                }
            }
        }
        let used: BTreeSet<(Basis, Option<NaiveDate>)> = n
            .statement
            .lines
            .iter()
            .map(|l| (l.basis, l.basis_as_at))
            .collect();
        let mut list = Vec::new();
        let mut push = |basis: Basis, what: &str, d: NaiveDate, value: Decimal| {
            if !used.contains(&(basis, Some(d))) && !value.is_zero() {
                list.push(AlternativeBasis {
                    basis,
                    label: format!("{what} of {d}"),
                    value,
                });
            }
        };
        for (d, v) in registered {
            push(Basis::RegisteredList, "the members' registered lists", d, v);
        }
        for (d, v) in weighted {
            push(
                Basis::WeightedPopulation,
                "the members' weighted populations",
                d,
                v,
            );
        }
        for (d, v) in registry.adjusted_populations_of(&n.statement.pcn) {
            if in_window(d) {
                push(
                    Basis::AdjustedPopulation,
                    "the PCN adjusted population",
                    *d,
                    *v,
                );
            }
        }
        out.insert(n.statement.pcn.clone(), list);
    }
    out
}
