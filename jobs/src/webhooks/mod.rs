//! Delivering webhooks: the job that makes one attempt of one delivery ([`Deliverer`]), the
//! HTTP request ([`http`]) and the relay that queues due deliveries ([`relay`]).
//!
//! The outbox rows are the schedule: each row knows when its next attempt is due, and each
//! attempt is one `deliver_webhook` job (queued by the relay). A failed attempt is recorded
//! with its next time (exponential backoff, see `entity::webhooks::schedule`) rather than
//! retried inside the job: the schedule spans hours, survives restarts, and the log can say
//! when the next attempt comes. The job's own apalis retries cover only our failures (the
//! database was unreachable).

pub mod http;
pub mod relay;

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use entity::net::IpRanges;
use entity::webhooks::dispatch::{self, Attempt};
use entity::webhooks::schedule::Next;
use entity::webhooks::secret::signature_header;
use entity::webhooks::{
    endpoints, webhook_id, AttemptOutcome, RetrySchedule, TargetPolicy, TargetResolver, TargetUrl,
    Unreachable,
};
use sea_orm::{ConnectionTrait, DbErr};

/// How deliveries are made; the defaults suit production.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Non-public ranges deliveries may reach anyway (`DOMAINCALL_WEBHOOK_ALLOWED_NETS`).
    pub allowed_nets: IpRanges,
    /// Attempts and backoff (`DOMAINCALL_WEBHOOK_ATTEMPTS`, `DOMAINCALL_WEBHOOK_RETRY_DELAY`).
    pub schedule: RetrySchedule,
    /// The longest an attempt waits for its answer, connecting included.
    pub timeout: Duration,
    /// The most response bytes read (the rest is dropped unread).
    pub max_response_bytes: usize,
    /// Name servers for endpoint names (empty: the system's).
    pub dns_servers: Vec<SocketAddr>,
    /// The longest one name lookup takes.
    pub dns_timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allowed_nets: IpRanges::default(),
            schedule: RetrySchedule::default(),
            timeout: Duration::from_secs(10),
            max_response_bytes: 64 * 1024,
            dns_servers: Vec::new(),
            dns_timeout: Duration::from_secs(5),
        }
    }
}

/// Makes attempts: resolves, checks, signs, sends, records.
#[derive(Clone, Debug)]
pub struct Deliverer {
    policy: TargetPolicy,
    resolver: TargetResolver,
    schedule: RetrySchedule,
    timeout: Duration,
    max_response_bytes: usize,
}

impl Deliverer {
    /// A deliverer with `settings`.
    ///
    /// # Errors
    /// When no name servers are given and the system's cannot be read.
    pub fn new(settings: &WebhookSettings) -> anyhow::Result<Self> {
        Ok(Self {
            policy: TargetPolicy::new(settings.allowed_nets.clone()),
            resolver: TargetResolver::new(&settings.dns_servers, settings.dns_timeout)?,
            schedule: settings.schedule,
            timeout: settings.timeout,
            max_response_bytes: settings.max_response_bytes,
        })
    }

    /// Makes the attempt of delivery `id` in `round`, if it is still due and free (see
    /// `entity::webhooks::dispatch::start`), and records it. Nothing is sent for a delivery
    /// already accepted, of another round, or held by another attempt.
    ///
    /// # Errors
    /// A database failure (the job is then retried).
    #[tracing::instrument(skip_all, fields(delivery = %id, round))]
    pub async fn deliver(
        &self,
        db: &impl ConnectionTrait,
        id: uuid::Uuid,
        round: i32,
    ) -> Result<Option<Next>, DbErr> {
        let Some(attempt) = dispatch::start(db, id, round, Utc::now()).await? else {
            tracing::debug!("nothing to send");
            return Ok(None);
        };
        let outcome = if attempt.endpoint_takes_it() {
            self.attempt(&attempt).await
        } else {
            AttemptOutcome::EndpointDisabled
        };
        let jitter: f64 = rand::random();
        let next =
            dispatch::record(db, &attempt, &outcome, &self.schedule, Utc::now(), jitter).await?;
        match &next {
            Next::Delivered => tracing::info!(status = ?outcome.http_status(), "webhook delivered"),
            Next::RetryAt(at) => {
                tracing::info!(error = ?outcome.error(), next = %at, "webhook attempt failed")
            }
            Next::Failed | Next::Gone => {
                tracing::warn!(error = ?outcome.error(), "webhook delivery failed")
            }
        }
        Ok(Some(next))
    }

    async fn attempt(&self, attempt: &Attempt) -> AttemptOutcome {
        let target = match TargetUrl::parse(&attempt.endpoint.url) {
            Ok(target) => target,
            Err(e) => return AttemptOutcome::Refused { reason: e.message },
        };
        let addresses = match self.resolver.addresses(&self.policy, &target).await {
            Ok(addresses) => addresses,
            Err(e @ Unreachable::Refused(_)) => {
                return AttemptOutcome::Refused {
                    reason: e.to_string(),
                }
            }
            Err(Unreachable::Dns(reason)) => {
                return AttemptOutcome::Failed {
                    reason,
                    elapsed_ms: None,
                }
            }
        };
        let now = Utc::now();
        let secrets = endpoints::signing_secrets(&attempt.endpoint, now);
        if secrets.is_empty() {
            return AttemptOutcome::Failed {
                reason: "The endpoint's secret cannot be read; rotate it.".to_owned(),
                elapsed_ms: None,
            };
        }
        let id = webhook_id(attempt.delivery.id);
        let timestamp = now.timestamp();
        let request = http::Request {
            target: &target,
            addresses: &addresses,
            webhook_id: &id,
            timestamp,
            signature: signature_header(&secrets, &id, timestamp, &attempt.delivery.payload),
            body: attempt.delivery.payload.clone(),
        };
        http::post(&request, self.timeout, self.max_response_bytes).await
    }
}
