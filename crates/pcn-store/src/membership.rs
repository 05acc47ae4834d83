//! Membership changes recorded by hand: a practice joins, moves to or
//! leaves a network from a date (table `membership_change`, migration 0013).

use chrono::{DateTime, Utc};
use pcn_core::facts::MembershipChange;
use pcn_core::PracticeCode;
use sqlx::AnyConnection;

use crate::audit::AuditChange;
use crate::error::Result;
use crate::rows::from_columns;
use crate::write::{fetch_mapped, opt_text, text, Insert};
use crate::Store;

/// A membership change as the store holds it: the fact, and who recorded
/// it, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedMembershipChange {
    pub change: MembershipChange,
    pub note: Option<String>,
    pub recorded_at: String,
    pub recorded_by: String,
}

impl Store {
    /// Records a membership change with its audit row: the practice's
    /// networks on the date before it (`before`, as the caller read them)
    /// and after.
    pub async fn record_membership_change(
        &self,
        change: &MembershipChange,
        note: Option<&str>,
        before: Option<String>,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let row = Insert {
            table: "membership_change",
            columns: "practice_code, pcn_code, effective_from, note, recorded_at, recorded_by",
            values: vec![
                text(&change.practice),
                text(&change.pcn),
                text(change.effective_from),
                opt_text(&note),
                text(at.to_rfc3339()),
                text(actor),
            ],
        };
        let detail = match note {
            Some(note) => format!("effective from {}: {note}", change.effective_from),
            None => format!("effective from {}", change.effective_from),
        };
        let audit = AuditChange::new("move", "practice", change.practice.to_string())
            .before(before)
            .after(Some(change.pcn.to_string()))
            .detail(Some(detail));
        self.insert_audited(at, actor, row, audit).await
    }

    /// The membership changes recorded by hand, in the order recorded; of
    /// one practice, or of all.
    pub async fn membership_changes(
        &self,
        practice: Option<&PracticeCode>,
    ) -> Result<Vec<RecordedMembershipChange>> {
        membership_changes_of(&mut *self.pool.acquire().await?, practice).await
    }
}

/// The membership changes recorded by hand, in the order recorded.
pub(crate) async fn membership_changes_of(
    conn: &mut AnyConnection,
    practice: Option<&PracticeCode>,
) -> Result<Vec<RecordedMembershipChange>> {
    let query = sqlx::query(
        "SELECT practice_code, pcn_code, effective_from, note, recorded_at, recorded_by \
         FROM membership_change WHERE $1 = '' OR practice_code = $1 ORDER BY recorded_at",
    )
    .bind(practice.map(|p| p.to_string()).unwrap_or_default());
    fetch_mapped(conn, query, "membership_change", |c| {
        let change = from_columns!(c => MembershipChange {
            practice: parse("practice_code"), pcn: parse("pcn_code"), effective_from: parse,
        });
        Ok(RecordedMembershipChange {
            change,
            note: c.opt_text("note")?,
            recorded_at: c.text("recorded_at")?,
            recorded_by: c.text("recorded_by")?,
        })
    })
    .await
}
