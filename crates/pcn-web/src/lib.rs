//! `pcn serve`: the web app and its JSON API. An edge like the command line:
//! each handler parses the request, asks the access policy, calls the
//! application layer (`pcn-app`) or reads the data it computed, and renders.
//!
//! - `state`: the store, rulebook and the registry, checks and payment runs
//!   computed from it (in memory until the data changes).
//! - `auth`: passwords, sessions, CSRF and form tokens, throttling.
//! - `pages` (HTML) and `api` (JSON, with `/api/openapi.json`) share `views`.
//! - `imports`: upload, preview, commit.
//! - `charts`: SVG drawn on the server.
//! - `reconcile`: paid and owed (network card and page, commissioner card, API).
//! - `plan`: a commissioner's proposed configuration (page, files, JSON).
//! - `appointments`: appointments against the 2019 pledge (card and JSON).
//! - `services`: a network's services, a commissioner's compliance, the
//!   forms that record rounds, care plans, sessions and alignments.
//!
//! Every route that shows or changes an organisation's data asks
//! `pcn_core::access::allows` through [`guard`]; a refusal is answered 403
//! and written to the audit log.

pub mod api;
pub mod appointments;
pub mod auth;
pub mod charts;
pub mod downloads;
pub mod error;
pub mod governance;
pub mod guard;
pub mod imports;
pub mod layout;
pub mod membership;
pub mod pages;
pub mod plan;
pub mod reconcile;
pub mod services;
pub mod state;
pub mod views;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use pcn_app::App;
use pcn_core::access::{Account, Scope};
use pcn_core::rulebook::FinancialYear;
use tower_http::set_header::SetResponseHeaderLayer;

use error::AppError;
use state::AppState;

/// How the server runs.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Mark the session cookie `Secure` (HTTPS in front).
    pub secure_cookies: bool,
    /// The largest upload accepted, in bytes.
    pub max_upload: usize,
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

/// `?year=2025-26`, or the default year when there is no `year`. An empty
/// or malformed year is refused (422) with what to write instead; a year
/// the rulebook lacks is refused (404) by [`state::AppState::year_run`],
/// which every route taking a year goes through.
pub fn parse_year(raw: Option<&str>, default: FinancialYear) -> Result<FinancialYear, AppError> {
    match raw {
        None => Ok(default),
        Some(y) if y.trim().is_empty() => Err(AppError::BadRequest(
            "The year is empty: give a financial year such as 2025-26, or leave year out for the current one."
                .into(),
        )),
        Some(y) => y.parse().map_err(|_| {
            let shown: String = y.chars().take(20).collect();
            AppError::BadRequest(format!(
                "{shown:?} is not a financial year: write it as 2025-26."
            ))
        }),
    }
}

/// A date a change takes effect from, as typed (`YYYY-MM-DD`), or today
/// when blank; refused (422) naming `effective_from` otherwise.
pub fn effective_date(raw: Option<&str>) -> Result<chrono::NaiveDate, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(chrono::Local::now().date_naive()),
        Some(raw) => pcn_core::dates::parse_user_date(raw)
            .map_err(|e| AppError::BadRequest(format!("effective_from: {e}"))),
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
    let mut router = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_page).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/national", get(pages::national))
        .route("/commissioners/{code}", get(pages::commissioner))
        .route("/networks/{code}", get(pages::network))
        .route("/networks/{code}/statement", get(pages::statement))
        .route("/networks/{code}/reconcile", get(reconcile::page_))
        .route(
            "/networks/{code}/statement.xlsx",
            get(downloads::statement::<downloads::Xlsx>),
        )
        .route(
            "/networks/{code}/statement.csv",
            get(downloads::statement::<downloads::Csv>),
        )
        .route(
            "/networks/{code}/arrs/claims.xlsx",
            get(downloads::claims::<downloads::Xlsx>),
        )
        .route(
            "/networks/{code}/arrs/claims.csv",
            get(downloads::claims::<downloads::Csv>),
        )
        .route(
            "/commissioners/{code}/networks.xlsx",
            get(downloads::commissioner_networks::<downloads::Xlsx>),
        )
        .route(
            "/commissioners/{code}/networks.csv",
            get(downloads::commissioner_networks::<downloads::Csv>),
        )
        .route("/commissioners/{code}/plan", get(plan::page_handler))
        .route(
            "/commissioners/{code}/plan.csv",
            get(plan::file_handler::<downloads::Csv>),
        )
        .route(
            "/commissioners/{code}/plan.xlsx",
            get(plan::file_handler::<downloads::Xlsx>),
        )
        .route("/networks/{code}/arrs", get(pages::arrs_page))
        .route("/networks/{code}/governance", post(governance::form_submit))
        .route("/networks/{code}/arrs/posts", post(pages::arrs_add))
        .route(
            "/networks/{code}/arrs/posts/{id}/end",
            post(pages::arrs_end),
        )
        .merge(services::router())
        .route("/practices/{code}", get(pages::practice))
        .route(
            "/practices/{code}/membership",
            post(membership::form_submit),
        )
        .route("/audit", get(pages::audit))
        .route("/imports", get(imports::page).post(imports::upload))
        .route("/imports/{id}/commit", post(imports::commit))
        .route("/imports/{id}/discard", post(imports::discard))
        .route("/static/app.css", get(css))
        .route("/healthz", get(health))
        .nest("/api", api::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_upload));
    for (name, value, overriding) in SECURITY_HEADERS {
        let value = HeaderValue::from_static(value);
        router = router.layer(if overriding {
            SetResponseHeaderLayer::overriding(name, value)
        } else {
            SetResponseHeaderLayer::if_not_present(name, value)
        });
    }
    router.with_state(state)
}

/// The headers every response carries: each with its value, and whether it
/// replaces one a route set (else a route's own stands).
const SECURITY_HEADERS: [(header::HeaderName, &str, bool); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff", true),
    (header::X_FRAME_OPTIONS, "DENY", true),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        true,
    ),
    (header::CACHE_CONTROL, "no-store", false),
    (header::REFERRER_POLICY, "same-origin", true),
];

/// Builds the server's state over an opened application.
pub async fn build_state(app: App, config: Config) -> Result<AppState> {
    AppState::new(app, config.secure_cookies, config.max_upload).await
}

/// Takes the address to listen on, before anything is printed, so a busy
/// port is reported first and plainly.
pub async fn bind(listen: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "{listen} is in use by another program: stop it, or choose another address with --listen (port 0 picks a free one)"
            )
        } else {
            anyhow::Error::new(e).context(format!("listening on {listen}"))
        }
    })
}

/// Serves until interrupted, printing the address once listening.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> Result<()> {
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
            if let Err(e) = watcher.store.checkpoint().await {
                eprintln!("pcn serve: {e:#}");
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

#[cfg(test)]
mod tests;

#[cfg(test)]
mod attacks;

#[cfg(test)]
mod snapshots;
