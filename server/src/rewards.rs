//! Rewards after each call: when an answered call ends (its record written), a
//! `judge_reward` job is queued for it if its business has rewards on. The job judges it
//! once; the workers' periodic sweep judges what this misses (a lagging subscription, a
//! crash before the job was stored).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::entities::reward_policy;
use entity::events::{BusinessEventKind, EventBus, Received};
use entity::outbox::Outbox;
use futures::StreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// How long the set of businesses with rewards on is trusted before it is read again (a
/// policy changed in this process clears it at once; one changed on another node is seen
/// this much later, and the sweep judges what that misses).
const FRESH_FOR: Duration = Duration::from_secs(2);

/// Follows `events` until the bus goes away, queueing a job for each answered call that
/// ended at a business with rewards on (spawns a task: call it on a tokio runtime).
pub fn follow(db: DatabaseConnection, events: &Arc<dyn EventBus>, outbox: Arc<dyn Outbox>) {
    let mut feed = events.subscribe();
    tokio::spawn(async move {
        let mut on: Option<(Instant, HashSet<Uuid>)> = None;
        while let Some(received) = feed.next().await {
            let event = match received {
                Received::Item(event) => event,
                Received::Missed(_) => {
                    on = None;
                    continue;
                }
            };
            if event.kind == BusinessEventKind::RewardsChanged {
                on = None;
            }
            if event.kind != BusinessEventKind::CallEnded {
                continue;
            }
            if on.as_ref().is_none_or(|(at, _)| at.elapsed() > FRESH_FOR) {
                match enabled(&db).await {
                    Ok(set) => on = Some((Instant::now(), set)),
                    Err(e) => tracing::warn!(error = %e, "reading reward policies failed"),
                }
            }
            let rewarded = on
                .as_ref()
                .is_none_or(|(_, set)| set.contains(&event.business_id));
            if rewarded {
                if let Err(e) = outbox.judge_reward(event.subject_id).await {
                    tracing::warn!(error = %e, call = %event.subject_id, "queueing a reward job failed");
                }
            }
        }
    });
}

async fn enabled(db: &DatabaseConnection) -> Result<HashSet<Uuid>, sea_orm::DbErr> {
    Ok(reward_policy::Entity::find()
        .filter(reward_policy::Column::Enabled.eq(true))
        .select_only()
        .column(reward_policy::Column::BusinessId)
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
