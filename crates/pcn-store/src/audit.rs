//! The audit log: every change made through the CLI or the web app, with
//! who, when, what, and the value before and after. Changes write their
//! rows through `Write::audit`, in their own transaction; events that change
//! nothing else are written with `record_audit`.
//!
//! Refusals (a request the policy refused, a forged form, a locked-out
//! login) are counted, not listed: one row per actor, subject and time
//! window, its `occurrences` going up (`record_refusal`), so whoever sends
//! thousands of them makes one row, and real changes stay in view. Readers
//! ask for changes and refusals apart (`audit_changes`, `audit_refusals`).

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::error::{Doing, Result};
use crate::rows::from_columns;
use crate::write::Write;
use crate::Store;

/// A row of the audit log (the web API serves it as it is, as `AuditRow`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema), schema(as = AuditRow))]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    /// What was changed, from what to what (written out among the row's
    /// own fields).
    #[serde(flatten)]
    pub change: AuditChange,
    /// How many events the row counts: refusals are counted in one row per
    /// account, subject and time window (a quarter hour on the web); 1 for a
    /// change.
    pub occurrences: i64,
}

/// A change to record in the audit log, or the change a row records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct AuditChange {
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub detail: Option<String>,
}

impl AuditChange {
    /// A change of `entity` `entity_key` by `action`, with nothing before,
    /// after or in detail yet.
    pub fn new(
        action: impl Into<String>,
        entity: impl Into<String>,
        entity_key: impl Into<String>,
    ) -> AuditChange {
        AuditChange {
            action: action.into(),
            entity: entity.into(),
            entity_key: entity_key.into(),
            before_value: None,
            after_value: None,
            detail: None,
        }
    }

    /// The value before the change.
    pub fn before(mut self, value: Option<String>) -> AuditChange {
        self.before_value = value;
        self
    }

    /// The value after the change.
    pub fn after(mut self, value: Option<String>) -> AuditChange {
        self.after_value = value;
        self
    }

    /// What else there is to say.
    pub fn detail(mut self, detail: Option<String>) -> AuditChange {
        self.detail = detail;
        self
    }
}

/// Counts one event in the audit row of `key` within the window holding
/// the write's time: the first makes the row (dated the window's start),
/// each later one adds to its count and replaces its detail. `noun` names
/// one event and many (`("refused login", "refused logins")`).
pub(crate) async fn count_in_window(
    w: &mut Write<'_>,
    key: &str,
    window: Duration,
    change: &AuditChange,
    noun: (&str, &str),
) -> Result<()> {
    let start = w.at.duration_trunc(window).unwrap_or(w.at);
    let key = format!("{key} {}", start.to_rfc3339());
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, entity, entity_key, after_value, detail, occurrences, aggregate_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) \
         ON CONFLICT (aggregate_key) DO UPDATE SET occurrences = audit_log.occurrences + 1, \
             after_value = CAST(audit_log.occurrences + 1 AS TEXT) || $9, \
             detail = excluded.detail",
    )
    .bind(start.to_rfc3339())
    .bind(w.actor.to_string())
    .bind(&change.action)
    .bind(&change.entity)
    .bind(change.entity_key.chars().take(200).collect::<String>())
    .bind(format!("1 {}", noun.0))
    .bind(change.detail.clone().map(|d| {
        format!(
            "{d} (counted from {} to {})",
            start.to_rfc3339(),
            (start + window).to_rfc3339()
        )
    }))
    .bind(key)
    .bind(format!(" {}", noun.1))
    .execute(w.conn())
    .await
    .doing("counting a refusal")?;
    Ok(())
}

const AUDIT_SELECT: &str = "SELECT id, at, actor, action, entity, entity_key, before_value, \
     after_value, detail, occurrences FROM audit_log";

impl Store {
    /// Writes one audit row on its own (a refused request, a login), for
    /// events that change nothing else.
    pub async fn record_audit(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        change: &AuditChange,
    ) -> Result<()> {
        let mut write = self.write(at, actor).await?;
        write.audit(change.clone()).await?;
        write.commit().await
    }

    /// Counts a refused request (`change.action` is `refused`) of `actor`
    /// on `change.entity_key` in the row of that actor, subject and window.
    pub async fn record_refusal(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        change: &AuditChange,
        window: Duration,
    ) -> Result<()> {
        let mut w = self.write(at, actor).await?;
        let key = format!(
            "{} {} {actor} {}",
            change.action, change.entity, change.entity_key
        );
        let noun = ("refused request", "refused requests");
        count_in_window(&mut w, &key, window, change, noun).await?;
        w.commit().await
    }

    /// The audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit_where("", limit).await
    }

    /// The changes in the audit log (every row but refusals), newest first.
    pub async fn audit_changes(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit_where("WHERE action <> 'refused'", limit).await
    }

    /// The refusals in the audit log, newest first.
    pub async fn audit_refusals(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit_where("WHERE action = 'refused'", limit).await
    }

    /// The changes of facts (what `DataVersion::facts` counts: governance,
    /// agreements, assessments, service records, alignments, imports) with
    /// ids above `after_id`, oldest first. As with
    /// [`Store::arrs_changes_after`], a row committed late with a smaller id
    /// is not here, and the count tells a reader it missed one.
    pub async fn fact_changes_after(&self, after_id: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit_where(
            &format!(
                "WHERE id > {after_id} AND entity NOT IN ('access', 'login', 'account') \
                 AND entity NOT LIKE 'arrs-%'"
            ),
            -limit,
        )
        .await
    }

    /// The ARRS changes (rows of `arrs-…` entities) with ids above
    /// `after_id`, oldest first: what a server that has seen everything up to
    /// `after_id` must recompute. A row committed late with a smaller id is
    /// not here; `DataVersion::arrs` counts every such row, so a reader can
    /// tell it missed one.
    pub async fn arrs_changes_after(&self, after_id: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit_where(
            &format!("WHERE id > {after_id} AND entity LIKE 'arrs-%'"),
            -limit,
        )
        .await
    }

    /// Rows matching `filter`, newest first, or oldest first for a
    /// negative `limit` (of its absolute value).
    async fn audit_where(&self, filter: &str, limit: i64) -> Result<Vec<AuditEntry>> {
        let order = if limit < 0 { "ASC" } else { "DESC" };
        let sql = format!("{AUDIT_SELECT} {filter} ORDER BY id {order} LIMIT $1");
        let query = sqlx::query(&sql).bind(limit.abs());
        self.fetch(query, "audit_log", |c| {
            let change = from_columns!(c => AuditChange {
                action: text, entity: text, entity_key: text, before_value: opt_text,
                after_value: opt_text, detail: opt_text,
            });
            Ok(from_columns!(c => AuditEntry {
                id: int, at: text, actor: text, change => change, occurrences: int,
            }))
        })
        .await
    }
}
