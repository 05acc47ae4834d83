//! ODS `epraccur.csv`: every prescribing cost centre in England and Wales,
//! with its status and dates ([`SourceKind::Epraccur`](pcn_core::SourceKind)).
//!
//! No header; 27 columns, read by position (the ODS standard layout,
//! **verified** against the real autumn 2025 file — 16,685 rows, all 27
//! fields, every field quoted): 1 Organisation Code, 2 Name, 3 National
//! Grouping (region), 4 High Level Health Geography (ICB), 5–9 Address,
//! 10 Postcode, 11 Open Date, 12 Close Date, 13 Status Code, 14 Sub-Type,
//! 15 Commissioner (sub-ICB), 16 Join Provider/Purchaser Date, 17 Left
//! Provider/Purchaser Date, 18 Telephone, 19–21 Null, 22 Amended Record
//! Indicator, 23 Null, 24 Provider/Purchaser, 25 Null, 26 Prescribing
//! Setting, 27 Null.
//!
//! Only rows with prescribing setting 4 (GP practice), of any status,
//! become a [`PracticeFact`]; other settings (walk-in centres, hubs, prisons,
//! pharmacies, …) are skipped and counted. The 2025 file has 8,655 setting-4
//! rows, 6,618 of them active. Welsh practices (national grouping `W00`,
//! ICB `Q99`, commissioner a Welsh health board such as `7A1`) are kept with
//! no NHS England region, as `W00` is not one; a note counts them.
//!
//! The data date is `--as-at`, else the latest open, close, join or left
//! date in the file (all rows).

use chrono::NaiveDate;
use pcn_core::{
    FactBatch, IcbCode, PracticeCode, PracticeFact, PracticeStatus, RegionCode, SubIcbCode,
};

use crate::ctx::{cell, latest, text, Ctx};
use crate::decode::{Col, Table};

const NAMES: [&str; 27] = [
    "Organisation Code",
    "Name",
    "National Grouping",
    "High Level Health Geography",
    "Address Line 1",
    "Address Line 2",
    "Address Line 3",
    "Address Line 4",
    "Address Line 5",
    "Postcode",
    "Open Date",
    "Close Date",
    "Status Code",
    "Organisation Sub-Type Code",
    "Commissioner",
    "Join Provider/Purchaser Date",
    "Left Provider/Purchaser Date",
    "Contact Telephone Number",
    "Null",
    "Null",
    "Null",
    "Amended Record Indicator",
    "Null",
    "Provider/Purchaser",
    "Null",
    "Prescribing Setting",
    "Null",
];

/// The prescribing setting of a GP practice.
const GP_PRACTICE: u8 = 4;

/// Column names for messages: `column 15 (Commissioner)`.
pub(crate) fn column_names() -> Vec<String> {
    NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| format!("column {} ({n})", i + 1))
        .collect()
}

/// A headerless 27-field record starting with an ODS code, or with a
/// numeric prescribing setting (so a bad code in the first row is reported
/// as such rather than making the file unknown).
pub(crate) fn looks_like(fields: &[&str]) -> bool {
    let code = fields.first().map_or("", |f| f.trim());
    let setting = fields.get(25).map_or("", |f| f.trim());
    let code_like = (3..=9).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let setting_like = !setting.is_empty() && setting.bytes().all(|b| b.is_ascii_digit());
    fields.len() == NAMES.len() && (code_like || setting_like)
}

fn col(table: &Table, i: usize) -> Col {
    Col {
        idx: i,
        name: table.header.get(i).cloned().unwrap_or_default(),
    }
}

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let [code_c, name_c, region_c, icb_c, postcode_c, open_c, close_c, status_c, comm_c, join_c, left_c, setting_c] =
        [0, 1, 2, 3, 9, 10, 11, 12, 14, 15, 16, 25].map(|i| col(table, i));
    let mut file_date: Option<NaiveDate> = None;
    let mut other_settings = 0u64;
    let mut welsh = 0u64;
    ctx.rows(table, |ctx, row, rec| {
        let setting_raw = cell(rec, &setting_c);
        let setting = setting_raw.parse::<u8>().ok();
        if setting.is_none() {
            ctx.problems.cell(
                row,
                &setting_c.name,
                setting_raw,
                "not a prescribing setting (a number such as 4)",
            );
            return true;
        }
        if setting != Some(GP_PRACTICE) {
            // Not imported, but its dates still say how recent the file is.
            for c in [&open_c, &close_c, &join_c, &left_c] {
                latest(&mut file_date, pcn_core::dates::parse_date(cell(rec, c)));
            }
            other_settings = other_settings.saturating_add(1);
            ctx.skip();
            return true;
        }
        let code = ctx.code_in(row, &code_c, rec, PracticeCode::parse);
        let mut dates = [None; 4];
        for (slot, c) in dates.iter_mut().zip([&open_c, &close_c, &join_c, &left_c]) {
            *slot = ctx.opt_date(row, c, cell(rec, c)).ok().flatten();
            latest(&mut file_date, *slot);
        }
        let status_raw = cell(rec, &status_c);
        let status = ctx.known(
            row,
            &status_c,
            status_raw,
            PracticeStatus::parse(status_raw),
            "not a status code (A, C, D or P)",
        );
        let region_raw = cell(rec, &region_c);
        let region = if region_raw.starts_with('W') && region_raw.len() == 3 {
            welsh = welsh.saturating_add(1);
            None
        } else {
            ctx.opt_code(row, Some(&region_c), rec, RegionCode::parse)
        };
        let icb = ctx.opt_code(row, Some(&icb_c), rec, IcbCode::parse);
        let sub_icb = ctx.opt_code(row, Some(&comm_c), rec, SubIcbCode::parse);
        let Some(code) = code else {
            return true;
        };
        let mut fact = PracticeFact::new(code, NaiveDate::MIN);
        fact.name = text(rec, Some(&name_c));
        fact.postcode = text(rec, Some(&postcode_c));
        fact.region = region;
        fact.icb = icb;
        fact.sub_icb = sub_icb;
        fact.open_date = dates[0];
        fact.close_date = dates[1];
        fact.status = status;
        fact.prescribing_setting = setting;
        batch.practices.push(fact);
        true
    });
    let date = ctx.data_date(
        file_date,
        "the latest open, close, join or left date in the file",
    );
    let d = date.unwrap_or(NaiveDate::MIN);
    for f in &mut batch.practices {
        f.as_at = d;
    }
    ctx.note_count(
        other_settings,
        "rows of other prescribing settings (not GP practices) skipped",
    );
    ctx.note_count(
        welsh,
        "practices in Wales (national grouping W00) have no NHS England region",
    );
    (batch, date)
}
