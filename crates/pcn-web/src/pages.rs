//! The server-rendered pages. Every handler takes the logged-in account
//! (`Me`) and asks the access policy before it reads or changes anything.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use maud::{html, Markup};
use pcn_core::access::{allows, Action, Role, Scope, Target};
use pcn_core::arrs::{Budget, Funding, Post};
use pcn_core::checks::{Severity, RULES};
use pcn_core::funding::LineStatus;
use pcn_core::money::Pence;
use pcn_core::registry::{NetworkView, PracticeView};
use pcn_core::rulebook::FinancialYear;
use pcn_core::{CommissionerCode, PcnCode};
use serde::Deserialize;

use super::auth::{self, Me};
use super::charts;
use super::error::AppError;
use super::layout::{bare, money, page, thousands};
use super::state::{AppState, YearRun};
use super::views::{self, Status};
use super::{guard, home_of, parse_year};

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_form(error: Option<&str>, next: Option<&str>, csrf: &str) -> Markup {
    html! {
        section.card.narrow {
            h1 { "Log in" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form #login .stack method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                @if let Some(n) = next { input type="hidden" name="next" value=(n); }
                label for="username" { "User name" }
                input #username name="username" autocomplete="username" required;
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                p { button type="submit" { "Log in" } }
            }
            p.muted { "Accounts are made by an administrator with " code { "pcn user add" } "." }
        }
    }
}

/// The login page, with a fresh login CSRF token in a cookie.
pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    if state.session_of(&headers).await?.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let csrf = auth::random_token()?;
    let next = auth::safe_next(q.next.as_deref());
    Ok((
        [(
            header::SET_COOKIE,
            auth::set_cookie(&state, auth::LOGIN_COOKIE, &csrf, 3600),
        )],
        bare("Log in", login_form(None, next.as_deref(), &csrf)),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = auth::safe_next(f.next.as_deref());
    let expected = auth::cookie(&headers, auth::LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || expected != f.csrf {
        return Err(AppError::Forged(
            "The login form has expired or did not come from this site: reload the page and log in again.".into(),
        ));
    }
    let client = auth::client(peer);
    match auth::check_login(&state, &f.username, &f.password, &client).await {
        Ok(account) => {
            let target = next.unwrap_or_else(|| home_of(&account));
            let (token, _) = state.start_session(account).await?;
            Ok((
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, target),
                    (header::SET_COOKIE, auth::session_cookie(&state, &token)),
                ],
            )
                .into_response())
        }
        Err(e @ (AppError::BadRequest(_) | AppError::Throttled(_))) => {
            let status = match e {
                AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let message = e.public_message();
            Ok((
                status,
                bare(
                    "Log in",
                    login_form(Some(&message), next.as_deref(), &f.csrf),
                ),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    Me(me): Me,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    if f.csrf != me.csrf_token {
        return Err(AppError::Forged(
            "The logout form did not carry this session's security token.".into(),
        ));
    }
    state.end_session(&me).await?;
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".to_string()),
            (
                header::SET_COOKIE,
                auth::set_cookie(&state, auth::SESSION_COOKIE, "", 0),
            ),
        ],
    )
        .into_response())
}

pub async fn home(Me(me): Me) -> Redirect {
    Redirect::to(&home_of(&me.account))
}

fn status_tag(s: Status) -> Markup {
    html! { span class=(format!("tag {}", s.as_str())) { (match s { Status::Ok => "meets the rules", Status::Warning => "warning", Status::Error => "breaks a rule" }) } }
}

fn severity_tag(s: Severity) -> Markup {
    html! { span class=(format!("tag {}", s.name())) { (s.name()) } }
}

pub async fn national(State(state): State<AppState>, Me(me): Me) -> Result<Markup, AppError> {
    if me.account.scope != Scope::All {
        return Err(guard::refuse(
            &state,
            &me,
            "/national",
            "the national page is for accounts covering all of England",
        )
        .await);
    }
    let data = state.data()?;
    let rows = views::commissioner_rows(&data);
    let s = &data.report.summary;
    let england =
        super::appointments::of(&state, &data, pcn_app::appointments::Area::England).await?;
    Ok(page(
        &me,
        "England",
        html! {
            h1 { "England as at " (data.as_at) }
            section.card {
                dl.kv {
                    dt { "Practices" } dd { (thousands(s.practices as u64)) }
                    dt { "Registered patients" } dd { (thousands(s.patients)) }
                    dt { "Networks with members" } dd { (thousands(s.networks_with_members as u64)) }
                    dt { "Practices in no network" } dd { (thousands(s.practices_in_no_network as u64)) }
                    dt { "Findings" } dd { (s.errors) " errors, " (s.warnings) " warnings" }
                }
            }
            (super::appointments::card(&england, "England"))
            section.card {
                h2 { "Commissioners (sub-ICB locations)" }
                table #commissioners {
                    thead { tr { th { "Code" } th { "Name" } th.num { "Networks" } th.num { "Breaking a rule" } th.num { "Patients" } th.num { "Covered" } } }
                    tbody {
                        @for r in &rows {
                            tr data-commissioner=(r.code) {
                                td { a href=(format!("/commissioners/{}", r.code)) { (r.code) } }
                                td { (r.name.as_deref().unwrap_or("")) }
                                td.num { (r.networks) }
                                td.num { (r.networks_breaking_rules) }
                                td.num { (thousands(r.coverage.patients)) }
                                td.num { (r.coverage.percent_covered) "%" }
                            }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct StatusQuery {
    status: Option<String>,
    year: Option<String>,
    /// After a write: what was recorded (`governance`, `membership`).
    notice: Option<String>,
}

pub async fn commissioner(
    State(state): State<AppState>,
    Me(me): Me,
    Path(code): Path<String>,
    Query(q): Query<StatusQuery>,
) -> Result<Markup, AppError> {
    let code = guard::commissioner(&state, &me, &code, &format!("/commissioners/{code}")).await?;
    let data = state.data()?;
    let networks = views::networks_under(&data, &code);
    let practices = views::practices_under(&data, &code);
    if networks.is_empty() && practices.is_empty() {
        return Err(AppError::NotFound(format!(
            "There is no commissioner {code} in the registry as at {}.",
            data.as_at
        )));
    }
    let year = parse_year(q.year.as_deref(), data.year)?;
    let run = state.year_run(&data, year).await?;
    let mut rows: Vec<views::NetworkRow> = networks
        .iter()
        .map(|n| views::network_row(&data, Some(&run), n))
        .collect();
    rows.sort_by(|a, b| b.status.cmp(&a.status).then(a.code.cmp(&b.code)));
    let filter = q
        .status
        .as_deref()
        .filter(|s| ["error", "warning", "ok"].contains(s));
    let shown: Vec<&views::NetworkRow> = rows
        .iter()
        .filter(|r| filter.is_none_or(|f| r.status.as_str() == f))
        .collect();
    let cov = views::coverage(&practices);
    let name = practices.iter().find_map(|p| {
        if p.sub_icb
            .as_ref()
            .is_some_and(|c| c.as_str() == code.as_str())
        {
            p.sub_icb_name.clone()
        } else if p.icb.as_ref().is_some_and(|c| c.as_str() == code.as_str()) {
            p.icb_name.clone()
        } else {
            None
        }
    });
    let (bars, points, groups) = chart_inputs(&rows, &networks, &practices);
    let breaking = rows.iter().filter(|r| r.status == Status::Error).count();
    let paid_and_owed = super::reconcile::commissioner_card(&state, &data, &networks).await?;
    let appointments = super::appointments::commissioner_card(&state, &data, &code).await?;
    Ok(page(
        &me,
        &format!("Commissioner {code}"),
        html! {
            h1 { (code) " " (name.as_deref().unwrap_or("")) }
            p.muted {
                "Networks as a file: "
                a #networks-xlsx href=(format!("/commissioners/{code}/networks.xlsx")) { "XLSX" }
                " "
                a #networks-csv href=(format!("/commissioners/{code}/networks.csv")) { "CSV" }
                ". "
                a #proposed-configuration href=(format!("/commissioners/{code}/plan")) { "Proposed configuration" }
                ": networks of 30,000 to 50,000 patients the planner proposes. "
                a #services-link href=(format!("/commissioners/{code}/services")) { "Services: every network's compliance" }
            }
            p.muted { "Registry as at " (data.as_at) "; payments for " (year) "." }
            div.grid2 {
                section.card #coverage {
                    h2 { "Coverage" }
                    p.big { (cov.percent_covered) "% of patients" }
                    p { (thousands(cov.patients_covered)) " of " (thousands(cov.patients)) " registered patients, and "
                        (cov.practices_covered) " of " (cov.practices) " practices, are in a network." }
                }
                (payments_card(&run, &networks, year))
            }
            section.card {
                h2 { "Networks" }
                p {
                    (rows.len()) " networks, " (breaking) " breaking a rule. "
                    @if filter.is_some() {
                        a #all-networks href=(format!("/commissioners/{code}")) { "Show all networks" }
                    } @else {
                        a #only-breaches href=(format!("/commissioners/{code}?status=error")) { "Show only networks that break a rule" }
                    }
                }
                table #networks {
                    thead { tr { th { "Network" } th { "Name" } th.num { "Members" } th.num { "Patients" } th { "Rules" } th.num { "Scheduled " (year) } } }
                    tbody {
                        @for r in &shown {
                            tr data-pcn=(r.code) data-status=(r.status.as_str()) {
                                td { a href=(format!("/networks/{}", r.code)) { (r.code) } }
                                td { (r.name.as_deref().unwrap_or("")) }
                                td.num { (r.members) }
                                td.num { (thousands(r.list_size)) }
                                td.rule-status { (status_tag(r.status)) @for id in &r.rules_broken { " " code { (id) } } }
                                td.num { (r.scheduled_pence.map(|p| money(Pence(p))).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
            (paid_and_owed)
            (appointments)
            section.card {
                h2 { "List sizes" }
                (charts::list_size_bars(&format!("Registered patients per network, {code}"), &bars, &[(30_000, "30,000 minimum"), (50_000, "50,000")]))
            }
            section.card {
                h2 { "Practices by network" }
                (charts::practice_map(&format!("Practices of {code} coloured by network"), &points, &groups))
            }
        },
    ))
}

/// A commissioner's payments of a year: the headline is the networks'
/// scheduled money, and the table beneath it adds up to it by kind.
fn payments_card(run: &YearRun, networks: &[&NetworkView], year: FinancialYear) -> Markup {
    let pays: Vec<&pcn_core::funding::NetworkPay> = networks
        .iter()
        .filter_map(|n| run.network(&n.code).map(|p| &**p))
        .collect();
    let streams = views::stream_totals(&pays);
    let scheduled: Pence = streams.kind_total(views::Kind::ToNetwork);
    let at_risk = pays.iter().filter(|p| !p.at_risk.is_empty()).count();
    html! {
        section.card #payments {
            h2 { "Payments " (year) }
            p.big #commissioner-scheduled data-pence=(scheduled.0) { (money(scheduled)) }
            p.muted {
                "scheduled to " (pays.len()) " networks' payees: the first total below. "
                "Practice payments, ARRS maxima and achievement payments are shown apart."
                @if at_risk > 0 { " " span.tag.warning { (at_risk) " at risk" } " (no payee or no network agreement recorded)" }
            }
            table #stream-totals {
                thead { tr { th { "Stream" } th { "Paid" } th.num { "Total" } } }
                tbody {
                    @for r in &streams.rows {
                        tr data-kind=(r.kind.as_str()) {
                            td { (r.stream) @if r.estimated { " " span.tag.warning title="includes estimated inputs" { "estimate" } } }
                            td { (r.kind.words()) }
                            td.num {
                                @if r.networks_counted > 0 { (money(r.amount)) }
                                @if r.not_computed > 0 { @if r.networks_counted > 0 { br; } span.tag.warning { "not computed for " (r.not_computed) } }
                            }
                        }
                    }
                }
                tfoot {
                    @for kind in views::Kind::ALL {
                        tr data-kind-total=(kind.as_str()) { th { (kind.total_words()) } th {} th.num data-pence=(streams.kind_total(kind).0) { (money(streams.kind_total(kind))) } }
                    }
                }
            }
        }
    }
}

/// The list-size bars and the practice map of a commissioner's page.
fn chart_inputs(
    rows: &[views::NetworkRow],
    networks: &[&NetworkView],
    practices: &[&PracticeView],
) -> (Vec<charts::Bar>, Vec<charts::MapPoint>, Vec<String>) {
    let bars: Vec<charts::Bar> = rows
        .iter()
        .map(|r| charts::Bar {
            label: format!("{} {}", r.code, r.name.as_deref().unwrap_or("")),
            value: r.list_size,
            href: Some(format!("/networks/{}", r.code)),
            flag: match r.status {
                Status::Ok => charts::Flag::Ok,
                Status::Warning => charts::Flag::Warning,
                Status::Error => charts::Flag::Error,
            },
        })
        .collect();
    let group_of: BTreeMap<&PcnCode, usize> = networks
        .iter()
        .enumerate()
        .map(|(i, n)| (&n.code, i))
        .collect();
    let groups: Vec<String> = networks
        .iter()
        .map(|n| format!("{} {}", n.code, n.name.as_deref().unwrap_or("")))
        .collect();
    let points: Vec<charts::MapPoint> = practices
        .iter()
        .filter_map(|p| {
            let loc = p.location?;
            Some(charts::MapPoint {
                lat: loc.lat,
                lon: loc.lon,
                group: p
                    .networks
                    .first()
                    .and_then(|n| group_of.get(n).copied())
                    .unwrap_or(usize::MAX),
                label: format!(
                    "{} {} ({})",
                    p.code,
                    p.name.as_deref().unwrap_or(""),
                    p.networks
                        .first()
                        .map_or("no network".to_string(), |n| n.to_string())
                ),
                href: Some(format!("/practices/{}", p.code)),
            })
        })
        .collect();
    (bars, points, groups)
}

fn budget_card(code: &PcnCode, b: &Budget, with_link: bool) -> Markup {
    let months: Vec<charts::BudgetMonth> = b
        .months
        .iter()
        .map(|m| charts::BudgetMonth {
            label: m.month.to_string(),
            cumulative_pence: m.cumulative.0,
            elapsed: m.elapsed,
        })
        .collect();
    let headroom = b.headroom;
    html! {
        section.card #arrs-budget {
            h2 { "ARRS budget " (b.financial_year) }
            dl.kv {
                dt { "ARRS Sum" } dd { (b.sum.map(money).unwrap_or_else(|| "not known".into())) }
                dt { "Spent (claimable to " (b.as_at) ")" } dd { (money(b.spent)) }
                dt { "Committed to the year end" } dd { (money(b.committed)) }
                dt { "Headroom" } dd {
                    strong #arrs-headroom data-pence=(headroom.map_or(0, |p| p.0)) { (headroom.map(money).unwrap_or_else(|| "not known".into())) }
                }
                dt { "Forecast underspend (lost)" } dd { (b.forecast_underspend.map(money).unwrap_or_else(|| "-".into())) }
                dt { "Runs out in" } dd { (b.runs_out.map_or("-".to_string(), |m| m.to_string())) }
                dt { "Cost met by practices" } dd { (money(b.met_by_practices)) }
                dt { "Claims paid / outstanding / draft" } dd { (money(b.paid)) " / " (money(b.outstanding)) " / " (money(b.drafts)) }
            }
            @for w in &b.warnings { p.error { (w) } }
            (charts::arrs_budget(&format!("ARRS claimable spend by month against the Sum, {code}"), &months, b.sum.map(|p| p.0)))
            @if with_link { p { a #roster-link href=(format!("/networks/{code}/arrs")) { "Roster and claims" } } }
        }
    }
}

pub async fn network(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, AppError>,
    Query(q): Query<StatusQuery>,
) -> Result<Markup, AppError> {
    let (me, data, n) = (&access.me, &access.data, access.view());
    let year = parse_year(q.year.as_deref(), data.year)?;
    let run = state.year_run(data, year).await?;
    let pay = run.network(&n.code);
    let findings = views::findings_of(data, &n.code);
    let as_at = super::state::budget_date(year);
    let (posts, budget) = state.arrs_year(data, &n.code, year, as_at).await?;
    let paid_and_owed = super::reconcile::network_card(&state, data, &n.code, year).await?;
    let may_see_commissioner = n.commissioner.as_ref().is_some_and(|c| {
        CommissionerCode::parse(c.as_str())
            .is_ok_and(|c| allows(&me.account, Action::View, Target::Commissioner(&c)))
    });
    let area = pcn_app::appointments::Area::Network(n.code.clone());
    let appointments = super::appointments::of(&state, data, area).await?;
    let notice = (q.notice.as_deref() == Some("governance")).then_some(
        "The governance change was recorded; the checklist and the funding below include it.",
    );
    let network_rules: Vec<_> = RULES
        .iter()
        .filter(|r| r.id.starts_with("NET-") || r.id.starts_with("PRAC-"))
        .collect();
    let monthly: Vec<charts::Column> = pay
        .map(|p| {
            p.statement
                .monthly
                .iter()
                .map(|(d, a)| charts::Column {
                    label: d.format("%b").to_string(),
                    pence: a.0,
                })
                .collect()
        })
        .unwrap_or_default();
    let live: Vec<&Post> = posts
        .iter()
        .filter(|p| p.start <= as_at && p.end.is_none_or(|e| e >= as_at))
        .collect();
    let mut wte_by_role: BTreeMap<&str, pcn_core::Decimal> = BTreeMap::new();
    for p in &live {
        if let Some(t) = p.terms_at(as_at) {
            *wte_by_role.entry(p.role.as_str()).or_default() += t.wte;
        }
    }
    Ok(page(
        me,
        &format!("{} {}", n.code, n.name.as_deref().unwrap_or("")),
        html! {
            h1 { (n.code) " " (n.name.as_deref().unwrap_or("")) }
            @if let Some(t) = notice { p.notice role="status" { (t) } }
            p.muted {
                "Commissioner " @if let Some(c) = &n.commissioner {
                    @if may_see_commissioner { a href=(format!("/commissioners/{c}")) { (c) } } @else { (c) }
                } @else { "unknown" }
                " · " (thousands(n.list_size)) " registered patients · " (n.members.len()) " member practices · as at " (data.as_at)
                " · " a #services-link href=(format!("/networks/{}/services", n.code)) { "Services" }
            }
            div.grid2 {
                (super::governance::card(&state, me, n))
                section.card #funding {
                    h2 { "Funding " (year) }
                    @if let Some(p) = pay {
                        p.big #network-scheduled data-pence=(p.statement.totals.scheduled_to_network.0) { (money(p.statement.totals.scheduled_to_network)) @if !p.at_risk.is_empty() { " " span.tag.warning title=(p.at_risk.iter().map(|r| r.why.as_str()).collect::<Vec<_>>().join("; ")) { "at risk" } } }
                        p.muted { "scheduled to the network, and " (money(p.statement.totals.scheduled_to_practices)) " paid to member practices directly (the chart shows both); up to " (money(p.statement.totals.claimable_maximum)) " more claimable (ARRS) and " (money(p.statement.totals.on_achievement)) " on achievement" }
                        (charts::monthly_columns(&format!("Monthly payments to {} and its practices in {year}", n.code), &monthly))
                        p { a #statement-link href=(format!("/networks/{}/statement?year={year}", n.code)) { "The statement, line by line" } }
                    } @else {
                        p { "No payments for " (year) ": the network had no members that year." }
                    }
                }
            }
            (paid_and_owed)
            section.card #checklist {
                h2 { "Network Contract DES checklist" }
                table {
                    thead { tr { th { "Rule" } th { "Result" } th { "Detail" } } }
                    tbody {
                        @for r in &network_rules {
                            @let hits: Vec<_> = findings.iter().filter(|f| f.rule == r.id).collect();
                            tr data-rule=(r.id) {
                                td { code { (r.id) } br; span.muted { (r.title) } }
                                td { @if hits.is_empty() { span.tag.ok { "meets" } } @else { @for f in &hits { (severity_tag(f.severity)) " " } } }
                                td { @for f in &hits { (f.message) br; } }
                            }
                        }
                    }
                }
            }
            section.card #members {
                h2 { "Member practices" }
                table {
                    thead { tr { th { "Practice" } th { "Name" } th.num { "Patients" } th.num { "Share " (year) } } }
                    tbody {
                        @for m in &n.members {
                            @let p = data.snapshot.practices.get(m);
                            @let share = pay.and_then(|p| views::practice_share(p, m, true));
                            tr {
                                td { a href=(format!("/practices/{m}")) { (m) } }
                                td { (p.and_then(|p| p.name.as_deref()).unwrap_or("")) }
                                td.num { (p.and_then(|p| p.list_size).map(thousands).unwrap_or_default()) }
                                td.num { (share.as_ref().map(|s| money(Pence(s.total_pence))).unwrap_or_default()) }
                            }
                        }
                    }
                }
                @if let Some(p) = pay {
                    p.muted { @match (&p.distribution_method, &p.distribution) {
                        (Some(m), Some(d)) => { "Divided by the recorded agreement: " (m.method_name()) ", top-slice " (money(d.top_slice)) "." },
                        (Some(_), None) => { "The recorded agreement cannot divide the money this year (" (p.distribution_problem.as_deref().unwrap_or("")) "): shares shown by registered list as an illustration." },
                        _ => { "No distribution agreement is recorded for " (year) ": shares shown by registered list as an illustration." },
                    } }
                }
            }
            (budget_card(&n.code, &budget, true))
            (super::appointments::card(&appointments, n.code.as_str()))
            section.card #roster-summary {
                h2 { "Staff in post on " (as_at) }
                @if wte_by_role.is_empty() { p { "No posts on the roster." } } @else {
                    table { thead { tr { th { "Role" } th.num { "WTE" } } } tbody { @for (r, w) in &wte_by_role { tr { td { (r) } td.num { (w.round_dp(2)) } } } } }
                }
            }
        },
    ))
}

fn source_text(s: &pcn_core::rulebook::Source) -> String {
    let mut out = String::new();
    if let Some(r) = &s.reference {
        out.push_str(&format!("[{r}] "));
    }
    out.push_str(&s.document);
    if let Some(sec) = &s.section {
        out.push_str(&format!(", {sec}"));
    }
    if let Some(u) = &s.url {
        out.push_str(&format!(" ({u})"));
    }
    out
}

pub async fn statement(
    State(state): State<AppState>,
    access: guard::Network<guard::ToViewFunding, AppError>,
    Query(q): Query<StatusQuery>,
) -> Result<Markup, AppError> {
    let (me, data, n) = (&access.me, &access.data, access.view());
    let year = parse_year(q.year.as_deref(), data.year)?;
    let run = state.year_run(data, year).await?;
    let Some(pay) = run.network(&n.code) else {
        return Err(AppError::NotFound(format!(
            "{} has no statement for {year}: it had no members that year.",
            n.code
        )));
    };
    let st = &pay.statement;
    let scheduled_all = st.totals.scheduled_to_network + st.totals.scheduled_to_practices;
    let schedule_total: Pence = st.monthly.iter().map(|(_, a)| *a).sum();
    let not_computed: Vec<&str> = st
        .lines
        .iter()
        .filter(|l| matches!(l.status, LineStatus::NotComputed(_)))
        .map(|l| l.stream_name.as_str())
        .collect();
    let monthly: Vec<charts::Column> = st
        .monthly
        .iter()
        .map(|(d, a)| charts::Column {
            label: d.format("%b").to_string(),
            pence: a.0,
        })
        .collect();
    let years: Vec<FinancialYear> = state.rulebook.years().map(|y| y.financial_year).collect();
    Ok(page(
        me,
        &format!("Statement {} {year}", n.code),
        html! {
            h1 { "Funding statement " (year) ": " (n.code) " " (n.name.as_deref().unwrap_or("")) }
            p.muted {
                "Payee " (st.payee.as_ref().map_or("not recorded".to_string(), |p| p.to_string()))
                " · other years: "
                @for y in &years { a href=(format!("/networks/{}/statement?year={y}", n.code)) { (y) } " " }
                " · download: "
                a #statement-xlsx href=(format!("/networks/{}/statement.xlsx?year={year}", n.code)) { "XLSX" }
                " "
                a #statement-csv href=(format!("/networks/{}/statement.csv?year={year}", n.code)) { "CSV" }
            }
            @if !pay.at_risk.is_empty() {
                section.card #at-risk {
                    h2 { "Payments at risk" }
                    p { "The DES makes the network's payments conditional; the registry does not show these conditions met, so the money below is withheld until they are:" }
                    ul { @for r in &pay.at_risk { li { (r.why) " (" code { (r.rule) } "; " span.muted { (r.source) } ")" } } }
                }
            }
            section.card {
                dl.kv {
                    dt { "Scheduled to the network" @if !pay.at_risk.is_empty() { " " span.tag.warning { "at risk" } } } dd #scheduled data-pence=(st.totals.scheduled_to_network.0) { (money(st.totals.scheduled_to_network)) }
                    dt { "Paid to member practices directly" } dd #scheduled-practices data-pence=(st.totals.scheduled_to_practices.0) { (money(st.totals.scheduled_to_practices)) }
                    dt { "Scheduled in all (the monthly schedule)" } dd #scheduled-all data-pence=(scheduled_all.0) { (money(scheduled_all)) }
                    dt { "Claimable maximum (ARRS)" } dd { (money(st.totals.claimable_maximum)) }
                    dt { "On achievement (IIF, CAIP)" } dd { (money(st.totals.on_achievement)) }
                    @if !not_computed.is_empty() {
                        dt { "Not computed (an input is missing)" } dd #not-computed { (not_computed.join(", ")) }
                    }
                }
                @if st.is_estimated() { p.error { "Some lines use estimated inputs; each says which." } }
                (charts::monthly_columns(&format!("Monthly payments to {} and its practices in {year}", n.code), &monthly))
            }
            section.card {
                h2 { "Lines" }
                table #statement-lines {
                    thead { tr { th { "Stream" } th { "Basis" } th.num { "Rate" } th { "Period" } th.num { "Amount" } th { "How it was worked out" } } }
                    tbody {
                        @for l in &st.lines {
                            tr data-stream=(l.stream_id) {
                                td { (l.stream_name) br; span.muted { (l.component_id) } }
                                td { (l.basis_value.map(|v| v.round_dp(2).to_string()).unwrap_or_default()) " " span.muted { (l.basis) } }
                                td.num { (l.rate.map(|r| r.to_string()).unwrap_or_default()) }
                                td { (l.period_from) " to " (l.period_to) }
                                td.num {
                                    @if !matches!(l.status, LineStatus::NotComputed(_)) { (money(l.amount)) }
                                    @match &l.status {
                                        LineStatus::Scheduled => {},
                                        LineStatus::Maximum => { br; span.tag.info { "maximum" } },
                                        LineStatus::OnAchievement => { br; span.tag.info { "on achievement" } },
                                        LineStatus::NotComputed(why) => { br; span.tag.warning title=(why) { "not computed" } },
                                    }
                                }
                                td {
                                    details { summary { "working" } pre.working { (l.working) } p.muted { "Source: " (source_text(&l.source)) } }
                                    @for e in &l.estimates { p.error { "Estimate: " (e) } }
                                }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 { "Monthly schedule" }
                table #schedule {
                    thead { tr { th { "Month" } th.num { "Amount" } } }
                    tbody { @for (d, a) in &st.monthly { tr { td { (d.format("%B %Y")) } td.num { (money(*a)) } } } }
                    tfoot { tr { th { "Year" } th.num #schedule-total data-pence=(schedule_total.0) { (money(schedule_total)) } } }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
    year: Option<String>,
}

pub async fn arrs_page(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, AppError>,
    Query(q): Query<NoticeQuery>,
) -> Result<Markup, AppError> {
    let (me, data, n) = (&access.me, &access.data, access.view());
    let year = parse_year(q.year.as_deref(), data.year)?;
    let today = chrono::Local::now().date_naive();
    let as_at = super::state::budget_date(year);
    let (posts, budget) = state.arrs_year(data, &n.code, year, as_at).await?;
    let may_edit = allows(&me.account, Action::EditRoster, Target::Network(n));
    let roles = state
        .rulebook
        .financial_year(year)
        .map(|y| y.arrs.roles.clone())
        .unwrap_or_default();
    let add_action = format!("/networks/{}/arrs/posts", n.code);
    let form_token = may_edit.then(|| state.form_token(me, &add_action));
    let next_month = pcn_core::arrs::YearMonth::of(today).next().first_day();
    let notice = q.notice.as_deref().and_then(notice_text);
    Ok(page(
        me,
        &format!("ARRS {}", n.code),
        html! {
            h1 { "ARRS: " (n.code) " " (n.name.as_deref().unwrap_or("")) }
            p.muted {
                "The claim schedule for " (year) ": "
                a #claims-xlsx href=(format!("/networks/{}/arrs/claims.xlsx?year={year}", n.code)) { "XLSX" }
                " "
                a #claims-csv href=(format!("/networks/{}/arrs/claims.csv?year={year}", n.code)) { "CSV" }
            }
            @if let Some(t) = notice { p.notice role="status" { (t) } }
            (budget_card(&n.code, &budget, false))
            section.card {
                h2 { "Roster" }
                table #roster {
                    thead { tr { th { "Post" } th { "Person" } th { "Role" } th { "Band" } th.num { "WTE" } th { "From" } th { "To" } th { "Funding" } th { "Employer" } @if may_edit { th { "" } } } }
                    tbody {
                        @for p in &posts {
                            @let t = p.terms_at(as_at.max(p.start).min(p.end.unwrap_or(as_at.max(p.start))));
                            tr data-post=(p.id) {
                                td { (p.id) }
                                td { (p.person) @if let Some(nm) = &p.name { br; span.muted { (nm) } } }
                                td { (p.role) }
                                td { (t.map(|t| t.band.clone()).unwrap_or_default()) }
                                td.num { (t.map(|t| t.wte.round_dp(2).to_string()).unwrap_or_default()) }
                                td { (p.start) }
                                td { (p.end.map_or("-".into(), |e| e.to_string())) }
                                td { (if p.funding == Funding::Arrs { "ARRS" } else { "other" }) }
                                td { (p.employer) }
                                @if p.end.is_none() && form_token.is_some() {
                                    td {
                                        @let end_action = format!("/networks/{}/arrs/posts/{}/end", n.code, p.id);
                                        form.inline method="post" action=(end_action) {
                                            input type="hidden" name="csrf" value=(me.csrf_token);
                                            input type="hidden" name="form_token" value=(state.form_token(me, &end_action));
                                            label { span.sr-only { "End date for post " (p.id) } input type="date" name="on" required; }
                                            " " button.link type="submit" { "End" }
                                        }
                                    }
                                } @else if may_edit { td {} }
                            }
                        }
                    }
                }
            }
            @if let Some(tok) = &form_token {
                section.card {
                    h2 { "Add a staff member" }
                    form #add-post .stack method="post" action=(add_action) {
                        input type="hidden" name="csrf" value=(me.csrf_token);
                        input type="hidden" name="form_token" value=(tok);
                        label for="person" { "Staff reference" }
                        input #person name="person" required maxlength="64";
                        label for="role" { "Role" }
                        select #role name="role" required {
                            @for r in &roles { option value=(r.id) { (r.name) } }
                        }
                        label for="band" { "Agenda for Change band (blank: the role's usual band)" }
                        input #band name="band" maxlength="8";
                        label for="wte" { "Whole-time equivalent" }
                        input #wte name="wte" value="1.0" required inputmode="decimal";
                        label for="start" { "Start date" }
                        input #start type="date" name="start" value=(next_month) required;
                        label for="salary" { "Full-time salary, pounds a year (blank: costed at the maximum)" }
                        input #salary name="salary" inputmode="decimal";
                        p { button type="submit" { "Add to the roster" } }
                    }
                }
            }
        },
    ))
}

fn notice_text(code: &str) -> Option<&'static str> {
    match code {
        "added" => {
            Some("The staff member was added to the roster; the budget below includes the post.")
        }
        "ended" => Some("The post's end date was recorded."),
        _ => None,
    }
}

pub async fn arrs_add(
    State(state): State<AppState>,
    guard::FormPost { access, input }: guard::FormPost<
        guard::Network<guard::ToEditRoster>,
        super::api::NewPost,
    >,
) -> Result<Response, AppError> {
    let (me, n) = (&access.me, access.view());
    let post = super::api::new_post_from(&n.code, &input)?;
    state
        .add_post(&access.data, &post, &me.account.username)
        .await?;
    Ok(Redirect::to(&format!("/networks/{}/arrs?notice=added", n.code)).into_response())
}

#[derive(Deserialize)]
pub struct EndPostForm {
    on: String,
}

pub async fn arrs_end(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    guard::FormPost { access, input: f }: guard::FormPost<
        guard::Network<guard::ToEditRoster>,
        EndPostForm,
    >,
) -> Result<Response, AppError> {
    let (me, n) = (&access.me, access.view());
    // The post's id is read after the access check, so a refused account
    // learns nothing from a malformed one.
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound(format!("{} has no post {id}", n.code)))?;
    let on = pcn_core::dates::parse_user_date(&f.on)
        .map_err(|e| AppError::BadRequest(format!("end date: {e}")))?;
    let post = state
        .store
        .post(id)
        .await?
        .filter(|p| p.pcn == n.code)
        .ok_or_else(|| AppError::NotFound(format!("{} has no post {id}", n.code)))?;
    if on < post.start {
        return Err(AppError::BadRequest(format!(
            "the end date {on} is before the post starts ({})",
            post.start
        )));
    }
    state
        .store
        .set_post_end(&post, Some(on), Utc::now(), &me.account.username)
        .await?;
    state.network_changed(&n.code);
    Ok(Redirect::to(&format!("/networks/{}/arrs?notice=ended", n.code)).into_response())
}

pub async fn practice(
    State(state): State<AppState>,
    access: guard::Practice<AppError>,
    Query(q): Query<StatusQuery>,
) -> Result<Markup, AppError> {
    let (me, data, p) = (&access.me, &access.data, access.view());
    let code = p.code.clone();
    let nets = data.networks_of(&code);
    let year = parse_year(q.year.as_deref(), data.year)?;
    let run = state.year_run(data, year).await?;
    let history = data.registry.membership_history(&code);
    let shares = views::practice_shares(&run, data, &me.account, &code);
    let total: i64 = shares.iter().map(|s| s.total_pence).sum();
    let findings = data.findings.of_practice(&code);
    Ok(page(
        me,
        &format!("{} {}", code, p.name.as_deref().unwrap_or("")),
        html! {
            h1 { (code) " " (p.name.as_deref().unwrap_or("")) }
            @if q.notice.as_deref() == Some("membership") {
                p.notice role="status" { "The move is recorded: the practice, its networks and their statements show it." }
            }
            p.muted { (p.postcode.as_deref().unwrap_or("")) " · " (p.list_size.map(thousands).unwrap_or_else(|| "no".into())) " registered patients"
                @if let Some(d) = p.list_as_at { " as at " (d) } }
            div.grid2 {
                section.card {
                    h2 { "What the practice receives in " (year) }
                    p.big #practice-share data-pence=(total) { (money(Pence(total))) }
                    @for s in &shares {
                        p.muted { "From " (s.pcn) ": "
                            @if s.basis == "agreement" { "divided by the network's recorded agreement (" (s.method) ")." }
                            @else { "no distribution agreement is recorded, so this is an illustration by registered list; the network agreement decides the real split." } }
                    }
                }
                section.card {
                    h2 { "Networks" }
                    dl.kv {
                        dt { "Now" } dd { @for n in &nets { (n.code) " " (n.name.as_deref().unwrap_or("")) br; } @if nets.is_empty() { "none" } }
                        dt { "Commissioner" } dd { (p.sub_icb.as_ref().map_or("unknown".to_string(), |c| c.to_string())) " " (p.sub_icb_name.as_deref().unwrap_or("")) }
                    }
                    h3 { "Membership history" }
                    ul { @for h in &history { li { (h.pcn) " from " (h.from) " to " (h.to.map_or("now".to_string(), |d| d.to_string())) " (" (h.basis) ")" } } }
                }
            }
            section.card {
                h2 { "Line by line" }
                table #practice-lines {
                    thead { tr { th { "Stream" } th.num { "Network's amount" } th.num { "This practice" } th { "Why" } } }
                    tbody {
                        @for s in &shares { @for l in &s.lines {
                            tr { td { (l.stream) br; span.muted { (l.component) } } td.num { (l.network_amount_pence.map(|p| money(Pence(p))).unwrap_or_else(|| "-".into())) } td.num { (money(Pence(l.practice_pence))) } td { (l.why) } }
                        } }
                    }
                    tfoot { tr { th { "Total" } th {} th.num { (money(Pence(total))) } th {} } }
                }
            }
            @if !findings.is_empty() {
                section.card {
                    h2 { "Findings" }
                    ul { @for f in findings { li { (severity_tag(f.severity)) " " (f.message) } } }
                }
            }
            (crate::membership::card(&state, me, data, p))
        },
    ))
}

fn audit_table(id: &str, rows: &[pcn_store::AuditEntry]) -> Markup {
    html! {
        table id=(id) {
            thead { tr { th { "When" } th { "Who" } th { "What" } th { "Subject" } th { "Before" } th { "After" } th { "Detail" } } }
            tbody {
                @for e in rows {
                    tr { td { (e.at.get(..19).unwrap_or(&e.at).replace('T', " ")) } td { (e.actor) } td { (e.change.action) " " (e.change.entity) } td { (e.change.entity_key) }
                         td { (e.change.before_value.as_deref().unwrap_or("")) } td { (e.change.after_value.as_deref().unwrap_or("")) } td { (e.change.detail.as_deref().unwrap_or("")) } }
                }
            }
        }
    }
}

pub async fn audit(State(state): State<AppState>, Me(me): Me) -> Result<Markup, AppError> {
    guard::check(&state, &me, Action::ViewAudit, Target::Scope, "/audit").await?;
    let data = state.data()?;
    let (changes, refusals) = views::audit_rows(&state, &me.account, &data).await?;
    Ok(page(
        &me,
        "Audit log",
        html! {
            h1 { "Audit log" }
            p.muted { "Every change made through the app or the command line, newest first"
                @if me.account.role != Role::Admin { ", for the organisations you cover" } "." }
            section.card { (audit_table("audit", &changes)) }
            @if !refusals.is_empty() {
                section.card {
                    h2 { "Refused requests and logins" }
                    p.muted { "Counted per account (or user name) and subject in windows of 15 minutes." }
                    (audit_table("refusals", &refusals))
                }
            }
        },
    ))
}
