//! The embedded TURN server (webrtc-rs' `turn`), for callers and agents whose networks
//! keep their browsers from reaching each other directly: when
//! `DOMAINCALL_TURN_LISTEN` is set, this process relays their media over UDP itself.
//!
//! It authenticates with the same TURN REST credentials the hub hands out in `accepted`
//! ([`entity::calls::ice`]): the username names the call and its expiry, the password is
//! an HMAC of it under the shared secret, so the server needs no user list.
//!
//! A relay sends UDP from this host wherever its client asks, so a credential alone must
//! not open it ([`entity::net::peers`] says why and what is refused):
//! - **peers** — CreatePermission and ChannelBind to a refused peer are answered 403 and
//!   never reach the crate, Send indications to one are dropped ([`gate`]); the relay
//!   sockets themselves refuse to send to or accept from such an address ([`relay`]);
//! - **calls** — a credential authenticates only while its call is live and for a short
//!   grace after it ([`credentials`]); a new allocation needs a live call and at most
//!   [`entity::calls::ice::TURN_ALLOCATIONS_PER_CREDENTIAL`] per credential ([`gate`]); when a call ends its
//!   allocations are closed, and a sweep closes any whose call is no longer live.
//!
//! webrtc-rs' `turn` 0.17 has no permission hook (pion's `PermissionHandler`), so these
//! wrap its two seams: the socket it serves on and the relay sockets it allocates.

mod credentials;
mod gate;
mod guard;
mod relay;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::Context;
use entity::calls::ice::{CallStatus, TurnUsername};
use entity::calls::protocol::CallId;
use entity::net::IpRanges;
use secrecy::SecretString;
use tokio::sync::broadcast;
use turn::relay::relay_static::RelayAddressGeneratorStatic;
use turn::server::config::{ConnConfig, ServerConfig};
use turn::server::Server;

use credentials::CallCredentials;
use guard::Guard;

/// How often allocations are checked against the live calls (and the host's addresses
/// re-read), besides the immediate close when a call ends.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// Where the embedded TURN server listens, what it tells clients and whom it relays to.
#[derive(Clone, Debug)]
pub struct TurnSettings {
    /// `DOMAINCALL_TURN_LISTEN`: the UDP address it serves on.
    pub listen: SocketAddr,
    /// `DOMAINCALL_TURN_RELAY_IP`: the address clients reach it and its relays at (default:
    /// the listen address; needed when that is `0.0.0.0`).
    pub relay_ip: IpAddr,
    /// The realm of its credentials (the public host).
    pub realm: String,
    /// `DOMAINCALL_TURN_ALLOWED_PEERS`: ranges relayed to although they are not public
    /// (tests, private deployments); default none. The server's own addresses stay refused.
    pub allowed_peers: IpRanges,
    /// How long a call's credentials still authenticate after it ended (default and at
    /// most [`entity::calls::ice::TURN_GRACE_AFTER_CALL`]; not read from the environment,
    /// tests shorten it).
    pub grace: Duration,
}

/// What the TURN server asks about calls: implemented by the signaling hub.
pub trait LiveCalls: Send + Sync + 'static {
    /// Where call `call_id` stands now.
    fn call_status(&self, call_id: CallId) -> CallStatus;

    /// Each call's id as it ends.
    fn call_ends(&self) -> broadcast::Receiver<CallId>;
}

/// The TURN socket, bound: its address is known (and handed out by the hub) before the
/// server that answers on it starts.
pub struct BoundTurn {
    socket: tokio::net::UdpSocket,
    settings: TurnSettings,
    /// The address it serves on (the listen address with its port filled in).
    pub addr: SocketAddr,
}

impl BoundTurn {
    /// Binds `settings.listen`.
    ///
    /// # Errors
    /// When the socket cannot be bound.
    pub async fn bind(settings: &TurnSettings) -> anyhow::Result<Self> {
        let socket = tokio::net::UdpSocket::bind(settings.listen)
            .await
            .with_context(|| format!("binding the TURN socket {}", settings.listen))?;
        Ok(Self {
            addr: socket.local_addr()?,
            socket,
            settings: settings.clone(),
        })
    }

    /// The URL handed to clients: the relay address and the port it serves on.
    #[must_use]
    pub fn url(&self) -> String {
        format!(
            "turn:{}?transport=udp",
            SocketAddr::new(self.settings.relay_ip, self.addr.port())
        )
    }

    /// Serves TURN on the socket with `secret`, for the calls `calls` knows.
    ///
    /// # Errors
    /// When the server cannot be started.
    pub async fn start(
        self,
        secret: SecretString,
        calls: Arc<dyn LiveCalls>,
    ) -> anyhow::Result<EmbeddedTurn> {
        let settings = self.settings;
        let grace = settings
            .grace
            .min(entity::calls::ice::TURN_GRACE_AFTER_CALL);
        let credentials = Arc::new(CallCredentials::new(secret, calls.clone(), grace));
        let fixed_own = [settings.listen.ip(), settings.relay_ip];
        let guard = Arc::new(Guard::new(
            settings.allowed_peers.clone(),
            &fixed_own,
            credentials.clone(),
            calls.clone(),
        ));
        let relays = relay::GuardedRelays::new(
            RelayAddressGeneratorStatic {
                relay_address: settings.relay_ip,
                address: settings.listen.ip().to_string(),
                net: Arc::new(webrtc_util::vnet::net::Net::new(None)),
            },
            guard.clone(),
        );
        let server = Arc::new(
            Server::new(ServerConfig {
                conn_configs: vec![ConnConfig {
                    conn: Arc::new(gate::Gate::new(Arc::new(self.socket), guard.clone())),
                    relay_addr_generator: Box::new(relays),
                }],
                realm: settings.realm.clone(),
                auth_handler: credentials,
                channel_bind_timeout: Duration::ZERO,
                alloc_close_notify: None,
            })
            .await
            .context("starting the TURN server")?,
        );
        guard.attach(&server);
        let follower = tokio::spawn(follow_calls(Arc::downgrade(&server), calls, guard));
        tracing::info!(addr = %self.addr, "embedded TURN server listening");
        Ok(EmbeddedTurn {
            server,
            follower,
            addr: self.addr,
        })
    }
}

/// The running server; [`EmbeddedTurn::close`] stops it and drops its allocations.
pub struct EmbeddedTurn {
    server: Arc<Server>,
    follower: tokio::task::JoinHandle<()>,
    /// The address it serves on.
    pub addr: SocketAddr,
}

impl EmbeddedTurn {
    /// Stops serving and releases every allocation.
    pub async fn close(self) {
        self.follower.abort();
        if let Err(e) = self.server.close().await {
            tracing::warn!(error = %e, "closing the TURN server");
        }
    }
}

/// What woke the follower.
enum Wake {
    /// A call ended.
    Ended(CallId),
    /// Time to sweep (or announcements were missed).
    Sweep,
    /// The hub is gone: sweeps only from now on.
    Deaf,
}

/// Closes the allocations of each call as it ends, and every [`SWEEP_INTERVAL`] those whose
/// call is no longer live (an end announcement missed, a grace run out); re-reads the
/// host's addresses on the same beat. Ends with the server.
async fn follow_calls(server: Weak<Server>, calls: Arc<dyn LiveCalls>, guard: Arc<Guard>) {
    let mut ends = Some(calls.call_ends());
    let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        let wake = match &mut ends {
            Some(rx) => tokio::select! {
                end = rx.recv() => match end {
                    Ok(call_id) => Wake::Ended(call_id),
                    Err(broadcast::error::RecvError::Lagged(_)) => Wake::Sweep,
                    Err(broadcast::error::RecvError::Closed) => Wake::Deaf,
                },
                _ = sweep.tick() => Wake::Sweep,
            },
            None => {
                sweep.tick().await;
                Wake::Sweep
            }
        };
        let ended = match wake {
            Wake::Ended(call_id) => Some(call_id),
            Wake::Sweep => {
                guard.refresh_own_addresses();
                None
            }
            Wake::Deaf => {
                ends = None;
                None
            }
        };
        let Some(server) = server.upgrade() else {
            return;
        };
        close_finished(&server, calls.as_ref(), ended).await;
    }
}

/// Closes the allocations of call `ended` and of every call that is not live.
async fn close_finished(server: &Server, calls: &dyn LiveCalls, ended: Option<CallId>) {
    let Ok(allocations) = server.get_allocations_info(None).await else {
        return;
    };
    let usernames: std::collections::HashSet<String> = allocations
        .into_values()
        .map(|allocation| allocation.username)
        .collect();
    for username in usernames {
        let live = TurnUsername::parse(&username).is_some_and(|u| {
            Some(u.call_id) != ended && calls.call_status(u.call_id) == CallStatus::Live
        });
        if !live {
            tracing::debug!(%username, "closing the TURN allocations of a finished call");
            if let Err(e) = server.delete_allocations_by_username(username).await {
                tracing::debug!(error = %e, "closing TURN allocations");
            }
        }
    }
}
