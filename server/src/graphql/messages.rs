//! Messages over GraphQL: the business's messages, handling them and replying by calling
//! back. Thin: parse ids, call `entity::messages::store`, map the views. Another
//! business's ids are `NOT_FOUND`.

use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::messages::{store, MessageStatus, MessageView};
use entity::DomainError;
use uuid::Uuid;

use super::callbacks::Callback;
use super::context::ContextExt;
use super::error::{gql, GqlResult};

/// Where a message stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "MessageStatus")]
pub enum MessageStatusGql {
    /// Nobody has dealt with it yet.
    New,
    /// A member marked it handled, or replied.
    Handled,
}

impl From<MessageStatus> for MessageStatusGql {
    fn from(s: MessageStatus) -> Self {
        match s {
            MessageStatus::New => Self::New,
            MessageStatus::Handled => Self::Handled,
        }
    }
}

impl From<MessageStatusGql> for MessageStatus {
    fn from(s: MessageStatusGql) -> Self {
        match s {
            MessageStatusGql::New => Self::New,
            MessageStatusGql::Handled => Self::Handled,
        }
    }
}

/// What a caller nobody could answer left: a text, a voice recording, or both.
#[derive(SimpleObject)]
pub struct Message {
    pub id: ID,
    pub status: MessageStatusGql,
    /// The caller identity that left it: a guest name or a verified domain.
    pub caller_name: String,
    pub caller_verified: bool,
    /// The business domain they called.
    pub called_domain: String,
    /// Where to reach the caller, if they said.
    pub email: Option<String>,
    pub name: Option<String>,
    pub text: Option<String>,
    pub intent_id: Option<ID>,
    pub intent_label: Option<String>,
    pub contact_id: Option<ID>,
    /// The recording's type (`audio/webm`, `audio/ogg`); null for a text-only message.
    pub audio_type: Option<String>,
    /// How long the recording plays, read off its bytes.
    pub audio_duration_ms: Option<i64>,
    pub audio_bytes: Option<i64>,
    /// Where a signed-in dashboard plays the recording (a path on this server).
    pub audio_path: Option<String>,
    pub handled_by_name: Option<String>,
    pub handled_at: Option<DateTime<Utc>>,
    /// The callback a reply started.
    pub callback_id: Option<ID>,
    pub created_at: DateTime<Utc>,
}

impl From<MessageView> for Message {
    fn from(m: MessageView) -> Self {
        let id = |u: Uuid| ID(u.to_string());
        Self {
            audio_path: m.audio_path(),
            id: id(m.id),
            status: m.status.into(),
            caller_name: m.caller_name,
            caller_verified: m.caller_verified,
            called_domain: m.called_domain,
            email: m.email,
            name: m.name,
            text: m.text,
            intent_id: m.intent_id.map(id),
            intent_label: m.intent_label,
            contact_id: m.contact_id.map(id),
            audio_type: m.audio_type,
            audio_duration_ms: m.audio_ms,
            audio_bytes: m.audio_bytes,
            handled_by_name: m.handled_by_name,
            handled_at: m.handled_at,
            callback_id: m.callback_id.map(id),
            created_at: m.created_at,
        }
    }
}

fn parse_id(id: &ID) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound("message")))
}

/// Message queries.
#[derive(Default)]
pub struct MessagesQuery;

#[Object]
impl MessagesQuery {
    /// The current business's messages, newest first (at most 200): all, or those of
    /// `status`.
    async fn messages(
        &self,
        ctx: &Context<'_>,
        status: Option<MessageStatusGql>,
    ) -> Result<Vec<Message>> {
        let list = store::list(&ctx.services().db, ctx.principal()?, status.map(Into::into))
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// One message of the current business.
    async fn message(&self, ctx: &Context<'_>, id: ID) -> Result<Message> {
        let id = parse_id(&id)?;
        let view = store::get(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(view.into())
    }
}

/// Message mutations (every member).
#[derive(Default)]
pub struct MessagesMutation;

#[Object]
impl MessagesMutation {
    /// Marks a message handled (`handled: false`: new again).
    #[graphql(complexity = 10)]
    async fn set_message_handled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        handled: bool,
    ) -> Result<Message> {
        let id = parse_id(&id)?;
        let view = store::set_handled(ctx.services(), ctx.principal()?, id, handled, Utc::now())
            .await
            .gql()?;
        Ok(view.into())
    }

    /// Replies by calling back as the current member: a callback for the message's email
    /// that is called back at once (the caller gets a link that rings this member); the
    /// message is handled. `CONFLICT` for a message without an email or already replied to.
    #[graphql(complexity = 10)]
    async fn reply_to_message(&self, ctx: &Context<'_>, id: ID) -> Result<Callback> {
        let id = parse_id(&id)?;
        let view = store::reply(ctx.services(), ctx.principal()?, id, Utc::now())
            .await
            .gql()?;
        Ok(view.into())
    }
}
