//! The ICE servers a call's two parties get in `accepted`: STUN servers as configured,
//! and TURN servers with credentials minted for that call alone (the TURN REST scheme
//! that coturn's `use-auth-secret` and webrtc-rs' TURN server understand).
//!
//! The TURN username is `<expiry as Unix seconds>:<call id>` and the credential is
//! `base64(HMAC-SHA1(secret, username))`: the TURN server recomputes it from the shared
//! secret, so the secret never reaches a client and a leaked credential only works for
//! one call until it expires.

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;

use super::protocol::CallId;
use super::wire::IceServer;

/// How long TURN credentials stay valid when the configuration does not say.
pub const DEFAULT_TURN_TTL: Duration = Duration::from_secs(4 * 3600);

/// The STUN and TURN servers to hand out.
#[derive(Clone, Debug, Default)]
pub struct IceConfig {
    /// `stun:` URLs, handed out as they are.
    pub stun_urls: Vec<String>,
    /// `turn:`/`turns:` URLs; handed out only with credentials, so only with a secret.
    pub turn_urls: Vec<String>,
    /// The secret shared with the TURN server.
    pub turn_secret: Option<SecretString>,
    /// How long a call's TURN credentials are valid (allocations are refreshed with them,
    /// so it bounds how long a relayed call can last).
    pub turn_ttl: Duration,
}

impl IceConfig {
    /// The servers for call `call_id` accepted at `now`.
    #[must_use]
    pub fn servers_for(&self, call_id: CallId, now: DateTime<Utc>) -> Vec<IceServer> {
        let mut servers = Vec::new();
        if !self.stun_urls.is_empty() {
            servers.push(IceServer {
                urls: self.stun_urls.clone(),
                username: None,
                credential: None,
            });
        }
        if let (false, Some(secret)) = (self.turn_urls.is_empty(), &self.turn_secret) {
            let ttl = chrono::Duration::from_std(self.turn_ttl).unwrap_or(chrono::Duration::MAX);
            let expiry = now.checked_add_signed(ttl).unwrap_or(now).timestamp();
            let username = format!("{expiry}:{call_id}");
            servers.push(IceServer {
                urls: self.turn_urls.clone(),
                credential: Some(turn_credential(secret.expose_secret(), &username)),
                username: Some(username),
            });
        }
        servers
    }
}

/// `base64(HMAC-SHA1(secret, username))`, the TURN REST password for `username`.
#[must_use]
pub fn turn_credential(secret: &str, username: &str) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The password of a TURN `username` minted by [`IceConfig::servers_for`], if it is one
/// (`<expiry>:<call id>`) and has not expired at `now` (Unix seconds); what a TURN server
/// holding the same `secret` checks a client against.
#[must_use]
pub fn turn_password(secret: &str, username: &str, now: i64) -> Option<String> {
    let (expiry, call_id) = username.split_once(':')?;
    let expiry: i64 = expiry.parse().ok()?;
    if expiry <= now || uuid::Uuid::parse_str(call_id).is_err() {
        return None;
    }
    Some(turn_credential(secret, username))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn call() -> CallId {
        CallId::from_random_bytes([7; 16])
    }

    #[test]
    fn credentials_follow_the_turn_rest_scheme() {
        // RFC 2202 test case 2: HMAC-SHA1("Jefe", "what do ya want for nothing?").
        assert_eq!(
            turn_credential("Jefe", "what do ya want for nothing?"),
            base64::engine::general_purpose::STANDARD.encode(
                hex::decode("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79").unwrap_or_default()
            )
        );
        let config = IceConfig {
            stun_urls: vec!["stun:stun.example.net:3478".into()],
            turn_urls: vec!["turn:turn.example.net:3478?transport=udp".into()],
            turn_secret: Some(SecretString::from("s3cret")),
            turn_ttl: Duration::from_secs(3600),
        };
        let now = Utc
            .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let servers = config.servers_for(call(), now);
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].urls, config.stun_urls);
        assert_eq!(servers[0].username, None);
        let turn = &servers[1];
        let username = turn.username.clone().unwrap_or_default();
        assert_eq!(username, format!("{}:{}", now.timestamp() + 3600, call()));
        assert_eq!(
            turn.credential.as_deref(),
            Some(turn_credential("s3cret", &username).as_str())
        );
        let json = serde_json::to_string(&servers).unwrap_or_default();
        assert!(
            !json.contains("s3cret"),
            "the secret never leaves the server"
        );
    }

    #[test]
    fn a_turn_server_accepts_the_minted_usernames_until_they_expire() {
        let config = IceConfig {
            turn_urls: vec!["turn:127.0.0.1:3478".into()],
            turn_secret: Some(SecretString::from("s3cret")),
            turn_ttl: Duration::from_secs(60),
            ..IceConfig::default()
        };
        let now = Utc::now();
        let servers = config.servers_for(call(), now);
        let (username, credential) = (
            servers[0].username.clone().unwrap_or_default(),
            servers[0].credential.clone(),
        );
        let at = now.timestamp();
        assert_eq!(turn_password("s3cret", &username, at), credential);
        assert_eq!(turn_password("s3cret", &username, at + 59), credential);
        assert_eq!(turn_password("s3cret", &username, at + 60), None, "expired");
        assert_ne!(
            turn_password("other", &username, at),
            credential,
            "another secret"
        );
        for foreign in ["alice", "99999999999", "99999999999:alice", ":x", ""] {
            assert_eq!(turn_password("s3cret", foreign, at), None, "{foreign}");
        }
    }

    #[test]
    fn turn_without_a_secret_is_not_handed_out() {
        let config = IceConfig {
            turn_urls: vec!["turn:turn.example.net".into()],
            ..IceConfig::default()
        };
        assert!(config.servers_for(call(), Utc::now()).is_empty());
    }
}
