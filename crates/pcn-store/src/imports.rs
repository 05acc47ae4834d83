//! The import log and writing an import: the log row, the registry's facts
//! (practices, networks, memberships, list sizes), the funding inputs, the
//! census's roster, governance facts and service records, all in one
//! transaction.

use chrono::{DateTime, NaiveDate, Utc};
use pcn_core::facts::*;
use pcn_core::rulebook::Rulebook;

use crate::audit::AuditChange;
use crate::error::Result;
use crate::rows::from_columns;
use crate::rows::{micro_degrees, Columns};
use crate::write::{count, fetch_mapped, opt_text, text, Value, Write};
use crate::Store;

/// A row of the import log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub sha256: String,
    pub file_name: String,
    pub kind: String,
    pub data_date: NaiveDate,
    pub rows_read: i64,
    pub facts: i64,
    pub imported_at: String,
    pub imported_by: String,
}

/// What an import is, before it is written.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    pub sha256: &'a str,
    pub file_name: &'a str,
    pub kind: SourceKind,
    pub data_date: NaiveDate,
    pub rows_read: u64,
    pub imported_at: DateTime<Utc>,
    pub imported_by: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Written as a new import with this id.
    Written(i64),
    /// The same content was imported before; nothing was written.
    AlreadyImported(ImportRecord),
}

const IMPORT_SELECT: &str =
    "SELECT id, sha256, file_name, kind, data_date, rows_read, facts, imported_at, imported_by FROM import_log";

fn import_record(c: &Columns) -> Result<ImportRecord> {
    Ok(from_columns!(c => ImportRecord {
        id: int, sha256: text, file_name: text, kind: text, data_date: parse, rows_read: int,
        facts: int, imported_at: text, imported_by: text,
    }))
}

/// The import with this content hash, if any, as the connection sees it.
async fn import_by_hash(
    conn: &mut sqlx::AnyConnection,
    sha256: &str,
) -> Result<Option<ImportRecord>> {
    let sql = format!("{IMPORT_SELECT} WHERE sha256 = $1");
    let query = sqlx::query(&sql).bind(sha256);
    Ok(fetch_mapped(conn, query, "import_log", import_record)
        .await?
        .pop())
}

impl Store {
    /// The import with this content hash, if any.
    pub async fn find_import(&self, sha256: &str) -> Result<Option<ImportRecord>> {
        import_by_hash(&mut *self.pool.acquire().await?, sha256).await
    }

    /// The import log, oldest first.
    pub async fn imports(&self) -> Result<Vec<ImportRecord>> {
        let sql = format!("{IMPORT_SELECT} ORDER BY id");
        let query = sqlx::query(&sql);
        self.fetch(query, "import_log", import_record).await
    }

    /// Writes an import and its facts in one transaction, or nothing if the
    /// same content was imported before. A workforce census seeds the ARRS
    /// rosters with the roles `rulebook` reimburses in the census's year.
    pub async fn write_import(
        &self,
        import: &NewImport<'_>,
        facts: &FactBatch,
        rulebook: &Rulebook,
    ) -> Result<ImportOutcome> {
        let mut w = self.write(import.imported_at, import.imported_by).await?;
        // The same file imported twice at once: the second waits, then finds the first.
        w.lock(&format!("import {}", import.sha256)).await?;
        if let Some(existing) = import_by_hash(w.conn(), import.sha256).await? {
            return Ok(ImportOutcome::AlreadyImported(existing));
        }
        let id = w
            .insert(
                "import_log",
                "sha256, file_name, kind, data_date, rows_read, facts, imported_at, \
             imported_by",
                vec![
                    text(import.sha256),
                    text(import.file_name),
                    text(import.kind.name()),
                    text(import.data_date),
                    count(import.rows_read)?,
                    count(facts.len() as u64)?,
                    text(w.at_text()),
                    text(import.imported_by),
                ],
            )
            .await?;
        write_registry_facts(&mut w, id, facts).await?;
        crate::funding::write_funding_inputs(&mut w, id, facts).await?;
        crate::remittances::write_remittances(&mut w, id, &facts.remittances).await?;
        crate::appointments::write_appointments(&mut w, id, facts).await?;
        crate::census::seed_census(&mut w, id, &facts.workforce, rulebook).await?;
        crate::governance::write_governance(&mut w, Some(id), &facts.governance).await?;
        crate::services::write_services(&mut w, id, facts).await?;
        w.audit(
            AuditChange::new("import", "file", import.file_name)
                .after(Some(format!("{} facts", facts.len())))
                .detail(Some(format!(
                    "kind {}, data date {}, sha256 {}",
                    import.kind.name(),
                    import.data_date,
                    import.sha256
                ))),
        )
        .await?;
        w.commit().await?;
        Ok(ImportOutcome::Written(id))
    }
}

/// Practices, networks, memberships and list sizes.
async fn write_registry_facts(w: &mut Write<'_>, id: i64, facts: &FactBatch) -> Result<()> {
    w.insert_facts(
        id,
        "practice_fact",
        PRACTICE_COLUMNS,
        &facts.practices,
        |f| Ok(practice_row(f)),
    )
    .await?;
    let columns = "pcn_code, as_at, name, sub_icb, open_date, close_date, postcode";
    w.insert_facts(id, "network_fact", columns, &facts.networks, |f| {
        Ok(vec![
            text(&f.code),
            text(f.as_at),
            opt_text(&f.name),
            opt_text(&f.sub_icb),
            opt_text(&f.open_date),
            opt_text(&f.close_date),
            opt_text(&f.postcode),
        ])
    })
    .await?;
    let columns = "practice_code, pcn_code, start_date, end_date";
    w.insert_facts(id, "membership_interval", columns, &facts.intervals, |f| {
        Ok(vec![
            text(&f.practice),
            text(&f.pcn),
            text(f.start),
            opt_text(&f.end),
        ])
    })
    .await?;
    let columns = "practice_code, pcn_code, as_at";
    w.insert_facts(
        id,
        "membership_observation",
        columns,
        &facts.observations,
        |f| Ok(vec![text(&f.practice), text(&f.pcn), text(f.as_at)]),
    )
    .await?;
    let bands: Vec<String> = (0..AGE_BANDS.len()).map(|b| format!("b{b:02}")).collect();
    let columns = format!("practice_code, as_at, sex, total, {}", bands.join(", "));
    w.insert_facts(id, "list_size", &columns, &facts.list_sizes, list_size_row)
        .await
}

const PRACTICE_COLUMNS: &str = "practice_code, as_at, name, postcode, sub_icb, sub_icb_name, icb, \
             icb_name, region, region_name, open_date, close_date, status, \
             prescribing_setting, supplier, lat_e6, lon_e6";

fn practice_row(f: &PracticeFact) -> Vec<Value> {
    vec![
        text(&f.code),
        text(f.as_at),
        opt_text(&f.name),
        opt_text(&f.postcode),
        opt_text(&f.sub_icb),
        opt_text(&f.sub_icb_name),
        opt_text(&f.icb),
        opt_text(&f.icb_name),
        opt_text(&f.region),
        opt_text(&f.region_name),
        opt_text(&f.open_date),
        opt_text(&f.close_date),
        Value::Text(f.status.map(|s| s.code().to_string())),
        Value::Int(f.prescribing_setting.map(i64::from)),
        opt_text(&f.supplier),
        Value::Int(f.location.map(|l| micro_degrees(l.lat))),
        Value::Int(f.location.map(|l| micro_degrees(l.lon))),
    ]
}

fn list_size_row(f: &ListSizeFact) -> Result<Vec<Value>> {
    let mut row = vec![
        text(&f.practice),
        text(f.as_at),
        text(f.sex.code()),
        count(f.total)?,
    ];
    for band in 0..AGE_BANDS.len() {
        row.push(match &f.bands {
            Some(bands) => count(bands[band])?,
            None => Value::Int(None),
        });
    }
    Ok(row)
}
