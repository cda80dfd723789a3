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

/// Payload: the email to deliver, and the mail outbox row it came from (its id is the
/// `Message-ID`); the row is absent for mail queued on its own, and in jobs stored before
/// the outbox existed (whose payload was the email alone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendEmail {
    #[serde(flatten)]
    pub email: OutgoingEmail,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox_id: Option<uuid::Uuid>,
}

impl Job for SendEmail {
    const NAME: &'static str = "send_email";
}

/// Handler: sends the email. Its `Message-ID` derives from its outbox row (else the job's
/// id) and is remembered
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
    let SendEmail { email, outbox_id } = job;
    let message_id = match outbox_id {
        Some(id) => format!("{id}@{}", ctx.mailer.sender_domain()),
        None => format!("{task_id}@{}", ctx.mailer.sender_domain()),
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Jobs queued before the mail outbox (the payload was the email alone) still run
    /// after an upgrade, and a job of an outbox row keeps the row's id.
    #[test]
    fn payloads_of_before_and_after_the_outbox_read() {
        let old = r#"{"to":"a@example.net","subject":"Hi","text":"Hello","html":null}"#;
        let job: SendEmail = serde_json::from_str(old).expect("an old payload");
        assert_eq!(job.email.to, "a@example.net");
        assert_eq!(job.outbox_id, None);
        let id = uuid::Uuid::now_v7();
        let new = SendEmail {
            email: job.email.clone(),
            outbox_id: Some(id),
        };
        let back: SendEmail =
            serde_json::from_str(&serde_json::to_string(&new).expect("json")).expect("read");
        assert_eq!(back, new);
    }
}
