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
        }
    }
}

/// An event in the subscriber's business.
#[derive(SimpleObject)]
#[graphql(name = "BusinessEvent")]
pub struct BusinessEventGql {
    pub kind: BusinessEventKindGql,
    /// The member, invitation, API key or domain concerned.
    pub subject_id: ID,
}

#[SubscriptionDerive]
impl Subscription {
    /// Changes to the current business's members, invitations and API keys.
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
