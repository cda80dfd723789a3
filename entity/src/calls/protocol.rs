//! The signaling protocol, version 1: the JSON messages a browser (or a headless peer) and
//! the server exchange over one WebSocket per device, as documented in `docs/signaling.md`.
//!
//! One definition serves the server hub, the hydrated browser app and the load generator,
//! so they cannot drift apart; it compiles without the `db` feature (and to wasm). Every
//! message is a JSON object tagged by `type` in snake_case (`{"type": "call_request", ...}`).
//! Unknown fields are ignored, so a later minor addition does not break older clients;
//! anything incompatible gets a new [`PROTOCOL_VERSION`].
//!
//! The relay messages (`offer`, `answer`, `ice`, `chat`, `hangup`) name no recipient: the
//! server derives the call and the other party from the sender's own connection, so a
//! client cannot address anyone else's call. A client may add the `call_id` it believes it
//! is in; the server drops the message when it does not match.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::wire::{
    Availability, CallMode, ChatText, EndReason, IceCandidate, IceServer, PresenceStatus,
    RingTarget, Side, TransferFailure, UnavailableReason,
};
use crate::domains::DomainName;

/// The protocol version this crate speaks; a client announces it in `hello`.
pub const PROTOCOL_VERSION: u32 = 1;
/// The oldest client version the server still accepts.
pub const MIN_PROTOCOL_VERSION: u32 = 1;
/// Largest text frame accepted, in bytes; larger frames close the socket with
/// [`CloseCode::MessageTooBig`].
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Identifies one call: 128 random bits, offered to the agents' devices and sent to the
/// caller only once the call is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(Uuid);

impl CallId {
    /// A call id from 16 bytes of a cryptographic random source (all 128 bits random,
    /// unlike a UUIDv4 which fixes 6 of them).
    #[must_use]
    pub const fn from_random_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    /// The id of a stored call.
    #[must_use]
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The id as stored.
    #[must_use]
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Identifies one device's signaling session. A socket that resumes after a drop (see
/// `hello.resume`) keeps the id of the session it resumes, so calls survive the reconnect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnectionId(Uuid);

impl ConnectionId {
    /// A connection id from 16 random bytes.
    #[must_use]
    pub const fn from_random_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    /// The id as a UUID (for logs and maps).
    #[must_use]
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who is on the other end of a socket, decided by how it authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionRole {
    /// A business member, authenticated by their dashboard session.
    Agent,
    /// Someone calling a business, authenticated by a caller token.
    Caller,
}

/// A message from a device to the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// First message on every socket: the highest protocol version the client speaks, and
    /// the connection to resume after a dropped socket (only honoured for the same
    /// authenticated agent or caller, within the reconnect grace).
    Hello {
        version: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume: Option<ConnectionId>,
    },
    /// Heartbeat; the server answers `pong` with the same nonce.
    Ping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<u32>,
    },
    /// Answer to the server's `ping`.
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<u32>,
    },
    /// Agent: the member's manual availability, for all their devices.
    SetAvailability { availability: Availability },
    /// Caller: call this domain about this intent (absent when the business has none).
    /// `callback` is the token of a join link (`/l/{token}`): the call rings the member who
    /// is calling the caller back, not the intent's team.
    CallRequest {
        domain: DomainName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        intent: Option<Uuid>,
        mode: CallMode,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        callback: Option<String>,
    },
    /// Agent: answer a call offered to this device.
    Accept { call_id: CallId },
    /// Agent: decline a call offered to this device (it stops ringing on all the member's
    /// devices).
    Reject { call_id: CallId },
    /// Caller: withdraw the request before it is answered (after, it hangs up).
    Cancel {},
    /// Either party: an SDP offer for the other party of the sender's call.
    Offer {
        sdp: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
    },
    /// Either party: the SDP answer to the other party's offer.
    Answer {
        sdp: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
    },
    /// Either party: an ICE candidate for the other party.
    Ice {
        candidate: IceCandidate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
    },
    /// Either party: a text message, relayed by the server and kept with the call.
    Chat {
        text: ChatText,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
    },
    /// Either party: end the call for both.
    Hangup {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
    },
    /// Agent in a call: offer it to a colleague or a team; on accept the caller renegotiates
    /// with the new agent.
    Transfer {
        to: RingTarget,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
    },
}

/// Which roles may send a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Senders {
    Agent,
    Caller,
    Both,
}

impl Senders {
    /// Whether a connection of `role` may send it.
    #[must_use]
    pub fn allows(self, role: ConnectionRole) -> bool {
        match self {
            Self::Both => true,
            Self::Agent => role == ConnectionRole::Agent,
            Self::Caller => role == ConnectionRole::Caller,
        }
    }
}

impl ClientMessage {
    /// Every `type` a client may send, for telling an unknown type from a malformed message.
    pub const TYPES: &'static [&'static str] = &[
        "hello",
        "ping",
        "pong",
        "set_availability",
        "call_request",
        "accept",
        "reject",
        "cancel",
        "offer",
        "answer",
        "ice",
        "chat",
        "hangup",
        "transfer",
    ];

    /// Parses one text frame.
    ///
    /// # Errors
    /// [`ProtocolError`] saying whether the frame is too large, not JSON, of an unknown
    /// type, or of a known type with missing or invalid fields.
    pub fn parse(text: &str) -> Result<Self, ProtocolError> {
        parse_tagged(text, Self::TYPES)
    }

    /// The message's `type`, for logs and metrics.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hello { .. } => "hello",
            Self::Ping { .. } => "ping",
            Self::Pong { .. } => "pong",
            Self::SetAvailability { .. } => "set_availability",
            Self::CallRequest { .. } => "call_request",
            Self::Accept { .. } => "accept",
            Self::Reject { .. } => "reject",
            Self::Cancel {} => "cancel",
            Self::Offer { .. } => "offer",
            Self::Answer { .. } => "answer",
            Self::Ice { .. } => "ice",
            Self::Chat { .. } => "chat",
            Self::Hangup { .. } => "hangup",
            Self::Transfer { .. } => "transfer",
        }
    }

    /// Who may send this message; anyone else gets a `forbidden` error.
    #[must_use]
    pub fn senders(&self) -> Senders {
        match self {
            Self::Hello { .. }
            | Self::Ping { .. }
            | Self::Pong { .. }
            | Self::Offer { .. }
            | Self::Answer { .. }
            | Self::Ice { .. }
            | Self::Chat { .. }
            | Self::Hangup { .. } => Senders::Both,
            Self::SetAvailability { .. }
            | Self::Accept { .. }
            | Self::Reject { .. }
            | Self::Transfer { .. } => Senders::Agent,
            Self::CallRequest { .. } | Self::Cancel {} => Senders::Caller,
        }
    }

    /// The call the message names, if any; for the relay messages it is only a check.
    #[must_use]
    pub fn call_id(&self) -> Option<CallId> {
        match self {
            Self::Accept { call_id } | Self::Reject { call_id } => Some(*call_id),
            Self::Offer { call_id, .. }
            | Self::Answer { call_id, .. }
            | Self::Ice { call_id, .. }
            | Self::Chat { call_id, .. }
            | Self::Hangup { call_id }
            | Self::Transfer { call_id, .. } => *call_id,
            Self::Hello { .. }
            | Self::Ping { .. }
            | Self::Pong { .. }
            | Self::SetAvailability { .. }
            | Self::CallRequest { .. }
            | Self::Cancel {} => None,
        }
    }
}

/// What an agent's devices are shown when a call rings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingCall {
    pub call_id: CallId,
    /// The business domain that was called (a business may have several).
    pub domain: String,
    pub caller: CallerCard,
    /// The intent the caller picked, when the business offers intents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<IntentSummary>,
    pub mode: CallMode,
    /// Set when a colleague (this user id) transfers a call already in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferred_by: Option<Uuid>,
    /// The caller's CRM contact as it was before this call (the screen pop), when the
    /// caller is a known contact of the business (matched by verified domain or email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Box<crate::contacts::ContactCard>>,
}

/// Who is calling, as far as the server can vouch for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerCard {
    /// The name to show: the caller's verified domain, or their evanescent guest name.
    pub name: String,
    /// Whether the caller proved they own `domain` (a verified badge); false for guests.
    pub verified: bool,
    /// The domain the caller calls as (verified or evanescent), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// An intent as shown to agents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentSummary {
    pub id: Uuid,
    pub label: String,
}

/// A message from the server to a device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Reply to `hello`: the version both sides speak, this session's id, the role the
    /// server authenticated, and how often to send `ping`.
    Welcome {
        version: u32,
        connection_id: ConnectionId,
        role: ConnectionRole,
        heartbeat_interval_ms: u32,
        max_message_bytes: u32,
        /// Whether `hello.resume` was honoured (calls of that session continue).
        #[serde(default)]
        resumed: bool,
    },
    /// Heartbeat; answer with `pong`.
    Ping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<u32>,
    },
    /// Answer to the client's `ping`.
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<u32>,
    },
    /// To a business's agents: a member's presence changed (also echoes one's own).
    Presence {
        user_id: Uuid,
        status: PresenceStatus,
        /// How many devices of the member are connected.
        devices: u32,
    },
    /// To the caller: the request is ringing on the business's devices.
    Ringing {},
    /// To agents' devices: a call is ringing.
    Incoming(IncomingCall),
    /// To the other ringing devices: another device accepted this call.
    Taken { call_id: CallId },
    /// To the caller and the accepting device: the call is connected. The caller then
    /// sends the SDP offer (also after a transfer, to the new agent).
    Accepted {
        call_id: CallId,
        ice_servers: Vec<IceServer>,
    },
    /// The other party's SDP offer.
    Offer { call_id: CallId, sdp: String },
    /// The other party's SDP answer.
    Answer { call_id: CallId, sdp: String },
    /// The other party's ICE candidate.
    Ice {
        call_id: CallId,
        candidate: IceCandidate,
    },
    /// A chat message of the call, sent to both parties (the echo confirms it was kept).
    Chat {
        call_id: CallId,
        from: Side,
        text: ChatText,
        at: chrono::DateTime<chrono::Utc>,
    },
    /// The other party's socket dropped; the call ends unless it is back within `grace_ms`.
    PeerLost { call_id: CallId, grace_ms: u64 },
    /// The other party reconnected.
    PeerBack { call_id: CallId },
    /// To the transferring agent: nobody took the transfer; the call stays with them.
    TransferFailed {
        call_id: CallId,
        reason: TransferFailure,
    },
    /// To the previous agent: a colleague (`to`) took over the call; close the media.
    Transferred { call_id: CallId, to: Uuid },
    /// The call ended (or, on a ringing device, stopped ringing). `call_id` is absent for
    /// a caller whose call was never accepted: the caller learns the id only on `accepted`.
    Ended {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
        reason: EndReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Side>,
    },
    /// To the caller: nobody answered (ring timeout, or every device rejected).
    Missed {},
    /// To the caller: the call could not be offered to anyone. With `closed`, when the
    /// business next opens; with `out_of_office`, the business's (or member's) message and
    /// until when it applies, when it says.
    Unavailable {
        reason: UnavailableReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_opening: Option<chrono::DateTime<chrono::Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// To every agent device of the business: a caller nobody could answer asked to be
    /// called back (the dashboard's Callbacks list has it; a tab in the background raises
    /// a notification).
    CallbackRequested { callback_id: Uuid },
    /// To every agent device of the business: a caller nobody could answer left a message
    /// (the dashboard's Messages list has it; a tab in the background raises a
    /// notification).
    MessageLeft { message_id: Uuid },
    /// To a caller's open call page: member `member` of `business` is calling them back
    /// now (they asked for a callback, or left a message). Answering sends `call_request`
    /// with `callback: token` — a join link that rings that member, single-use, valid for
    /// [`crate::callbacks::links::RING_TTL_SECS`] seconds.
    CallingBack {
        callback_id: Uuid,
        business: String,
        member: String,
        token: String,
    },
    /// The server is going away: reconnect (with `hello.resume`) after `after_ms`.
    Reconnect { after_ms: u32 },
    /// A message was refused; the socket stays open unless a close frame follows.
    Error {
        code: ErrorCode,
        message: String,
        /// With `rate_limited`: how long to wait before the refused message would pass.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
}

/// Why a call cannot be offered, with what the caller is told about when to try again
/// (the next opening of a closed business, an out-of-office message and its end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailability {
    pub reason: UnavailableReason,
    pub next_opening: Option<chrono::DateTime<chrono::Utc>>,
    pub message: Option<String>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<UnavailableReason> for Unavailability {
    fn from(reason: UnavailableReason) -> Self {
        Self {
            reason,
            next_opening: None,
            message: None,
            until: None,
        }
    }
}

impl From<Unavailability> for ServerMessage {
    fn from(u: Unavailability) -> Self {
        Self::Unavailable {
            reason: u.reason,
            next_opening: u.next_opening,
            message: u.message,
            until: u.until,
        }
    }
}

impl ServerMessage {
    /// `unavailable` for `reason`, without a next opening or a message.
    #[must_use]
    pub fn unavailable(reason: UnavailableReason) -> Self {
        Unavailability::from(reason).into()
    }

    /// Every `type` the server may send.
    pub const TYPES: &'static [&'static str] = &[
        "welcome",
        "ping",
        "pong",
        "presence",
        "ringing",
        "incoming",
        "taken",
        "accepted",
        "offer",
        "answer",
        "ice",
        "chat",
        "peer_lost",
        "peer_back",
        "transfer_failed",
        "transferred",
        "ended",
        "missed",
        "unavailable",
        "reconnect",
        "error",
    ];

    /// Parses one text frame (in the browser or a headless peer).
    ///
    /// # Errors
    /// [`ProtocolError`], as for [`ClientMessage::parse`].
    pub fn parse(text: &str) -> Result<Self, ProtocolError> {
        parse_tagged(text, Self::TYPES)
    }

    /// An `error` message for a refused client message.
    #[must_use]
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error {
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// A `rate_limited` error saying when to retry.
    #[must_use]
    pub fn rate_limited(message: impl Into<String>, retry_after_ms: u64) -> Self {
        Self::Error {
            code: ErrorCode::RateLimited,
            message: message.into(),
            retry_after_ms: Some(retry_after_ms),
        }
    }
}

/// The stable error codes of the `error` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not JSON (or not a JSON object).
    BadJson,
    /// The JSON object has no `type`, or one this version does not know.
    UnknownType,
    /// A known `type` with missing or invalid fields.
    InvalidMessage,
    /// The frame exceeds [`MAX_MESSAGE_BYTES`] (the socket is then closed with 1009).
    TooLarge,
    /// Too many messages, or too many calls (then `retry_after_ms` says when to try
    /// again); slow down (repeated messages: the socket is closed with 4008).
    RateLimited,
    /// The first message must be `hello`.
    HelloRequired,
    /// `hello` came twice.
    AlreadyGreeted,
    /// The client's version is too old (the socket is then closed with 4002).
    VersionUnsupported,
    /// The sender's role may not send this message, or the call is not theirs.
    Forbidden,
    /// The message needs a call and the sender is in none (or `call_id` does not match).
    NotInCall,
    /// The call named is unknown or not offered to this device.
    UnknownCall,
    /// The caller already has a call in progress.
    AlreadyInCall,
    /// The call already ended.
    CallEnded,
    /// The call is not in a state where this message makes sense (e.g. `chat` while ringing).
    InvalidState,
    /// Something went wrong on the server; retry later.
    Internal,
}

/// Why a received frame is not a valid message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the message is {len} bytes long; at most {max} are allowed", max = MAX_MESSAGE_BYTES)]
    TooLarge { len: usize },
    #[error("the message is not valid JSON: {0}")]
    BadJson(String),
    #[error("the message has no `type` field")]
    MissingType,
    #[error("unknown message type `{0}`")]
    UnknownType(String),
    #[error("invalid `{kind}` message: {reason}")]
    Invalid { kind: String, reason: String },
}

impl ProtocolError {
    /// The code sent back in the `error` message.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } => ErrorCode::TooLarge,
            Self::BadJson(_) => ErrorCode::BadJson,
            Self::MissingType | Self::UnknownType(_) => ErrorCode::UnknownType,
            Self::Invalid { .. } => ErrorCode::InvalidMessage,
        }
    }

    /// This error as the `error` message to send back.
    #[must_use]
    pub fn to_message(&self) -> ServerMessage {
        ServerMessage::error(self.code(), self.to_string())
    }
}

/// Parses a `type`-tagged message, classifying failures only on the error path (the happy
/// path deserialises once).
fn parse_tagged<T: DeserializeOwned>(text: &str, known: &[&str]) -> Result<T, ProtocolError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(ProtocolError::TooLarge { len: text.len() });
    }
    // Objects only: serde reads an internally tagged enum from an array too, taking its
    // first element as the tag (`["offer", "v=0…"]` would be an offer). Found by fuzzing.
    if !text.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => ProtocolError::BadJson("expected a JSON object".to_owned()),
            Err(e) => ProtocolError::BadJson(e.to_string()),
        });
    }
    let err = match serde_json::from_str::<T>(text) {
        Ok(message) => return Ok(message),
        Err(err) => err,
    };
    if err.is_syntax() || err.is_eof() || err.is_io() {
        return Err(ProtocolError::BadJson(err.to_string()));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ProtocolError::BadJson(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(ProtocolError::BadJson("expected a JSON object".to_owned()));
    };
    match object.get("type").and_then(serde_json::Value::as_str) {
        None => Err(ProtocolError::MissingType),
        Some(kind) if !known.contains(&kind) => {
            Err(ProtocolError::UnknownType(kind.chars().take(64).collect()))
        }
        Some(kind) => Err(ProtocolError::Invalid {
            kind: kind.to_owned(),
            reason: err.to_string(),
        }),
    }
}

/// The WebSocket close codes the server uses (RFC 6455 ones and the 4000–4999 private
/// range), with what a client should do about each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// 1000: the client said goodbye, or the session ended normally.
    Normal,
    /// 1001: the server is shutting down or restarting, after a `reconnect` message.
    GoingAway,
    /// 1008: policy violation: the `Origin` is not allowed, or too many invalid messages.
    PolicyViolation,
    /// 1009: a frame exceeded [`MAX_MESSAGE_BYTES`].
    MessageTooBig,
    /// 1011: an unexpected server error.
    InternalError,
    /// 4001: no valid dashboard session or caller token (missing, expired or revoked).
    Unauthenticated,
    /// 4002: the `hello` version is not supported.
    VersionUnsupported,
    /// 4003: no `hello` arrived in time.
    HelloTimeout,
    /// 4004: no heartbeat from the client in time.
    HeartbeatTimeout,
    /// 4005: another socket resumed this session.
    Replaced,
    /// 4008: the client kept exceeding the rate limit.
    RateLimited,
}

impl CloseCode {
    /// Every close code, in numeric order.
    pub const ALL: [Self; 11] = [
        Self::Normal,
        Self::GoingAway,
        Self::PolicyViolation,
        Self::MessageTooBig,
        Self::InternalError,
        Self::Unauthenticated,
        Self::VersionUnsupported,
        Self::HelloTimeout,
        Self::HeartbeatTimeout,
        Self::Replaced,
        Self::RateLimited,
    ];

    /// The numeric code of the close frame.
    #[must_use]
    pub fn code(self) -> u16 {
        match self {
            Self::Normal => 1000,
            Self::GoingAway => 1001,
            Self::PolicyViolation => 1008,
            Self::MessageTooBig => 1009,
            Self::InternalError => 1011,
            Self::Unauthenticated => 4001,
            Self::VersionUnsupported => 4002,
            Self::HelloTimeout => 4003,
            Self::HeartbeatTimeout => 4004,
            Self::Replaced => 4005,
            Self::RateLimited => 4008,
        }
    }

    /// The code for a received close frame, if it is one of ours.
    #[must_use]
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// A short reason for the close frame (at most 123 bytes, as the frame requires).
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Self::Normal => "bye",
            Self::GoingAway => "server restarting, reconnect",
            Self::PolicyViolation => "policy violation",
            Self::MessageTooBig => "message too big",
            Self::InternalError => "internal error",
            Self::Unauthenticated => "unauthenticated",
            Self::VersionUnsupported => "protocol version unsupported",
            Self::HelloTimeout => "no hello",
            Self::HeartbeatTimeout => "heartbeat timeout",
            Self::Replaced => "session resumed elsewhere",
            Self::RateLimited => "rate limited",
        }
    }

    /// Whether a client should reconnect by itself (with `hello.resume`, after a backoff).
    #[must_use]
    pub fn should_reconnect(self) -> bool {
        matches!(
            self,
            Self::GoingAway | Self::InternalError | Self::HeartbeatTimeout | Self::HelloTimeout
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashSet;

    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;

    fn call_id() -> CallId {
        CallId::from_random_bytes([7; 16])
    }

    fn candidate() -> IceCandidate {
        IceCandidate {
            candidate: "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host".to_owned(),
            sdp_mid: Some("0".to_owned()),
            sdp_mline_index: Some(0),
            username_fragment: None,
        }
    }

    fn text(s: &str) -> ChatText {
        ChatText::parse(s).unwrap()
    }

    fn client_samples() -> Vec<ClientMessage> {
        let id = Some(call_id());
        vec![
            ClientMessage::Hello {
                version: 1,
                resume: Some(ConnectionId::from_random_bytes([1; 16])),
            },
            ClientMessage::Ping { nonce: Some(3) },
            ClientMessage::Pong { nonce: None },
            ClientMessage::SetAvailability {
                availability: Availability::Away,
            },
            ClientMessage::CallRequest {
                domain: DomainName::parse("Example.COM").unwrap(),
                intent: Some(Uuid::from_u128(9)),
                mode: CallMode::Video,
                callback: Some("t".repeat(43)),
            },
            ClientMessage::Accept { call_id: call_id() },
            ClientMessage::Reject { call_id: call_id() },
            ClientMessage::Cancel {},
            ClientMessage::Offer {
                sdp: "v=0\r\n".to_owned(),
                call_id: None,
            },
            ClientMessage::Answer {
                sdp: "v=0\r\n".to_owned(),
                call_id: id,
            },
            ClientMessage::Ice {
                candidate: candidate(),
                call_id: id,
            },
            ClientMessage::Chat {
                text: text("hello"),
                call_id: None,
            },
            ClientMessage::Hangup { call_id: id },
            ClientMessage::Transfer {
                to: RingTarget::Member(Uuid::from_u128(5)),
                call_id: id,
            },
        ]
    }

    fn server_samples() -> Vec<ServerMessage> {
        let call_id = call_id();
        let at = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
        vec![
            ServerMessage::Welcome {
                version: 1,
                connection_id: ConnectionId::from_random_bytes([2; 16]),
                role: ConnectionRole::Agent,
                heartbeat_interval_ms: 20_000,
                max_message_bytes: 65_536,
                resumed: false,
            },
            ServerMessage::Ping { nonce: Some(1) },
            ServerMessage::Pong { nonce: Some(1) },
            ServerMessage::Presence {
                user_id: Uuid::from_u128(4),
                status: PresenceStatus::Busy,
                devices: 2,
            },
            ServerMessage::Ringing {},
            ServerMessage::Incoming(IncomingCall {
                call_id,
                domain: "example.com".to_owned(),
                caller: CallerCard {
                    name: "guest-x1y2.callers.example".to_owned(),
                    verified: false,
                    domain: Some("guest-x1y2.callers.example".to_owned()),
                },
                intent: Some(IntentSummary {
                    id: Uuid::from_u128(9),
                    label: "Sales".to_owned(),
                }),
                mode: CallMode::Voice,
                transferred_by: None,
                contact: None,
            }),
            ServerMessage::Taken { call_id },
            ServerMessage::Accepted {
                call_id,
                ice_servers: vec![IceServer {
                    urls: vec!["turn:turn.example:3478?transport=udp".to_owned()],
                    username: Some("1700000000:call".to_owned()),
                    credential: Some("c2VjcmV0".to_owned()),
                }],
            },
            ServerMessage::Offer {
                call_id,
                sdp: "v=0\r\n".to_owned(),
            },
            ServerMessage::Answer {
                call_id,
                sdp: "v=0\r\n".to_owned(),
            },
            ServerMessage::Ice {
                call_id,
                candidate: candidate(),
            },
            ServerMessage::Chat {
                call_id,
                from: Side::Caller,
                text: text("hi"),
                at,
            },
            ServerMessage::PeerLost {
                call_id,
                grace_ms: 15_000,
            },
            ServerMessage::PeerBack { call_id },
            ServerMessage::TransferFailed {
                call_id,
                reason: TransferFailure::Missed,
            },
            ServerMessage::Transferred {
                call_id,
                to: Uuid::from_u128(6),
            },
            ServerMessage::Ended {
                call_id: Some(call_id),
                reason: EndReason::HungUpByAgent,
                by: Some(Side::Agent),
            },
            ServerMessage::Missed {},
            ServerMessage::unavailable(UnavailableReason::AllBusy),
            ServerMessage::Unavailable {
                reason: UnavailableReason::OutOfOffice,
                next_opening: None,
                message: Some("Back on Monday".to_owned()),
                until: chrono::DateTime::from_timestamp(1_767_600_000, 0),
            },
            ServerMessage::Unavailable {
                reason: UnavailableReason::Closed,
                next_opening: chrono::DateTime::from_timestamp(1_767_600_000, 0),
                message: None,
                until: None,
            },
            ServerMessage::Reconnect { after_ms: 500 },
            ServerMessage::error(ErrorCode::NotInCall, "you are not in a call"),
            ServerMessage::rate_limited("calling too often", 10_000),
        ]
    }

    fn type_of(value: &serde_json::Value) -> String {
        value["type"].as_str().unwrap().to_owned()
    }

    #[test]
    fn every_client_message_round_trips_and_its_type_is_listed() {
        let samples = client_samples();
        let mut seen = HashSet::new();
        for message in samples {
            let json = serde_json::to_string(&message).unwrap();
            let kind = type_of(&serde_json::from_str(&json).unwrap());
            assert_eq!(kind, message.kind());
            assert!(ClientMessage::TYPES.contains(&kind.as_str()), "{kind}");
            assert_eq!(ClientMessage::parse(&json), Ok(message));
            seen.insert(kind);
        }
        assert_eq!(seen.len(), ClientMessage::TYPES.len(), "a sample per type");
    }

    #[test]
    fn every_server_message_round_trips_and_its_type_is_listed() {
        let mut seen = HashSet::new();
        for message in server_samples() {
            let json = serde_json::to_string(&message).unwrap();
            let kind = type_of(&serde_json::from_str(&json).unwrap());
            assert!(ServerMessage::TYPES.contains(&kind.as_str()), "{kind}");
            assert_eq!(ServerMessage::parse(&json), Ok(message));
            seen.insert(kind);
        }
        assert_eq!(seen.len(), ServerMessage::TYPES.len(), "a sample per type");
    }

    #[test]
    fn unavailable_carries_the_next_opening_in_rfc3339_utc_and_the_message() {
        let closed = ServerMessage::Unavailable {
            reason: UnavailableReason::Closed,
            next_opening: chrono::DateTime::from_timestamp(1_767_600_000, 0),
            message: None,
            until: None,
        };
        assert_eq!(
            serde_json::to_value(&closed).unwrap(),
            serde_json::json!({
                "type": "unavailable",
                "reason": "closed",
                "next_opening": "2026-01-05T08:00:00Z"
            })
        );
        let plain = serde_json::to_value(ServerMessage::unavailable(UnavailableReason::Away));
        assert_eq!(
            plain.unwrap(),
            serde_json::json!({"type": "unavailable", "reason": "away"})
        );
        let away = ServerMessage::parse(
            r#"{"type":"unavailable","reason":"out_of_office","message":"Back Monday","until":"2026-01-05T08:00:00Z"}"#,
        )
        .unwrap();
        let ServerMessage::Unavailable { message, until, .. } = away else {
            panic!("{away:?}")
        };
        assert_eq!(message.as_deref(), Some("Back Monday"));
        assert_eq!(until, chrono::DateTime::from_timestamp(1_767_600_000, 0));
    }

    #[test]
    fn documented_shapes_parse() {
        let request = ClientMessage::parse(
            r#"{"type":"call_request","domain":"例え.jp","intent":null,"mode":"chat"}"#,
        );
        assert_eq!(
            request,
            Ok(ClientMessage::CallRequest {
                domain: DomainName::parse("xn--r8jz45g.jp").unwrap(),
                intent: None,
                mode: CallMode::Chat,
                callback: None,
            })
        );
        let ice = ClientMessage::parse(
            r#"{"type":"ice","candidate":{"candidate":"","sdp_mid":"0","sdp_mline_index":0}}"#,
        );
        assert!(matches!(ice, Ok(ClientMessage::Ice { call_id: None, .. })));
        assert_eq!(
            ClientMessage::parse(r#"{"type":"cancel"}"#),
            Ok(ClientMessage::Cancel {})
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"hangup"}"#),
            Ok(ClientMessage::Hangup { call_id: None })
        );
        let transfer =
            json!({"type": "transfer", "to": {"kind": "team", "id": Uuid::from_u128(3)}});
        assert_eq!(
            ClientMessage::parse(&transfer.to_string()),
            Ok(ClientMessage::Transfer {
                to: RingTarget::Team(Uuid::from_u128(3)),
                call_id: None
            })
        );
    }

    #[test]
    fn incoming_is_flat_and_ended_hides_an_unknown_call_id() {
        let incoming = server_samples().swap_remove(5);
        let value = serde_json::to_value(&incoming).unwrap();
        assert_eq!(value["type"], "incoming");
        assert_eq!(value["call_id"], call_id().to_string());
        assert_eq!(value["caller"]["verified"], false);
        assert_eq!(value["intent"]["label"], "Sales");
        let ended = ServerMessage::Ended {
            call_id: None,
            reason: EndReason::Cancelled,
            by: None,
        };
        assert_eq!(
            serde_json::to_value(&ended).unwrap(),
            json!({"type": "ended", "reason": "cancelled"})
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert_eq!(
            ClientMessage::parse(r#"{"type":"ping","nonce":1,"future":true}"#),
            Ok(ClientMessage::Ping { nonce: Some(1) })
        );
    }

    #[test]
    fn malformed_frames_get_a_clear_error() {
        let cases: [(&str, ErrorCode, &str); 10] = [
            ("not json", ErrorCode::BadJson, "not valid JSON"),
            (r#"{"type":"ping""#, ErrorCode::BadJson, "not valid JSON"),
            ("[1,2]", ErrorCode::BadJson, "JSON object"),
            // serde would take the first element as the tag.
            (r#"["offer" ," c0 "]"#, ErrorCode::BadJson, "JSON object"),
            (r#"{"nonce":1}"#, ErrorCode::UnknownType, "no `type`"),
            (r#"{"type":7}"#, ErrorCode::UnknownType, "no `type`"),
            (
                r#"{"type":"fly"}"#,
                ErrorCode::UnknownType,
                "unknown message type `fly`",
            ),
            (r#"{"type":"accept"}"#, ErrorCode::InvalidMessage, "call_id"),
            (
                r#"{"type":"accept","call_id":"nope"}"#,
                ErrorCode::InvalidMessage,
                "invalid `accept` message",
            ),
            (
                r#"{"type":"chat","text":"  "}"#,
                ErrorCode::InvalidMessage,
                "the message is empty",
            ),
        ];
        for (frame, code, needle) in cases {
            let err = ClientMessage::parse(frame).unwrap_err();
            assert_eq!(err.code(), code, "{frame}: {err}");
            assert!(err.to_string().contains(needle), "{frame}: {err}");
        }
    }

    #[test]
    fn a_bad_domain_says_what_to_type() {
        let err = ClientMessage::parse(
            r#"{"type":"call_request","domain":"https://example.com/","mode":"voice"}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidMessage);
        assert!(err.to_string().contains("web address"), "{err}");
    }

    #[test]
    fn oversize_frames_are_refused_before_parsing() {
        let frame = format!(
            r#"{{"type":"offer","sdp":"{}"}}"#,
            "a".repeat(MAX_MESSAGE_BYTES)
        );
        let err = ClientMessage::parse(&frame).unwrap_err();
        assert_eq!(err.code(), ErrorCode::TooLarge);
        assert_eq!(
            serde_json::to_value(err.to_message()).unwrap()["code"],
            "too_large"
        );
    }

    #[test]
    fn unknown_type_in_error_is_truncated() {
        let frame = json!({"type": "x".repeat(1000)}).to_string();
        let ProtocolError::UnknownType(kind) = ClientMessage::parse(&frame).unwrap_err() else {
            panic!("expected an unknown type");
        };
        assert_eq!(kind.len(), 64);
    }

    #[test]
    fn senders_follow_roles() {
        use ConnectionRole::{Agent, Caller};
        for message in client_samples() {
            let senders = message.senders();
            let (agent, caller) = (senders.allows(Agent), senders.allows(Caller));
            match message.kind() {
                "call_request" | "cancel" => assert!(!agent && caller),
                "accept" | "reject" | "transfer" | "set_availability" => {
                    assert!(agent && !caller);
                }
                _ => assert!(agent && caller),
            }
        }
    }

    #[test]
    fn call_id_is_only_a_check_on_relay_messages() {
        let ids: Vec<Option<CallId>> = client_samples()
            .iter()
            .map(ClientMessage::call_id)
            .collect();
        assert_eq!(ids[5], Some(call_id()));
        assert_eq!(ids[8], None);
        assert_eq!(ids[9], Some(call_id()));
    }

    #[test]
    fn close_codes_are_distinct_and_documented() {
        let codes: HashSet<u16> = CloseCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), CloseCode::ALL.len());
        for close in CloseCode::ALL {
            assert_eq!(CloseCode::from_code(close.code()), Some(close));
            assert!(close.reason().len() <= 123);
            assert!(close.code() < 1012 || (4000..5000).contains(&close.code()));
        }
        assert_eq!(CloseCode::GoingAway.code(), 1001);
        assert!(CloseCode::GoingAway.should_reconnect());
        assert!(!CloseCode::Unauthenticated.should_reconnect());
        assert_eq!(CloseCode::from_code(4999), None);
    }

    #[test]
    fn call_ids_use_all_128_bits() {
        let id = CallId::from_random_bytes([0xff; 16]);
        assert_eq!(id.as_uuid().as_u128(), u128::MAX);
        assert_eq!(CallId::from_uuid(id.as_uuid()), id);
    }
}
