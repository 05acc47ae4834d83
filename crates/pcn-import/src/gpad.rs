//! Appointments in General Practice (GPAD) `Mapping.csv`: an independent
//! monthly practice → PCN → sub-ICB → ICB → region map with the GP system
//! supplier ([`SourceKind::GpadMapping`](pcn_core::SourceKind)).
//!
//! Header (**verified** against the real August 2025 file):
//! `GP_CODE, GP_NAME, SUPPLIER, PCN_CODE, PCN_NAME, SUB_ICB_LOCATION_CODE,
//! SUB_ICB_LOCATION_NAME, ICB_CODE, ICB_NAME, REGION_CODE, REGION_NAME`.
//! CCG-era aliases (`CCG_CODE`, `CCG_NAME`, `STP_CODE`, `STP_NAME`) are
//! accepted but **not verified** against a real older file.
//!
//! Gives a [`PracticeFact`] (name, supplier, sub-ICB, ICB, region and their
//! names), a [`MembershipObservation`] (PCN `U` kept) and a name-only
//! [`NetworkFact`] per real PCN.
//!
//! The real file lists some practices on two or three rows that differ only
//! in `SUPPLIER` (August 2025: 6,196 rows, 6,166 practices; for example
//! `TPP` and `TPP/EMIS`). Such rows are merged into one practice whose
//! supplier lists each system once, in order of appearance (`TPP/EMIS`);
//! rows for one practice that disagree on anything else are a problem.
//!
//! The file has no date: `--as-at`, else a month in its path (see `pathdate`).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use pcn_core::{FactBatch, PcnCode, PracticeCode, PracticeFact};

use crate::ctx::{text, Ctx};
use crate::decode::geography::Columns;
use crate::decode::Table;
use crate::pathdate::as_at_or_path;
use crate::registration::{count_unallocated, push_membership};

pub(crate) fn read(ctx: &mut Ctx, table: &Table) -> (FactBatch, Option<NaiveDate>) {
    let mut batch = FactBatch::default();
    let date = as_at_or_path(ctx);
    let d = date.unwrap_or(NaiveDate::MIN);
    let Some([practice_col, pcn_col]) =
        table.require_all([&["GP_CODE"], &["PCN_CODE"]], &mut ctx.problems)
    else {
        return (batch, None);
    };
    let name_col = table.col(&["GP_NAME"]);
    let supplier_col = table.col(&["SUPPLIER", "SUPPLIER_NAME"]);
    let pcn_name_col = table.col(&["PCN_NAME"]);
    let geography = Columns::find(
        table,
        ["REGION_CODE", "COMM_REGION_CODE"],
        ["REGION_NAME", "COMM_REGION_NAME"],
    );

    // practice → (index in batch.practices, first row)
    let mut seen: HashMap<PracticeCode, (usize, u64)> = HashMap::new();
    let mut networks: HashSet<PcnCode> = HashSet::new();
    let mut merged = 0u64;
    ctx.rows(table, |ctx, row, rec| {
        let practice = ctx.code_in(row, &practice_col, rec, PracticeCode::parse);
        let pcn = ctx.code_in(row, &pcn_col, rec, PcnCode::parse);
        let codes = geography.codes(ctx, row, rec);
        let (Some(practice), Some(pcn)) = (practice, pcn) else {
            return true;
        };
        let mut fact = PracticeFact::new(practice.clone(), d);
        fact.name = text(rec, name_col.as_ref());
        fact.supplier = text(rec, supplier_col.as_ref());
        geography.set(&mut fact, codes, rec);

        if let Some(&(i, first_row)) = seen.get(&practice) {
            let earlier_pcn = batch
                .observations
                .iter()
                .find(|o| o.practice == practice)
                .map(|o| o.pcn.clone());
            let Some(earlier) = batch.practices.get_mut(i) else {
                return true;
            };
            let same_but_supplier = PracticeFact {
                supplier: earlier.supplier.clone(),
                ..fact.clone()
            } == *earlier
                && earlier_pcn.as_ref() == Some(&pcn);
            if same_but_supplier {
                earlier.supplier = merge_suppliers(earlier.supplier.take(), fact.supplier);
                merged = merged.saturating_add(1);
            } else {
                ctx.problems.cell(
                    row,
                    &practice_col.name,
                    practice.as_str(),
                    format!(
                        "practice listed again (first on row {first_row}) with a different \
                         network, name or commissioner"
                    ),
                );
            }
            return true;
        }
        seen.insert(practice.clone(), (batch.practices.len(), row));
        batch.practices.push(fact);
        push_membership(&mut batch, &mut networks, practice, pcn, d, || {
            text(rec, pcn_name_col.as_ref())
        });
        true
    });
    if merged > 0 {
        ctx.notes.push(format!(
            "{merged} rows repeat a practice with another GP system supplier; merged into one \
             practice each ({} practices)",
            batch.practices.len()
        ));
    }
    ctx.note_count(
        count_unallocated(&batch),
        "practices are in no network (PCN code U)",
    );
    (batch, date)
}

/// `TPP` + `TPP/EMIS` → `TPP/EMIS`: each system once, in order of appearance.
fn merge_suppliers(a: Option<String>, b: Option<String>) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for s in a.iter().chain(b.iter()) {
        for part in s.split('/').map(str::trim).filter(|p| !p.is_empty()) {
            if !parts.iter().any(|p| p.eq_ignore_ascii_case(part)) {
                parts.push(part.to_string());
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppliers_merge() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(merge_suppliers(s("TPP"), s("TPP/EMIS")), s("TPP/EMIS"));
        assert_eq!(merge_suppliers(s("EMIS/TPP"), s("TPP")), s("EMIS/TPP"));
        assert_eq!(merge_suppliers(None, s("EMIS")), s("EMIS"));
        assert_eq!(merge_suppliers(None, None), None);
    }
}
