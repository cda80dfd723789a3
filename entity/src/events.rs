//! The fan-out seam for things that happened in a business (members joined, keys revoked…)
//! and for grants that stopped being valid (revocations).
//!
//! In-process today (tokio broadcast channels); a broker-backed implementation (Redis
//! pub/sub or NATS) can replace it without touching publishers or subscribers, so several
//! server processes can share events — and a revocation made by any process (a worker
//! too) reaches the sockets and subscriptions every process holds.
//!
//! **Revocations** are a channel of their own because they are not news for a business's
//! dashboard but orders for whoever holds a live grant: the signaling hub closes the
//! affected sockets (4001) and each GraphQL subscription ends when its grant is named.
//! Which grant a [`Revocation`] reaches, and how, is the pure rule [`Revocation::verdict`].

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::auth::{Credential, Principal};

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
    /// Opening hours, date overrides or an out-of-office switch changed (`subject_id` is
    /// the business, the team whose own hours changed, or the member who switched).
    SchedulesChanged,
}

/// One event of one business.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessEvent {
    pub business_id: Uuid,
    pub kind: BusinessEventKind,
    /// The id of the member, invitation, key, domain, intent or team concerned.
    pub subject_id: Uuid,
}

/// A grant that changed or ended. Published after the change is committed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Revocation {
    /// These sessions ended (sign-out; a password change ends every other session of the
    /// user): what they opened ends and cannot come back.
    SessionsEnded { session_ids: Vec<Uuid> },
    /// This session now grants something else: it acts for another business (business
    /// switch), or it was replaced by a fresh one on the same device (password change).
    /// What it opened closes; the same member may reconnect and resume.
    SessionChanged { session_id: Uuid },
    /// A member left or was removed from a business: every session and API key acting as
    /// them for that business loses it.
    MemberRemoved { business_id: Uuid, user_id: Uuid },
    /// A member's role in a business changed: what they opened closes and reconnects with
    /// the new role.
    RoleChanged { business_id: Uuid, user_id: Uuid },
    /// An API key was revoked.
    ApiKeyRevoked { key_id: Uuid },
}

/// What a live socket or subscription was opened with: the member, the business it acts
/// for, and the credential that proved it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub user_id: Uuid,
    pub business_id: Uuid,
    pub credential: Credential,
}

impl From<&Principal> for Grant {
    fn from(p: &Principal) -> Self {
        Self {
            user_id: p.user_id,
            business_id: p.business_id,
            credential: p.credential,
        }
    }
}

/// What a revocation means for one grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not concerned.
    Unaffected,
    /// The grant changed: close what it opened (4001); the member may reconnect and take
    /// their signaling session back (`hello.resume`), calls continuing.
    Changed,
    /// The grant is gone: close what it opened (4001); its signaling sessions end at once
    /// (calls end `dropped`) and cannot be resumed.
    Ended,
}

impl Revocation {
    /// What this revocation means for `grant`.
    #[must_use]
    pub fn verdict(&self, grant: &Grant) -> Verdict {
        let member = |business_id: &Uuid, user_id: &Uuid| {
            grant.business_id == *business_id && grant.user_id == *user_id
        };
        match (self, grant.credential) {
            (Self::SessionsEnded { session_ids }, Credential::Session(id))
                if session_ids.contains(&id) =>
            {
                Verdict::Ended
            }
            (Self::SessionChanged { session_id }, Credential::Session(id)) if *session_id == id => {
                Verdict::Changed
            }
            (
                Self::MemberRemoved {
                    business_id,
                    user_id,
                },
                _,
            ) if member(business_id, user_id) => Verdict::Ended,
            (
                Self::RoleChanged {
                    business_id,
                    user_id,
                },
                _,
            ) if member(business_id, user_id) => Verdict::Changed,
            (Self::ApiKeyRevoked { key_id }, Credential::ApiKey(id)) if *key_id == id => {
                Verdict::Ended
            }
            _ => Verdict::Unaffected,
        }
    }
}

/// Publish / subscribe for business events and revocations; cheap to clone.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<BusinessEvent>,
    revocations: broadcast::Sender<Revocation>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(1024).0,
            revocations: broadcast::channel(1024).0,
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

    /// Tells every holder of a live grant that `revocation` happened (call it after the
    /// change is committed).
    pub fn revoke(&self, revocation: Revocation) {
        tracing::debug!(?revocation, "revocation published");
        let _ = self.revocations.send(revocation);
    }

    /// A receiver of every revocation published from now on. A receiver that lagged
    /// behind missed some: it must treat every grant it follows as changed.
    pub fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.revocations.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(user_id: Uuid, business_id: Uuid) -> Grant {
        Grant {
            user_id,
            business_id,
            credential: Credential::Session(Uuid::new_v4()),
        }
    }

    #[test]
    fn a_session_revocation_reaches_that_session_only() {
        let (user, business) = (Uuid::new_v4(), Uuid::new_v4());
        let (phone, laptop) = (session(user, business), session(user, business));
        let Credential::Session(phone_id) = phone.credential else {
            unreachable!()
        };
        let ended = Revocation::SessionsEnded {
            session_ids: vec![phone_id],
        };
        assert_eq!(ended.verdict(&phone), Verdict::Ended);
        assert_eq!(ended.verdict(&laptop), Verdict::Unaffected);
        let changed = Revocation::SessionChanged {
            session_id: phone_id,
        };
        assert_eq!(changed.verdict(&phone), Verdict::Changed);
        assert_eq!(changed.verdict(&laptop), Verdict::Unaffected);
    }

    #[test]
    fn a_membership_revocation_reaches_every_credential_of_the_member_in_that_business() {
        let (user, business, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let key = Grant {
            user_id: user,
            business_id: business,
            credential: Credential::ApiKey(Uuid::new_v4()),
        };
        let removed = Revocation::MemberRemoved {
            business_id: business,
            user_id: user,
        };
        assert_eq!(removed.verdict(&session(user, business)), Verdict::Ended);
        assert_eq!(removed.verdict(&key), Verdict::Ended);
        assert_eq!(removed.verdict(&session(user, other)), Verdict::Unaffected);
        assert_eq!(
            removed.verdict(&session(Uuid::new_v4(), business)),
            Verdict::Unaffected
        );
        let role = Revocation::RoleChanged {
            business_id: business,
            user_id: user,
        };
        assert_eq!(role.verdict(&session(user, business)), Verdict::Changed);
        assert_eq!(role.verdict(&session(user, other)), Verdict::Unaffected);
    }

    #[test]
    fn a_revoked_key_reaches_that_key_only() {
        let (user, business) = (Uuid::new_v4(), Uuid::new_v4());
        let key_id = Uuid::new_v4();
        let key = Grant {
            user_id: user,
            business_id: business,
            credential: Credential::ApiKey(key_id),
        };
        let revoked = Revocation::ApiKeyRevoked { key_id };
        assert_eq!(revoked.verdict(&key), Verdict::Ended);
        assert_eq!(
            revoked.verdict(&session(user, business)),
            Verdict::Unaffected
        );
        // A session whose id happens to equal a key id is not a key.
        let same_id = Grant {
            credential: Credential::Session(key_id),
            ..key
        };
        assert_eq!(revoked.verdict(&same_id), Verdict::Unaffected);
    }

    #[test]
    fn revocations_reach_subscribers() {
        let bus = EventBus::default();
        let mut rx = bus.revocations();
        let key_id = Uuid::new_v4();
        bus.revoke(Revocation::ApiKeyRevoked { key_id });
        assert_eq!(
            rx.try_recv().ok(),
            Some(Revocation::ApiKeyRevoked { key_id })
        );
    }
}
