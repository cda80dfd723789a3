//! The fan-out seam for things that happened in a business (members joined, keys revoked…).
//!
//! In-process today (a tokio broadcast channel); a broker-backed implementation (Redis
//! pub/sub or NATS) can replace it without touching publishers or subscribers, so several
//! server processes can share events.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BusinessEventKind {
    MemberJoined,
    MemberRemoved,
    MemberRoleChanged,
    InvitationSent,
    InvitationRevoked,
    ApiKeyCreated,
    ApiKeyRevoked,
    DomainAdded,
    DomainVerified,
    DomainRevoked,
    DomainRemoved,
    /// An intent was created, changed or deleted (`subject_id` is the intent), or the
    /// intents were reordered (`subject_id` is the business).
    IntentsChanged,
    /// A team was created, changed or deleted, or its members were set (`subject_id` is
    /// the team).
    TeamsChanged,
}

/// One event of one business.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessEvent {
    pub business_id: Uuid,
    pub kind: BusinessEventKind,
    /// The id of the member, invitation, key, domain, intent or team concerned.
    pub subject_id: Uuid,
}

/// Publish / subscribe for business events; cheap to clone.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<BusinessEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(1024).0,
        }
    }
}

impl EventBus {
    /// Publishes to every current subscriber (none listening is fine).
    pub fn publish(&self, business_id: Uuid, kind: BusinessEventKind, subject_id: Uuid) {
        let _ = self.tx.send(BusinessEvent {
            business_id,
            kind,
            subject_id,
        });
    }

    /// A receiver of every event published from now on (filter by business yourself).
    pub fn subscribe(&self) -> broadcast::Receiver<BusinessEvent> {
        self.tx.subscribe()
    }
}
