//! Passwords, sessions, CSRF and single-use form tokens, login throttling.
//!
//! - Passwords are argon2id hashes (the `argon2` crate's defaults).
//! - A session is a random 256-bit token in an `HttpOnly`, `SameSite=Strict`
//!   cookie (`Secure` unless the server listens on loopback only); the store
//!   keeps its SHA-256, never the token. Sessions last eight hours.
//! - Every form carries the session's CSRF token and a single-use form token:
//!   a forged form lacks the first, a replayed one reuses the second. JSON
//!   API writes carry the CSRF token in the `X-CSRF-Token` header.
//! - A single-use form token is bound to the session and to the form's
//!   action (the path it posts to): a token issued for one form is refused
//!   on another.
//! - A request that changes something reads its session from the store,
//!   never from the in-memory cache, so an account disabled by the command
//!   line (in another process) cannot make one more write.
//! - Login throttling is decided by the store in one transaction
//!   (`Store::begin_login`): five failed logins for a user name in 15
//!   minutes lock it; 20 failures from one client address do the same. At
//!   most five passwords are checked however many attempts arrive at once.
//! - After logging in, `next` is followed only when it is a path on this
//!   site ([`safe_next`]).

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use base64::Engine;
use chrono::Utc;
use pcn_store::{LoginGate, LoginLimits};
use sha2::{Digest, Sha256};

use super::error::AppError;
use super::state::{AppState, FormToken, Session};

pub const SESSION_COOKIE: &str = "pcn_session";
pub const LOGIN_COOKIE: &str = "pcn_login";
pub const SESSION_HOURS: i64 = 8;

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

/// The `Set-Cookie` value of a new session's cookie.
pub fn session_cookie(state: &AppState, token: &str) -> String {
    set_cookie(state, SESSION_COOKIE, token, SESSION_HOURS * 3600)
}

/// The client's address as the server saw it (for throttling and the log).
pub fn client(peer: std::net::SocketAddr) -> String {
    peer.ip().to_string()
}

impl AppState {
    /// The session a request's cookie names, if live.
    pub async fn session_of(&self, headers: &HeaderMap) -> Result<Option<Session>> {
        self.session_checked(headers, false).await
    }

    /// The session a request's cookie names, if live; with `fresh`, read
    /// from the store even when cached (for requests that write), so an
    /// account disabled a moment ago in another process writes nothing.
    pub async fn session_checked(
        &self,
        headers: &HeaderMap,
        fresh: bool,
    ) -> Result<Option<Session>> {
        let Some(token) = cookie(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        if token.len() > 100 {
            return Ok(None);
        }
        let digest = sha256_hex(&token);
        let now = Utc::now();
        if !fresh {
            if let Some(s) = self
                .sessions
                .read()
                .map_err(|_| anyhow!("session lock poisoned"))?
                .get(&digest)
            {
                return Ok((s.expires_at > now).then(|| s.clone()));
            }
        }
        let Some(stored) = self.store.session(&digest, now).await? else {
            self.sessions
                .write()
                .map_err(|_| anyhow!("session lock poisoned"))?
                .remove(&digest);
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

    /// A new single-use token for a form rendered for this session, good
    /// only for the form that posts to `action` (its path).
    pub fn form_token(&self, session: &Session, action: &str) -> String {
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
                    action: action.to_string(),
                    issued: Instant::now(),
                },
            );
        }
        token
    }

    /// Checks a submitted form's CSRF token and uses up its form token,
    /// which must have been issued to this session for the form posting to
    /// `action`.
    pub fn check_form(
        &self,
        session: &Session,
        csrf: &str,
        form_token: &str,
        action: &str,
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
            Some(t) if t.session != session.token_sha256 => Err(AppError::Forged(
                "the form was rendered for another session".into(),
            )),
            Some(t) if t.action != action => Err(AppError::Forged(
                "the form's token was issued for another form".into(),
            )),
            Some(_) => Ok(()),
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
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a user name and password; the account on success. The store
/// decides, before any password is checked, whether the user name or the
/// client address is locked, and counts the attempt as failed until it
/// succeeds, so parallel guesses cannot all slip past the count.
pub async fn check_login(
    state: &AppState,
    username: &str,
    password: &str,
    client: &str,
) -> Result<pcn_core::access::Account, AppError> {
    let username = username.trim();
    let gate = state
        .store
        .begin_login(username, client, Utc::now(), &LoginLimits::default())
        .await?;
    let attempt =
        match gate {
            LoginGate::Check(attempt) => attempt,
            // The store has counted the refusal in the audit log.
            LoginGate::Locked { .. } => return Err(AppError::Throttled(
                "Too many failed logins: this account is locked for 15 minutes. Try again later."
                    .into(),
            )),
        };
    let stored = if pcn_store::check_username(username).is_ok() {
        state.store.account(username).await?
    } else {
        None
    };
    // Unknown and disabled names are checked against a decoy hash, so the
    // answer takes as long as for a real account.
    let hash = stored
        .as_ref()
        .filter(|s| s.disabled_at.is_none())
        .map_or_else(|| decoy_hash().to_string(), |s| s.password_hash.clone());
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    match stored.filter(|s| ok && s.disabled_at.is_none()) {
        Some(s) => {
            state.store.login_succeeded(attempt).await?;
            Ok(s.account)
        }
        None => Err(AppError::BadRequest(
            "The user name or password is wrong.".into(),
        )),
    }
}

/// Where to go after logging in: `next` when it is a path on this site,
/// else nothing. Refused: anything not starting with one `/` (`//host` and
/// `/\host` are other sites to a browser), and any control character or
/// white space, because browsers drop tabs and newlines from a URL (so
/// `/\t/evil.example` becomes `//evil.example`) and a newline would split the
/// response's headers. What is kept is percent-encoded outside printable ASCII.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?;
    let mut chars = next.chars();
    let plain = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && next.chars().count() <= 500
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    plain.then(|| {
        next.chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    let mut buf = [0u8; 4];
                    c.encode_utf8(&mut buf)
                        .bytes()
                        .map(|b| format!("%{b:02X}"))
                        .collect()
                }
            })
            .collect()
    })
}

/// The logged-in account of a request. Pages without one redirect to the
/// login page; the API answers 401.
pub struct Me(pub Session);

impl FromRequestParts<AppState> for Me {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Me, AppError> {
        // A write is checked against the store, not the cache.
        let fresh = !matches!(parts.method, Method::GET | Method::HEAD);
        match state.session_checked(&parts.headers, fresh).await {
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
