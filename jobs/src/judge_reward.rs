//! The `judge_reward` job: after an answered call ends, its wait is judged against the
//! business's reward policy ([`entity::rewards::issue::judge`]), once — running it again
//! (a retry, the periodic sweep's catch-up) issues nothing more.

use apalis::prelude::{BoxDynError, Data};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::queue::Job;
use crate::worker::WorkerContext;

/// Payload: the call whose wait is judged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgeReward {
    pub call_id: Uuid,
}

impl Job for JudgeReward {
    const NAME: &'static str = "judge_reward";
}

/// The call's record has not caught up with its end yet (retried with backoff).
#[derive(Debug, thiserror::Error)]
#[error("call {0} has not ended in its record yet")]
struct NotEnded(Uuid);

/// Handler: judges the call (a reward, its webhook and the caller's mail).
///
/// # Errors
/// A database failure, or a call whose record does not say it ended yet: both retried.
pub async fn judge_reward(job: JudgeReward, ctx: Data<WorkerContext>) -> Result<(), BoxDynError> {
    let now = chrono::Utc::now();
    match entity::rewards::issue::judge(&ctx.db, &ctx.queue, job.call_id, now).await? {
        entity::rewards::issue::Judged::NotEnded => Err(Box::new(NotEnded(job.call_id))),
        _ => Ok(()),
    }
}
