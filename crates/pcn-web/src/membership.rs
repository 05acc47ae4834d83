//! A practice's membership in the web app: the card on the practice page
//! with a form to record a move (the practice's commissioner and admins),
//! and `POST /api/practices/{code}/membership`. Each write is `pcn_app`'s
//! use case, audited there, and taken in for the practice and the networks
//! it left or joined alone (`AppState::record_membership_change`), so their
//! checks and statements show it on the next request.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use chrono::NaiveDate;
use maud::{html, Markup};
use pcn_app::membership::{CheckedChange, MembershipInput};
use pcn_core::access::{allows, Action, Scope, Target};
use pcn_core::registry::PracticeView;
use pcn_core::PcnCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::effective_date;
use crate::error::{ApiError, ApiJson, AppError};
use crate::guard;
use crate::state::{AppState, Data, Session};

/// The network a move names: a code, or `U` / `none` / blank for none.
fn destination(raw: &str) -> Result<PcnCode, AppError> {
    let raw = raw.trim();
    if raw.is_empty() || raw.eq_ignore_ascii_case("none") {
        return Ok(PcnCode::unallocated());
    }
    PcnCode::parse(raw).map_err(|e| AppError::BadRequest(format!("pcn: {e}")))
}

/// Refuses (and logs) unless the account may move this practice, and into
/// `to`: a commissioner's move must stay within its own networks.
async fn may_move(
    state: &AppState,
    me: &Session,
    data: &Data,
    practice: &PracticeView,
    to: &PcnCode,
    path: &str,
) -> Result<(), AppError> {
    let nets = data.networks_of(&practice.code);
    let target = Target::Practice(practice, &nets);
    guard::check(state, me, Action::RecordMembership, target, path).await?;
    if to.is_unallocated() {
        return Ok(());
    }
    match data.snapshot.networks.get(to) {
        Some(n) => {
            guard::check(
                state,
                me,
                Action::RecordMembership,
                Target::Network(n),
                path,
            )
            .await
        }
        // A network with no members now: only an account over all may name it.
        None if me.account.scope == Scope::All => Ok(()),
        None => Err(guard::refuse(state, me, path, "move a practice into that network").await),
    }
}

/// The membership card of a practice page: the networks it is in, and for
/// an account that may record a move, the form.
pub fn card(state: &AppState, me: &Session, data: &Data, p: &PracticeView) -> Markup {
    let nets = data.networks_of(&p.code);
    let may_record = allows(
        &me.account,
        Action::RecordMembership,
        Target::Practice(p, &nets),
    );
    let action = format!("/practices/{}/membership", p.code);
    html! {
        @if may_record {
            section.card #membership {
                h2 { "Record a move" }
                p.muted { "From the date, the practice is in the network named here and in no other (U: in none). This is kept with who recorded it and when, and newer official files win over it." }
                form #record-membership .stack method="post" action=(action) {
                    input type="hidden" name="csrf" value=(me.csrf_token);
                    input type="hidden" name="form_token" value=(state.form_token(me, &action));
                    label for="pcn" { "Network (ODS code, or U for none)" }
                    input #pcn name="pcn" required maxlength="10";
                    label for="effective_from" { "In the network from" }
                    input #effective_from type="date" name="effective_from" value=(chrono::Local::now().date_naive()) required;
                    label for="note" { "Why (the commissioner's decision)" }
                    input #note name="note" maxlength="1000";
                    p { button type="submit" { "Record" } }
                }
            }
        }
    }
}

/// Records the change asked for the practice of `access`, once the account
/// may move it there (the form's and the API's).
async fn record<R>(
    state: &AppState,
    access: &guard::Practice<R>,
    body: MembershipBody,
) -> Result<CheckedChange, AppError> {
    let (me, data, path) = (&access.me, &access.data, &access.path);
    let input = MembershipInput {
        practice: access.code.clone(),
        pcn: destination(&body.pcn)?,
        effective_from: effective_date(body.effective_from.as_deref())?,
        note: body.note.filter(|n| !n.trim().is_empty()),
    };
    may_move(state, me, data, access.view(), &input.pcn, path).await?;
    state
        .record_membership_change(data, &input, &me.account.username)
        .await
}

/// The form of [`card`]: records the move, then shows the practice page.
pub async fn form_submit(
    State(state): State<AppState>,
    guard::FormPost { access, input: f }: guard::FormPost<guard::Practice, MembershipBody>,
) -> Result<Response, AppError> {
    record(&state, &access, f).await?;
    Ok(Redirect::to(&format!("/practices/{}?notice=membership", access.code)).into_response())
}

/// A membership change to record for a practice.
#[derive(Deserialize, ToSchema)]
pub struct MembershipBody {
    /// The network the practice is in from `effective_from` (and in no
    /// other); `U` (or `none`) when it leaves every network.
    pub pcn: String,
    /// YYYY-MM-DD; default today.
    pub effective_from: Option<String>,
    /// Why: kept with the change.
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MembershipRecorded {
    pub practice: String,
    /// The network from `effective_from`; `U` for none.
    pub pcn: String,
    pub effective_from: NaiveDate,
    /// The networks the practice was in the day before.
    pub before: Vec<String>,
    /// The networks it is in as at the pages' date, the change included.
    pub networks_now: Vec<String>,
}

impl MembershipRecorded {
    fn of(checked: &CheckedChange, now: &Data) -> MembershipRecorded {
        let change = &checked.change;
        let networks_now = now
            .snapshot
            .practices
            .get(&change.practice)
            .map(|p| p.networks.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        MembershipRecorded {
            practice: change.practice.to_string(),
            pcn: change.pcn.to_string(),
            effective_from: change.effective_from,
            before: checked.before.iter().map(ToString::to_string).collect(),
            networks_now,
        }
    }
}

/// Records that a practice joins, moves to or leaves a network from a date
/// (its commissioner, within its own networks, and admins), kept with who
/// and when and audited. The practice's and both networks' checks and
/// statements show it on the next request.
#[utoipa::path(post, path = "/api/practices/{code}/membership", params(("code" = String, Path)), request_body = MembershipBody,
    security(("session" = [], "csrf" = [])),
    responses((status = 201, body = MembershipRecorded), (status = 403, body = crate::api::ErrorBody),
        (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn api_record(
    State(state): State<AppState>,
    access: guard::ApiWrite<guard::Practice<ApiError>>,
    ApiJson(req): ApiJson<MembershipBody>,
) -> Result<Response, ApiError> {
    let checked = record(&state, &access, req).await?;
    let now = state.data()?;
    Ok((
        StatusCode::CREATED,
        Json(MembershipRecorded::of(&checked, &now)),
    )
        .into_response())
}
