//! Live updates over `/graphql/ws`.
//!
//! A subscription outlives the moment it was authorised, so an authenticated one follows
//! the bus's revocations: when the credential it was opened with ends or changes
//! (sign-out, password change, removal, role change, business switch, a revoked API key)
//! its stream ends (the client gets `complete`). The principal of a WebSocket connection
//! is read once, at `connection_init`, so a subscription also checks it is still valid
//! when it starts, and the connection itself follows the revocations
//! ([`serve_until_revoked`]): after one, its queries and mutations are unauthenticated.
//! `onlineDomains` needs no credentials and is not affected.

use async_graphql::{Context, Enum, Result, SimpleObject, Subscription as SubscriptionDerive, ID};
use entity::events::{
    BusinessEvent as Event, BusinessEventKind, Feed, Grant, Received, Revocation, Verdict,
};
use futures::{Stream, StreamExt};
use uuid::Uuid;

use super::context::ContextExt;
use super::error::GqlResult;

/// The root of every subscription.
pub struct Subscription;

/// What happened in the business.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum BusinessEventKindGql {
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
    /// An intent was created, changed or deleted, or the intents were reordered (then
    /// `subjectId` is the business).
    IntentsChanged,
    /// A team was created, changed or deleted, or its members were set.
    TeamsChanged,
    /// Opening hours, date overrides or an out-of-office switch changed (`subjectId` is
    /// the business, the team, or the member).
    SchedulesChanged,
    /// A CRM contact was changed, merged away, or got a note or a purchase (`subjectId`
    /// is the contact).
    ContactsChanged,
    /// A callback was asked for, called back, closed or cancelled (`subjectId` is the
    /// callback).
    CallbacksChanged,
    /// The team calls to a domain ring without an intent was set or cleared (`subjectId`
    /// is the domain, or the business when deleting a team cleared several).
    DomainRouteChanged,
    /// A caller requested a call (`subjectId` is the call; read it with `call`). Sent once
    /// the call's record is written, like the three below.
    CallRequested,
    /// A member answered a call.
    CallAnswered,
    /// An answered call ended.
    CallEnded,
    /// A call ended without anyone answering: missed, rejected, cancelled or unavailable.
    CallMissed,
    /// A caller asked to be called back (`subjectId` is the callback; `CALLBACKS_CHANGED`
    /// follows).
    CallbackRequested,
    /// A caller left a message (`subjectId` is the message; `MESSAGES_CHANGED` follows).
    MessageLeft,
    /// A caller left a message, or a member handled or replied to one (`subjectId` is the
    /// message).
    MessagesChanged,
    /// The reward policy changed (`subjectId` is the business) or a reward was redeemed
    /// (`subjectId` is the reward).
    RewardsChanged,
    /// A member pressed "call back now" (`subjectId` is the callback).
    CallingBack,
}

impl From<BusinessEventKind> for BusinessEventKindGql {
    fn from(k: BusinessEventKind) -> Self {
        match k {
            BusinessEventKind::MemberJoined => Self::MemberJoined,
            BusinessEventKind::MemberRemoved => Self::MemberRemoved,
            BusinessEventKind::MemberRoleChanged => Self::MemberRoleChanged,
            BusinessEventKind::InvitationSent => Self::InvitationSent,
            BusinessEventKind::InvitationRevoked => Self::InvitationRevoked,
            BusinessEventKind::ApiKeyCreated => Self::ApiKeyCreated,
            BusinessEventKind::ApiKeyRevoked => Self::ApiKeyRevoked,
            BusinessEventKind::DomainAdded => Self::DomainAdded,
            BusinessEventKind::DomainVerified => Self::DomainVerified,
            BusinessEventKind::DomainRevoked => Self::DomainRevoked,
            BusinessEventKind::DomainRemoved => Self::DomainRemoved,
            BusinessEventKind::IntentsChanged => Self::IntentsChanged,
            BusinessEventKind::TeamsChanged => Self::TeamsChanged,
            BusinessEventKind::SchedulesChanged => Self::SchedulesChanged,
            BusinessEventKind::ContactsChanged => Self::ContactsChanged,
            BusinessEventKind::CallbacksChanged => Self::CallbacksChanged,
            BusinessEventKind::DomainRouteChanged => Self::DomainRouteChanged,
            BusinessEventKind::CallRequested => Self::CallRequested,
            BusinessEventKind::CallAnswered => Self::CallAnswered,
            BusinessEventKind::CallEnded => Self::CallEnded,
            BusinessEventKind::CallMissed => Self::CallMissed,
            BusinessEventKind::CallbackRequested => Self::CallbackRequested,
            BusinessEventKind::MessageLeft => Self::MessageLeft,
            BusinessEventKind::MessagesChanged => Self::MessagesChanged,
            BusinessEventKind::RewardsChanged => Self::RewardsChanged,
            BusinessEventKind::CallingBack => Self::CallingBack,
        }
    }
}

/// An event in the subscriber's business.
#[derive(SimpleObject)]
#[graphql(name = "BusinessEvent")]
pub struct BusinessEventGql {
    pub kind: BusinessEventKindGql,
    /// The member, invitation, API key, domain, intent or team concerned.
    pub subject_id: ID,
}

/// What the `onlineDomains` stream carries between updates.
struct OnlineWatch {
    hub: crate::signaling::Hub,
    db: sea_orm::DatabaseConnection,
    changes: tokio::sync::watch::Receiver<u64>,
    last: Option<Vec<String>>,
}

/// What the `businessEvents` stream follows: the business's events, and the revocations
/// that may end it.
struct EventsWatch {
    events: Feed<Event>,
    revocations: Feed<Revocation>,
    grant: Grant,
    business_id: Uuid,
}

impl EventsWatch {
    /// The next event of the business, or `None` once the grant was revoked (or
    /// revocations were missed, or the bus closed).
    async fn next(&mut self) -> Option<BusinessEventGql> {
        loop {
            tokio::select! {
                biased;
                revoked = self.revocations.next() => match revoked {
                    Some(Received::Item(r)) if r.verdict(&self.grant) == Verdict::Unaffected => {}
                    Some(_) | None => return None,
                },
                event = self.events.next() => match event {
                    Some(Received::Item(e)) if e.business_id == self.business_id => {
                        return Some(BusinessEventGql {
                            kind: e.kind.into(),
                            subject_id: ID(e.subject_id.to_string()),
                        })
                    }
                    Some(_) => {}
                    None => return None,
                },
            }
        }
    }
}

/// Runs a `/graphql/ws` connection (`serve`) and raises `flag` once the credential it was
/// initialised with (`grant`, sent when `connection_init` resolved one) is revoked or
/// changes, or revocations were missed: its later operations are then unauthenticated
/// (the connection stays, as an anonymous one). `revocations` must be followed from
/// before the credentials were read.
pub async fn serve_until_revoked(
    serve: impl std::future::Future<Output = ()>,
    mut revocations: Feed<Revocation>,
    grant: tokio::sync::oneshot::Receiver<Grant>,
    flag: super::Revoked,
) {
    let watch = async move {
        if let Ok(grant) = grant.await {
            loop {
                match revocations.next().await {
                    Some(Received::Item(r)) if r.verdict(&grant) == Verdict::Unaffected => {}
                    Some(_) => {
                        flag.raise();
                        break;
                    }
                    None => break,
                }
            }
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        () = serve => {}
        () = watch => {}
    }
}

/// Presence changes come in bursts (a page of tabs opening); one re-read per burst.
const ONLINE_SETTLE: std::time::Duration = std::time::Duration::from_millis(200);

#[SubscriptionDerive]
impl Subscription {
    /// The verified domains whose business has an agent available now: the current list
    /// at once, then the new list whenever it changes. No credentials needed (the call
    /// page suggests domains from it).
    async fn online_domains(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Vec<String>>> {
        let hub = ctx.data::<crate::signaling::Hub>()?.clone();
        let start = OnlineWatch {
            changes: hub.presence_changes(),
            hub,
            db: ctx.services().db.clone(),
            last: None,
        };
        Ok(futures::stream::unfold(start, |mut w| async move {
            loop {
                if w.last.is_some() {
                    w.changes.changed().await.ok()?;
                    tokio::time::sleep(ONLINE_SETTLE).await;
                    w.changes.borrow_and_update();
                }
                let names = match entity::calls::online::online_domains(&w.db, &w.hub).await {
                    Ok(names) => names,
                    Err(e) => {
                        tracing::error!(error = %e, "listing online domains failed");
                        w.last.get_or_insert_with(Vec::new);
                        continue;
                    }
                };
                if w.last.as_ref() != Some(&names) {
                    w.last = Some(names.clone());
                    return Some((names, w));
                }
            }
        }))
    }

    /// Changes to the current business's members, invitations, API keys, domains,
    /// intents and teams. Ends when the credential it was opened with is revoked or
    /// changes (sign-out, password change, removal, role change, business switch).
    async fn business_events(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = BusinessEventGql>> {
        let principal = ctx.principal()?;
        let services = ctx.services();
        // Follow first, then check: a revocation between the two is still seen.
        let watch = EventsWatch {
            revocations: services.events.revocations(),
            events: services.events.subscribe(),
            grant: Grant::from(principal),
            business_id: principal.business_id,
        };
        entity::auth::sessions::recheck(&services.db, principal)
            .await
            .gql()?;
        Ok(futures::stream::unfold(watch, |mut w| async move {
            let event = w.next().await?;
            Some((event, w))
        }))
    }
}
