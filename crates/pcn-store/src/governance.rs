//! Governance facts: the clinical director, payee, agreements and the rest
//! that the official files lack, each effective from a date, appended with
//! who recorded it and when, and audited with the value before and after.

use chrono::{DateTime, Utc};
use pcn_core::facts::{GovernanceFact, GovernanceField};
use pcn_core::PcnCode;
use sqlx::AnyConnection;

use crate::audit::AuditChange;
use crate::error::Result;
use crate::write::{fetch_mapped, text, Batch, Value, Write};
use crate::Store;

impl Store {
    /// Records governance facts entered by hand, with an audit entry for each
    /// showing the value before and after, in one transaction.
    pub async fn record_governance(
        &self,
        facts: &[GovernanceFact],
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        if self.one_shot_writes() && facts.len() <= BATCH_MOST {
            let batch = governance_batch(&at.to_rfc3339(), actor, None, facts);
            self.one_shot(batch, "writing governance facts".into())
                .await?;
            return Ok(());
        }
        let mut w = self.write(at, actor).await?;
        write_governance(&mut w, None, facts).await?;
        w.commit().await
    }

    /// Governance facts with who recorded them and when, oldest first; for one network or all.
    pub async fn governance_rows(
        &self,
        pcn: Option<&PcnCode>,
    ) -> Result<Vec<(GovernanceFact, String, String)>> {
        governance_rows_of(&mut *self.pool.acquire().await?, pcn).await
    }
}

/// Governance facts with who recorded them and when, oldest first.
pub(crate) async fn governance_rows_of(
    conn: &mut AnyConnection,
    pcn: Option<&PcnCode>,
) -> Result<Vec<(GovernanceFact, String, String)>> {
    let query = sqlx::query(
        "SELECT pcn_code, field, value, effective_from, recorded_at, recorded_by FROM governance_fact \
         WHERE $1 = '' OR pcn_code = $1 ORDER BY id",
    )
    .bind(pcn.map(|p| p.to_string()).unwrap_or_default());
    fetch_mapped(conn, query, "governance_fact", |c| {
        let fact = GovernanceFact {
            pcn: c.parse("pcn_code")?,
            field: c.named("field", GovernanceField::from_name)?,
            value: c.text("value")?,
            effective_from: c.parse("effective_from")?,
        };
        Ok((fact, c.text("recorded_at")?, c.text("recorded_by")?))
    })
    .await
}

/// Appends governance facts (of an import, or entered by hand) and audits
/// each with the value in force on its date before it.
pub(crate) async fn write_governance(
    w: &mut Write<'_>,
    import_id: Option<i64>,
    facts: &[GovernanceFact],
) -> Result<()> {
    if w.batches() && facts.len() <= BATCH_MOST {
        let batch = governance_batch(&w.at_text(), w.actor, import_id, facts);
        return w
            .execute_batch(&batch.sql, batch.values, "writing governance facts")
            .await;
    }
    for fact in facts {
        let query = sqlx::query(
            "SELECT value FROM governance_fact WHERE pcn_code = $1 AND field = $2 AND effective_from <= $3 \
             ORDER BY effective_from DESC, id DESC LIMIT 1",
        )
        .bind(fact.pcn.to_string())
        .bind(fact.field.name())
        .bind(fact.effective_from.to_string());
        let before = fetch_mapped(w.conn(), query, "governance_fact", |c| c.text("value"))
            .await?
            .pop();
        let row = fact_row(&w.at_text(), w.actor, import_id, fact);
        w.insert("governance_fact", FACT_COLUMNS, row).await?;
        w.audit(
            AuditChange::new(
                "set",
                "network",
                format!("{} {}", fact.pcn, fact.field.name()),
            )
            .before(before.filter(|v| !v.is_empty()))
            .after(Some(fact.value.clone()).filter(|v| !v.is_empty()))
            .detail(Some(format!("effective from {}", fact.effective_from))),
        )
        .await?;
    }
    Ok(())
}

/// The most facts written as one batch of statements (SQLite).
const BATCH_MOST: usize = 64;

/// As [`write_governance`], as one batch of statements for SQLite: each
/// fact's audit row (its value before read in SQL, as in force before the
/// fact) and then the fact.
fn governance_batch(
    at: &str,
    actor: &str,
    import_id: Option<i64>,
    facts: &[GovernanceFact],
) -> Batch {
    let mut batch = Batch::default();
    let (sql, values) = (&mut batch.sql, &mut batch.values);
    for fact in facts {
        sql.push_str(&format!(
            "INSERT INTO audit_log (at, actor, action, entity, entity_key, before_value, after_value, detail) \
             VALUES (?, ?, 'set', 'network', ?, NULLIF((SELECT value FROM governance_fact \
             WHERE pcn_code = ? AND field = ? AND effective_from <= ? \
             ORDER BY effective_from DESC, id DESC LIMIT 1), ''), ?, ?);\n\
             INSERT INTO governance_fact ({FACT_COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?);\n"
        ));
        values.extend([
            text(at),
            text(actor),
            text(format!("{} {}", fact.pcn, fact.field.name())),
            text(&fact.pcn),
            text(fact.field.name()),
            text(fact.effective_from),
            Value::Text(Some(fact.value.clone()).filter(|v| !v.is_empty())),
            text(format!("effective from {}", fact.effective_from)),
        ]);
        values.extend(fact_row(at, actor, import_id, fact));
    }
    batch
}

/// The columns of a governance fact as written, and its values.
const FACT_COLUMNS: &str =
    "import_id, pcn_code, field, value, effective_from, recorded_at, recorded_by";

fn fact_row(at: &str, actor: &str, import_id: Option<i64>, fact: &GovernanceFact) -> Vec<Value> {
    vec![
        Value::Int(import_id),
        text(&fact.pcn),
        text(fact.field.name()),
        text(&fact.value),
        text(fact.effective_from),
        text(at),
        text(actor),
    ]
}
