//! The web app's tables in the store, on both engines: accounts, sessions,
//! login attempts, audit rows and the data version a server polls.

mod common;

use common::{at, clinical_director, on_both_engines};
use pcn_core::access::{Role, Scope};
use pcn_store::{AuditChange, ErrorKind, Store};

async fn add(store: &Store, name: &str, role: Role, scope: &str) -> i64 {
    store
        .add_account(
            name,
            Some("Display Name"),
            "$argon2id$hash",
            role,
            &scope.parse::<Scope>().unwrap(),
            at(0),
            "admin",
        )
        .await
        .unwrap()
}

async fn accounts(store: &Store) {
    let first = add(store, "alice", Role::Admin, "all").await;
    let second = add(store, "bob", Role::Network, "network:U89141").await;
    assert_ne!(first, second);
    let all = store.accounts().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|a| a.account.username.as_str())
            .collect::<Vec<_>>(),
        vec!["alice", "bob"]
    );
    let bob = store.account("bob").await.unwrap().unwrap();
    assert_eq!(bob.account.id, second);
    assert_eq!(bob.account.role, Role::Network);
    assert_eq!(bob.account.scope.to_string(), "network:U89141");
    assert_eq!(bob.password_hash, "$argon2id$hash");
    assert_eq!(bob.created_by, "admin");
    assert!(store.account("carol").await.unwrap().is_none());
    let audit = store.audit_log(1).await.unwrap();
    assert_eq!(
        (
            audit[0].change.action.as_str(),
            audit[0].change.entity_key.as_str()
        ),
        ("add", "bob")
    );
    assert!(
        !audit[0]
            .change
            .after_value
            .as_deref()
            .unwrap()
            .contains("argon2"),
        "no hash in the log"
    );

    // Refusals an edge can tell apart.
    let taken = store
        .add_account("bob", None, "h", Role::Viewer, &Scope::All, at(1), "admin")
        .await
        .unwrap_err();
    assert_eq!(taken.kind(), ErrorKind::Conflict, "{taken}");
    let malformed = store
        .add_account("b b", None, "h", Role::Viewer, &Scope::All, at(1), "admin")
        .await
        .unwrap_err();
    assert_eq!(malformed.kind(), ErrorKind::Invalid, "{malformed}");
    let missing = store
        .set_password("carol", "h", at(1), "admin")
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    assert_eq!(missing.to_string(), "there is no account \"carol\"");
    assert_eq!(store.accounts().await.unwrap().len(), 2);
}

async fn sessions_end_with_a_new_password_or_a_disabled_account(store: &Store) {
    let id = add(store, "alice", Role::Admin, "all").await;
    let expires = at(60);
    store
        .create_session("t1", id, "csrf1", at(0), expires)
        .await
        .unwrap();
    let live = store.session("t1", at(1)).await.unwrap().unwrap();
    assert_eq!(live.account.username, "alice");
    assert_eq!(live.csrf_token, "csrf1");
    assert_eq!(live.expires_at, expires);
    assert!(
        store.session("t1", at(60)).await.unwrap().is_none(),
        "expired"
    );
    assert!(store.session("nope", at(1)).await.unwrap().is_none());

    // A new password ends every session of the account.
    store
        .set_password("alice", "h2", at(2), "admin")
        .await
        .unwrap();
    assert!(store.session("t1", at(3)).await.unwrap().is_none());
    assert_eq!(
        store.account("alice").await.unwrap().unwrap().password_hash,
        "h2"
    );

    // Ending one session ends the expired ones too.
    store
        .create_session("t2", id, "c", at(0), at(10))
        .await
        .unwrap();
    store
        .create_session("t3", id, "c", at(0), at(100))
        .await
        .unwrap();
    store
        .create_session("t4", id, "c", at(0), at(100))
        .await
        .unwrap();
    store.end_session("t3", at(50)).await.unwrap();
    assert!(store.session("t3", at(51)).await.unwrap().is_none());
    assert!(store.session("t4", at(51)).await.unwrap().is_some());

    // Disabling ends the sessions, and a second disable is a conflict.
    store
        .disable_account("alice", at(4), "admin")
        .await
        .unwrap();
    assert!(store.session("t4", at(5)).await.unwrap().is_none());
    assert!(store
        .account("alice")
        .await
        .unwrap()
        .unwrap()
        .disabled_at
        .is_some());
    let again = store
        .disable_account("alice", at(5), "admin")
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict);
    let audit = store.audit_log(1).await.unwrap();
    assert_eq!(audit[0].change.action, "disable");
    assert_eq!(audit[0].change.detail.as_deref(), Some("sessions ended"));
}

async fn login_attempts_count_failures_since_the_last_success(store: &Store) {
    for minute in 0..3 {
        store
            .record_login_attempt("alice", "10.0.0.1", at(minute), false)
            .await
            .unwrap();
    }
    assert_eq!(
        store.recent_failed_logins("alice", at(-15)).await.unwrap(),
        3
    );
    assert_eq!(store.recent_failed_logins("alice", at(1)).await.unwrap(), 2);
    assert_eq!(store.recent_failed_logins("bob", at(-15)).await.unwrap(), 0);
    store
        .record_login_attempt("alice", "10.0.0.1", at(4), true)
        .await
        .unwrap();
    store
        .record_login_attempt("alice", "10.0.0.1", at(5), false)
        .await
        .unwrap();
    assert_eq!(
        store.recent_failed_logins("alice", at(-15)).await.unwrap(),
        1
    );
}

async fn audit_rows_and_the_data_version(store: &Store) {
    let start = store.data_version().await.unwrap();
    // A refused request is audited but changes no computed data.
    let refusal = AuditChange::new("refused", "access", "/networks/U12345")
        .detail(Some("viewer (network:U89141)".into()));
    store.record_audit(at(0), "viewer", &refusal).await.unwrap();
    let audit = store.audit_log(5).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (
            audit[0].actor.as_str(),
            audit[0].change.action.as_str(),
            audit[0].change.entity.as_str()
        ),
        ("viewer", "refused", "access")
    );
    assert_eq!(audit[0].at, at(0).to_rfc3339());
    assert_eq!(store.data_version().await.unwrap(), start);

    // A governance fact changes the facts' version, not the accounts'.
    let fact = clinical_director("Dr Ada Lovelace", "2026-04-01");
    store.record_governance(&[fact], at(1), "pm").await.unwrap();
    let after_fact = store.data_version().await.unwrap();
    assert_ne!(after_fact.facts, start.facts);
    assert_eq!(after_fact.accounts, start.accounts);

    // An account change moves the accounts' version only.
    add(store, "alice", Role::Admin, "all").await;
    let after_account = store.data_version().await.unwrap();
    assert_eq!(after_account.facts, after_fact.facts);
    assert_ne!(after_account.accounts, after_fact.accounts);
    let ids: Vec<i64> = store
        .audit_log(10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
}

#[tokio::test]
async fn accounts_on_both_engines() {
    on_both_engines!("web_accounts", accounts);
}

#[tokio::test]
async fn sessions_on_both_engines() {
    on_both_engines!(
        "web_sessions",
        sessions_end_with_a_new_password_or_a_disabled_account
    );
}

#[tokio::test]
async fn login_attempts_on_both_engines() {
    on_both_engines!(
        "web_logins",
        login_attempts_count_failures_since_the_last_success
    );
}

#[tokio::test]
async fn audit_rows_and_data_version_on_both_engines() {
    on_both_engines!("web_audit", audit_rows_and_the_data_version);
}
