//! Signaling sessions and `hello.resume`, kept in this process.
//!
//! A greeted socket opens a session named by its `connection_id`. When the socket goes
//! away the session is *suspended* for the reconnect grace: its calls keep it as a party
//! (the other party heard `peer_lost`). A new socket of the same agent or caller that
//! greets with `resume: <connection_id>` within the grace takes the session over — same
//! id, its calls continue and the other party hears `peer_back`. A socket may also resume
//! a session whose old socket the server still believes open (a client usually notices a
//! dead network before the server does): the old socket is closed with 4005 and the new
//! one takes over at once (the engine tells it so through the delivery seam).
//!
//! Only the socket that owns a session tears it down when it closes, so a replaced
//! socket's exit changes nothing.
//!
//! **Revocation.** A session belongs to an agent (user and business) or a caller; the
//! socket that serves it knows the credential it was opened with. When that credential
//! ends (sign-out, removal), the serving socket ends the session at once
//! ([`SessionStore::close`]) and a suspended one is taken out by the engine
//! ([`SessionStore::take_suspended`]), so nobody
//! can resume it. A session is resumed by the same party with any valid credential (a
//! password change renews the device's session), and takes that credential on.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use entity::calls::protocol::ConnectionId;

use crate::signaling::engine::{Peer, Resumed, SessionGate, SessionStore, SocketId};

/// One session: who it belongs to, which socket serves it now, and whether it is waiting
/// for a socket.
struct Session {
    /// Held while a socket tears the session down or takes it over, so a resume never
    /// overtakes the suspension it resumes from.
    gate: SessionGate,
    peer: Peer,
    socket: SocketId,
    /// Set while no socket serves the session: until when it may be resumed.
    suspended_until: Option<Instant>,
}

/// The sessions of this process.
#[derive(Default)]
pub struct LocalSessions {
    sessions: Mutex<HashMap<ConnectionId, Session>>,
}

impl LocalSessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<ConnectionId, Session>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SessionStore for LocalSessions {
    fn open(&self, id: ConnectionId, peer: Peer, socket: SocketId) {
        self.lock().insert(
            id,
            Session {
                gate: SessionGate::default(),
                peer,
                socket,
                suspended_until: None,
            },
        );
    }

    fn gate(&self, id: ConnectionId) -> Option<SessionGate> {
        self.lock().get(&id).map(|s| s.gate.clone())
    }

    fn resume(
        &self,
        id: ConnectionId,
        peer: Peer,
        socket: SocketId,
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
            None => Resumed::Replaced,
        };
        session.peer = peer;
        session.socket = socket;
        session.suspended_until = None;
        Some(resumed)
    }

    fn close(&self, id: ConnectionId, socket: SocketId) -> bool {
        let mut sessions = self.lock();
        let owned = sessions.get(&id).is_some_and(|s| s.socket == socket);
        if owned {
            sessions.remove(&id);
        }
        owned
    }

    fn suspended_matching(&self, pick: &dyn Fn(&Peer) -> bool) -> Vec<ConnectionId> {
        self.lock()
            .iter()
            .filter(|(_, s)| s.suspended_until.is_some() && pick(&s.peer))
            .map(|(id, _)| *id)
            .collect()
    }

    fn live_matching(&self, pick: &dyn Fn(&Peer) -> bool) -> Vec<ConnectionId> {
        self.lock()
            .iter()
            .filter(|(_, s)| s.suspended_until.is_none() && pick(&s.peer))
            .map(|(id, _)| *id)
            .collect()
    }

    fn take_suspended(&self, id: ConnectionId, pick: &dyn Fn(&Peer) -> bool) -> Option<Peer> {
        let mut sessions = self.lock();
        let session = sessions.get(&id)?;
        if session.suspended_until.is_none() || !pick(&session.peer) {
            return None;
        }
        sessions.remove(&id).map(|s| s.peer)
    }

    fn suspend(&self, id: ConnectionId, socket: SocketId, until: Instant) -> bool {
        let mut sessions = self.lock();
        match sessions.get_mut(&id) {
            Some(session) if session.socket == socket => {
                session.suspended_until = Some(until);
                true
            }
            _ => false,
        }
    }

    fn expire(&self, id: ConnectionId, now: Instant) -> bool {
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
        let sessions = LocalSessions::default();
        let (peer, session) = (caller(), id());
        let now = Instant::now();
        sessions.open(session, peer, 1);
        assert!(sessions.suspend(session, 1, now + Duration::from_secs(15)));
        assert!(
            sessions.resume(session, caller(), 2, now).is_none(),
            "another caller cannot take it"
        );
        assert!(matches!(
            sessions.resume(session, peer, 2, now),
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
        let sessions = LocalSessions::default();
        let (peer, session) = (caller(), id());
        let now = Instant::now();
        sessions.open(session, peer, 1);
        assert!(sessions.suspend(session, 1, now));
        assert!(sessions
            .resume(session, peer, 2, now + Duration::from_millis(1))
            .is_none());
        assert!(!sessions.expire(session, now + Duration::from_secs(1)));
    }

    #[test]
    fn resuming_a_live_session_replaces_its_socket() {
        let sessions = LocalSessions::default();
        let (peer, session) = (caller(), id());
        sessions.open(session, peer, 1);
        let resumed = sessions.resume(session, peer, 2, Instant::now());
        assert_eq!(resumed, Some(Resumed::Replaced));
        assert!(
            !sessions.suspend(session, 1, Instant::now()),
            "not the old socket's"
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
        let sessions = LocalSessions::default();
        let (user, business) = (Uuid::new_v4(), Uuid::new_v4());
        let (old, renewed) = (agent(user, business), agent(user, business));
        let session = id();
        let now = Instant::now();
        sessions.open(session, old, 1);
        assert!(sessions.suspend(session, 1, now + Duration::from_secs(15)));
        let other_business = agent(user, Uuid::new_v4());
        assert!(sessions.resume(session, other_business, 2, now).is_none());
        assert!(sessions.resume(session, renewed, 2, now).is_some());
        assert!(sessions.suspend(session, 2, now + Duration::from_secs(15)));
        assert!(
            sessions.take_suspended(session, &|p| *p == old).is_none(),
            "revoking the old credential no longer reaches it"
        );
        assert_eq!(
            sessions.take_suspended(session, &|p| *p == renewed),
            Some(renewed)
        );
        assert!(sessions.gate(session).is_none(), "gone");
    }

    #[test]
    fn a_revoked_session_cannot_be_resumed() {
        let sessions = LocalSessions::default();
        let peer = agent(Uuid::new_v4(), Uuid::new_v4());
        let (live, suspended) = (id(), id());
        let now = Instant::now();
        sessions.open(live, peer, 1);
        sessions.open(suspended, peer, 2);
        assert!(sessions.suspend(suspended, 2, now + Duration::from_secs(15)));
        assert_eq!(
            sessions.suspended_matching(&|p| *p == peer),
            vec![suspended]
        );
        assert!(!sessions.close(live, 9), "another socket does not own it");
        assert!(sessions.close(live, 1));
        assert_eq!(
            sessions.take_suspended(suspended, &|p| *p == peer),
            Some(peer)
        );
        for session in [live, suspended] {
            assert!(sessions.resume(session, peer, 3, now).is_none());
        }
    }

    #[test]
    fn a_live_session_does_not_expire() {
        let sessions = LocalSessions::default();
        let session = id();
        sessions.open(session, caller(), 1);
        assert!(!sessions.expire(session, Instant::now() + Duration::from_secs(60)));
    }
}
