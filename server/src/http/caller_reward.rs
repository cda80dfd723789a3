//! `GET /call/reward/{call}`: what a caller earned for waiting on one of their calls, for
//! the call page's ended screen. Only the call's own caller identity (its cookie) reads it;
//! another's call is 404. `pending` tells the page to ask again shortly (the reward job
//! has not judged the call yet).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use entity::auth::credentials::cookie;
use entity::callers::CALLER_COOKIE;
use entity::types::ErrorCode;
use entity::DomainError;
use serde_json::json;

use crate::state::AppState;

fn refused(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "code": code.as_str(), "message": message })),
    )
        .into_response()
}

/// The reward of call `call`, if the caller cookie is its caller's.
#[tracing::instrument(skip_all)]
pub async fn get_reward(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(call): Path<String>,
) -> Response {
    let services = &state.services;
    let Ok(call_id) = uuid::Uuid::parse_str(&call) else {
        return refused(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No such call.");
    };
    let Some(token) = cookie(&headers, CALLER_COOKIE) else {
        return refused(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "Open the call page again.",
        );
    };
    let identity = match entity::callers::authenticate(&services.db, &services.keys, token).await {
        Ok(identity) => identity,
        Err(e) => return refused(StatusCode::UNAUTHORIZED, e.code(), &e.public_message()),
    };
    // The page asks as soon as the call ends: let the record catch up first.
    state.hub.engine().records().written().await;
    match entity::rewards::issue::for_caller(&services.db, &identity.name, call_id).await {
        Ok(reward) => Json(reward).into_response(),
        Err(DomainError::NotFound(_)) => {
            refused(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No such call.")
        }
        Err(e) => {
            tracing::error!(error = %e, "reading a caller's reward failed");
            refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "Something went wrong; try again.",
            )
        }
    }
}
