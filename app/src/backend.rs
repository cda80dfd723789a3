//! Server-side plumbing shared by the server functions: the request's services, cookies,
//! client address and principal.
//!
//! Only extraction and cookie handling live here; every rule (who may do what, how
//! sessions are issued) is a call into `entity`, and credentials are read by
//! [`entity::auth::Credentials`], as at every door.

use std::future::Future;

use axum::extract::Extension;
use entity::auth::sessions::{self, SESSION_COOKIE};
use entity::auth::{self, Credentials, Principal};
use entity::net::ClientIp;
use entity::types::ErrorCode;
use entity::Services;
use http::header::{HeaderValue, SET_COOKIE};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use leptos_router::location::RequestUrl;
use uuid::Uuid;

use crate::error::AppError;

/// The shared services the server put in context.
///
/// # Errors
/// `Internal` when the server did not provide them (a wiring bug, logged).
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        leptos::logging::error!("entity::Services missing from the Leptos context");
        AppError::internal()
    })
}

/// The value of the request cookie `name`.
pub async fn cookie(name: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    auth::credentials::cookie(&parts.headers, name).map(str::to_owned)
}

/// The client's address (decided by the server from the peer and, through trusted
/// proxies only, the forwarding headers), for the per-client limits.
pub async fn client_ip() -> String {
    leptos_axum::extract::<Extension<ClientIp>>()
        .await
        .map(|Extension(ip)| ip.to_string())
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The host the request was sent to (its `Host` header, or the URI's authority for HTTP/2),
/// possibly with a port.
pub fn request_host() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.as_str().to_owned()))
}

/// Who is asking, from the session cookie (server functions honour nothing else: no
/// bearer, so no API key).
///
/// # Errors
/// `Unauthenticated` without a valid session.
pub async fn principal(services: &Services) -> Result<Principal, AppError> {
    let session = use_context::<http::request::Parts>()
        .and_then(|parts| Credentials::from_headers(&parts.headers, true).session);
    Ok(auth::authenticate(services, None, session.as_deref()).await?)
}

/// Parses an id sent by the browser; a malformed one is simply not found.
///
/// # Errors
/// `NotFound` naming `what`.
pub fn parse_id(id: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::not_found(what))
}

/// Adds a `Set-Cookie` header (a value built by `entity::auth::cookie`) to the response.
///
/// # Errors
/// `Internal` when the value is not a valid header or no response is in context.
pub fn set_cookie(value: &str) -> Result<(), AppError> {
    let header = HeaderValue::from_str(value).map_err(|_| AppError::internal())?;
    let response = use_context::<ResponseOptions>().ok_or_else(|| {
        leptos::logging::error!("leptos_axum::ResponseOptions missing from the context");
        AppError::internal()
    })?;
    response.append_header(SET_COOKIE, header);
    Ok(())
}

/// Starts a session for `user_id` acting for `business_id` and sets its cookies: the
/// session, and the device cookie remembering this browser as one that signed in
/// successfully (see the rate limiter). [`sessions::issue`] makes both, as for GraphQL.
///
/// # Errors
/// Database or signing failures.
pub async fn start_session(
    services: &Services,
    user_id: Uuid,
    business_id: Uuid,
) -> Result<(), AppError> {
    let issued = sessions::issue(services, user_id, business_id).await?;
    issued
        .cookies
        .iter()
        .try_for_each(|value| set_cookie(value))
}

/// A fresh session: what every successful sign-in ends with ([`start_session`]).
///
/// # Errors
/// Database or signing failures.
pub async fn signed_in(
    services: &Services,
    user_id: Uuid,
    business_id: Uuid,
) -> Result<(), AppError> {
    start_session(services, user_id, business_id).await
}

/// Deletes the session cookie.
///
/// # Errors
/// `Internal` when no response is in context.
pub fn clear_session_cookie(services: &Services) -> Result<(), AppError> {
    let cookie = auth::cookie(
        SESSION_COOKIE,
        "",
        chrono::Duration::zero(),
        services.secure_cookies,
    );
    set_cookie(&cookie)
}

/// Runs the body of a server function and, when it fails, gives the response the HTTP
/// status its error code means (server functions otherwise answer 500 to every error, which
/// would make a wrong password look like an outage in the logs).
///
/// Two kinds of response keep their status: page renders, where a server function runs
/// inline, and plain form posts (no JavaScript yet), which Leptos answers with a redirect
/// back to the form carrying the error.
pub async fn reply<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(e) = &result {
        if is_fetch_call() {
            set_error_status(e.code);
        }
    }
    result
}

/// Whether this request is a server function called by the hydrated app (not a page render,
/// not a plain HTML form post).
fn is_fetch_call() -> bool {
    if use_context::<RequestUrl>().is_some() {
        return false;
    }
    let accepts_html = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    !accepts_html
}

fn set_error_status(code: ErrorCode) {
    let status = match code {
        ErrorCode::Unauthenticated => http::StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => http::StatusCode::FORBIDDEN,
        ErrorCode::NotFound => http::StatusCode::NOT_FOUND,
        ErrorCode::Validation => http::StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Conflict => http::StatusCode::CONFLICT,
        ErrorCode::RateLimited => http::StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal => http::StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
}

/// Marks the current response as a 404 (for the not-found pages).
pub fn not_found_status() {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}
