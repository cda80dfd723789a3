//! The relay: moves due deliveries from the outbox to the job queue.
//!
//! Producers write delivery rows in their own transactions and cannot queue jobs there
//! (the queue writes through another connection), so this loop looks for due rows every
//! poll interval, claims each (a conditional update, so several processes can run it) and
//! queues a `deliver_webhook` job for it. A job the queue refuses is released for the next
//! pass; one lost after queueing is claimed again after a while (see
//! `entity::webhooks::dispatch`).

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use entity::webhooks::dispatch;
use sea_orm::DatabaseConnection;

use crate::deliver_webhook::DeliverWebhook;
use crate::queue::Queue;

/// Deliveries queued per pass at most.
const BATCH: u64 = 200;

/// Queues every due delivery once; returns how many were queued.
///
/// # Errors
/// A database failure.
pub async fn queue_due(db: &DatabaseConnection, queue: &Queue) -> Result<usize, sea_orm::DbErr> {
    let now = Utc::now();
    let mut queued = 0;
    for (delivery_id, round) in dispatch::due(db, now, BATCH).await? {
        if !dispatch::claim(db, delivery_id, round, now).await? {
            continue;
        }
        match queue.push(DeliverWebhook { delivery_id, round }).await {
            Ok(()) => queued += 1,
            Err(e) => {
                tracing::warn!(error = %e, delivery = %delivery_id, "could not queue a webhook delivery");
                dispatch::release(db, delivery_id, round).await?;
            }
        }
    }
    Ok(queued)
}

/// Runs [`queue_due`] every `interval` until `shutdown` resolves.
pub async fn run(
    db: DatabaseConnection,
    queue: Queue,
    interval: Duration,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticks.tick() => {
                if let Err(e) = queue_due(&db, &queue).await {
                    tracing::error!(error = %e, "queueing due webhook deliveries failed");
                }
            }
        }
    }
}
