//! Accounts, sessions and login attempts of the web app (migration 0007).
//!
//! The store keeps password hashes and session-token digests; it never sees
//! a password or a session token. Every change to an account is audited.

use chrono::{DateTime, Utc};
use pcn_core::access::{check_role_scope, Account, Role, Scope};
use sqlx::AnyConnection;

use crate::audit::AuditChange;
use crate::error::{Error, Result};
use crate::rows::Columns;
use crate::write::{fetch_mapped, int, text, Write};
use crate::Store;

/// An account as stored, with its password hash (for the login check only).
#[derive(Debug, Clone)]
pub struct StoredAccount {
    pub account: Account,
    pub password_hash: String,
    pub created_at: String,
    pub created_by: String,
    pub disabled_at: Option<String>,
}

/// A live session: the account, its CSRF token and when it expires.
#[derive(Debug, Clone)]
pub struct StoredSession {
    pub account: Account,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// What has changed in the store, as counts of changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataVersion {
    /// Facts, governance, distribution agreements, assessments (audit log)
    /// and imports: what the registry and payment runs are computed from.
    pub facts: (i64, i64),
    /// Account changes (a disabled account or new password ends sessions).
    pub accounts: i64,
    /// ARRS changes (posts, terms, costs, claims, census seeding): a server
    /// recomputes the networks they name, and all of them when this count
    /// says it missed one.
    pub arrs: i64,
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.scope, u.created_at, u.created_by, u.disabled_at FROM web_user u";

fn account_row(c: &Columns) -> Result<StoredAccount> {
    Ok(StoredAccount {
        account: Account {
            id: c.int("id")?,
            username: c.text("username")?,
            display_name: c.opt_text("display_name")?,
            role: c.parse("role")?,
            scope: c.parse("scope")?,
        },
        password_hash: c.text("password_hash")?,
        created_at: c.text("created_at")?,
        created_by: c.text("created_by")?,
        disabled_at: c.opt_text("disabled_at")?,
    })
}

/// A user name: 3 to 64 characters of letters, digits and `.-_@`.
pub fn check_username(name: &str) -> Result<()> {
    let ok = (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c));
    if !ok {
        return Err(Error::Invalid(format!(
            "{name:?} is not a user name: use 3 to 64 letters, digits, '.', '-', '_' or '@'"
        )));
    }
    Ok(())
}

/// The id and disabled date of the account with this user name.
async fn account_id(conn: &mut AnyConnection, username: &str) -> Result<(i64, Option<String>)> {
    let query =
        sqlx::query("SELECT id, disabled_at FROM web_user WHERE username = $1").bind(username);
    fetch_mapped(conn, query, "web_user", |c| {
        Ok((c.int("id")?, c.opt_text("disabled_at")?))
    })
    .await?
    .pop()
    .ok_or_else(|| Error::NotFound(format!("there is no account {username:?}")))
}

/// Ends every session of an account (its password changed, or it was disabled).
async fn end_sessions_of(w: &mut Write<'_>, account_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM web_session WHERE user_id = $1")
        .bind(account_id)
        .execute(w.conn())
        .await?;
    Ok(())
}

impl Store {
    /// Adds an account, audited (the hash is never written to the log).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_account(
        &self,
        username: &str,
        display_name: Option<&str>,
        password_hash: &str,
        role: Role,
        scope: &Scope,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<i64> {
        check_username(username)?;
        check_role_scope(role, scope).map_err(|e| Error::Invalid(e.to_string()))?;
        let mut w = self.write(at, actor).await?;
        if account_id(w.conn(), username).await.is_ok() {
            return Err(Error::Conflict(format!(
                "there is already an account {username:?}"
            )));
        }
        let columns = "username, display_name, password_hash, role, scope, created_at, \
             created_by";
        let row = vec![
            text(username),
            crate::write::Value::Text(display_name.map(str::to_string)),
            text(password_hash),
            text(role.as_str()),
            text(scope),
            text(w.at_text()),
            text(actor),
        ];
        let id = w.insert("web_user", columns, row).await?;
        w.audit(
            AuditChange::new("add", "account", username)
                .after(Some(format!("{role} {scope}")))
                .detail(display_name.map(str::to_string)),
        )
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Every account, in id order.
    pub async fn accounts(&self) -> Result<Vec<StoredAccount>> {
        let sql = format!("{USER_SELECT} ORDER BY u.id");
        let query = sqlx::query(&sql);
        self.fetch(query, "web_user", account_row).await
    }

    /// The account with this user name, enabled or not.
    pub async fn account(&self, username: &str) -> Result<Option<StoredAccount>> {
        let sql = format!("{USER_SELECT} WHERE u.username = $1");
        let query = sqlx::query(&sql).bind(username);
        Ok(self.fetch(query, "web_user", account_row).await?.pop())
    }

    /// Replaces an account's password hash and ends its sessions, audited.
    pub async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut w = self.write(at, actor).await?;
        let (id, _) = account_id(w.conn(), username).await?;
        sqlx::query("UPDATE web_user SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(w.conn())
            .await?;
        end_sessions_of(&mut w, id).await?;
        w.audit(
            AuditChange::new("set-password", "account", username)
                .detail(Some("sessions ended".into())),
        )
        .await?;
        w.commit().await
    }

    /// Disables an account (kept for the log) and ends its sessions, audited.
    pub async fn disable_account(
        &self,
        username: &str,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut w = self.write(at, actor).await?;
        let (id, disabled) = account_id(w.conn(), username).await?;
        if disabled.is_some() {
            return Err(Error::Conflict(format!(
                "the account {username:?} is already disabled"
            )));
        }
        sqlx::query("UPDATE web_user SET disabled_at = $1 WHERE id = $2")
            .bind(w.at_text())
            .bind(id)
            .execute(w.conn())
            .await?;
        end_sessions_of(&mut w, id).await?;
        w.audit(
            AuditChange::new("disable", "account", username)
                .before(Some("enabled".into()))
                .after(Some("disabled".into()))
                .detail(Some("sessions ended".into())),
        )
        .await?;
        w.commit().await
    }

    /// Starts a session (the token's digest, never the token).
    pub async fn create_session(
        &self,
        token_sha256: &str,
        account_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO web_session (token_sha256, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_sha256)
        .bind(account_id)
        .bind(csrf_token)
        .bind(at.to_rfc3339())
        .bind(expires_at.to_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this token digest, if it exists, has not expired
    /// and its account is enabled.
    pub async fn session(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredSession>> {
        let query = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.scope, u.created_at, u.created_by, u.disabled_at, s.csrf_token, s.expires_at \
             FROM web_user u JOIN web_session s ON s.user_id = u.id WHERE s.token_sha256 = $1 AND u.disabled_at IS NULL",
        )
        .bind(token_sha256);
        let sessions = self
            .fetch(query, "web_session", |c| {
                let expires_at = c
                    .parse_with("expires_at", DateTime::parse_from_rfc3339)?
                    .with_timezone(&Utc);
                Ok(StoredSession {
                    account: account_row(c)?.account,
                    csrf_token: c.text("csrf_token")?,
                    expires_at,
                })
            })
            .await?;
        Ok(sessions.into_iter().find(|s| s.expires_at > now))
    }

    /// Ends a session; ends every expired session too.
    pub async fn end_session(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("DELETE FROM web_session WHERE token_sha256 = $1 OR expires_at < $2")
            .bind(token_sha256)
            .bind(now.to_rfc3339())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a login attempt, for throttling.
    pub async fn record_login_attempt(
        &self,
        username: &str,
        client: &str,
        at: DateTime<Utc>,
        succeeded: bool,
    ) -> Result<()> {
        let mut w = self.write(at, username).await?;
        let row = vec![
            text(username),
            text(client),
            text(w.at_text()),
            int(i64::from(succeeded)),
        ];
        w.insert("login_attempt", "username, client, at, succeeded", row)
            .await?;
        w.commit().await
    }

    /// Failed logins for a user name since `since`, after its last success.
    pub async fn recent_failed_logins(&self, username: &str, since: DateTime<Utc>) -> Result<i64> {
        let query = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM login_attempt WHERE username = $1 AND succeeded = 0 AND at >= $2 \
             AND at > COALESCE((SELECT MAX(at) FROM login_attempt WHERE username = $1 AND succeeded = 1), '')",
        )
        .bind(username)
        .bind(since.to_rfc3339());
        let counts = self.fetch(query, "login_attempt", |c| c.int("n")).await?;
        Ok(counts.into_iter().sum())
    }

    /// The newest changes in the store, so a server can tell when another
    /// process has changed what it computes from the store, or an account.
    /// The figures are counts of rows only ever added (audit rows, imports):
    /// the largest id would miss a transaction that took a smaller id and
    /// committed after a larger one.
    pub async fn data_version(&self) -> Result<DataVersion> {
        // ARRS rows are read per request, and refusals and logins change
        // nothing, so none of them is a change of the computed data.
        let query = sqlx::query(
            "SELECT CAST((SELECT COUNT(*) FROM audit_log WHERE entity NOT IN ('access', 'login', 'account') AND entity NOT LIKE 'arrs-%') AS BIGINT) AS facts, \
                    CAST((SELECT COUNT(*) FROM import_log) AS BIGINT) AS imports, \
                    CAST((SELECT COUNT(*) FROM audit_log WHERE entity = 'account') AS BIGINT) AS accounts, \
                    CAST((SELECT COUNT(*) FROM audit_log WHERE entity LIKE 'arrs-%') AS BIGINT) AS arrs",
        );
        let versions = self
            .fetch(query, "audit_log", |c| {
                Ok(DataVersion {
                    facts: (c.int("facts")?, c.int("imports")?),
                    accounts: c.int("accounts")?,
                    arrs: c.int("arrs")?,
                })
            })
            .await?;
        versions
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound("the data version".into()))
    }
}
