//! The signaling hub at `GET /ws`: one WebSocket per device, speaking protocol v1
//! (`docs/signaling.md`, types in `entity::calls::protocol`).
//!
//! The upgrade checks the `Origin` and the credentials, each connection greets, keeps its
//! heartbeat, is rate-limited and refused what its role may not send, agent devices share
//! presence per business, and calls run from request to end ([`calls`]: one lock per call
//! makes the first accept win; records are written off the signaling path by
//! [`records`]' writer task; what a request needs to know about the business, the caller
//! and the routing comes from the in-memory [`CallDirectory`], kept true by the business
//! events, so setting up a call reads no database in the common case).
//!
//! Live state stays per process and small: a connection task owns its socket and a bounded
//! queue of already-serialised frames; presence sits behind the one [`Presence`] seam so a
//! Redis or NATS backend can share it between processes later.
//!
//! Every socket knows the credential it was opened with: a revocation on the bus (sign-out,
//! password change, removal, role change, business switch) closes it with 4001
//! ([`revocation`]). Call requests are limited per caller identity, client address and
//! business, and sockets per caller identity and agent ([`entity::calls::limits`]).

mod auth;
mod calls;
mod connection;
mod handshake;
mod limits;
mod live;
mod online;
mod origin;
mod outbox;
mod presence;
mod records;
mod revocation;
mod sessions;
mod turn_calls;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use entity::calls::directory::CallDirectory;
use entity::calls::limits::{CallLimiter, CallLimits};
use entity::events::EventBus;
use tokio::sync::{watch, Notify};

use live::Live;
use uuid::Uuid;

pub use auth::{Peer, CALLER_COOKIE};
pub use presence::{AgentDevice, LocalPresence, MemberPresence, Outbox, Presence};

use crate::state::AppState;

/// The presence backend this build uses (the one place to swap in a shared one).
pub type PresenceBackend = LocalPresence;

/// Timers and limits of the hub. The defaults are the protocol's; tests shorten the timers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignalingConfig {
    /// How often clients send `ping` (told in `welcome`); silent for two intervals closes
    /// with 4004.
    pub heartbeat_interval: Duration,
    /// How long a new socket has to send `hello` before it is closed with 4003.
    pub hello_timeout: Duration,
    /// Messages per second a connection may send, sustained.
    pub rate_per_sec: f32,
    /// Messages a connection may send at once before the rate applies.
    pub burst: f32,
    /// Rate-limited messages (decaying at `rate_per_sec / 5` per second) before the socket
    /// is closed with 4008.
    pub rate_abuse_limit: f32,
    /// Invalid messages (decaying at one per 10 s) before the socket is closed with 1008.
    pub invalid_limit: f32,
    /// Frames queued for a device before further ones are dropped (a stalled client).
    pub outbox_capacity: usize,
    /// How long shutdown waits for sockets to close after telling them to reconnect.
    pub shutdown_grace: Duration,
    /// How long a call rings (each wave) before it is `missed` (teams will set their own).
    pub ring_timeout: Duration,
    /// How long a party's dropped socket may stay away before its call ends `dropped`.
    pub reconnect_grace: Duration,
    /// Call requests per caller identity, client address and business, and sockets per
    /// caller identity and agent.
    pub limits: CallLimits,
}

impl Default for SignalingConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(25),
            hello_timeout: Duration::from_secs(10),
            rate_per_sec: 50.0,
            burst: 100.0,
            rate_abuse_limit: 100.0,
            invalid_limit: 20.0,
            outbox_capacity: 32,
            shutdown_grace: Duration::from_secs(5),
            ring_timeout: entity::calls::routing::DEFAULT_RING_TIMEOUT,
            reconnect_grace: entity::calls::RECONNECT_GRACE,
            limits: CallLimits::default(),
        }
    }
}

/// The shared handle of the hub: configuration, presence, the origin allowlist and the
/// shutdown signal. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    config: SignalingConfig,
    ice: entity::calls::ice::IceConfig,
    presence: PresenceBackend,
    allowed_origins: Vec<String>,
    https_only: bool,
    live: Mutex<Live>,
    idle: Notify,
    calls: calls::Calls,
    sessions: sessions::Sessions,
    directory: Arc<CallDirectory>,
    revocations: revocation::Feed,
    limiter: Mutex<CallLimiter>,
}

impl Hub {
    /// A hub with no connections. `ice` are the STUN/TURN servers handed to call parties;
    /// `allowed_origins` are normalised origins (`https://host[:port]`); with
    /// `https_only`, verified business domains are accepted as `https://` origins only.
    /// Its call directory follows `events` (see [`Hub::follow_events`]).
    #[must_use]
    pub fn new(
        config: SignalingConfig,
        ice: entity::calls::ice::IceConfig,
        allowed_origins: Vec<String>,
        https_only: bool,
        events: &EventBus,
    ) -> Self {
        Self {
            inner: Arc::new(HubInner {
                config,
                ice,
                presence: PresenceBackend::default(),
                allowed_origins,
                https_only,
                live: Mutex::default(),
                idle: Notify::new(),
                calls: calls::Calls::default(),
                sessions: sessions::Sessions::default(),
                directory: Arc::new(CallDirectory::new(events)),
                revocations: revocation::Feed::new(events),
                limiter: Mutex::new(CallLimiter::new(&config.limits)),
            }),
        }
    }

    /// The timers and limits.
    #[must_use]
    pub fn config(&self) -> &SignalingConfig {
        &self.inner.config
    }

    /// The presence registry.
    #[must_use]
    pub fn presence(&self) -> &PresenceBackend {
        &self.inner.presence
    }

    /// The businesses with at least one available agent device connected now.
    pub async fn online_businesses(&self) -> Vec<Uuid> {
        self.inner.presence.online_businesses().await
    }

    /// Changes whenever presence may have changed (see [`Presence::changes`]).
    #[must_use]
    pub fn presence_changes(&self) -> watch::Receiver<u64> {
        self.inner.presence.changes()
    }

    /// How many sockets are open.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.live().len()
    }

    fn live(&self) -> MutexGuard<'_, Live> {
        self.inner
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the tasks that apply the events of the bus given to [`Hub::new`] as they
    /// arrive: business events to the call directory, revocations to the open sockets
    /// (closed with 4001); call it once. Lookups and upgrades apply what is queued
    /// anyway, so the tasks make stale entries and revoked sockets go when nobody calls.
    pub fn follow_events(&self) {
        tokio::spawn(self.inner.directory.clone().follow());
        self.follow_revocations();
    }

    /// What call requests read: verified domains, caller cards, routes.
    #[must_use]
    pub fn directory(&self) -> &CallDirectory {
        &self.inner.directory
    }

    /// Starts the call-record writer on this database (once; later calls do nothing).
    pub fn start_records(&self, db: &sea_orm::DatabaseConnection) {
        self.inner.calls.records.start(db);
    }

    /// Ends every call with `server_shutdown`, tells every socket to reconnect and closes
    /// it with 1001; waits (at most the configured grace) until all are closed, then until
    /// every call record is written. New sockets opened meanwhile are closed too.
    pub async fn shutdown(&self) {
        self.end_all_calls().await;
        self.live().stop_all();
        let wait = async {
            loop {
                let idle = self.inner.idle.notified();
                if self.connections() == 0 {
                    return;
                }
                idle.await;
            }
        };
        if tokio::time::timeout(self.inner.config.shutdown_grace, wait)
            .await
            .is_err()
        {
            tracing::warn!(
                open = self.connections(),
                "signaling sockets still open after the shutdown grace"
            );
        }
        self.inner.calls.records.drain().await;
    }

    fn sessions(&self) -> &sessions::Sessions {
        &self.inner.sessions
    }

    /// The call-request limits (held for a few map operations, never across an await).
    fn limiter(&self) -> MutexGuard<'_, CallLimiter> {
        self.inner
            .limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `/ws` route.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(handshake::connect_ws))
}
