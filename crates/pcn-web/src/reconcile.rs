//! Paid and owed: a network's statement against what it was actually paid
//! (the payments file, or its remittances), on the network page as a card and
//! as a page per year; on the commissioner page, the networks whose
//! differences nothing explains; and the same as JSON under `/api/`. The
//! reconciliation is the application layer's (`pcn_app::reconcile`), worked
//! out once per year and data version ([`AppState::year_reconciliation`]);
//! access is the statement's ([`guard::Network`], [`guard::commissioner`]).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;
use maud::{html, Markup};
use pcn_app::reconcile::{years_with_payments, Against};
use pcn_core::reconcile::{summarise, Cause, GroupSummary, Item, NetworkReconciliation, Pool};
use pcn_core::registry::NetworkView;
use pcn_core::rulebook::FinancialYear;
use pcn_core::PcnCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Me;
use crate::error::{ApiError, AppError};
use crate::layout::{money, page};
use crate::state::{AppState, Data, YearReconciliation};
use crate::{guard, parse_year, views};

#[derive(Deserialize, IntoParams)]
pub struct ReconcileQuery {
    /// Financial year, e.g. 2021-22 (default: the latest whose payments are imported).
    year: Option<String>,
    /// `payments` (default) or `remittances`.
    against: Option<String>,
}

fn against_of(raw: Option<&str>) -> Result<Against, AppError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(Against::Payments),
        Some(a) => Against::parse(a).ok_or_else(|| {
            AppError::BadRequest(format!("against {a:?}: use payments or remittances"))
        }),
    }
}

/// The year asked for, else the latest whose payments are imported, else the
/// pages' year.
fn year_of(data: &Data, raw: Option<&str>) -> Result<FinancialYear, AppError> {
    let latest = years_with_payments(&data.registry).last().copied();
    parse_year(raw, latest.unwrap_or(data.year))
}

/// Whether an item's difference is one nothing explains: not paid in full,
/// timing or another basis, nor a network the payments file cannot see, nor
/// a line the statement could not compute.
pub fn unexplained(i: &Item) -> bool {
    !i.cause.is_explained()
        && !matches!(
            i.cause,
            Cause::NotInPaymentsFile | Cause::OwedUnknown { .. }
        )
}

fn percent(p: Option<pcn_core::Decimal>) -> String {
    p.map(|p| format!("{p}%")).unwrap_or_default()
}

fn cause_tag(i: &Item) -> Markup {
    let class = if i.cause.is_explained() {
        "tag ok"
    } else if unexplained(i) {
        "tag error"
    } else {
        "tag info"
    };
    html! { span class=(class) { (i.cause.name()) } }
}

fn items_table(items: &[Item], with_practices: bool) -> Markup {
    html! {
        table.reconcile {
            thead { tr {
                th { "Compared as" } th.num { "Owed" } th.num { "Paid" } th.num { "Difference" } th.num { "%" }
                th.num { "Months" } th { "Cause" }
                @if with_practices { th { "Paid to" } }
            } }
            tbody { @for i in items {
                tr data-group=(i.group) data-cause=(i.cause.name()) {
                    td { (i.group) @if !i.optional_included.is_empty() { br; span.muted { "with " (i.optional_included.join(", ")) } } }
                    td.num { @if i.owed_known() { (money(i.owed)) } @else { "unknown" } @if i.estimated { " " span.tag.warning title="the amount owed rests on an estimated input" { "estimate" } } }
                    td.num { (money(i.paid)) }
                    td.num { @if i.owed_known() { (money(i.difference)) } @else { "—" } }
                    td.num { (percent(i.difference_percent)) }
                    td.num { (i.months_paid.map(|m| format!("{m} of {}", i.months_owed)).unwrap_or_default()) }
                    td { (cause_tag(i)) br; span.muted { (i.cause.describe()) } }
                    @if with_practices { td {
                        @for r in &i.recipients { (r.practice) " " (money(r.amount)) @if !r.member { " (not a member)" } br; }
                        @if !i.months_with_payment.is_empty() { span.muted { (i.months_with_payment.len()) " months with a payment" } }
                    } }
                }
            } }
        }
    }
}

/// The "Paid and owed" card of the network page: the year asked for when
/// its payments are imported, else the latest year that has them.
pub async fn network_card(
    state: &AppState,
    data: &Arc<Data>,
    code: &PcnCode,
    year: FinancialYear,
) -> Result<Markup, AppError> {
    let held = years_with_payments(&data.registry);
    let shown = if held.contains(&year) {
        Some(year)
    } else {
        held.last().copied()
    };
    let rec = match shown {
        Some(y) => {
            state
                .year_reconciliation(data, y, Against::Payments)
                .await?
        }
        None => None,
    };
    Ok(html! {
        section.card #paid-and-owed {
            h2 { "Paid and owed" @if let Some(y) = shown { " " (y) } }
            @match (shown, rec.as_ref().and_then(|r| r.network(code))) {
                (Some(y), Some(n)) => {
                    @if y != year { p.muted { "No payments are imported for " (year) "; " (y) " is the latest year that has them." } }
                    (items_table(&n.items, false))
                    p { a #reconcile-link href=(format!("/networks/{code}/reconcile?year={y}")) { "Paid and owed, with who was paid" } }
                },
                (Some(y), None) => { p { "The payments file for " (y) " names no payment to this network, and it had no statement that year." } },
                _ => { p { "No record of what was paid is imported: import NHS Payments to General Practice (or the network's remittances) to compare." } },
            }
        }
    })
}

/// A network's reconciliation for a year: every column with the practices
/// paid, and how its columns compare nationally.
pub async fn page_(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, AppError>,
    Query(q): Query<ReconcileQuery>,
) -> Result<Markup, AppError> {
    let (me, data, n) = (&access.me, &access.data, access.view());
    let year = year_of(data, q.year.as_deref())?;
    let against = against_of(q.against.as_deref())?;
    let rec = state.year_reconciliation(data, year, against).await?;
    let held = years_with_payments(&data.registry);
    let network = rec.as_ref().and_then(|r| r.network(&n.code));
    Ok(page(
        me,
        &format!("Paid and owed {} {year}", n.code),
        html! {
            h1 { "Paid and owed " (year) ": " (n.code) " " (n.name.as_deref().unwrap_or("")) }
            p.muted {
                "What the statement says against what the " (rec.as_ref().map_or(against.name(), |r| r.reconciliation.paid_from.as_str())) " says was paid. Years with payments imported: "
                @for y in &held { a href=(format!("/networks/{}/reconcile?year={y}", n.code)) { (y) } " " }
                " · " a href=(format!("/networks/{}/reconcile?year={year}&against=remittances", n.code)) { "against remittances" }
                " · " a href=(format!("/networks/{}/statement?year={year}", n.code)) { "the statement" }
            }
            @match (&rec, network) {
                (Some(r), Some(nr)) => {
                    section.card { (items_table(&nr.items, true)) }
                    (pools_card(&pools_of(&r.reconciliation.pools, &n.code)))
                    section.card {
                        h2 { "Every network, " (year) }
                        (national_table(&r.reconciliation.national))
                    }
                },
                (Some(_), None) => { section.card { p { "Nothing paid to " (n.code) " or owed to it is recorded for " (year) "." } } },
                (None, _) => { section.card { p { "Nothing paid in " (year) " is imported (" (against.name()) ")." } } },
            }
        },
    ))
}

/// The pools a network is in: paid through a payee with other networks of
/// its commissioner (or the payee of such a pool).
fn pools_of<'a>(pools: &'a [Pool], code: &PcnCode) -> Vec<&'a Pool> {
    pools
        .iter()
        .filter(|p| p.payees.iter().any(|x| &x.pcn == code) || p.unpaid.contains(code))
        .collect()
}

fn pools_card(pools: &[&Pool]) -> Markup {
    html! {
        @if !pools.is_empty() {
            section.card #pools {
                h2 { "Paid through a pooled payee" }
                p.muted { "One practice paid a column for several networks of the commissioner: compared as one. A pool that does not agree is unexplained, and its networks keep their causes." }
                ul { @for p in pools {
                    li data-agrees=(p.agrees) {
                        span class=(if p.agrees { "tag ok" } else { "tag error" }) { @if p.agrees { "agrees" } @else { "unexplained" } }
                        " " (p.describe())
                    }
                } }
            }
        }
    }
}

fn national_table(groups: &[GroupSummary]) -> Markup {
    html! {
        table #reconcile-summary {
            thead { tr { th { "Compared as" } th.num { "Networks compared" } th.num { "Within 2% (after timing)" } th.num { "Paid the full year, within 2%" } th.num { "Median difference" } } }
            tbody { @for g in groups {
                tr {
                    td { (g.group) }
                    td.num { (g.after_timing.compared) }
                    td.num { (g.after_timing.within_2) }
                    td.num { (g.paid_full_year.within_2) " of " (g.paid_full_year.compared) }
                    td.num { (percent(g.paid_full_year.median_percent)) }
                }
            } }
        }
    }
}

/// The commissioner page's card: its networks' summary for the latest year
/// with payments, and the networks with a difference nothing explains.
pub async fn commissioner_card(
    state: &AppState,
    data: &Arc<Data>,
    networks: &[&NetworkView],
) -> Result<Markup, AppError> {
    let Some(year) = years_with_payments(&data.registry).last().copied() else {
        return Ok(html! {});
    };
    let Some(rec) = state
        .year_reconciliation(data, year, Against::Payments)
        .await?
    else {
        return Ok(html! {});
    };
    let (summary, rows) = commissioner_view(&rec, networks);
    Ok(html! {
        section.card #unexplained {
            h2 { "Paid and owed " (year) }
            (national_table(&summary))
            h3 { "Networks with differences nothing explains" }
            @if rows.is_empty() { p { "None." } } @else {
                table #unexplained-networks {
                    thead { tr { th { "Network" } th { "Compared as" } th.num { "Owed" } th.num { "Paid" } th.num { "%" } th { "Cause" } } }
                    tbody { @for (pcn, i) in &rows {
                        tr data-pcn=(pcn) {
                            td { a href=(format!("/networks/{pcn}/reconcile?year={year}")) { (pcn) } }
                            td { (i.group) } td.num { (money(i.owed)) } td.num { (money(i.paid)) }
                            td.num { (percent(i.difference_percent)) } td { (i.cause.describe()) }
                        }
                    } }
                }
            }
        }
    })
}

/// A commissioner's networks in a reconciliation: their summary, and each
/// item nothing explains.
fn commissioner_view<'a>(
    rec: &'a YearReconciliation,
    networks: &[&NetworkView],
) -> (Vec<GroupSummary>, Vec<(&'a PcnCode, &'a Item)>) {
    let theirs: Vec<&NetworkReconciliation> = networks
        .iter()
        .filter_map(|n| rec.network(&n.code))
        .collect();
    let summary = summarise(theirs.iter().flat_map(|n| n.items.iter()));
    let rows = theirs
        .iter()
        .flat_map(|n| n.items.iter().map(move |i| (&n.pcn, i)))
        .filter(|(_, i)| unexplained(i))
        .collect();
    (summary, rows)
}

#[derive(Serialize, ToSchema)]
pub struct NetworkReconcileView {
    pub pcn: String,
    pub financial_year: String,
    /// `payments` or `remittances`.
    pub against: String,
    /// Whether anything paid in the year is imported.
    pub held: bool,
    /// The years NHS Payments to General Practice is imported for.
    pub years_with_payments: Vec<String>,
    /// The network's rows: owed, paid, difference, months, cause, practices paid (pence;
    /// owed and the differences are null where the amount owed is unknown).
    #[schema(value_type = Object)]
    pub network: Option<NetworkReconciliation>,
    /// Every network's summary per column, for comparison.
    #[schema(value_type = Object)]
    pub national: Vec<GroupSummary>,
    /// The pools the network is in (paid through one payee with other
    /// networks of its commissioner), agreeing or not.
    #[schema(value_type = Object)]
    pub pools: Vec<Pool>,
}

/// A network's statement against what it was paid in a year.
#[utoipa::path(get, path = "/api/networks/{code}/reconcile", params(("code" = String, Path), ReconcileQuery),
    responses((status = 200, body = NetworkReconcileView), (status = 403, body = crate::api::ErrorBody)))]
pub async fn api_network(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, ApiError>,
    Query(q): Query<ReconcileQuery>,
) -> Result<Json<NetworkReconcileView>, ApiError> {
    let (data, n) = (&access.data, access.view());
    let year = year_of(data, q.year.as_deref())?;
    let against = against_of(q.against.as_deref())?;
    let rec = state.year_reconciliation(data, year, against).await?;
    Ok(Json(NetworkReconcileView {
        pcn: n.code.to_string(),
        financial_year: year.to_string(),
        against: against.name().into(),
        held: rec.is_some(),
        years_with_payments: years_with_payments(&data.registry)
            .iter()
            .map(ToString::to_string)
            .collect(),
        network: rec.as_ref().and_then(|r| r.network(&n.code)).cloned(),
        national: rec
            .as_ref()
            .map(|r| r.reconciliation.national.clone())
            .unwrap_or_default(),
        pools: rec
            .as_ref()
            .map(|r| {
                pools_of(&r.reconciliation.pools, &n.code)
                    .into_iter()
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CommissionerReconcileView {
    pub commissioner: String,
    pub financial_year: String,
    pub against: String,
    pub held: bool,
    /// The commissioner's networks' summary per column.
    #[schema(value_type = Object)]
    pub summary: Vec<GroupSummary>,
    /// Each network's row whose difference nothing explains.
    #[schema(value_type = Object)]
    pub unexplained: Vec<(String, Item)>,
}

/// A commissioner's networks against what they were paid in a year.
#[utoipa::path(get, path = "/api/commissioners/{code}/reconcile", params(("code" = String, Path), ReconcileQuery),
    responses((status = 200, body = CommissionerReconcileView), (status = 403, body = crate::api::ErrorBody)))]
pub async fn api_commissioner(
    State(state): State<AppState>,
    Me(me): Me,
    Path(code): Path<String>,
    Query(q): Query<ReconcileQuery>,
) -> Result<Json<CommissionerReconcileView>, ApiError> {
    let path = format!("/api/commissioners/{code}/reconcile");
    let code = guard::commissioner(&state, &me, &code, &path).await?;
    let data = state.data()?;
    let year = year_of(&data, q.year.as_deref())?;
    let against = against_of(q.against.as_deref())?;
    let networks = views::networks_under(&data, &code);
    let rec = state.year_reconciliation(&data, year, against).await?;
    let (summary, unexplained) = match &rec {
        Some(r) => {
            let (s, rows) = commissioner_view(r, &networks);
            (
                s,
                rows.into_iter()
                    .map(|(p, i)| (p.to_string(), i.clone()))
                    .collect(),
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(Json(CommissionerReconcileView {
        commissioner: code.to_string(),
        financial_year: year.to_string(),
        against: against.name().into(),
        held: rec.is_some(),
        summary,
        unexplained,
    }))
}
