//! The embedded TURN server's view of a client's credentials: a username the hub minted,
//! not expired, signed with the shared secret, and naming a call that is live or ended
//! within the grace ([`entity::calls::ice::turn_password`] decides; the hub answers where
//! the call stands).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use entity::calls::ice::{turn_password, TurnRefusal};
use secrecy::{ExposeSecret, SecretString};
use turn::auth::{generate_auth_key, AuthHandler};

use super::LiveCalls;

/// Checks a client's username as the hub minted it and derives its key.
pub(super) struct CallCredentials {
    secret: SecretString,
    calls: Arc<dyn LiveCalls>,
    grace: Duration,
}

impl CallCredentials {
    /// Credentials under `secret` for the calls `calls` knows, valid `grace` after each ends.
    pub(super) fn new(secret: SecretString, calls: Arc<dyn LiveCalls>, grace: Duration) -> Self {
        Self {
            secret,
            calls,
            grace,
        }
    }

    /// The long-term key (`MD5(username:realm:password)`) of `username` now.
    pub(super) fn key(&self, username: &str, realm: &str) -> Result<Vec<u8>, TurnRefusal> {
        let password = turn_password(
            self.secret.expose_secret(),
            username,
            chrono::Utc::now(),
            self.grace,
            |call_id| self.calls.call_status(call_id),
        )?;
        Ok(generate_auth_key(username, realm, &password))
    }
}

impl AuthHandler for CallCredentials {
    fn auth_handle(
        &self,
        username: &str,
        realm: &str,
        src_addr: SocketAddr,
    ) -> Result<Vec<u8>, turn::Error> {
        self.key(username, realm).map_err(|refusal| {
            tracing::debug!(%src_addr, %refusal, "refused TURN credentials");
            turn::Error::Other(refusal.to_string())
        })
    }
}
