//! `GET /ws`: refuse a foreign `Origin` (403), missing or just revoked credentials (401)
//! or one socket too many for the caller identity or agent (429) before upgrading, then
//! hand the socket, with small buffers, to its connection task.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entity::calls::protocol::MAX_MESSAGE_BYTES;
use entity::net::ClientIp;

use super::live::Refused;
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
    Extension(client): Extension<ClientIp>,
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
    // Revocations applied after this mark are checked again at admission: credentials
    // read valid just before a sign-out must not open a socket after it.
    let mark = state.hub.revocation_mark();
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
    let admitted = match state.hub.admit(peer, mark) {
        Ok(admitted) => admitted,
        Err(Refused::Revoked) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Your sign-in has ended; sign in again.",
            )
        }
        Err(Refused::TooMany) => {
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many connections for this caller or member; close one first.",
            )
        }
        Err(Refused::Unsure) => return refuse(StatusCode::SERVICE_UNAVAILABLE, "Try again."),
    };
    let hub = state.hub.clone();
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "signaling upgrade failed"))
        .on_upgrade(move |socket| connection::run(socket, hub, admitted, peer, client.0))
}
