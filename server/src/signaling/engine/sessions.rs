//! A connection's signaling session in the engine: greeting (a fresh session or
//! `hello.resume`), suspension when its socket goes (its calls hear `peer_lost`, the grace
//! runs), and its end when the socket's credential was revoked (no grace, no resume).
//! Each runs under the session's gate ([`super::SessionStore::gate`]), so a resume never
//! overtakes the suspension or the end it follows.
//!
//! A dropped party stays involved in its calls through the reconnect grace; a socket that
//! resumes its session gets [`Event::Back`] fed to each of them. A party whose credential
//! was revoked cannot come back: its calls get [`Event::Gone`] and end at once.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use entity::calls::protocol::{CallId, ConnectionId};
use entity::calls::{Event, Party};
use entity::events::{Revocation, Verdict};

use super::calls::{after, Slot};
use super::{Engine, Peer, Resumed, SocketId};
use crate::signaling::outbox::{Outbox, Signal};

/// The session a greeted socket serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Greeted {
    /// The session's connection id (the resumed one's, or the fresh one).
    pub id: ConnectionId,
    /// Whether an earlier session was resumed.
    pub resumed: bool,
}

/// What a revocation means for a session's peer (callers hold no revocable grant).
fn verdict(revocation: &Revocation, peer: &Peer) -> Verdict {
    peer.grant()
        .map_or(Verdict::Unaffected, |grant| revocation.verdict(&grant))
}

impl Engine {
    /// Socket `socket` of `peer` said `hello`: it resumes session `resume` if the
    /// protocol allows (same agent or caller, within the grace), else it opens a fresh
    /// session named `fresh`. From then on frames for the session reach `outbox`, and an
    /// agent's device is in presence.
    pub async fn greet(
        &self,
        peer: Peer,
        socket: SocketId,
        outbox: &Outbox,
        fresh: ConnectionId,
        resume: Option<ConnectionId>,
    ) -> Greeted {
        if let Some(previous) = resume {
            if self.resume(peer, socket, outbox, previous).await {
                tracing::debug!(connection_id = %previous, "signaling session resumed");
                return Greeted {
                    id: previous,
                    resumed: true,
                };
            }
        }
        self.seams().sessions.open(fresh, peer, socket);
        self.seams().delivery.attach(fresh, outbox.clone());
        if let Some(device) = peer.device(fresh) {
            self.presence().join(device);
        }
        Greeted {
            id: fresh,
            resumed: false,
        }
    }

    /// Takes over session `previous` for `socket` if the protocol allows it; `true` when
    /// it did. A socket still serving it is told to close (4005) and its device leaves.
    async fn resume(
        &self,
        peer: Peer,
        socket: SocketId,
        outbox: &Outbox,
        previous: ConnectionId,
    ) -> bool {
        let seams = self.seams();
        let Some(gate) = seams.sessions.gate(previous) else {
            return false;
        };
        let _held = gate.lock().await;
        let Some(resumed) = seams
            .sessions
            .resume(previous, peer, socket, Instant::now())
        else {
            return false;
        };
        if resumed == Resumed::Replaced {
            // Reaches the old socket: the new one is not attached yet.
            seams.delivery.signal(previous, Signal::Kicked);
            if let Some(device) = peer.device(previous) {
                self.presence().leave(device);
            }
        }
        seams.delivery.attach(previous, outbox.clone());
        if let Some(device) = peer.device(previous) {
            self.presence().join(device);
        }
        // Its calls get `Back` (the other party hears `peer_back` if it heard `peer_lost`).
        let party = peer.party(previous);
        let calls = self.registry().involved(previous);
        for (id, slot) in calls {
            let _ = self.apply(id, &slot, Event::Back(party)).await;
        }
        true
    }

    /// `socket`, serving session `id` of `peer`, closed: unless another socket took the
    /// session over, it is suspended for the reconnect grace (its calls hear `peer_lost`)
    /// and forgotten when the grace ends.
    pub async fn suspend(&self, peer: Peer, id: ConnectionId, socket: SocketId) {
        let sessions = &self.seams().sessions;
        let Some(gate) = sessions.gate(id) else {
            return;
        };
        let grace = self.config().reconnect_grace;
        {
            let _held = gate.lock().await;
            if !sessions.suspend(id, socket, Instant::now() + grace) {
                return;
            }
            let party = peer.party(id);
            let deadline = after(Utc::now(), grace);
            for (call, slot) in self.unreachable(id) {
                let _ = self
                    .apply(call, &slot, Event::Lost { party, deadline })
                    .await;
            }
            if let Some(device) = peer.device(id) {
                self.presence().leave(device);
            }
        }
        let engine = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let _held = gate.lock().await;
            if engine.seams().sessions.expire(id, Instant::now()) {
                engine.forget_connection(id);
            }
        });
    }

    /// `socket`, serving session `id` of `peer`, closed because its credential was
    /// revoked: unless another socket took the session over, it ends now — its calls end
    /// (`dropped`, no grace) and nobody can resume it.
    pub async fn end_session(&self, peer: Peer, id: ConnectionId, socket: SocketId) {
        let sessions = &self.seams().sessions;
        let Some(gate) = sessions.gate(id) else {
            return;
        };
        let _held = gate.lock().await;
        if !sessions.close(id, socket) {
            return;
        }
        self.revoked(peer, id).await;
        if let Some(device) = peer.device(id) {
            self.presence().leave(device);
        }
        tracing::debug!(connection_id = %id, "signaling session revoked");
    }

    /// Takes out the suspended sessions whose credential `revocation` ended, so
    /// `hello.resume` cannot bring them back; their calls end `dropped`. (Sessions with a
    /// socket are closed by the socket layer, which ends them through
    /// [`Self::end_session`].)
    pub fn revoke_suspended(&self, revocation: &Revocation) {
        let ended = |peer: &Peer| verdict(revocation, peer) == Verdict::Ended;
        for id in self.seams().sessions.suspended_matching(&ended) {
            let (engine, revocation) = (self.clone(), revocation.clone());
            tokio::spawn(async move {
                let sessions = &engine.seams().sessions;
                let Some(gate) = sessions.gate(id) else {
                    return;
                };
                let _held = gate.lock().await;
                let ended = |peer: &Peer| verdict(&revocation, peer) == Verdict::Ended;
                let Some(peer) = sessions.take_suspended(id, &ended) else {
                    return;
                };
                tracing::debug!(connection_id = %id, "suspended signaling session revoked");
                engine.revoked(peer, id).await;
            });
        }
    }

    /// Connection `id` of `peer` is unreachable for good: its calls get `Gone` (a call it
    /// is a party of ends `dropped` at once; a ringing device stops).
    async fn revoked(&self, peer: Peer, id: ConnectionId) {
        let party: Party = peer.party(id);
        for (call, slot) in self.unreachable(id) {
            let _ = self.apply(call, &slot, Event::Gone(party)).await;
        }
        self.forget_connection(id);
    }

    /// Connection `id`'s socket went: nothing reaches it until it resumes. Returns the
    /// calls it is involved in, which keep it as a party until it resumes or they end.
    fn unreachable(&self, id: ConnectionId) -> Vec<(CallId, Arc<Slot>)> {
        self.seams().delivery.detach(id);
        self.registry().involved(id)
    }

    /// Forgets a connection that will not resume.
    fn forget_connection(&self, id: ConnectionId) {
        self.registry().involved.remove(&id);
    }
}
