//! An endpoint's delivery log, "send test event" and "resend".
//!
//! The log is the outbox itself: each row says where its delivery stands (pending,
//! delivered, failed), how many attempts it took, when the next one is due and how the
//! last one went — our short words, never the receiver's body. It pages newest first by
//! id (UUIDv7), Relay-style: a cursor is the last id seen.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    prelude::*, PaginatorTrait, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde::Serialize;

use super::events::{body, EventType};
use super::{endpoints, outbox, DELIVERED, FAILED, PENDING};
use crate::auth::Principal;
use crate::entities::webhook_delivery;
use crate::DomainError;

/// The longest page of a log.
pub const MAX_PAGE: u64 = 100;
/// Test events an endpoint may be sent in any hour.
pub const TESTS_PER_HOUR: u64 = 20;

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt, or in one.
    Pending,
    /// Accepted by the receiver (`2xx`).
    Delivered,
    /// Out of attempts, or its endpoint is disabled or gone.
    Failed,
}

impl DeliveryStatus {
    /// The stored form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => PENDING,
            Self::Delivered => DELIVERED,
            Self::Failed => FAILED,
        }
    }

    fn parse(stored: &str) -> Self {
        match stored {
            DELIVERED => Self::Delivered,
            FAILED => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// One delivery, as its log shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryView {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_http_status: Option<i32>,
    pub last_response_ms: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The body sent, exactly.
    pub payload: String,
}

impl DeliveryView {
    /// Its `webhook-id`.
    #[must_use]
    pub fn webhook_id(&self) -> String {
        super::webhook_id(self.id)
    }
}

fn view(row: webhook_delivery::Model) -> DeliveryView {
    DeliveryView {
        id: row.id,
        endpoint_id: row.endpoint_id,
        event_type: row.event_type,
        status: DeliveryStatus::parse(&row.status),
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_attempt_at: row.last_attempt_at,
        last_http_status: row.last_http_status,
        last_response_ms: row.last_response_ms,
        last_error: row.last_error,
        delivered_at: row.delivered_at,
        created_at: row.created_at,
        payload: row.payload,
    }
}

/// A page of a log, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<DeliveryView>,
    /// Whether older deliveries follow the last item.
    pub has_next: bool,
}

/// The deliveries of one of the business's endpoints, newest first: `first` of them
/// (at most [`MAX_PAGE`]) older than `after`, only those in `status` when given.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when the endpoint is not one of the business's.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    endpoint_id: Uuid,
    status: Option<DeliveryStatus>,
    after: Option<Uuid>,
    first: u64,
) -> Result<Page, DomainError> {
    principal.require_manager()?;
    endpoints::find(db, principal, endpoint_id).await?;
    let first = first.clamp(1, MAX_PAGE);
    let mut query = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::BusinessId.eq(principal.business_id))
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id));
    if let Some(status) = status {
        query = query.filter(webhook_delivery::Column::Status.eq(status.as_str()));
    }
    if let Some(after) = after {
        query = query.filter(webhook_delivery::Column::Id.lt(after));
    }
    let mut rows = query
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(Page {
        items: rows.into_iter().map(view).collect(),
        has_next,
    })
}

async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<webhook_delivery::Model, DomainError> {
    webhook_delivery::Entity::find_by_id(id)
        .filter(webhook_delivery::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("webhook delivery"))
}

/// The `data` of a test event.
#[derive(Serialize)]
struct TestData {
    endpoint_id: Uuid,
    message: &'static str,
}

/// Queues a `webhook.test` delivery to one of the business's endpoints (also a disabled
/// one, to try it before turning it on); returns it, pending.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when the endpoint is not one of the business's;
/// `RateLimited` past [`TESTS_PER_HOUR`] tests of the endpoint in the last hour.
pub async fn send_test(
    db: &(impl ConnectionTrait + TransactionTrait),
    principal: &Principal,
    endpoint_id: Uuid,
) -> Result<DeliveryView, DomainError> {
    principal.require_manager()?;
    let now = Utc::now();
    let txn = crate::tx::begin_write(db).await?;
    endpoints::find(&txn, principal, endpoint_id).await?;
    let hour_ago = now - chrono::Duration::hours(1);
    let recent = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .filter(webhook_delivery::Column::EventType.eq(EventType::WebhookTest.as_str()))
        .filter(webhook_delivery::Column::CreatedAt.gt(hour_ago))
        .order_by_asc(webhook_delivery::Column::CreatedAt);
    if recent.clone().count(&txn).await? >= TESTS_PER_HOUR {
        let oldest = recent.one(&txn).await?.map_or(now, |d| d.created_at);
        let wait = (oldest + chrono::Duration::hours(1) - now)
            .num_seconds()
            .max(1);
        return Err(DomainError::RateLimited {
            retry_after_secs: u64::try_from(wait).unwrap_or(3600),
        });
    }
    let data = TestData {
        endpoint_id,
        message: "A test event from domaincall: this endpoint receives signed deliveries.",
    };
    let text = body(EventType::WebhookTest, now, &data)
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    let row = outbox::row(
        principal.business_id,
        endpoint_id,
        EventType::WebhookTest,
        text,
        now,
    )
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(view(row))
}

/// Sends a past delivery again, with the same `webhook-id`: a delivered or failed one
/// gets one new attempt; a pending one is tried now instead of at its next attempt.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not one of the business's deliveries;
/// `Conflict` while an attempt of it is under way.
pub async fn resend(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<DeliveryView, DomainError> {
    principal.require_manager()?;
    let row = find(db, principal, id).await?;
    let now = Utc::now();
    let limit = if row.status == PENDING {
        row.attempt_limit
    } else {
        Some(row.attempts.saturating_add(1))
    };
    let changed = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(PENDING))
        .col_expr(webhook_delivery::Column::Round, Expr::value(row.round + 1))
        .col_expr(webhook_delivery::Column::AttemptLimit, Expr::value(limit))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            webhook_delivery::Column::QueuedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(webhook_delivery::Column::Id.eq(id))
        .filter(webhook_delivery::Column::BusinessId.eq(principal.business_id))
        .filter(webhook_delivery::Column::Round.eq(row.round))
        .filter(super::dispatch::not_sending(now))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(DomainError::Conflict(
            "This delivery is being sent right now; look at its log again in a few seconds."
                .to_owned(),
        ));
    }
    Ok(view(find(db, principal, id).await?))
}

/// Removes deliveries made before `cutoff` (the log keeps
/// [`super::LOG_RETENTION_DAYS`] days).
///
/// # Errors
/// A database failure.
pub async fn purge_before(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    let done = webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::CreatedAt.lt(cutoff))
        .filter(webhook_delivery::Column::Status.ne(PENDING))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
