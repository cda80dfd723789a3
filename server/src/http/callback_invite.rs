//! `GET /app/callbacks/{id}/invite.ics`: a booked callback as a calendar file (RFC 5545),
//! for the "add to calendar" link of the dashboard's callbacks page. The door and the
//! statuses are every download's ([`super::downloads`]); another business's callback, or
//! one without a booked time, is 404.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::downloads;
use crate::state::AppState;

/// `GET /app/callbacks/{id}/invite.ics`.
#[tracing::instrument(skip_all)]
pub async fn get_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let principal = match downloads::principal(&state, &headers, "the callbacks").await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return downloads::refusal(&entity::DomainError::NotFound("callback"));
    };
    let services = &state.services;
    let now = chrono::Utc::now();
    match entity::callbacks::booking::invite(
        &services.db,
        &principal,
        id,
        &services.public_url,
        now,
    )
    .await
    {
        Ok(ics) => downloads::file("callback.ics", "text/calendar; charset=utf-8", ics),
        Err(e) => downloads::refusal(&e),
    }
}
