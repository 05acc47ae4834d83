//! The web app's accounts: argon2id password hashes, and the use cases that
//! add, re-password and disable accounts (each audited by the store).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Utc;
use pcn_core::access::{check_role_scope, Role, Scope};

use crate::{App, Error, Result};

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// Refuses passwords too short to be safe.
pub fn check_password_strength(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(Error::invalid(format!(
            "a password needs at least {MIN_PASSWORD} characters"
        )));
    }
    Ok(())
}

/// `n` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Error::store(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// An argon2id hash of the password, in PHC string form.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| Error::store(format!("salt: {e}")))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::store(format!("hashing the password: {e}")))?
        .to_string())
}

/// Whether `password` matches the PHC `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user name is unknown, so a login for a
/// missing account takes as long as one with a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not a real password at all").unwrap_or_default())
}

/// An account to add.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub scope: Scope,
    pub password: String,
}

impl App {
    /// Adds an account; returns its id.
    pub async fn add_account(&self, account: &NewAccount, actor: &str) -> Result<i64> {
        check_role_scope(account.role, &account.scope)
            .map_err(|e| Error::invalid(e.to_string()))?;
        pcn_store::check_username(&account.username).map_err(|e| Error::invalid(e.to_string()))?;
        check_password_strength(&account.password)?;
        let display_name = pcn_core::text::check_opt_line(
            "the display name",
            account.display_name.as_deref(),
            100,
        )
        .map_err(|e| Error::invalid(e.to_string()))?;
        let hash = hash_password(&account.password)?;
        Ok(self
            .store
            .add_account(
                &account.username,
                display_name,
                &hash,
                account.role,
                &account.scope,
                Utc::now(),
                actor,
            )
            .await?)
    }

    /// Sets an account's password; its sessions end.
    pub async fn set_password(&self, username: &str, password: &str, actor: &str) -> Result<()> {
        check_password_strength(password)?;
        let hash = hash_password(password)?;
        self.store
            .set_password(username, &hash, Utc::now(), actor)
            .await?;
        Ok(())
    }

    /// Disables an account; its sessions end.
    pub async fn disable_account(&self, username: &str, actor: &str) -> Result<()> {
        self.store
            .disable_account(username, Utc::now(), actor)
            .await?;
        Ok(())
    }
}
