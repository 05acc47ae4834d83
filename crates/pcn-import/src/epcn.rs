//! ODS ePCN: the networks (`PCNDetails`) and which practices belong to
//! which network, with dates (`PCN Core Partner Details`).
//!
//! Read from the `ePCN.xlsx` workbook ([`SourceKind::EpcnWorkbook`]; a
//! workbook with only one of the two sheets reads as that table's kind), or
//! from the ODS Data Search & Export CSV reports `epcn`
//! ([`SourceKind::EpcnDetails`]) and `epcncorepartnerdetails`
//! ([`SourceKind::EpcnPartners`]).
//!
//! - `PCNDetails` → [`NetworkFact`] (code, name, commissioner, open and close
//!   dates, postcode). A network listed twice is a problem.
//! - `PCN Core Partner Details` → [`MembershipInterval`] (practice, network,
//!   start, end; a blank end is a current relationship) and one
//!   [`PracticeFact`] per practice (name, parent sub-ICB code and name, from
//!   its most recently started relationship). A repeated (practice, network,
//!   start) is a problem.
//!
//! Dates are text `YYYYMMDD`; Excel date cells and ISO dates are accepted too.
//! The data date is `--as-at`, else the latest date anywhere in the file.
//!
//! **Partners that are not practices.** ODS calls the rows "core partners";
//! in the real October 2024 file all 7,705 partner codes are practice codes
//! (a letter and five letters or digits). Should a release list another kind
//! of organisation (a trust `RXX`, a 9-character branch), that row is not a
//! practice membership: it is skipped and counted in a note, rather than
//! refusing the whole file. A code that is blank or contains anything but
//! letters and digits is a typo-grade problem and refuses the file.
//!
//! Headers (matched by name; white space, newlines and `_` alike):
//! - workbook, sub-ICB era (**verified**, real October 2024 file): `PCN Code,
//!   PCN Name, Current Sub ICB Loc Code, Sub ICB Location, Open Date, Close
//!   Date, Address Line 1…5, Postcode`; partners `Partner\nOrganisation\nCode,
//!   Partner\nName, Practice\nParent\nSub ICB Loc Code, Practice\nParent\nSub
//!   ICB Loc Name, PCN Code, PCN Name, PCN Parent\nSub ICB Loc Code, PCN
//!   Parent\nSub ICB Loc Name, Practice to PCN\nRelationship\nStart Date,
//!   Practice to PCN\nRelationship\nEnd Date, Practice Sub ICB Loc and PCN Sub
//!   ICB Loc Match ` (sic, trailing space).
//! - CSV report `epcncorepartnerdetails` (**verified from published scripts**
//!   that download it): the report has **no header row**; its 11 columns are
//!   documented as `Partner Organisation Code, Partner Name, Practice Parent
//!   Sub ICB Location Code, Practice Parent Sub ICB Location Name, PCN Code,
//!   PCN Name, PCN Parent Sub ICB Location Code, PCN Parent Sub ICB Location
//!   Name, Practice to PCN Relationship Start Date, Practice to PCN
//!   Relationship End Date, Practice Sub ICB and PCN Sub ICB Match?`. Both the
//!   headerless report (detected by an 11-field first row of practice code …
//!   PCN code) and a copy with that header added are read.
//! - CSV report `epcn`: assumed to carry the `PCNDetails` names (with
//!   `Location` spelt out accepted too); **not verified**; a headerless `epcn`
//!   report is not recognised.
//! - CCG era (2019–2022): `Current CCG Code`, `CCG Code`, `Practice Parent CCG
//!   Code`, `Practice Parent CCG Name` are accepted as aliases, **not
//!   verified** against a real CCG-era workbook.

use std::collections::HashMap;

use chrono::NaiveDate;
use pcn_core::{
    FactBatch, MembershipInterval, NetworkFact, PcnCode, PracticeCode, PracticeFact, SourceKind,
    SubIcbCode,
};

use crate::ctx::{cell, latest, text, Ctx};
use crate::decode::{normalise, Sheet, Table};

const DETAILS_SHEET: &str = "pcndetails";
const PARTNERS_SHEET: &str = "pcn core partner details";

const PARTNER_REPORT_COLUMNS: [&str; 11] = [
    "Partner Organisation Code",
    "Partner Name",
    "Practice Parent Sub ICB Location Code",
    "Practice Parent Sub ICB Location Name",
    "PCN Code",
    "PCN Name",
    "PCN Parent Sub ICB Location Code",
    "PCN Parent Sub ICB Location Name",
    "Practice to PCN Relationship Start Date",
    "Practice to PCN Relationship End Date",
    "Practice Sub ICB and PCN Sub ICB Match?",
];

pub(crate) fn partner_report_columns() -> Vec<String> {
    PARTNER_REPORT_COLUMNS
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The headerless `epcncorepartnerdetails` report: 11 fields with a PCN
/// code in column 5 (the practice code in column 1 is checked when read, so
/// a bad first row is reported rather than making the file unknown).
pub(crate) fn looks_like_partner_report(fields: &[&str]) -> bool {
    fields.len() == PARTNER_REPORT_COLUMNS.len()
        && fields.get(4).is_some_and(|f| PcnCode::parse(f).is_ok())
}

fn sheet<'s>(sheets: &'s [Sheet], name: &str) -> Option<&'s Sheet> {
    sheets.iter().find(|s| normalise(&s.name) == name)
}

pub(crate) fn detect_workbook(sheets: &[Sheet]) -> Option<SourceKind> {
    match (
        sheet(sheets, DETAILS_SHEET).is_some(),
        sheet(sheets, PARTNERS_SHEET).is_some(),
    ) {
        (true, true) => Some(SourceKind::EpcnWorkbook),
        (true, false) => Some(SourceKind::EpcnDetails),
        (false, true) => Some(SourceKind::EpcnPartners),
        (false, false) => None,
    }
}

pub(crate) fn read_workbook(
    ctx: &mut Ctx,
    sheets: &[Sheet],
    kind: SourceKind,
) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let mut file_date = None;
    if matches!(kind, SourceKind::EpcnWorkbook | SourceKind::EpcnDetails) {
        if let Some(s) = sheet(sheets, DETAILS_SHEET) {
            let (b, d) = details(ctx, &Table::from_sheet(s));
            batch.extend(b);
            latest(&mut file_date, d);
        }
    }
    if matches!(kind, SourceKind::EpcnWorkbook | SourceKind::EpcnPartners) {
        if let Some(s) = sheet(sheets, PARTNERS_SHEET) {
            let (b, d) = partners(ctx, &Table::from_sheet(s));
            batch.extend(b);
            latest(&mut file_date, d);
        }
    }
    finish(ctx, batch, file_date)
}

pub(crate) fn read_details_csv(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let (batch, d) = details(ctx, table);
    finish(ctx, batch, d)
}

pub(crate) fn read_partners_csv(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let (batch, d) = partners(ctx, table);
    finish(ctx, batch, d)
}

/// Chooses the data date and stamps it on the facts.
fn finish(
    ctx: &mut Ctx,
    mut batch: FactBatch,
    file_date: Option<NaiveDate>,
) -> (FactBatch, Option<NaiveDate>) {
    let date = ctx.data_date(file_date, "the latest date in the file");
    let d = date.unwrap_or(NaiveDate::MIN);
    for f in &mut batch.networks {
        f.as_at = d;
    }
    for f in &mut batch.practices {
        f.as_at = d;
    }
    (batch, date)
}

fn details(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let Some(code_col) = table.require(&["PCN Code"], &mut ctx.problems) else {
        return (batch, None);
    };
    let name_col = table.col(&["PCN Name"]);
    let sub_icb_col = table.col(&[
        "Current Sub ICB Loc Code",
        "Current Sub ICB Location Code",
        "Sub ICB Loc Code",
        "Sub ICB Location Code",
        "Current CCG Code",
        "CCG Code",
    ]);
    let open_col = table.col(&["Open Date"]);
    let close_col = table.col(&["Close Date"]);
    let postcode_col = table.col(&["Postcode"]);
    let mut seen: HashMap<PcnCode, u64> = HashMap::new();
    let mut file_date = None;
    ctx.rows(table, |ctx, row, rec| {
        let code = ctx.code_in(row, &code_col, rec, PcnCode::parse);
        let sub_icb = ctx.opt_code(row, sub_icb_col.as_ref(), rec, SubIcbCode::parse);
        let mut dates = [None, None];
        for (slot, c) in dates.iter_mut().zip([&open_col, &close_col]) {
            *slot = ctx.opt_date_in(row, c.as_ref(), rec).ok().flatten();
            latest(&mut file_date, *slot);
        }
        let Some(code) = code.and_then(|code| ctx.allocated(row, &code_col, code)) else {
            return true;
        };
        if !ctx.first_listing(&mut seen, &code, row, &code_col, "network") {
            return true;
        }
        let mut fact = NetworkFact::new(code, NaiveDate::MIN);
        fact.name = text(rec, name_col.as_ref());
        fact.sub_icb = sub_icb;
        fact.open_date = dates[0];
        fact.close_date = dates[1];
        fact.postcode = text(rec, postcode_col.as_ref());
        batch.networks.push(fact);
        true
    });
    (batch, file_date)
}

fn partners(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let Some([practice_col, pcn_col, start_col]) = table.require_all(
        [
            &["Partner Organisation Code", "Practice Code"],
            &["PCN Code"],
            &["Practice to PCN Relationship Start Date"],
        ],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    let end_col = table.col(&["Practice to PCN Relationship End Date"]);
    let name_col = table.col(&["Partner Name", "Practice Name"]);
    let sub_icb_col = table.col(&[
        "Practice Parent Sub ICB Loc Code",
        "Practice Parent Sub ICB Location Code",
        "Practice Parent CCG Code",
    ]);
    let sub_icb_name_col = table.col(&[
        "Practice Parent Sub ICB Loc Name",
        "Practice Parent Sub ICB Location Name",
        "Practice Parent CCG Name",
    ]);
    let mut seen: HashMap<(PracticeCode, PcnCode, NaiveDate), u64> = HashMap::new();
    // practice → (index in batch.practices, start of the relationship it came from)
    let mut practices: HashMap<PracticeCode, (usize, NaiveDate)> = HashMap::new();
    let mut not_practices: Vec<String> = Vec::new();
    let mut file_date = None;
    ctx.rows(table, |ctx, row, rec| {
        let raw = cell(rec, &practice_col);
        let is_org_code = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_alphanumeric());
        if is_org_code && PracticeCode::parse(raw).is_err() {
            not_practices.push(raw.to_string());
            ctx.skip();
            return true;
        }
        let practice = ctx.code(row, &practice_col, raw, PracticeCode::parse);
        let pcn = ctx.code_in(row, &pcn_col, rec, PcnCode::parse);
        let start = ctx.date(row, &start_col, cell(rec, &start_col));
        let end = ctx.opt_date_in(row, end_col.as_ref(), rec).ok().flatten();
        let sub_icb = ctx.opt_code(row, sub_icb_col.as_ref(), rec, SubIcbCode::parse);
        latest(&mut file_date, start);
        latest(&mut file_date, end);
        let (Some(practice), Some(pcn), Some(start)) = (practice, pcn, start) else {
            return true;
        };
        let Some(pcn) = ctx.allocated(row, &pcn_col, pcn) else {
            return true;
        };
        if let Some(e) = end {
            if e < start {
                ctx.problems.cell(
                    row,
                    end_col.as_ref().map_or("", |c| c.name.as_str()),
                    &e.to_string(),
                    format!("the relationship ends before it starts ({start})"),
                );
                return true;
            }
        }
        let key = (practice.clone(), pcn.clone(), start);
        if let Some(first) = seen.get(&key) {
            ctx.problems.cell(
                row,
                &practice_col.name,
                practice.as_str(),
                format!(
                    "repeats the relationship with {pcn} starting {start} (first on row {first})"
                ),
            );
            return true;
        }
        seen.insert(key, row);
        let mut fact = PracticeFact::new(practice.clone(), NaiveDate::MIN);
        fact.name = text(rec, name_col.as_ref());
        fact.sub_icb = sub_icb;
        fact.sub_icb_name = text(rec, sub_icb_name_col.as_ref());
        match practices.get_mut(&practice) {
            Some((i, latest_start)) => {
                if start > *latest_start {
                    *latest_start = start;
                    if let Some(slot) = batch.practices.get_mut(*i) {
                        *slot = fact;
                    }
                }
            }
            None => {
                practices.insert(practice.clone(), (batch.practices.len(), start));
                batch.practices.push(fact);
            }
        }
        batch.intervals.push(MembershipInterval {
            practice,
            pcn,
            start,
            end,
        });
        true
    });
    if !not_practices.is_empty() {
        let examples: Vec<&str> = not_practices.iter().take(5).map(String::as_str).collect();
        ctx.notes.push(format!(
            "{} partner rows are not GP practices and were skipped (such as {})",
            not_practices.len(),
            examples.join(", ")
        ));
    }
    (batch, file_date)
}
