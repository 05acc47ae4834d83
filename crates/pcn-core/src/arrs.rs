//! The Additional Roles Reimbursement Scheme: a network's roster of posts,
//! what each post can be claimed for month by month, the year's budget
//! against the network's ARRS Sum, and hiring what-ifs.
//!
//! Pure: the roster, claims and rules come in, figures go out.
//!
//! ## The claim for a month
//!
//! For each post funded through the ARRS, for each calendar month it is in
//! post (part months by day):
//!
//! - **cost**: the payroll actual entered for the month; else the salary
//!   (full-time annual, times WTE, pro rata by day) plus employer on-costs
//!   (employer National Insurance above the monthly secondary threshold,
//!   employer pension, and the apprenticeship levy where the employer pays
//!   it) at the rates in force on the month's last day; else, when no salary
//!   is recorded (a post seeded from the workforce census), the cost is taken
//!   to be the maximum.
//! - **the network's share of the cost**: all of it, less a partner's share
//!   (the mental health trust's half of a mental health practitioner,
//!   2021/22 to 2023/24).
//! - **cap**: the maximum reimbursable amount for the role's pay group and
//!   the post's region, times WTE, pro rata by day (a month's cap is the
//!   annual maximum × WTE × days in post ÷ (12 × days in the month)).
//! - **claimable**: the lesser of the network's share of the cost times the
//!   reimbursement rate, and the cap.
//! - **met by practices**: the network's share of the cost less the claim
//!   (pay above the cap and, in 2019/20, the 30% not reimbursed).
//!
//! Amounts are worked exactly (decimal) and rounded to the penny as a
//! running total across the year, so a post's twelve months add up to its
//! year exactly; a month's claim never exceeds its cap.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::codes::{PcnCode, PracticeCode};
use crate::money::Pence;
use crate::rulebook::{FinancialYear, Region, Role, Rulebook, YearRules};

// ---------------------------------------------------------------------------
// Months
// ---------------------------------------------------------------------------

/// A calendar month, written `2026-09`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl YearMonth {
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        ((1..=12).contains(&month) && (1900..=2200).contains(&year))
            .then_some(YearMonth { year, month })
    }

    pub fn of(date: NaiveDate) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month")
    }

    pub fn next(self) -> YearMonth {
        if self.month == 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a valid date")
    }

    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    pub fn financial_year(self) -> FinancialYear {
        FinancialYear::containing(self.first_day())
    }

    /// The twelve months of a financial year, April first.
    pub fn of_year(fy: FinancialYear) -> Vec<YearMonth> {
        let mut m = YearMonth::of(fy.start());
        (0..12)
            .map(|_| {
                let this = m;
                m = m.next();
                this
            })
            .collect()
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || format!("{s:?} is not a month; write it as 2026-09");
        let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return Err(err());
        }
        let y: i32 = y.parse().map_err(|_| err())?;
        let m: u32 = m.parse().map_err(|_| err())?;
        YearMonth::new(y, m).ok_or_else(err)
    }
}

// ---------------------------------------------------------------------------
// The roster
// ---------------------------------------------------------------------------

/// Who employs the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "who", rename_all = "kebab-case")]
pub enum Employer {
    /// The network itself (or its lead practice on its behalf).
    Network,
    /// A member practice.
    Practice(PracticeCode),
    /// A contracted provider (a federation, trust, charity or agency).
    Provider(String),
}

impl Employer {
    /// `network`, `practice:Y00001`, `provider:Name`.
    pub fn parse(s: &str) -> Result<Employer, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("network") || t.eq_ignore_ascii_case("pcn") {
            return Ok(Employer::Network);
        }
        if let Some((kind, who)) = t.split_once(':') {
            let who = who.trim();
            if kind.trim().eq_ignore_ascii_case("practice") {
                return PracticeCode::parse(who)
                    .map(Employer::Practice)
                    .map_err(|e| e.to_string());
            }
            if kind.trim().eq_ignore_ascii_case("provider") && !who.is_empty() {
                if who.chars().any(char::is_control) || who.len() > 200 {
                    return Err("the provider's name is not printable text".into());
                }
                return Ok(Employer::Provider(who.to_string()));
            }
        }
        Err(format!(
            "{t:?} is not an employer; use network, practice:CODE or provider:NAME"
        ))
    }
}

impl fmt::Display for Employer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Employer::Network => write!(f, "network"),
            Employer::Practice(c) => write!(f, "practice:{c}"),
            Employer::Provider(p) => write!(f, "provider:{p}"),
        }
    }
}

/// How a post is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Funding {
    Arrs,
    Other,
}

impl Funding {
    pub fn as_str(self) -> &'static str {
        match self {
            Funding::Arrs => "arrs",
            Funding::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Funding> {
        match s.trim().to_ascii_lowercase().as_str() {
            "arrs" => Some(Funding::Arrs),
            "other" => Some(Funding::Other),
            _ => None,
        }
    }
}

/// The terms of a post from a date: band, WTE and pay. A later change (a
/// pay award, more hours) is a new `Terms` from its date; nothing is
/// overwritten, and a change recorded after the months it covers produces
/// arrears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Terms {
    pub effective_from: NaiveDate,
    /// Agenda for Change band (or grade, such as `gp`).
    pub band: String,
    /// Whole-time equivalent, above 0 and at most 1.
    pub wte: Decimal,
    /// Full-time annual salary (the pay point), before WTE; `None` when not
    /// recorded (the cost is then taken to be the maximum).
    pub salary: Option<Pence>,
    /// Employer on-costs a year for the post as entered, instead of
    /// computing them from the published rates.
    pub on_costs: Option<Pence>,
    /// Whether the employer pays the apprenticeship levy (pay bill over £3m).
    pub levy: bool,
    /// Order of recording: of two terms from the same date the later wins.
    pub recorded: u64,
}

/// Where a post came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Entered,
    /// Seeded from the PCN workforce census of this date (start date and
    /// pay not in the census).
    Census(NaiveDate),
}

/// One post on a network's roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Post {
    pub id: i64,
    pub pcn: PcnCode,
    /// The network's own reference for the person (no name needed).
    pub person: String,
    pub name: Option<String>,
    /// A role id from the rulebook (ARRS), or free text (other funding).
    pub role: String,
    pub employer: Employer,
    pub funding: Funding,
    pub region: Region,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    /// At least one; the first from `start`.
    pub terms: Vec<Terms>,
    pub origin: Origin,
}

impl Post {
    /// The terms in force on `date` (the earliest before they begin).
    pub fn terms_at(&self, date: NaiveDate) -> Option<&Terms> {
        self.terms
            .iter()
            .filter(|t| t.effective_from <= date)
            .max_by_key(|t| (t.effective_from, t.recorded))
            .or_else(|| {
                self.terms
                    .iter()
                    .min_by_key(|t| (t.effective_from, std::cmp::Reverse(t.recorded)))
            })
    }

    /// Whether the post is filled on `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.start <= date && self.end.is_none_or(|e| date <= e)
    }

    /// Days in post within a month.
    pub fn days_in(&self, month: YearMonth) -> u32 {
        let from = self.start.max(month.first_day());
        let to = self
            .end
            .map_or(month.last_day(), |e| e.min(month.last_day()));
        if to < from {
            0
        } else {
            (to - from).num_days() as u32 + 1
        }
    }
}

/// Why a post, change or claim was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArrsError {
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> ArrsError {
    ArrsError::Invalid(msg.into())
}

/// The year's rules, or a clear refusal.
fn year_rules(rb: &Rulebook, fy: FinancialYear) -> Result<&YearRules, ArrsError> {
    rb.financial_year(fy).map_err(|e| invalid(e.to_string()))
}

/// The role in a year, or an error listing the roles that year has.
pub fn role_in_year<'a>(
    rb: &'a Rulebook,
    fy: FinancialYear,
    role: &str,
) -> Result<&'a Role, ArrsError> {
    let y = year_rules(rb, fy)?;
    y.arrs.find_role(role).ok_or_else(|| {
        let ids: Vec<&str> = y.arrs.roles.iter().map(|r| r.id.as_str()).collect();
        invalid(format!(
            "{role:?} is not an ARRS role in {fy}; the roles that year are {}",
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            }
        ))
    })
}

/// Checks a post before it is written: WTE in (0, 1], end not before
/// start, terms from within the post, and for ARRS posts the role and each
/// band known in every financial year the post spans (within the rulebook).
pub fn validate_post(rb: &Rulebook, post: &Post) -> Result<(), ArrsError> {
    if post.person.trim().is_empty() {
        return Err(invalid("the person's reference is empty"));
    }
    if let Some(end) = post.end {
        if end < post.start {
            return Err(invalid(format!(
                "the end date {end} is before the start date {}",
                post.start
            )));
        }
    }
    if post.terms.is_empty() {
        return Err(invalid("the post has no terms (band, WTE, pay)"));
    }
    for t in &post.terms {
        if t.wte <= Decimal::ZERO || t.wte > Decimal::ONE {
            return Err(invalid(format!(
                "WTE {} is outside 0–1; a post is at most 1.0 WTE (record two posts for more)",
                t.wte.normalize()
            )));
        }
        if t.salary.is_some_and(|s| s.0 < 0) || t.on_costs.is_some_and(|s| s.0 < 0) {
            return Err(invalid("pay cannot be negative"));
        }
        if post.end.is_some_and(|e| t.effective_from > e) {
            return Err(invalid(format!(
                "a change from {} is after the post ends",
                t.effective_from
            )));
        }
    }
    if post.funding == Funding::Other {
        return Ok(());
    }
    let first = FinancialYear::containing(post.start);
    let last = FinancialYear::containing(post.end.unwrap_or(post.start));
    let mut fy = first;
    while fy <= last {
        if let Ok(y) = rb.financial_year(fy) {
            let role = y.arrs.find_role(&post.role).ok_or_else(|| {
                let ids: Vec<&str> = y.arrs.roles.iter().map(|r| r.id.as_str()).collect();
                invalid(format!(
                    "{:?} is not an ARRS role in {fy}; the roles that year are {}",
                    post.role,
                    ids.join(", ")
                ))
            })?;
            for t in &post.terms {
                let t_from = t.effective_from.max(post.start);
                let t_fy = FinancialYear::containing(t_from);
                if (t_fy <= fy) && role.group(&t.band).is_none() {
                    let bands: Vec<&str> = role.bands.keys().map(String::as_str).collect();
                    return Err(invalid(format!(
                        "band {:?} is not reimbursable for {} in {fy}; its bands are {}",
                        t.band,
                        role.id,
                        bands.join(", ")
                    )));
                }
            }
        }
        fy = fy.next();
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Monthly claims
// ---------------------------------------------------------------------------

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
fn round_running(values: &[Decimal]) -> Vec<Pence> {
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
    let fy = cx.fy;
    let y = cx.y;
    let d_in_m = Decimal::from(month.days());
    let twelve = Decimal::from(12);
    let from = post.start.max(month.first_day());
    let to = post
        .end
        .map_or(month.last_day(), |e| e.min(month.last_day()));
    // Breakpoints: where terms, maxima, on-cost rates or the role's dates change.
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

    let mut cap = Decimal::ZERO;
    let mut pay = Decimal::ZERO;
    let mut entered_on_costs = Decimal::ZERO;
    let mut any_entered = false;
    let mut salary_known = true;
    let mut caveats: Vec<String> = Vec::new();
    let mut days_total = 0u32;
    let mut last: Option<(&str, Decimal, &str, Decimal)> = None;
    let mut unreimbursable_days = 0u32;
    let mut at_max_cost = Decimal::ZERO;
    for (i, start) in cuts.iter().enumerate() {
        let end = match cuts.get(i + 1) {
            Some(next) => next.pred_opt().unwrap_or(*next),
            None => to,
        };
        let n = (end - *start).num_days() as u32 + 1;
        days_total += n;
        let terms = post
            .terms_at(*start)
            .ok_or_else(|| invalid(format!("post {} has no terms", post.id)))?;
        let share = Decimal::from(n) / (twelve * d_in_m);
        if let Some(s) = terms.salary {
            pay += s.to_pounds() * terms.wte * share;
        } else {
            salary_known = false;
        }
        if let Some(oc) = terms.on_costs {
            any_entered = true;
            entered_on_costs += oc.to_pounds() * share;
        }
        let group = role.group(&terms.band).ok_or_else(|| {
            invalid(format!(
                "band {:?} is not reimbursable for {} in {fy}",
                terms.band, role.id
            ))
        })?;
        let (max, caveat) = cx.maximum(group, *start, post.region)?;
        if role.covers(*start) {
            cap += max * terms.wte * share;
            // A post with no pay recorded costs the maximum (before the
            // reimbursement rate: cost × rate = maximum).
            at_max_cost += max * terms.wte * share / role.reimbursed_fraction;
        } else {
            unreimbursable_days += n;
        }
        if let Some(c) = caveat {
            if !caveats.contains(&c) {
                caveats.push(c);
            }
        }
        last = Some((terms.band.as_str(), terms.wte, group, max));
    }
    let (band, wte, group, max) = last.ok_or_else(|| invalid("no days in the month"))?;
    if unreimbursable_days > 0 {
        caveats.push(format!(
            "{} is reimbursable from {} to {}: {unreimbursable_days} day(s) this month are not",
            role.name, role.from, role.to
        ));
    }

    let (cost, basis, cost_working) = if let Some(actual) = actuals.get(&month) {
        (
            actual.to_pounds(),
            CostBasis::Actual,
            if cx.explain {
                format!("payroll actual {actual}")
            } else {
                String::new()
            },
        )
    } else if salary_known {
        if any_entered {
            (
                pay + entered_on_costs,
                CostBasis::SalaryEnteredOnCosts,
                if cx.explain {
                    format!(
                        "pay {} + on-costs as entered {}",
                        pounds(pay),
                        pounds(entered_on_costs)
                    )
                } else {
                    String::new()
                },
            )
        } else {
            let rates = y
                .arrs
                .on_costs_at(to)
                .ok_or_else(|| invalid(format!("no employer on-cost rates for {fy}")))?;
            let threshold = rates.employer_ni_threshold / twelve;
            let ni = (pay - threshold).max(Decimal::ZERO) * rates.employer_ni_rate;
            let pension = pay * rates.employer_pension_rate;
            let levy_on = post.terms_at(to).is_some_and(|t| t.levy);
            let levy = if levy_on {
                pay * rates.apprenticeship_levy_rate
            } else {
                Decimal::ZERO
            };
            (
                pay + ni + pension + levy,
                CostBasis::Salary,
                if !cx.explain {
                    String::new()
                } else {
                    format!(
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
                    )
                },
            )
        }
    } else {
        caveats.push("no pay recorded: the cost is taken to be the maximum".to_string());
        (
            at_max_cost,
            CostBasis::AtMaximum,
            "cost taken as the maximum".to_string(),
        )
    };
    let partner = cost * role.partner_share;
    let network_cost = cost - partner;
    let reimbursable = network_cost * role.reimbursed_fraction;
    let claim = reimbursable.min(cap);
    let working = if !cx.explain {
        String::new()
    } else {
        format!(
        "{days}/{dim} days at {wte} WTE, band {band} ({group}); cost: {cost_working} = {c}{partner_text}; cap: £{maxv} × {wte} × {days}/(12 × {dim}) = {capv}; claimable = lesser of {rate_text}{nc} and {capv} = {cl}",
        days = days_total,
        dim = month.days(),
        wte = wte.normalize(),
        c = pounds(cost),
        partner_text = if role.partner_share.is_zero() {
            String::new()
        } else {
            format!(
                "; less the partner's {}% {} = {}",
                (role.partner_share * Decimal::ONE_HUNDRED).normalize(),
                pounds(partner),
                pounds(network_cost)
            )
        },
        maxv = max.normalize(),
        capv = pounds(cap),
        rate_text = if role.reimbursed_fraction == Decimal::ONE {
            String::new()
        } else {
            format!(
                "{}% of ",
                (role.reimbursed_fraction * Decimal::ONE_HUNDRED).normalize()
            )
        },
        nc = pounds(network_cost),
        cl = pounds(claim),
    )
    };
    let line = MonthClaim {
        post: post.id,
        month,
        days: days_total,
        days_in_month: month.days(),
        band: band.to_string(),
        wte,
        pay_group: group.to_string(),
        maximum: max,
        cost_basis: basis,
        cost: Pence::ZERO,
        partner: Pence::ZERO,
        cap: Pence::ZERO,
        claimable: Pence::ZERO,
        met_by_practices: Pence::ZERO,
        caveats,
        working,
    };
    Ok((
        line,
        Exact {
            cost,
            partner,
            cap,
            claim,
        },
    ))
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

// ---------------------------------------------------------------------------
// Claims as submitted, arrears
// ---------------------------------------------------------------------------

/// Where a claim is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimStatus {
    Draft,
    Submitted,
    Approved,
    Paid,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 4] = [
        ClaimStatus::Draft,
        ClaimStatus::Submitted,
        ClaimStatus::Approved,
        ClaimStatus::Paid,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Draft => "draft",
            ClaimStatus::Submitted => "submitted",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Paid => "paid",
        }
    }
    pub fn parse(s: &str) -> Option<ClaimStatus> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }
    /// The status that follows, if any.
    pub fn next(self) -> Option<ClaimStatus> {
        match self {
            ClaimStatus::Draft => Some(ClaimStatus::Submitted),
            ClaimStatus::Submitted => Some(ClaimStatus::Approved),
            ClaimStatus::Approved => Some(ClaimStatus::Paid),
            ClaimStatus::Paid => None,
        }
    }
}

/// What kind of claim a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimKind {
    /// The month's claim, made in or after the month.
    Regular,
    /// A month's first claim made after the following month had ended.
    Backdated,
    /// A correction for a month already claimed: a pay award or other
    /// change recorded later (negative when the month was over-claimed).
    Arrears,
}

impl ClaimKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Regular => "regular",
            ClaimKind::Backdated => "backdated",
            ClaimKind::Arrears => "arrears",
        }
    }
    pub fn parse(s: &str) -> Option<ClaimKind> {
        [ClaimKind::Regular, ClaimKind::Backdated, ClaimKind::Arrears]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A claim as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimRecord {
    pub id: i64,
    pub post: i64,
    /// The month the claim is for.
    pub month: YearMonth,
    pub kind: ClaimKind,
    pub amount: Pence,
    pub status: ClaimStatus,
    /// The date the claim was made.
    pub made: NaiveDate,
}

/// A claim to be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewClaim {
    pub post: i64,
    pub month: YearMonth,
    pub kind: ClaimKind,
    pub amount: Pence,
    /// The computed line it came from.
    pub working: String,
}

/// The claims to make on `today` for `month`: for each post in post that
/// month with no claim yet, its claim (backdated when the month after it has
/// ended); and for every earlier month of the year already claimed, the
/// difference between what is now claimable and what was claimed (arrears),
/// where not zero. Claims already made are never changed.
pub fn claims_to_make(
    lines: &[MonthClaim],
    existing: &[ClaimRecord],
    month: YearMonth,
    today: NaiveDate,
) -> Vec<NewClaim> {
    let mut claimed: BTreeMap<(i64, YearMonth), Pence> = BTreeMap::new();
    for c in existing {
        *claimed.entry((c.post, c.month)).or_default() += c.amount;
    }
    let mut out = Vec::new();
    for line in lines {
        if line.month > month {
            continue;
        }
        let key = (line.post, line.month);
        match claimed.get(&key) {
            None => {
                let backdated = today > line.month.next().last_day();
                out.push(NewClaim {
                    post: line.post,
                    month: line.month,
                    kind: if backdated {
                        ClaimKind::Backdated
                    } else {
                        ClaimKind::Regular
                    },
                    amount: line.claimable,
                    working: line.working.clone(),
                });
            }
            Some(done) if *done != line.claimable => out.push(NewClaim {
                post: line.post,
                month: line.month,
                kind: ClaimKind::Arrears,
                amount: line.claimable - *done,
                working: format!(
                    "now claimable {} less already claimed {}",
                    line.claimable, done
                ),
            }),
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Budget
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// What-if
// ---------------------------------------------------------------------------

/// A post to try, as typed: `paramedic, band 7, 1.0 WTE, from 2026-12-01`,
/// with optional `to 2027-03-31`, `salary 45000`, `inner london`,
/// `outer london`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hire {
    pub role: String,
    pub band: Option<String>,
    pub wte: Decimal,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub salary: Option<Pence>,
    pub region: Option<Region>,
}

impl Hire {
    pub fn parse(spec: &str) -> Result<Hire, String> {
        let mut role = None;
        let mut band = None;
        let mut wte = None;
        let mut from = None;
        let mut to = None;
        let mut salary = None;
        let mut region = None;
        // "salary £48,000": a comma between a digit and exactly three digits
        // groups thousands; every other comma separates parts.
        let chars: Vec<char> = spec.chars().collect();
        let spec_joined: String = chars
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                let grouping = **c == ','
                    && *i > 0
                    && chars[i - 1].is_ascii_digit()
                    && chars.len() > i + 3
                    && chars[i + 1..i + 4].iter().all(char::is_ascii_digit)
                    && chars.get(i + 4).is_none_or(|n| !n.is_ascii_digit());
                !grouping
            })
            .map(|(_, c)| *c)
            .collect();
        for part in spec_joined.split(',') {
            let p = part.trim();
            let lower = p.to_ascii_lowercase();
            if p.is_empty() {
                continue;
            }
            if let Some(b) = lower.strip_prefix("band ") {
                band = Some(b.trim().to_string());
            } else if let Some(w) = lower
                .strip_suffix("wte")
                .or_else(|| lower.strip_prefix("wte "))
            {
                let w = w.trim();
                wte = Some(
                    Decimal::from_str_exact(w)
                        .map_err(|_| format!("{w:?} is not a WTE such as 0.8"))?,
                );
            } else if let Some(d) = lower.strip_prefix("from ") {
                from = Some(
                    crate::dates::parse_date(d)
                        .ok_or_else(|| format!("{d:?} is not a date (use YYYY-MM-DD)"))?,
                );
            } else if let Some(d) = lower.strip_prefix("to ") {
                to = Some(
                    crate::dates::parse_date(d)
                        .ok_or_else(|| format!("{d:?} is not a date (use YYYY-MM-DD)"))?,
                );
            } else if let Some(s) = lower.strip_prefix("salary ") {
                let s = s.trim().trim_start_matches('£').replace(',', "");
                let d = Decimal::from_str_exact(&s)
                    .map_err(|_| format!("{s:?} is not an amount such as 45000"))?;
                salary = Some(
                    Pence::from_pounds(d)
                        .filter(|p| p.0 >= 0)
                        .ok_or_else(|| format!("{s:?} is not an amount"))?,
                );
            } else if lower.ends_with("london") || lower == "england" {
                region = Some(Region::parse(&lower).ok_or_else(|| {
                    format!("{p:?} is not a region; use inner london, outer london or england")
                })?);
            } else if role.is_none() {
                role = Some(p.to_string());
            } else {
                return Err(format!(
                    "{p:?} is not understood; write e.g. \"paramedic, band 7, 1.0 WTE, from 2026-12-01\""
                ));
            }
        }
        let role = role.ok_or("no role given")?;
        let from =
            from.ok_or_else(|| format!("{spec:?}: give a start, e.g. \"from 2026-12-01\""))?;
        let wte = wte.unwrap_or(Decimal::ONE);
        if wte <= Decimal::ZERO || wte > Decimal::ONE {
            return Err(format!(
                "WTE {} is outside 0–1; a post is at most 1.0 WTE",
                wte.normalize()
            ));
        }
        if to.is_some_and(|t| t < from) {
            return Err(format!("{spec:?}: the end is before the start"));
        }
        Ok(Hire {
            role,
            band,
            wte,
            from,
            to,
            salary,
            region,
        })
    }

    /// The hire as a post on `pcn`'s roster, checked against the rules.
    pub fn to_post(
        &self,
        rb: &Rulebook,
        pcn: PcnCode,
        id: i64,
        default_region: Region,
    ) -> Result<Post, ArrsError> {
        let fy = FinancialYear::containing(self.from);
        let role = role_in_year(rb, fy, &self.role)?;
        let band = self
            .band
            .clone()
            .unwrap_or_else(|| role.default_band.clone());
        let post = Post {
            id,
            pcn,
            person: format!("planned-{}", -id),
            name: None,
            role: role.id.clone(),
            employer: Employer::Network,
            funding: Funding::Arrs,
            region: self.region.unwrap_or(default_region),
            start: self.from,
            end: self.to,
            terms: vec![Terms {
                effective_from: self.from,
                band,
                wte: self.wte,
                salary: self.salary,
                on_costs: None,
                levy: false,
                recorded: 0,
            }],
            origin: Origin::Entered,
        };
        validate_post(rb, &post)?;
        Ok(post)
    }
}

/// For each role reimbursable from `from`, how many WTE the headroom would
/// fund from `from` to the year end, costed at the maximum of the role's
/// default band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recruitable {
    pub role: String,
    pub name: String,
    pub band: String,
    /// The cost of 1 WTE from `from` to the year end.
    pub per_wte: Pence,
    /// WTE the headroom funds, to two places (rounded down).
    pub wte: Decimal,
}

pub fn recruitable(
    rb: &Rulebook,
    pcn: PcnCode,
    from: NaiveDate,
    headroom: Pence,
    region: Region,
) -> Result<Vec<Recruitable>, ArrsError> {
    let fy = FinancialYear::containing(from);
    let y = year_rules(rb, fy)?;
    let mut out = Vec::new();
    for role in &y.arrs.roles {
        let start = from.max(role.from);
        if start > role.to {
            continue;
        }
        let post = Post {
            id: -1,
            pcn: pcn.clone(),
            person: "planned".into(),
            name: None,
            role: role.id.clone(),
            employer: Employer::Network,
            funding: Funding::Arrs,
            region,
            start,
            end: Some(role.to),
            terms: vec![Terms {
                effective_from: start,
                band: role.default_band.clone(),
                wte: Decimal::ONE,
                salary: None,
                on_costs: None,
                levy: false,
                recorded: 0,
            }],
            origin: Origin::Entered,
        };
        let lines = post_year(rb, fy, &post, &BTreeMap::new())?;
        let per_wte: Pence = lines.iter().map(|l| l.claimable).sum();
        let wte = if per_wte.0 <= 0 || headroom.0 <= 0 {
            Decimal::ZERO
        } else {
            (Decimal::from(headroom.0) / Decimal::from(per_wte.0))
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero)
        };
        out.push(Recruitable {
            role: role.id.clone(),
            name: role.name.clone(),
            band: role.default_band.clone(),
            per_wte,
            wte,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// The workforce census
// ---------------------------------------------------------------------------

/// The ARRS role a PCN workforce census record is in, from its
/// `STAFF_ROLE` and `DETAILED_STAFF_ROLE`, or `None` for roles the scheme
/// does not reimburse (directors, managers, administrative staff, GP
/// locums, general practice assistants, talking-therapy staff and others).
///
/// The census does not say how a post is funded; pcn assumes a post in a
/// reimbursable role is funded through the ARRS.
pub fn census_role(staff_role: &str, detailed_role: &str) -> Option<&'static str> {
    let role = staff_role.trim();
    let detailed = detailed_role.trim();
    if role.contains("(Mental Health Practitioners)")
        || detailed.contains("(Mental Health Practitioner")
    {
        return Some("mental-health-practitioner");
    }
    Some(match role {
        "Pharmacists" => "clinical-pharmacist",
        "Advanced Pharmacist Practitioners"
        | "Advanced Paramedic Practitioners"
        | "Advanced Physiotherapist Practitioners"
        | "Advanced Occupational Therapist Practitioners"
        | "Advanced Dietician Practitioners"
        | "Advanced Podiatrist Practitioners"
        | "Advanced Nurse Practitioners" => "advanced-practitioner",
        "Pharmacy Technicians" => "pharmacy-technician",
        "Social Prescribing Link Workers" => "social-prescribing-link-worker",
        "Care Coordinators" => "care-coordinator",
        "Health and Wellbeing Coaches" => "health-and-wellbeing-coach",
        "Physiotherapists" => "first-contact-physiotherapist",
        "Dieticians" => "dietitian",
        "Podiatrists" => "podiatrist",
        "Paramedics" => "paramedic",
        "Physician Associates" => "physician-associate",
        "Nursing Associates" => "nursing-associate",
        "Trainee Nursing Associates" => "trainee-nursing-associate",
        "Enhanced Practice Nurses" => "enhanced-practice-nurse",
        "Nurse Specialists" | "Other Nurses" => "general-practice-nurse",
        "Healthcare Assistants" | "Healthcare Support Workers" => "healthcare-support-worker",
        "Salaried GPs" => "gp",
        "Therapists" if detailed == "Therapist- Occupational Therapist" => "occupational-therapist",
        "Apprentices" if detailed == "Apprentice - Physician Associate" => {
            "apprentice-physician-associate"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        let m: YearMonth = "2026-02".parse().unwrap();
        assert_eq!(m.days(), 28);
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        assert_eq!("2024-02".parse::<YearMonth>().unwrap().days(), 29);
        assert_eq!(m.next().to_string(), "2026-03");
        assert!("2026-13".parse::<YearMonth>().is_err());
        assert!("Sept".parse::<YearMonth>().is_err());
        let fy = FinancialYear::starting(2026);
        let ms = YearMonth::of_year(fy);
        assert_eq!(ms.first().unwrap().to_string(), "2026-04");
        assert_eq!(ms.last().unwrap().to_string(), "2027-03");
    }

    #[test]
    fn running_rounding_adds_up() {
        let third = Decimal::ONE / Decimal::from(3);
        let v = vec![third; 12];
        let r = round_running(&v);
        assert_eq!(r.iter().sum::<Pence>(), Pence(400));
        assert!(r.iter().all(|p| p.0 == 33 || p.0 == 34));
    }

    #[test]
    fn hires_parse() {
        let h = Hire::parse("paramedic, band 7, 1.0 WTE, from 2026-12-01").unwrap();
        assert_eq!(h.role, "paramedic");
        assert_eq!(h.band.as_deref(), Some("7"));
        assert_eq!(h.wte, Decimal::ONE);
        assert_eq!(h.from, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let h = Hire::parse(
            "Clinical pharmacist, 0.6 wte, from 2027-01-01, salary £48,000, inner london",
        )
        .unwrap();
        assert_eq!(h.salary, Some(Pence(4_800_000)));
        assert_eq!(h.region, Some(Region::InnerLondon));
        assert!(Hire::parse("paramedic, 1.2 WTE, from 2026-12-01")
            .unwrap_err()
            .contains("outside 0–1"));
        assert!(Hire::parse("paramedic, band 7")
            .unwrap_err()
            .contains("start"));
        assert!(Hire::parse("paramedic, from 2026-12-01, to 2026-11-01")
            .unwrap_err()
            .contains("before"));
    }

    #[test]
    fn census_roles() {
        assert_eq!(
            census_role("Pharmacists", "Pharmacist"),
            Some("clinical-pharmacist")
        );
        assert_eq!(
            census_role(
                "Social Prescribing Link Workers (Mental Health Practitioners)",
                "Social Prescribing Link Worker (Mental Health Practitioner - Adult)"
            ),
            Some("mental-health-practitioner")
        );
        assert_eq!(census_role("Managers", "Manager"), None);
        assert_eq!(census_role("Therapists", "Therapist- Counsellor"), None);
        assert_eq!(
            census_role("Therapists", "Therapist- Occupational Therapist"),
            Some("occupational-therapist")
        );
    }
}
