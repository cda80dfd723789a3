//! The `deliver_webhook` job: one attempt of one webhook delivery.
//!
//! Queued by the relay ([`crate::webhooks::relay`]) for a delivery that is due. The attempt
//! and its outcome (delivered, next attempt, failed) are the [`Deliverer`]'s; the job only
//! fails — and is retried by the worker with backoff — when the database does.
//!
//! [`Deliverer`]: crate::webhooks::Deliverer

use apalis::prelude::{BoxDynError, Data};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::queue::Job;
use crate::worker::WorkerContext;

/// Payload: the delivery and the round it was queued for (a resend starts a new round, and
/// a job of an earlier one then sends nothing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverWebhook {
    pub delivery_id: Uuid,
    pub round: i32,
}

impl Job for DeliverWebhook {
    const NAME: &'static str = "deliver_webhook";
}

/// Handler: makes the attempt, if the delivery still needs one.
///
/// # Errors
/// A database failure.
pub async fn deliver_webhook(
    job: DeliverWebhook,
    ctx: Data<WorkerContext>,
) -> Result<(), BoxDynError> {
    ctx.webhooks
        .deliver(&ctx.db, job.delivery_id, job.round)
        .await?;
    Ok(())
}
