//! `GET /metrics` behind a bearer token.
//!
//! The Prometheus text names every route, its traffic and latency, and the hub's figures:
//! nothing for the public. With `DOMAINCALL_METRICS_TOKEN` unset the route answers 404 as if
//! it did not exist; with it set, a scraper sends `Authorization: Bearer <token>`
//! (Prometheus `authorization: { credentials_file: … }`), compared in constant time.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::state::AppState;

/// Whether `headers` carry `Authorization: Bearer <expected>`. The comparison takes the
/// same time wherever the first differing byte is.
#[must_use]
pub fn authorized(headers: &HeaderMap, expected: &SecretString) -> bool {
    let Some(sent) = crate::graphql::bearer(headers) else {
        return false;
    };
    bool::from(
        sent.trim()
            .as_bytes()
            .ct_eq(expected.expose_secret().as_bytes()),
    )
}

/// `GET /metrics`: Prometheus text format, for the holder of the metrics token.
pub async fn get_metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.http.metrics_token else {
        return (StatusCode::NOT_FOUND, "Not found.\n").into_response();
    };
    if !authorized(&headers, token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            "Send Authorization: Bearer <DOMAINCALL_METRICS_TOKEN>.\n",
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::metrics_handle().render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, auth.parse().expect("header"));
        h
    }

    #[test]
    fn only_the_exact_token_passes() {
        let token: SecretString = "s3cret-metrics-token".into();
        assert!(authorized(&with("Bearer s3cret-metrics-token"), &token));
        assert!(!authorized(&with("Bearer s3cret-metrics-toke"), &token));
        assert!(!authorized(&with("Bearer s3cret-metrics-token2"), &token));
        assert!(!authorized(&with("Basic s3cret-metrics-token"), &token));
        assert!(!authorized(&HeaderMap::new(), &token));
    }
}
