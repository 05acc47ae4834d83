//! Membership changes recorded by hand: a practice joins, moves to or
//! leaves a network from a date, as its commissioner decided, before (or
//! beside) the official files showing it. Each is appended with who, when
//! and why, never overwritten, and audited; the registry weighs it as dated
//! evidence ([`pcn_core::registry`]), so newer official files win over it.

use chrono::{NaiveDate, Utc};
use pcn_core::facts::MembershipChange;
use pcn_core::registry::Registry;
use pcn_core::{PcnCode, PracticeCode};

use crate::governance::require_network;
use crate::{App, Error, Result};

/// A membership change to record: from `effective_from`, `practice` is in
/// `pcn` alone, or in no network when `pcn` is the `U` placeholder.
#[derive(Debug, Clone)]
pub struct MembershipInput {
    pub practice: PracticeCode,
    pub pcn: PcnCode,
    pub effective_from: NaiveDate,
    /// Why (the commissioner's decision, a merger): kept with the change.
    pub note: Option<String>,
}

/// A membership change checked against the registry, ready to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedChange {
    pub change: MembershipChange,
    pub note: Option<String>,
    /// The networks the practice was in on the date before the change
    /// (empty: none; `U`: the placeholder).
    pub before: Vec<PcnCode>,
}

impl CheckedChange {
    /// The networks before, as the audit log says them.
    pub fn before_text(&self) -> Option<String> {
        (!self.before.is_empty()).then(|| {
            self.before
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}

/// The change `input` records, checked against `registry` before anything
/// is written: the practice is known, the network is known (or is `U`),
/// the note is one line, and the change changes something.
pub fn membership_change_in(registry: &Registry, input: &MembershipInput) -> Result<CheckedChange> {
    if !registry.knows_practice(&input.practice) {
        return Err(Error::NotFound(format!(
            "there is no practice {} in the registry (check the code; `pcn practice CODE` shows one)",
            input.practice
        )));
    }
    if !input.pcn.is_unallocated() {
        require_network(registry, &input.pcn)?;
    }
    let note = pcn_core::text::check_opt_line("the note", input.note.as_deref(), 1_000)
        .map_err(|e| Error::invalid(e.to_string()))?
        .map(str::to_string);
    let date = input.effective_from;
    let (before, _) = registry.membership_at(&input.practice, date);
    let leaving = input.pcn.is_unallocated();
    let already = if leaving {
        before.iter().all(PcnCode::is_unallocated)
    } else {
        before == [input.pcn.clone()]
    };
    if already {
        return Err(Error::Conflict(match leaving {
            true => format!("{} is in no network on {date} already", input.practice),
            false => format!(
                "{} is in {} on {date} already (and in no other)",
                input.practice, input.pcn
            ),
        }));
    }
    Ok(CheckedChange {
        change: MembershipChange {
            practice: input.practice.clone(),
            pcn: input.pcn.clone(),
            effective_from: date,
        },
        note,
        before: registry
            .membership_at(&input.practice, date.pred_opt().unwrap_or(date))
            .0,
    })
}

impl App {
    /// Records a membership change; returns it as checked and recorded.
    pub async fn record_membership_change(
        &self,
        input: &MembershipInput,
        actor: &str,
    ) -> Result<CheckedChange> {
        let checked = membership_change_in(&self.registry().await?, input)?;
        self.record_checked_membership_change(&checked, actor)
            .await?;
        Ok(checked)
    }

    /// Records a change [`membership_change_in`] has checked.
    pub async fn record_checked_membership_change(
        &self,
        checked: &CheckedChange,
        actor: &str,
    ) -> Result<()> {
        self.store
            .record_membership_change(
                &checked.change,
                checked.note.as_deref(),
                checked.before_text(),
                Utc::now(),
                actor,
            )
            .await?;
        Ok(())
    }

    /// The membership changes recorded by hand, in the order recorded; of
    /// one practice, or of all.
    pub async fn membership_changes(
        &self,
        practice: Option<&PracticeCode>,
    ) -> Result<Vec<pcn_store::RecordedMembershipChange>> {
        Ok(self.store.membership_changes(practice).await?)
    }
}
