//! What each post can be claimed for, month by month (the rules are in the
//! module doc of [`crate::arrs`]).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::*;
use crate::money::Pence;
use crate::rulebook::{FinancialYear, Region, Role, Rulebook, YearRules};

/// How a month's cost was arrived at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CostBasis {
    /// The payroll actual entered for the month.
    Actual,
    /// Salary × WTE plus on-costs computed from the published rates.
    Salary,
    /// Salary × WTE plus on-costs as entered.
    SalaryEnteredOnCosts,
    /// No pay recorded: taken to be the maximum.
    AtMaximum,
}

/// What a post can be claimed for in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthClaim {
    pub post: i64,
    pub month: YearMonth,
    pub days: u32,
    pub days_in_month: u32,
    pub band: String,
    pub wte: Decimal,
    pub pay_group: String,
    /// The maximum per WTE a year in force at the month's end.
    pub maximum: Decimal,
    pub cost_basis: CostBasis,
    /// The whole cost of the post for the month.
    pub cost: Pence,
    /// Met by a partner (the mental health trust's share).
    pub partner: Pence,
    /// The maximum × WTE, pro rata.
    pub cap: Pence,
    pub claimable: Pence,
    /// The network's share of the cost that the claim does not cover.
    pub met_by_practices: Pence,
    /// Why any figure is an estimate.
    pub caveats: Vec<String>,
    /// One line of working.
    pub working: String,
}

/// Exact (unrounded) month figures.
struct Exact {
    cost: Decimal,
    partner: Decimal,
    cap: Decimal,
    claim: Decimal,
}

fn pounds(d: Decimal) -> String {
    let p = Pence::from_pounds(d).unwrap_or(Pence::ZERO);
    p.to_string()
}

/// Running rounding: each value rounded so that the running totals are the
/// exact running totals rounded.
pub(super) fn round_running(values: &[Decimal]) -> Vec<Pence> {
    let mut out = Vec::with_capacity(values.len());
    let mut exact = Decimal::ZERO;
    let mut given = Pence::ZERO;
    for v in values {
        exact += *v;
        let total = Pence::from_pounds(exact).unwrap_or(given);
        out.push(total - given);
        given = total;
    }
    out
}

/// What a year's claims are worked out with: the year's rules, the dates
/// inside it where a rate changes, and the maxima looked up so far.
struct YearCx<'a> {
    rb: &'a Rulebook,
    fy: FinancialYear,
    y: &'a YearRules,
    change_dates: Vec<NaiveDate>,
    months: Vec<YearMonth>,
    /// (pay group, date, region) → (maximum, caveat).
    maxima: HashMap<(&'a str, NaiveDate, Region), (Decimal, Option<String>)>,
    /// Write each line's working (the claim schedule needs it; budgets do not).
    explain: bool,
}

impl<'a> YearCx<'a> {
    fn new(rb: &'a Rulebook, fy: FinancialYear, explain: bool) -> Result<YearCx<'a>, ArrsError> {
        let y = year_rules(rb, fy)?;
        Ok(YearCx {
            rb,
            fy,
            y,
            change_dates: y.arrs.change_dates(),
            months: YearMonth::of_year(fy),
            maxima: HashMap::new(),
            explain,
        })
    }

    fn role(&self, id: &str) -> Result<&'a Role, ArrsError> {
        match self.y.arrs.role(id) {
            Some(r) => Ok(r),
            None => role_in_year(self.rb, self.fy, id),
        }
    }

    fn maximum(
        &mut self,
        group: &'a str,
        date: NaiveDate,
        region: Region,
    ) -> Result<(Decimal, Option<String>), ArrsError> {
        if let Some(found) = self.maxima.get(&(group, date, region)) {
            return Ok(found.clone());
        }
        let max = self
            .rb
            .arrs_maximum(self.fy, group, date, region)
            .ok_or_else(|| {
                invalid(format!(
                    "no maximum for pay group {group:?} on {date} in the rulebook"
                ))
            })?;
        let found = (max.amount, max.caveat());
        self.maxima.insert((group, date, region), found.clone());
        Ok(found)
    }

    fn post(
        &mut self,
        post: &Post,
        actuals: &BTreeMap<YearMonth, Pence>,
    ) -> Result<Vec<MonthClaim>, ArrsError> {
        if post.funding != Funding::Arrs {
            return Ok(Vec::new());
        }
        let role = self.role(&post.role)?;
        let mut lines = Vec::new();
        let mut exacts = Vec::new();
        for i in 0..self.months.len() {
            let month = self.months[i];
            if post.days_in(month) == 0 {
                continue;
            }
            let (line, exact) = month_exact(self, role, post, month, actuals)?;
            lines.push(line);
            exacts.push(exact);
        }
        let cost = round_running(&exacts.iter().map(|e| e.cost).collect::<Vec<_>>());
        let partner = round_running(&exacts.iter().map(|e| e.partner).collect::<Vec<_>>());
        let cap = round_running(&exacts.iter().map(|e| e.cap).collect::<Vec<_>>());
        let claim = round_running(&exacts.iter().map(|e| e.claim).collect::<Vec<_>>());
        for (i, line) in lines.iter_mut().enumerate() {
            line.cost = cost[i];
            line.partner = partner[i].min(cost[i]);
            line.cap = cap[i];
            let network_cost = line.cost - line.partner;
            line.claimable = claim[i].min(cap[i]).min(network_cost).max(Pence::ZERO);
            line.met_by_practices = (network_cost - line.claimable).max(Pence::ZERO);
            if self.explain {
                line.working = format!(
                    "{}; rounded: cost {}, cap {}, claimable {}",
                    line.working, line.cost, line.cap, line.claimable
                );
            }
        }
        Ok(lines)
    }
}

/// The claim lines of one post for the months of a year it is in post,
/// each with its working. `actuals` are payroll costs entered per month
/// (the whole cost of the post for that month).
pub fn post_year(
    rb: &Rulebook,
    fy: FinancialYear,
    post: &Post,
    actuals: &BTreeMap<YearMonth, Pence>,
) -> Result<Vec<MonthClaim>, ArrsError> {
    YearCx::new(rb, fy, true)?.post(post, actuals)
}

fn month_exact<'a>(
    cx: &mut YearCx<'a>,
    role: &'a Role,
    post: &Post,
    month: YearMonth,
    actuals: &BTreeMap<YearMonth, Pence>,
) -> Result<(MonthClaim, Exact), ArrsError> {
    let to = post
        .end
        .map_or(month.last_day(), |e| e.min(month.last_day()));
    let mut acc = month_spans(cx, role, post, month, to)?;
    let (band, wte, group, max) = acc
        .last
        .clone()
        .ok_or_else(|| invalid("no days in the month"))?;
    if acc.unreimbursable_days > 0 {
        acc.caveats.push(format!(
            "{} is reimbursable from {} to {}: {} day(s) this month are not",
            role.name, role.from, role.to, acc.unreimbursable_days
        ));
    }
    let (cost, basis, cost_working) = month_cost(cx, post, month, to, actuals, &mut acc)?;
    let partner = cost * role.partner_share;
    let network_cost = cost - partner;
    let reimbursable = network_cost * role.reimbursed_fraction;
    let claim = reimbursable.min(acc.cap);
    let working = if !cx.explain {
        String::new()
    } else {
        claim_working(
            role,
            month,
            &acc,
            &ClaimFigures {
                wte,
                band: &band,
                group: &group,
                max,
                cost,
                cost_working: &cost_working,
                partner,
                network_cost,
                claim,
            },
        )
    };
    let line = MonthClaim {
        post: post.id,
        month,
        days: acc.days,
        days_in_month: month.days(),
        band,
        wte,
        pay_group: group,
        maximum: max,
        cost_basis: basis,
        cost: Pence::ZERO,
        partner: Pence::ZERO,
        cap: Pence::ZERO,
        claimable: Pence::ZERO,
        met_by_practices: Pence::ZERO,
        caveats: acc.caveats,
        working,
    };
    Ok((
        line,
        Exact {
            cost,
            partner,
            cap: acc.cap,
            claim,
        },
    ))
}

/// What the spans of a month in post add up to.
#[derive(Default)]
struct MonthSpans {
    cap: Decimal,
    pay: Decimal,
    entered_on_costs: Decimal,
    any_entered: bool,
    salary_known: bool,
    caveats: Vec<String>,
    days: u32,
    /// The band, WTE, pay group and maximum of the last span.
    last: Option<(String, Decimal, String, Decimal)>,
    unreimbursable_days: u32,
    at_max_cost: Decimal,
}

/// The month cut at every date where the terms, a maximum, an on-cost rate
/// or the role's availability changes, each span pro rata by day.
fn month_spans<'a>(
    cx: &mut YearCx<'a>,
    role: &'a Role,
    post: &Post,
    month: YearMonth,
    to: NaiveDate,
) -> Result<MonthSpans, ArrsError> {
    let fy = cx.fy;
    let d_in_m = Decimal::from(month.days());
    let twelve = Decimal::from(12);
    let from = post.start.max(month.first_day());
    let mut cuts: Vec<NaiveDate> = vec![from];
    for t in &post.terms {
        cuts.push(t.effective_from);
    }
    cuts.extend(cx.change_dates.iter().copied());
    cuts.push(role.from);
    if let Some(next) = role.to.succ_opt() {
        cuts.push(next);
    }
    cuts.retain(|d| *d >= from && *d <= to);
    cuts.sort();
    cuts.dedup();
    let mut acc = MonthSpans {
        salary_known: true,
        ..MonthSpans::default()
    };
    for (i, start) in cuts.iter().enumerate() {
        let end = match cuts.get(i + 1) {
            Some(next) => next.pred_opt().unwrap_or(*next),
            None => to,
        };
        let n = (end - *start).num_days() as u32 + 1;
        acc.days += n;
        let terms = post
            .terms_at(*start)
            .ok_or_else(|| invalid(format!("post {} has no terms", post.id)))?;
        let share = Decimal::from(n) / (twelve * d_in_m);
        if let Some(s) = terms.salary {
            acc.pay += s.to_pounds() * terms.wte * share;
        } else {
            acc.salary_known = false;
        }
        if let Some(oc) = terms.on_costs {
            acc.any_entered = true;
            acc.entered_on_costs += oc.to_pounds() * share;
        }
        let group = role.group(&terms.band).ok_or_else(|| {
            invalid(format!(
                "band {:?} is not reimbursable for {} in {fy}",
                terms.band, role.id
            ))
        })?;
        let (max, caveat) = cx.maximum(group, *start, post.region)?;
        if role.covers(*start) {
            acc.cap += max * terms.wte * share;
            // A post with no pay recorded costs the maximum (before the
            // reimbursement rate: cost × rate = maximum).
            acc.at_max_cost += max * terms.wte * share / role.reimbursed_fraction;
        } else {
            acc.unreimbursable_days += n;
        }
        if let Some(c) = caveat {
            if !acc.caveats.contains(&c) {
                acc.caveats.push(c);
            }
        }
        acc.last = Some((terms.band.clone(), terms.wte, group.to_string(), max));
    }
    Ok(acc)
}

/// The month's cost: the payroll actual; else pay plus on-costs (as entered,
/// or at the rates in force on the month's last day in post); else, with no
/// pay recorded, the maximum. With the basis and its working.
fn month_cost(
    cx: &YearCx<'_>,
    post: &Post,
    month: YearMonth,
    to: NaiveDate,
    actuals: &BTreeMap<YearMonth, Pence>,
    acc: &mut MonthSpans,
) -> Result<(Decimal, CostBasis, String), ArrsError> {
    let explain = |text: String| if cx.explain { text } else { String::new() };
    if let Some(actual) = actuals.get(&month) {
        return Ok((
            actual.to_pounds(),
            CostBasis::Actual,
            explain(format!("payroll actual {actual}")),
        ));
    }
    if !acc.salary_known {
        acc.caveats
            .push("no pay recorded: the cost is taken to be the maximum".to_string());
        return Ok((
            acc.at_max_cost,
            CostBasis::AtMaximum,
            "cost taken as the maximum".to_string(),
        ));
    }
    if acc.any_entered {
        return Ok((
            acc.pay + acc.entered_on_costs,
            CostBasis::SalaryEnteredOnCosts,
            explain(format!(
                "pay {} + on-costs as entered {}",
                pounds(acc.pay),
                pounds(acc.entered_on_costs)
            )),
        ));
    }
    let fy = cx.fy;
    let rates =
        cx.y.arrs
            .on_costs_at(to)
            .ok_or_else(|| invalid(format!("no employer on-cost rates for {fy}")))?;
    let pay = acc.pay;
    let threshold = rates.employer_ni_threshold / Decimal::from(12);
    let ni = (pay - threshold).max(Decimal::ZERO) * rates.employer_ni_rate;
    let pension = pay * rates.employer_pension_rate;
    let levy_on = post.terms_at(to).is_some_and(|t| t.levy);
    let levy = if levy_on {
        pay * rates.apprenticeship_levy_rate
    } else {
        Decimal::ZERO
    };
    let working = explain(format!(
        "pay {} + employer NI {} ({}% above {} a month) + pension {} ({}%){}",
        pounds(pay),
        pounds(ni),
        (rates.employer_ni_rate * Decimal::ONE_HUNDRED).normalize(),
        pounds(threshold),
        pounds(pension),
        (rates.employer_pension_rate * Decimal::ONE_HUNDRED).normalize(),
        if levy_on {
            format!(" + levy {}", pounds(levy))
        } else {
            String::new()
        }
    ));
    Ok((pay + ni + pension + levy, CostBasis::Salary, working))
}

/// The figures a month's claim is worked out from, for its working.
struct ClaimFigures<'a> {
    wte: Decimal,
    band: &'a str,
    group: &'a str,
    max: Decimal,
    cost: Decimal,
    cost_working: &'a str,
    partner: Decimal,
    network_cost: Decimal,
    claim: Decimal,
}

/// A month's claim in words: days, cost, partner share, cap and the lesser.
fn claim_working(role: &Role, month: YearMonth, acc: &MonthSpans, f: &ClaimFigures) -> String {
    format!(
        "{days}/{dim} days at {wte} WTE, band {band} ({group}); cost: {cost_working} = {c}{partner_text}; cap: £{maxv} × {wte} × {days}/(12 × {dim}) = {capv}; claimable = lesser of {rate_text}{nc} and {capv} = {cl}",
        days = acc.days,
        dim = month.days(),
        wte = f.wte.normalize(),
        band = f.band,
        group = f.group,
        cost_working = f.cost_working,
        c = pounds(f.cost),
        partner_text = if role.partner_share.is_zero() {
            String::new()
        } else {
            format!(
                "; less the partner's {}% {} = {}",
                (role.partner_share * Decimal::ONE_HUNDRED).normalize(),
                pounds(f.partner),
                pounds(f.network_cost)
            )
        },
        maxv = f.max.normalize(),
        capv = pounds(acc.cap),
        rate_text = if role.reimbursed_fraction == Decimal::ONE {
            String::new()
        } else {
            format!(
                "{}% of ",
                (role.reimbursed_fraction * Decimal::ONE_HUNDRED).normalize()
            )
        },
        nc = pounds(f.network_cost),
        cl = pounds(f.claim),
    )
}

/// Every claim line of a roster for a year, in post order then month order.
/// Posts whose claims cannot be worked out are returned as errors with
/// their ids, and the rest go on.
pub fn roster_year(
    rb: &Rulebook,
    fy: FinancialYear,
    posts: &[Post],
    actuals: &BTreeMap<(i64, YearMonth), Pence>,
    explain: bool,
) -> (Vec<MonthClaim>, Vec<(i64, ArrsError)>) {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut cx = match YearCx::new(rb, fy, explain) {
        Ok(cx) => cx,
        Err(e) => {
            return (
                Vec::new(),
                posts.iter().map(|p| (p.id, e.clone())).collect(),
            )
        }
    };
    let mut by_post: BTreeMap<i64, BTreeMap<YearMonth, Pence>> = BTreeMap::new();
    for ((post, month), cost) in actuals {
        by_post.entry(*post).or_default().insert(*month, *cost);
    }
    let empty = BTreeMap::new();
    for post in posts {
        match cx.post(post, by_post.get(&post.id).unwrap_or(&empty)) {
            Ok(mut l) => lines.append(&mut l),
            Err(e) => errors.push((post.id, e)),
        }
    }
    (lines, errors)
}
