//! A connection's signaling session: greeting (a fresh session or `hello.resume`),
//! suspension when the socket goes (its calls hear `peer_lost`, the grace runs), and the
//! end of it when the socket's credential was revoked (no grace, no resume). Each runs
//! under the session's gate, so a resume never overtakes the suspension or the end it
//! follows.

use std::time::Instant;

use axum::extract::ws::WebSocket;
use entity::calls::protocol::{
    CloseCode, ConnectionId, ErrorCode, ServerMessage, MAX_MESSAGE_BYTES, MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
};

use super::{send, Connection, Exit};
use crate::signaling::sessions::Resumed;
use crate::signaling::Presence;

impl Connection {
    /// The socket closed: unless another socket took the session over, suspend it for the
    /// reconnect grace (its calls hear `peer_lost`) and forget it when the grace ends.
    pub(super) async fn suspend(&self) {
        let sessions = self.hub.sessions();
        let Some(gate) = sessions.gate(self.id) else {
            return;
        };
        let grace = self.config.reconnect_grace;
        {
            let _held = gate.lock().await;
            if !sessions.suspend(self.id, self.socket, Instant::now() + grace) {
                return;
            }
            self.hub.connection_lost(self.party()).await;
            if let Some(device) = self.device() {
                self.hub.presence().leave(device).await;
            }
        }
        let (hub, id) = (self.hub.clone(), self.id);
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let _held = gate.lock().await;
            if hub.sessions().expire(id, Instant::now()) {
                hub.connection_gone(id);
            }
        });
    }

    /// The socket closed because its credential was revoked: unless another socket took
    /// the session over, it ends now — its calls end (`dropped`, no grace) and nobody can
    /// resume it.
    pub(super) async fn end_session(&self) {
        let sessions = self.hub.sessions();
        let Some(gate) = sessions.gate(self.id) else {
            return;
        };
        let _held = gate.lock().await;
        if !sessions.close(self.id, self.socket) {
            return;
        }
        self.hub.connection_revoked(self.party()).await;
        if let Some(device) = self.device() {
            self.hub.presence().leave(device).await;
        }
        tracing::debug!(connection_id = %self.id, "signaling session revoked");
    }

    /// Takes over session `previous` for this socket if the protocol allows it (same
    /// agent or caller, within the grace); `true` when it did.
    async fn resume(&mut self, previous: ConnectionId) -> bool {
        let sessions = self.hub.sessions();
        let Some(gate) = sessions.gate(previous) else {
            return false;
        };
        let _held = gate.lock().await;
        let Some(resumed) = sessions.resume(
            previous,
            self.peer,
            self.socket,
            self.outbox.clone(),
            Instant::now(),
        ) else {
            return false;
        };
        self.id = previous;
        if let (Some(device), Resumed::Replaced) = (self.device(), &resumed) {
            // The replaced socket's device goes; this one joins below.
            self.hub.presence().leave(device).await;
        }
        if let Some(device) = self.device() {
            self.hub.presence().join(device, self.outbox.clone()).await;
        }
        self.hub
            .connection_back(self.party(), self.outbox.clone())
            .await;
        tracing::debug!(connection_id = %self.id, "signaling session resumed");
        true
    }

    pub(super) async fn greet(
        &mut self,
        socket: &mut WebSocket,
        version: u32,
        resume: Option<ConnectionId>,
    ) -> Option<Exit> {
        if version < MIN_PROTOCOL_VERSION {
            let text = format!(
                "Protocol version {version} is no longer supported; the oldest is {MIN_PROTOCOL_VERSION}."
            );
            let refusal = ServerMessage::error(ErrorCode::VersionUnsupported, text);
            if let Some(exit) = send(socket, &refusal).await {
                return Some(exit);
            }
            return Some(Exit::Close(
                CloseCode::VersionUnsupported,
                "protocol version unsupported",
            ));
        }
        let resumed = match resume {
            Some(previous) => self.resume(previous).await,
            None => false,
        };
        if !resumed {
            self.hub
                .sessions()
                .open(self.id, self.peer, self.socket, self.outbox.clone());
        }
        let welcome = ServerMessage::Welcome {
            version: version.min(PROTOCOL_VERSION),
            connection_id: self.id,
            role: self.role(),
            heartbeat_interval_ms: u32::try_from(self.config.heartbeat_interval.as_millis())
                .unwrap_or(u32::MAX),
            max_message_bytes: u32::try_from(MAX_MESSAGE_BYTES).unwrap_or(u32::MAX),
            resumed,
        };
        self.greeted = true;
        if !resumed {
            self.hub.connect_calls(self.id, self.outbox.clone());
            if let Some(device) = self.device() {
                self.hub.presence().join(device, self.outbox.clone()).await;
            }
        }
        send(socket, &welcome).await
    }
}
