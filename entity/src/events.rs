//! The fan-out seam for things that happened in a business (members joined, keys revoked…)
//! and for grants that stopped being valid (revocations).
//!
//! [`EventBus`] is a trait (publish; subscribe as a stream, [`Feed`]) and every publisher
//! and follower holds it as `Arc<dyn EventBus>`: [`LocalBus`] (tokio broadcast channels)
//! serves one process today, and a broker-backed implementation (NATS) can replace it
//! without touching publishers or subscribers, so several server processes share events —
//! and a revocation made by any process (a worker too) reaches the sockets and
//! subscriptions every process holds.
//!
//! **Revocations** are a channel of their own because they are not news for a business's
//! dashboard but orders for whoever holds a live grant: the signaling hub closes the
//! affected sockets (4001) and each GraphQL subscription ends when its grant is named.
//! Which grant a [`Revocation`] reaches, and how, is the pure rule [`Revocation::verdict`].

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{self, error::RecvError};
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
    /// A CRM contact was changed, merged away, or got a note or a purchase (`subject_id`
    /// is the contact).
    ContactsChanged,
    /// A callback was asked for, called back, closed or cancelled (`subject_id` is the
    /// callback).
    CallbacksChanged,
    /// The team calls to a domain ring without an intent was set or cleared
    /// (`subject_id` is the domain, or the business when deleting a team cleared several).
    DomainRouteChanged,
    /// A caller requested a call (`subject_id` is the call). Published once its record is
    /// written, like the three below: the call can be read when the event arrives.
    CallRequested,
    /// A member answered a call.
    CallAnswered,
    /// An answered call ended.
    CallEnded,
    /// A call ended without anyone answering (missed, rejected, cancelled, unavailable).
    CallMissed,
    /// A caller asked to be called back (`subject_id` is the callback); the business's
    /// agent devices are told at once. `CallbacksChanged` follows as for every change.
    CallbackRequested,
    /// A caller left a message (`subject_id` is the message); the business's agent devices
    /// are told at once. `MessagesChanged` follows.
    MessageLeft,
    /// A caller left a message, or a member handled or replied to one (`subject_id` is the
    /// message).
    MessagesChanged,
    /// The reward policy changed (`subject_id` is the business) or a reward was redeemed
    /// (`subject_id` is the reward).
    RewardsChanged,
    /// A member pressed "call back now" (`subject_id` is the callback): a call page the
    /// caller still has open rings at once.
    CallingBack,
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

/// What a subscription yields: the next item, or how many it missed because it fell
/// behind (a follower must then treat everything it follows as changed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received<T> {
    /// The next item, in publishing order.
    Item(T),
    /// This many items were lost to a subscriber that did not keep up.
    Missed(u64),
}

/// A subscription: the items published after it was made, in order; it ends when the
/// bus goes away, and may still be polled after (it stays ended).
pub type Feed<T> = Pin<Box<dyn Stream<Item = Received<T>> + Send>>;

/// The next item already waiting on `feed`, without waiting for one (`None` when nothing
/// is queued or the bus is gone). Followers that must apply everything published before
/// they answer (the call directory, the hub's revocations) drain their feed with this.
pub fn ready<T>(feed: &mut Feed<T>) -> Option<Received<T>> {
    let mut cx = Context::from_waker(Waker::noop());
    match feed.as_mut().poll_next(&mut cx) {
        Poll::Ready(item) => item,
        Poll::Pending => None,
    }
}

/// The fan-out of business events and revocations: publish, and subscribe as a stream.
///
/// Object-safe (`Arc<dyn EventBus>` in [`crate::Services`]), so the process-local
/// [`LocalBus`] can be replaced by a broker-backed one without touching publishers or
/// subscribers. An implementation delivers everything published *in this process* to a
/// subscription made before the publication, in order, by the time `publish_event` or
/// `revoke` returns — followers rely on that to never answer stale after a local change.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes `event` to every current subscriber (none listening is fine).
    fn publish_event(&self, event: BusinessEvent);

    /// Every event published from now on (filter by business yourself).
    fn subscribe(&self) -> Feed<BusinessEvent>;

    /// Tells every holder of a live grant that `revocation` happened (call it after the
    /// change is committed).
    fn revoke(&self, revocation: Revocation);

    /// Every revocation published from now on. A subscriber told [`Received::Missed`]
    /// must treat every grant it follows as changed.
    fn revocations(&self) -> Feed<Revocation>;

    /// Publishes that `kind` happened to `subject_id` in business `business_id`.
    fn publish(&self, business_id: Uuid, kind: BusinessEventKind, subject_id: Uuid) {
        self.publish_event(BusinessEvent {
            business_id,
            kind,
            subject_id,
        });
    }
}

/// A shared bus is a bus, so `&services.events` (an `Arc<dyn EventBus>`) passes where a
/// `&dyn EventBus` is asked for.
impl<B: EventBus + ?Sized> EventBus for std::sync::Arc<B> {
    fn publish_event(&self, event: BusinessEvent) {
        (**self).publish_event(event);
    }

    fn subscribe(&self) -> Feed<BusinessEvent> {
        (**self).subscribe()
    }

    fn revoke(&self, revocation: Revocation) {
        (**self).revoke(revocation);
    }

    fn revocations(&self) -> Feed<Revocation> {
        (**self).revocations()
    }
}

/// The bus of one process: tokio broadcast channels (1,024 items kept for a slow
/// subscriber before it is told it missed some).
#[derive(Clone, Debug)]
pub struct LocalBus {
    tx: broadcast::Sender<BusinessEvent>,
    revocations: broadcast::Sender<Revocation>,
}

impl Default for LocalBus {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(1024).0,
            revocations: broadcast::channel(1024).0,
        }
    }
}

/// A broadcast receiver as a [`Feed`]: one boxed stream per subscription, nothing
/// allocated per item.
fn feed<T: Clone + Send + 'static>(rx: broadcast::Receiver<T>) -> Feed<T> {
    let items = futures::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(item) => Some((Received::Item(item), rx)),
            Err(RecvError::Lagged(missed)) => Some((Received::Missed(missed), rx)),
            Err(RecvError::Closed) => None,
        }
    });
    Box::pin(items.fuse())
}

impl EventBus for LocalBus {
    fn publish_event(&self, event: BusinessEvent) {
        let _ = self.tx.send(event);
    }

    fn subscribe(&self) -> Feed<BusinessEvent> {
        feed(self.tx.subscribe())
    }

    fn revoke(&self, revocation: Revocation) {
        tracing::debug!(?revocation, "revocation published");
        let _ = self.revocations.send(revocation);
    }

    fn revocations(&self) -> Feed<Revocation> {
        feed(self.revocations.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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

    #[tokio::test]
    async fn revocations_reach_subscribers_at_once() {
        let bus: Arc<dyn EventBus> = Arc::new(LocalBus::default());
        let mut rx = bus.revocations();
        assert_eq!(ready(&mut rx), None, "nothing yet");
        let key_id = Uuid::new_v4();
        bus.revoke(Revocation::ApiKeyRevoked { key_id });
        assert_eq!(
            ready(&mut rx),
            Some(Received::Item(Revocation::ApiKeyRevoked { key_id })),
            "published before the look: seen without waiting"
        );
    }

    #[tokio::test]
    async fn a_subscriber_sees_events_in_order_and_learns_what_it_missed() {
        let bus: Arc<dyn EventBus> = Arc::new(LocalBus::default());
        let mut events = bus.subscribe();
        let (business, subject) = (Uuid::new_v4(), Uuid::new_v4());
        bus.publish(business, BusinessEventKind::TeamsChanged, subject);
        bus.publish(business, BusinessEventKind::DomainAdded, subject);
        let kinds: Vec<_> = [events.next().await, events.next().await]
            .into_iter()
            .map(|r| match r {
                Some(Received::Item(e)) => Some(e.kind),
                _ => None,
            })
            .collect();
        assert_eq!(
            kinds,
            [
                Some(BusinessEventKind::TeamsChanged),
                Some(BusinessEventKind::DomainAdded)
            ]
        );
        for _ in 0..1100 {
            bus.publish(business, BusinessEventKind::ApiKeyCreated, subject);
        }
        assert!(matches!(ready(&mut events), Some(Received::Missed(n)) if n > 0));
        let mut later = bus.subscribe();
        drop(bus);
        assert_eq!(later.next().await, None, "ends with the bus");
        assert_eq!(ready(&mut later), None, "and stays ended");
    }
}
