//! Login throttling, decided in the database.
//!
//! `begin_login` records an attempt and says, in the same transaction,
//! whether the user name or the client address is locked. An attempt that
//! may go on counts as failed from that moment until `login_succeeded`
//! says otherwise, so parallel attempts cannot all pass the count before any
//! of them is recorded: with five failures allowed, at most five passwords
//! are checked however many attempts arrive at once. On PostgreSQL the
//! count and the record are serialised per user name and per client by
//! named locks; on SQLite the write transaction holds the database.
//!
//! A refused attempt is not recorded as an attempt (it cannot lengthen the
//! lock) but is counted in the audit log: one row per user name and window,
//! its count going up, so a flood of refusals cannot bury real changes.

use chrono::{DateTime, Duration, Utc};

use crate::audit::{count_in_window, AuditChange};

use crate::error::{Doing, Result};
use crate::rows::Columns;
use crate::write::{int, text, Write};
use crate::Store;

/// When logins are refused without checking the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// How far back failures count, and the length of a refusal window in
    /// the audit log.
    pub window: Duration,
    /// Failures of one user name (since its last success) that lock it.
    pub user_failures: i64,
    /// Failures from one client address that lock it.
    pub client_failures: i64,
}

impl Default for LoginLimits {
    /// Five failures of a user name, or twenty from a client address, in
    /// fifteen minutes.
    fn default() -> LoginLimits {
        LoginLimits {
            window: Duration::minutes(15),
            user_failures: 5,
            client_failures: 20,
        }
    }
}

/// An attempt that may check its password; failed until reported otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAttempt {
    id: i64,
}

/// What the store says of a login attempt before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    /// Check the password; on success call `login_succeeded` with this.
    Check(LoginAttempt),
    /// Refused without checking the password: too many failures of the user
    /// name or from the client address within the window.
    Locked { user_name: bool, client: bool },
}

/// User names are kept to their first 64 characters, like the audit log's keys.
fn short(username: &str) -> String {
    username.chars().take(64).collect()
}

impl Store {
    /// Records a login attempt and says whether it may check its password,
    /// counted and decided in one transaction.
    pub async fn begin_login(
        &self,
        username: &str,
        client: &str,
        at: DateTime<Utc>,
        limits: &LoginLimits,
    ) -> Result<LoginGate> {
        let username = short(username);
        let mut w = self.write(at, &username).await?;
        w.lock(&format!("login user {username}")).await?;
        w.lock(&format!("login client {client}")).await?;
        let since = (at - limits.window).to_rfc3339();
        let counts = sqlx::query(
            "SELECT CAST((SELECT COUNT(*) FROM login_attempt WHERE username = $1 AND succeeded = 0 AND at >= $3 \
                 AND at > COALESCE((SELECT MAX(at) FROM login_attempt WHERE username = $1 AND succeeded = 1), '')) AS BIGINT) AS user_failures, \
             CAST((SELECT COUNT(*) FROM login_attempt WHERE client = $2 AND succeeded = 0 AND at >= $3) AS BIGINT) AS client_failures",
        )
        .bind(&username)
        .bind(client)
        .bind(&since)
        .fetch_one(w.conn())
        .await
        .doing("counting failed logins")?;
        let c = Columns::new(&counts, "login_attempt");
        let user_name = c.int("user_failures")? >= limits.user_failures;
        let client_locked = c.int("client_failures")? >= limits.client_failures;
        if user_name || client_locked {
            refused(&mut w, &username, client, user_name, limits).await?;
            w.commit().await?;
            return Ok(LoginGate::Locked {
                user_name,
                client: client_locked,
            });
        }
        let columns = "username, client, at, succeeded";
        let row = vec![text(&username), text(client), text(w.at_text()), int(0)];
        let id = w.insert("login_attempt", columns, row).await?;
        w.commit().await?;
        Ok(LoginGate::Check(LoginAttempt { id }))
    }

    /// Marks an attempt that `begin_login` let through as succeeded (its
    /// password was right): the user name's failures before it no longer count.
    pub async fn login_succeeded(&self, attempt: LoginAttempt) -> Result<()> {
        sqlx::query("UPDATE login_attempt SET succeeded = 1 WHERE id = $1")
            .bind(attempt.id)
            .execute(&self.pool)
            .await
            .doing("recording a successful login")?;
        Ok(())
    }
}

/// Counts a refused login in the audit row of its user name and window, or,
/// when only the client address is locked, of that address (so guessing
/// many user names from one address makes one row, not one per name).
async fn refused(
    w: &mut Write<'_>,
    username: &str,
    client: &str,
    user_locked: bool,
    limits: &LoginLimits,
) -> Result<()> {
    let (key, subject) = if user_locked {
        (format!("login refused {username}"), username.to_string())
    } else {
        (format!("login refused client {client}"), client.to_string())
    };
    let change = AuditChange::new("refused", "login", subject).detail(Some(format!(
        "too many failed logins; last as {username} from {client}"
    )));
    let noun = ("refused login", "refused logins");
    count_in_window(w, &key, limits.window, &change, noun).await
}
