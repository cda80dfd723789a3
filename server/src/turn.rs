//! The embedded TURN server (webrtc-rs' `turn`), for callers and agents whose networks
//! keep their browsers from reaching each other directly: when
//! `DOMAINCALL_TURN_LISTEN` is set, this process relays their media over UDP itself.
//!
//! It authenticates with the same TURN REST credentials the hub hands out in `accepted`
//! ([`entity::calls::ice`]): the username names the call and its expiry, the password is
//! an HMAC of it under the shared secret, so the server needs no user list and a
//! credential stops working when it expires.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use turn::auth::{generate_auth_key, AuthHandler};
use turn::relay::relay_static::RelayAddressGeneratorStatic;
use turn::server::config::{ConnConfig, ServerConfig};
use turn::server::Server;

/// Where the embedded TURN server listens and what it tells clients.
#[derive(Clone, Debug)]
pub struct TurnSettings {
    /// `DOMAINCALL_TURN_LISTEN`: the UDP address it serves on.
    pub listen: SocketAddr,
    /// `DOMAINCALL_TURN_RELAY_IP`: the address clients reach it and its relays at (default:
    /// the listen address; needed when that is `0.0.0.0`).
    pub relay_ip: IpAddr,
    /// The realm of its credentials (the public host).
    pub realm: String,
}

/// Checks a client's username as the hub minted it and derives its key.
struct CallCredentials {
    secret: SecretString,
}

impl AuthHandler for CallCredentials {
    fn auth_handle(
        &self,
        username: &str,
        realm: &str,
        src_addr: SocketAddr,
    ) -> Result<Vec<u8>, turn::Error> {
        let now = chrono::Utc::now().timestamp();
        match entity::calls::ice::turn_password(self.secret.expose_secret(), username, now) {
            Some(password) => Ok(generate_auth_key(username, realm, &password)),
            None => {
                tracing::debug!(%src_addr, "refused TURN credentials (unknown or expired)");
                Err(turn::Error::Other(
                    "not a call's TURN username, or expired".into(),
                ))
            }
        }
    }
}

/// The running server; [`EmbeddedTurn::close`] stops it and drops its allocations.
pub struct EmbeddedTurn {
    server: Server,
    /// The address it serves on (the listen address with its port filled in).
    pub addr: SocketAddr,
    relay_ip: IpAddr,
}

impl EmbeddedTurn {
    /// Binds `settings.listen` and serves TURN there with `secret`.
    ///
    /// # Errors
    /// When the socket cannot be bound or the server not started.
    pub async fn start(settings: &TurnSettings, secret: SecretString) -> anyhow::Result<Self> {
        let socket = tokio::net::UdpSocket::bind(settings.listen)
            .await
            .with_context(|| format!("binding the TURN socket {}", settings.listen))?;
        let addr = socket.local_addr()?;
        let relays = RelayAddressGeneratorStatic {
            relay_address: settings.relay_ip,
            address: settings.listen.ip().to_string(),
            net: Arc::new(webrtc_util::vnet::net::Net::new(None)),
        };
        let server = Server::new(ServerConfig {
            conn_configs: vec![ConnConfig {
                conn: Arc::new(socket),
                relay_addr_generator: Box::new(relays),
            }],
            realm: settings.realm.clone(),
            auth_handler: Arc::new(CallCredentials { secret }),
            channel_bind_timeout: std::time::Duration::ZERO,
            alloc_close_notify: None,
        })
        .await
        .context("starting the TURN server")?;
        tracing::info!(%addr, "embedded TURN server listening");
        Ok(Self {
            server,
            addr,
            relay_ip: settings.relay_ip,
        })
    }

    /// The URL handed to clients: the relay address and the port it serves on.
    #[must_use]
    pub fn url(&self) -> String {
        format!(
            "turn:{}?transport=udp",
            SocketAddr::new(self.relay_ip, self.addr.port())
        )
    }

    /// Stops serving and releases every allocation.
    pub async fn close(self) {
        if let Err(e) = self.server.close().await {
            tracing::warn!(error = %e, "closing the TURN server");
        }
    }
}
