//! NHS England Digital's Primary Care Network Workforce, individual-level
//! CSV ([`SourceKind::PcnWorkforce`](pcn_core::SourceKind)): one row per
//! staff record per network on the census date, such as
//! `1.Primary Care Networks - June 2026 Individual Level.csv`.
//!
//! Header (**verified** against the real June 2026 file): `Data_source,
//! CENSUS_YEAR, CENSUS_MONTH, PCN_CODE, PCN_NAME, SUB_ICB_CODE,
//! SUB_ICB_NAME, ICB_CODE, ICB_NAME, COMM_REGION_CODE, COMM_REGION_NAME,
//! STAFF_GROUP, STAFF_ROLE, DETAILED_STAFF_ROLE, FTE, UNIQUE_IDENTIFIER`.
//! Columns are found by name (case-insensitive, `_` and space alike); the
//! census month may also be given as one `CENSUS_DATE` column. Each row
//! becomes a [`WorkforceFact`] dated the last day of the census month.
//!
//! Problems: a blank or malformed network code (`U` is not a network), an
//! FTE that is not a number or is negative, a census
//! month that is not a month, and rows of two different census months in
//! one file. Rows with an FTE of zero are skipped and counted. A row's FTE
//! may be above 1 (a contracted service can cover more than one WTE); the
//! roster splits it into posts of at most 1 WTE. Contracted-service rows
//! have no `UNIQUE_IDENTIFIER`; their person reference is `census-row-N`.

use chrono::NaiveDate;
use pcn_core::{FactBatch, WorkforceFact};

use crate::ctx::{cell, text, Ctx};
use crate::decode::Table;

/// True when a normalised header is the workforce census's.
pub(crate) fn looks_like(has: &dyn Fn(&str) -> bool) -> bool {
    has("pcn code") && has("staff role") && has("fte") && has("unique identifier")
}

fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    (first < next).then(|| next.pred_opt()).flatten()
}

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let Some([pcn_col, group_col, role_col, fte_col, id_col]) = table.require_all(
        [
            &["PCN_CODE", "PCN_ODS_CODE"],
            &["STAFF_GROUP"],
            &["STAFF_ROLE"],
            &["FTE"],
            &["UNIQUE_IDENTIFIER"],
        ],
        &mut ctx.problems,
    ) else {
        return (batch, None);
    };
    let detailed_col = table.col(&["DETAILED_STAFF_ROLE"]);
    let source_col = table.col(&["Data_source", "DATA_SOURCE"]);
    let region_col = table.col(&["COMM_REGION_CODE", "REGION_CODE"]);
    let year_col = table.col(&["CENSUS_YEAR"]);
    let month_col = table.col(&["CENSUS_MONTH"]);
    let date_col = table.col(&["CENSUS_DATE"]);
    if date_col.is_none() && (year_col.is_none() || month_col.is_none()) {
        ctx.problems.whole_file(
            "no census date: the file needs CENSUS_YEAR and CENSUS_MONTH (or CENSUS_DATE)",
        );
        return (batch, None);
    }
    let mut census: Option<NaiveDate> = None;
    ctx.rows(table, |ctx, row, rec| {
        let date = match (&date_col, &year_col, &month_col) {
            (Some(c), _, _) => ctx
                .date(row, c, cell(rec, c))
                .and_then(|d| month_end(chrono::Datelike::year(&d), chrono::Datelike::month(&d))),
            (None, Some(y), Some(m)) => {
                let (ry, rm) = (cell(rec, y), cell(rec, m));
                match (ry.trim().parse::<i32>(), rm.trim().parse::<u32>()) {
                    (Ok(year), Ok(month)) if (2019..=2100).contains(&year) => {
                        let d = month_end(year, month);
                        if d.is_none() {
                            ctx.problems
                                .cell(row, &m.name, rm, "not a month number (1 to 12)");
                        }
                        d
                    }
                    _ => {
                        ctx.problems
                            .cell(row, &y.name, ry, "the census year and month must be numbers such as 2026 and 6");
                        None
                    }
                }
            }
            _ => None,
        };
        if let (Some(d), Some(c)) = (date, census) {
            if d != c {
                ctx.problems.cell(
                    row,
                    year_col.as_ref().map_or("CENSUS_DATE", |c| c.name.as_str()),
                    &d.to_string(),
                    format!("a second census month in one file (the first rows are {c}); import one census per file"),
                );
            }
        }
        if census.is_none() {
            census = date;
        }
        let pcn = ctx.network(row, &pcn_col, cell(rec, &pcn_col));
        let fte = ctx.decimal(row, &fte_col, cell(rec, &fte_col), false);
        // Contracted services carry no identifier: the row stands in.
        let person = match cell(rec, &id_col).trim() {
            "" => format!("census-row-{row}"),
            id => id.to_string(),
        };
        let role = cell(rec, &role_col).trim().to_string();
        if role.is_empty() {
            ctx.problems
                .cell(row, &role_col.name, "", "the staff role is required");
        }
        let (Some(pcn), Some(fte), Some(date), false, false) =
            (pcn, fte, date, person.is_empty(), role.is_empty())
        else {
            return true;
        };
        if fte.is_zero() {
            ctx.skip();
            return true;
        }
        batch.workforce.push(WorkforceFact {
            pcn,
            census: date,
            data_source: text(rec, source_col.as_ref()).unwrap_or_default(),
            staff_group: cell(rec, &group_col).trim().to_string(),
            staff_role: role,
            detailed_role: text(rec, detailed_col.as_ref()).unwrap_or_default(),
            fte,
            person,
            region: text(rec, region_col.as_ref()),
        });
        true
    });
    if ctx.skipped > 0 {
        ctx.notes.push(format!(
            "{} rows with an FTE of 0 were skipped",
            ctx.skipped
        ));
    }
    (batch, census)
}
