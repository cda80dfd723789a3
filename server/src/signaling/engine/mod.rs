//! The call engine: sessions, presence and calls, from a greeted socket to the end of its
//! last call, built from injected seams ([`seams`]) — delivering frames to a connection
//! by id, presence, routing memory, resumable sessions, call-request limits and call
//! records — each an object-safe trait held as `Arc<dyn …>`.
//!
//! Why: everything live used to be one process's memory, reached through concrete types
//! (an outbox in presence's signatures, a type alias choosing presence at compile time).
//! Cut along these seams, the same engine runs on [`local`] implementations in one
//! process, on shared ones across several (issue 18), and on in-memory fakes in its unit
//! tests. The socket layer ([`super::connection`]) only reads and writes its socket and
//! calls the engine.
//!
//! What stays local state, deliberately: the live calls of this process (each event of a
//! call is handled under that call's own lock — [`calls`] — which is what makes the first
//! accept win), the calls that ended lately (asked by the embedded TURN server), and the
//! in-memory [`CallDirectory`] (a cache kept true by the event bus, so it is right on
//! every node that hears the bus). Per-socket caps stay with the sockets
//! ([`super::live`]); per-connection message rates with the connection ([`super::limits`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use entity::calls::ice::{CallStatus, IceConfig};
use entity::calls::protocol::{CallId, ConnectionId, ErrorCode};
use entity::calls::records::RecordWriter;
use entity::calls::wire::Availability;
use sea_orm::DatabaseConnection;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

mod calls;
pub mod local;
mod peer;
mod relay;
mod requests;
mod seams;
mod sessions;
#[cfg(test)]
mod tests;

pub use peer::Peer;
pub use seams::{
    AgentDevice, CallAdmission, Delivery, Mailbox, MemberPresence, Presence, RecordSink, Resumed,
    RoutingMemory, Seams, SessionGate, SessionStore, SocketId,
};
pub use sessions::Greeted;

use super::directory::CallDirectory;
use super::turn_calls::EndedCalls;
use super::SignalingConfig;

/// A refusal for the sender of a call message.
pub type Refusal = (ErrorCode, String);

/// Who places a call request: the socket, its caller identity and its client address.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    /// The caller's connection.
    pub connection: ConnectionId,
    /// Its caller identity (one call at a time each).
    pub identity_id: Uuid,
    /// Its client address (call requests are limited per address).
    pub address: std::net::IpAddr,
}

/// The engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: SignalingConfig,
    ice: IceConfig,
    seams: Seams,
    directory: Arc<CallDirectory>,
    db: DatabaseConnection,
    calls: Mutex<calls::Registry>,
    ended: EndedCalls,
}

impl Engine {
    /// An engine with no calls. `ice` are the STUN/TURN servers handed to call parties;
    /// `directory` answers what call requests need to know (reading `db` on a miss).
    #[must_use]
    pub fn new(
        config: SignalingConfig,
        ice: IceConfig,
        seams: Seams,
        directory: Arc<CallDirectory>,
        db: DatabaseConnection,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                ice,
                seams,
                directory,
                db,
                calls: Mutex::default(),
                ended: EndedCalls::default(),
            }),
        }
    }

    /// The database the engine reads what calls need from.
    #[must_use]
    pub fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// The timers and limits.
    #[must_use]
    pub fn config(&self) -> &SignalingConfig {
        &self.inner.config
    }

    /// What call requests read: verified domains, caller cards, routes.
    #[must_use]
    pub fn directory(&self) -> &Arc<CallDirectory> {
        &self.inner.directory
    }

    /// The presence seam.
    #[must_use]
    pub fn presence(&self) -> &dyn Presence {
        &*self.inner.seams.presence
    }

    /// The call records as the front doors see them (saving notes waits for them).
    #[must_use]
    pub fn records(&self) -> Arc<dyn RecordWriter> {
        self.inner.seams.records.clone()
    }

    /// The businesses with at least one available agent device connected now.
    #[must_use]
    pub fn online_businesses(&self) -> Vec<Uuid> {
        self.presence().online_businesses()
    }

    /// Changes whenever presence may have changed (see [`Presence::changes`]).
    #[must_use]
    pub fn presence_changes(&self) -> watch::Receiver<u64> {
        self.presence().changes()
    }

    /// A member's manual availability, for all their devices.
    pub fn set_availability(&self, device: AgentDevice, availability: Availability) {
        self.presence().set_availability(device, availability);
    }

    /// Where call `call_id` stands, for the embedded TURN server.
    #[must_use]
    pub fn call_status(&self, call_id: CallId) -> CallStatus {
        // A call is recorded as ended before it leaves the live calls, so none falls between.
        if self.registry().calls.contains_key(&call_id) {
            return CallStatus::Live;
        }
        match self.inner.ended.ended_at(call_id) {
            Some(at) => CallStatus::Ended { at },
            None => CallStatus::Unknown,
        }
    }

    /// Each call's id as it ends.
    #[must_use]
    pub fn call_ends(&self) -> broadcast::Receiver<CallId> {
        self.inner.ended.subscribe()
    }

    /// Waits until every call record queued is written; later ones are lost (call it
    /// last, on shutdown, after [`Self::end_all_calls`]).
    pub async fn drain_records(&self) {
        self.inner.seams.records.drain().await;
    }

    fn seams(&self) -> &Seams {
        &self.inner.seams
    }

    fn registry(&self) -> MutexGuard<'_, calls::Registry> {
        self.inner
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
