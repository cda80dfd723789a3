//! The TURN server's listening socket, screened: every datagram a client sends passes
//! here before webrtc-rs' `turn` (which has no permission hook) reads it.
//!
//! - CreatePermission and ChannelBind naming a refused peer (any of their
//!   XOR-PEER-ADDRESS attributes — the crate itself reads only the first) are answered
//!   403 Forbidden here and never reach the crate, so no permission or channel to such a
//!   peer can exist.
//! - Send indications to a refused peer are dropped.
//! - An authenticated Allocate is answered 403 when its call is no longer live, and 486
//!   (Allocation Quota Reached) when its credential already holds its allocations
//!   ([`entity::calls::ice::may_allocate`]).
//!
//! Answers carry MESSAGE-INTEGRITY when the request's verified (browsers drop
//! unauthenticated answers to authenticated requests). Everything else — ChannelData (the
//! media), Refresh, Binding, unauthenticated requests — passes untouched.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use entity::calls::ice::{may_allocate, CallStatus, TurnRefusal, TurnUsername};
use stun::attributes::{
    Attributes, ATTR_MESSAGE_INTEGRITY, ATTR_REALM, ATTR_USERNAME, ATTR_XOR_PEER_ADDRESS,
};
use stun::error_code::{ErrorCode, ErrorCodeAttribute, CODE_ALLOC_QUOTA_REACHED, CODE_FORBIDDEN};
use stun::integrity::MessageIntegrity;
use stun::message::{
    Getter, Message, MessageType, Setter, CLASS_ERROR_RESPONSE, CLASS_INDICATION, CLASS_REQUEST,
    METHOD_ALLOCATE, METHOD_CHANNEL_BIND, METHOD_CREATE_PERMISSION, METHOD_SEND,
};
use stun::textattrs::TextAttribute;
use turn::proto::chandata::ChannelData;
use turn::proto::peeraddr::PeerAddress;
use webrtc_util::Conn;

use super::guard::Guard;

/// What becomes of a datagram.
enum Verdict {
    /// The crate handles it.
    Pass,
    /// Nobody handles it.
    Drop,
    /// This answer goes back to its sender instead.
    Answer(Vec<u8>),
}

/// The listening socket with the screen in front of its reads.
pub(super) struct Gate {
    inner: Arc<dyn Conn + Send + Sync>,
    guard: Arc<Guard>,
}

impl Gate {
    pub(super) fn new(inner: Arc<dyn Conn + Send + Sync>, guard: Arc<Guard>) -> Self {
        Self { inner, guard }
    }

    async fn screen(&self, datagram: &[u8], from: SocketAddr) -> Verdict {
        // The crate's own dispatch: ChannelData first, then STUN.
        if ChannelData::is_channel_data(datagram) {
            return Verdict::Pass;
        }
        let mut message = Message {
            raw: datagram.to_vec(),
            ..Message::default()
        };
        if message.decode().is_err() {
            return Verdict::Pass;
        }
        let (class, method) = (message.typ.class, message.typ.method);
        if class == CLASS_REQUEST
            && (method == METHOD_CREATE_PERMISSION || method == METHOD_CHANNEL_BIND)
        {
            match self.refused_peer(&message) {
                Some(why) => {
                    tracing::debug!(%from, %why, "TURN permission refused");
                    self.refuse(&message, CODE_FORBIDDEN, "Forbidden: peer address refused")
                }
                None => Verdict::Pass,
            }
        } else if class == CLASS_INDICATION && method == METHOD_SEND {
            match self.refused_peer(&message) {
                Some(why) => {
                    metrics::counter!("turn_refused_peer_datagrams_total", "way" => "send")
                        .increment(1);
                    tracing::debug!(%from, %why, "TURN send indication to a refused peer dropped");
                    Verdict::Drop
                }
                None => Verdict::Pass,
            }
        } else if class == CLASS_REQUEST && method == METHOD_ALLOCATE {
            self.screen_allocate(&message, from).await
        } else {
            Verdict::Pass
        }
    }

    /// Why one of the message's peers is refused (a malformed one counts as refused).
    fn refused_peer(&self, message: &Message) -> Option<String> {
        message
            .attributes
            .0
            .iter()
            .filter(|attribute| attribute.typ == ATTR_XOR_PEER_ADDRESS)
            .find_map(|attribute| {
                // Each attribute alone: the crate's getter reads the first one only.
                let one = Message {
                    transaction_id: message.transaction_id,
                    attributes: Attributes(vec![attribute.clone()]),
                    ..Message::default()
                };
                let mut peer = PeerAddress::default();
                if peer.get_from(&one).is_err() {
                    return Some("a malformed XOR-PEER-ADDRESS".to_owned());
                }
                let peer = SocketAddr::new(peer.ip, peer.port);
                self.guard
                    .check(peer)
                    .err()
                    .map(|refused| refused.to_string())
            })
    }

    /// Refuses an authenticated Allocate whose call is over or whose credential holds its
    /// quota; lets everything else through (the crate asks for credentials and checks them).
    async fn screen_allocate(&self, message: &Message, from: SocketAddr) -> Verdict {
        let Some((username, _)) = self.verified(message) else {
            return Verdict::Pass;
        };
        let Some(parsed) = TurnUsername::parse(&username) else {
            return Verdict::Pass;
        };
        let status = self.guard.calls.call_status(parsed.call_id);
        let held = if status == CallStatus::Live {
            self.allocations_of(&username, from).await
        } else {
            0
        };
        match may_allocate(status, held) {
            Ok(()) => Verdict::Pass,
            Err(refusal) => {
                tracing::debug!(%from, %refusal, call_id = %parsed.call_id, "TURN allocation refused");
                let (code, reason) = match refusal {
                    TurnRefusal::Quota => (CODE_ALLOC_QUOTA_REACHED, "Allocation Quota Reached"),
                    _ => (CODE_FORBIDDEN, "Forbidden: the call is over"),
                };
                self.refuse(message, code, reason)
            }
        }
    }

    /// How many allocations `username` holds from other client addresses than `from` (the
    /// crate answers a second Allocate on the same 5-tuple itself).
    async fn allocations_of(&self, username: &str, from: SocketAddr) -> usize {
        let Some(server) = self.guard.server() else {
            return 0;
        };
        match server.get_allocations_info(None).await {
            Ok(allocations) => allocations
                .values()
                .filter(|a| a.username == username && a.five_tuple.src_addr != from)
                .count(),
            Err(e) => {
                tracing::debug!(error = %e, "counting TURN allocations");
                0
            }
        }
    }

    /// The username and integrity of a request whose MESSAGE-INTEGRITY verifies with the
    /// key of its credentials now.
    fn verified(&self, message: &Message) -> Option<(String, MessageIntegrity)> {
        if !message.contains(ATTR_MESSAGE_INTEGRITY) {
            return None;
        }
        let username = TextAttribute::get_from_as(message, ATTR_USERNAME).ok()?;
        let realm = TextAttribute::get_from_as(message, ATTR_REALM).ok()?;
        let key = self
            .guard
            .credentials
            .key(&username.text, &realm.text)
            .ok()?;
        let integrity = MessageIntegrity(key);
        integrity.check(&mut message.clone()).ok()?;
        Some((username.text, integrity))
    }

    /// An error answer to `message` with `code`.
    fn refuse(&self, message: &Message, code: ErrorCode, reason: &str) -> Verdict {
        let mut setters: Vec<Box<dyn Setter>> = vec![
            Box::new(Message {
                transaction_id: message.transaction_id,
                ..Message::default()
            }),
            Box::new(MessageType::new(message.typ.method, CLASS_ERROR_RESPONSE)),
            Box::new(ErrorCodeAttribute {
                code,
                reason: reason.as_bytes().to_vec(),
            }),
        ];
        if let Some((_, integrity)) = self.verified(message) {
            setters.push(Box::new(integrity));
        }
        let mut answer = Message::new();
        match answer.build(&setters) {
            Ok(()) => Verdict::Answer(answer.raw),
            Err(e) => {
                tracing::debug!(error = %e, "building a TURN error answer");
                Verdict::Drop
            }
        }
    }
}

#[async_trait]
impl Conn for Gate {
    async fn connect(&self, addr: SocketAddr) -> Result<(), webrtc_util::Error> {
        self.inner.connect(addr).await
    }

    async fn recv(&self, _buf: &mut [u8]) -> Result<usize, webrtc_util::Error> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "TURN reads with recv_from").into())
    }

    /// The next datagram the crate should handle; refused ones are answered or dropped.
    async fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr), webrtc_util::Error> {
        loop {
            let (n, from) = self.inner.recv_from(buf).await?;
            let datagram = buf.get(..n).unwrap_or_default();
            match self.screen(datagram, from).await {
                Verdict::Pass => return Ok((n, from)),
                Verdict::Drop => {}
                Verdict::Answer(answer) => {
                    if let Err(e) = self.inner.send_to(&answer, from).await {
                        tracing::debug!(error = %e, %from, "answering a TURN request");
                    }
                }
            }
        }
    }

    async fn send(&self, buf: &[u8]) -> Result<usize, webrtc_util::Error> {
        self.inner.send(buf).await
    }

    async fn send_to(&self, buf: &[u8], target: SocketAddr) -> Result<usize, webrtc_util::Error> {
        self.inner.send_to(buf, target).await
    }

    fn local_addr(&self) -> Result<SocketAddr, webrtc_util::Error> {
        self.inner.local_addr()
    }

    fn remote_addr(&self) -> Option<SocketAddr> {
        self.inner.remote_addr()
    }

    async fn close(&self) -> Result<(), webrtc_util::Error> {
        self.inner.close().await
    }

    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }
}
