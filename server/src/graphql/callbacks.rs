//! Callbacks over GraphQL: the business's callbacks, "call back now" and closing them.
//! Thin: parse ids, call `entity::callbacks::store`, map the views. Another business's
//! ids are `NOT_FOUND`.

use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::callbacks::{store, CallbackStatus, CallbackView};
use entity::DomainError;
use uuid::Uuid;

use super::context::ContextExt;
use super::error::{gql, GqlResult};

/// Where a callback stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CallbackStatus")]
pub enum CallbackStatusGql {
    /// Asked for; nobody has called back yet.
    Pending,
    /// Asked for at a slot the caller booked (`slotAt`).
    Scheduled,
    /// A member called back: the caller has a link that rings them.
    InProgress,
    Done,
    Cancelled,
    Expired,
}

impl From<CallbackStatus> for CallbackStatusGql {
    fn from(s: CallbackStatus) -> Self {
        match s {
            CallbackStatus::Pending => Self::Pending,
            CallbackStatus::Scheduled => Self::Scheduled,
            CallbackStatus::InProgress => Self::InProgress,
            CallbackStatus::Done => Self::Done,
            CallbackStatus::Cancelled => Self::Cancelled,
            CallbackStatus::Expired => Self::Expired,
        }
    }
}

impl From<CallbackStatusGql> for CallbackStatus {
    fn from(s: CallbackStatusGql) -> Self {
        match s {
            CallbackStatusGql::Pending => Self::Pending,
            CallbackStatusGql::Scheduled => Self::Scheduled,
            CallbackStatusGql::InProgress => Self::InProgress,
            CallbackStatusGql::Done => Self::Done,
            CallbackStatusGql::Cancelled => Self::Cancelled,
            CallbackStatusGql::Expired => Self::Expired,
        }
    }
}

/// A caller nobody could answer who asked to be called back.
#[derive(SimpleObject)]
pub struct Callback {
    pub id: ID,
    pub status: CallbackStatusGql,
    /// Where to reach the caller.
    pub email: String,
    pub name: Option<String>,
    pub note: Option<String>,
    /// The caller identity that asked: a guest name or a verified domain.
    pub caller_name: String,
    pub caller_verified: bool,
    /// The business domain they called.
    pub called_domain: String,
    pub intent_id: Option<ID>,
    pub intent_label: Option<String>,
    pub contact_id: Option<ID>,
    /// The member calling back.
    pub member_id: Option<ID>,
    pub member_name: Option<String>,
    /// When a scheduled callback is due (the slot the caller booked).
    pub slot_at: Option<DateTime<Utc>>,
    /// Until when it is planned (the slot's end).
    pub slot_end: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CallbackView> for Callback {
    fn from(c: CallbackView) -> Self {
        let id = |u: Uuid| ID(u.to_string());
        Self {
            id: id(c.id),
            status: c.status.into(),
            email: c.email,
            name: c.name,
            note: c.note,
            caller_name: c.caller_name,
            caller_verified: c.caller_verified,
            called_domain: c.called_domain,
            intent_id: c.intent_id.map(id),
            intent_label: c.intent_label,
            contact_id: c.contact_id.map(id),
            member_id: c.member_id.map(id),
            member_name: c.member_name,
            slot_at: c.slot_at,
            slot_end: c.slot_end,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

fn parse_id(id: &ID) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound("callback")))
}

/// Callback queries.
#[derive(Default)]
pub struct CallbacksQuery;

#[Object]
impl CallbacksQuery {
    /// The current business's callbacks, newest first (at most 200): the open ones
    /// (pending, scheduled and in progress), or those of `status`.
    async fn callbacks(
        &self,
        ctx: &Context<'_>,
        status: Option<CallbackStatusGql>,
    ) -> Result<Vec<Callback>> {
        let list = store::list(&ctx.services().db, ctx.principal()?, status.map(Into::into))
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }
}

/// Callback mutations (every member).
#[derive(Default)]
pub struct CallbacksMutation;

#[Object]
impl CallbacksMutation {
    /// Calls the caller back as the current member: they get an email with a link that
    /// rings this member (an earlier link stops working). `CONFLICT` for a closed callback.
    #[graphql(complexity = 10)]
    async fn call_back_now(&self, ctx: &Context<'_>, id: ID) -> Result<Callback> {
        let id = parse_id(&id)?;
        let view = store::call_back_now(ctx.services(), ctx.principal()?, id, Utc::now())
            .await
            .gql()?;
        Ok(view.into())
    }

    /// Assigns an open callback to a member of the business (`memberId` null: to nobody).
    /// `NOT_FOUND` for someone who is not a member; `CONFLICT` for a closed callback.
    #[graphql(complexity = 10)]
    async fn assign_callback(
        &self,
        ctx: &Context<'_>,
        id: ID,
        member_id: Option<ID>,
    ) -> Result<Callback> {
        let id = parse_id(&id)?;
        let member = member_id
            .map(|m| Uuid::parse_str(m.as_str()).map_err(|_| gql(DomainError::NotFound("member"))))
            .transpose()?;
        let s = ctx.services();
        let view = store::assign(
            &s.db,
            s.events.as_ref(),
            ctx.principal()?,
            id,
            member,
            Utc::now(),
        )
        .await
        .gql()?;
        Ok(view.into())
    }

    /// Moves an open callback to the free time `slotAt` (one of `callbackSlots`' starts): the
    /// old time's seat is given back, the caller is mailed the new time with a calendar
    /// file. `VALIDATION` for a time not offered; `CONFLICT` for a time just taken or a
    /// closed callback.
    #[graphql(complexity = 10)]
    async fn reschedule_callback(
        &self,
        ctx: &Context<'_>,
        id: ID,
        slot_at: DateTime<Utc>,
    ) -> Result<Callback> {
        let id = parse_id(&id)?;
        let view = entity::callbacks::reschedule::reschedule(
            ctx.services(),
            ctx.principal()?,
            id,
            slot_at,
            Utc::now(),
        )
        .await
        .gql()?;
        Ok(view.into())
    }

    /// Marks a callback `DONE`, `CANCELLED` or `PENDING` again; `VALIDATION` for the
    /// other statuses (they come from calling back and from time).
    #[graphql(complexity = 10)]
    async fn set_callback_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: CallbackStatusGql,
    ) -> Result<Callback> {
        let id = parse_id(&id)?;
        let s = ctx.services();
        let view = store::set_status(
            &s.db,
            s.events.as_ref(),
            ctx.principal()?,
            id,
            status.into(),
            Utc::now(),
        )
        .await
        .gql()?;
        Ok(view.into())
    }
}
