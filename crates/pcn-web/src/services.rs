//! The services pages and their JSON API: a network's services week by
//! week (with charts of required against delivered minutes and hours
//! required against available by role), forms to record a round, a care
//! plan and a session (network managers and admins), a commissioner's view
//! of every network's compliance with a form to align a care home
//! (commissioners and admins). Every view is worked out by
//! `pcn_app::services` from the server's data; every write is a use case
//! of it, checked and audited there.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use maud::{html, Markup};
use pcn_app::services::{self as app, CommissionerServices, NetworkServicesView, ServicesSource};
use pcn_core::access::{allows, Action, Target};
use pcn_core::arrs::Post;
use pcn_core::facts::CareHomeAlignment;
use pcn_core::funding::PayRun;
use pcn_core::rulebook::parse_time;
use pcn_core::services::{
    AccessSession, CareHomeRound, CarePlanRecord, PlanStatus, ServiceRecords, SessionDay,
    SessionMode,
};
use pcn_core::{CommissionerCode, Decimal, PcnCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::charts::{self, Bar, Flag};
use crate::error::{ApiError, ApiJson, AppError};
use crate::layout::{money, page, thousands};
use crate::state::{AppState, Data, Session, YearRun};
use crate::{guard, views};

/// The page routes (the API's are in [`api_router`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/networks/{code}/services", get(network_page))
        .route(
            "/networks/{code}/services/rounds",
            post(record_form::<RoundInput>),
        )
        .route(
            "/networks/{code}/services/plans",
            post(record_form::<PlanInput>),
        )
        .route(
            "/networks/{code}/services/sessions",
            post(record_form::<SessionInput>),
        )
        .route("/commissioners/{code}/services", get(commissioner_page))
        .route(
            "/commissioners/{code}/services/alignments",
            post(alignment_form),
        )
}

/// The API routes, nested under `/api`.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/networks/{code}/services", get(api_network))
        .route("/networks/{code}/services/rounds", post(api_round))
        .route("/networks/{code}/services/plans", post(api_plan))
        .route("/networks/{code}/services/sessions", post(api_session))
        .route("/commissioners/{code}/services", get(api_commissioner))
        .route(
            "/commissioners/{code}/services/alignments",
            post(api_alignment),
        )
}

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD`: the weeks of those dates (default: the
/// four weeks to the latest round or session recorded).
#[derive(Deserialize, IntoParams)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
    /// After a write: what was recorded (round, plan, session, aligned).
    notice: Option<String>,
}

fn date(raw: &str, what: &str) -> Result<NaiveDate, AppError> {
    pcn_core::dates::parse_date(raw.trim())
        .ok_or_else(|| AppError::BadRequest(format!("{what} {raw:?} is not a date (YYYY-MM-DD)")))
}

fn opt_date(raw: Option<&str>, what: &str) -> Result<Option<NaiveDate>, AppError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| date(s, what))
        .transpose()
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// `view` worked out over the services source of the weeks from `from` to
/// `to`, with the payment runs of those weeks' years that the rulebook has.
async fn over_period<T>(
    state: &AppState,
    data: &Arc<Data>,
    posts: &[Post],
    (from, to): (NaiveDate, NaiveDate),
    view: impl FnOnce(&ServicesSource, &[pcn_core::services::Week]) -> T,
) -> Result<T, AppError> {
    let weeks = app::weeks(from, to)?;
    let mut held: Vec<Arc<YearRun>> = Vec::new();
    for year in app::years_of(&weeks) {
        if state.rulebook.financial_year(year).is_ok() {
            held.push(state.year_run(data, year).await?);
        }
    }
    let runs: Vec<&PayRun> = held.iter().map(|r| &r.run).collect();
    let source = ServicesSource::new(
        &state.rulebook,
        &data.registry,
        &data.services,
        posts,
        &runs,
    );
    Ok(view(&source, &weeks))
}

/// A network's view from the server's data.
async fn network_view(
    state: &AppState,
    data: &Arc<Data>,
    pcn: &PcnCode,
    q: &PeriodQuery,
) -> Result<(NetworkServicesView, Vec<Post>), AppError> {
    let posts = state.store.posts(Some(pcn)).await?;
    let (from, to) = app::period(
        opt_date(q.from.as_deref(), "from")?,
        opt_date(q.to.as_deref(), "to")?,
        &data.services,
        Some(&posts),
        today(),
    );
    let view = over_period(state, data, &posts, (from, to), |source, weeks| {
        app::network_view(source, weeks, today(), pcn, &data.snapshot)
    })
    .await?;
    Ok((view, posts))
}

/// A commissioner's view from the server's data.
async fn commissioner_view(
    state: &AppState,
    data: &Arc<Data>,
    code: &CommissionerCode,
    q: &PeriodQuery,
) -> Result<CommissionerServices, AppError> {
    let networks: Vec<(PcnCode, Option<String>)> = views::networks_under(data, code)
        .into_iter()
        .filter(|n| !n.members.is_empty())
        .map(|n| (n.code.clone(), n.name.clone()))
        .collect();
    if networks.is_empty() {
        return Err(AppError::NotFound(format!(
            "There is no commissioner {code} with networks as at {}.",
            data.as_at
        )));
    }
    let posts = state.store.posts(None).await?;
    let (from, to) = app::period(
        opt_date(q.from.as_deref(), "from")?,
        opt_date(q.to.as_deref(), "to")?,
        &data.services,
        None,
        today(),
    );
    over_period(state, data, &posts, (from, to), |source, weeks| {
        app::commissioner_view(source, weeks, today(), code, networks)
    })
    .await
}

// ------------------------------------------------------------------ charts

fn whole(d: Decimal) -> u64 {
    d.ceil().try_into().unwrap_or(0)
}

/// Minutes inside the hours by week (delivered, else planned) against the requirement.
fn access_chart(v: &NetworkServicesView) -> Markup {
    let mut required: Vec<u64> = Vec::new();
    let mut bars = Vec::new();
    for w in &v.services.weeks {
        let Some(a) = &w.access else { continue };
        let (got, what) = if a.delivered_recorded {
            (a.delivered_inside, "delivered")
        } else {
            (a.planned_inside, "planned")
        };
        let need = a.required.map(whole);
        if let Some(n) = need.filter(|n| !required.contains(n)) {
            required.push(n);
        }
        bars.push(Bar {
            label: format!("{} {what}", w.week.monday().format("%d %b")),
            value: u64::from(got),
            href: None,
            flag: match need {
                Some(n) if u64::from(got) < n => Flag::Error,
                _ => Flag::Ok,
            },
        });
    }
    let labels: Vec<String> = required
        .iter()
        .map(|r| format!("required {}", thousands(*r)))
        .collect();
    let lines: Vec<(u64, &str)> = required
        .iter()
        .zip(&labels)
        .take(2)
        .map(|(r, l)| (*r, l.as_str()))
        .collect();
    charts::list_size_bars(
        &format!(
            "Access minutes inside the hours by week, {}",
            v.services.pcn
        ),
        &bars,
        &lines,
    )
}

/// Hours required against hours available by role, in the last week.
fn roles_chart(v: &NetworkServicesView) -> Markup {
    let mut bars = Vec::new();
    let last = v.services.weeks.last();
    for r in last
        .map(|w| w.capacity.roles.as_slice())
        .unwrap_or_default()
    {
        let short = r.required > r.available;
        bars.push(Bar {
            label: format!("{} required", r.role),
            value: whole(r.required),
            href: None,
            flag: if short { Flag::Error } else { Flag::Ok },
        });
        bars.push(Bar {
            label: format!("{} available", r.role),
            value: whole(r.available),
            href: None,
            flag: Flag::Ok,
        });
    }
    let week = last.map_or(String::new(), |w| w.week.to_string());
    charts::list_size_bars(
        &format!("Hours required and available by role, {week}"),
        &bars,
        &[],
    )
}

// ------------------------------------------------------------------ pages

fn notice_text(code: &str) -> Option<&'static str> {
    match code {
        "round" => Some("The round was recorded."),
        "plan" => Some("The care plan was recorded."),
        "session" => Some("The session was recorded."),
        "aligned" => Some("The care home's alignment was recorded."),
        _ => None,
    }
}

fn period_form(action: &str, from: NaiveDate, to: NaiveDate) -> Markup {
    html! {
        form.inline #period method="get" action=(action) {
            label { "From " input type="date" name="from" value=(from); }
            " "
            label { "to " input type="date" name="to" value=(to); }
            " " button type="submit" { "Show" }
        }
    }
}

fn weeks_table(v: &NetworkServicesView) -> Markup {
    html! {
        table #service-weeks {
            thead { tr {
                th { "Week" } th.num { "Rounds met" } th.num { "Access required" } th.num { "Planned" }
                th.num { "Delivered" } th.num { "Sessions cost" } th.num { "Payment" } th { "Staff" }
            } }
            tbody { @for w in &v.services.weeks {
                @let a = w.access.as_ref();
                tr data-week=(w.week.monday()) data-can-deliver=(w.capacity.can_deliver) {
                    td { (w.week.monday()) @if w.access.as_ref().is_some_and(|a| !a.bank_holidays.is_empty()) { br; span.muted { "bank holiday week" } } }
                    td.num { (w.homes_met) "/" (w.homes_owed) }
                    td.num { (a.and_then(|a| a.required).map_or("unknown".into(), |r| r.round_dp(1).normalize().to_string())) }
                    td.num { (a.map_or("-".into(), |a| thousands(u64::from(a.planned_inside)))) }
                    td.num { (a.map_or("-".into(), |a| if a.delivered_recorded { thousands(u64::from(a.delivered_inside)) } else { "none recorded".into() })) }
                    td.num { (a.and_then(|a| a.delivered_cost.or(a.planned_cost)).map_or("-".into(), money)) }
                    td.num { (a.and_then(|a| a.payment).map_or("-".into(), money)) }
                    td { @if w.capacity.can_deliver { span.tag.ok { "can deliver" } } @else { span.tag.error { "short" } } }
                }
            } }
        }
    }
}

fn money_table(v: &NetworkServicesView) -> Markup {
    let Some(last) = v.services.weeks.last() else {
        return html! {};
    };
    html! {
        h3 { "Each service in the " (last.week) }
        table #service-money {
            thead { tr { th { "Service" } th.num { "Hours" } th.num { "Short" } th.num { "Staff cost" } th.num { "ARRS" } th.num { "Income" } th { "Delivery" } th { "Funding" } } }
            tbody { @for s in &last.capacity.services {
                tr {
                    td { (s.name) }
                    td.num { (s.required_hours.round_dp(1).normalize()) }
                    td.num { (s.unmet_hours.round_dp(1).normalize()) }
                    td.num { (money(s.staff_cost)) }
                    td.num { (money(s.arrs_reimbursed)) }
                    td.num { (s.income.map_or("-".into(), money)) }
                    td { (s.delivery_answer) }
                    td { (s.funding_answer) }
                }
            } }
        }
    }
}

fn homes_table(v: &NetworkServicesView) -> Markup {
    html! {
        @if v.services.homes.is_empty() { p { "No care homes are aligned to this network in these weeks." } } @else {
            table #care-homes {
                thead { tr { th { "Week" } th { "Care home" } th.num { "Beds" } th.num { "Rounds" } th.num { "Reviewed" } th { "Round" } th.num { "Premium that week" } } }
                tbody { @for h in &v.services.homes {
                    tr data-home=(h.week.location_id) data-met=(h.week.met) {
                        td { (h.week.week.monday()) }
                        td { (h.name.as_deref().unwrap_or("")) br; span.muted { (h.week.location_id) } }
                        td.num { (h.beds.map_or("-".into(), |b| b.to_string())) }
                        td.num { (h.week.rounds) }
                        td.num { (h.week.residents_reviewed) }
                        td { @if h.week.met { span.tag.ok { "met" } } @else { span.tag.error { "missed" } " " span.muted { "the weekly round of Enhanced Health in Care Homes" } } }
                        td.num { (h.premium.map_or("-".into(), money)) }
                    }
                } }
            }
        }
    }
}

fn plans_table(v: &NetworkServicesView) -> Markup {
    html! {
        @if v.services.plans.is_empty() { p { "No care plans recorded for admissions in these weeks." } } @else {
            table #care-plans {
                thead { tr { th { "Resident" } th { "Care home" } th { "Admitted" } th { "Deadline" } th { "Plan" } th { "Status" } } }
                tbody { @for p in &v.services.plans {
                    tr {
                        td { (p.resident) } td { (p.location_id) } td { (p.admitted) } td { (p.deadline) }
                        td { (p.planned.map_or("-".into(), |d| d.to_string())) }
                        td { @match p.status {
                            PlanStatus::OnTime => span.tag.ok { "on time" },
                            PlanStatus::Due => span.tag.info { "due" },
                            PlanStatus::Late => { span.tag.error { "late" } " by " (p.working_days_late) " working days" },
                            PlanStatus::Overdue => { span.tag.error { "overdue" } " by " (p.working_days_late) " working days" },
                        } }
                    }
                } }
            }
        }
    }
}

fn partners_table(v: &NetworkServicesView) -> Markup {
    html! {
        @if v.partners.is_empty() { p { "No community, mental health or voluntary partners are recorded." } } @else {
            table #partners {
                thead { tr { th { "Partner" } th { "Kind" } th { "Its posts on the roster" } th { "May deliver" } th.num { "Rounds" } th.num { "Sessions (minutes)" } } }
                tbody { @for p in &v.partners {
                    tr {
                        td { (p.name) } td { (p.kind) }
                        td { @if p.posts.is_empty() { span.muted { "none on the roster" } } @for (id, role, wte) in &p.posts { (id) " " (role) " " (wte.normalize()) " WTE" br; } }
                        td { (p.may_deliver.join("; ")) }
                        td.num { (p.rounds) }
                        td.num { (p.sessions) " (" (thousands(u64::from(p.session_minutes))) ")" }
                    }
                } }
            }
        }
    }
}

fn specs_list(v: &NetworkServicesView) -> Markup {
    html! {
        ul #specs { @for s in &v.specs {
            li {
                strong { (s.name) } " (from " (s.from) "): "
                @for (i, r) in s.requirements.iter().enumerate() {
                    @if i > 0 { "; " }
                    code { (r.id) } @if !r.cited.verified { " (not verified)" }
                }
                br; span.muted { "Source: " (s.cited.source.document) }
            }
        } }
    }
}

fn post_options(posts: &[Post], on: NaiveDate) -> Markup {
    html! {
        @for p in posts.iter().filter(|p| p.end.is_none_or(|e| e >= on - chrono::Days::new(120))) {
            option value=(p.id) { (p.id) " · " (p.role) " · " (p.person) }
        }
    }
}

fn record_forms(state: &AppState, me: &Session, v: &NetworkServicesView, posts: &[Post]) -> Markup {
    let code = &v.services.pcn;
    let mut homes: Vec<(&str, Option<&str>)> = v
        .services
        .homes
        .iter()
        .map(|h| (h.week.location_id.as_str(), h.name.as_deref()))
        .collect();
    homes.dedup();
    let on = today();
    // Each form's token works on that form's action only.
    let hidden = |state: &AppState, action: &str| {
        html! {
            input type="hidden" name="csrf" value=(me.csrf_token);
            input type="hidden" name="form_token" value=(state.form_token(me, action));
        }
    };
    html! {
        div.grid2 {
            section.card {
                h2 { "Record a round" }
                form #record-round .stack method="post" action=(format!("/networks/{code}/services/rounds")) {
                    (hidden(state, &format!("/networks/{code}/services/rounds")))
                    label for="round-home" { "Care home" }
                    select #round-home name="location_id" required { @for (id, name) in &homes { option value=(id) { (name.unwrap_or("")) " " (id) } } }
                    label for="round-date" { "Date" }
                    input #round-date type="date" name="date" value=(on) required;
                    label for="round-post" { "Clinician (post)" }
                    select #round-post name="post_id" required { (post_options(posts, on)) }
                    label for="round-reviewed" { "Residents reviewed" }
                    input #round-reviewed name="residents_reviewed" inputmode="numeric" value="0" required;
                    p { button type="submit" { "Record the round" } }
                }
            }
            section.card {
                h2 { "Record a care plan" }
                form #record-plan .stack method="post" action=(format!("/networks/{code}/services/plans")) {
                    (hidden(state, &format!("/networks/{code}/services/plans")))
                    label for="plan-resident" { "Resident reference (never a name or NHS number)" }
                    input #plan-resident name="resident" required maxlength="40";
                    label for="plan-home" { "Care home" }
                    select #plan-home name="location_id" required { @for (id, name) in &homes { option value=(id) { (name.unwrap_or("")) " " (id) } } }
                    label for="plan-admitted" { "Admitted" }
                    input #plan-admitted type="date" name="admission_date" required;
                    label for="plan-date" { "Plan agreed (blank: not yet)" }
                    input #plan-date type="date" name="plan_date";
                    p { button type="submit" { "Record the care plan" } }
                }
            }
            section.card {
                h2 { "Record an access session" }
                form #record-session .stack method="post" action=(format!("/networks/{code}/services/sessions")) {
                    (hidden(state, &format!("/networks/{code}/services/sessions")))
                    label for="session-site" { "Site" }
                    input #session-site name="site" required maxlength="100";
                    label for="session-date" { "Date" }
                    input #session-date type="date" name="date" value=(on) required;
                    label { input type="checkbox" name="weekly" value="yes"; " every week from this date (a row of the weekly plan)" }
                    label for="session-start" { "Start" }
                    input #session-start type="time" name="start" value="18:30" required;
                    label for="session-end" { "End" }
                    input #session-end type="time" name="end" value="20:00" required;
                    label for="session-post" { "Clinician (post)" }
                    select #session-post name="post_id" required { (post_options(posts, on)) }
                    label for="session-appointments" { "Appointments offered" }
                    input #session-appointments name="appointments_offered" inputmode="numeric" value="6" required;
                    label for="session-mode" { "Mode" }
                    select #session-mode name="mode" { option value="face-to-face" { "Face to face" } option value="remote" { "Remote" } }
                    p { button type="submit" { "Record the session" } }
                }
            }
        }
    }
}

pub async fn network_page(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, AppError>,
    Query(q): Query<PeriodQuery>,
) -> Result<Markup, AppError> {
    let (me, data, n) = (&access.me, &access.data, access.view());
    let (v, posts) = network_view(&state, data, &n.code, &q).await?;
    let may_record = allows(&me.account, Action::RecordServices, Target::Network(n));
    let notice = q.notice.as_deref().and_then(notice_text);
    let code = &n.code;
    Ok(page(
        me,
        &format!("Services {code}"),
        html! {
            h1 { "Services: " (code) " " (n.name.as_deref().unwrap_or("")) }
            p.muted {
                (period_form(&format!("/networks/{code}/services"), v.services.from, v.services.to))
                " · " a href=(format!("/networks/{code}")) { "Network" }
                @if let Some(c) = &n.commissioner { " · " a #commissioner-services href=(format!("/commissioners/{c}/services")) { "Every network of " (c) } }
                " · " a href=(format!("/api/networks/{code}/services?from={}&to={}", v.services.from, v.services.to)) { "JSON" }
            }
            @if let Some(t) = notice { p.notice role="status" { (t) } }
            section.card #answers {
                h2 { "Can it deliver, and is it funded?" }
                ul { @for a in &v.services.answers { li { (a) } } }
                @if !v.services.weeks_without_rules.is_empty() { p.error { (v.services.weeks_without_rules.len()) " weeks have no rules in the rulebook and are left out." } }
            }
            div.grid2 {
                section.card #access-chart { h2 { "Access minutes against the requirement" } (access_chart(&v)) }
                section.card #roles-chart { h2 { "Hours by role" } (roles_chart(&v)) }
            }
            section.card { h2 { "Week by week" } (weeks_table(&v)) (money_table(&v)) }
            section.card { h2 { "Care home rounds" } (homes_table(&v)) }
            section.card { h2 { "Care plans" } (plans_table(&v)) }
            section.card { h2 { "Partners and the services they deliver" } (partners_table(&v)) }
            section.card { h2 { "Specifications in force" } (specs_list(&v)) }
            @if may_record { (record_forms(&state, me, &v, &posts)) }
        },
    ))
}

fn compliance_table(c: &CommissionerServices) -> Markup {
    html! {
        table #services-compliance {
            thead { tr {
                th { "Network" } th.num { "Rounds met" } th.num { "Plans late / overdue" } th.num { "Access required" }
                th.num { "Delivered" } th.num { "Weeks short of access" } th.num { "Weeks short of staff" } th { "Answer" }
            } }
            tbody { @for (name, r) in &c.networks {
                tr data-pcn=(r.pcn) data-weeks-short=(r.weeks_short_of_staff) {
                    td { a href=(format!("/networks/{}/services?from={}&to={}", r.pcn, c.from, c.to)) { (r.pcn) } br; span.muted { (name.as_deref().unwrap_or("")) } }
                    td.num { (r.rounds_met) "/" (r.rounds_owed) }
                    td.num { (r.plans_late) " / " (r.plans_overdue) }
                    td.num { (r.access_required.map_or("unknown".into(), |m| m.round_dp(0).to_string())) }
                    td.num { (thousands(u64::from(r.access_delivered))) }
                    td.num { (r.access_weeks_short) "/" (r.weeks) }
                    td.num { (r.weeks_short_of_staff) "/" (r.weeks) }
                    td { @if r.answer == "meets what is recorded" { span.tag.ok { "meets" } } @else { span.tag.error { "short" } " " (r.answer) } }
                }
            } }
        }
    }
}

pub async fn commissioner_page(
    State(state): State<AppState>,
    access: guard::Commissioner<AppError>,
    Query(q): Query<PeriodQuery>,
) -> Result<Markup, AppError> {
    let (me, data, code) = (&access.me, &access.data, &access.code);
    let c = commissioner_view(&state, data, code, &q).await?;
    let networks = views::networks_under(data, code);
    let may_align: Vec<_> = networks
        .iter()
        .filter(|n| allows(&me.account, Action::AlignCareHomes, Target::Network(n)))
        .collect();
    let aligned: std::collections::BTreeSet<&str> = data
        .registry
        .care_home_alignments()
        .filter(|a| networks.iter().any(|n| n.code == a.pcn))
        .map(|a| a.location_id.as_str())
        .collect();
    let notice = q.notice.as_deref().and_then(notice_text);
    Ok(page(
        me,
        &format!("Services {code}"),
        html! {
            h1 { "Services: every network of " (code) }
            p.muted {
                (period_form(&format!("/commissioners/{code}/services"), c.from, c.to))
                " · " a href=(format!("/commissioners/{code}")) { "Commissioner" }
            }
            @if let Some(t) = notice { p.notice role="status" { (t) } }
            section.card { (compliance_table(&c)) }
            @if !may_align.is_empty() {
                section.card {
                    h2 { "Align a care home to a network" }
                    p.muted { "From the date given the home is its network's; a move needs no end to the old alignment." }
                    form #align-home .stack method="post" action=(format!("/commissioners/{code}/services/alignments")) {
                        input type="hidden" name="csrf" value=(me.csrf_token);
                        input type="hidden" name="form_token" value=(state.form_token(me, &format!("/commissioners/{code}/services/alignments")));
                        label for="align-location" { "CQC location id" }
                        input #align-location name="location_id" required list="aligned-homes" placeholder="1-101234567";
                        datalist #aligned-homes { @for h in &aligned { option value=(h) {} } }
                        label for="align-pcn" { "Network" }
                        select #align-pcn name="pcn_code" required { @for n in &may_align { option value=(n.code) { (n.code) " " (n.name.as_deref().unwrap_or("")) } } }
                        label for="align-from" { "From" }
                        input #align-from type="date" name="aligned_from" value=(today()) required;
                        label for="align-to" { "To (blank: open)" }
                        input #align-to type="date" name="aligned_to";
                        p { button type="submit" { "Align the home" } }
                    }
                }
            }
        },
    ))
}

// ------------------------------------------------------------------ writes

/// A round as typed (form or JSON).
#[derive(Deserialize, ToSchema)]
pub struct RoundInput {
    /// The care home's CQC location id.
    pub location_id: String,
    /// YYYY-MM-DD.
    pub date: String,
    pub post_id: String,
    pub residents_reviewed: String,
}

/// A new resident's care plan as typed.
#[derive(Deserialize, ToSchema)]
pub struct PlanInput {
    /// A pseudonymous reference (never a name or NHS number).
    pub resident: String,
    pub location_id: String,
    pub admission_date: String,
    /// Blank while no plan has been agreed.
    pub plan_date: Option<String>,
}

/// A session as typed: delivered on `date`, or with `weekly` a row of the
/// weekly plan on that weekday from that date.
#[derive(Deserialize, ToSchema)]
pub struct SessionInput {
    pub site: String,
    pub date: String,
    /// "yes" (form) or "true" (JSON): a weekly plan row.
    pub weekly: Option<String>,
    /// HH:MM.
    pub start: String,
    pub end: String,
    pub post_id: String,
    pub appointments_offered: String,
    /// face-to-face or remote.
    pub mode: String,
}

/// A care home alignment as typed.
#[derive(Deserialize, ToSchema)]
pub struct AlignmentInput {
    pub location_id: String,
    pub pcn_code: String,
    pub aligned_from: String,
    pub aligned_to: Option<String>,
}

fn number<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::BadRequest(format!("{what} {raw:?} is not a whole number")))
}

/// A service record as typed, in a form or through the API.
pub trait RecordInput: serde::de::DeserializeOwned + Send + 'static {
    /// The notice the services page shows once a form has recorded it.
    const NOTICE: &'static str;
    /// The records it makes for network `pcn`; a bad field is an error
    /// naming it (422), and nothing is recorded.
    fn records(&self, pcn: &PcnCode) -> Result<ServiceRecords, AppError>;
}

impl RecordInput for RoundInput {
    const NOTICE: &'static str = "round";
    fn records(&self, _: &PcnCode) -> Result<ServiceRecords, AppError> {
        Ok(ServiceRecords {
            rounds: vec![CareHomeRound {
                date: date(&self.date, "date")?,
                location_id: self.location_id.trim().to_string(),
                post: number(&self.post_id, "post")?,
                residents_reviewed: number(&self.residents_reviewed, "residents reviewed")?,
                row: None,
            }],
            ..ServiceRecords::default()
        })
    }
}

impl RecordInput for PlanInput {
    const NOTICE: &'static str = "plan";
    fn records(&self, _: &PcnCode) -> Result<ServiceRecords, AppError> {
        let resident = self.resident.trim();
        let pseudonymous = (1..=40).contains(&resident.len())
            && resident
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !(resident.len() == 10 && resident.bytes().all(|b| b.is_ascii_digit()));
        if !pseudonymous {
            return Err(AppError::BadRequest(
                "the resident reference must be 1 to 40 letters, digits, - or _, and not an NHS number"
                    .into(),
            ));
        }
        Ok(ServiceRecords {
            care_plans: vec![CarePlanRecord {
                resident: resident.to_string(),
                location_id: self.location_id.trim().to_string(),
                admitted: date(&self.admission_date, "admission date")?,
                planned: opt_date(self.plan_date.as_deref(), "plan date")?,
                row: None,
            }],
            ..ServiceRecords::default()
        })
    }
}

impl RecordInput for SessionInput {
    const NOTICE: &'static str = "session";
    fn records(&self, pcn: &PcnCode) -> Result<ServiceRecords, AppError> {
        let time = |raw: &str, what: &str| {
            parse_time(raw).ok_or_else(|| {
                AppError::BadRequest(format!("{what} {raw:?} is not a time (HH:MM)"))
            })
        };
        let (start, end) = (time(&self.start, "start")?, time(&self.end, "end")?);
        if end <= start {
            return Err(AppError::BadRequest(
                "the session ends at or before it starts (a session across midnight is two)".into(),
            ));
        }
        let on = date(&self.date, "date")?;
        let weekly = self
            .weekly
            .as_deref()
            .is_some_and(|w| matches!(w.trim(), "yes" | "true" | "on" | "1"));
        let session = AccessSession {
            pcn: pcn.clone(),
            site: self.site.trim().chars().take(100).collect(),
            day: if weekly {
                SessionDay::Weekly(chrono::Datelike::weekday(&on))
            } else {
                SessionDay::On(on)
            },
            start,
            end,
            post: number(&self.post_id, "post")?,
            appointments: number(&self.appointments_offered, "appointments offered")?,
            mode: SessionMode::parse(&self.mode).ok_or_else(|| {
                AppError::BadRequest(format!("mode {:?}: use face-to-face or remote", self.mode))
            })?,
            from: weekly.then_some(on),
            to: None,
            row: None,
        };
        if session.site.is_empty() {
            return Err(AppError::BadRequest("give the session's site".into()));
        }
        Ok(if weekly {
            ServiceRecords {
                planned_sessions: vec![session],
                ..ServiceRecords::default()
            }
        } else {
            ServiceRecords {
                delivered_sessions: vec![session],
                ..ServiceRecords::default()
            }
        })
    }
}

/// Reads what was typed into records and records them, then recomputes the
/// server's data so the pages show it.
async fn record(
    state: &AppState,
    me: &Session,
    pcn: &PcnCode,
    input: &impl RecordInput,
) -> Result<(), AppError> {
    let records = input.records(pcn)?;
    state
        .app
        .record_services(pcn, &records, today(), &me.account.username)
        .await?;
    state.refresh().await?;
    Ok(())
}

/// A form recording a round, a care plan or a session: its tokens and what
/// was typed.
pub async fn record_form<I: RecordInput>(
    State(state): State<AppState>,
    guard::FormPost { access, input }: guard::FormPost<
        guard::Network<guard::ToRecordServices, AppError>,
        I,
    >,
) -> Result<Response, AppError> {
    let code = &access.code;
    record(&state, &access.me, code, &input).await?;
    Ok(Redirect::to(&format!("/networks/{code}/services?notice={}", I::NOTICE)).into_response())
}

/// Aligns a home to a network the account may align homes to.
async fn align(
    state: &AppState,
    me: &Session,
    data: &Data,
    path: &str,
    f: &AlignmentInput,
) -> Result<CareHomeAlignment, AppError> {
    let pcn = PcnCode::parse(f.pcn_code.trim())
        .map_err(|e| AppError::BadRequest(format!("network: {e}")))?;
    let network =
        guard::network(state, me, data, pcn.as_str(), Action::AlignCareHomes, path).await?;
    let alignment = CareHomeAlignment {
        location_id: f.location_id.trim().to_string(),
        pcn: network.code.clone(),
        from: date(&f.aligned_from, "from")?,
        to: opt_date(f.aligned_to.as_deref(), "to")?,
    };
    state
        .app
        .align_care_home(&alignment, &me.account.username)
        .await?;
    state.refresh().await?;
    Ok(alignment)
}

pub async fn alignment_form(
    State(state): State<AppState>,
    guard::FormPost { access, input: f }: guard::FormPost<
        guard::Commissioner<AppError>,
        AlignmentInput,
    >,
) -> Result<Response, AppError> {
    align(&state, &access.me, &access.data, &access.path, &f).await?;
    Ok(Redirect::to(&format!(
        "/commissioners/{}/services?notice=aligned",
        access.code
    ))
    .into_response())
}

// ------------------------------------------------------------------ API

#[derive(Serialize, ToSchema)]
pub struct ServicesBody {
    /// The services: weeks (capacity, access), care homes by week, care
    /// plans, partners, the specifications in force and plain answers.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub view: NetworkServicesView,
}

/// A network's services over a run of weeks.
#[utoipa::path(get, path = "/api/networks/{code}/services", params(("code" = String, Path), PeriodQuery),
    responses((status = 200, body = ServicesBody), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn api_network(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, ApiError>,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<ServicesBody>, ApiError> {
    let (view, _) = network_view(&state, &access.data, &access.code, &q).await?;
    Ok(Json(ServicesBody { view }))
}

#[derive(Serialize, ToSchema)]
pub struct CommissionerServicesBody {
    /// Each network of the commissioner with its compliance over the weeks.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub view: CommissionerServices,
}

/// Every network of a commissioner with its compliance.
#[utoipa::path(get, path = "/api/commissioners/{code}/services", params(("code" = String, Path), PeriodQuery),
    responses((status = 200, body = CommissionerServicesBody), (status = 403, body = crate::api::ErrorBody)))]
pub async fn api_commissioner(
    State(state): State<AppState>,
    access: guard::Commissioner<ApiError>,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<CommissionerServicesBody>, ApiError> {
    let view = commissioner_view(&state, &access.data, &access.code, &q).await?;
    Ok(Json(CommissionerServicesBody { view }))
}

fn created() -> Response {
    (
        StatusCode::CREATED,
        Json(serde_json::json!({"recorded": true})),
    )
        .into_response()
}

/// Records a care home round (network managers and admins).
#[utoipa::path(post, path = "/api/networks/{code}/services/rounds", params(("code" = String, Path)), request_body = RoundInput,
    security(("session" = [], "csrf" = [])),
    responses((status = 201), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn api_round(
    State(state): State<AppState>,
    access: guard::ApiWrite<guard::Network<guard::ToRecordServices, ApiError>>,
    ApiJson(f): ApiJson<RoundInput>,
) -> Result<Response, ApiError> {
    record(&state, &access.me, &access.code, &f).await?;
    Ok(created())
}

/// Records a new resident's care plan (network managers and admins).
#[utoipa::path(post, path = "/api/networks/{code}/services/plans", params(("code" = String, Path)), request_body = PlanInput,
    security(("session" = [], "csrf" = [])),
    responses((status = 201), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn api_plan(
    State(state): State<AppState>,
    access: guard::ApiWrite<guard::Network<guard::ToRecordServices, ApiError>>,
    ApiJson(f): ApiJson<PlanInput>,
) -> Result<Response, ApiError> {
    record(&state, &access.me, &access.code, &f).await?;
    Ok(created())
}

/// Records an access session, delivered or a weekly plan row (network managers and admins).
#[utoipa::path(post, path = "/api/networks/{code}/services/sessions", params(("code" = String, Path)), request_body = SessionInput,
    security(("session" = [], "csrf" = [])),
    responses((status = 201), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn api_session(
    State(state): State<AppState>,
    access: guard::ApiWrite<guard::Network<guard::ToRecordServices, ApiError>>,
    ApiJson(f): ApiJson<SessionInput>,
) -> Result<Response, ApiError> {
    record(&state, &access.me, &access.code, &f).await?;
    Ok(created())
}

/// Aligns a care home to one of the commissioner's networks (commissioners and admins).
#[utoipa::path(post, path = "/api/commissioners/{code}/services/alignments", params(("code" = String, Path)), request_body = AlignmentInput,
    security(("session" = [], "csrf" = [])),
    responses((status = 201), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn api_alignment(
    State(state): State<AppState>,
    access: guard::ApiWrite<guard::Commissioner<ApiError>>,
    ApiJson(f): ApiJson<AlignmentInput>,
) -> Result<Response, ApiError> {
    align(&state, &access.me, &access.data, &access.path, &f).await?;
    Ok(created())
}
