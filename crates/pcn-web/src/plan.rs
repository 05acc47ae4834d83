//! A commissioner's "Proposed configuration": the planner's proposal for
//! the commissioner's practices as at the pages' date, as a page (today's
//! and the proposed networks on two maps side by side, the moves, the
//! exceptions, a form to pin networks and rerun), as files (CSV, XLSX) and
//! as JSON. Pins, the seed and whether to price the proposal come in the
//! query string (`?pin=U12345&pin=U23456&seed=2&money=1`), so a rerun is a
//! GET and changes nothing stored. Each route asks the access policy like
//! the commissioner's own page: admins, the commissioner and viewers in
//! scope.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use maud::{html, Markup};
use pcn_app::plan::{Area, PlanRequest, Proposal};
use pcn_core::plan::money::{Income, MoneyComparison};
use pcn_core::plan::{Grouping, PlanConfig, ProposedNetwork};
use pcn_core::registry::PracticeView;
use pcn_core::{CommissionerCode, PcnCode};
use pcn_export::plan::{band_words, reason_words, PlanTable};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::charts::{self, MapPoint};
use crate::downloads::{csv_or_xlsx, FileFormat};
use crate::error::{ApiError, AppError};
use crate::guard;
use crate::layout::{money, page, thousands};
use crate::state::{AppState, Data};
use crate::views;

/// How long one request may search: a page must answer, and the same
/// request then gives the same answer on this machine only while the budget
/// is not reached (the page says when it was).
const TIME_BUDGET: Duration = Duration::from_secs(20);

/// The query string of every plan route.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Networks that must not change; repeat for several.
    #[param(value_type = Option<Vec<String>>)]
    pin: BTreeSet<PcnCode>,
    /// The search's seed (default 1).
    #[param(value_type = Option<u64>)]
    seed: u64,
    /// `1`: also price the proposal (the year's payment run before and after).
    #[param(value_type = Option<String>)]
    money: bool,
    /// `sub-icb`: for an ICB, plan within each sub-ICB location.
    #[param(value_type = Option<String>)]
    group: Grouping,
}

impl PlanQuery {
    /// Parses `pin=…&seed=…&money=1&group=sub-icb`; anything else is refused.
    fn parse(raw: Option<&str>) -> Result<PlanQuery, AppError> {
        let mut q = PlanQuery {
            seed: PlanConfig::default().seed,
            ..PlanQuery::default()
        };
        let bad = |what: &str, value: &str| AppError::BadRequest(format!("{what} {value:?}"));
        for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let value = value.trim();
            match key.as_ref() {
                "pin" if value.is_empty() => {}
                "pin" => {
                    let code =
                        PcnCode::parse(value).map_err(|e| AppError::BadRequest(e.to_string()))?;
                    q.pin.insert(code);
                }
                "seed" => {
                    q.seed = value
                        .parse()
                        .map_err(|_| bad("seed must be a whole number, not", value))?
                }
                "money" => q.money = matches!(value, "1" | "on" | "true" | "yes"),
                "group" => {
                    q.group = match value {
                        "icb" | "" => Grouping::Icb,
                        "sub-icb" => Grouping::SubIcb,
                        other => return Err(bad("group must be icb or sub-icb, not", other)),
                    }
                }
                other => return Err(bad("unknown parameter", other)),
            }
        }
        Ok(q)
    }

    /// The query string again (for the download links and the rerun).
    fn to_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for pin in &self.pin {
            out.append_pair("pin", pin.as_str());
        }
        out.append_pair("seed", &self.seed.to_string());
        if self.money {
            out.append_pair("money", "1");
        }
        if self.group == Grouping::SubIcb {
            out.append_pair("group", "sub-icb");
        }
        out.finish()
    }
}

/// A proposal as a route answers it.
struct Planned {
    proposal: Proposal,
    money: Option<MoneyComparison>,
}

/// The query of a plan route and its proposal for the commissioner the
/// route names (the extractor has checked the account may see it).
async fn answer<R>(
    state: &AppState,
    access: &guard::Commissioner<R>,
    query: Option<String>,
) -> Result<(PlanQuery, Planned), AppError> {
    let query = PlanQuery::parse(query.as_deref())?;
    if views::practices_under(&access.data, &access.code).is_empty() {
        return Err(AppError::NotFound(format!(
            "There is no commissioner {} in the registry as at {}.",
            access.code, access.data.as_at
        )));
    }
    let request = PlanRequest {
        area: Area::Commissioner(access.code.clone()),
        as_at: access.data.as_at,
        grouping: query.group,
        config: PlanConfig {
            seed: query.seed,
            ..PlanConfig::default()
        },
        pins: query.pin.clone(),
        time_budget: Some(TIME_BUDGET),
    };
    let in_memory = access.data.clone();
    let proposal =
        tokio::task::spawn_blocking(move || pcn_app::plan::propose(&in_memory.registry, &request))
            .await
            .map_err(|e| AppError::Internal(e.into()))??;
    let money = match query.money {
        true => Some(state.app.price(proposal.clone()).await?),
        false => None,
    };
    Ok((query, Planned { proposal, money }))
}

/// `/commissioners/{code}/plan`: the page.
pub async fn page_handler(
    State(state): State<AppState>,
    access: guard::Commissioner,
    RawQuery(query): RawQuery,
) -> Result<Markup, AppError> {
    let (q, planned) = answer(&state, &access, query).await?;
    let (code, data) = (&access.code, &access.data);
    let body = body(code, data, &planned.proposal, planned.money.as_ref(), &q);
    Ok(page(
        &access.me,
        &format!("Proposed configuration, {code}"),
        body,
    ))
}

/// `/commissioners/{code}/plan.csv`: every practice in its proposed
/// network; `plan.xlsx`: the plan's workbook (with the money when
/// `money=1`).
pub async fn file_handler<F: FileFormat>(
    State(state): State<AppState>,
    access: guard::Commissioner,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let (_, planned) = answer(&state, &access, query).await?;
    let (code, as_at) = (&access.code, access.data.as_at);
    let plan = &planned.proposal.plan;
    csv_or_xlsx::<F>(
        &format!("{code}-plan-{as_at}"),
        || pcn_export::plan::plan_csv(plan, PlanTable::Members),
        || {
            let title = format!("pcn plan: {code} as at {as_at}");
            pcn_export::plan::plan_xlsx(&title, plan, planned.money.as_ref())
        },
    )
}

/// The proposal, as `pcn plan --format json` gives it.
#[derive(Serialize, ToSchema)]
pub struct PlanView {
    /// The area, date, grouping, pins, the plan by group (measures before
    /// and after, proposed networks with their members and where each comes
    /// from, exceptions with their reasons) and the time taken.
    #[schema(value_type = Object)]
    pub proposal: Proposal,
    /// With `money=1`: each affected network's income before and after.
    #[schema(value_type = Option<Object>)]
    pub money: Option<MoneyComparison>,
}

/// A commissioner's proposed configuration (nothing is stored).
#[utoipa::path(get, path = "/api/commissioners/{code}/plan", params(("code" = String, Path, description = "sub-ICB or ICB code"), PlanQuery),
    responses((status = 200, body = PlanView), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn api_handler(
    State(state): State<AppState>,
    access: guard::Commissioner<ApiError>,
    RawQuery(query): RawQuery,
) -> Result<Json<PlanView>, ApiError> {
    let (_, Planned { proposal, money }) = answer(&state, &access, query).await?;
    Ok(Json(PlanView { proposal, money }))
}

/// Today's and the proposed networks as map points, and each map's
/// legend: a proposed network that continues one of today's has its colour.
fn maps(data: &Data, proposal: &Proposal) -> (Markup, Markup) {
    let members = || {
        proposal
            .plan
            .groups
            .iter()
            .flat_map(|g| &g.networks)
            .flat_map(|n| n.members.iter().map(move |m| (n, m)))
    };
    let mut today: Vec<String> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (_, m) in members() {
        if let Some(from) = m.from.as_ref().filter(|f| !f.is_unallocated()) {
            index.entry(from.to_string()).or_insert_with(|| {
                today.push(network_name(data, from));
                today.len() - 1
            });
        }
    }
    let mut proposed = today.clone();
    for (n, _) in members() {
        if n.continues.is_none() && !index.contains_key(&n.label) {
            index.insert(n.label.clone(), proposed.len());
            proposed.push(format!("{} (new)", n.label));
        }
    }
    let point = |m: &pcn_core::plan::ProposedMember, network: Option<&str>, label: String| {
        let loc = m.location?;
        Some(MapPoint {
            lat: loc.lat,
            lon: loc.lon,
            group: network
                .and_then(|n| index.get(n))
                .copied()
                .unwrap_or(usize::MAX),
            label,
            href: Some(format!("/practices/{}", m.practice)),
        })
    };
    let name = |m: &pcn_core::plan::ProposedMember| {
        let p: Option<&PracticeView> = data.snapshot.practices.get(&m.practice).map(|p| &**p);
        format!(
            "{} {}",
            m.practice,
            p.and_then(|p| p.name.as_deref()).unwrap_or("")
        )
    };
    let before: Vec<MapPoint> = members()
        .filter_map(|(_, m)| {
            let from = m
                .from
                .as_ref()
                .filter(|f| !f.is_unallocated())
                .map(|f| f.to_string());
            let label = format!("{} ({})", name(m), from.as_deref().unwrap_or("no network"));
            point(m, from.as_deref(), label)
        })
        .collect();
    let after: Vec<MapPoint> = members()
        .filter_map(|(n, m)| point(m, Some(&n.label), format!("{} → {}", name(m), n.label)))
        .collect();
    (
        charts::practice_map("Today's networks", &before, &today),
        charts::practice_map("Proposed networks", &after, &proposed),
    )
}

fn network_name(data: &Data, code: &PcnCode) -> String {
    let name = data
        .snapshot
        .networks
        .get(code)
        .and_then(|n| n.name.as_deref());
    format!("{code} {}", name.unwrap_or(""))
}

fn measures_table(proposal: &Proposal) -> Markup {
    let p = &proposal.plan;
    let (b, a, c) = (&p.before, &p.after, &p.changes);
    let rows: [(&str, String, String); 6] = [
        ("Networks", b.networks.to_string(), a.networks.to_string()),
        ("In band", b.in_band.to_string(), a.in_band.to_string()),
        (
            "Under the floor",
            b.under_floor.to_string(),
            a.under_floor.to_string(),
        ),
        (
            "Over the ceiling",
            b.over_ceiling.to_string(),
            a.over_ceiling.to_string(),
        ),
        (
            "Practices in no network",
            b.practices_without_network.to_string(),
            "0".into(),
        ),
        (
            "Compactness, RMS km to the network's centre",
            format!("{:.2}", b.rms_km),
            format!("{:.2}", a.rms_km),
        ),
    ];
    html! {
        table #measures {
            thead { tr { th { "" } th.num { "Today" } th.num { "Proposed" } } }
            tbody {
                @for (label, before, after) in &rows { tr { td { (label) } td.num { (before) } td.num { (after) } } }
            }
        }
        p {
            (c.practices_moved) " of " (c.practices) " practices move (" (thousands(c.patients_moved)) " patients); "
            (c.practices_placed) " placed from no network; "
            (thousands(c.network_pairs_kept)) " of " (thousands(c.network_pairs)) " pairs of practices in one network today stay together."
        }
    }
}

fn moves_table(data: &Data, proposal: &Proposal) -> Markup {
    let moves: Vec<(&ProposedNetwork, &pcn_core::plan::ProposedMember)> = proposal
        .plan
        .groups
        .iter()
        .flat_map(|g| &g.networks)
        .flat_map(|n| n.members.iter().filter(|m| m.moved).map(move |m| (n, m)))
        .collect();
    html! {
        @if moves.is_empty() {
            p { "No practice moves." }
        } @else {
            table #moves {
                thead { tr { th { "Practice" } th { "Name" } th.num { "Patients" } th { "From" } th { "To" } } }
                tbody {
                    @for (n, m) in &moves {
                        tr data-practice=(m.practice) {
                            td { a href=(format!("/practices/{}", m.practice)) { (m.practice) } }
                            td { (data.snapshot.practices.get(&m.practice).and_then(|p| p.name.as_deref()).unwrap_or("")) }
                            td.num { (thousands(m.list_size)) }
                            td { (m.from.as_ref().map_or("no network".to_string(), |f| f.to_string())) }
                            td { (n.label) @if n.continues.is_none() { " " span.tag.info { "new" } } }
                        }
                    }
                }
            }
        }
    }
}

fn networks_table(proposal: &Proposal) -> Markup {
    html! {
        table #proposed {
            thead { tr { th { "Network" } th { "Continues" } th.num { "Practices" } th.num { "Patients" } th { "Band" } } }
            tbody {
                @for n in proposal.plan.groups.iter().flat_map(|g| &g.networks) {
                    tr data-network=(n.label) {
                        td { (n.label) }
                        td { (n.continues.as_ref().map(ToString::to_string).unwrap_or_default()) }
                        td.num { (n.members.len()) }
                        td.num { (thousands(n.list_size)) }
                        td {
                            (band_words(n.band))
                            @if let Some(reason) = &n.exception { " " span.tag.warning title=(reason_words(reason)) { "exception" } }
                        }
                    }
                }
            }
        }
    }
}

fn exceptions_table(proposal: &Proposal) -> Markup {
    let exceptions: Vec<_> = proposal
        .plan
        .groups
        .iter()
        .flat_map(|g| &g.exceptions)
        .collect();
    html! {
        @if exceptions.is_empty() {
            p { "None: every proposed network is in band." }
        } @else {
            table #exceptions {
                thead { tr { th { "Network" } th { "Practice" } th.num { "Patients" } th { "Why" } } }
                tbody {
                    @for e in &exceptions {
                        tr { td { (e.network) } td { (e.practice.as_ref().map(ToString::to_string).unwrap_or_default()) } td.num { (thousands(e.list_size)) } td { (reason_words(&e.reason)) } }
                    }
                }
            }
        }
    }
}

/// One income stream of an affected network, read from its income.
type Stream = fn(&Income) -> pcn_core::money::Pence;

fn money_section(comparison: &MoneyComparison) -> Markup {
    let cell = |i: Option<Income>, f: Stream| i.map(|i| money(f(&i))).unwrap_or_else(|| "—".into());
    let streams: [(&str, Stream); 3] = [
        ("Core funding", |i| i.core_funding),
        ("Participation", |i| i.participation),
        ("ARRS Sum", |i| i.arrs_sum),
    ];
    html! {
        p.muted { "The " (comparison.financial_year) " payment run with today's networks and with the proposed ones, both from " (comparison.start) ". The ARRS Sum is the most a network can claim." }
        table #money {
            thead { tr { th { "Network" } @for (s, _) in &streams { th.num { (s) ", today" } th.num { "proposed" } } th { "" } } }
            tbody {
                @for n in &comparison.networks {
                    tr data-network=(n.network) {
                        td { (n.network) @if n.new { " " span.tag.info { "new" } } }
                        @for (_, f) in &streams { td.num { (cell(n.before, *f)) } td.num { (cell(n.after, *f)) } }
                        td { @if n.estimated { span.tag.warning title="a line rests on an estimated input" { "estimate" } } }
                    }
                }
                tr {
                    td { strong { "All affected" } }
                    @for (_, f) in &streams { td.num { (cell(Some(comparison.before), *f)) } td.num { (cell(Some(comparison.after), *f)) } }
                    td { "" }
                }
            }
        }
    }
}

fn pin_form(code: &CommissionerCode, data: &Data, proposal: &Proposal, q: &PlanQuery) -> Markup {
    let today: BTreeSet<&PcnCode> = proposal
        .plan
        .groups
        .iter()
        .flat_map(|g| &g.networks)
        .flat_map(|n| &n.members)
        .filter_map(|m| m.from.as_ref().filter(|f| !f.is_unallocated()))
        .collect();
    html! {
        form #rerun .stack method="get" action=(format!("/commissioners/{code}/plan")) {
            fieldset {
                legend { "Networks that must not change" }
                @for pcn in &today {
                    label { input type="checkbox" name="pin" value=(pcn) checked[q.pin.contains(*pcn)]; " " (network_name(data, pcn)) }
                    br;
                }
            }
            label for="seed" { "Seed" }
            input #seed type="number" name="seed" min="0" value=(q.seed);
            label { input type="checkbox" name="money" value="1" checked[q.money]; " Show what changes money" }
            @if q.group == Grouping::SubIcb { input type="hidden" name="group" value="sub-icb"; }
            p { button type="submit" { "Rerun" } }
        }
    }
}

fn body(
    code: &CommissionerCode,
    data: &Data,
    proposal: &Proposal,
    money: Option<&MoneyComparison>,
    q: &PlanQuery,
) -> Markup {
    let (before_map, after_map) = maps(data, proposal);
    let query = q.to_query();
    let plan = &proposal.plan;
    html! {
        h1 { "Proposed configuration: " (code) " " (proposal.area_name.as_deref().unwrap_or("")) }
        p.muted {
            "Registry as at " (data.as_at) "; networks of " (thousands(plan.config.floor)) " to " (thousands(plan.config.ceiling))
            " patients; seed " (plan.config.seed) ". A proposal, computed now and saved nowhere. "
            a href=(format!("/commissioners/{code}")) { "Back to " (code) }
            @if proposal.timing.budget_reached { " " span.tag.warning { "the search stopped at its time limit" } }
        }
        p.muted {
            "As a file: "
            a #plan-xlsx href=(format!("/commissioners/{code}/plan.xlsx?{query}")) { "XLSX" }
            " "
            a #plan-csv href=(format!("/commissioners/{code}/plan.csv?{query}")) { "CSV" }
        }
        section.card #summary { h2 { "Today and proposed" } (measures_table(proposal)) }
        div.grid2 {
            section.card #map-today { (before_map) }
            section.card #map-proposed { (after_map) }
        }
        @if let Some(money) = money {
            section.card #what-changes-money { h2 { "What changes money" } (money_section(money)) }
        }
        section.card { h2 { "Moves" } (moves_table(data, proposal)) }
        section.card { h2 { "Exceptions" } (exceptions_table(proposal)) }
        section.card { h2 { "Proposed networks" } (networks_table(proposal)) }
        section.card { h2 { "Pin networks and rerun" } (pin_form(code, data, proposal, q)) }
    }
}
