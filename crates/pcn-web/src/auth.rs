//! Passwords, sessions, CSRF and single-use form tokens, login throttling.
//!
//! - Passwords are argon2id hashes (the `argon2` crate's defaults).
//! - A session is a random 256-bit token in an `HttpOnly`, `SameSite=Strict`
//!   cookie (`Secure` unless the server listens on loopback only); the store
//!   keeps its SHA-256, never the token. Sessions last eight hours.
//! - Every form carries the session's CSRF token and a single-use form token:
//!   a forged form lacks the first, a replayed one reuses the second. JSON
//!   API writes carry the CSRF token in the `X-CSRF-Token` header.
//! - Five failed logins for a user name in 15 minutes lock it for the rest
//!   of those 15 minutes; 20 failures from one client address do the same.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::Engine;
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::error::AppError;
use super::state::{AppState, FormToken, Session};

pub const SESSION_COOKIE: &str = "pcn_session";
pub const LOGIN_COOKIE: &str = "pcn_login";
pub const SESSION_HOURS: i64 = 8;
pub const LOCK_WINDOW: Duration = Duration::from_secs(15 * 60);
pub const MAX_USER_FAILURES: i64 = 5;
pub const MAX_CLIENT_FAILURES: u32 = 20;

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("no randomness: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub use pcn_app::accounts::{
    check_password_strength, decoy_hash, hash_password, verify_password, MIN_PASSWORD,
};

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if state.secure_cookies { "; Secure" } else { "" }
    )
}

/// The client's address as the server saw it (for throttling and the log).
pub fn client(peer: std::net::SocketAddr) -> String {
    peer.ip().to_string()
}

impl AppState {
    /// The session a request's cookie names, if live.
    pub async fn session_of(&self, headers: &HeaderMap) -> Result<Option<Session>> {
        let Some(token) = cookie(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        if token.len() > 100 {
            return Ok(None);
        }
        let digest = sha256_hex(&token);
        let now = Utc::now();
        if let Some(s) = self
            .sessions
            .read()
            .map_err(|_| anyhow!("session lock poisoned"))?
            .get(&digest)
        {
            return Ok((s.expires_at > now).then(|| s.clone()));
        }
        let Some(stored) = self.store.session(&digest, now).await? else {
            return Ok(None);
        };
        let session = Session {
            token_sha256: digest.clone(),
            account: stored.account,
            csrf_token: stored.csrf_token,
            expires_at: stored.expires_at,
        };
        self.sessions
            .write()
            .map_err(|_| anyhow!("session lock poisoned"))?
            .insert(digest, session.clone());
        Ok(Some(session))
    }

    /// Starts a session for an account; returns the token for the cookie,
    /// and the session.
    pub async fn start_session(
        &self,
        account: pcn_core::access::Account,
    ) -> Result<(String, Session)> {
        let token = random_token()?;
        let csrf = random_token()?;
        let digest = sha256_hex(&token);
        let now = Utc::now();
        let expires_at = now + chrono::Duration::hours(SESSION_HOURS);
        self.store
            .create_session(&digest, account.id, &csrf, now, expires_at)
            .await?;
        let session = Session {
            token_sha256: digest.clone(),
            account,
            csrf_token: csrf,
            expires_at,
        };
        self.sessions
            .write()
            .map_err(|_| anyhow!("session lock poisoned"))?
            .insert(digest, session.clone());
        Ok((token, session))
    }

    pub async fn end_session(&self, session: &Session) -> Result<()> {
        self.sessions
            .write()
            .map_err(|_| anyhow!("session lock poisoned"))?
            .remove(&session.token_sha256);
        Ok(self
            .store
            .end_session(&session.token_sha256, Utc::now())
            .await?)
    }

    /// A new single-use token for a form rendered for this session.
    pub fn form_token(&self, session: &Session) -> String {
        let token = random_token().unwrap_or_default();
        if let Ok(mut forms) = self.forms.lock() {
            // Bound the memory a client can make the server hold.
            if forms.len() > 100_000 {
                forms.retain(|_, f| f.issued.elapsed() < Duration::from_secs(600));
            }
            forms.insert(
                token.clone(),
                FormToken {
                    session: session.token_sha256.clone(),
                    issued: Instant::now(),
                },
            );
        }
        token
    }

    /// Checks a submitted form's CSRF token and uses up its form token.
    pub fn check_form(
        &self,
        session: &Session,
        csrf: &str,
        form_token: &str,
    ) -> Result<(), AppError> {
        if !constant_time_eq(csrf.as_bytes(), session.csrf_token.as_bytes()) {
            return Err(AppError::Forged(
                "the form did not carry this session's security token".into(),
            ));
        }
        let used = self
            .forms
            .lock()
            .map_err(|_| AppError::Internal(anyhow!("form lock poisoned")))?
            .remove(form_token);
        match used {
            Some(t) if t.session == session.token_sha256 => Ok(()),
            Some(_) => Err(AppError::Forged(
                "the form was rendered for another session".into(),
            )),
            None => Err(AppError::Forged(
                "this form was already submitted or has expired: reload the page and try again"
                    .into(),
            )),
        }
    }

    /// Checks the `X-CSRF-Token` header of a JSON API write.
    pub fn check_api_csrf(&self, session: &Session, headers: &HeaderMap) -> Result<(), AppError> {
        let given = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if constant_time_eq(given.as_bytes(), session.csrf_token.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Forged(
                "an API write needs the session's CSRF token in the X-CSRF-Token header".into(),
            ))
        }
    }

    /// Whether a client address has failed too often lately.
    pub fn client_locked(&self, client: &str) -> bool {
        self.client_failures
            .lock()
            .ok()
            .and_then(|m| m.get(client).copied())
            .is_some_and(|(n, since)| n >= MAX_CLIENT_FAILURES && since.elapsed() < LOCK_WINDOW)
    }

    pub fn note_client_failure(&self, client: &str) {
        if let Ok(mut m) = self.client_failures.lock() {
            let entry = m.entry(client.to_string()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= LOCK_WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The logged-in account of a request. Pages without one redirect to the
/// login page; the API answers 401.
pub struct Me(pub Session);

impl FromRequestParts<AppState> for Me {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Me, AppError> {
        match state.session_of(&parts.headers).await {
            Ok(Some(session)) => Ok(Me(session)),
            Ok(None) => {
                // Inside the nested API router the path has lost its /api prefix.
                let original = parts
                    .extensions
                    .get::<axum::extract::OriginalUri>()
                    .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
                if original.path().starts_with("/api/") {
                    Err(AppError::Unauthenticated)
                } else {
                    let next = original
                        .path_and_query()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_else(|| "/".into());
                    Err(AppError::LoginFirst(next))
                }
            }
            Err(e) => Err(AppError::Internal(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse battery!"));
        assert!(!verify_password("not a hash", "x"));
        assert_ne!(hash, hash_password("correct horse battery").unwrap());
        assert!(check_password_strength("short").is_err());
    }

    #[test]
    fn tokens_are_random_and_cookies_parse() {
        let a = random_token().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token().unwrap());
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; pcn_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
