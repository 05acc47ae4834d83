//! A network's governance facts in the web app: the card on the network
//! page with a form to record a change (the network's managers, its
//! commissioner and admins), and `POST /api/networks/{code}/governance`.
//! Each write is `pcn_app`'s use case, audited there, and taken in for the
//! network alone (`AppState::set_governance`), so the network's checks and
//! statements show it on the next request.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use chrono::NaiveDate;
use maud::{html, Markup};
use pcn_core::access::{allows, Action, Target};
use pcn_core::facts::GovernanceField;
use pcn_core::registry::{Governance, NetworkView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::effective_date;
use crate::error::{ApiError, ApiJson, AppError};
use crate::guard;
use crate::state::{AppState, Session};

/// The value a governance field holds, as it would be typed.
fn current(g: &Governance, field: GovernanceField) -> String {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    match field {
        GovernanceField::ClinicalDirector => g.clinical_director.clone().unwrap_or_default(),
        GovernanceField::NominatedPayee => g
            .nominated_payee
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        GovernanceField::NetworkAgreementSigned => date(g.network_agreement_signed),
        GovernanceField::DataSharingAgreementSigned => date(g.data_sharing_agreement_signed),
        GovernanceField::SizeException => g.size_exception.clone().unwrap_or_default(),
        GovernanceField::CommunityPartners => g.community_partners.join("; "),
        GovernanceField::MentalHealthPartners => g.mental_health_partners.join("; "),
        GovernanceField::VoluntaryPartners => g.voluntary_partners.join("; "),
    }
}

/// The words a field is shown with.
fn label(field: GovernanceField) -> &'static str {
    match field {
        GovernanceField::ClinicalDirector => "Clinical director",
        GovernanceField::NominatedPayee => "Nominated payee (ODS code of a member practice)",
        GovernanceField::NetworkAgreementSigned => "Network agreement signed (YYYY-MM-DD)",
        GovernanceField::DataSharingAgreementSigned => "Data-sharing agreement signed (YYYY-MM-DD)",
        GovernanceField::SizeException => {
            "Size exception (rural-waiver, geographic-isolation or commissioner-approved)"
        }
        GovernanceField::CommunityPartners => "Community partners (separated by ;)",
        GovernanceField::MentalHealthPartners => "Mental health partners (separated by ;)",
        GovernanceField::VoluntaryPartners => "Voluntary partners (separated by ;)",
    }
}

/// Whether a typed value says the same as the value held (a list of
/// partners in the same order, whatever the spacing).
fn same(typed: &str, held: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(';')
            .map(|w| w.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|w| !w.is_empty())
            .collect()
    };
    words(typed) == words(held)
}

/// The governance card of a network page: the facts in force, and for an
/// account that may record them, a form filled with them.
pub fn card(state: &AppState, me: &Session, n: &NetworkView) -> Markup {
    let g = &n.governance;
    let shown = |field| {
        let value = current(g, field);
        if value.is_empty() {
            "not recorded".to_string()
        } else {
            value
        }
    };
    let action = format!("/networks/{}/governance", n.code);
    let may_record = allows(&me.account, Action::RecordGovernance, Target::Network(n));
    html! {
        section.card #governance {
            h2 { "Governance" }
            dl.kv {
                dt { "Clinical director" } dd { (shown(GovernanceField::ClinicalDirector)) }
                dt { "Nominated payee" } dd { (shown(GovernanceField::NominatedPayee)) }
                dt { "Network agreement signed" } dd { (shown(GovernanceField::NetworkAgreementSigned)) }
                dt { "Data-sharing agreement" } dd { (shown(GovernanceField::DataSharingAgreementSigned)) }
                @if let Some(e) = &g.size_exception { dt { "Size exception" } dd { (e) } }
            }
            @if may_record {
                details {
                    summary { "Record a change" }
                    form #record-governance .stack method="post" action=(action) {
                        input type="hidden" name="csrf" value=(me.csrf_token);
                        input type="hidden" name="form_token" value=(state.form_token(me, &action));
                        p.muted { "Change what is different; a field emptied is cleared from the date. Each change is kept with who made it and when." }
                        label for="effective_from" { "In force from" }
                        input #effective_from type="date" name="effective_from" value=(chrono::Local::now().date_naive()) required;
                        @for field in GovernanceField::ALL {
                            label for=(field.name()) { (label(field)) }
                            input id=(field.name()) name=(field.name()) value=(current(g, field)) maxlength="500";
                        }
                        p { button type="submit" { "Record" } }
                    }
                }
            }
        }
    }
}

/// The form of [`card`]: the tokens, the date and every field as shown.
#[derive(Deserialize)]
pub struct GovernanceForm {
    effective_from: Option<String>,
    #[serde(flatten)]
    fields: std::collections::BTreeMap<String, String>,
}

/// Records the fields the form changed, then shows the network page.
pub async fn form_submit(
    State(state): State<AppState>,
    guard::FormPost { access, input: f }: guard::FormPost<
        guard::Network<guard::ToRecordGovernance>,
        GovernanceForm,
    >,
) -> Result<Response, AppError> {
    let (me, data) = (&access.me, &access.data);
    let effective_from = effective_date(f.effective_from.as_deref())?;
    let held = data.registry.governance_at(&access.code, effective_from);
    let values: Vec<(GovernanceField, String)> = GovernanceField::ALL
        .into_iter()
        .filter_map(|field| {
            let typed = f.fields.get(field.name())?;
            (!same(typed, &current(&held, field))).then(|| (field, typed.clone()))
        })
        .collect();
    if values.is_empty() {
        return Err(AppError::BadRequest(format!(
            "nothing changed: the form says what {} already holds from {effective_from}",
            access.code
        )));
    }
    let input = pcn_app::governance::GovernanceInput {
        pcn: access.code.clone(),
        effective_from,
        values,
    };
    state
        .set_governance(data, &input, &me.account.username)
        .await?;
    Ok(Redirect::to(&format!("/networks/{}?notice=governance", access.code)).into_response())
}

/// Governance facts to record for a network, each from `effective_from`.
#[derive(Deserialize, ToSchema)]
pub struct GovernanceInput {
    /// YYYY-MM-DD; default today.
    pub effective_from: Option<String>,
    /// Field name to value: clinical_director, nominated_payee,
    /// network_agreement_signed, data_sharing_agreement_signed,
    /// size_exception, community_partners, mental_health_partners,
    /// voluntary_partners. An empty value clears the field from the date.
    pub values: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
pub struct GovernanceSet {
    /// How many facts were recorded.
    pub recorded: usize,
    /// The network's governance in force on `effective_from`, the facts included.
    #[schema(value_type = Object)]
    pub governance: pcn_core::registry::Governance,
}

/// Records governance facts for a network (its managers, its commissioner
/// and admins), each kept with who and when and audited; answers with the
/// network's governance in force from their date. The network's checks and statements
/// show it on the next request.
#[utoipa::path(post, path = "/api/networks/{code}/governance", params(("code" = String, Path)), request_body = GovernanceInput,
    security(("session" = [], "csrf" = [])),
    responses((status = 201, body = GovernanceSet), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn api_set(
    State(state): State<AppState>,
    access: guard::ApiWrite<guard::Network<guard::ToRecordGovernance, ApiError>>,
    ApiJson(req): ApiJson<GovernanceInput>,
) -> Result<Response, ApiError> {
    let (me, data) = (&access.me, &access.data);
    let effective_from = effective_date(req.effective_from.as_deref())?;
    let mut values = Vec::new();
    for (name, value) in &req.values {
        let field = GovernanceField::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = GovernanceField::ALL.iter().map(|f| f.name()).collect();
            AppError::BadRequest(format!(
                "{name:?} is not a governance field; the fields are {}",
                known.join(", ")
            ))
        })?;
        values.push((field, value.clone()));
    }
    let input = pcn_app::governance::GovernanceInput {
        pcn: access.code.clone(),
        effective_from,
        values,
    };
    // Only this network's figures change.
    let facts = state
        .set_governance(data, &input, &me.account.username)
        .await?;
    let governance = state
        .data()?
        .registry
        .governance_at(&access.code, effective_from);
    Ok((
        StatusCode::CREATED,
        Json(GovernanceSet {
            recorded: facts.len(),
            governance,
        }),
    )
        .into_response())
}
