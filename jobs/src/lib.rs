//! Background jobs for domaincall: what the server hands off so a request never waits on
//! SMTP, DNS or a slow computation.
//!
//! Jobs are stored by apalis in the application's own database (SQLite or PostgreSQL, the
//! same pool sea-orm uses), so a queued job survives a restart and needs no extra broker.
//!
//! - [`queue`]: the [`Queue`] the server pushes to; it implements [`entity::outbox::Outbox`].
//! - [`worker`]: [`worker::run`] drives one apalis worker per job type until shutdown.
//! - [`mail`]: the [`Mailer`] (SMTP, or `.eml` files when no SMTP server is configured).
//! - [`periodic`]: domain re-checks, identity expiry and old webhook logs, on a timer.
//! - [`webhooks`]: signed webhook attempts and the relay queueing due deliveries.
//! - one module per job ([`send_email`], [`deliver_webhook`], [`judge_reward`]): a payload with a stable
//!   name and its handler.
//!
//! Adding a job type: write a module with a payload struct implementing [`Job`] and an
//! `async fn` handler, then add one line to the job list in `worker.rs`.

pub mod deliver_webhook;
pub mod judge_reward;
pub mod mail;
pub mod periodic;
pub mod queue;
pub mod send_email;
pub mod webhooks;
pub mod worker;

pub use deliver_webhook::DeliverWebhook;
pub use judge_reward::JudgeReward;
pub use mail::{MailError, MailSettings, Mailer};
pub use periodic::PeriodicContext;
pub use queue::{Job, Queue, QueueError};
pub use send_email::SendEmail;
pub use webhooks::{Deliverer, WebhookSettings};
pub use worker::{run, run_with, WorkerContext, WorkerOptions};
