//! What an hour of a post costs, and what the ARRS reimburses of it, from
//! the roster as `crate::arrs` costs it.
//!
//! - An ARRS post: its month's cost and claimable from
//!   [`crate::arrs::roster_year`] (payroll-free: salary and on-costs at the
//!   published rates, or the maximum when no pay is recorded), spread evenly
//!   over the days in post that month.
//! - A post funded otherwise: salary × WTE pro rata by day, plus employer
//!   National Insurance above the monthly threshold and employer pension at
//!   the year's on-cost rates (the same formula as an ARRS post); nothing is
//!   reimbursed. With no salary recorded its cost is unknown, and every
//!   figure that needs it says so.
//! - Hours: WTE × the year's `hours-per-wte-week` a week, so a day in post
//!   is a seventh of that; an hour's cost is the day's cost over the day's
//!   hours.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::calendar::Week;
use crate::arrs::{roster_year, Funding, MonthClaim, Post, YearMonth};
use crate::rulebook::ArrsRules;
use crate::rulebook::{FinancialYear, Rulebook};

/// Cost and reimbursement per day in post, per post and month.
#[derive(Debug, Clone, Default)]
pub struct PostCosts {
    /// post → month → (cost per day, claimable per day).
    daily: HashMap<i64, BTreeMap<YearMonth, (Decimal, Decimal)>>,
    /// Posts whose cost could not be worked out, and why.
    pub unknown: BTreeMap<i64, String>,
}

/// A post's cost over some days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Costed {
    pub cost: Decimal,
    pub claimable: Decimal,
    /// Whether every day had a known cost.
    pub known: bool,
}

impl PostCosts {
    /// Costs of `posts` for the months of `fy`.
    pub fn new(rb: &Rulebook, fy: FinancialYear, posts: &[Post]) -> PostCosts {
        PostCosts::for_years(rb, &[fy], posts)
    }

    /// Costs of `posts` for the months of each year given (a period that
    /// crosses a year end needs both years), working out the ARRS posts'
    /// claim lines. Where the lines are already worked out (a network's
    /// ARRS year, a national claims run), [`PostCosts::from_claims`] takes
    /// them instead of working them out again.
    pub fn for_years(rb: &Rulebook, years: &[FinancialYear], posts: &[Post]) -> PostCosts {
        let arrs: Vec<Post> = posts
            .iter()
            .filter(|p| p.funding == Funding::Arrs)
            .cloned()
            .collect();
        let mut lines = Vec::new();
        let mut unknown = BTreeMap::new();
        for &year in years {
            let (mut l, errors) = roster_year(rb, year, &arrs, &BTreeMap::new(), false);
            lines.append(&mut l);
            for (id, e) in errors {
                unknown.entry(id).or_insert_with(|| e.to_string());
            }
        }
        let mut out = PostCosts::from_claims(rb, years, &lines, posts);
        for (id, why) in unknown {
            out.unknown.entry(id).or_insert(why);
        }
        out
    }

    /// Costs from ARRS claim lines already worked out (`crate::arrs::roster_year`
    /// for the years given; a post with no line for a month it is in post
    /// has an unknown cost that month), and the posts funded otherwise
    /// costed from their pay for the months of `years`.
    pub fn from_claims(
        rb: &Rulebook,
        years: &[FinancialYear],
        lines: &[MonthClaim],
        posts: &[Post],
    ) -> PostCosts {
        let mut out = PostCosts::default();
        for l in lines {
            if l.days == 0 {
                continue;
            }
            let days = Decimal::from(l.days);
            out.daily.entry(l.post).or_default().insert(
                l.month,
                (l.cost.to_pounds() / days, l.claimable.to_pounds() / days),
            );
        }
        for &year in years {
            let Ok(y) = rb.financial_year(year) else {
                continue;
            };
            for p in posts.iter().filter(|p| p.funding == Funding::Other) {
                for month in YearMonth::of_year(year) {
                    out.cost_other_month(p, month, &y.arrs);
                }
            }
        }
        out
    }

    /// A post funded otherwise in one month: salary × WTE pro rata by day,
    /// plus employer on-costs as entered, else at the month's rates.
    fn cost_other_month(&mut self, p: &Post, month: YearMonth, arrs: &ArrsRules) {
        let n = p.days_in(month);
        if n == 0 {
            return;
        }
        let last = month.last_day().min(p.end.unwrap_or(month.last_day()));
        let Some(terms) = p.terms_at(last) else {
            return;
        };
        let Some(salary) = terms.salary else {
            self.unknown
                .entry(p.id)
                .or_insert_with(|| format!("post {} ({}) has no salary recorded", p.id, p.role));
            return;
        };
        let twelve = Decimal::from(12);
        let part = Decimal::from(n) / (twelve * Decimal::from(month.days()));
        let pay = salary.to_pounds() * terms.wte * part;
        let on_costs = match (terms.on_costs, arrs.on_costs_at(last)) {
            (Some(entered), _) => entered.to_pounds() * part,
            (None, Some(r)) => {
                (pay - r.employer_ni_threshold / twelve).max(Decimal::ZERO) * r.employer_ni_rate
                    + pay * r.employer_pension_rate
            }
            (None, None) => Decimal::ZERO,
        };
        self.daily
            .entry(p.id)
            .or_default()
            .insert(month, ((pay + on_costs) / Decimal::from(n), Decimal::ZERO));
    }

    /// The post's cost and claimable over the days `from..=to` it is in
    /// post: each month's days in post times its daily figures.
    pub fn between(&self, post: &Post, from: NaiveDate, to: NaiveDate) -> Costed {
        let mut c = Costed {
            known: true,
            ..Costed::default()
        };
        let from = from.max(post.start);
        let to = post.end.map_or(to, |e| e.min(to));
        if to < from {
            return c;
        }
        let months = self.daily.get(&post.id);
        let mut month = YearMonth::of(from);
        while month.first_day() <= to {
            let first = from.max(month.first_day());
            let last = to.min(month.last_day());
            let days = Decimal::from((last - first).num_days() + 1);
            match months.and_then(|m| m.get(&month)) {
                Some((cost, claim)) => {
                    c.cost += *cost * days;
                    c.claimable += *claim * days;
                }
                None => c.known = false,
            }
            month = month.next();
        }
        c
    }

    /// The post's cost and claimable in a week.
    pub fn week(&self, post: &Post, week: Week) -> Costed {
        self.between(post, week.monday(), week.sunday())
    }

    /// The cost and claimable of one hour of the post on `date`, given the
    /// hours a WTE works a week.
    pub fn hourly(
        &self,
        post: &Post,
        date: NaiveDate,
        hours_per_wte_week: Decimal,
    ) -> Option<Costed> {
        let day = self.between(post, date, date);
        let wte = post.terms_at(date)?.wte;
        let hours = wte * hours_per_wte_week / Decimal::from(7);
        if !day.known || hours.is_zero() || !post.covers(date) {
            return None;
        }
        Some(Costed {
            cost: day.cost / hours,
            claimable: day.claimable / hours,
            known: true,
        })
    }
}
