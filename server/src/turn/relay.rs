//! The relay sockets, guarded: defence in depth behind [`super::gate`]. Whatever the
//! crate's permission bookkeeping says, a relay socket sends nothing to a refused peer and
//! hands the crate nothing received from one, and once closed (its call ended) it relays
//! nothing at all. Each open relay's port is registered with the [`Guard`], so the other
//! party's relay on this same server stays reachable while the server's other own
//! addresses and ports do not.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use turn::relay::relay_static::RelayAddressGeneratorStatic;
use turn::relay::RelayAddressGenerator;
use webrtc_util::Conn;

use super::guard::Guard;

/// Makes relay sockets as the static generator does, each wrapped in a [`GuardedRelay`].
pub(super) struct GuardedRelays {
    inner: RelayAddressGeneratorStatic,
    guard: Arc<Guard>,
}

impl GuardedRelays {
    pub(super) fn new(inner: RelayAddressGeneratorStatic, guard: Arc<Guard>) -> Self {
        Self { inner, guard }
    }
}

#[async_trait]
impl RelayAddressGenerator for GuardedRelays {
    fn validate(&self) -> Result<(), turn::Error> {
        self.inner.validate()
    }

    async fn allocate_conn(
        &self,
        use_ipv4: bool,
        requested_port: u16,
    ) -> Result<(Arc<dyn Conn + Send + Sync>, SocketAddr), turn::Error> {
        let (conn, relayed) = self.inner.allocate_conn(use_ipv4, requested_port).await?;
        let port = conn.local_addr()?.port();
        self.guard.relay_opened(port);
        let (closed, _) = tokio::sync::watch::channel(false);
        let relay = GuardedRelay {
            inner: conn,
            port,
            guard: self.guard.clone(),
            closed,
        };
        Ok((Arc::new(relay), relayed))
    }
}

/// One allocation's relay socket.
struct GuardedRelay {
    inner: Arc<dyn Conn + Send + Sync>,
    port: u16,
    guard: Arc<Guard>,
    closed: tokio::sync::watch::Sender<bool>,
}

fn closed_error() -> webrtc_util::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the relay is closed").into()
}

#[async_trait]
impl Conn for GuardedRelay {
    async fn connect(&self, _addr: SocketAddr) -> Result<(), webrtc_util::Error> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "a relay is not connected").into())
    }

    async fn recv(&self, _buf: &mut [u8]) -> Result<usize, webrtc_util::Error> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a relay receives with recv_from",
        )
        .into())
    }

    /// The next datagram from a permitted peer; datagrams from refused ones are dropped.
    async fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr), webrtc_util::Error> {
        let mut closed = self.closed.subscribe();
        loop {
            if *closed.borrow_and_update() {
                return Err(closed_error());
            }
            let (n, from) = tokio::select! {
                received = self.inner.recv_from(buf) => received?,
                _ = closed.changed() => return Err(closed_error()),
            };
            match self.guard.check(from) {
                Ok(()) => return Ok((n, from)),
                Err(refused) => {
                    metrics::counter!("turn_refused_peer_datagrams_total", "way" => "in")
                        .increment(1);
                    tracing::debug!(%refused, relay_port = self.port, "dropped a datagram from a refused peer");
                }
            }
        }
    }

    async fn send(&self, _buf: &[u8]) -> Result<usize, webrtc_util::Error> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "a relay sends with send_to").into())
    }

    /// Sends to a permitted peer only.
    async fn send_to(&self, buf: &[u8], target: SocketAddr) -> Result<usize, webrtc_util::Error> {
        if *self.closed.borrow() {
            return Err(closed_error());
        }
        if let Err(refused) = self.guard.check(target) {
            metrics::counter!("turn_refused_peer_datagrams_total", "way" => "out").increment(1);
            return Err(
                io::Error::new(io::ErrorKind::PermissionDenied, refused.to_string()).into(),
            );
        }
        self.inner.send_to(buf, target).await
    }

    fn local_addr(&self) -> Result<SocketAddr, webrtc_util::Error> {
        self.inner.local_addr()
    }

    fn remote_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// Stops relaying at once (a pending `recv_from` returns an error) and frees the port's
    /// registration.
    async fn close(&self) -> Result<(), webrtc_util::Error> {
        self.closed.send_replace(true);
        self.guard.relay_closed(self.port);
        self.inner.close().await
    }

    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }
}

impl Drop for GuardedRelay {
    fn drop(&mut self) {
        self.guard.relay_closed(self.port);
    }
}
