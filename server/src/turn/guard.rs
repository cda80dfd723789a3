//! What the TURN server's two seams ([`super::gate`] on the listening socket,
//! [`super::relay`] on each relay socket) share: the peer policy with this host's current
//! addresses, the relay ports that are live, the credentials, the calls, and the server
//! (to count a credential's allocations).

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, Weak};

use entity::net::peers::{PeerPolicy, RefusedPeer};
use entity::net::IpRanges;
use turn::server::Server;

use super::credentials::CallCredentials;
use super::LiveCalls;

/// The shared state of the TURN server's checks.
pub(super) struct Guard {
    policy: RwLock<PeerPolicy>,
    /// The listen and relay addresses (the interfaces' are read again on each sweep).
    fixed_own: Vec<IpAddr>,
    /// Local ports of the relay sockets that are open now.
    relay_ports: Mutex<HashSet<u16>>,
    pub(super) credentials: Arc<CallCredentials>,
    pub(super) calls: Arc<dyn LiveCalls>,
    server: OnceLock<Weak<Server>>,
}

/// This host's addresses: `fixed` and every interface's.
fn own_addresses(fixed: &[IpAddr]) -> Vec<IpAddr> {
    let mut own = fixed.to_vec();
    match webrtc_util::ifaces::ifaces() {
        Ok(interfaces) => own.extend(interfaces.iter().filter_map(|i| i.addr.map(|a| a.ip()))),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the network interfaces for the TURN peer rules")
        }
    }
    own
}

impl Guard {
    /// Checks with `allowed` ranges and `fixed_own` addresses (plus the interfaces').
    pub(super) fn new(
        allowed: IpRanges,
        fixed_own: &[IpAddr],
        credentials: Arc<CallCredentials>,
        calls: Arc<dyn LiveCalls>,
    ) -> Self {
        Self {
            policy: RwLock::new(PeerPolicy::new(allowed, own_addresses(fixed_own))),
            fixed_own: fixed_own.to_vec(),
            relay_ports: Mutex::default(),
            credentials,
            calls,
            server: OnceLock::new(),
        }
    }

    /// Remembers the server the checks serve (once it exists).
    pub(super) fn attach(&self, server: &Arc<Server>) {
        let _ = self.server.set(Arc::downgrade(server));
    }

    /// The server, while it runs.
    pub(super) fn server(&self) -> Option<Arc<Server>> {
        self.server.get().and_then(Weak::upgrade)
    }

    /// Reads the interfaces' addresses again (they change: DHCP, a new VPN).
    pub(super) fn refresh_own_addresses(&self) {
        let own = own_addresses(&self.fixed_own);
        let mut policy = self.policy.write().unwrap_or_else(PoisonError::into_inner);
        *policy = policy.with_own(own);
    }

    /// Whether a relay may send to and accept from `peer`.
    pub(super) fn check(&self, peer: SocketAddr) -> Result<(), RefusedPeer> {
        let policy = self.policy.read().unwrap_or_else(PoisonError::into_inner);
        policy.check(peer, |own| {
            self.relay_ports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&own.port())
        })
    }

    /// A relay socket opened on `port`.
    pub(super) fn relay_opened(&self, port: u16) {
        self.ports().insert(port);
    }

    /// The relay socket on `port` closed.
    pub(super) fn relay_closed(&self, port: u16) {
        self.ports().remove(&port);
    }

    fn ports(&self) -> std::sync::MutexGuard<'_, HashSet<u16>> {
        self.relay_ports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
