//! Plain HTTP routes: health, metrics, the widget and CSP reports, plus the middleware
//! (request metrics, client address, security headers).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sea_orm::ConnectionTrait;

use crate::state::AppState;

pub mod client_addr;
pub mod security;
mod widget;

/// `GET /healthz`: 200 once the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.services.db.execute_unprepared("SELECT 1").await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format.
async fn metrics() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        crate::telemetry::metrics_handle().render(),
    )
        .into_response()
}

/// Counts requests and records their latency by route template and status.
pub async fn track_requests(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", res.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    res
}

/// `/healthz`, `/metrics`, `/widget.js` and `/csp-report`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(security::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/widget.js", get(widget::get_widget))
}
