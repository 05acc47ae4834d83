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
use crate::arrs::{roster_year, Funding, Post, YearMonth};
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
    /// crosses a year end needs both years).
    pub fn for_years(rb: &Rulebook, years: &[FinancialYear], posts: &[Post]) -> PostCosts {
        let mut out = PostCosts::default();
        for &year in years {
            let Ok(y) = rb.financial_year(year) else {
                continue;
            };
            let arrs: Vec<Post> = posts
                .iter()
                .filter(|p| p.funding == Funding::Arrs)
                .cloned()
                .collect();
            let (lines, errors) = roster_year(rb, year, &arrs, &BTreeMap::new(), false);
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
            for (id, e) in errors {
                out.unknown.entry(id).or_insert_with(|| e.to_string());
            }
            for p in posts.iter().filter(|p| p.funding == Funding::Other) {
                for month in YearMonth::of_year(year) {
                    let n = p.days_in(month);
                    if n == 0 {
                        continue;
                    }
                    let last = month.last_day().min(p.end.unwrap_or(month.last_day()));
                    let Some(terms) = p.terms_at(last) else {
                        continue;
                    };
                    let Some(salary) = terms.salary else {
                        out.unknown.entry(p.id).or_insert_with(|| {
                            format!("post {} ({}) has no salary recorded", p.id, p.role)
                        });
                        continue;
                    };
                    let twelve = Decimal::from(12);
                    let pay = salary.to_pounds() * terms.wte * Decimal::from(n)
                        / (twelve * Decimal::from(month.days()));
                    let on_costs = match (terms.on_costs, y.arrs.on_costs_at(last)) {
                        (Some(entered), _) => {
                            entered.to_pounds() * Decimal::from(n)
                                / (twelve * Decimal::from(month.days()))
                        }
                        (None, Some(r)) => {
                            (pay - r.employer_ni_threshold / twelve).max(Decimal::ZERO)
                                * r.employer_ni_rate
                                + pay * r.employer_pension_rate
                        }
                        (None, None) => Decimal::ZERO,
                    };
                    out.daily
                        .entry(p.id)
                        .or_default()
                        .insert(month, ((pay + on_costs) / Decimal::from(n), Decimal::ZERO));
                }
            }
        }
        out
    }

    /// The post's cost and claimable over the days `from..=to` it is in post.
    pub fn between(&self, post: &Post, from: NaiveDate, to: NaiveDate) -> Costed {
        let mut c = Costed {
            known: true,
            ..Costed::default()
        };
        let months = self.daily.get(&post.id);
        let mut d = from;
        while d <= to {
            if post.covers(d) {
                match months.and_then(|m| m.get(&YearMonth::of(d))) {
                    Some((cost, claim)) => {
                        c.cost += cost;
                        c.claimable += claim;
                    }
                    None => c.known = false,
                }
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
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
