//! The delivery job's state changes, each one conditional update so that several relays
//! and workers can share the outbox:
//!
//! 1. [`due`] + [`claim`]: the relay marks a due delivery queued (`queued_at`) and queues
//!    one job naming it and its round; a job lost in a crash is re-queued after
//!    [`REQUEUE_AFTER_MINUTES`].
//! 2. [`start`]: the job takes the delivery for one attempt (`sending_until`) only if it is
//!    still pending, of the job's round, due, and no other attempt holds it — so a job run
//!    twice, or one left over from before a resend, sends nothing, and a delivery the
//!    receiver accepted is never sent again.
//! 3. [`record`]: the attempt's outcome moves the delivery on (delivered, next attempt,
//!    failed) and releases it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{prelude::*, QueryOrder, QuerySelect};

use super::schedule::{AttemptOutcome, Next, RetrySchedule};
use super::{EventType, DELIVERED, FAILED, PENDING};
use crate::entities::{webhook_delivery as delivery, webhook_endpoint as endpoint};

/// A queued job that has not started after this long is presumed lost and queued again.
pub const REQUEUE_AFTER_MINUTES: i64 = 10;
/// How long one attempt holds its delivery (well above the request timeout).
pub const ATTEMPT_LOCK_SECS: i64 = 60;

/// No attempt holds the delivery at `now`.
pub(crate) fn not_sending(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(delivery::Column::SendingUntil.is_null())
        .add(delivery::Column::SendingUntil.lt(now))
}

/// Not queued, or queued so long ago that the job must have been lost.
fn not_queued(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(delivery::Column::QueuedAt.is_null())
        .add(delivery::Column::QueuedAt.lt(now - chrono::Duration::minutes(REQUEUE_AFTER_MINUTES)))
}

/// Up to `limit` deliveries due at `now` that need a job: `(id, round)`, oldest first.
///
/// # Errors
/// A database failure.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(Uuid, i32)>, DbErr> {
    delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .column(delivery::Column::Round)
        .filter(delivery::Column::Status.eq(PENDING))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .filter(not_queued(now))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .order_by_asc(delivery::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// Marks `(id, round)` queued; `false` when another relay did first.
///
/// # Errors
/// A database failure.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: Uuid,
    round: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = delivery::Entity::update_many()
        .col_expr(delivery::Column::QueuedAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Round.eq(round))
        .filter(delivery::Column::Status.eq(PENDING))
        .filter(not_queued(now))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Undoes [`claim`] (the queue could not take the job), so the next pass tries again.
///
/// # Errors
/// A database failure.
pub async fn release(db: &impl ConnectionTrait, id: Uuid, round: i32) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::QueuedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Round.eq(round))
        .exec(db)
        .await?;
    Ok(())
}

/// A delivery taken for one attempt, with its endpoint.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub delivery: delivery::Model,
    pub endpoint: endpoint::Model,
    /// When the attempt started.
    pub started: DateTime<Utc>,
}

impl Attempt {
    /// Whether the endpoint takes this delivery: enabled, or it is a test event.
    #[must_use]
    pub fn endpoint_takes_it(&self) -> bool {
        self.endpoint.enabled || self.delivery.event_type == EventType::WebhookTest.as_str()
    }
}

/// Takes `(id, round)` for an attempt at `now`, or `None` when it must not be sent: gone,
/// of another round, already delivered or failed, not due yet, or held by another attempt.
///
/// # Errors
/// A database failure.
pub async fn start(
    db: &impl ConnectionTrait,
    id: Uuid,
    round: i32,
    now: DateTime<Utc>,
) -> Result<Option<Attempt>, DbErr> {
    let taken = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::SendingUntil,
            Expr::value(now + chrono::Duration::seconds(ATTEMPT_LOCK_SECS)),
        )
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Round.eq(round))
        .filter(delivery::Column::Status.eq(PENDING))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .filter(not_sending(now))
        .exec(db)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(None);
    }
    let Some(row) = delivery::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let Some(endpoint) = endpoint::Entity::find_by_id(row.endpoint_id)
        .filter(endpoint::Column::BusinessId.eq(row.business_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Attempt {
        delivery: row,
        endpoint,
        started: now,
    }))
}

/// Records how `attempt` went at `now` and releases the delivery; returns where it went.
/// `jitter` is a random draw in `[0, 1)` for the retry's spread.
///
/// # Errors
/// A database failure.
pub async fn record(
    db: &impl ConnectionTrait,
    attempt: &Attempt,
    outcome: &AttemptOutcome,
    schedule: &RetrySchedule,
    now: DateTime<Utc>,
    jitter: f64,
) -> Result<Next, DbErr> {
    let row = &attempt.delivery;
    let made = row.attempts.saturating_add(1);
    let limit = row
        .attempt_limit
        .map_or(schedule.attempts, |l| u32::try_from(l).unwrap_or(1));
    let next = outcome.next(
        schedule,
        u32::try_from(made).unwrap_or(u32::MAX),
        limit,
        now,
        jitter,
    );
    let none = Option::<DateTime<Utc>>::None;
    let (status, next_at, delivered_at) = match &next {
        Next::Delivered => (DELIVERED, None, Some(now)),
        Next::RetryAt(at) => (PENDING, Some(*at), None),
        Next::Failed | Next::Gone => (FAILED, None, None),
    };
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(status))
        .col_expr(delivery::Column::Attempts, Expr::value(made))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(next_at))
        .col_expr(delivery::Column::DeliveredAt, Expr::value(delivered_at))
        .col_expr(
            delivery::Column::LastAttemptAt,
            Expr::value(attempt.started),
        )
        .col_expr(
            delivery::Column::LastHttpStatus,
            Expr::value(outcome.http_status().map(i32::from)),
        )
        .col_expr(
            delivery::Column::LastResponseMs,
            Expr::value(outcome.elapsed_ms()),
        )
        .col_expr(delivery::Column::LastError, Expr::value(outcome.error()))
        .col_expr(delivery::Column::QueuedAt, Expr::value(none))
        .col_expr(delivery::Column::SendingUntil, Expr::value(none))
        .filter(delivery::Column::Id.eq(row.id))
        .filter(delivery::Column::Round.eq(row.round))
        .exec(db)
        .await?;
    if next == Next::Gone {
        endpoint::Entity::update_many()
            .col_expr(endpoint::Column::Enabled, Expr::value(false))
            .col_expr(
                endpoint::Column::DisabledReason,
                Expr::value(outcome.error()),
            )
            .col_expr(endpoint::Column::UpdatedAt, Expr::value(now))
            .filter(endpoint::Column::Id.eq(attempt.endpoint.id))
            .filter(endpoint::Column::BusinessId.eq(row.business_id))
            .exec(db)
            .await?;
        tracing::warn!(endpoint = %attempt.endpoint.id, "webhook endpoint answered 410 Gone; disabled");
    }
    Ok(next)
}
