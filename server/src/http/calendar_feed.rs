//! `GET /feeds/{token}.ics`: a member's private calendar feed of their business's booked
//! callbacks (`entity::callbacks::feeds`). The address is the credential — calendar apps
//! fetch it without cookies — so an unknown, revoked or former member's address is 404,
//! the same for each.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::downloads;
use crate::state::AppState;

/// `GET /feeds/{token}.ics`.
#[tracing::instrument(skip_all)]
pub async fn get_feed(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics").filter(|t| !t.is_empty()) else {
        return (StatusCode::NOT_FOUND, "No such calendar feed.\n").into_response();
    };
    let services = &state.services;
    let now = chrono::Utc::now();
    match entity::callbacks::feeds::read(&services.db, token, &services.public_url, now).await {
        Ok(ics) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, no-store"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            ics,
        )
            .into_response(),
        Err(e) => downloads::refusal(&e),
    }
}
