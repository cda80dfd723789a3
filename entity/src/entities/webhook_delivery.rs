use sea_orm::entity::prelude::*;

/// One event for one endpoint: the outbox row, its schedule and its log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// UUIDv7; `msg_<simple hex>` is the `webhook-id` header, the same on every attempt.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    pub endpoint_id: Uuid,
    /// `call.requested`, `webhook.test`, …
    pub event_type: String,
    /// The exact body sent (JSON `{type, timestamp, data}`), the same bytes every attempt.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Bumped by each resend; a job names the round it was queued for, so a job of an
    /// earlier round never sends.
    pub round: i32,
    /// Attempts made so far (all rounds).
    pub attempts: i32,
    /// The attempt count at which the delivery fails; `None` is the configured limit.
    pub attempt_limit: Option<i32>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTimeUtc>,
    /// When a job was queued for the due attempt (cleared when the attempt is recorded).
    pub queued_at: Option<DateTimeUtc>,
    /// While an attempt is in flight: no other attempt may start before this.
    pub sending_until: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub last_http_status: Option<i32>,
    pub last_response_ms: Option<i64>,
    /// Short, ours: never the receiver's body.
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
