//! The GraphQL shapes of webhook endpoints and deliveries.

use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, Enum, InputObject, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::webhooks::deliveries::{self, DeliveryStatus, DeliveryView, MAX_PAGE};
use entity::webhooks::endpoints::{EndpointView, WithSecret};
use entity::webhooks::{parse_webhook_id, EventType};
use entity::DomainError;

use crate::graphql::context::ContextExt;
use crate::graphql::error::{gql, GqlResult};

/// An event an endpoint can subscribe to; the body's `type` is its wire name.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum WebhookEventType {
    /// `call.requested`: a caller asked for a call.
    CallRequested,
    /// `call.answered`: a member answered.
    CallAnswered,
    /// `call.ended`: an answered call ended.
    CallEnded,
    /// `call.missed`: a call ended without an answer.
    CallMissed,
    /// `contact.created` (sent once the CRM records contacts).
    ContactCreated,
    /// `contact.updated` (sent once the CRM records contacts).
    ContactUpdated,
    /// `purchase.recorded` (sent once integrations record purchases).
    PurchaseRecorded,
    /// `callback.requested`: a caller asked to be called back.
    CallbackRequested,
    /// `callback.scheduled`: a callback was booked for a time (again at a reschedule).
    CallbackScheduled,
    /// `callback.done`: a member marked a callback done.
    CallbackDone,
    /// `callback.cancelled`: a member or the caller cancelled a callback.
    CallbackCancelled,
    /// `message.received`: a caller left a message.
    MessageReceived,
    /// `reward.issued`: a caller earned a reward for waiting.
    RewardIssued,
}

impl WebhookEventType {
    /// The wire name.
    pub fn wire(self) -> &'static str {
        EventType::from(self).as_str()
    }
}

impl From<WebhookEventType> for EventType {
    fn from(t: WebhookEventType) -> Self {
        match t {
            WebhookEventType::CallRequested => Self::CallRequested,
            WebhookEventType::CallAnswered => Self::CallAnswered,
            WebhookEventType::CallEnded => Self::CallEnded,
            WebhookEventType::CallMissed => Self::CallMissed,
            WebhookEventType::ContactCreated => Self::ContactCreated,
            WebhookEventType::ContactUpdated => Self::ContactUpdated,
            WebhookEventType::PurchaseRecorded => Self::PurchaseRecorded,
            WebhookEventType::CallbackRequested => Self::CallbackRequested,
            WebhookEventType::CallbackScheduled => Self::CallbackScheduled,
            WebhookEventType::CallbackDone => Self::CallbackDone,
            WebhookEventType::CallbackCancelled => Self::CallbackCancelled,
            WebhookEventType::MessageReceived => Self::MessageReceived,
            WebhookEventType::RewardIssued => Self::RewardIssued,
        }
    }
}

impl WebhookEventType {
    fn of(t: EventType) -> Option<Self> {
        Some(match t {
            EventType::CallRequested => Self::CallRequested,
            EventType::CallAnswered => Self::CallAnswered,
            EventType::CallEnded => Self::CallEnded,
            EventType::CallMissed => Self::CallMissed,
            EventType::ContactCreated => Self::ContactCreated,
            EventType::ContactUpdated => Self::ContactUpdated,
            EventType::PurchaseRecorded => Self::PurchaseRecorded,
            EventType::CallbackRequested => Self::CallbackRequested,
            EventType::CallbackScheduled => Self::CallbackScheduled,
            EventType::CallbackDone => Self::CallbackDone,
            EventType::CallbackCancelled => Self::CallbackCancelled,
            EventType::MessageReceived => Self::MessageReceived,
            EventType::RewardIssued => Self::RewardIssued,
            EventType::WebhookTest => return None,
        })
    }
}

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum WebhookDeliveryStatus {
    /// Waiting for its next attempt, or in one.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Out of attempts, or its endpoint is disabled.
    Failed,
}

impl From<DeliveryStatus> for WebhookDeliveryStatus {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Failed => Self::Failed,
        }
    }
}

impl From<WebhookDeliveryStatus> for DeliveryStatus {
    fn from(s: WebhookDeliveryStatus) -> Self {
        match s {
            WebhookDeliveryStatus::Pending => Self::Pending,
            WebhookDeliveryStatus::Delivered => Self::Delivered,
            WebhookDeliveryStatus::Failed => Self::Failed,
        }
    }
}

/// A URL the business receives signed events at.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct WebhookEndpoint {
    pub id: ID,
    pub url: String,
    pub description: String,
    /// What it receives.
    pub events: Vec<WebhookEventType>,
    pub enabled: bool,
    /// Why it turned itself off (the receiver answered 410 Gone); cleared by enabling it.
    pub disabled_reason: Option<String>,
    /// After a rotation: until when the previous secret also signs deliveries.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EndpointView> for WebhookEndpoint {
    fn from(e: EndpointView) -> Self {
        Self {
            id: ID(e.id.to_string()),
            url: e.url,
            description: e.description,
            events: e
                .events
                .into_iter()
                .filter_map(WebhookEventType::of)
                .collect(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            previous_secret_expires_at: e.previous_secret_expires_at,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[ComplexObject]
impl WebhookEndpoint {
    /// Its delivery log, newest first (Relay cursor pagination: `first` up to 100, default
    /// 20; `after` is an `endCursor`), only deliveries in `status` when given.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<WebhookDeliveryStatus>,
    ) -> Result<Connection<String, WebhookDelivery>> {
        let first = match first {
            None => 20,
            Some(n) if (1..=100).contains(&n) => u64::try_from(n).unwrap_or(20),
            Some(_) => {
                return Err(gql(DomainError::invalid(
                    "first",
                    format!("Ask for 1 to {MAX_PAGE} deliveries at a time."),
                )))
            }
        };
        let after = after
            .map(|c| {
                parse_webhook_id(&c).ok_or_else(|| {
                    gql(DomainError::invalid(
                        "after",
                        "This is not a cursor of this log.",
                    ))
                })
            })
            .transpose()?;
        let endpoint = super::parse_id(&self.id, "webhook endpoint")?;
        let page = deliveries::list(
            &ctx.services().db,
            ctx.principal()?,
            endpoint,
            status.map(Into::into),
            after,
            first,
        )
        .await
        .gql()?;
        let mut connection = Connection::new(after.is_some(), page.has_next);
        connection.edges.extend(page.items.into_iter().map(|d| {
            let node = WebhookDelivery::from(d);
            async_graphql::connection::Edge::new(node.id.0.clone(), node)
        }));
        Ok(connection)
    }
}

/// One event sent to one endpoint, with how its attempts went.
#[derive(SimpleObject)]
pub struct WebhookDelivery {
    /// `msg_…`: the `webhook-id` header, the same on every attempt (and after a resend).
    pub id: ID,
    pub endpoint_id: ID,
    /// The body's `type` (`call.requested`, …, or `webhook.test`).
    pub event_type: String,
    pub status: WebhookDeliveryStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// The HTTP status of the last answer.
    pub http_status: Option<i32>,
    /// How long the last attempt waited for the answer.
    pub response_time_ms: Option<i64>,
    /// What went wrong last, in our words (never the receiver's body).
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The exact body sent.
    pub payload: String,
}

impl From<DeliveryView> for WebhookDelivery {
    fn from(d: DeliveryView) -> Self {
        Self {
            id: ID(d.webhook_id()),
            endpoint_id: ID(d.endpoint_id.to_string()),
            event_type: d.event_type,
            status: d.status.into(),
            attempts: d.attempts,
            http_status: d.last_http_status,
            response_time_ms: d.last_response_ms,
            last_error: d.last_error,
            last_attempt_at: d.last_attempt_at,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
            payload: d.payload,
        }
    }
}

/// An endpoint and its new signing secret, shown only in this answer.
#[derive(SimpleObject)]
pub struct WebhookSecret {
    /// `whsec_…` (Standard Webhooks: base64 of the key after the prefix).
    pub secret: String,
    pub endpoint: WebhookEndpoint,
}

impl From<WithSecret> for WebhookSecret {
    fn from(w: WithSecret) -> Self {
        Self {
            secret: w.secret,
            endpoint: w.endpoint.into(),
        }
    }
}

/// A new endpoint.
#[derive(InputObject)]
pub struct WebhookEndpointInput {
    /// An `http://` or `https://` URL on the public Internet.
    pub url: String,
    /// At least one event.
    pub events: Vec<WebhookEventType>,
    #[graphql(default = true)]
    pub enabled: bool,
    /// A note for the business (at most 200 characters).
    #[graphql(default)]
    pub description: String,
}

/// A change to an endpoint; omitted fields stay as they are.
#[derive(InputObject)]
pub struct WebhookEndpointUpdate {
    pub url: Option<String>,
    pub events: Option<Vec<WebhookEventType>>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
}

/// Wire names of `events`.
pub fn wire_names(events: &[WebhookEventType]) -> Vec<String> {
    events.iter().map(|e| e.wire().to_owned()).collect()
}
