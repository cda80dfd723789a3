//! The open sockets of this process: who holds each one (so a revocation finds the
//! sockets its credential opened), how many sockets each caller identity and each agent
//! holds (the caps), the recent revocations an upgrade in flight must still be checked
//! against, and the shutdown flag.
//!
//! A socket is admitted at the upgrade request, before the socket exists: the caps refuse
//! the upgrade (HTTP 429), and the revocations applied since the request's credentials
//! were read refuse it too (HTTP 401). Admission and the application of a revocation both
//! hold the same lock, so a socket is either seen by the revocation or sees it — an
//! upgrade racing a sign-out cannot slip between the two.
//!
//! **Local state, deliberately.** This is the socket table of this process: the caps
//! count the sockets this process holds and are released as they close, so with several
//! processes each enforces its own (a caller could hold 3 per node). Abuse that must be
//! limited across nodes — call requests — goes through the engine's
//! [`super::engine::CallAdmission`] seam instead.

use std::collections::{HashMap, VecDeque};

use entity::events::{Revocation, Verdict};

use super::auth::Owner;
use super::engine::SocketId;
use super::outbox::{Queue, Signal};
use super::{Hub, Outbox, Peer};

/// How many applied revocations are kept for upgrades in flight.
const RECENT: usize = 256;

/// One open socket.
struct Held {
    peer: Peer,
    outbox: Outbox,
}

/// The open sockets and what admission needs.
#[derive(Default)]
pub(super) struct Live {
    sockets: HashMap<SocketId, Held>,
    per_owner: HashMap<Owner, u32>,
    /// Shutting down: every socket, also one opened from now on, is told to stop.
    stopping: bool,
    /// How many revocations were applied.
    applied: u64,
    /// The last [`RECENT`] of them, numbered (`None`: some were missed; every agent
    /// socket must reconnect).
    recent: VecDeque<(u64, Option<Revocation>)>,
}

/// What a revocation (`None`: missed ones) means for a socket's peer. Callers hold no
/// revocable grant; when revocations were missed every agent socket reconnects.
pub(super) fn verdict(revocation: Option<&Revocation>, peer: &Peer) -> Verdict {
    match (peer.grant(), revocation) {
        (None, _) => Verdict::Unaffected,
        (Some(_), None) => Verdict::Changed,
        (Some(grant), Some(revocation)) => revocation.verdict(&grant),
    }
}

/// Why an upgrade is refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// Its credential was revoked after it was read: 401.
    Revoked,
    /// The caller identity or agent holds as many sockets as allowed: 429.
    TooMany,
    /// Too many revocations happened meanwhile to tell: 503, try again.
    Unsure,
}

/// An admitted socket: its number and outbox, registered until the guard drops (also
/// when the upgrade fails and the socket never runs).
pub(super) struct Admitted {
    pub socket: SocketId,
    pub outbox: Outbox,
    pub queue: Queue,
    pub guard: LiveGuard,
}

/// Keeps an open socket registered and counted; the last one to close wakes a waiting
/// shutdown.
pub(super) struct LiveGuard(Hub, SocketId);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        let mut live = self.0.live();
        if let Some(held) = live.sockets.remove(&self.1) {
            let owner = held.peer.owner();
            if let Some(n) = live.per_owner.get_mut(&owner) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    live.per_owner.remove(&owner);
                }
            }
        }
        if live.sockets.is_empty() {
            self.0.inner.idle.notify_waiters();
        }
    }
}

impl Live {
    /// How many open sockets.
    pub(super) fn len(&self) -> usize {
        self.sockets.len()
    }

    /// Tells every socket to stop, now and from now on.
    pub(super) fn stop_all(&mut self) {
        self.stopping = true;
        for held in self.sockets.values() {
            held.outbox.signal(Signal::Stop);
        }
    }

    /// Applies a revocation (`None`: some were missed) to the open sockets: closed with
    /// 4001, their session ended or left to resume as the verdict says. Remembered for
    /// upgrades in flight.
    pub(super) fn revoke(&mut self, revocation: Option<&Revocation>) {
        self.applied += 1;
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back((self.applied, revocation.cloned()));
        for held in self.sockets.values() {
            match verdict(revocation, &held.peer) {
                Verdict::Unaffected => {}
                Verdict::Changed => held.outbox.signal(Signal::Reauth),
                Verdict::Ended => held.outbox.signal(Signal::Revoked),
            }
        }
    }

    /// The mark an upgrade notes before reading its credentials.
    pub(super) fn mark(&self) -> u64 {
        self.applied
    }

    /// What the revocations applied after `mark` mean for `peer`: the strongest verdict,
    /// or `None` when some of them are no longer kept.
    fn since(&self, mark: u64, peer: &Peer) -> Option<Verdict> {
        if self.applied > mark + RECENT as u64 {
            return None;
        }
        let mut worst = Verdict::Unaffected;
        for (_, revocation) in self.recent.iter().filter(|(n, _)| *n > mark) {
            match verdict(revocation.as_ref(), peer) {
                Verdict::Ended => return Some(Verdict::Ended),
                Verdict::Changed => worst = Verdict::Changed,
                Verdict::Unaffected => {}
            }
        }
        Some(worst)
    }
}

impl Hub {
    /// Admits a socket for `peer`, whose credentials were read after `mark` was taken
    /// ([`Hub::revocation_mark`]): refused when a revocation since ended them or the
    /// caps are reached; told to reconnect at once when one since changed them.
    pub(super) fn admit(&self, peer: Peer, mark: u64) -> Result<Admitted, Refused> {
        self.catch_up_revocations();
        let config = &self.config().limits;
        let (outbox, queue) = super::outbox::outbox(self.config().outbox_capacity);
        let socket = self.socket_id();
        let mut live = self.live();
        match live.since(mark, &peer) {
            None => return Err(Refused::Unsure),
            Some(Verdict::Ended) => return Err(Refused::Revoked),
            Some(Verdict::Changed) => outbox.signal(Signal::Reauth),
            Some(Verdict::Unaffected) => {}
        }
        let owner = peer.owner();
        let cap = match owner {
            Owner::Caller(_) => config.sockets_per_caller,
            Owner::Agent(_) => config.sockets_per_agent,
        };
        let held = live.per_owner.entry(owner).or_insert(0);
        if *held >= cap {
            return Err(Refused::TooMany);
        }
        *held += 1;
        if live.stopping {
            outbox.signal(Signal::Stop);
        }
        let registered = Held {
            peer,
            outbox: outbox.clone(),
        };
        live.sockets.insert(socket, registered);
        Ok(Admitted {
            socket,
            outbox,
            queue,
            guard: LiveGuard(self.clone(), socket),
        })
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn agent(user_id: Uuid, business_id: Uuid) -> (Peer, Uuid) {
        let session_id = Uuid::new_v4();
        let peer = Peer::Agent {
            user_id,
            business_id,
            session_id,
        };
        (peer, session_id)
    }

    #[test]
    fn an_upgrade_in_flight_sees_the_revocations_applied_since_its_mark() {
        let mut live = Live::default();
        let (peer, session_id) = agent(Uuid::new_v4(), Uuid::new_v4());
        let mark = live.mark();
        assert_eq!(live.since(mark, &peer), Some(Verdict::Unaffected));
        live.revoke(Some(&Revocation::SessionChanged { session_id }));
        assert_eq!(live.since(mark, &peer), Some(Verdict::Changed));
        live.revoke(Some(&Revocation::SessionsEnded {
            session_ids: vec![Uuid::new_v4()],
        }));
        assert_eq!(live.since(mark, &peer), Some(Verdict::Changed));
        live.revoke(Some(&Revocation::SessionsEnded {
            session_ids: vec![session_id],
        }));
        assert_eq!(live.since(mark, &peer), Some(Verdict::Ended));
        // Read after them: unaffected.
        assert_eq!(live.since(live.mark(), &peer), Some(Verdict::Unaffected));
    }

    #[test]
    fn missed_revocations_reconnect_agents_and_leave_callers() {
        let mut live = Live::default();
        let (agent, _) = agent(Uuid::new_v4(), Uuid::new_v4());
        let caller = Peer::Caller {
            identity_id: Uuid::new_v4(),
        };
        let mark = live.mark();
        live.revoke(None);
        assert_eq!(live.since(mark, &agent), Some(Verdict::Changed));
        assert_eq!(live.since(mark, &caller), Some(Verdict::Unaffected));
    }

    #[test]
    fn an_upgrade_older_than_the_kept_revocations_is_unsure() {
        let mut live = Live::default();
        let (peer, _) = agent(Uuid::new_v4(), Uuid::new_v4());
        let mark = live.mark();
        for _ in 0..=RECENT {
            live.revoke(Some(&Revocation::ApiKeyRevoked {
                key_id: Uuid::new_v4(),
            }));
        }
        assert_eq!(live.since(mark, &peer), None);
        assert_eq!(live.recent.len(), RECENT);
    }
}
