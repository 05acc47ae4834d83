//! NHS website (nhs.uk, formerly NHS Choices) `GP.csv`: practice names,
//! postcodes and coordinates ([`SourceKind::NhsWebsiteGp`](pcn_core::SourceKind)).
//!
//! Windows-1252, `¬`-delimited, unquoted. Header (**verified** against the
//! real May 2019 file): `OrganisationID¬OrganisationCode¬OrganisationType¬
//! SubType¬OrganisationStatus¬IsPimsManaged¬isEPSEnabled¬OrganisationName¬
//! Address1¬Address2¬Address3¬City¬County¬Postcode¬Latitude¬Longitude¬
//! ParentODSCode¬ParentName¬Phone¬Email¬Website¬Fax`.
//!
//! Only rows of `OrganisationType` `GP` with a 6-character code (a practice)
//! become a [`PracticeFact`] (name, postcode, location); branch surgeries
//! (9-character codes such as `A81013001`) and any other organisation type
//! are skipped and counted. Blank coordinates give no location; coordinates
//! that do not parse, or fall outside the UK, are a problem.
//!
//! The file has no date: `--as-at`, else a month in its path.

use chrono::NaiveDate;
use pcn_core::{FactBatch, LatLon, PracticeCode, PracticeFact};

use crate::ctx::{cell, text, Ctx};
use crate::decode::Table;
use crate::pathdate::as_at_or_path;

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let date = as_at_or_path(ctx);
    let d = date.unwrap_or(NaiveDate::MIN);
    let Some([code_col, type_col, lat_col, lon_col]) = table.require_all(
        [
            &["OrganisationCode"],
            &["OrganisationType"],
            &["Latitude"],
            &["Longitude"],
        ],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    let name_col = table.col(&["OrganisationName"]);
    let postcode_col = table.col(&["Postcode"]);
    let mut branches = 0u64;
    let mut other_types = 0u64;
    let mut no_location = 0u64;
    ctx.rows(table, |ctx, row, rec| {
        if !cell(rec, &type_col).eq_ignore_ascii_case("GP") {
            other_types = other_types.saturating_add(1);
            ctx.skip();
            return true;
        }
        let raw_code = cell(rec, &code_col);
        if raw_code.chars().count() == 9 {
            branches = branches.saturating_add(1);
            ctx.skip();
            return true;
        }
        let code = ctx.code(row, &code_col, raw_code, PracticeCode::parse);
        let (lat_raw, lon_raw) = (cell(rec, &lat_col), cell(rec, &lon_col));
        let location = if lat_raw.is_empty() && lon_raw.is_empty() {
            no_location = no_location.saturating_add(1);
            None
        } else {
            match (lat_raw.parse::<f64>(), lon_raw.parse::<f64>()) {
                (Ok(lat), Ok(lon)) => {
                    let point = LatLon::new_in_uk(lat, lon);
                    if point.is_none() {
                        ctx.problems.cell(
                            row,
                            &format!("{}/{}", lat_col.name, lon_col.name),
                            &format!("{lat_raw}, {lon_raw}"),
                            "coordinates outside the UK (swapped or zero?)",
                        );
                    }
                    point
                }
                (Err(_), _) => {
                    ctx.problems
                        .cell(row, &lat_col.name, lat_raw, "not a latitude in degrees");
                    None
                }
                (_, Err(_)) => {
                    ctx.problems
                        .cell(row, &lon_col.name, lon_raw, "not a longitude in degrees");
                    None
                }
            }
        };
        let Some(code) = code else {
            return true;
        };
        let mut fact = PracticeFact::new(code, d);
        fact.name = text(rec, name_col.as_ref());
        fact.postcode = text(rec, postcode_col.as_ref());
        fact.location = location;
        batch.practices.push(fact);
        true
    });
    ctx.note_count(branches, "branch surgeries (9-character codes) skipped");
    ctx.note_count(
        other_types,
        "rows of organisation types other than GP skipped",
    );
    ctx.note_count(no_location, "practices have no coordinates");
    (batch, date)
}
