//! The audit log: every change made through the CLI or the web app, with
//! who, when, what, and the value before and after. Changes write their
//! rows through `Write::audit`, in their own transaction; events that change
//! nothing else (a refused request) are written with `record_audit`.

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::rows::from_columns;
use crate::Store;

/// A row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub detail: Option<String>,
}

/// A change to record in the audit log.
#[derive(Debug, Clone)]
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

    /// The audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let query = sqlx::query(
            "SELECT id, at, actor, action, entity, entity_key, before_value, after_value, detail \
             FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit);
        self.fetch(query, "audit_log", |c| {
            Ok(from_columns!(c => AuditEntry {
                id: int, at: text, actor: text, action: text, entity: text, entity_key: text,
                before_value: opt_text, after_value: opt_text, detail: opt_text,
            }))
        })
        .await
    }
}
