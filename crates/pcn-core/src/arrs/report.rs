//! The national ARRS picture: per network, WTE by role from the roster and
//! the estimated spend against the network's Sum.
//!
//! The workforce census gives no pay or start dates, so the estimate claims
//! every post in post on the census date for the whole year at its role's
//! maximum: an upper bound that says how far each roster would go if every
//! post were ARRS-funded, not what was spent.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{roster_year, Funding, Origin, Post, Terms};
use crate::codes::{PcnCode, SubIcbCode};
use crate::money::Pence;
use crate::rulebook::{FinancialYear, Rulebook};

/// One network in the national report.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkArrs {
    pub pcn: PcnCode,
    pub name: Option<String>,
    pub commissioner: Option<SubIcbCode>,
    pub sum: Option<Pence>,
    pub arrs_wte: Decimal,
    pub other_wte: Decimal,
    pub posts: usize,
    /// Claimable over the whole year for the posts in post on the census
    /// date, as if in post all year at their maximum.
    pub estimated_spend: Pence,
    pub headroom: Option<Pence>,
    pub wte_by_role: BTreeMap<String, Decimal>,
}

/// The report's networks, and the posts that could not be costed (id, why).
#[derive(Debug, Clone, Serialize)]
pub struct NationalReport {
    pub financial_year: FinancialYear,
    /// The date the roster is read as at: the latest census date, within the year.
    pub as_at: NaiveDate,
    /// The latest workforce census the roster was seeded from.
    pub census: Option<NaiveDate>,
    pub networks: Vec<NetworkArrs>,
    pub not_costed: Vec<(i64, String)>,
}

/// The national report added up: WTE by role and in all, the estimated
/// spend, and against the Sum of the networks that have one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalTotals {
    pub wte_by_role: BTreeMap<String, Decimal>,
    pub arrs_wte: Decimal,
    pub other_wte: Decimal,
    pub estimated_spend: Pence,
    pub networks_with_sum: usize,
    /// The Sum of the networks with one, and their estimated spend.
    pub sum: Pence,
    pub spend_with_sum: Pence,
    /// Networks whose estimated spend passes their Sum.
    pub over_sum: usize,
}

impl NationalReport {
    /// The report's totals.
    pub fn totals(&self) -> NationalTotals {
        let rows = &self.networks;
        let mut wte_by_role: BTreeMap<String, Decimal> = BTreeMap::new();
        for n in rows {
            for (r, w) in &n.wte_by_role {
                *wte_by_role.entry(r.clone()).or_default() += *w;
            }
        }
        let with_sum: Vec<&NetworkArrs> = rows.iter().filter(|n| n.sum.is_some()).collect();
        NationalTotals {
            wte_by_role,
            arrs_wte: rows.iter().map(|n| n.arrs_wte).sum(),
            other_wte: rows.iter().map(|n| n.other_wte).sum(),
            estimated_spend: rows.iter().map(|n| n.estimated_spend).sum(),
            networks_with_sum: with_sum.len(),
            sum: with_sum.iter().filter_map(|n| n.sum).sum(),
            spend_with_sum: with_sum.iter().map(|n| n.estimated_spend).sum(),
            over_sum: with_sum
                .iter()
                .filter(|n| n.headroom.is_some_and(|h| h.0 < 0))
                .count(),
        }
    }
}

/// The latest workforce census the posts were seeded from, if any.
pub fn latest_census(posts: &[Post]) -> Option<NaiveDate> {
    posts
        .iter()
        .filter_map(|p| match p.origin {
            Origin::Census(d) => Some(d),
            Origin::Entered => None,
        })
        .max()
}

/// The national report: every network with posts, per role. `names` gives
/// each network's name and commissioner.
pub fn national_report(
    rb: &Rulebook,
    fy: FinancialYear,
    posts: &[Post],
    sums: &BTreeMap<PcnCode, Pence>,
    names: &BTreeMap<PcnCode, (Option<String>, Option<SubIcbCode>)>,
) -> NationalReport {
    let mut by_pcn: BTreeMap<PcnCode, Vec<&Post>> = BTreeMap::new();
    for p in posts {
        by_pcn.entry(p.pcn.clone()).or_default().push(p);
    }
    let at = fy
        .end()
        .min(fy.start().max(latest_census(posts).unwrap_or(fy.start())));
    let mut networks = Vec::new();
    let mut not_costed = Vec::new();
    for (code, ps) in by_pcn {
        let (name, commissioner) = names.get(&code).cloned().unwrap_or_default();
        let mut n = NetworkArrs {
            pcn: code.clone(),
            name,
            commissioner,
            sum: sums.get(&code).copied(),
            arrs_wte: Decimal::ZERO,
            other_wte: Decimal::ZERO,
            posts: 0,
            estimated_spend: Pence::ZERO,
            headroom: None,
            wte_by_role: BTreeMap::new(),
        };
        let mut whole_year: Vec<Post> = Vec::new();
        for p in ps.into_iter().filter(|p| p.covers(at)) {
            n.posts += 1;
            let Some(t) = p.terms_at(at) else { continue };
            if p.funding != Funding::Arrs {
                n.other_wte += t.wte;
                continue;
            }
            n.arrs_wte += t.wte;
            *n.wte_by_role.entry(p.role.clone()).or_default() += t.wte;
            // The year's claim for this post as if in post all year on its current terms.
            let mut whole = p.clone();
            whole.start = fy.start();
            whole.end = None;
            whole.terms = vec![Terms {
                effective_from: fy.start(),
                ..t.clone()
            }];
            whole_year.push(whole);
        }
        let (lines, errors) = roster_year(rb, fy, &whole_year, &BTreeMap::new(), false);
        n.estimated_spend = lines.iter().map(|l| l.claimable).sum();
        not_costed.extend(errors.into_iter().map(|(id, e)| (id, e.to_string())));
        n.headroom = n.sum.map(|s| s - n.estimated_spend);
        networks.push(n);
    }
    NationalReport {
        financial_year: fy,
        as_at: at,
        census: latest_census(posts),
        networks,
        not_costed,
    }
}
