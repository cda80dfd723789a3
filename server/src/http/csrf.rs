//! Cross-site request forgery: requests a browser sends with our cookies must prove they
//! come from our pages ([`crate::http::origin`] says where they come from).
//!
//! `SameSite=Lax` keeps our cookies off cross-site subresource requests, but not off
//! top-level form posts, and any site may post a form to any URL — as
//! `application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain`. So:
//!
//! - **Server functions** (`/api/*`, [`guard_server_fns`]): our own origins pass. A
//!   business's verified domain, which serves its call page on its own host, reaches only
//!   the call page's functions ([`CALL_PAGE_FUNCTIONS`]) and without the dashboard cookies;
//!   anything else gets 403. Signing in (or anything else) is impossible cross-site.
//! - **`POST /graphql` without a bearer** ([`graphql_post`]): only `application/json`,
//!   which no form can send and no other site can send without a CORS preflight we never
//!   grant; a foreign `Origin` is refused, a business domain's dashboard cookies ignored.
//!   This holds whether or not a cookie came along: `signIn` sets cookies, so an
//!   anonymous cross-site post could sign a browser into someone else's account. With
//!   `Authorization: Bearer` (integrations; no browser attaches one by itself) nothing
//!   changes.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::origin::{strip_dashboard_cookies, Origin};
use crate::state::AppState;

/// The server functions the call page calls, which its copies on businesses' own hosts
/// (`https://call.example.com/call`) must reach: none needs the dashboard session.
/// Keep in step with `app/src/pages/call*` (the call-page tests in
/// `server/tests/api/csrf.rs` call each from a business origin).
pub const CALL_PAGE_FUNCTIONS: [&str; 5] = [
    "/api/start_caller",
    "/api/forget_caller",
    "/api/call_page_info",
    "/api/online_domains",
    "/api/request_callback",
];

fn refuse(message: &'static str) -> Response {
    (StatusCode::FORBIDDEN, message).into_response()
}

fn unavailable(error: &entity::DomainError) -> Response {
    tracing::error!(error = %error, "checking a request origin failed");
    (StatusCode::SERVICE_UNAVAILABLE, "Try again later.").into_response()
}

/// Middleware over every route: checks the origin of requests to `/api/*` (the server
/// functions); other paths pass untouched.
pub async fn guard_server_fns(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/") {
        return next.run(req).await;
    }
    let call_page = CALL_PAGE_FUNCTIONS.contains(&path);
    match state
        .http
        .origins
        .classify(&state.services.db, req.headers())
        .await
    {
        Ok(Origin::Own) => next.run(req).await,
        Ok(Origin::BusinessDomain) if call_page => {
            strip_dashboard_cookies(req.headers_mut());
            next.run(req).await
        }
        Ok(Origin::BusinessDomain | Origin::Foreign) => {
            refuse("This page may not call this function.")
        }
        Err(e) => unavailable(&e),
    }
}

/// Whether `content-type` is `application/json` (parameters such as `charset` allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// A refusal shaped like a GraphQL response, with a status and a stable code.
fn graphql_refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, axum::Json(body)).into_response()
}

/// What a `POST /graphql` may use of the browser's cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cookies {
    /// The session and device cookies count (our pages, bearer clients, non-browsers).
    Honoured,
    /// They are ignored (a business's domain).
    Ignored,
}

/// Checks a `POST /graphql` before its body is read.
///
/// # Errors
/// The response to send instead: 415 (`VALIDATION`) for a body other than
/// `application/json` without a bearer, 403 (`FORBIDDEN`) for a foreign origin, 503 when
/// the origin could not be checked.
pub async fn graphql_post(state: &AppState, headers: &HeaderMap) -> Result<Cookies, Response> {
    if crate::graphql::bearer(headers).is_some() {
        return Ok(Cookies::Honoured);
    }
    if !is_json(headers) {
        return Err(graphql_refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "VALIDATION",
            "Send GraphQL requests as application/json (other bodies need Authorization: Bearer).",
        ));
    }
    match state
        .http
        .origins
        .classify(&state.services.db, headers)
        .await
    {
        Ok(Origin::Own) => Ok(Cookies::Honoured),
        Ok(Origin::BusinessDomain) => Ok(Cookies::Ignored),
        Ok(Origin::Foreign) => Err(graphql_refusal(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "This origin may not use the dashboard's session; send Authorization: Bearer.",
        )),
        Err(e) => Err(unavailable(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, value.parse().expect("header"));
        h
    }

    #[test]
    fn only_json_is_json() {
        assert!(is_json(&typed("application/json")));
        assert!(is_json(&typed("Application/JSON; charset=utf-8")));
        for other in [
            "text/plain",
            "text/plain; a=application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "application/graphql",
        ] {
            assert!(!is_json(&typed(other)), "{other}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }
}
