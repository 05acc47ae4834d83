//! The access checks every route makes: a refusal is a 403 and an audit row.

use chrono::Utc;
use pcn_core::access::{allows, Action, Target};
use pcn_store::AuditChange;

use crate::error::AppError;
use crate::state::{AppState, Session};

/// Writes the refusal to the audit log and returns the 403.
pub async fn refuse(state: &AppState, me: &Session, path: &str, why: &str) -> AppError {
    let change = AuditChange {
        action: "refused".into(),
        entity: "access".into(),
        entity_key: path.chars().take(200).collect(),
        before_value: None,
        after_value: None,
        detail: Some(format!(
            "{} ({} {}): {why}",
            me.account.username, me.account.role, me.account.scope
        )),
    };
    if let Err(e) = state
        .store
        .record_audit(Utc::now(), &me.account.username, &change)
        .await
    {
        return AppError::Internal(e);
    }
    AppError::Forbidden(format!(
        "Your account ({} for {}) cannot {why}. The attempt has been logged.",
        me.account.role, me.account.scope
    ))
}

/// Refuses (and logs) unless the policy allows the action.
pub async fn check(
    state: &AppState,
    me: &Session,
    action: Action,
    target: Target<'_>,
    path: &str,
) -> Result<(), AppError> {
    if allows(&me.account, action, target) {
        return Ok(());
    }
    let what = match action {
        Action::View => "see this page",
        Action::EditRoster => "change this network's roster",
        Action::ApproveClaims => "approve claims",
        Action::ViewAudit => "read the audit log",
        Action::Import => "import files",
    };
    Err(refuse(state, me, path, what).await)
}

/// A network as at the pages' date, if the account may do `action` to it.
/// A scoped account gets the same refusal whether or not it exists.
pub async fn network<'a>(
    state: &AppState,
    me: &Session,
    data: &'a crate::state::Data,
    raw: &str,
    action: Action,
    path: &str,
) -> Result<&'a pcn_core::registry::NetworkView, AppError> {
    let code = pcn_core::PcnCode::parse(raw).map_err(|e| AppError::NotFound(e.to_string()))?;
    match data.snapshot.networks.get(&code) {
        Some(n) => {
            check(state, me, action, Target::Network(n), path).await?;
            Ok(n)
        }
        None if me.account.scope != pcn_core::access::Scope::All => {
            Err(refuse(state, me, path, "see that network").await)
        }
        None => Err(AppError::NotFound(format!(
            "There is no network {code} as at {}.",
            data.as_at
        ))),
    }
}

/// A practice as at the pages' date, if the account may see it.
pub async fn practice<'a>(
    state: &AppState,
    me: &Session,
    data: &'a crate::state::Data,
    raw: &str,
    path: &str,
) -> Result<&'a pcn_core::registry::PracticeView, AppError> {
    let code = pcn_core::PracticeCode::parse(raw).map_err(|e| AppError::NotFound(e.to_string()))?;
    match data.snapshot.practices.get(&code) {
        Some(p) => {
            let nets = data.networks_of(&code);
            check(state, me, Action::View, Target::Practice(p, &nets), path).await?;
            Ok(p)
        }
        None if me.account.scope != pcn_core::access::Scope::All => {
            Err(refuse(state, me, path, "see that practice").await)
        }
        None => Err(AppError::NotFound(format!(
            "There is no practice {code} as at {}.",
            data.as_at
        ))),
    }
}

/// Checks a submitted form's tokens; a forged or replayed form is logged.
pub async fn form(
    state: &AppState,
    me: &Session,
    csrf: &str,
    form_token: &str,
    path: &str,
) -> Result<(), AppError> {
    match state.check_form(me, csrf, form_token) {
        Ok(()) => Ok(()),
        Err(AppError::Forged(why)) => {
            let change = AuditChange {
                action: "refused".into(),
                entity: "access".into(),
                entity_key: path.chars().take(200).collect(),
                before_value: None,
                after_value: None,
                detail: Some(format!("forged or replayed form: {why}")),
            };
            state
                .store
                .record_audit(Utc::now(), &me.account.username, &change)
                .await?;
            Err(AppError::Forged(format!(
                "Nothing was changed: {why}. The attempt has been logged."
            )))
        }
        Err(e) => Err(e),
    }
}

/// A commissioner code from a path, if the account may see it. A scoped
/// account gets the same refusal for a code that is not one.
pub async fn commissioner(
    state: &AppState,
    me: &Session,
    raw: &str,
    path: &str,
) -> Result<pcn_core::CommissionerCode, AppError> {
    match pcn_core::CommissionerCode::parse(raw) {
        Ok(code) => {
            check(state, me, Action::View, Target::Commissioner(&code), path).await?;
            Ok(code)
        }
        Err(_) if me.account.scope != pcn_core::access::Scope::All => {
            Err(refuse(state, me, path, "see that commissioner").await)
        }
        Err(e) => Err(AppError::NotFound(e.to_string())),
    }
}
