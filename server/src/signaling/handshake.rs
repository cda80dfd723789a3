//! `GET /ws`: refuse a foreign `Origin` (403) or missing credentials (401) before
//! upgrading, then hand the socket, with small buffers, to its connection task.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entity::calls::protocol::MAX_MESSAGE_BYTES;

use super::{auth, connection, origin};
use crate::state::AppState;

/// Bytes read from the socket at a time (tungstenite allocates it per socket; its default
/// is 128 KiB). Signaling frames are small; a larger one (an SDP) is read in several
/// chunks, the message buffer growing as needed.
const READ_BUFFER: usize = 1024;
/// Frames written in one go (a queued batch) collect up to this many bytes before they
/// go to the socket, so a batch costs one `write` instead of one per frame; every batch
/// and every single send ends with a flush, so nothing waits in the buffer. The buffer
/// only grows as far as a batch needs.
const WRITE_BUFFER: usize = 16 * 1024;
/// The most that may queue in the write buffer while the peer is not reading.
const MAX_WRITE_BUFFER: usize = 4 * MAX_MESSAGE_BYTES;

fn refuse(status: StatusCode, message: &'static str) -> Response {
    (status, message).into_response()
}

/// Upgrades an allowed, authenticated request to a signaling socket.
#[tracing::instrument(skip_all)]
pub(super) async fn connect_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let origin = match origin::classify(&state.hub, &state.services.db, &headers).await {
        Ok(origin::Origin::Foreign) => {
            return refuse(StatusCode::FORBIDDEN, "This origin may not connect.")
        }
        Ok(origin) => origin,
        Err(e) => {
            tracing::error!(error = %e, "checking a signaling origin failed");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "Try again later.");
        }
    };
    let session_cookie = origin == origin::Origin::Own;
    let peer = match auth::authenticate(&state.services, &headers, session_cookie).await {
        Ok(Some(peer)) => peer,
        Ok(None) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Sign in, or start a caller session, first.",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "authenticating a signaling socket failed");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "Try again later.");
        }
    };
    let hub = state.hub.clone();
    let db = state.services.db.clone();
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "signaling upgrade failed"))
        .on_upgrade(move |socket| connection::run(socket, hub, peer, db))
}
