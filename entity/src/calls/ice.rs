//! The ICE servers a call's two parties get in `accepted`: STUN servers as configured,
//! and TURN servers with credentials minted for that call alone (the TURN REST scheme
//! that coturn's `use-auth-secret` and webrtc-rs' TURN server understand).
//!
//! The TURN username is `<expiry as Unix seconds>:<call id>` and the credential is
//! `base64(HMAC-SHA1(secret, username))`: the TURN server recomputes it from the shared
//! secret, so the secret never reaches a client and a leaked credential only works for
//! one call until it expires.
//!
//! A TURN server is an open door into whatever network it stands in, so the embedded one
//! asks more than the signature ([`turn_password`], [`may_allocate`], [`peers`]): the call
//! the username names must be live (or have ended less than [`TURN_GRACE_AFTER_CALL`]
//! ago), one credential holds at most [`TURN_ALLOCATIONS_PER_CREDENTIAL`] allocations,
//! and peers are public addresses only. Those are rules of the call, decided here without
//! IO; the server only asks the signaling hub where a call stands.

/// The peer rules live with the other address rules (webhook targets use them too).
pub use crate::net::peers;

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;

use super::protocol::CallId;
use super::wire::IceServer;

/// How long TURN credentials stay valid when the configuration does not say: long enough
/// for nearly every call to be relayed to its end (a relayed call cannot outlast its
/// credential: allocations are refreshed with it), short enough that a credential leaked
/// to an external TURN server (which cannot ask whether the call is over) is soon useless.
pub const DEFAULT_TURN_TTL: Duration = Duration::from_secs(2 * 3600);

/// How long after its call ended a call's TURN credentials still authenticate on the
/// embedded server: the parties' last transactions (a Refresh with lifetime 0 that
/// releases an allocation) cross the hang-up. No allocation is granted in the grace and
/// the call's allocations are closed when it ends.
pub const TURN_GRACE_AFTER_CALL: Duration = Duration::from_secs(60);

/// Allocations one TURN credential (one call) may hold at once on the embedded server:
/// two parties, each with a spare for an ICE restart or a second network.
pub const TURN_ALLOCATIONS_PER_CREDENTIAL: usize = 4;

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

/// What a TURN username minted by [`IceConfig::servers_for`] says: until when it is
/// valid and for which call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnUsername {
    /// Expiry, Unix seconds.
    pub expiry: i64,
    /// The call it was minted for.
    pub call_id: CallId,
}

impl TurnUsername {
    /// `<expiry>:<call id>`, or `None` for any other username.
    #[must_use]
    pub fn parse(username: &str) -> Option<Self> {
        let (expiry, call_id) = username.split_once(':')?;
        Some(Self {
            expiry: expiry.parse().ok()?,
            call_id: CallId::from_uuid(uuid::Uuid::parse_str(call_id).ok()?),
        })
    }
}

/// Where a call stands, as the signaling hub knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallStatus {
    /// Requested, ringing or connected (a party may be reconnecting).
    Live,
    /// Ended at this instant (remembered for [`TURN_GRACE_AFTER_CALL`]).
    Ended {
        /// When it ended.
        at: DateTime<Utc>,
    },
    /// Never seen by this process, or ended long ago.
    Unknown,
}

/// Why the embedded TURN server refuses a credential or an allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TurnRefusal {
    /// The username is not `<expiry>:<call id>`.
    #[error("not a call's TURN username")]
    NotACall,
    /// Its expiry has passed.
    #[error("the TURN credential has expired")]
    Expired,
    /// Its call ended more than the grace ago, or is unknown here.
    #[error("the call of this TURN credential is over")]
    CallOver,
    /// Its call has ended: credentials still authenticate for the grace, but allocate no more.
    #[error("the call of this TURN credential has ended")]
    CallEnded,
    /// The credential already holds [`TURN_ALLOCATIONS_PER_CREDENTIAL`] allocations.
    #[error("this TURN credential holds its maximum of allocations")]
    Quota,
}

/// The password of a TURN `username` minted by [`IceConfig::servers_for`] under `secret`,
/// if it may authenticate at `now`: it is one, it has not expired, and `status` says its
/// call is live or ended less than `grace` ago. What the embedded TURN server checks a
/// client against.
///
/// # Errors
/// Which of those conditions failed.
pub fn turn_password(
    secret: &str,
    username: &str,
    now: DateTime<Utc>,
    grace: Duration,
    status: impl FnOnce(CallId) -> CallStatus,
) -> Result<String, TurnRefusal> {
    let parsed = TurnUsername::parse(username).ok_or(TurnRefusal::NotACall)?;
    if parsed.expiry <= now.timestamp() {
        return Err(TurnRefusal::Expired);
    }
    match status(parsed.call_id) {
        CallStatus::Live => {}
        CallStatus::Ended { at }
            if now.signed_duration_since(at).to_std().unwrap_or_default() < grace => {}
        CallStatus::Ended { .. } | CallStatus::Unknown => return Err(TurnRefusal::CallOver),
    }
    Ok(turn_credential(secret, username))
}

/// Whether an authenticated client may get one more allocation with a credential whose
/// call stands at `status` and which holds `held` allocations now: only for a live call,
/// and at most [`TURN_ALLOCATIONS_PER_CREDENTIAL`] at once.
///
/// # Errors
/// [`TurnRefusal::CallEnded`] or [`TurnRefusal::CallOver`] when the call is not live,
/// [`TurnRefusal::Quota`] at the cap.
pub fn may_allocate(status: CallStatus, held: usize) -> Result<(), TurnRefusal> {
    match status {
        CallStatus::Live if held < TURN_ALLOCATIONS_PER_CREDENTIAL => Ok(()),
        CallStatus::Live => Err(TurnRefusal::Quota),
        CallStatus::Ended { .. } => Err(TurnRefusal::CallEnded),
        CallStatus::Unknown => Err(TurnRefusal::CallOver),
    }
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

    /// The password the embedded server derives for `username` at `at` (Unix seconds) for
    /// a live call.
    fn live(secret: &str, username: &str, at: i64) -> Result<String, TurnRefusal> {
        let at = Utc.timestamp_opt(at, 0).single().unwrap_or_default();
        turn_password(secret, username, at, TURN_GRACE_AFTER_CALL, |_| {
            CallStatus::Live
        })
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
            servers[0].credential.clone().unwrap_or_default(),
        );
        let at = now.timestamp();
        assert_eq!(live("s3cret", &username, at), Ok(credential.clone()));
        assert_eq!(live("s3cret", &username, at + 59), Ok(credential.clone()));
        assert_eq!(
            live("s3cret", &username, at + 60),
            Err(TurnRefusal::Expired)
        );
        assert_ne!(
            live("other", &username, at),
            Ok(credential),
            "another secret"
        );
        for foreign in ["alice", "99999999999", "99999999999:alice", ":x", ""] {
            assert_eq!(
                live("s3cret", foreign, at),
                Err(TurnRefusal::NotACall),
                "{foreign}"
            );
        }
        assert_eq!(
            TurnUsername::parse(&username),
            Some(TurnUsername {
                expiry: at + 60,
                call_id: call()
            })
        );
    }

    #[test]
    fn credentials_work_for_a_live_call_and_the_grace_after_it_only() {
        let now = Utc::now();
        let username = format!("{}:{}", now.timestamp() + 3600, call());
        let grace = Duration::from_secs(60);
        let with = |status: CallStatus| {
            turn_password("s3cret", &username, now, grace, |id| {
                assert_eq!(id, call(), "asks about the call of the username");
                status
            })
        };
        assert!(with(CallStatus::Live).is_ok());
        let ended = |secs: i64| CallStatus::Ended {
            at: now - chrono::Duration::seconds(secs),
        };
        assert!(with(ended(0)).is_ok(), "just hung up: still authenticates");
        assert!(with(ended(59)).is_ok());
        assert_eq!(with(ended(60)), Err(TurnRefusal::CallOver), "grace over");
        assert_eq!(with(ended(3 * 3600)), Err(TurnRefusal::CallOver));
        assert_eq!(with(CallStatus::Unknown), Err(TurnRefusal::CallOver));
    }

    #[test]
    fn allocations_need_a_live_call_and_stop_at_the_cap() {
        for held in 0..TURN_ALLOCATIONS_PER_CREDENTIAL {
            assert_eq!(may_allocate(CallStatus::Live, held), Ok(()), "{held}");
        }
        assert_eq!(
            may_allocate(CallStatus::Live, TURN_ALLOCATIONS_PER_CREDENTIAL),
            Err(TurnRefusal::Quota)
        );
        assert_eq!(
            may_allocate(CallStatus::Ended { at: Utc::now() }, 0),
            Err(TurnRefusal::CallEnded),
            "no new allocation in the grace"
        );
        assert_eq!(
            may_allocate(CallStatus::Unknown, 0),
            Err(TurnRefusal::CallOver)
        );
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
