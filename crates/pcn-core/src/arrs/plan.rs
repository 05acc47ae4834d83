//! Hiring what-ifs: a post described in words, and what the network can still
//! recruit this year.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::*;
use crate::codes::PcnCode;
use crate::money::Pence;
use crate::rulebook::{FinancialYear, Region, Rulebook};

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
    pub fn parse(spec: &str) -> Result<Hire, ArrsError> {
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
                        .map_err(|_| invalid(format!("{w:?} is not a WTE such as 0.8")))?,
                );
            } else if let Some(d) = lower.strip_prefix("from ") {
                from = Some(
                    crate::dates::parse_date(d)
                        .ok_or_else(|| invalid(format!("{d:?} is not a date (use YYYY-MM-DD)")))?,
                );
            } else if let Some(d) = lower.strip_prefix("to ") {
                to = Some(
                    crate::dates::parse_date(d)
                        .ok_or_else(|| invalid(format!("{d:?} is not a date (use YYYY-MM-DD)")))?,
                );
            } else if let Some(s) = lower.strip_prefix("salary ") {
                let s = s.trim().trim_start_matches('£').replace(',', "");
                let d = Decimal::from_str_exact(&s)
                    .map_err(|_| invalid(format!("{s:?} is not an amount such as 45000")))?;
                salary = Some(
                    Pence::from_pounds(d)
                        .filter(|p| p.0 >= 0)
                        .ok_or_else(|| invalid(format!("{s:?} is not an amount")))?,
                );
            } else if lower.ends_with("london") || lower == "england" {
                region = Some(Region::parse(&lower).ok_or_else(|| {
                    invalid(format!(
                        "{p:?} is not a region; use inner london, outer london or england"
                    ))
                })?);
            } else if role.is_none() {
                role = Some(p.to_string());
            } else {
                return Err(invalid(format!(
                    "{p:?} is not understood; write e.g. \"paramedic, band 7, 1.0 WTE, from 2026-12-01\""
                )));
            }
        }
        let role = role.ok_or_else(|| invalid("no role given"))?;
        let from = from
            .ok_or_else(|| invalid(format!("{spec:?}: give a start, e.g. \"from 2026-12-01\"")))?;
        let wte = wte.unwrap_or(Decimal::ONE);
        if wte <= Decimal::ZERO || wte > Decimal::ONE {
            return Err(invalid(format!(
                "WTE {} is outside 0–1; a post is at most 1.0 WTE",
                wte.normalize()
            )));
        }
        if to.is_some_and(|t| t < from) {
            return Err(invalid(format!("{spec:?}: the end is before the start")));
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
        let post = self.post_as(
            pcn,
            id,
            default_region,
            role.id.to_string(),
            band,
            Funding::Arrs,
        );
        validate_post(rb, &post)?;
        Ok(post)
    }

    /// The hire as an entered, network-employed post of `role` on `band`
    /// (in `default_region` unless the hire names one), not yet checked
    /// against the rules.
    pub(crate) fn post_as(
        &self,
        pcn: PcnCode,
        id: i64,
        default_region: Region,
        role: String,
        band: String,
        funding: Funding,
    ) -> Post {
        Post {
            id,
            pcn,
            person: format!("planned-{}", -id),
            name: None,
            role,
            employer: Employer::Network,
            funding,
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
        }
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
            role: role.id.to_string(),
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
            role: role.id.to_string(),
            name: role.name.clone(),
            band: role.default_band.clone(),
            per_wte,
            wte,
        });
    }
    Ok(out)
}
