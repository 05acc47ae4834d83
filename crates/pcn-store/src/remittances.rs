//! Networks' remittances (migration 0010): the rows of each remittance CSV,
//! written with their import and read back by financial year for a
//! reconciliation. They are not registry facts, so they stay out of the
//! registry cache.

use pcn_core::facts::Remittance;
use pcn_core::rulebook::FinancialYear;
use pcn_core::PcnCode;

use crate::error::Result;
use crate::rows::from_columns;
use crate::write::{count, int, text, Write};
use crate::Store;

/// Writes an import's remittance rows.
pub(crate) async fn write_remittances(
    w: &mut Write<'_>,
    id: i64,
    rows: &[Remittance],
) -> Result<()> {
    let columns = "file_row, pcn_code, month, stream, amount_pence";
    w.insert_facts(id, "remittance", columns, rows, |r| {
        Ok(vec![
            count(r.row)?,
            text(&r.pcn),
            text(r.month),
            text(&r.stream),
            int(r.amount.0),
        ])
    })
    .await
}

impl Store {
    /// The remittance rows for months of `year`, of one network or all, in
    /// the order they were imported.
    pub async fn remittances(
        &self,
        year: FinancialYear,
        pcn: Option<&PcnCode>,
    ) -> Result<Vec<Remittance>> {
        let mut sql = String::from(
            "SELECT file_row, pcn_code, month, stream, amount_pence FROM remittance \
             WHERE month >= $1 AND month <= $2",
        );
        if pcn.is_some() {
            sql.push_str(" AND pcn_code = $3");
        }
        sql.push_str(" ORDER BY import_id, file_row");
        let mut query = sqlx::query(&sql)
            .bind(year.start().to_string())
            .bind(year.end().to_string());
        if let Some(p) = pcn {
            query = query.bind(p.to_string());
        }
        self.fetch(query, "remittance", |c| {
            Ok(from_columns!(c => Remittance {
                pcn: parse("pcn_code"), month: parse, stream: parse,
                amount => pcn_core::money::Pence(c.int("amount_pence")?), row: count("file_row"),
            }))
        })
        .await
    }
}
