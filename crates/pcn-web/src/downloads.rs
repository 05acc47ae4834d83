//! The files the command line writes, offered by the web app: a network's
//! statement (XLSX, CSV), a commissioner's networks (XLSX, CSV) and a
//! network's ARRS claim schedule (XLSX, CSV). Each route asks the access
//! policy like every other; the bytes come from `pcn-export`.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use pcn_core::funding::PayRun;
use pcn_export::arrs::ClaimSchedule;
use serde::Deserialize;

use crate::error::AppError;
use crate::guard::{self, Network, ToView, ToViewFunding};
use crate::state::AppState;
use crate::{auth::Me, parse_year, views};

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub(crate) const CSV: &str = "text/csv; charset=utf-8";

#[derive(Deserialize)]
pub struct YearParam {
    year: Option<String>,
}

/// A file to save, named.
pub(crate) fn attachment(content_type: &'static str, name: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The file `{stem}.csv` or `{stem}.xlsx`, as asked, written by the export
/// for that format.
fn csv_or_xlsx(
    stem: &str,
    csv: bool,
    as_csv: impl FnOnce() -> pcn_export::Result<String>,
    as_xlsx: impl FnOnce() -> pcn_export::Result<Vec<u8>>,
) -> Result<Response, AppError> {
    Ok(if csv {
        let text = as_csv().map_err(anyhow::Error::from)?;
        attachment(CSV, format!("{stem}.csv"), text.into_bytes())
    } else {
        let bytes = as_xlsx().map_err(anyhow::Error::from)?;
        attachment(XLSX, format!("{stem}.xlsx"), bytes)
    })
}

/// One network's statement for the year asked.
async fn statement(
    state: &AppState,
    access: &Network<ToViewFunding>,
    year: Option<&str>,
    csv: bool,
) -> Result<Response, AppError> {
    let year = parse_year(year, access.data.year)?;
    let run = state.year_run(&access.data, year).await?;
    let pay = run.network(&access.code).ok_or_else(|| {
        AppError::NotFound(format!(
            "{} has no statement for {year}: it had no members that year.",
            access.code
        ))
    })?;
    let run = PayRun {
        financial_year: run.run.financial_year,
        membership_as_at: run.run.membership_as_at,
        missing: run.run.missing,
        networks: vec![pay.clone()],
    };
    let stem = format!("{}-statement-{}", access.code, run.financial_year);
    csv_or_xlsx(
        &stem,
        csv,
        || pcn_export::pay::run_csv(&run),
        || pcn_export::pay::run_xlsx(&run),
    )
}

pub async fn statement_xlsx(
    State(state): State<AppState>,
    access: Network<ToViewFunding>,
    Query(q): Query<YearParam>,
) -> Result<Response, AppError> {
    statement(&state, &access, q.year.as_deref(), false).await
}

pub async fn statement_csv(
    State(state): State<AppState>,
    access: Network<ToViewFunding>,
    Query(q): Query<YearParam>,
) -> Result<Response, AppError> {
    statement(&state, &access, q.year.as_deref(), true).await
}

/// A commissioner's networks, as at the pages' date.
async fn commissioner_networks(
    state: &AppState,
    me: &crate::state::Session,
    raw: &str,
    path: &str,
    csv: bool,
) -> Result<Response, AppError> {
    let code = guard::commissioner(state, me, raw, path).await?;
    let data = state.data()?;
    let networks = views::networks_under(&data, &code);
    if networks.is_empty() {
        return Err(AppError::NotFound(format!(
            "There is no commissioner {code} with networks as at {}.",
            data.as_at
        )));
    }
    let stem = format!("{code}-networks-{}", data.as_at);
    csv_or_xlsx(
        &stem,
        csv,
        || pcn_export::networks::networks_csv(&networks),
        || pcn_export::networks::networks_xlsx(&networks),
    )
}

pub async fn commissioner_networks_csv(
    State(state): State<AppState>,
    Me(me): Me,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let path = format!("/commissioners/{raw}/networks.csv");
    commissioner_networks(&state, &me, &raw, &path, true).await
}

pub async fn commissioner_networks_xlsx(
    State(state): State<AppState>,
    Me(me): Me,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let path = format!("/commissioners/{raw}/networks.xlsx");
    commissioner_networks(&state, &me, &raw, &path, false).await
}

/// A network's claim schedule for the year asked (every month).
async fn claims(
    state: &AppState,
    access: &Network<ToView>,
    year: Option<&str>,
    csv: bool,
) -> Result<Response, AppError> {
    let year = parse_year(year, access.data.year)?;
    let kept = state
        .arrs_cached(
            &access.data,
            &access.code,
            year,
            crate::state::budget_date(year),
        )
        .await?;
    let network_year = &kept.year;
    let lines = network_year.lines(&state.rulebook, &network_year.posts, false)?;
    let schedule = ClaimSchedule {
        pcn: &access.code,
        lines: &lines,
        posts: &network_year.posts,
        recorded: &network_year.claims,
    };
    let stem = format!("{}-arrs-claims-{year}", access.code);
    csv_or_xlsx(&stem, csv, || schedule.csv(), || schedule.xlsx())
}

pub async fn claims_csv(
    State(state): State<AppState>,
    access: Network<ToView>,
    Query(q): Query<YearParam>,
) -> Result<Response, AppError> {
    claims(&state, &access, q.year.as_deref(), true).await
}

pub async fn claims_xlsx(
    State(state): State<AppState>,
    access: Network<ToView>,
    Query(q): Query<YearParam>,
) -> Result<Response, AppError> {
    claims(&state, &access, q.year.as_deref(), false).await
}
