//! A network's ARRS year against its Sum: spent, committed, headroom, the month
//! it runs out, claims outstanding.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::*;
use crate::money::Pence;
use crate::rulebook::FinancialYear;

/// One month of a network's ARRS year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetMonth {
    pub month: YearMonth,
    pub claimable: Pence,
    pub cost: Pence,
    pub met_by_practices: Pence,
    /// Claimable from April to this month.
    pub cumulative: Pence,
    /// Ended on or before the as-at date.
    pub elapsed: bool,
    /// Claims recorded for the month, by status.
    pub claimed: BTreeMap<ClaimStatus, Pence>,
}

/// A network's ARRS year as at a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub financial_year: String,
    pub as_at: NaiveDate,
    /// The network's ARRS Sum for the year; `None` when the rulebook cannot
    /// give one (2019/20 had role entitlements instead).
    pub sum: Option<Pence>,
    pub months: Vec<BudgetMonth>,
    /// Claimable for the months ended by the as-at date.
    pub spent: Pence,
    /// Claimable from the current month to the year end, from the roster.
    pub committed: Pence,
    /// Submitted or approved but not yet paid.
    pub outstanding: Pence,
    pub paid: Pence,
    pub drafts: Pence,
    /// Claimable for ended months but not yet claimed (beyond drafts).
    pub not_yet_claimed: Pence,
    /// Sum − spent − committed (negative when over-committed).
    pub headroom: Option<Pence>,
    /// The part of the Sum the roster will not use (lost: unspent ARRS money
    /// is not carried forward).
    pub forecast_underspend: Option<Pence>,
    /// The first month in which claims pass the Sum.
    pub runs_out: Option<YearMonth>,
    /// Cost above what can be claimed, met by the member practices.
    pub met_by_practices: Pence,
    pub partner: Pence,
    pub warnings: Vec<String>,
}

/// The budget of a network for a year from its claim lines (all posts),
/// its recorded claims, and its ARRS Sum.
pub fn budget(
    fy: FinancialYear,
    as_at: NaiveDate,
    sum: Option<Pence>,
    lines: &[MonthClaim],
    claims: &[ClaimRecord],
) -> Budget {
    budget_of(fy, as_at, sum, lines, claims)
}

/// [`budget`] from claim lines held in pieces (a network's lines as read,
/// then those of each post added since), so a caller keeping them need
/// not copy every line to add one post's.
pub fn budget_of<'a>(
    fy: FinancialYear,
    as_at: NaiveDate,
    sum: Option<Pence>,
    lines: impl IntoIterator<Item = &'a MonthClaim>,
    claims: &[ClaimRecord],
) -> Budget {
    let mut months: Vec<BudgetMonth> = YearMonth::of_year(fy)
        .into_iter()
        .map(|m| BudgetMonth {
            month: m,
            claimable: Pence::ZERO,
            cost: Pence::ZERO,
            met_by_practices: Pence::ZERO,
            cumulative: Pence::ZERO,
            elapsed: m.last_day() <= as_at,
            claimed: BTreeMap::new(),
        })
        .collect();
    let first = YearMonth::of(fy.start());
    let index = |m: YearMonth| {
        let i = (m.year * 12 + m.month as i32) - (first.year * 12 + first.month as i32);
        (0..12).contains(&i).then_some(i as usize)
    };
    let mut partner = Pence::ZERO;
    for l in lines {
        if let Some(i) = index(l.month) {
            months[i].claimable += l.claimable;
            months[i].cost += l.cost;
            months[i].met_by_practices += l.met_by_practices;
            partner += l.partner;
        }
    }
    for c in claims {
        if let Some(i) = index(c.month) {
            *months[i].claimed.entry(c.status).or_default() += c.amount;
        }
    }
    let mut running = Pence::ZERO;
    for m in &mut months {
        running += m.claimable;
        m.cumulative = running;
    }
    let total = |f: &dyn Fn(&BudgetMonth) -> Pence| months.iter().map(f).sum::<Pence>();
    let spent = total(&|m| if m.elapsed { m.claimable } else { Pence::ZERO });
    let committed = total(&|m| if m.elapsed { Pence::ZERO } else { m.claimable });
    let status = |s: ClaimStatus| {
        months
            .iter()
            .map(|m| m.claimed.get(&s).copied().unwrap_or_default())
            .sum::<Pence>()
    };
    let outstanding = status(ClaimStatus::Submitted) + status(ClaimStatus::Approved);
    let paid = status(ClaimStatus::Paid);
    let drafts = status(ClaimStatus::Draft);
    let not_yet_claimed = months
        .iter()
        .filter(|m| m.elapsed)
        .map(|m| (m.claimable - m.claimed.values().copied().sum::<Pence>()).max(Pence::ZERO))
        .sum::<Pence>();
    let met_by_practices = total(&|m| m.met_by_practices);
    let headroom = sum.map(|s| s - spent - committed);
    let runs_out = sum.and_then(|s| months.iter().find(|m| m.cumulative > s).map(|m| m.month));
    let mut warnings = Vec::new();
    if let (Some(s), Some(h)) = (sum, headroom) {
        if h.0 < 0 {
            warnings.push(format!(
                "commitments pass the ARRS Sum of {s} by {}: claims above the Sum will not be paid, so the member practices would meet them",
                Pence(-h.0)
            ));
        } else if h.0 > 0 {
            warnings.push(format!(
                "{h} of the ARRS Sum is not committed: unspent ARRS money is not carried forward"
            ));
        }
    }
    if not_yet_claimed.0 > 0 {
        warnings.push(format!(
            "{not_yet_claimed} is claimable for months already ended but not yet claimed"
        ));
    }
    if met_by_practices.0 > 0 {
        warnings.push(format!(
            "{met_by_practices} of cost is above what the ARRS reimburses and falls to the member practices"
        ));
    }
    Budget {
        financial_year: fy.to_string(),
        as_at,
        sum,
        months,
        spent,
        committed,
        outstanding,
        paid,
        drafts,
        not_yet_claimed,
        headroom,
        forecast_underspend: headroom.map(|h| h.max(Pence::ZERO)),
        runs_out,
        met_by_practices,
        partner,
        warnings,
    }
}
