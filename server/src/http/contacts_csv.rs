//! `GET /app/contacts.csv`: the business's contacts as a CSV download, for the "Export
//! CSV" link of the dashboard's contacts page (the page's filters ride along:
//! `?q=…&type=…&last=…`).
//!
//! It is a cookie door like the server functions: the dashboard session decides the
//! business, as for `/api/*` (no bearer: integrations page through GraphQL). It only
//! reads, so a forged cross-site link could at most download a file into its victim's own
//! browser; still, only our own pages (and typed-in addresses, `Sec-Fetch-Site: none`) may
//! use the session here — another origin, a business's domain included, gets 403, as at
//! every other cookie door ([`super::origin`]). The rows, their quoting and the
//! neutralised formulas are `entity::contacts::export`'s.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entity::auth::{self, Credentials};
use entity::DomainError;
use serde::Deserialize;

use super::origin::Origin;
use crate::state::AppState;

/// The list page's filters, as its address names them.
#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    /// Part of a name, email or domain, or a whole tag.
    q: Option<String>,
    /// `new`, `repeat` or `premium`.
    #[serde(rename = "type")]
    client_type: Option<String>,
    /// Last contact within this many days.
    last: Option<String>,
}

/// A plain-text refusal.
fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        format!("{message}\n"),
    )
        .into_response()
}

/// A domain error as a plain-text response: its status, its safe message; internal
/// causes are logged, never shown.
fn failed(error: &DomainError) -> Response {
    match error {
        DomainError::Unauthenticated(_) => refuse(StatusCode::UNAUTHORIZED, "Sign in first."),
        DomainError::Forbidden(_) => refuse(StatusCode::FORBIDDEN, &error.to_string()),
        DomainError::Validation(fields) => {
            let message = fields
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            refuse(StatusCode::UNPROCESSABLE_ENTITY, &message)
        }
        _ => {
            tracing::error!(error = %error, "exporting contacts failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side; please try again.",
            )
        }
    }
}

/// `GET /app/contacts.csv`.
#[tracing::instrument(skip_all)]
pub async fn export_contacts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Response {
    match state
        .http
        .origins
        .classify(&state.services.db, &headers)
        .await
    {
        Ok(Origin::Own) => {}
        Ok(Origin::BusinessDomain | Origin::Foreign) => {
            return refuse(
                StatusCode::FORBIDDEN,
                "This page may not download the contacts.",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "checking a request origin failed");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "Try again later.");
        }
    }
    let session = Credentials::from_headers(&headers, true).session;
    let principal = match auth::authenticate(&state.services, None, session.as_deref()).await {
        Ok(p) => p,
        Err(e) => return failed(&e),
    };
    let filter = match app::api::contact_filter(
        query.q.as_deref(),
        query.client_type.as_deref(),
        query.last.as_deref(),
    ) {
        Ok(f) => f,
        Err(e) => return failed(&e),
    };
    let csv = match entity::contacts::export::export(&state.services.db, &principal, &filter).await
    {
        Ok(csv) => csv,
        Err(e) => return failed(&e),
    };
    let file = format!(
        "attachment; filename=\"contacts-{}.csv\"",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        csv,
    )
        .into_response()
}
