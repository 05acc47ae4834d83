//! `pcn serve`: the web app and its JSON API, over the same core and store
//! as the command line.
//!
//! - `state`: the store, rulebook and the registry, checks and payment runs
//!   computed from it (in memory until the data changes).
//! - `auth`: passwords, sessions, CSRF and form tokens, throttling.
//! - `pages` (HTML) and `api` (JSON, with `/api/openapi.json`) share `views`.
//! - `imports`: upload, preview, commit.
//! - `charts`: SVG drawn on the server.
//!
//! Every route that shows or changes an organisation's data asks
//! `pcn_core::access::allows` through [`guard`]; a refusal is answered 403
//! and written to the audit log.

pub mod api;
pub mod auth;
pub mod charts;
pub mod error;
pub mod imports;
pub mod layout;
pub mod load;
pub mod pages;
pub mod state;
pub mod views;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use clap::Args;
use pcn_core::access::{Account, Scope};
use pcn_core::rulebook::FinancialYear;
use pcn_store::Store;
use tower_http::set_header::SetResponseHeaderLayer;

use error::AppError;
use state::AppState;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Mark the session cookie Secure (needs HTTPS in front). Default: on,
    /// unless the server listens on a loopback address.
    #[arg(long)]
    pub secure_cookies: Option<bool>,
    /// The largest upload accepted, in megabytes.
    #[arg(long, default_value_t = 64)]
    pub max_upload_mb: usize,
    /// A rulebook folder instead of the built-in rules.
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

/// The home page of an account.
pub fn home_of(account: &Account) -> String {
    match &account.scope {
        Scope::All => "/national".into(),
        Scope::Commissioner(c) => format!("/commissioners/{c}"),
        Scope::Network(c) => format!("/networks/{c}"),
        Scope::Practice(c) => format!("/practices/{c}"),
    }
}

/// `?year=2025-26`, or the default year.
pub fn parse_year(raw: Option<&str>, default: FinancialYear) -> Result<FinancialYear, AppError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(y) => y
            .parse()
            .map_err(|e| AppError::BadRequest(format!("year {y:?}: {e}"))),
    }
}

/// The access checks every route makes.
pub mod guard {
    use chrono::Utc;
    use pcn_core::access::{allows, Action, Target};
    use pcn_store::AuditChange;

    use super::error::AppError;
    use super::state::{AppState, Session};

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
            return AppError::Internal(e.into());
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
        data: &'a super::state::Data,
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
        data: &'a super::state::Data,
        raw: &str,
        path: &str,
    ) -> Result<&'a pcn_core::registry::PracticeView, AppError> {
        let code =
            pcn_core::PracticeCode::parse(raw).map_err(|e| AppError::NotFound(e.to_string()))?;
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
}

async fn css() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        layout::CSS,
    )
}

async fn health() -> &'static str {
    "ok"
}

async fn not_found() -> AppError {
    AppError::NotFound("There is no such page.".into())
}

/// Every route of the app.
pub fn router(state: AppState) -> Router {
    let max_upload = state.max_upload;
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_page).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/national", get(pages::national))
        .route("/commissioners/{code}", get(pages::commissioner))
        .route("/networks/{code}", get(pages::network))
        .route("/networks/{code}/statement", get(pages::statement))
        .route("/networks/{code}/arrs", get(pages::arrs_page))
        .route("/networks/{code}/arrs/posts", post(pages::arrs_add))
        .route("/networks/{code}/arrs/posts/{id}/end", post(pages::arrs_end))
        .route("/practices/{code}", get(pages::practice))
        .route("/audit", get(pages::audit))
        .route("/imports", get(imports::page).post(imports::upload))
        .route("/imports/{id}/commit", post(imports::commit))
        .route("/imports/{id}/discard", post(imports::discard))
        .route("/static/app.css", get(css))
        .route("/healthz", get(health))
        .nest("/api", api::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_upload))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

/// Opens the store and builds the app's state.
pub async fn build_state(database: &str, args: &ServeArgs) -> Result<AppState> {
    let rulebook = crate::pay::load_rulebook(args.rules.as_deref())?;
    let store = Store::open(database).await?;
    let secure = args
        .secure_cookies
        .unwrap_or(!args.listen.ip().is_loopback());
    AppState::new(store, rulebook, secure, args.max_upload_mb << 20).await
}

/// Serves until interrupted, printing the address once listening.
pub async fn serve(state: AppState, listen: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    println!("pcn is serving on http://{addr}");
    // The data is recomputed when another process (the CLI) changes the store.
    let watcher = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut last_sweep = std::time::Instant::now();
        loop {
            tick.tick().await;
            if let Err(e) = watcher.refresh().await {
                eprintln!("pcn serve: reloading the data failed: {e:#}");
            }
            if last_sweep.elapsed() >= Duration::from_secs(60) {
                last_sweep = std::time::Instant::now();
                watcher.sweep(Duration::from_secs(2 * 3600));
            }
        }
    });
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")?;
    Ok(())
}

pub async fn run(database: &str, args: ServeArgs) -> Result<ExitCode> {
    let state = build_state(database, &args).await?;
    if state.store.accounts().await?.is_empty() {
        eprintln!("note: there are no accounts yet: add one with `pcn user add NAME --role admin`");
    }
    serve(state, args.listen).await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests;
