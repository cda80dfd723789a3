//! The signaling hub at `GET /ws`: one WebSocket per device, speaking protocol v1
//! (`docs/signaling.md`, types in `entity::calls::protocol`).
//!
//! Two layers. The socket layer checks the `Origin` and the credentials at the upgrade
//! ([`handshake`], [`auth`]), admits sockets under the per-caller and per-agent caps
//! ([`live`]), and runs one task per socket ([`connection`]) that only reads and writes
//! its socket — greeting, heartbeat, per-connection rate limits — and calls the
//! [`engine`]. The engine holds sessions, presence and calls, built from object-safe
//! seams (delivery to a connection by id, presence, routing memory, resumable sessions,
//! call-request limits, call records): [`engine::local`] keeps them in this process
//! ([`Hub::new`]); [`Hub::with_seams`] takes others. What a call request needs to know
//! about the business, the caller and the routing comes from the in-memory
//! [`CallDirectory`] ([`directory`]), kept true by the business events, so setting up a
//! call reads no database in the common case.
//!
//! Every socket knows the credential it was opened with: a revocation on the bus (sign-out,
//! password change, removal, role change, business switch) closes it with 4001
//! ([`revocation`]). Call requests are limited per caller identity, client address and
//! business, and sockets per caller identity and agent ([`entity::calls::limits`]).

mod auth;
mod connection;
pub mod directory;
pub mod engine;
mod handshake;
mod limits;
mod live;
mod online;
mod origin;
mod outbox;
mod revocation;
mod turn_calls;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use entity::calls::limits::CallLimits;
use entity::events::EventBus;
use sea_orm::DatabaseConnection;
use tokio::sync::{watch, Notify};

use live::Live;
use uuid::Uuid;

pub use auth::CALLER_COOKIE;
pub use directory::CallDirectory;
pub use engine::{AgentDevice, Engine, MemberPresence, Peer, Presence, Seams};
pub use outbox::{Outbox, Refused, Signal};

use crate::state::AppState;

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

/// The shared handle of the hub: the engine, the open sockets, the origin allowlist and
/// the shutdown signal. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    engine: Engine,
    allowed_origins: Vec<String>,
    https_only: bool,
    live: Mutex<Live>,
    idle: Notify,
    revocations: revocation::Revocations,
    /// The business events the agents' devices are told of (a callback request), taken
    /// by [`Hub::follow_events`].
    announcements: Mutex<Option<entity::events::Feed<entity::events::BusinessEvent>>>,
    /// Numbers this process's sockets (sessions outlive sockets).
    next_socket: AtomicU64,
}

impl Hub {
    /// A hub with no connections whose engine keeps every seam in this process
    /// ([`Seams::local`]; call records go to `db`). `ice` are the STUN/TURN servers
    /// handed to call parties; `allowed_origins` are normalised origins
    /// (`https://host[:port]`); with `https_only`, verified business domains are accepted
    /// as `https://` origins only. Its call directory and its sockets follow `events` (see
    /// [`Hub::follow_events`]). Call it on a tokio runtime (the record writer starts).
    #[must_use]
    pub fn new(
        config: SignalingConfig,
        ice: entity::calls::ice::IceConfig,
        allowed_origins: Vec<String>,
        https_only: bool,
        events: &Arc<dyn EventBus>,
        db: &DatabaseConnection,
    ) -> Self {
        let seams = Seams::local(&config.limits, db, events.clone());
        Self::with_seams(
            config,
            ice,
            allowed_origins,
            https_only,
            &**events,
            db,
            seams,
        )
    }

    /// [`Hub::new`] with an engine built from `seams`.
    #[must_use]
    pub fn with_seams(
        config: SignalingConfig,
        ice: entity::calls::ice::IceConfig,
        allowed_origins: Vec<String>,
        https_only: bool,
        events: &dyn EventBus,
        db: &DatabaseConnection,
        seams: Seams,
    ) -> Self {
        let directory = Arc::new(CallDirectory::new(events));
        let engine = Engine::new(config, ice, seams, directory, db.clone());
        Self {
            inner: Arc::new(HubInner {
                engine,
                allowed_origins,
                https_only,
                live: Mutex::default(),
                idle: Notify::new(),
                revocations: revocation::Revocations::new(events),
                announcements: Mutex::new(Some(events.subscribe())),
                next_socket: AtomicU64::new(0),
            }),
        }
    }

    /// The timers and limits.
    #[must_use]
    pub fn config(&self) -> &SignalingConfig {
        self.inner.engine.config()
    }

    /// The call engine.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The presence seam.
    #[must_use]
    pub fn presence(&self) -> &dyn Presence {
        self.inner.engine.presence()
    }

    /// The businesses with at least one available agent device connected now.
    #[must_use]
    pub fn online_businesses(&self) -> Vec<Uuid> {
        self.inner.engine.online_businesses()
    }

    /// Changes whenever presence may have changed (see [`Presence::changes`]).
    #[must_use]
    pub fn presence_changes(&self) -> watch::Receiver<u64> {
        self.inner.engine.presence_changes()
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

    /// A fresh number for a new socket.
    fn socket_id(&self) -> engine::SocketId {
        self.inner.next_socket.fetch_add(1, Ordering::Relaxed)
    }

    /// Starts the tasks that apply the events of the bus given to [`Hub::new`] as they
    /// arrive: business events to the call directory, revocations to the open sockets
    /// (closed with 4001); call it once. Lookups and upgrades apply what is queued
    /// anyway, so the tasks make stale entries and revoked sockets go when nobody calls.
    pub fn follow_events(&self) {
        tokio::spawn(self.directory().clone().follow());
        self.follow_revocations();
        self.follow_announcements();
    }

    /// Tells every agent device of a business what it should hear of at once: a caller
    /// asked to be called back (`callback_requested`).
    fn follow_announcements(&self) {
        use entity::events::{BusinessEventKind, Received};
        use futures::StreamExt;

        let feed = self
            .inner
            .announcements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut feed) = feed else {
            return;
        };
        let hub = self.clone();
        tokio::spawn(async move {
            while let Some(item) = feed.next().await {
                let Received::Item(event) = item else {
                    continue;
                };
                use entity::calls::protocol::ServerMessage;
                if event.kind == BusinessEventKind::CallingBack {
                    let hub = hub.clone();
                    tokio::spawn(async move {
                        hub.ring_caller_page(event.business_id, event.subject_id)
                            .await;
                    });
                    continue;
                }
                let message = match event.kind {
                    BusinessEventKind::CallbackRequested => ServerMessage::CallbackRequested {
                        callback_id: event.subject_id,
                    },
                    BusinessEventKind::MessageLeft => ServerMessage::MessageLeft {
                        message_id: event.subject_id,
                    },
                    _ => continue,
                };
                hub.inner.engine.tell_agents(event.business_id, &message);
            }
        });
    }

    /// A member is calling back callback `id`: if its caller has a call page open, it
    /// rings there at once (`calling_back` with a short-lived join link to answer with).
    async fn ring_caller_page(&self, business_id: uuid::Uuid, id: uuid::Uuid) {
        use entity::callbacks::store::{caller_of_ring, page_ring};
        let engine = &self.inner.engine;
        let db = engine.db();
        let found = match caller_of_ring(db, business_id, id).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, callback_id = %id, "reading a callback to ring its caller failed");
                return;
            }
        };
        let Some((identity_id, row)) = found.filter(|(i, _)| engine.caller_online(*i)) else {
            return;
        };
        let ring = match page_ring(db, identity_id, &row, chrono::Utc::now()).await {
            Ok(Some(ring)) => ring,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, callback_id = %id, "issuing a ring link failed");
                return;
            }
        };
        let message = entity::calls::protocol::ServerMessage::CallingBack {
            callback_id: id,
            business: ring.business,
            member: ring.member,
            token: ring.token,
        };
        let pages = engine.tell_caller(identity_id, &message);
        tracing::info!(callback_id = %id, pages, "rang the caller's open call page");
    }

    /// What call requests read: verified domains, caller cards, routes.
    #[must_use]
    pub fn directory(&self) -> &Arc<CallDirectory> {
        self.inner.engine.directory()
    }

    /// Ends every call with `server_shutdown`, tells every socket to reconnect and closes
    /// it with 1001; waits (at most the configured grace) until all are closed, then until
    /// every call record is written. New sockets opened meanwhile are closed too.
    pub async fn shutdown(&self) {
        self.inner.engine.end_all_calls().await;
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
        if tokio::time::timeout(self.config().shutdown_grace, wait)
            .await
            .is_err()
        {
            tracing::warn!(
                open = self.connections(),
                "signaling sockets still open after the shutdown grace"
            );
        }
        self.inner.engine.drain_records().await;
    }
}

/// The `/ws` route.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(handshake::connect_ws))
}
