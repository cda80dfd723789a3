//! Periodic work: the background domain checks (pending re-checks, re-verification,
//! revocation), the removal of expired caller identities and of webhook logs past their
//! retention, the expiry of callbacks nobody returned in two weeks, the reminders before
//! booked callbacks, the members' summaries of missed calls nobody returned, the
//! rewards of answered calls whose `judge_reward` job was lost, and the mail a producer
//! wrote but died before queueing ([`entity::mail_outbox`]).
//!
//! Every `interval` the runner looks for what is due and does it. Due work is claimed row
//! by row in the database, so several worker processes may run this side by side.

use std::future::Future;
use std::time::Duration;

use std::sync::Arc;

use entity::domains::Checker;
use entity::outbox::Outbox;
use sea_orm::DatabaseConnection;

/// How many domains one sweep checks at most (the rest wait for the next tick).
pub const DOMAIN_BATCH: u64 = 200;

/// What the periodic work needs.
#[derive(Clone)]
pub struct PeriodicContext {
    pub db: DatabaseConnection,
    pub domains: Checker,
    /// Where reminder mail is queued.
    pub outbox: Arc<dyn Outbox>,
    /// The public URL links in mail start with.
    pub public_url: String,
    /// The least time between two summaries of missed calls to one member.
    pub missed_digest_every: chrono::Duration,
}

/// Runs one round: due domain checks, expired identities, old webhook deliveries.
pub async fn sweep_once(ctx: &PeriodicContext) {
    let now = chrono::Utc::now();
    match entity::domains::run_due_checks(&ctx.db, &ctx.domains, now, DOMAIN_BATCH).await {
        Ok(report) if report.checked > 0 || report.notices > 0 => {
            tracing::info!(
                checked = report.checked,
                verified = report.verified,
                revoked = report.revoked,
                late_notices = report.notices,
                "domain checks done"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "domain checks failed"),
    }
    if let Err(e) = entity::callers::purge_expired(&ctx.db, now).await {
        tracing::error!(error = %e, "removing expired caller identities failed");
    }
    match entity::callbacks::store::expire_stale(&ctx.db, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(expired = n, "stale callbacks expired"),
        Err(e) => tracing::error!(error = %e, "expiring stale callbacks failed"),
    }
    let outbox = ctx.outbox.as_ref();
    match entity::callbacks::reminders::send_due(&ctx.db, outbox, &ctx.public_url, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(reminded = n, "callback reminders sent"),
        Err(e) => tracing::error!(error = %e, "sending callback reminders failed"),
    }
    let every = ctx.missed_digest_every;
    match entity::callbacks::missed_digest::send_due(&ctx.db, outbox, &ctx.public_url, every, now)
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(mailed = n, "missed-call summaries sent"),
        Err(e) => tracing::error!(error = %e, "sending missed-call summaries failed"),
    }
    match entity::rewards::issue::judge_due(&ctx.db, outbox, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(issued = n, "late rewards issued"),
        Err(e) => tracing::error!(error = %e, "judging due rewards failed"),
    }
    if let Err(e) = entity::mail_outbox::relay_stranded(&ctx.db, outbox, now).await {
        tracing::error!(error = %e, "handing over stranded mails failed");
    }
    if let Err(e) = entity::sent_emails::purge(&ctx.db, now).await {
        tracing::error!(error = %e, "forgetting old sent emails failed");
    }
    if let Err(e) = entity::mail_outbox::purge(&ctx.db, now).await {
        tracing::error!(error = %e, "forgetting old mail rows failed");
    }
    let cutoff = now - chrono::Duration::days(entity::webhooks::LOG_RETENTION_DAYS);
    if let Err(e) = entity::webhooks::deliveries::purge_before(&ctx.db, cutoff).await {
        tracing::error!(error = %e, "removing old webhook deliveries failed");
    }
}

/// Sweeps every `interval` until `shutdown` resolves (a sweep in progress finishes first).
pub async fn run(
    ctx: PeriodicContext,
    interval: Duration,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    tracing::info!(?interval, "periodic jobs started");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticks.tick() => sweep_once(&ctx).await,
        }
    }
    tracing::info!("periodic jobs stopped");
}
