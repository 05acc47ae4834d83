//! The access checks every route makes: a refusal is a 403, counted in the
//! audit log (one row per account, path and quarter hour, with a count, so
//! a flood of refused requests cannot bury the real changes).

use chrono::Utc;
use pcn_core::access::{allows, Action, Target};
use pcn_store::AuditChange;

use std::collections::HashMap;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OriginalUri, Path};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use pcn_core::registry::{NetworkView, PracticeView};
use pcn_core::{PcnCode, PracticeCode};

use crate::auth::Me;
use crate::error::{ApiError, AppError};
use crate::state::{AppState, Data, Session};

/// How long one audit row counts an account's refusals on one path.
const REFUSAL_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// Counts a refusal of `me` on `path` in the audit log.
async fn count_refusal(
    state: &AppState,
    me: &Session,
    path: &str,
    detail: String,
) -> Result<(), AppError> {
    let change = AuditChange::new(
        "refused",
        "access",
        path.chars().take(200).collect::<String>(),
    )
    .detail(Some(detail));
    state
        .store
        .record_refusal(Utc::now(), &me.account.username, &change, REFUSAL_WINDOW)
        .await?;
    Ok(())
}

/// Counts the refusal in the audit log and returns the 403.
pub async fn refuse(state: &AppState, me: &Session, path: &str, why: &str) -> AppError {
    let detail = format!(
        "{} ({} {}): {why}",
        me.account.username, me.account.role, me.account.scope
    );
    if let Err(e) = count_refusal(state, me, path, detail).await {
        return e;
    }
    AppError::Forbidden(format!(
        "Your account ({} for {}) cannot {why}. The attempt has been logged.",
        me.account.role, me.account.scope
    ))
}

/// Refuses (and logs) unless the policy allows the action.
pub async fn check(
    state: &AppState,
    me: &Session,
    action: Action,
    target: Target<'_>,
    path: &str,
) -> Result<(), AppError> {
    if allows(&me.account, action, target) {
        return Ok(());
    }
    let what = match action {
        Action::View => "see this page",
        Action::ViewFunding => "see this network's funding",
        Action::EditRoster => "change this network's roster",
        Action::ApproveClaims => "approve claims",
        Action::ViewAudit => "read the audit log",
        Action::Import => "import files",
        Action::RecordServices => "record this network's services",
        Action::AlignCareHomes => "align care homes to this network",
        Action::RecordGovernance => "record this network's governance",
        Action::RecordMembership => "record which network this practice is in",
    };
    Err(refuse(state, me, path, what).await)
}

/// A network as at the pages' date, if the account may do `action` to it.
/// A scoped account gets the same refusal whether or not it exists.
pub async fn network<'a>(
    state: &AppState,
    me: &Session,
    data: &'a Data,
    raw: &str,
    action: Action,
    path: &str,
) -> Result<&'a pcn_core::registry::NetworkView, AppError> {
    let code = pcn_core::PcnCode::parse(raw).map_err(|e| AppError::NotFound(e.to_string()))?;
    match data.snapshot.networks.get(&code) {
        Some(n) => {
            check(state, me, action, Target::Network(n), path).await?;
            Ok(n)
        }
        None if me.account.scope != pcn_core::access::Scope::All => {
            Err(refuse(state, me, path, "see that network").await)
        }
        None => Err(AppError::NotFound(format!(
            "There is no network {code} as at {}.",
            data.as_at
        ))),
    }
}

/// A practice as at the pages' date, if the account may see it.
pub async fn practice<'a>(
    state: &AppState,
    me: &Session,
    data: &'a Data,
    raw: &str,
    path: &str,
) -> Result<&'a pcn_core::registry::PracticeView, AppError> {
    let code = pcn_core::PracticeCode::parse(raw).map_err(|e| AppError::NotFound(e.to_string()))?;
    match data.snapshot.practices.get(&code) {
        Some(p) => {
            let nets = data.networks_of(&code);
            check(state, me, Action::View, Target::Practice(p, &nets), path).await?;
            Ok(p)
        }
        None if me.account.scope != pcn_core::access::Scope::All => {
            Err(refuse(state, me, path, "see that practice").await)
        }
        None => Err(AppError::NotFound(format!(
            "There is no practice {code} as at {}.",
            data.as_at
        ))),
    }
}

/// Checks an API write's CSRF header; a write without it is refused and
/// logged.
async fn api_csrf(
    state: &AppState,
    me: &Session,
    path: &str,
    headers: &axum::http::HeaderMap,
) -> Result<(), crate::error::ApiError> {
    if let Err(e) = state.check_api_csrf(me, headers) {
        let _ = refuse(state, me, path, "write without the CSRF token").await;
        return Err(e.into());
    }
    Ok(())
}

/// Checks a submitted form's tokens (the form is the one posting to
/// `path`); a forged or replayed form is logged.
pub async fn form(
    state: &AppState,
    me: &Session,
    csrf: &str,
    form_token: &str,
    path: &str,
) -> Result<(), AppError> {
    match state.check_form(me, csrf, form_token, path) {
        Ok(()) => Ok(()),
        Err(AppError::Forged(why)) => {
            count_refusal(state, me, path, format!("forged or replayed form: {why}")).await?;
            Err(AppError::Forged(format!(
                "Nothing was changed: {why}. The attempt has been logged."
            )))
        }
        Err(e) => Err(e),
    }
}

/// A commissioner code from a path, if the account may see it. A scoped
/// account gets the same refusal for a code that is not one.
pub async fn commissioner(
    state: &AppState,
    me: &Session,
    raw: &str,
    path: &str,
) -> Result<pcn_core::CommissionerCode, AppError> {
    match pcn_core::CommissionerCode::parse(raw) {
        Ok(code) => {
            check(state, me, Action::View, Target::Commissioner(&code), path).await?;
            Ok(code)
        }
        Err(_) if me.account.scope != pcn_core::access::Scope::All => {
            Err(refuse(state, me, path, "see that commissioner").await)
        }
        Err(e) => Err(AppError::NotFound(e.to_string())),
    }
}

/// What an organisation extractor asks the policy to allow.
pub trait Wants: Send + Sync + 'static {
    const ACTION: Action;
}

/// A marker type whose extractor asks for one action.
macro_rules! wants {
    ($(#[$doc:meta])* $name:ident => $action:ident) => {
        $(#[$doc])*
        pub struct $name;
        impl Wants for $name {
            const ACTION: Action = Action::$action;
        }
    };
}

wants!(
    /// To read an organisation's pages and API resources.
    ToView => View
);
wants!(
    /// To read a network's funding (its statement): also a member practice.
    ToViewFunding => ViewFunding
);
wants!(
    /// To change a network's ARRS roster.
    ToEditRoster => EditRoster
);
wants!(
    /// To record a network's care home rounds, care plans and sessions.
    ToRecordServices => RecordServices
);
wants!(
    /// To record a network's governance facts.
    ToRecordGovernance => RecordGovernance
);

/// The session, the data, the route's `{code}` as written and the
/// request's path: what every organisation route opens with.
pub struct Opening {
    me: Session,
    data: std::sync::Arc<Data>,
    raw: String,
    path: String,
}

/// The [`Opening`] of a request. `R` is how a refusal is answered (a page,
/// or JSON).
async fn opening<R: From<AppError>>(parts: &mut Parts, state: &AppState) -> Result<Opening, R> {
    let Me(me) = Me::from_request_parts(parts, state)
        .await
        .map_err(R::from)?;
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|_| R::from(AppError::NotFound("There is no such page.".into())))?;
    let raw = params.get("code").cloned().unwrap_or_default();
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.path().to_string(), |o| o.0.path().to_string());
    let data = state.data().map_err(|e| R::from(AppError::Internal(e)))?;
    Ok(Opening {
        me,
        data,
        raw,
        path,
    })
}

/// What an organisation extractor finds from the route's `{code}`, and the
/// access check it makes before the handler runs.
pub trait Kind: Send + Sync + 'static {
    type Code: Send + Sync;
    /// The code, if the account may have it (a refusal is logged).
    fn find(
        state: &AppState,
        at: &Opening,
    ) -> impl std::future::Future<Output = Result<Self::Code, AppError>> + Send;
}

/// A network that the account may do `W` to.
pub struct OfNetwork<W>(PhantomData<W>);

impl<W: Wants> Kind for OfNetwork<W> {
    type Code = PcnCode;
    async fn find(state: &AppState, at: &Opening) -> Result<PcnCode, AppError> {
        let network = network(state, &at.me, &at.data, &at.raw, W::ACTION, &at.path).await?;
        Ok(network.code.clone())
    }
}

/// A practice that the account may see.
pub struct OfPractice;

impl Kind for OfPractice {
    type Code = PracticeCode;
    async fn find(state: &AppState, at: &Opening) -> Result<PracticeCode, AppError> {
        Ok(practice(state, &at.me, &at.data, &at.raw, &at.path)
            .await?
            .code
            .clone())
    }
}

/// A commissioner that the account may see.
pub struct OfCommissioner;

impl Kind for OfCommissioner {
    type Code = pcn_core::CommissionerCode;
    async fn find(state: &AppState, at: &Opening) -> Result<pcn_core::CommissionerCode, AppError> {
        commissioner(state, &at.me, &at.raw, &at.path).await
    }
}

/// The organisation of kind `K` named by the route's `{code}`, that the
/// account may have; anything else is refused (and logged) before the
/// handler runs. `R` is how a refusal is answered (a page, or JSON).
pub struct Scoped<K: Kind, R> {
    pub me: Session,
    pub data: std::sync::Arc<Data>,
    pub code: K::Code,
    /// The request's path, for the audit log.
    pub path: String,
    kind: PhantomData<(K, R)>,
}

impl<K: Kind, R> FromRequestParts<AppState> for Scoped<K, R>
where
    R: From<AppError> + IntoResponse + Send + Sync + 'static,
{
    type Rejection = R;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, R> {
        let at = opening::<R>(parts, state).await?;
        let code = K::find(state, &at).await?;
        Ok(Scoped {
            me: at.me,
            data: at.data,
            code,
            path: at.path,
            kind: PhantomData,
        })
    }
}

/// The network named by the route's `{code}`, as at the pages' date, that
/// the account may do `W` to.
pub type Network<W = ToView, R = AppError> = Scoped<OfNetwork<W>, R>;

impl<W: Wants, R> Network<W, R> {
    /// The network as at the pages' date.
    pub fn view(&self) -> &NetworkView {
        // Present: the extractor found it in this very data.
        &self.data.snapshot.networks[&self.code]
    }
}

/// The practice named by the route's `{code}`, as at the pages' date, that
/// the account may see.
pub type Practice<R = AppError> = Scoped<OfPractice, R>;

impl<R> Practice<R> {
    /// The practice as at the pages' date.
    pub fn view(&self) -> &PracticeView {
        &self.data.snapshot.practices[&self.code]
    }
}

/// The commissioner named by the route's `{code}` (a sub-ICB location or an
/// ICB) that the account may see.
pub type Commissioner<R = AppError> = Scoped<OfCommissioner, R>;

/// What an access extractor found: who asks, and the request's path for the
/// audit log.
pub trait Access {
    fn session(&self) -> &Session;
    fn path(&self) -> &str;
}

impl<K: Kind, R> Access for Scoped<K, R> {
    fn session(&self) -> &Session {
        &self.me
    }
    fn path(&self) -> &str {
        &self.path
    }
}

/// An API write by an account with access `A`: refused (and logged) unless
/// the request carries the session's CSRF token in `x-csrf-token`, before
/// its body is read.
pub struct ApiWrite<A>(pub A);

impl<A> FromRequestParts<AppState> for ApiWrite<A>
where
    A: FromRequestParts<AppState, Rejection = ApiError> + Access + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let access = A::from_request_parts(parts, state).await?;
        api_csrf(state, access.session(), access.path(), &parts.headers).await?;
        Ok(ApiWrite(access))
    }
}

impl<A> std::ops::Deref for ApiWrite<A> {
    type Target = A;
    fn deref(&self) -> &A {
        &self.0
    }
}

/// A form's security tokens around its fields.
#[derive(serde::Deserialize)]
struct WithTokens<T> {
    csrf: String,
    form_token: String,
    #[serde(flatten)]
    input: T,
}

/// A form posted by an account with access `A`, its fields read as `T`:
/// refused (and logged) unless it carries the session's CSRF token and the
/// one-use token of a form issued for this path.
pub struct FormPost<A, T> {
    pub access: A,
    pub input: T,
}

impl<A, T> axum::extract::FromRequest<AppState> for FormPost<A, T>
where
    A: FromRequestParts<AppState, Rejection = AppError> + Access + Send,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let access = A::from_request_parts(&mut parts, state).await?;
        let req = axum::extract::Request::from_parts(parts, body);
        let axum::Form(f) = axum::Form::<WithTokens<T>>::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        form(
            state,
            access.session(),
            &f.csrf,
            &f.form_token,
            access.path(),
        )
        .await?;
        Ok(FormPost {
            access,
            input: f.input,
        })
    }
}
