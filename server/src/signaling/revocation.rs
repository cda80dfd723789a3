//! Revocations reach the sockets: the hub follows the bus's revocations
//! ([`entity::events::Revocation`]) and closes every socket whose credential one names
//! with 4001 — ending its signaling session at once when the credential is gone (sign-out,
//! removal: the calls end `dropped`, no resume), leaving it to resume when the credential
//! only changed (role, business switch, a renewed session). Suspended sessions of a gone
//! credential are taken out too, so `hello.resume` cannot bring them back.
//!
//! Like the call directory, the hub holds its own subscription and drains it before it
//! admits a socket, so a revocation published in this process is applied before any
//! later upgrade; a task ([`Hub::follow_revocations`]) applies them as they arrive. A
//! subscription that lagged behind treats every agent socket as changed: each reconnects
//! and is authenticated again at the upgrade.

use std::sync::{Mutex, MutexGuard, PoisonError};

use entity::calls::{AgentDevice, Party};
use entity::events::{EventBus, Revocation, Verdict};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use super::live::verdict;
use super::{Hub, Peer};

/// The hub's own subscription to revocations.
pub(super) struct Feed(Mutex<broadcast::Receiver<Revocation>>);

impl Feed {
    /// Follows `events` from now on.
    pub(super) fn new(events: &EventBus) -> Self {
        Self(Mutex::new(events.revocations()))
    }

    fn lock(&self) -> MutexGuard<'_, broadcast::Receiver<Revocation>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Hub {
    /// Applies every revocation queued on the hub's subscription.
    pub(super) fn catch_up_revocations(&self) {
        let mut feed = self.inner.revocations.lock();
        loop {
            match feed.try_recv() {
                Ok(revocation) => self.apply_revocation(Some(&revocation)),
                Err(TryRecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the hub missed revocations; every agent reconnects");
                    self.apply_revocation(None);
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }

    /// The mark an upgrade takes before reading its credentials (see [`Hub::admit`]).
    pub(super) fn revocation_mark(&self) -> u64 {
        self.catch_up_revocations();
        self.live().mark()
    }

    /// Starts the task that applies revocations as they arrive (once).
    pub(super) fn follow_revocations(&self) {
        let mut doorbell = self.inner.revocations.lock().resubscribe();
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                match doorbell.recv().await {
                    Ok(_) | Err(RecvError::Lagged(_)) => hub.catch_up_revocations(),
                    Err(RecvError::Closed) => return,
                }
            }
        });
    }

    /// Closes the sockets `revocation` (`None`: missed ones) reaches and takes out the
    /// suspended sessions of a credential it ended.
    fn apply_revocation(&self, revocation: Option<&Revocation>) {
        self.live().revoke(revocation);
        let Some(revocation) = revocation else {
            // Nothing is known to be gone: suspended sessions can only be resumed through
            // a fresh upgrade, which checks the credential again.
            return;
        };
        let ended = |peer: &Peer| verdict(Some(revocation), peer) == Verdict::Ended;
        for id in self.sessions().suspended_matching(ended) {
            let (hub, revocation) = (self.clone(), revocation.clone());
            tokio::spawn(async move {
                let Some(gate) = hub.sessions().gate(id) else {
                    return;
                };
                let _held = gate.lock().await;
                let ended = |peer: &Peer| verdict(Some(&revocation), peer) == Verdict::Ended;
                let Some(peer) = hub.sessions().take_suspended(id, ended) else {
                    return;
                };
                tracing::debug!(connection_id = %id, "suspended signaling session revoked");
                let party = match peer {
                    Peer::Agent { user_id, .. } => Party::Agent(AgentDevice {
                        user: user_id,
                        connection: id,
                    }),
                    Peer::Caller { .. } => Party::Caller(id),
                };
                hub.connection_revoked(party).await;
            });
        }
    }
}
