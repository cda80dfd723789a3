//! Signaling sessions and `hello.resume`.
//!
//! A greeted socket opens a session named by its `connection_id`. When the socket goes
//! away the session is *suspended* for the reconnect grace: its calls keep it as a party
//! (the other party heard `peer_lost`). A new socket of the same agent or caller that
//! greets with `resume: <connection_id>` within the grace takes the session over — same
//! id, its calls continue and the other party hears `peer_back`. A socket may also resume
//! a session whose old socket the server still believes open (a client usually notices a
//! dead network before the server does): the old socket is closed with 4005 and the new
//! one takes over at once.
//!
//! Only the socket that owns a session tears it down when it closes, so a replaced
//! socket's exit changes nothing.
//!
//! **Revocation.** A session belongs to an agent (user and business) or a caller; the
//! socket that serves it knows the credential it was opened with. When that credential
//! ends (sign-out, removal), the serving socket ends the session at once ([`Sessions::close`])
//! and a suspended one is taken out by the hub ([`Sessions::take_suspended`]), so nobody
//! can resume it. A session is resumed by the same party with any valid credential (a
//! password change renews the device's session), and takes that credential on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::outbox::{Outbox, Signal};
use super::Peer;
use entity::calls::protocol::ConnectionId;

/// Identifies one socket (sessions outlive sockets).
pub(super) type SocketId = u64;

/// One session: who it belongs to, which socket serves it now, and whether it is waiting
/// for a socket.
struct Session {
    /// Held while a socket tears the session down or takes it over, so a resume never
    /// overtakes the suspension it resumes from.
    gate: Arc<tokio::sync::Mutex<()>>,
    peer: Peer,
    socket: SocketId,
    /// Wakes the serving socket to close it with 4005 when another socket takes over.
    kick: Outbox,
    /// Set while no socket serves the session: until when it may be resumed.
    suspended_until: Option<Instant>,
}

/// What a resume found.
pub(super) enum Resumed {
    /// The session was waiting for a socket.
    Suspended,
    /// Another socket still served it; it has been told to close (4005).
    Replaced,
}

/// The sessions of this process.
#[derive(Default)]
pub(super) struct Sessions {
    sessions: Mutex<HashMap<ConnectionId, Session>>,
    next_socket: AtomicU64,
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<ConnectionId, Session>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh number for a new socket.
    pub(super) fn socket_id(&self) -> SocketId {
        self.next_socket.fetch_add(1, Ordering::Relaxed)
    }

    /// Records a new session served by `socket`.
    pub(super) fn open(&self, id: ConnectionId, peer: Peer, socket: SocketId, kick: Outbox) {
        self.lock().insert(
            id,
            Session {
                gate: Arc::default(),
                peer,
                socket,
                kick,
                suspended_until: None,
            },
        );
    }

    /// The gate of session `id`: lock it around [`Self::resume`] or [`Self::suspend`] and
    /// the work that follows.
    pub(super) fn gate(&self, id: ConnectionId) -> Option<Arc<tokio::sync::Mutex<()>>> {
        self.lock().get(&id).map(|s| s.gate.clone())
    }

    /// Lets `socket` take over session `id`, if it belongs to the same party as `peer`
    /// (see [`Peer::same_party`]) and is still resumable at `now`; `None` otherwise (the
    /// socket starts a fresh session). The session takes on `peer`'s credential.
    pub(super) fn resume(
        &self,
        id: ConnectionId,
        peer: Peer,
        socket: SocketId,
        kick: Outbox,
        now: Instant,
    ) -> Option<Resumed> {
        let mut sessions = self.lock();
        let session = sessions.get_mut(&id)?;
        if !session.peer.same_party(&peer) {
            return None;
        }
        let resumed = match session.suspended_until {
            Some(until) if until <= now => {
                sessions.remove(&id);
                return None;
            }
            Some(_) => Resumed::Suspended,
            None => {
                session.kick.signal(Signal::Kicked);
                Resumed::Replaced
            }
        };
        session.peer = peer;
        session.socket = socket;
        session.kick = kick;
        session.suspended_until = None;
        Some(resumed)
    }

    /// `socket` closed because its credential was revoked: if it still serves session
    /// `id`, the session is forgotten at once (no grace, no resume) and `true` returned
    /// (the caller ends its calls).
    pub(super) fn close(&self, id: ConnectionId, socket: SocketId) -> bool {
        let mut sessions = self.lock();
        let owned = sessions.get(&id).is_some_and(|s| s.socket == socket);
        if owned {
            sessions.remove(&id);
        }
        owned
    }

    /// The suspended sessions whose peer `revoked` picks (for the hub to take out).
    pub(super) fn suspended_matching(&self, revoked: impl Fn(&Peer) -> bool) -> Vec<ConnectionId> {
        self.lock()
            .iter()
            .filter(|(_, s)| s.suspended_until.is_some() && revoked(&s.peer))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Forgets session `id` if it is still suspended and `revoked` still picks its peer
    /// (a resume since may have given it a valid credential); returns that peer.
    pub(super) fn take_suspended(
        &self,
        id: ConnectionId,
        revoked: impl Fn(&Peer) -> bool,
    ) -> Option<Peer> {
        let mut sessions = self.lock();
        let session = sessions.get(&id)?;
        if session.suspended_until.is_none() || !revoked(&session.peer) {
            return None;
        }
        sessions.remove(&id).map(|s| s.peer)
    }

    /// `socket` closed: if it still serves session `id`, the session is suspended until
    /// `until` and `true` is returned (the caller tells the calls); a replaced socket
    /// gets `false` and must leave everything to its successor.
    pub(super) fn suspend(&self, id: ConnectionId, socket: SocketId, until: Instant) -> bool {
        let mut sessions = self.lock();
        match sessions.get_mut(&id) {
            Some(session) if session.socket == socket => {
                session.suspended_until = Some(until);
                true
            }
            _ => false,
        }
    }

    /// Forgets session `id` if it is still suspended at `now` (its grace ran out).
    pub(super) fn expire(&self, id: ConnectionId, now: Instant) -> bool {
        let mut sessions = self.lock();
        let expired = sessions
            .get(&id)
            .and_then(|s| s.suspended_until)
            .is_some_and(|until| until <= now);
        if expired {
            sessions.remove(&id);
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use uuid::Uuid;

    use super::super::outbox::{outbox, Next};
    use super::*;

    fn caller() -> Peer {
        Peer::Caller {
            identity_id: Uuid::new_v4(),
        }
    }

    fn id() -> ConnectionId {
        ConnectionId::from_random_bytes(*Uuid::new_v4().as_bytes())
    }

    #[test]
    fn a_suspended_session_resumes_once_for_its_own_peer_within_the_grace() {
        let sessions = Sessions::default();
        let (peer, session) = (caller(), id());
        let now = Instant::now();
        sessions.open(session, peer, 1, outbox(1).0);
        assert!(sessions.suspend(session, 1, now + Duration::from_secs(15)));
        assert!(
            sessions
                .resume(session, caller(), 2, outbox(1).0, now)
                .is_none(),
            "another caller cannot take it"
        );
        assert!(matches!(
            sessions.resume(session, peer, 2, outbox(1).0, now),
            Some(Resumed::Suspended)
        ));
        assert!(
            !sessions.suspend(session, 1, now),
            "the old socket no longer owns it"
        );
        assert!(sessions.suspend(session, 2, now + Duration::from_secs(15)));
    }

    #[test]
    fn an_expired_session_is_gone() {
        let sessions = Sessions::default();
        let (peer, session) = (caller(), id());
        let now = Instant::now();
        sessions.open(session, peer, 1, outbox(1).0);
        assert!(sessions.suspend(session, 1, now));
        assert!(sessions
            .resume(
                session,
                peer,
                2,
                outbox(1).0,
                now + Duration::from_millis(1)
            )
            .is_none());
        assert!(!sessions.expire(session, now + Duration::from_secs(1)));
    }

    #[test]
    fn resuming_a_live_session_kicks_its_socket() {
        let sessions = Sessions::default();
        let (peer, session) = (caller(), id());
        let (kick, mut old) = outbox(1);
        sessions.open(session, peer, 1, kick);
        let resumed = sessions.resume(session, peer, 2, outbox(1).0, Instant::now());
        assert!(matches!(resumed, Some(Resumed::Replaced)));
        assert_eq!(
            futures::FutureExt::now_or_never(std::future::poll_fn(|cx| old.poll_next(cx))),
            Some(Next::Signal(Signal::Kicked)),
            "the old socket was told to close"
        );
    }

    fn agent(user_id: Uuid, business_id: Uuid) -> Peer {
        Peer::Agent {
            user_id,
            business_id,
            session_id: Uuid::new_v4(),
        }
    }

    #[test]
    fn the_same_agent_resumes_with_another_session_and_takes_it_on() {
        let sessions = Sessions::default();
        let (user, business) = (Uuid::new_v4(), Uuid::new_v4());
        let (old, renewed) = (agent(user, business), agent(user, business));
        let session = id();
        let now = Instant::now();
        sessions.open(session, old, 1, outbox(1).0);
        assert!(sessions.suspend(session, 1, now + Duration::from_secs(15)));
        let other_business = agent(user, Uuid::new_v4());
        assert!(sessions
            .resume(session, other_business, 2, outbox(1).0, now)
            .is_none());
        assert!(sessions
            .resume(session, renewed, 2, outbox(1).0, now)
            .is_some());
        assert!(sessions.suspend(session, 2, now + Duration::from_secs(15)));
        assert!(
            sessions.take_suspended(session, |p| *p == old).is_none(),
            "revoking the old credential no longer reaches it"
        );
        assert_eq!(
            sessions.take_suspended(session, |p| *p == renewed),
            Some(renewed)
        );
        assert!(sessions.gate(session).is_none(), "gone");
    }

    #[test]
    fn a_revoked_session_cannot_be_resumed() {
        let sessions = Sessions::default();
        let peer = agent(Uuid::new_v4(), Uuid::new_v4());
        let (live, suspended) = (id(), id());
        let now = Instant::now();
        sessions.open(live, peer, 1, outbox(1).0);
        sessions.open(suspended, peer, 2, outbox(1).0);
        assert!(sessions.suspend(suspended, 2, now + Duration::from_secs(15)));
        assert_eq!(sessions.suspended_matching(|p| *p == peer), vec![suspended]);
        assert!(!sessions.close(live, 9), "another socket does not own it");
        assert!(sessions.close(live, 1));
        assert_eq!(
            sessions.take_suspended(suspended, |p| *p == peer),
            Some(peer)
        );
        for session in [live, suspended] {
            assert!(sessions
                .resume(session, peer, 3, outbox(1).0, now)
                .is_none());
        }
    }

    #[test]
    fn a_live_session_does_not_expire() {
        let sessions = Sessions::default();
        let session = id();
        sessions.open(session, caller(), 1, outbox(1).0);
        assert!(!sessions.expire(session, Instant::now() + Duration::from_secs(60)));
    }
}
