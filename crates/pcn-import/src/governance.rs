//! pcn's governance CSV: what the official files do not record about a
//! network — clinical director, nominated payee, agreements, size exception
//! and partners — as dated [`GovernanceFact`]s ([`SourceKind::Governance`](pcn_core::SourceKind)).
//!
//! ## Format
//!
//! A CSV file (UTF-8, or Windows-1252 as saved by Excel; comma-separated;
//! quote values containing commas with `"`) with a header row:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `pcn_code` | yes | the network's ODS code, such as `U89141` (`U` is not a network) |
//! | `effective_from` | no | the date the row's values take effect (`YYYY-MM-DD`, or `20250401`, `01/04/2025`); blank or absent: `--as-at`, else today |
//! | `clinical_director` | no | the clinical director's name |
//! | `nominated_payee` | no | ODS code of the member practice paid for the network, such as `A81001` |
//! | `network_agreement_signed` | no | date the network agreement was signed |
//! | `data_sharing_agreement_signed` | no | date the data-sharing agreement was signed |
//! | `size_exception` | no | `rural-waiver`, `geographic-isolation` or `commissioner-approved` |
//! | `community_partners` | no | partner organisations, `;`-separated |
//! | `mental_health_partners` | no | as above |
//! | `voluntary_partners` | no | as above |
//!
//! Column names are case-insensitive and `_`, `-` and space are alike; any
//! other column is refused, so a misspelt column cannot be silently
//! ignored. One row per network and date. In a field column, an **empty
//! cell means "no change"**, and a cell holding just **`-` clears** the
//! field from that date. Each value becomes one fact, effective from its
//! row's date; later facts supersede earlier ones and nothing is
//! overwritten. The same network, field and date twice is a problem.
//!
//! ```csv
//! pcn_code,effective_from,clinical_director,nominated_payee,size_exception
//! U89141,2025-04-01,Dr A Khan,A81001,
//! U07032,2025-04-01,Dr B Jones,,rural-waiver
//! U07032,2025-10-01,-,,
//! ```
//!
//! The data date of the import is the latest `effective_from`.

use std::collections::HashMap;

use chrono::NaiveDate;
use pcn_core::{FactBatch, GovernanceFact, GovernanceField, PcnCode};

use crate::ctx::{cell, latest, Ctx};
use crate::decode::{Col, Table};

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let Some(pcn_col) = table.require(&["pcn_code"], &mut ctx.problems) else {
        return (batch, None);
    };
    let mut date_col = None;
    let mut fields: Vec<(Col, GovernanceField)> = Vec::new();
    for (idx, (name, norm)) in table.header.iter().zip(table.normalised()).enumerate() {
        let col = Col {
            idx,
            name: name.clone(),
        };
        if idx == pcn_col.idx {
            continue;
        }
        if norm == "effective from" {
            date_col = Some(col);
        } else if let Some(field) = GovernanceField::from_name(norm) {
            fields.push((col, field));
        } else {
            let known: Vec<&str> = GovernanceField::ALL.iter().map(|f| f.name()).collect();
            ctx.problems.cell(
                1,
                name,
                name,
                format!(
                    "not a governance column; use pcn_code, effective_from, {}",
                    known.join(", ")
                ),
            );
        }
    }
    if !ctx.problems.is_empty() {
        return (batch, None);
    }
    let default_date = ctx.default_date();
    let mut file_date = None;
    let mut seen: HashMap<(PcnCode, GovernanceField, NaiveDate), u64> = HashMap::new();
    let mut defaulted = false;
    ctx.rows(table, |ctx, row, rec| {
        let pcn = ctx.code_in(row, &pcn_col, rec, PcnCode::parse);
        let date = ctx.date_or_default(row, date_col.as_ref(), rec, &mut defaulted);
        let pcn = pcn.and_then(|code| ctx.allocated(row, &pcn_col, code));
        for (col, field) in &fields {
            let raw = cell(rec, col);
            if raw.is_empty() {
                continue;
            }
            let value = if raw == "-" {
                String::new()
            } else {
                match field.parse_value(raw) {
                    Ok(v) => v,
                    Err(message) => {
                        ctx.problems.cell(row, &col.name, raw, message);
                        continue;
                    }
                }
            };
            let (Some(pcn), Some(date)) = (&pcn, date) else {
                continue;
            };
            let key = (pcn.clone(), *field, date);
            if let Some(first) = seen.get(&key) {
                ctx.problems.cell(
                    row,
                    &col.name,
                    raw,
                    format!(
                        "{pcn} already has a {} effective from {date} (row {first})",
                        field.name()
                    ),
                );
                continue;
            }
            seen.insert(key, row);
            latest(&mut file_date, Some(date));
            batch.governance.push(GovernanceFact {
                pcn: pcn.clone(),
                field: *field,
                value,
                effective_from: date,
            });
        }
        true
    });
    if defaulted {
        ctx.note_defaulted("rows without effective_from take");
    }
    (batch, file_date.or(Some(default_date)))
}
