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

/// The payment run of one network for the year asked.
async fn statement_run(
    state: &AppState,
    access: &Network<ToViewFunding>,
    year: Option<&str>,
) -> Result<PayRun, AppError> {
    let year = parse_year(year, access.data.year)?;
    let run = state.year_run(&access.data, year).await?;
    let pay = run.network(&access.code).ok_or_else(|| {
        AppError::NotFound(format!(
            "{} has no statement for {year}: it had no members that year.",
            access.code
        ))
    })?;
    Ok(PayRun {
        financial_year: run.run.financial_year,
        membership_as_at: run.run.membership_as_at,
        missing: run.run.missing,
        networks: vec![pay.clone()],
    })
}

pub async fn statement_xlsx(
    State(state): State<AppState>,
    access: Network<ToViewFunding>,
    Query(q): Query<YearParam>,
) -> Result<Response, AppError> {
    let run = statement_run(&state, &access, q.year.as_deref()).await?;
    let bytes = pcn_export::pay::run_xlsx(&run).map_err(anyhow::Error::from)?;
    let name = format!("{}-statement-{}.xlsx", access.code, run.financial_year);
    Ok(attachment(XLSX, name, bytes))
}

pub async fn statement_csv(
    State(state): State<AppState>,
    access: Network<ToViewFunding>,
    Query(q): Query<YearParam>,
) -> Result<Response, AppError> {
    let run = statement_run(&state, &access, q.year.as_deref()).await?;
    let text = pcn_export::pay::run_csv(&run).map_err(anyhow::Error::from)?;
    let name = format!("{}-statement-{}.csv", access.code, run.financial_year);
    Ok(attachment(CSV, name, text.into_bytes()))
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
    Ok(if csv {
        let text = pcn_export::networks::networks_csv(&networks).map_err(anyhow::Error::from)?;
        attachment(CSV, format!("{stem}.csv"), text.into_bytes())
    } else {
        let bytes = pcn_export::networks::networks_xlsx(&networks).map_err(anyhow::Error::from)?;
        attachment(XLSX, format!("{stem}.xlsx"), bytes)
    })
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
    Ok(if csv {
        let text = schedule.csv().map_err(anyhow::Error::from)?;
        attachment(CSV, format!("{stem}.csv"), text.into_bytes())
    } else {
        let bytes = schedule.xlsx().map_err(anyhow::Error::from)?;
        attachment(XLSX, format!("{stem}.xlsx"), bytes)
    })
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
