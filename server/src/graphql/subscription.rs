//! Live updates over `/graphql/ws`.

use async_graphql::{Context, Enum, Result, SimpleObject, Subscription as SubscriptionDerive, ID};
use entity::events::{BusinessEvent as Event, BusinessEventKind};
use futures::{Stream, StreamExt};

use super::context::ContextExt;

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
    /// intents and teams.
    async fn business_events(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = BusinessEventGql>> {
        let business_id = ctx.principal()?.business_id;
        let rx = ctx.services().events.subscribe();
        Ok(tokio_stream::wrappers::BroadcastStream::new(rx).filter_map(
            move |e: Result<Event, _>| async move {
                e.ok()
                    .filter(|e| e.business_id == business_id)
                    .map(|e| BusinessEventGql {
                        kind: e.kind.into(),
                        subject_id: ID(e.subject_id.to_string()),
                    })
            },
        ))
    }
}
