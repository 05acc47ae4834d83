//! ARRS files: the claim schedule a network sends its commissioner (CSV or
//! XLSX), a roster, and the national report.
//!
//! The national Primary Care Workforce Portal takes claims as a web form per
//! employee; [`CLAIM_COLUMNS`] are the fields it, and the ICB claim templates
//! that preceded it, ask for, so this is the schedule a network enters from
//! or sends its ICB.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pcn_core::arrs::{ClaimRecord, ClaimState, MonthClaim, NationalReport, Origin, Post};
use pcn_core::money::Pence;
use pcn_core::text::pounds_plain;
use pcn_core::{Decimal, PcnCode};
use rust_xlsxwriter::Workbook;
use serde::Serialize;

use crate::csv::CsvOut;
use crate::table::{self, Cell};
use crate::xlsx::{Formats, Sheet};
use crate::Result;

/// The claim schedule's columns: one row per post per month.
pub const CLAIM_COLUMNS: [&str; 20] = [
    "PCN ODS code",
    "Claim month",
    "Staff reference",
    "Staff name",
    "Role",
    "AfC band",
    "WTE",
    "Employer",
    "Funding",
    "Start date",
    "End date",
    "Days in post",
    "Days in month",
    "Actual cost (salary + employer NI + pension)",
    "Cost basis",
    "Met by partner",
    "Maximum reimbursable (pro rata)",
    "Amount claimable",
    "Met by practices",
    "Status",
];

/// A network's claim lines with the posts and recorded claims they refer to.
pub struct ClaimSchedule<'a> {
    pub pcn: &'a PcnCode,
    pub lines: &'a [MonthClaim],
    pub posts: &'a [Post],
    pub recorded: &'a [ClaimRecord],
}

impl ClaimSchedule<'_> {
    fn rows(&self) -> Vec<Vec<Cell>> {
        let by_id: BTreeMap<i64, &Post> = self.posts.iter().map(|p| (p.id, p)).collect();
        self.lines
            .iter()
            .map(|l| {
                let p = by_id.get(&l.post);
                let text =
                    |f: &dyn Fn(&Post) -> String| Cell::Text(p.map_or(String::new(), |p| f(p)));
                vec![
                    Cell::Text(self.pcn.to_string()),
                    Cell::Text(l.month.to_string()),
                    text(&|p| p.person.clone()),
                    text(&|p| p.name.clone().unwrap_or_default()),
                    text(&|p| p.role.clone()),
                    Cell::Text(l.band.clone()),
                    Cell::Decimal(l.wte),
                    text(&|p| p.employer.to_string()),
                    text(&|p| p.funding.as_str().to_string()),
                    text(&|p| p.start.to_string()),
                    text(&|p| p.end.map_or(String::new(), |e| e.to_string())),
                    Cell::Number(l.days.into()),
                    Cell::Number(l.days_in_month.into()),
                    Cell::Money(l.cost),
                    Cell::Text(format!("{:?}", l.cost_basis).to_lowercase()),
                    Cell::Money(l.partner),
                    Cell::Money(l.cap),
                    Cell::Money(l.claimable),
                    Cell::Money(l.met_by_practices),
                    Cell::Text(ClaimState::of(l, self.recorded).to_string()),
                ]
            })
            .collect()
    }

    /// The schedule as CSV, money in exact pounds.
    pub fn csv(&self) -> Result<String> {
        table::csv(&CLAIM_COLUMNS, &self.rows())
    }

    /// The schedule as an XLSX workbook (one sheet), money as numbers of
    /// pounds straight from the pence.
    pub fn xlsx(&self) -> Result<Vec<u8>> {
        let formats = Formats::new();
        let mut workbook = Workbook::new();
        let mut sheet = Sheet::add(&mut workbook, &formats, "ARRS claims")?;
        table::write(&mut sheet, 0, &CLAIM_COLUMNS, &self.rows())?;
        sheet.ws.autofit();
        Ok(workbook.save_to_buffer()?)
    }
}

/// A post on a roster as at a date, as the roster files show it.
#[derive(Debug, Serialize)]
pub struct RosterRow<'a> {
    pub post: i64,
    pub person: &'a str,
    pub name: Option<&'a str>,
    pub role: &'a str,
    pub band: Option<&'a str>,
    pub wte: Option<Decimal>,
    pub salary: Option<Pence>,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub employer: String,
    pub funding: &'a str,
    pub region: &'a str,
    pub origin: String,
}

/// The posts in post on `as_at` (or every post, with `all`), as rows.
pub fn roster_rows(posts: &[Post], as_at: NaiveDate, all: bool) -> Vec<RosterRow<'_>> {
    posts
        .iter()
        .filter(|p| all || p.covers(as_at))
        .map(|p| {
            let t = p.terms_at(as_at);
            RosterRow {
                post: p.id,
                person: &p.person,
                name: p.name.as_deref(),
                role: &p.role,
                band: t.map(|t| t.band.as_str()),
                wte: t.map(|t| t.wte.normalize()),
                salary: t.and_then(|t| t.salary),
                start: p.start,
                end: p.end,
                employer: p.employer.to_string(),
                funding: p.funding.as_str(),
                region: p.region.as_str(),
                origin: match &p.origin {
                    Origin::Entered => "entered".into(),
                    Origin::Census(d) => format!("census {d}"),
                },
            }
        })
        .collect()
}

/// A roster as CSV.
pub fn roster_csv(rows: &[RosterRow]) -> Result<String> {
    let mut out = CsvOut::new();
    out.row([
        "post", "person", "name", "role", "band", "wte", "salary", "start", "end", "employer",
        "funding", "region", "origin",
    ])?;
    let or_blank = |o: Option<String>| o.unwrap_or_default();
    for r in rows {
        out.row([
            r.post.to_string(),
            r.person.to_string(),
            or_blank(r.name.map(str::to_string)),
            r.role.to_string(),
            or_blank(r.band.map(str::to_string)),
            or_blank(r.wte.map(|w| w.to_string())),
            or_blank(r.salary.map(pounds_plain)),
            r.start.to_string(),
            or_blank(r.end.map(|e| e.to_string())),
            r.employer.clone(),
            r.funding.to_string(),
            r.region.to_string(),
            r.origin.clone(),
        ])?;
    }
    out.finish()
}

/// The national report as CSV: a row per network, a WTE column per role.
pub fn national_report_csv(report: &NationalReport) -> Result<String> {
    let mut roles: Vec<&String> = report
        .networks
        .iter()
        .flat_map(|n| n.wte_by_role.keys())
        .collect();
    roles.sort();
    roles.dedup();
    let mut out = CsvOut::new();
    let mut header: Vec<String> = [
        "pcn_code",
        "pcn_name",
        "sub_icb",
        "arrs_sum",
        "estimated_arrs_spend",
        "headroom",
        "arrs_wte",
        "other_wte",
    ]
    .map(String::from)
    .to_vec();
    header.extend(roles.iter().map(|r| format!("wte_{r}")));
    out.row(&header)?;
    for n in &report.networks {
        let mut row = vec![
            n.pcn.to_string(),
            n.name.clone().unwrap_or_default(),
            n.commissioner
                .as_ref()
                .map_or(String::new(), |c| c.to_string()),
            n.sum.map_or(String::new(), pounds_plain),
            pounds_plain(n.estimated_spend),
            n.headroom.map_or(String::new(), pounds_plain),
            wte(n.arrs_wte),
            wte(n.other_wte),
        ];
        for r in &roles {
            row.push(n.wte_by_role.get(*r).map_or("0".into(), |w| wte(*w)));
        }
        out.row(&row)?;
    }
    out.finish()
}

/// A WTE sum for a file: three places (the census gives FTE to nine, and a
/// sum of thirds would otherwise print as 28.666666664).
fn wte(w: pcn_core::Decimal) -> String {
    w.round_dp(3).normalize().to_string()
}
