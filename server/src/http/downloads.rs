//! What the dashboard's downloads (CSV exports, calendar files) share: the door and the
//! file.
//!
//! A download is a top-level navigation, so it carries the session cookie like a page; a
//! download route honours that cookie the way the server functions do — only from our own
//! pages (and typed-in addresses, `Sec-Fetch-Site: none`; [`super::origin`]): a request
//! another site or a business's domain starts gets 403, so no page elsewhere can make a
//! signed-in browser fetch the data. No bearer: integrations page through GraphQL. The
//! routes only read.
//!
//! Statuses: 200 with the file; 422 for bad filters (the reasons, as text); 401 without a
//! valid session; 403 from a page not ours; 503 when the origin could not be checked; 500
//! on a database failure (logged, never shown).

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entity::auth::{Credentials, Principal};
use entity::types::ErrorCode;
use entity::DomainError;

use super::origin::Origin;
use crate::state::AppState;

/// A refusal as plain text, with the status its code means.
pub fn refusal(error: &DomainError) -> Response {
    let status = match error.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Validation => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        _ => {
            tracing::error!(error = %error, "a download failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("{}\n", error.public_message()),
    )
        .into_response()
}

/// The session's principal, when the request comes from our own pages; else the response
/// that refuses it (`what` names the data: "the call log"). Also the door of the
/// dashboard's one plain form upload (the logo).
pub async fn principal(
    state: &AppState,
    headers: &HeaderMap,
    what: &str,
) -> Result<Principal, Response> {
    match state
        .http
        .origins
        .classify(&state.services.db, headers)
        .await
    {
        Ok(Origin::Own) => {}
        Ok(Origin::BusinessDomain | Origin::Foreign) => {
            let text = format!("This page may not reach {what}.\n");
            return Err((StatusCode::FORBIDDEN, text).into_response());
        }
        Err(e) => {
            tracing::error!(error = %e, "checking a request origin failed");
            return Err((StatusCode::SERVICE_UNAVAILABLE, "Try again later.\n").into_response());
        }
    }
    let session = Credentials::from_headers(headers, true).session;
    entity::auth::authenticate(&state.services, None, session.as_deref())
        .await
        .map_err(|e| refusal(&e))
}

/// A CSV file named `file_name` (ASCII, no quotes) holding `body`.
pub fn csv_file(file_name: &str, body: String) -> Response {
    file(file_name, "text/csv; charset=utf-8", body)
}

/// A download named `file_name` (ASCII, no quotes) of `content_type` holding `body`.
pub fn file(file_name: &str, content_type: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        body,
    )
        .into_response()
}
