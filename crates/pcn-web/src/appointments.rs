//! Appointments against the 2019 pledge on the national, commissioner and
//! network pages (a card with the monthly chart, the pledge year by year
//! and, for a network, its ARRS staff by month), and the same as JSON under
//! `/api/…/appointments`. Access is the page's: each handler asks the
//! guard as the page it belongs to does.

use axum::extract::{Path, State};
use axum::Json;
use maud::{html, Markup};
use pcn_app::appointments::{sub_icb_of, AppointmentsQuery, Area, AreaAppointments};
use pcn_core::access::Scope;
use pcn_core::appointments::{Pledge, TrendRow};
use pcn_core::text::{grouped, signed, thousands};
use pcn_core::CommissionerCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::charts::{self, AppointmentMonth};
use crate::error::{ApiError, AppError};
use crate::state::{AppState, Data};
use crate::{guard, views};

/// An area's appointments as worked out for its page.
pub async fn of(state: &AppState, data: &Data, area: Area) -> Result<AreaAppointments, AppError> {
    Ok(state
        .app
        .appointments(&data.registry, &AppointmentsQuery::of(area))
        .await?)
}

/// The months of the chart, from the trend.
pub fn chart_months(trend: &[TrendRow]) -> Vec<AppointmentMonth> {
    trend
        .iter()
        .map(|r| AppointmentMonth {
            label: r.month.to_string(),
            appointments: r.appointments,
            same_month_2019: r.same_month_2019,
        })
        .collect()
}

fn pledge_table(p: &Pledge) -> Markup {
    html! {
        table.pledge {
            thead { tr { th { "Year" } th.num { "Months" } th.num { "Appointments" } th.num { "Change on 2019" } th.num { "Gap to the pledge" } } }
            tbody {
                @for y in p.baseline.iter().chain(&p.years) {
                    tr data-year=(y.label) {
                        td { (y.label) }
                        td.num { (y.months) }
                        td.num { (thousands(y.recorded)) }
                        td.num { (signed(y.change)) @if let Some(c) = y.change_percent { " (" (c) "%)" } }
                        td.num { (y.gap.map(grouped).unwrap_or_default()) }
                    }
                }
            }
        }
    }
}

/// The appointments card of a page: the chart against 2019 and the pledge.
pub fn card(a: &AreaAppointments, name: &str) -> Markup {
    let p = &a.pledge;
    let staff = a.trend.iter().any(|r| r.roster_arrs_wte.is_some());
    html! {
        section.card #appointments {
            h2 { "Appointments against 2019" }
            @if a.is_empty() {
                p { "No appointment figures (GPAD) are held for " (name) ": import the GPAD files with " code { "pcn import" } "." }
            } @else {
                (charts::appointments_against_2019(&format!("Appointments by month against the same month of 2019, {name}"), &chart_months(&a.trend)))
                p {
                    "The pledge: " strong { (thousands(p.target)) } " more appointments a year than in 2019"
                    @if let Some(s) = &p.share { " (this area's share: " (thousands(s.area_patients)) " of England's " (thousands(s.england_patients)) " registered patients at " (s.as_at) ")" }
                    "."
                }
                (pledge_table(p))
                @for n in &p.notes { p.muted { (n) } }
                @if staff {
                    h3 { "ARRS staff beside the appointments (latest 12 months)" }
                    table #appointments-staff {
                        thead { tr { th { "Month" } th.num { "Appointments" } th.num { "Same month 2019" } th.num { "Roster ARRS WTE" } th.num { "Census ARRS FTE" } } }
                        tbody {
                            @for r in a.trend.iter().rev().take(12).rev() {
                                tr {
                                    td { (r.month) }
                                    td.num { (r.appointments.map(thousands).unwrap_or_default()) }
                                    td.num { (r.same_month_2019.map(thousands).unwrap_or_default()) }
                                    td.num { (r.roster_arrs_wte.map(|w| w.to_string()).unwrap_or_default()) }
                                    td.num { (r.census_arrs_fte.map(|w| w.to_string()).unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The card of a commissioner page: by sub-ICB location only.
pub async fn commissioner_card(
    state: &AppState,
    data: &Data,
    code: &CommissionerCode,
) -> Result<Markup, AppError> {
    let area = Area::Commissioner(sub_icb_of(code)?);
    match of(state, data, area).await {
        Ok(a) => Ok(card(&a, code.as_str())),
        // An ICB: its page shows its locations, each with its own figures.
        Err(AppError::BadRequest(_) | AppError::NotFound(_)) => Ok(html! {
            section.card #appointments {
                h2 { "Appointments against 2019" }
                p { "Appointments are counted by sub-ICB location: see each location's page." }
            }
        }),
        Err(e) => Err(e),
    }
}

/// An area's appointments in JSON.
#[derive(Serialize, ToSchema)]
pub struct AppointmentsView {
    /// England, or the commissioner or network, with its code.
    #[schema(value_type = Object)]
    pub area: Area,
    /// Each month: appointments, the same month of 2019, the change,
    /// per 1,000 patients, and for a network the roster's ARRS WTE and the
    /// census's ARRS FTE.
    #[schema(value_type = Vec<Object>)]
    pub trend: Vec<TrendRow>,
    /// The 2019 baseline, each later year, the change, the gap to the
    /// target (an area's share of 50 million), and the change by staff.
    #[schema(value_type = Object)]
    pub pledge: Pledge,
}

fn view(a: AreaAppointments) -> Json<AppointmentsView> {
    Json(AppointmentsView {
        area: a.area,
        trend: a.trend,
        pledge: a.pledge,
    })
}

/// England's appointments against 2019 (accounts covering all of England).
#[utoipa::path(get, path = "/api/national/appointments",
    responses((status = 200, body = AppointmentsView), (status = 403, body = crate::api::ErrorBody)))]
pub async fn national_api(
    State(state): State<AppState>,
    crate::auth::Me(me): crate::auth::Me,
) -> Result<Json<AppointmentsView>, ApiError> {
    if me.account.scope != Scope::All {
        let why = "see the national view";
        return Err(
            guard::refuse(&state, &me, "/api/national/appointments", why)
                .await
                .into(),
        );
    }
    let data = state.data()?;
    Ok(view(of(&state, &data, Area::England).await?))
}

/// A sub-ICB location's appointments against 2019 and its share of the pledge.
#[utoipa::path(get, path = "/api/commissioners/{code}/appointments", params(("code" = String, Path, description = "sub-ICB code")),
    responses((status = 200, body = AppointmentsView), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn commissioner_api(
    State(state): State<AppState>,
    crate::auth::Me(me): crate::auth::Me,
    Path(code): Path<String>,
) -> Result<Json<AppointmentsView>, ApiError> {
    let path = format!("/api/commissioners/{code}/appointments");
    let code = guard::commissioner(&state, &me, &code, &path).await?;
    let data = state.data()?;
    if views::networks_under(&data, &code).is_empty()
        && views::practices_under(&data, &code).is_empty()
    {
        return Err(AppError::NotFound(format!("There is no commissioner {code}.")).into());
    }
    let area = Area::Commissioner(sub_icb_of(&code)?);
    Ok(view(of(&state, &data, area).await?))
}

/// A network's appointments against 2019, with its ARRS staff by month.
#[utoipa::path(get, path = "/api/networks/{code}/appointments", params(("code" = String, Path)),
    responses((status = 200, body = AppointmentsView), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn network_api(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, ApiError>,
) -> Result<Json<AppointmentsView>, ApiError> {
    let area = Area::Network(access.code.clone());
    Ok(view(of(&state, &access.data, area).await?))
}
