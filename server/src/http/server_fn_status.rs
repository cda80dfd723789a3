//! Server functions whose arguments could not be read (a missing or malformed form field)
//! fail before they run; Leptos answers those with status 500 and our `VALIDATION` error
//! body. This middleware gives them the status of bad input, 400, so no client mistake is
//! reported as a server failure.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// The largest error body read back (our error bodies are a few hundred bytes).
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Middleware over every route: a `/api/*` answer of 500 whose body is a `VALIDATION`
/// error becomes 400; everything else passes untouched.
pub async fn bad_arguments_are_400(req: Request, next: Next) -> Response {
    let server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::from("Internal error"));
    };
    let validation = serde_json::from_slice::<serde_json::Value>(&bytes)
        .is_ok_and(|v| v["code"] == "VALIDATION");
    if validation {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}
