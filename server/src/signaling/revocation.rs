//! Revocations reach the sockets: the hub follows the bus's revocations
//! ([`entity::events::Revocation`]) and closes every socket whose credential one names
//! with 4001 — ending its signaling session at once when the credential is gone (sign-out,
//! removal: the calls end `dropped`, no resume), leaving it to resume when the credential
//! only changed (role, business switch, a renewed session). Suspended sessions of a gone
//! credential are taken out too ([`super::Engine::revoke_suspended`]), so `hello.resume`
//! cannot bring them back.
//!
//! Like the call directory, the hub holds its own subscription and drains it before it
//! admits a socket, so a revocation published in this process is applied before any
//! later upgrade; a task ([`Hub::follow_revocations`]) applies them as they arrive. A
//! subscription that fell behind treats every agent socket as changed: each reconnects
//! and is authenticated again at the upgrade.

use std::sync::{Mutex, MutexGuard, PoisonError};

use entity::events::{self, EventBus, Feed, Received, Revocation};
use futures::StreamExt;

use super::Hub;

/// The hub's own subscription to revocations, and a second one (made with it) that wakes
/// the following task.
pub(super) struct Revocations {
    feed: Mutex<Feed<Revocation>>,
    doorbell: Mutex<Option<Feed<Revocation>>>,
}

impl Revocations {
    /// Follows `events` from now on.
    pub(super) fn new(events: &dyn EventBus) -> Self {
        Self {
            feed: Mutex::new(events.revocations()),
            doorbell: Mutex::new(Some(events.revocations())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Feed<Revocation>> {
        self.feed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Hub {
    /// Applies every revocation queued on the hub's subscription.
    pub(super) fn catch_up_revocations(&self) {
        let mut feed = self.inner.revocations.lock();
        while let Some(received) = events::ready(&mut feed) {
            match received {
                Received::Item(revocation) => self.apply_revocation(Some(&revocation)),
                Received::Missed(missed) => {
                    tracing::warn!(missed, "the hub missed revocations; every agent reconnects");
                    self.apply_revocation(None);
                }
            }
        }
    }

    /// The mark an upgrade takes before reading its credentials (see [`Hub::admit`]).
    pub(super) fn revocation_mark(&self) -> u64 {
        self.catch_up_revocations();
        self.live().mark()
    }

    /// Starts the task that applies revocations as they arrive (once; later calls do
    /// nothing).
    pub(super) fn follow_revocations(&self) {
        let doorbell = self
            .inner
            .revocations
            .doorbell
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut doorbell) = doorbell else {
            return;
        };
        let hub = self.clone();
        tokio::spawn(async move {
            while doorbell.next().await.is_some() {
                hub.catch_up_revocations();
            }
        });
    }

    /// Closes the sockets `revocation` (`None`: missed ones) reaches and takes out the
    /// suspended sessions of a credential it ended.
    fn apply_revocation(&self, revocation: Option<&Revocation>) {
        self.live().revoke(revocation);
        // Without the revocation nothing is known to be gone: suspended sessions can only
        // be resumed through a fresh upgrade, which checks the credential again.
        if let Some(revocation) = revocation {
            self.inner.engine.revoke_suspended(revocation);
        }
    }
}
