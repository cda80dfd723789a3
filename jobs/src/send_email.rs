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

/// Handler: sends the email. Its `Message-ID` derives from the job's id, so a re-run after a
/// crash between delivery and acknowledgement yields the same message, which receivers can
/// recognise as a duplicate.
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
    match ctx.mailer.send_with_id(&email, &message_id).await {
        Ok(()) => {
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
