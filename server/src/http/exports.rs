//! `GET /app/calls/export.csv?<filters>`: the business's filtered call log as a CSV file,
//! for the dashboard's "Download CSV" link.
//!
//! A download is a top-level navigation, so it carries the session cookie like a page; the
//! route honours that cookie the way the server functions do — only from our own pages
//! ([`super::origin`]): a request another site (or a business's domain) starts gets 403,
//! so no page elsewhere can make a signed-in browser fetch the log. It reads, never
//! writes. The filters are the page's ([`entity::calls::filter::CallQuery`]), refused field
//! by field; the rows come from [`entity::calls::csv`] (RFC 4180, formulas neutralised).
//!
//! Statuses: 200 with the file; 422 for bad filters (the reasons, as text); 401 without a
//! valid session; 403 from a page not ours; 503 when the origin could not be checked; 500
//! on a database failure (logged, never shown).

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entity::auth::Credentials;
use entity::calls::filter::CallQuery;
use entity::types::ErrorCode;
use entity::DomainError;

use super::origin::Origin;
use crate::state::AppState;

/// Where the export lives.
pub const CALLS_CSV: &str = "/app/calls/export.csv";

/// A refusal as plain text, with the status its code means.
fn refusal(error: &DomainError) -> Response {
    let status = match error.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Validation => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", error.public_message()),
    )
        .into_response()
}

/// The file's name: `calls-<from>-<to>.csv` with the range when there is one.
fn file_name(query: &CallQuery) -> String {
    let part = |v: Option<&str>| {
        v.map(|d| {
            d.chars()
                .filter(|c| c.is_ascii_digit() || *c == '-')
                .collect::<String>()
        })
        .filter(|d| !d.is_empty())
    };
    match (part(query.from.as_deref()), part(query.to.as_deref())) {
        (None, None) => "calls.csv".to_owned(),
        (from, to) => format!(
            "calls-{}-to-{}.csv",
            from.unwrap_or_else(|| "start".into()),
            to.unwrap_or_else(|| "now".into())
        ),
    }
}

/// `GET /app/calls/export.csv`.
#[tracing::instrument(skip_all)]
pub async fn get_calls_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CallQuery>,
) -> Response {
    match state
        .http
        .origins
        .classify(&state.services.db, &headers)
        .await
    {
        Ok(Origin::Own) => {}
        Ok(Origin::BusinessDomain | Origin::Foreign) => {
            return (
                StatusCode::FORBIDDEN,
                "This page may not download the call log.\n",
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "checking a request origin failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "Try again later.\n").into_response();
        }
    }
    // The session cookie only: no bearer (API keys use GraphQL).
    let session = Credentials::from_headers(&headers, true).session;
    let services = &state.services;
    let principal = match entity::auth::authenticate(services, None, session.as_deref()).await {
        Ok(p) => p,
        Err(e) => return refusal(&e),
    };
    let filter = match entity::calls::records::parse_filter(&query) {
        Ok(f) => f,
        Err(e) => return refusal(&e),
    };
    let calls = match entity::calls::records::export_for(&services.db, &principal, &filter).await {
        Ok(c) => c,
        Err(e) => return refusal(&e),
    };
    let body = entity::calls::csv::document(&calls);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file_name(&query)),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_range_and_nothing_else() {
        assert_eq!(file_name(&CallQuery::default()), "calls.csv");
        let q = CallQuery {
            from: Some("2025-03-01".into()),
            to: Some("2025-03-31\"; x=\"y".into()),
            ..CallQuery::default()
        };
        assert_eq!(file_name(&q), "calls-2025-03-01-to-2025-03-31.csv");
    }
}
