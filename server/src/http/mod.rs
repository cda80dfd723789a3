//! Plain HTTP routes (health, metrics, the widget, CSP reports, the GraphQL console's
//! files, the contacts' CSV export) and the middleware every request passes: its client address, its origin checks,
//! its security headers, its metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sea_orm::ConnectionTrait;

use crate::state::AppState;

mod calendar_feed;
mod callback_invite;
mod caller_reward;
pub mod client_addr;
pub mod console;
pub mod contacts_csv;
pub mod csrf;
pub mod downloads;
pub mod exports;
pub mod logo;
mod messages;
pub mod metrics_auth;
pub mod origin;
pub mod security;
pub mod server_fn_status;
mod widget;

/// What the HTTP doors need from the settings, shared through the app state.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Our own origins, for the CSRF and WebSocket origin checks.
    pub origins: origin::OwnOrigins,
    /// `DOMAINCALL_METRICS_TOKEN`: the bearer token `/metrics` asks for (unset: 404).
    pub metrics_token: Option<secrecy::SecretString>,
    /// `DOMAINCALL_GRAPHQL_CONSOLE`: whether `GET /graphql` serves the console.
    pub graphql_console: bool,
    /// `DOMAINCALL_GRAPHQL_INTROSPECTION`: whether the schema may be introspected (and its
    /// SDL downloaded from `/graphql/schema.graphql`).
    pub graphql_introspection: bool,
    /// `DOMAINCALL_DATA_DIR`: where messages' recordings are kept.
    pub data_dir: std::path::PathBuf,
}

impl HttpConfig {
    /// The configuration the settings describe.
    #[must_use]
    pub fn new(settings: &crate::settings::Settings) -> Self {
        Self {
            origins: origin::OwnOrigins::new(settings.allowed_origins.clone(), settings.is_https()),
            metrics_token: settings.metrics_token.clone(),
            graphql_console: settings.graphql_console,
            graphql_introspection: settings.graphql_introspection,
            data_dir: settings.data_dir.clone(),
        }
    }
}

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

/// `/healthz`, `/metrics`, `/widget.js`, `/csp-report`, the GraphQL console's script
/// and stylesheet, the CSV exports of the call log and the contacts, and the business
/// logo (served, and uploaded from the dashboard).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(security::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_auth::get_metrics))
        .route("/graphql/console.js", get(console::script))
        .route("/graphql/console.css", get(console::style))
        .route("/graphql/schema.graphql", get(console::sdl))
        .route("/widget.js", get(widget::get_widget))
        .route(exports::CALLS_CSV, get(exports::get_calls_csv))
        .route("/app/contacts.csv", get(contacts_csv::export_contacts))
        .route(
            "/app/callbacks/{id}/invite.ics",
            get(callback_invite::get_invite),
        )
        .route("/feeds/{file}", get(calendar_feed::get_feed))
        .route("/call/reward/{call}", get(caller_reward::get_reward))
        .merge(logo::router())
        .merge(messages::router())
}
