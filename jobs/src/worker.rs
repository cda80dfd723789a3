//! Running the workers: one apalis worker per job type, all under one apalis `Monitor`.
//!
//! The workers run inside the server process (or a separate one) until the given shutdown
//! future resolves; then they stop fetching, finish the jobs in flight and return. Failed
//! jobs are retried in the worker with exponential backoff; a job whose handler returns an
//! `AbortError` is not retried. A worker that dies (say, the database went away) is
//! restarted after a growing pause instead of leaving its queue unserved.

use std::future::Future;
use std::time::Duration;

use apalis::layers::retry::backoff::{ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff};
use apalis::layers::retry::HasherRng;
use apalis::prelude::{
    AbortError, BackendExt, BoxDynError, Monitor, RetryPolicy, WorkerBuilder, WorkerBuilderExt,
};
use sea_orm::DatabaseConnection;

use crate::deliver_webhook::{deliver_webhook, DeliverWebhook};
use crate::judge_reward::{judge_reward, JudgeReward};
use crate::mail::Mailer;
use crate::queue::{postgres_storage, sqlite_storage, Job, Pool, Queue};
use crate::send_email::{send_email, SendEmail};
use crate::webhooks::Deliverer;

/// Registers a worker for every job type. **A new job type is one more line here**:
/// `register!(m, $storage, $pool, $ctx, $options, $instance; MyJob => my_module::handle_my_job)`.
macro_rules! register_jobs {
    ($monitor:expr, $storage:ident, $pool:expr, $ctx:expr, $options:expr, $instance:expr) => {{
        let m = $monitor;
        let m = register!(m, $storage, $pool, $ctx, $options, $instance; SendEmail => send_email);
        let m = register!(m, $storage, $pool, $ctx, $options, $instance; DeliverWebhook => deliver_webhook);
        let m = register!(m, $storage, $pool, $ctx, $options, $instance; JudgeReward => judge_reward);
        m
    }};
}

/// Jobs of one type a worker runs at once. Few: a mail job killed with its process after
/// the SMTP server accepted but before that was written down is sent again, so the fewer
/// in flight, the fewer duplicates a crash can cause (and SMTP servers prefer it).
const CONCURRENCY: usize = 4;

/// Registers the worker of one job type: its own queue, the shared context as `Data`, retries
/// with exponential backoff (skipped for `AbortError`s), and a pause before each restart.
macro_rules! register {
    (
        $monitor:expr, $storage:ident, $pool:expr, $ctx:expr, $options:expr, $instance:expr;
        $job:ty => $handler:path
    ) => {{
        let pool = $pool.clone();
        let ctx = $ctx.clone();
        let options = $options.clone();
        let instance = $instance.clone();
        $monitor.register(move |restarts| {
            let pause = restart_pause(restarts);
            let backend = $storage::<$job>(&pool)
                // A tokio interval rather than apalis' `poll_with_interval`: the latter's
                // futures-timer delay was seen to stop waking the worker under load, leaving
                // queued mail unsent.
                .poll_with_stream(poll_ticks(options.poll_interval))
                .before_start(move |_| async move {
                    tokio::time::sleep(pause).await;
                    Ok(())
                });
            WorkerBuilder::new(worker_name(<$job as Job>::NAME, &instance, restarts))
                .backend(backend)
                .data(ctx.clone())
                .retry(
                    RetryPolicy::retries(<$job as Job>::MAX_ATTEMPTS.saturating_sub(1))
                        .with_backoff(backoff(&options))
                        .retry_if(|e: &BoxDynError| e.downcast_ref::<AbortError>().is_none()),
                )
                .catch_panic()
                .concurrency(CONCURRENCY)
                .build($handler)
        })
    }};
}

/// A tick every `interval` (late ticks are delayed, never bunched).
fn poll_ticks(interval: Duration) -> ArmedTicks {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ArmedTicks(ticks)
}

/// Ticks that always leave the next wake-up armed.
///
/// apalis' `PollWith` polls this stream before each fetch and ignores what it yields. A
/// plain interval stream that is polled when a tick is already due hands that tick over
/// without registering the task's waker for the next one; if the fetch then finds nothing
/// (or the finished job's acknowledgement waits for the next turn), the worker parks with
/// nothing left to wake it. Seen under load on PostgreSQL: mail queued and never sent, or
/// sent and never marked done. So every poll takes the due ticks until the interval is
/// pending again, which arms its timer with the polling task's waker.
struct ArmedTicks(tokio::time::Interval);

impl tokio_stream::Stream for ArmedTicks {
    type Item = ();

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<()>> {
        let mut due = false;
        while self.0.poll_tick(cx).is_ready() {
            due = true;
        }
        if due {
            std::task::Poll::Ready(Some(()))
        } else {
            std::task::Poll::Pending
        }
    }
}

/// What job handlers need, handed to them as apalis `Data`.
#[derive(Clone, Debug)]
pub struct WorkerContext {
    /// The application's database.
    pub db: DatabaseConnection,
    /// Outgoing mail.
    pub mailer: Mailer,
    /// Webhook attempts.
    pub webhooks: Deliverer,
    /// Where handlers queue further work (a reward's mail to the caller).
    pub queue: Queue,
}

/// Tuning of [`run_with`]; the defaults suit production.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// How often an idle worker looks for new jobs.
    pub poll_interval: Duration,
    /// Pause before the first retry of a failed job; it doubles on each further retry.
    pub retry_min_delay: Duration,
    /// Longest pause between two retries.
    pub retry_max_delay: Duration,
    /// How long shutdown waits for jobs in flight before giving up on them (they are run
    /// again by the next worker, so handlers must be idempotent).
    pub shutdown_timeout: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(500),
            retry_min_delay: Duration::from_secs(2),
            retry_max_delay: Duration::from_secs(120),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// Runs the workers with [`WorkerOptions::default`] until `shutdown` resolves.
///
/// # Errors
/// See [`run_with`].
pub async fn run(
    queue: Queue,
    ctx: WorkerContext,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_with(queue, ctx, WorkerOptions::default(), shutdown).await
}

/// Runs one worker per job type, and the webhook relay, until `shutdown` resolves, then
/// stops them gracefully: no new jobs are fetched and jobs in flight get
/// `options.shutdown_timeout` to finish.
///
/// # Errors
/// When `options` are inconsistent (`retry_min_delay` above `retry_max_delay`, or a zero
/// `retry_max_delay`) or the monitor fails to shut down.
pub async fn run_with(
    queue: Queue,
    ctx: WorkerContext,
    options: WorkerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Fail before starting anything if the backoff is misconfigured.
    ExponentialBackoffMaker::new(
        options.retry_min_delay,
        options.retry_max_delay,
        BACKOFF_JITTER,
        HasherRng::default(),
    )
    .map_err(|e| anyhow::anyhow!("invalid retry delays: {e:?}"))?;

    // Worker names are unique per process: apalis refuses to register a name that another
    // live worker (or, on PostgreSQL, another pooled connection) already holds.
    let instance = instance_id();
    let monitor = Monitor::new()
        .should_restart(|worker, error| {
            tracing::error!(worker = worker.name(), %error, "job worker failed; restarting it");
            true
        })
        .shutdown_timeout(options.shutdown_timeout);

    let monitor = match &queue.pool {
        Pool::Sqlite(pool) => {
            register_jobs!(monitor, sqlite_storage, pool, ctx, options, instance)
        }
        Pool::Postgres(pool) => {
            register_jobs!(monitor, postgres_storage, pool, ctx, options, instance)
        }
    };

    let (stop_relay, relay_stopped) = tokio::sync::watch::channel(false);
    let relay = tokio::spawn(crate::webhooks::relay::run(
        ctx.db.clone(),
        queue.clone(),
        options.poll_interval,
        async move {
            let mut stopped = relay_stopped;
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));
    tracing::info!(instance = %instance, "job workers started");
    let result = monitor
        .run_with_signal(async move {
            shutdown.await;
            tracing::info!("job workers stopping");
            let _ = stop_relay.send(true);
            Ok(())
        })
        .await;
    let _ = relay.await;
    result?;
    tracing::info!("job workers stopped");
    Ok(())
}

const BACKOFF_JITTER: f64 = 0.5;

/// The retry backoff of one job; `run_with` checked the options already.
fn backoff(options: &WorkerOptions) -> ExponentialBackoff {
    let maker = ExponentialBackoffMaker::new(
        options.retry_min_delay,
        options.retry_max_delay,
        BACKOFF_JITTER,
        HasherRng::default(),
    );
    match maker {
        Ok(mut maker) => maker.make_backoff(),
        // Unreachable after `run_with`'s check; fall back to tower's defaults.
        Err(_) => ExponentialBackoffMaker::default().make_backoff(),
    }
}

/// Pause before the `restarts`-th restart of a worker: none at first start, then 1 s
/// doubling up to a minute.
fn restart_pause(restarts: usize) -> Duration {
    if restarts == 0 {
        return Duration::ZERO;
    }
    let exponent = u32::try_from(restarts - 1).unwrap_or(u32::MAX).min(6);
    Duration::from_secs(1 << exponent).min(Duration::from_secs(60))
}

fn worker_name(job: &str, instance: &str, restarts: usize) -> String {
    format!("{job}-{instance}-{restarts}")
}

/// A short random id for this process's workers.
fn instance_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};

    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_pause_grows_and_is_capped() {
        assert_eq!(restart_pause(0), Duration::ZERO);
        assert_eq!(restart_pause(1), Duration::from_secs(1));
        assert_eq!(restart_pause(2), Duration::from_secs(2));
        assert_eq!(restart_pause(7), Duration::from_secs(60));
        assert_eq!(restart_pause(1000), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_due_tick_leaves_the_next_one_armed() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        use std::task::{Context, Poll, Wake, Waker};
        use tokio_stream::Stream;

        struct Count(AtomicUsize);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut ticks = std::pin::pin!(poll_ticks(Duration::from_millis(100)));
        // The first tick is due at once; taking it must still arm the next one.
        assert_eq!(ticks.as_mut().poll_next(&mut cx), Poll::Ready(Some(())));
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert!(
            count.0.load(Ordering::SeqCst) >= 1,
            "the next tick woke the task"
        );
        // Late: several periods passed; one tick, and the next one armed again.
        assert_eq!(ticks.as_mut().poll_next(&mut cx), Poll::Ready(Some(())));
        let woken = count.0.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(
            count.0.load(Ordering::SeqCst) > woken,
            "armed after a late tick"
        );
    }

    #[test]
    fn instance_ids_differ() {
        assert_ne!(instance_id(), instance_id());
    }
}
