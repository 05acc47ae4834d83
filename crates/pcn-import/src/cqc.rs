//! CQC "HSCA Active Locations": every location registered with the Care
//! Quality Commission; pcn keeps the care homes and their beds
//! ([`SourceKind::CqcCareHomes`](pcn_core::SourceKind)).
//!
//! Published monthly as an OpenDocument spreadsheet (`.ods`) with a sheet
//! `HSCA Active Locations` whose header row is padded with empty cells; an
//! `.xlsx` or CSV export of that sheet is read the same way. The header row
//! is the first row (of the first ten) with `Location ID` and `Care home?`,
//! so title rows above it in a workbook are passed over (a CSV must start
//! with the header).
//!
//! Only rows with `Care home?` = `Y` become a [`CareHomeFact`]; other
//! locations are skipped and counted. From each care home: `Location ID`
//! (`1-` and digits), `Location Name`, `Care homes beds` (a whole number),
//! `Location Postal Code`, `Location Latitude`/`Location Longitude` (blank:
//! no location; outside the UK: a problem), `Location Local Authority`,
//! `Location ODS Code` and `Dormant (Y/N)`. A care home with a blank bed
//! count is skipped and counted in a note (its beds are unknown, so a
//! network aligned to it shows them as unknown rather than zero). A location
//! listed twice is a problem.
//!
//! The file has no extract date of its own: `--as-at`, else a month in its
//! path (`01_May_2024_HSCA_Active_Locations.ods` → 2024-05-01).
//!
//! **Not verified against a real file.** No copy of the HSCA Active
//! Locations file was available; the column names are those recorded from
//! other importers' code and documentation (see
//! `shared/data/README.md`, "Not found as data"), and the fixtures were
//! written by hand to match them. Check a real release before relying on
//! this reader.

use std::collections::HashMap;

use chrono::NaiveDate;
use pcn_core::{CareHomeFact, FactBatch, LatLon};

use crate::ctx::{cell, text, Ctx};
use crate::decode::{normalise, Sheet, Table};
use crate::pathdate::as_at_or_path;

pub(crate) const SHEET: &str = "hsca active locations";

/// True when a normalised header is the locations file's.
pub(crate) fn looks_like(has: &dyn Fn(&str) -> bool) -> bool {
    has("location id") && has("care home?")
}

/// The index of the header row in a sheet, if one of the first ten rows is it.
pub(crate) fn header_row(sheet: &Sheet) -> Option<usize> {
    sheet.rows.iter().take(10).position(|(_, cells)| {
        let norm: Vec<String> = cells.iter().map(|c| normalise(c)).collect();
        looks_like(&|name| norm.iter().any(|h| h == name))
    })
}

/// The sheet holding the locations: the one named `HSCA Active Locations`
/// with the header, else any sheet with the header.
pub(crate) fn find_sheet(sheets: &[Sheet]) -> Option<(&Sheet, usize)> {
    let named = sheets
        .iter()
        .filter(|s| normalise(&s.name) == SHEET)
        .find_map(|s| header_row(s).map(|i| (s, i)));
    named.or_else(|| sheets.iter().find_map(|s| header_row(s).map(|i| (s, i))))
}

pub(crate) fn read_workbook(ctx: &mut Ctx, sheets: &[Sheet]) -> (FactBatch, Option<NaiveDate>) {
    match find_sheet(sheets) {
        Some((sheet, header)) => {
            let table = Table::from_rows(&sheet.name, &sheet.rows[header..]);
            read(ctx, &table)
        }
        None => {
            ctx.problems.whole_file(
                "no sheet has a header with Location ID and Care home? in its first ten rows",
            );
            (FactBatch::default(), None)
        }
    }
}

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let date = as_at_or_path(ctx);
    let d = date.unwrap_or(NaiveDate::MIN);
    let Some([id_col, care_home_col, beds_col]) = table.require_all(
        [
            &["Location ID"],
            &["Care home?", "Care home"],
            &["Care homes beds", "Care home beds"],
        ],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    let name_col = table.col(&["Location Name"]);
    let postcode_col = table.col(&["Location Postal Code", "Location Postcode"]);
    let lat_col = table.col(&["Location Latitude"]);
    let lon_col = table.col(&["Location Longitude"]);
    let la_col = table.col(&["Location Local Authority"]);
    let ods_col = table.col(&["Location ODS Code"]);
    let dormant_col = table.col(&["Dormant (Y/N)", "Dormant"]);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut not_care_homes = 0u64;
    let mut no_beds = 0u64;
    table.for_each(|row, rec| {
        ctx.tick();
        let raw_id = cell(rec, &id_col);
        let care_home = cell(rec, &care_home_col);
        let is_care_home = match care_home.to_ascii_uppercase().as_str() {
            "Y" | "YES" => true,
            "N" | "NO" => false,
            _ => {
                ctx.problems
                    .cell(row, &care_home_col.name, care_home, "expected Y or N");
                return true;
            }
        };
        if !crate::care_home_alignment::is_location_id(raw_id) {
            ctx.problems.cell(
                row,
                &id_col.name,
                raw_id,
                "not a CQC location id (1- and digits, such as 1-101234567)",
            );
            return true;
        }
        if let Some(first) = seen.insert(raw_id.to_string(), row) {
            ctx.problems.cell(
                row,
                &id_col.name,
                raw_id,
                format!("location listed twice (first on row {first})"),
            );
            return true;
        }
        if !is_care_home {
            not_care_homes = not_care_homes.saturating_add(1);
            ctx.skip();
            return true;
        }
        let raw_beds = cell(rec, &beds_col);
        let beds = if raw_beds.is_empty() {
            None
        } else {
            match raw_beds.parse::<u32>() {
                Ok(n) if raw_beds.bytes().all(|b| b.is_ascii_digit()) => Some(n),
                _ => {
                    ctx.problems.cell(
                        row,
                        &beds_col.name,
                        raw_beds,
                        "not a number of beds (a whole number of 0 or more)",
                    );
                    return true;
                }
            }
        };
        let dormant = match dormant_col.as_ref().map(|c| (c, cell(rec, c))) {
            None | Some((_, "")) => false,
            Some((c, raw)) => match raw.to_ascii_uppercase().as_str() {
                "Y" | "YES" => true,
                "N" | "NO" => false,
                _ => {
                    ctx.problems.cell(row, &c.name, raw, "expected Y or N");
                    return true;
                }
            },
        };
        let location = match (&lat_col, &lon_col) {
            (Some(lat_col), Some(lon_col)) => {
                let (lat_raw, lon_raw) = (cell(rec, lat_col), cell(rec, lon_col));
                if lat_raw.is_empty() || lon_raw.is_empty() {
                    None
                } else {
                    match (lat_raw.parse::<f64>(), lon_raw.parse::<f64>()) {
                        (Ok(lat), Ok(lon)) => match LatLon::new_in_uk(lat, lon) {
                            Some(point) => Some(point),
                            None => {
                                ctx.problems.cell(
                                    row,
                                    &format!("{}/{}", lat_col.name, lon_col.name),
                                    &format!("{lat_raw}, {lon_raw}"),
                                    "coordinates outside the UK (swapped or zero?)",
                                );
                                return true;
                            }
                        },
                        _ => {
                            ctx.problems.cell(
                                row,
                                &format!("{}/{}", lat_col.name, lon_col.name),
                                &format!("{lat_raw}, {lon_raw}"),
                                "not a latitude and longitude in degrees",
                            );
                            return true;
                        }
                    }
                }
            }
            _ => None,
        };
        let Some(beds) = beds else {
            no_beds = no_beds.saturating_add(1);
            ctx.skip();
            return true;
        };
        batch.care_homes.push(CareHomeFact {
            location_id: raw_id.to_string(),
            name: text(rec, name_col.as_ref()).unwrap_or_default(),
            postcode: text(rec, postcode_col.as_ref()),
            beds,
            location,
            local_authority: text(rec, la_col.as_ref()),
            ods_code: text(rec, ods_col.as_ref()),
            dormant,
            as_at: d,
        });
        true
    });
    ctx.note_count(not_care_homes, "locations that are not care homes skipped");
    ctx.note_count(
        no_beds,
        "care homes with no bed count skipped (their beds are unknown)",
    );
    (batch, date)
}
