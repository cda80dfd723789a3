//! What a connection does with a frame that is not a relay: parse it, refuse what is
//! invalid or not allowed to its role, greet on `hello`, answer `ping`, and hand the call
//! lifecycle to the engine.

use std::time::Instant;

use axum::extract::ws::{Message, WebSocket};
use entity::calls::protocol::{
    ClientMessage, CloseCode, ConnectionId, ConnectionRole, ErrorCode, ProtocolError,
    ServerMessage, MAX_MESSAGE_BYTES, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION,
};
use entity::calls::relay::RelayFrame;
use entity::calls::{Event, Party};

use super::{send, Connection, Exit};
use crate::signaling::engine::{Caller, Refusal};
use crate::signaling::limits::Verdict;
use crate::signaling::Peer;

impl Connection {
    pub(super) async fn on_frame(
        &mut self,
        socket: &mut WebSocket,
        frame: Message,
    ) -> Option<Exit> {
        let text = match frame {
            Message::Text(text) => Some(text),
            Message::Binary(_) => None,
            // Pings are answered by the WebSocket layer; a close is answered there too and
            // the next read ends the loop.
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => {
                self.last_seen = Instant::now();
                return None;
            }
        };
        match self.admit() {
            Verdict::Pass => {}
            Verdict::Limited => {
                let refusal = ServerMessage::error(ErrorCode::RateLimited, "Too many messages.");
                return send(socket, &refusal).await;
            }
            Verdict::Abusive => return Some(Exit::Close(CloseCode::RateLimited, "rate limited")),
        }
        let Some(text) = text else {
            return self
                .invalid(
                    socket,
                    ErrorCode::BadJson,
                    "Frames must be text (JSON).".into(),
                )
                .await;
        };
        match ClientMessage::parse(text.as_str()) {
            Ok(message) => self.on_message(socket, message).await,
            Err(ProtocolError::TooLarge { .. }) => {
                Some(Exit::Close(CloseCode::MessageTooBig, "message too big"))
            }
            Err(e) => self.invalid(socket, e.code(), e.to_string()).await,
        }
    }

    /// Refuses an invalid message; too many of them close the socket with 1008.
    async fn invalid(
        &mut self,
        socket: &mut WebSocket,
        code: ErrorCode,
        message: String,
    ) -> Option<Exit> {
        if let Some(exit) = send(socket, &ServerMessage::error(code, message)).await {
            return Some(exit);
        }
        if self.limits.invalid(&self.config, Instant::now()) {
            return Some(Exit::Close(
                CloseCode::PolicyViolation,
                "too many invalid messages",
            ));
        }
        None
    }

    /// Answers `hello`: a fresh session, or the one `resume` names if the protocol allows.
    async fn greet(
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
        let greeted = self
            .engine
            .greet(self.peer, self.socket, &self.outbox, self.id, resume)
            .await;
        self.id = greeted.id;
        self.greeted = true;
        let welcome = ServerMessage::Welcome {
            version: version.min(PROTOCOL_VERSION),
            connection_id: self.id,
            role: self.role(),
            heartbeat_interval_ms: u32::try_from(self.config.heartbeat_interval.as_millis())
                .unwrap_or(u32::MAX),
            max_message_bytes: u32::try_from(MAX_MESSAGE_BYTES).unwrap_or(u32::MAX),
            resumed: greeted.resumed,
        };
        send(socket, &welcome).await
    }

    async fn on_message(&mut self, socket: &mut WebSocket, message: ClientMessage) -> Option<Exit> {
        if !self.greeted {
            return match message {
                ClientMessage::Hello { version, resume } => {
                    self.greet(socket, version, resume).await
                }
                _ => {
                    let text = "Send `hello` first.".to_owned();
                    self.invalid(socket, ErrorCode::HelloRequired, text).await
                }
            };
        }
        let role = self.role();
        if !message.senders().allows(role) {
            let text = format!(
                "{} connections may not send `{}`.",
                match role {
                    ConnectionRole::Agent => "Agent",
                    ConnectionRole::Caller => "Caller",
                },
                message.kind()
            );
            return self.invalid(socket, ErrorCode::Forbidden, text).await;
        }
        match message {
            ClientMessage::Hello { .. } => {
                let text = "This connection already sent `hello`.".to_owned();
                self.invalid(socket, ErrorCode::AlreadyGreeted, text).await
            }
            ClientMessage::Ping { nonce } => send(socket, &ServerMessage::Pong { nonce }).await,
            ClientMessage::Pong { .. } => None,
            ClientMessage::SetAvailability { availability } => {
                if let Some(device) = self.peer.device(self.id) {
                    self.engine.set_availability(device, availability);
                }
                None
            }
            other => {
                let refused = self.on_call_message(other).await;
                match refused {
                    Ok(()) => None,
                    Err((code, text)) => send(socket, &ServerMessage::error(code, text)).await,
                }
            }
        }
    }

    /// The call lifecycle: the engine derives the call and the other party from this
    /// connection.
    async fn on_call_message(&self, message: ClientMessage) -> Result<(), Refusal> {
        let engine = &self.engine;
        let party = self.party();
        if let Some(relay) = RelayFrame::of(&message) {
            return engine.relay(party, &relay).await;
        }
        let named = message.call_id();
        match (message, party) {
            (
                ClientMessage::CallRequest {
                    domain,
                    intent,
                    mode,
                    callback,
                },
                Party::Caller(_),
            ) => {
                let Peer::Caller { identity_id } = self.peer else {
                    return Ok(());
                };
                let caller = Caller {
                    connection: self.id,
                    identity_id,
                    address: self.client,
                };
                engine
                    .request_call(caller, &domain, intent, mode, callback.as_deref())
                    .await
            }
            (ClientMessage::Accept { call_id }, Party::Agent(device)) => {
                engine.answer_call(device, call_id, true).await
            }
            (ClientMessage::Reject { call_id }, Party::Agent(device)) => {
                engine.answer_call(device, call_id, false).await
            }
            (ClientMessage::Cancel {}, _) => {
                engine
                    .party_event(party, None, "cancel", |_| Event::Cancel)
                    .await
            }
            (ClientMessage::Chat { text, .. }, _) => {
                engine
                    .party_event(party, named, "chat", |from| Event::Chat { from, text })
                    .await
            }
            (ClientMessage::Hangup { .. }, _) => {
                engine
                    .party_event(party, named, "hangup", Event::Hangup)
                    .await
            }
            (ClientMessage::Transfer { to, .. }, Party::Agent(device)) => {
                engine.transfer_call(device, named, to).await
            }
            (other, _) => Err((
                ErrorCode::InvalidMessage,
                format!("`{}` is not available yet on this server.", other.kind()),
            )),
        }
    }
}
