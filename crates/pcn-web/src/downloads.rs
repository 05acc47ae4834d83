//! The files the command line writes, offered by the web app: a network's
//! statement (XLSX, CSV), a commissioner's networks (XLSX, CSV) and a
//! network's ARRS claim schedule (XLSX, CSV). Each route asks the access
//! policy like every other; the bytes come from `pcn-export`.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use pcn_core::funding::PayRun;
use pcn_export::arrs::ClaimSchedule;
use serde::Deserialize;

use crate::error::AppError;
use crate::guard::{Commissioner, Network, ToView, ToViewFunding};
use crate::state::AppState;
use crate::{parse_year, views};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV: &str = "text/csv; charset=utf-8";

#[derive(Deserialize)]
pub struct YearParam {
    year: Option<String>,
}

/// A file to save, named.
fn attachment(content_type: &'static str, name: String, bytes: Vec<u8>) -> Response {
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

/// A download's format, chosen by the route: `statement::<Csv>` serves
/// `statement.csv`, `statement::<Xlsx>` serves `statement.xlsx`.
pub trait FileFormat: Send + Sync + 'static {
    /// Whether the file is CSV (else XLSX).
    const CSV: bool;
}

/// A CSV download.
pub struct Csv;

/// An XLSX download.
pub struct Xlsx;

impl FileFormat for Csv {
    const CSV: bool = true;
}

impl FileFormat for Xlsx {
    const CSV: bool = false;
}

/// The file `{stem}.csv` or `{stem}.xlsx`, as the route's format asks,
/// written by the export for that format.
pub(crate) fn csv_or_xlsx<F: FileFormat>(
    stem: &str,
    as_csv: impl FnOnce() -> pcn_export::Result<String>,
    as_xlsx: impl FnOnce() -> pcn_export::Result<Vec<u8>>,
) -> Result<Response, AppError> {
    Ok(if F::CSV {
        let text = as_csv().map_err(anyhow::Error::from)?;
        attachment(CSV, format!("{stem}.csv"), text.into_bytes())
    } else {
        let bytes = as_xlsx().map_err(anyhow::Error::from)?;
        attachment(XLSX, format!("{stem}.xlsx"), bytes)
    })
}

/// `/networks/{code}/statement.csv|xlsx`: one network's statement for the
/// year asked.
pub async fn statement<F: FileFormat>(
    State(state): State<AppState>,
    access: Network<ToViewFunding>,
    Query(q): Query<YearParam>,
) -> Result<Response, AppError> {
    let year = parse_year(q.year.as_deref(), access.data.year)?;
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
    csv_or_xlsx::<F>(
        &stem,
        || pcn_export::pay::run_csv(&run),
        || pcn_export::pay::run_xlsx(&run),
    )
}

/// `/commissioners/{code}/networks.csv|xlsx`: a commissioner's networks, as
/// at the pages' date.
pub async fn commissioner_networks<F: FileFormat>(
    access: Commissioner,
) -> Result<Response, AppError> {
    let (code, data) = (&access.code, &access.data);
    let networks = views::networks_under(data, code);
    if networks.is_empty() {
        return Err(AppError::NotFound(format!(
            "There is no commissioner {code} with networks as at {}.",
            data.as_at
        )));
    }
    let stem = format!("{code}-networks-{}", data.as_at);
    csv_or_xlsx::<F>(
        &stem,
        || pcn_export::networks::networks_csv(&networks),
        || pcn_export::networks::networks_xlsx(&networks),
    )
}

/// `/networks/{code}/arrs/claims.csv|xlsx`: a network's claim schedule for
/// the year asked (every month).
pub async fn claims<F: FileFormat>(
    State(state): State<AppState>,
    access: Network<ToView>,
    Query(q): Query<YearParam>,
) -> Result<Response, AppError> {
    let year = parse_year(q.year.as_deref(), access.data.year)?;
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
    csv_or_xlsx::<F>(&stem, || schedule.csv(), || schedule.xlsx())
}
