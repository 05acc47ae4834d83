//! What a request that fails gets back. Internal errors (a database error, a
//! bug) are logged on the server with a reference, and the user sees only
//! the reference: no error text from the store ever reaches a page.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maud::html;

#[derive(Debug)]
pub enum AppError {
    /// No session (API).
    Unauthenticated,
    /// No session (pages): go to the login page, then come back here.
    LoginFirst(String),
    /// The account may not do this (already logged).
    Forbidden(String),
    /// A form without the session's token, or submitted twice (already logged).
    Forged(String),
    NotFound(String),
    /// The request is wrong in a way the user can fix.
    BadRequest(String),
    /// Too many failed logins.
    Throttled(String),
    /// An upload over the limit.
    TooLarge(String),
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> AppError {
        AppError::Internal(e)
    }
}

impl std::fmt::Display for AppError {
    /// For the server's own use (logs, the load test); a user sees
    /// [`AppError::public_message`], never an internal error's text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Internal(e) => write!(f, "internal error: {e:#}"),
            AppError::Unauthenticated => f.write_str("no session"),
            AppError::LoginFirst(next) => write!(f, "no session (wanted {next})"),
            AppError::Forbidden(m)
            | AppError::Forged(m)
            | AppError::NotFound(m)
            | AppError::BadRequest(m)
            | AppError::Throttled(m)
            | AppError::TooLarge(m) => write!(f, "{} {m}", self.status()),
        }
    }
}

impl std::error::Error for AppError {}

impl From<pcn_app::Error> for AppError {
    /// A use case's error: the user's mistakes keep their message; a fault
    /// becomes an internal error, whose text never reaches the user.
    fn from(e: pcn_app::Error) -> AppError {
        match e {
            pcn_app::Error::NotFound(m) => AppError::NotFound(m),
            e if e.is_users() => AppError::BadRequest(e.to_string()),
            e => AppError::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<pcn_store::Error> for AppError {
    fn from(e: pcn_store::Error) -> AppError {
        AppError::Internal(e.into())
    }
}

impl From<pcn_store::Error> for ApiError {
    fn from(e: pcn_store::Error) -> ApiError {
        ApiError(AppError::Internal(e.into()))
    }
}

impl From<pcn_app::Error> for ApiError {
    fn from(e: pcn_app::Error) -> ApiError {
        ApiError(e.into())
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::LoginFirst(_) => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) | AppError::Forged(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message a user may see.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Unauthenticated | AppError::LoginFirst(_) => "Please log in.".into(),
            AppError::Forbidden(m)
            | AppError::Forged(m)
            | AppError::NotFound(m)
            | AppError::BadRequest(m)
            | AppError::Throttled(m)
            | AppError::TooLarge(m) => m.clone(),
            AppError::Internal(e) => {
                let reference = super::auth::random_token()
                    .map(|t| t[..8].to_string())
                    .unwrap_or_else(|_| "unknown".into());
                eprintln!("pcn serve: internal error {reference}: {e:#}");
                format!("Something went wrong on the server (reference {reference}). Nothing was changed; the error is in the server's log.")
            }
        }
    }
}

/// An error rendered as a page.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::LoginFirst(next) = &self {
            let target = if next.starts_with('/') && !next.starts_with("//") {
                format!(
                    "/login?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                )
            } else {
                "/login".to_string()
            };
            return (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
        }
        if let AppError::Unauthenticated = &self {
            return ApiError(self).into_response();
        }
        let status = self.status();
        let message = self.public_message();
        let title = match status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            StatusCode::PAYLOAD_TOO_LARGE => "File too large",
            StatusCode::INTERNAL_SERVER_ERROR => "Server error",
            _ => "Cannot do that",
        };
        let body = super::layout::bare(
            title,
            html! {
                div.refusal role="alert" {
                    h1 { (title) }
                    p { (message) }
                    p { a href="/" { "Back to your home page" } }
                }
            },
        );
        (status, body).into_response()
    }
}

/// An error rendered as JSON: `{"error": "...", "status": 403}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        ApiError(e)
    }
}

/// A JSON request body; one that does not read is answered in the API's
/// error shape with what is wrong with it (axum's own rejection is plain
/// text).
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(e) => Err(AppError::BadRequest(e.body_text()).into()),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        ApiError(AppError::Internal(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self.0 {
            AppError::LoginFirst(_) => StatusCode::UNAUTHORIZED,
            ref e => e.status(),
        };
        let body =
            serde_json::json!({ "error": self.0.public_message(), "status": status.as_u16() });
        (status, Json(body)).into_response()
    }
}
