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

mod budget;
pub mod census;
mod claims;
mod plan;
mod records;
mod report;

pub use budget::{budget, budget_of, Budget, BudgetMonth};
pub use census::census_role;
pub use claims::{post_year, roster_year, CostBasis, MonthClaim};
pub use plan::{recruitable, Hire, Recruitable};
pub use records::{claims_to_make, ClaimKind, ClaimRecord, ClaimState, ClaimStatus, NewClaim};
pub use report::{latest_census, national_report, NationalReport, NationalTotals, NetworkArrs};

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::codes::{PcnCode, PracticeCode};
use crate::money::Pence;
use crate::rulebook::{FinancialYear, Region, Role, Rulebook, YearRules};

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

/// Why a month was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a month; write it as 2026-09")]
pub struct YearMonthError(pub String);

impl FromStr for YearMonth {
    type Err = YearMonthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || YearMonthError(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return Err(err());
        }
        let y: i32 = y.parse().map_err(|_| err())?;
        let m: u32 = m.parse().map_err(|_| err())?;
        YearMonth::new(y, m).ok_or_else(err)
    }
}

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
    pub fn parse(s: &str) -> Result<Employer, ArrsError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("network") || t.eq_ignore_ascii_case("pcn") {
            return Ok(Employer::Network);
        }
        if let Some((kind, who)) = t.split_once(':') {
            let who = who.trim();
            if kind.trim().eq_ignore_ascii_case("practice") {
                return PracticeCode::parse(who)
                    .map(Employer::Practice)
                    .map_err(|e| invalid(e.to_string()));
            }
            if kind.trim().eq_ignore_ascii_case("provider") && !who.is_empty() {
                if who.chars().any(char::is_control) || who.len() > 200 {
                    return Err(invalid("the provider's name is not printable text"));
                }
                return Ok(Employer::Provider(who.to_string()));
            }
        }
        Err(invalid(format!(
            "{t:?} is not an employer; use network, practice:CODE or provider:NAME"
        )))
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

/// A whole-time equivalent for one post: above 0 and at most 1.
pub fn parse_wte(raw: &str) -> Result<Decimal, ArrsError> {
    let d = Decimal::from_str_exact(raw.trim())
        .map_err(|_| invalid(format!("WTE {raw:?} is not a number such as 0.8")))?;
    if d <= Decimal::ZERO || d > Decimal::ONE {
        return Err(invalid(format!(
            "WTE {} is outside 0–1; a post is at most 1.0 WTE (record two posts for more)",
            d.normalize()
        )));
    }
    Ok(d)
}

/// A post as someone enters it: a role by id or name, a band or the role's
/// default, terms from the start date.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub pcn: PcnCode,
    /// The network's reference for the person (no name needed).
    pub person: String,
    pub name: Option<String>,
    /// A rulebook role id or name (for other funding: any text).
    pub role: String,
    pub band: Option<String>,
    pub wte: Decimal,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub salary: Option<Pence>,
    pub on_costs: Option<Pence>,
    pub levy: bool,
    pub employer: Employer,
    pub funding: Funding,
    pub region: Region,
}

impl NewPost {
    /// A full-time ARRS post employed by the network in England, in the
    /// role's usual band, costed at the maximum (no pay recorded).
    pub fn arrs(pcn: PcnCode, person: &str, role: &str, start: NaiveDate) -> NewPost {
        NewPost {
            pcn,
            person: person.to_string(),
            name: None,
            role: role.to_string(),
            band: None,
            wte: Decimal::ONE,
            start,
            end: None,
            salary: None,
            on_costs: None,
            levy: false,
            employer: Employer::Network,
            funding: Funding::Arrs,
            region: Region::England,
        }
    }

    /// The post, its role resolved and checked against the rules of its
    /// start's year.
    pub fn to_post(&self, rb: &Rulebook) -> Result<Post, ArrsError> {
        // What a person typed: one line each, of a sane length.
        let typed = |e: crate::text::TextError| invalid(e.to_string());
        let person =
            crate::text::check_line("the staff reference", &self.person, 64).map_err(typed)?;
        let name =
            crate::text::check_opt_line("the name", self.name.as_deref(), 100).map_err(typed)?;
        crate::text::check_line("the role", &self.role, 100).map_err(typed)?;
        crate::text::check_opt_line("the band", self.band.as_deref(), 16).map_err(typed)?;
        if let Employer::Provider(provider) = &self.employer {
            crate::text::check_line("the employer", provider, 100).map_err(typed)?;
        }
        let fy = FinancialYear::containing(self.start);
        let (role, band) = if self.funding == Funding::Arrs {
            let role = role_in_year(rb, fy, &self.role)?;
            (
                role.id.to_string(),
                self.band
                    .clone()
                    .unwrap_or_else(|| role.default_band.clone()),
            )
        } else {
            (
                self.role.trim().to_string(),
                self.band.clone().unwrap_or_else(|| "-".into()),
            )
        };
        let post = Post {
            id: 0,
            pcn: self.pcn.clone(),
            person: person.to_string(),
            name: name.map(str::to_string),
            role,
            employer: self.employer.clone(),
            funding: self.funding,
            region: self.region,
            start: self.start,
            end: self.end,
            terms: vec![Terms {
                effective_from: self.start,
                band,
                wte: self.wte,
                salary: self.salary,
                on_costs: self.on_costs,
                levy: self.levy,
                recorded: 0,
            }],
            origin: Origin::Entered,
        };
        validate_post(rb, &post)?;
        Ok(post)
    }
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

#[cfg(test)]
mod tests {
    use super::claims::round_running;
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
            .to_string()
            .contains("outside 0–1"));
        assert!(Hire::parse("paramedic, band 7")
            .unwrap_err()
            .to_string()
            .contains("start"));
        assert!(Hire::parse("paramedic, from 2026-12-01, to 2026-11-01")
            .unwrap_err()
            .to_string()
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
