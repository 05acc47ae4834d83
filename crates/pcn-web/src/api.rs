//! The JSON API: the same data as the pages, with the same access checks,
//! described by the OpenAPI document at `/api/openapi.json`.
//!
//! Log in with `POST /api/session` (JSON user name and password): the answer
//! sets the session cookie and gives the CSRF token that every write must
//! send back in the `X-CSRF-Token` header.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pcn_core::access::{Action, Scope, Target};
use pcn_core::arrs::Post;
use pcn_core::PcnCode;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use super::auth::{self, Me};
use super::error::{ApiError, ApiJson, AppError};
use super::state::AppState;
use super::views::{
    self, CommissionerRow, Coverage, NetworkRow, PracticeLine, PracticeShare, Status,
};
use super::{guard, parse_year};

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/session", post(login).delete(logout))
        .route("/me", get(me))
        .route("/national", get(national))
        .route(
            "/national/appointments",
            get(super::appointments::national_api),
        )
        .route(
            "/commissioners/{code}/appointments",
            get(super::appointments::commissioner_api),
        )
        .route(
            "/networks/{code}/appointments",
            get(super::appointments::network_api),
        )
        .route("/commissioners/{code}", get(commissioner))
        .route("/commissioners/{code}/plan", get(crate::plan::api_handler))
        .route("/networks/{code}", get(network))
        .route("/networks/{code}/statement", get(statement))
        .route(
            "/networks/{code}/reconcile",
            get(super::reconcile::api_network),
        )
        .route(
            "/commissioners/{code}/reconcile",
            get(super::reconcile::api_commissioner),
        )
        .route(
            "/networks/{code}/governance",
            post(super::governance::api_set),
        )
        .route("/networks/{code}/arrs/budget", get(arrs_budget))
        .route(
            "/networks/{code}/arrs/posts",
            get(arrs_posts).post(arrs_add),
        )
        .route("/practices/{code}", get(practice))
        .route(
            "/practices/{code}/membership",
            post(super::membership::api_record),
        )
        .route("/audit", get(audit))
        .merge(crate::services::api_router())
        .fallback(|| async { ApiError(AppError::NotFound("There is no such API route.".into())) })
}

#[derive(OpenApi)]
#[openapi(
    info(title = "pcn", description = "England's Primary Care Networks: the registry, the DES checks, the money and the ARRS roster. Every route but /api/openapi.json and POST /api/session needs the session cookie; writes need the X-CSRF-Token header."),
    paths(login, logout, me, national, commissioner, crate::plan::api_handler, network, super::governance::api_set, super::membership::api_record, statement, arrs_budget, arrs_posts, arrs_add, practice, audit, super::reconcile::api_network, super::reconcile::api_commissioner,
        super::appointments::national_api, super::appointments::commissioner_api, super::appointments::network_api,
        crate::services::api_network, crate::services::api_commissioner, crate::services::api_round, crate::services::api_plan,
        crate::services::api_session, crate::services::api_alignment),
    components(schemas(crate::plan::PlanView, LoginRequest, SessionInfo, AccountInfo, ErrorBody, NationalView, CommissionerRow, Coverage, CommissionerView, NetworkRow, NetworkView, super::governance::GovernanceInput, super::governance::GovernanceSet, super::membership::MembershipBody, super::membership::MembershipRecorded, MemberRow, FindingRow, Status, StatementView, BudgetView, PostsView, NewPost, PostCreated, PracticeView, PracticeShare, PracticeLine, pcn_store::AuditEntry, super::reconcile::NetworkReconcileView, super::reconcile::CommissionerReconcileView,
        super::appointments::AppointmentsView,
        crate::services::ServicesBody, crate::services::CommissionerServicesBody, crate::services::RoundInput, crate::services::PlanInput,
        crate::services::SessionInput, crate::services::AlignmentInput)),
    modifiers(&SessionCookie),
    security(("session" = []))
)]
pub struct ApiDoc;

struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-CSRF-Token"))),
        );
    }
}

async fn openapi() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => ApiError(AppError::Internal(e.into())).into_response(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    pub status: u16,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccountInfo {
    pub username: String,
    pub display_name: Option<String>,
    pub role: String,
    pub scope: String,
    pub home: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    pub account: AccountInfo,
    /// Send back in the X-CSRF-Token header on every write.
    pub csrf_token: String,
}

fn account_info(a: &pcn_core::access::Account) -> AccountInfo {
    AccountInfo {
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        role: a.role.to_string(),
        scope: a.scope.to_string(),
        home: super::home_of(a),
    }
}

/// Log in: sets the session cookie.
#[utoipa::path(post, path = "/api/session", request_body = LoginRequest, security(()),
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let client = auth::client(peer);
    let account = match auth::check_login(&state, &req.username, &req.password, &client).await {
        Ok(a) => a,
        Err(AppError::BadRequest(m)) => {
            return Ok((
                StatusCode::UNAUTHORIZED,
                Json(ErrorBody {
                    error: m,
                    status: 401,
                }),
            )
                .into_response())
        }
        Err(e) => return Err(e.into()),
    };
    let (token, session) = state.start_session(account.clone()).await?;
    Ok((
        [(header::SET_COOKIE, auth::session_cookie(&state, &token))],
        Json(SessionInfo {
            account: account_info(&account),
            csrf_token: session.csrf_token,
        }),
    )
        .into_response())
}

/// Log out: ends the session.
#[utoipa::path(delete, path = "/api/session", security(("session" = [], "csrf" = [])), responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    Me(me): Me,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.check_api_csrf(&me, &headers)?;
    state.end_session(&me).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            auth::set_cookie(&state, auth::SESSION_COOKIE, "", 0),
        )],
    )
        .into_response())
}

/// The logged-in account.
#[utoipa::path(get, path = "/api/me", responses((status = 200, body = AccountInfo), (status = 401, body = ErrorBody)))]
async fn me(Me(me): Me) -> ApiResult<AccountInfo> {
    Ok(Json(account_info(&me.account)))
}

#[derive(Deserialize, IntoParams)]
pub struct YearQuery {
    /// Financial year, e.g. 2026-27 (default: the current one).
    year: Option<String>,
    /// Only networks with this status (commissioner view): error, warning or ok.
    status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NationalView {
    pub as_at: String,
    pub practices: usize,
    pub patients: u64,
    pub networks_with_members: usize,
    pub commissioners: Vec<CommissionerRow>,
}

/// England: every commissioner's coverage and networks breaking a rule (accounts covering all of England).
#[utoipa::path(get, path = "/api/national", responses((status = 200, body = NationalView), (status = 403, body = ErrorBody)))]
async fn national(State(state): State<AppState>, Me(me): Me) -> ApiResult<NationalView> {
    if me.account.scope != Scope::All {
        return Err(
            guard::refuse(&state, &me, "/api/national", "see the national view")
                .await
                .into(),
        );
    }
    let data = state.data()?;
    Ok(Json(NationalView {
        as_at: data.as_at.to_string(),
        practices: data.report.summary.practices,
        patients: data.report.summary.patients,
        networks_with_members: data.report.summary.networks_with_members,
        commissioners: views::commissioner_rows(&data),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CommissionerView {
    pub code: String,
    pub as_at: String,
    pub financial_year: String,
    pub coverage: Coverage,
    pub networks: Vec<NetworkRow>,
    /// Scheduled to the networks in the year, in pence.
    pub scheduled_pence: i64,
}

/// A commissioner (sub-ICB location or ICB): coverage, networks with their rule status and payments.
#[utoipa::path(get, path = "/api/commissioners/{code}", params(("code" = String, Path, description = "sub-ICB or ICB code"), YearQuery),
    responses((status = 200, body = CommissionerView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn commissioner(
    State(state): State<AppState>,
    Me(me): Me,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> ApiResult<CommissionerView> {
    let code =
        guard::commissioner(&state, &me, &code, &format!("/api/commissioners/{code}")).await?;
    let data = state.data()?;
    let networks = views::networks_under(&data, &code);
    let practices = views::practices_under(&data, &code);
    if networks.is_empty() && practices.is_empty() {
        return Err(AppError::NotFound(format!("There is no commissioner {code}.")).into());
    }
    let year = parse_year(q.year.as_deref(), data.year)?;
    let run = state.year_run(&data, year).await?;
    let rows: Vec<NetworkRow> = networks
        .iter()
        .map(|n| views::network_row(&data, Some(&run), n))
        .filter(|r| q.status.as_deref().is_none_or(|s| r.status.as_str() == s))
        .collect();
    Ok(Json(CommissionerView {
        scheduled_pence: rows.iter().filter_map(|r| r.scheduled_pence).sum(),
        code: code.to_string(),
        as_at: data.as_at.to_string(),
        financial_year: year.to_string(),
        coverage: views::coverage(&practices),
        networks: rows,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MemberRow {
    pub code: String,
    pub name: Option<String>,
    pub list_size: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct FindingRow {
    pub rule: String,
    pub severity: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct NetworkView {
    #[serde(flatten)]
    pub summary: NetworkRow,
    pub as_at: String,
    pub members: Vec<MemberRow>,
    pub findings: Vec<FindingRow>,
    #[schema(value_type = Object)]
    pub governance: pcn_core::registry::Governance,
}

/// A network: members, rule findings, governance.
#[utoipa::path(get, path = "/api/networks/{code}", params(("code" = String, Path, description = "PCN code, e.g. U12345")),
    responses((status = 200, body = NetworkView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn network(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, ApiError>,
) -> ApiResult<NetworkView> {
    let (data, n) = (&access.data, access.view());
    let run = state.year_run(data, data.year).await?;
    Ok(Json(NetworkView {
        summary: views::network_row(data, Some(&run), n),
        as_at: data.as_at.to_string(),
        members: n
            .members
            .iter()
            .map(|m| {
                let p = data.snapshot.practices.get(m);
                MemberRow {
                    code: m.to_string(),
                    name: p.and_then(|p| p.name.clone()),
                    list_size: p.and_then(|p| p.list_size),
                }
            })
            .collect(),
        findings: views::findings_of(data, &n.code)
            .iter()
            .map(|f| FindingRow {
                rule: f.rule.to_string(),
                severity: f.severity.name().to_string(),
                message: f.message.clone(),
            })
            .collect(),
        governance: n.governance.clone(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct StatementView {
    pub pcn: String,
    pub financial_year: String,
    /// The statement: every line with its basis, rate, working, source and monthly schedule (amounts in pence).
    #[schema(value_type = Object)]
    pub statement: pcn_core::funding::Statement,
    #[schema(value_type = Object)]
    pub distribution: Option<pcn_core::funding::DistributionResult>,
}

/// A network's funding statement for a year, line by line.
#[utoipa::path(get, path = "/api/networks/{code}/statement", params(("code" = String, Path), YearQuery),
    responses((status = 200, body = StatementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn statement(
    State(state): State<AppState>,
    access: guard::Network<guard::ToViewFunding, ApiError>,
    Query(q): Query<YearQuery>,
) -> Result<Response, ApiError> {
    let (data, n) = (&access.data, access.view());
    let year = parse_year(q.year.as_deref(), data.year)?;
    let run = state.year_run(data, year).await?;
    let pay = run
        .network(&n.code)
        .ok_or_else(|| AppError::NotFound(format!("{} has no statement for {year}.", n.code)))?;
    let body = serde_json::to_vec(&serde_json::json!({
        "pcn": n.code,
        "financial_year": year.to_string(),
        "statement": &pay.statement,
        "distribution": &pay.distribution,
    }))
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct BudgetView {
    pub pcn: String,
    /// The budget: Sum, spent, committed, headroom, underspend, run-out month, monthly figures (pence).
    #[schema(value_type = Object)]
    pub budget: pcn_core::arrs::Budget,
}

/// A network's ARRS budget for a year: the Sum against spend and commitments.
#[utoipa::path(get, path = "/api/networks/{code}/arrs/budget", params(("code" = String, Path), YearQuery),
    responses((status = 200, body = BudgetView), (status = 403, body = ErrorBody)))]
async fn arrs_budget(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, ApiError>,
    Query(q): Query<YearQuery>,
) -> ApiResult<BudgetView> {
    let (data, n) = (&access.data, access.view());
    let year = parse_year(q.year.as_deref(), data.year)?;
    let (_, budget) = state
        .arrs_year(data, &n.code, year, super::state::budget_date(year))
        .await?;
    Ok(Json(BudgetView {
        pcn: n.code.to_string(),
        budget,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PostsView {
    pub pcn: String,
    /// Every post with its terms history.
    #[schema(value_type = Vec<Object>)]
    pub posts: Vec<Post>,
}

/// A network's ARRS roster.
#[utoipa::path(get, path = "/api/networks/{code}/arrs/posts", params(("code" = String, Path)),
    responses((status = 200, body = PostsView), (status = 403, body = ErrorBody)))]
async fn arrs_posts(
    State(state): State<AppState>,
    access: guard::Network<guard::ToView, ApiError>,
) -> ApiResult<PostsView> {
    let n = access.view();
    Ok(Json(PostsView {
        pcn: n.code.to_string(),
        posts: state.store.posts(Some(&n.code)).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewPost {
    /// The network's reference for the person.
    #[serde(deserialize_with = "text_or_number")]
    pub person: String,
    /// A role id from the year's rulebook, e.g. paramedic.
    pub role: String,
    /// Agenda for Change band ("7", 7, "8a"); default the role's usual band.
    #[serde(default, deserialize_with = "optional_text_or_number")]
    #[schema(value_type = Option<String>)]
    pub band: Option<String>,
    /// Whole-time equivalent, e.g. "0.6" or 0.6.
    #[serde(deserialize_with = "text_or_number")]
    #[schema(value_type = String)]
    pub wte: String,
    /// First day, YYYY-MM-DD.
    pub start: String,
    /// Full-time salary in pounds a year, e.g. "45000" or 45000.
    #[serde(default, deserialize_with = "optional_text_or_number")]
    #[schema(value_type = Option<String>)]
    pub salary: Option<String>,
}

/// A field a person may send as text or as a number (`"band": 7`), kept as
/// the text of the number so the core's exact parsers read it.
#[derive(Deserialize)]
#[serde(untagged)]
enum TextOrNumber {
    Text(String),
    Number(serde_json::Number),
}

impl From<TextOrNumber> for String {
    fn from(v: TextOrNumber) -> String {
        match v {
            TextOrNumber::Text(s) => s,
            TextOrNumber::Number(n) => n.to_string(),
        }
    }
}

fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    TextOrNumber::deserialize(d).map(String::from)
}

fn optional_text_or_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Option::<TextOrNumber>::deserialize(d).map(|v| v.map(String::from))
}

#[derive(Serialize, ToSchema)]
pub struct PostCreated {
    pub id: i64,
    #[schema(value_type = Object)]
    pub budget: pcn_core::arrs::Budget,
}

/// A post as a user typed it (form or JSON), parsed with the core's parsers
/// into the use case's typed input.
pub fn new_post_from(pcn: &PcnCode, req: &NewPost) -> Result<pcn_core::arrs::NewPost, AppError> {
    let bad = |e: &dyn std::fmt::Display| AppError::BadRequest(e.to_string());
    let start = pcn_core::dates::parse_user_date(&req.start)
        .map_err(|e| AppError::BadRequest(format!("start: {e}")))?;
    let salary = req
        .salary
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(pcn_core::money::parse_pounds)
        .transpose()
        .map_err(|e| bad(&format!("salary: {e}")))?;
    Ok(pcn_core::arrs::NewPost {
        band: req
            .band
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_string),
        wte: pcn_core::arrs::parse_wte(&req.wte).map_err(|e| bad(&e))?,
        salary,
        ..pcn_core::arrs::NewPost::arrs(pcn.clone(), &req.person, &req.role, start)
    })
}

/// Adds a post to a network's roster (network managers and admins); answers with the new budget.
#[utoipa::path(post, path = "/api/networks/{code}/arrs/posts", params(("code" = String, Path)), request_body = NewPost,
    security(("session" = [], "csrf" = [])),
    responses((status = 201, body = PostCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn arrs_add(
    State(state): State<AppState>,
    access: guard::ApiWrite<guard::Network<guard::ToEditRoster, ApiError>>,
    ApiJson(req): ApiJson<NewPost>,
) -> Result<Response, ApiError> {
    let (me, data, n) = (&access.me, &access.data, access.view());
    let post = new_post_from(&n.code, &req)?;
    // Only this network's ARRS year changes, in memory where it can.
    let (id, kept) = state.add_post(data, &post, &me.account.username).await?;
    let budget = kept.budget.clone();
    Ok((StatusCode::CREATED, Json(PostCreated { id, budget })).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct PracticeView {
    pub code: String,
    pub name: Option<String>,
    pub list_size: Option<u64>,
    pub networks: Vec<String>,
    pub financial_year: String,
    /// What the practice receives in the year (pence).
    pub total_pence: i64,
    pub shares: Vec<PracticeShare>,
}

/// A practice: what it receives from its network's payments, and why.
#[utoipa::path(get, path = "/api/practices/{code}", params(("code" = String, Path), YearQuery),
    responses((status = 200, body = PracticeView), (status = 403, body = ErrorBody)))]
async fn practice(
    State(state): State<AppState>,
    access: guard::Practice<ApiError>,
    Query(q): Query<YearQuery>,
) -> ApiResult<PracticeView> {
    let (data, p) = (&access.data, access.view());
    let code = p.code.clone();
    let year = parse_year(q.year.as_deref(), data.year)?;
    let run = state.year_run(data, year).await?;
    let shares = views::practice_shares(&run, data, &access.me.account, &code);
    Ok(Json(PracticeView {
        code: code.to_string(),
        name: p.name.clone(),
        list_size: p.list_size,
        networks: p.networks.iter().map(ToString::to_string).collect(),
        financial_year: year.to_string(),
        total_pence: shares.iter().map(|s| s.total_pence).sum(),
        shares,
    }))
}

/// The audit log of the organisations the account covers: the changes,
/// newest first, then (admins only) the refusals, newest first.
#[utoipa::path(get, path = "/api/audit", responses((status = 200, body = Vec<pcn_store::AuditEntry>), (status = 403, body = ErrorBody)))]
async fn audit(State(state): State<AppState>, Me(me): Me) -> ApiResult<Vec<pcn_store::AuditEntry>> {
    guard::check(&state, &me, Action::ViewAudit, Target::Scope, "/api/audit").await?;
    let data = state.data()?;
    let (changes, refusals) = views::audit_rows(&state, &me.account, &data).await?;
    Ok(Json(changes.into_iter().chain(refusals).collect()))
}
