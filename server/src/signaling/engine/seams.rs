//! The seams the call engine is built from. Each is an object-safe trait the engine holds
//! as `Arc<dyn …>`, so what is process-local today ([`super::local`]) can be replaced by a
//! shared implementation (NATS, issue 18) without touching the engine, and the engine's
//! unit tests drive it through in-memory fakes.
//!
//! None of them takes an outbox except [`Delivery::attach`], where a socket of this
//! process makes itself reachable: everyone else names connections by id and lets the
//! delivery seam find them. The methods do not wait: a shared implementation answers from
//! its node's view and propagates in the background, so a call setup never waits on a
//! network round trip for presence, routing memory, sessions or limits.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use chrono::{DateTime, Utc};
use entity::calls::limits::Limited;
use entity::calls::protocol::ConnectionId;
use entity::calls::records::{Job, RecordWriter};
use entity::calls::routing::RosterSnapshot;
use entity::calls::wire::Availability;
use tokio::sync::watch;
use uuid::Uuid;

use super::Peer;
use crate::signaling::outbox::{Outbox, Refused, Signal};

/// Identifies one socket of this process (sessions outlive sockets).
pub type SocketId = u64;

/// Where frames for one connection go, as [`Delivery::mailbox`] resolved it: a call keeps
/// its parties' mailboxes, so a relayed frame is not looked up again.
pub trait Mailbox: Send + Sync + 'static {
    /// Queues `frame` without waiting.
    ///
    /// # Errors
    /// [`Refused`] when the connection is not reading or gone; the frame is dropped.
    fn post(&self, frame: Utf8Bytes) -> Result<(), Refused>;
}

/// (a) Delivering frames to a connection by id, wherever it lives. The process-local
/// implementation writes into the connection's outbox; frames for a connection nobody
/// serves (gone, or not reading) are dropped, as a closed socket would.
pub trait Delivery: Send + Sync + 'static {
    /// A socket of this process serves `connection` from now on (a resumed session's new
    /// socket replaces the old one).
    fn attach(&self, connection: ConnectionId, outbox: Outbox);

    /// Nobody serves `connection` any more (its socket went).
    fn detach(&self, connection: ConnectionId);

    /// Where frames for `connection` go now, to keep (`None`: nobody serves it).
    fn mailbox(&self, connection: ConnectionId) -> Option<Arc<dyn Mailbox>>;

    /// Queues `frame` for `connection`.
    fn deliver(&self, connection: ConnectionId, frame: Utf8Bytes);

    /// Queues each frame for its connection, in order.
    fn deliver_all(&self, frames: &mut dyn Iterator<Item = (ConnectionId, Utf8Bytes)>);

    /// Queues the same frame for each of `to`.
    fn broadcast(&self, to: &mut dyn Iterator<Item = ConnectionId>, frame: &Utf8Bytes);

    /// Raises `signal` for the socket serving `connection` (another socket took its
    /// session over).
    fn signal(&self, connection: ConnectionId, signal: Signal);
}

/// One connected agent device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentDevice {
    /// The business the member's session acts for.
    pub business_id: Uuid,
    /// The member.
    pub user_id: Uuid,
    /// This device's connection.
    pub connection_id: ConnectionId,
}

/// One connected member as routing sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberPresence {
    /// The member.
    pub user_id: Uuid,
    /// Their connected devices.
    pub devices: Vec<ConnectionId>,
    /// Their manual availability.
    pub availability: Availability,
    /// In a call now.
    pub busy: bool,
}

/// (b) Presence: per business, per member, the connected agent devices and the member's
/// availability and busy state. `presence` frames go out through the [`Delivery`] seam.
pub trait Presence: Send + Sync + 'static {
    /// Registers a greeted (and attached) agent device. The new device gets the presence
    /// of every connected member of its business; the business's other devices get the
    /// member's new presence. A member's first device starts `available`; further devices
    /// join the member's current availability.
    fn join(&self, device: AgentDevice);

    /// Removes a device; the business's remaining devices get the member's presence
    /// (`offline` after their last device).
    fn leave(&self, device: AgentDevice);

    /// Sets the member's availability on all their devices. A change goes to every device
    /// of the business; a repeat only confirms it to the sending device.
    fn set_availability(&self, device: AgentDevice, availability: Availability);

    /// Marks the member as in a call (or out of one); busy members are not rung. Calls
    /// count, so a member in two calls (during a transfer) stays busy until both end. A
    /// change goes to every device of the business.
    fn set_busy(&self, business_id: Uuid, user_id: Uuid, busy: bool);

    /// The businesses with at least one available member connected.
    fn online_businesses(&self) -> Vec<Uuid>;

    /// The connected members of a business and their devices, for routing a call.
    fn roster(&self, business_id: Uuid) -> Vec<MemberPresence>;

    /// Changes whenever a member's presence may have changed anywhere (for the
    /// `onlineDomains` subscription; receivers re-read [`Self::online_businesses`]).
    fn changes(&self) -> watch::Receiver<u64>;
}

/// (c) What routing remembers between calls: where each round-robin team stopped, and
/// when each member's last call ended (for longest-idle).
pub trait RoutingMemory: Send + Sync + 'static {
    /// Fills in what is remembered about `roster`'s agents (their last call's end) and
    /// teams (their round-robin cursors).
    fn recall(&self, roster: &mut RosterSnapshot);

    /// Round-robin team `team` rang `member` last.
    fn rang(&self, team: Uuid, member: Uuid);

    /// `user`'s call ended at `at`.
    fn call_ended(&self, user: Uuid, at: DateTime<Utc>);
}

/// Held while a socket tears a session down or takes it over, so a resume never
/// overtakes the suspension it resumes from.
pub type SessionGate = Arc<tokio::sync::Mutex<()>>;

/// What a resume found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resumed {
    /// The session was waiting for a socket.
    Suspended,
    /// Another socket still served it: the engine tells that socket to close (4005).
    Replaced,
}

/// (d) Resumable signaling sessions: who each belongs to, which socket serves it, and
/// until when a suspended one may be resumed.
pub trait SessionStore: Send + Sync + 'static {
    /// Records a new session served by `socket`.
    fn open(&self, id: ConnectionId, peer: Peer, socket: SocketId);

    /// The gate of session `id`: lock it around [`Self::resume`], [`Self::suspend`] or
    /// [`Self::close`] and the work that follows.
    fn gate(&self, id: ConnectionId) -> Option<SessionGate>;

    /// Lets `socket` take over session `id` if it belongs to the same party as `peer`
    /// ([`Peer::same_party`]) and is still resumable at `now`; `None` otherwise (the
    /// socket starts a fresh session). The session takes on `peer`'s credential.
    fn resume(
        &self,
        id: ConnectionId,
        peer: Peer,
        socket: SocketId,
        now: Instant,
    ) -> Option<Resumed>;

    /// `socket` closed because its credential was revoked: if it still serves session
    /// `id`, the session is forgotten at once (no grace, no resume) and `true` returned.
    fn close(&self, id: ConnectionId, socket: SocketId) -> bool;

    /// `socket` closed: if it still serves session `id`, the session is suspended until
    /// `until` and `true` returned; a replaced socket gets `false`.
    fn suspend(&self, id: ConnectionId, socket: SocketId, until: Instant) -> bool;

    /// Forgets session `id` if it is still suspended at `now` (its grace ran out).
    fn expire(&self, id: ConnectionId, now: Instant) -> bool;

    /// The suspended sessions whose peer `pick` picks.
    fn suspended_matching(&self, pick: &dyn Fn(&Peer) -> bool) -> Vec<ConnectionId>;

    /// The sessions a socket serves now whose peer `pick` picks.
    fn live_matching(&self, pick: &dyn Fn(&Peer) -> bool) -> Vec<ConnectionId>;

    /// Forgets session `id` if it is still suspended and `pick` still picks its peer (a
    /// resume since may have given it a valid credential); returns that peer.
    fn take_suspended(&self, id: ConnectionId, pick: &dyn Fn(&Peer) -> bool) -> Option<Peer>;
}

/// The call-request limits per caller identity, client address and business
/// ([`entity::calls::limits`]): abuse limits, which a shared implementation holds across
/// nodes.
pub trait CallAdmission: Send + Sync + 'static {
    /// Counts a request from `identity` at `address`, or says when to retry.
    ///
    /// # Errors
    /// [`Limited`] when the identity or the address is over its limit.
    fn admit_caller(&self, identity: Uuid, address: IpAddr, now: Instant) -> Result<(), Limited>;

    /// Counts a request to `business`, or says when to retry.
    ///
    /// # Errors
    /// [`Limited`] when the business is over its limit.
    fn admit_business(&self, business: Uuid, now: Instant) -> Result<(), Limited>;
}

/// Where call records go: handed over without waiting, written off the signaling path.
/// As a [`RecordWriter`] it is also the notes-wait step (the process-local one: a barrier
/// behind what it has queued).
pub trait RecordSink: RecordWriter {
    /// Queues a write without waiting.
    fn push(&self, job: Job);

    /// Stops taking jobs and resolves once everything queued is written.
    fn drain(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Every seam of one engine.
#[derive(Clone)]
pub struct Seams {
    /// Frames to connections by id.
    pub delivery: Arc<dyn Delivery>,
    /// Who is connected, available and busy.
    pub presence: Arc<dyn Presence>,
    /// Round-robin cursors and last call ends.
    pub memory: Arc<dyn RoutingMemory>,
    /// Resumable sessions.
    pub sessions: Arc<dyn SessionStore>,
    /// Call-request limits.
    pub admission: Arc<dyn CallAdmission>,
    /// Call records and the notes-wait step.
    pub records: Arc<dyn RecordSink>,
}
