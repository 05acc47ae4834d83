//! Accounts, sessions and login attempts of the web app.
//!
//! The store keeps password hashes and session-token digests; it never sees
//! a password or a session token. Every change to an account is audited.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use pcn_core::access::{check_role_scope, Account, Role, Scope};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{audit, next_id, AuditChange, Store};

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

/// What has changed in the store, as newest ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataVersion {
    /// Facts, governance, distribution agreements, assessments (audit log)
    /// and imports: what the registry and payment runs are computed from.
    pub facts: (i64, i64),
    /// Account changes (a disabled account or new password ends sessions).
    pub accounts: i64,
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.scope, u.created_at, u.created_by, u.disabled_at FROM web_user u";

fn account_row(row: &AnyRow) -> Result<StoredAccount> {
    let role: String = row.try_get("role")?;
    let scope: String = row.try_get("scope")?;
    Ok(StoredAccount {
        account: Account {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            role: role
                .parse::<Role>()
                .map_err(|e| anyhow::anyhow!("bad role in web_user: {e}"))?,
            scope: scope
                .parse::<Scope>()
                .map_err(|e| anyhow::anyhow!("bad scope in web_user: {e}"))?,
        },
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}

/// A user name: 3 to 64 characters of letters, digits and `.-_@`.
pub fn check_username(name: &str) -> Result<()> {
    let ok = (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c));
    if !ok {
        bail!("{name:?} is not a user name: use 3 to 64 letters, digits, '.', '-', '_' or '@'");
    }
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
        check_role_scope(role, scope).map_err(anyhow::Error::msg)?;
        let mut tx = self.pool.begin().await?;
        let taken = sqlx::query("SELECT id FROM web_user WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            bail!("there is already an account {username:?}");
        }
        let id = next_id(&mut tx, "web_user").await?;
        sqlx::query(
            "INSERT INTO web_user (id, username, display_name, password_hash, role, scope, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(username)
        .bind(display_name)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(scope.to_string())
        .bind(at.to_rfc3339())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "add".into(),
                entity: "account".into(),
                entity_key: username.to_string(),
                before_value: None,
                after_value: Some(format!("{role} {scope}")),
                detail: display_name.map(str::to_string),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every account, in id order.
    pub async fn accounts(&self) -> Result<Vec<StoredAccount>> {
        sqlx::query(&format!("{USER_SELECT} ORDER BY u.id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(account_row)
            .collect()
    }

    /// The account with this user name, enabled or not.
    pub async fn account(&self, username: &str) -> Result<Option<StoredAccount>> {
        sqlx::query(&format!("{USER_SELECT} WHERE u.username = $1"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(account_row)
            .transpose()
    }

    /// Replaces an account's password hash and ends its sessions, audited.
    pub async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query("SELECT id FROM web_user WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?
            .with_context(|| format!("there is no account {username:?}"))?
            .try_get("id")?;
        sqlx::query("UPDATE web_user SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM web_session WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "set-password".into(),
                entity: "account".into(),
                entity_key: username.to_string(),
                before_value: None,
                after_value: None,
                detail: Some("sessions ended".into()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables an account (kept for the log) and ends its sessions, audited.
    pub async fn disable_account(
        &self,
        username: &str,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT id, disabled_at FROM web_user WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?
            .with_context(|| format!("there is no account {username:?}"))?;
        let id: i64 = row.try_get("id")?;
        let before: Option<String> = row.try_get("disabled_at")?;
        if before.is_some() {
            bail!("the account {username:?} is already disabled");
        }
        sqlx::query("UPDATE web_user SET disabled_at = $1 WHERE id = $2")
            .bind(at.to_rfc3339())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM web_session WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "disable".into(),
                entity: "account".into(),
                entity_key: username.to_string(),
                before_value: Some("enabled".into()),
                after_value: Some("disabled".into()),
                detail: Some("sessions ended".into()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
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
        let row = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.scope, u.created_at, u.created_by, u.disabled_at, s.csrf_token, s.expires_at \
             FROM web_user u JOIN web_session s ON s.user_id = u.id WHERE s.token_sha256 = $1 AND u.disabled_at IS NULL",
        )
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires: String = row.try_get("expires_at")?;
        let expires_at = DateTime::parse_from_rfc3339(&expires)
            .with_context(|| format!("bad session expiry {expires:?}"))?
            .with_timezone(&Utc);
        if expires_at <= now {
            return Ok(None);
        }
        Ok(Some(StoredSession {
            account: account_row(&row)?.account,
            csrf_token: row.try_get("csrf_token")?,
            expires_at,
        }))
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
        let mut tx = self.pool.begin().await?;
        let id = next_id(&mut tx, "login_attempt").await?;
        sqlx::query(
            "INSERT INTO login_attempt (id, username, client, at, succeeded) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(username)
        .bind(client)
        .bind(at.to_rfc3339())
        .bind(i64::from(succeeded))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Failed logins for a user name since `since`, after its last success.
    pub async fn recent_failed_logins(&self, username: &str, since: DateTime<Utc>) -> Result<i64> {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM login_attempt WHERE username = $1 AND succeeded = 0 AND at >= $2 \
             AND at > COALESCE((SELECT MAX(at) FROM login_attempt WHERE username = $1 AND succeeded = 1), '')",
        )
        .bind(username)
        .bind(since.to_rfc3339())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Writes one audit row on its own (a refused request, a login), for
    /// events that change nothing else.
    pub async fn record_audit(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        change: &AuditChange,
    ) -> Result<()> {
        // Ids are MAX + 1: two writers at once on PostgreSQL can collide, so try again.
        let mut last = None;
        for _ in 0..3 {
            let mut tx = self.pool.begin().await?;
            match audit(&mut tx, at, actor, change).await {
                Ok(()) => match tx.commit().await {
                    Ok(()) => return Ok(()),
                    Err(e) => last = Some(anyhow::Error::from(e)),
                },
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("audit write failed")))
    }

    /// The newest changes in the store, so a server can tell when another
    /// process has changed what it computes from the store, or an account.
    pub async fn data_version(&self) -> Result<DataVersion> {
        // ARRS rows are read per request, and refusals and logins change
        // nothing, so none of them is a change of the computed data.
        let row = sqlx::query(
            "SELECT CAST(COALESCE((SELECT MAX(id) FROM audit_log WHERE entity NOT IN ('access', 'login', 'account') AND entity NOT LIKE 'arrs-%'), 0) AS BIGINT) AS facts, \
                    CAST(COALESCE((SELECT MAX(id) FROM import_log), 0) AS BIGINT) AS imports, \
                    CAST(COALESCE((SELECT MAX(id) FROM audit_log WHERE entity = 'account'), 0) AS BIGINT) AS accounts",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(DataVersion {
            facts: (row.try_get("facts")?, row.try_get("imports")?),
            accounts: row.try_get("accounts")?,
        })
    }
}
