//! The `send_email` job: delivering one [`OutgoingEmail`] through the [`Mailer`].
//!
//! Sending happens here rather than in the request so a slow or unreachable SMTP server
//! never fails a sign-up; transient failures are retried with backoff by the worker.
//!
//! [`Mailer`]: crate::Mailer

use apalis::prelude::{AbortError, BoxDynError, Data, TaskId};
use entity::outbox::OutgoingEmail;
use serde::{Deserialize, Serialize};

use crate::queue::Job;
use crate::worker::WorkerContext;

/// Payload: the email to deliver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendEmail(pub OutgoingEmail);

impl Job for SendEmail {
    const NAME: &'static str = "send_email";
}

/// Handler: sends the email. Its `Message-ID` derives from the job's id and is remembered
/// ([`entity::sent_emails`]) the moment the SMTP server accepts it, so a re-run after a
/// crash before the acknowledgement sends nothing; only a crash in the instant between the
/// acceptance and that write can send it twice, under the same `Message-ID`.
///
/// # Errors
/// A permanent failure (bad address, 5xx reply) is returned as an [`AbortError`], which
/// stops the retries; anything else is returned as is and retried.
#[tracing::instrument(skip_all, fields(job = SendEmail::NAME, task_id = %task_id))]
pub async fn send_email(
    job: SendEmail,
    ctx: Data<WorkerContext>,
    task_id: TaskId,
) -> Result<(), BoxDynError> {
    let SendEmail(email) = job;
    let message_id = format!("{task_id}@{}", ctx.mailer.sender_domain());
    if entity::sent_emails::was_sent(&ctx.db, &message_id).await? {
        tracing::info!(subject = %email.subject, "email already sent before a restart");
        return Ok(());
    }
    match ctx.mailer.send_with_id(&email, &message_id).await {
        Ok(()) => {
            let now = chrono::Utc::now();
            if let Err(e) = entity::sent_emails::mark_sent(&ctx.db, &message_id, now).await {
                tracing::warn!(error = %e, "remembering a sent email failed");
            }
            tracing::info!(subject = %email.subject, "email sent");
            Ok(())
        }
        Err(e) if e.is_permanent() => {
            tracing::error!(error = %e, subject = %email.subject, "email dropped");
            Err(AbortError::new(e).into())
        }
        Err(e) => {
            tracing::warn!(error = %e, subject = %email.subject, "sending email failed");
            Err(e.into())
        }
    }
}
