//! The seam through which domain code asks for email to be sent.
//!
//! Domain functions never talk to SMTP or the job queue directly: they hand an
//! [`OutgoingEmail`] to an [`Outbox`], which the `jobs` crate implements with a durable
//! apalis queue (retries with backoff) and tests may implement however they like.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// One email, ready to render into a MIME message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    /// Recipient address (already validated).
    pub to: String,
    pub subject: String,
    /// Plain-text body; always present so every client can read it.
    pub text: String,
    /// Optional HTML alternative.
    pub html: Option<String>,
    /// An iCalendar file (`text/calendar`) attached as `invite.ics`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

/// Durable hand-off of work to the background workers.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Queues `email` for delivery, on its own: mail a change causes is written in the
    /// change's transaction instead ([`crate::mail_outbox::write`]).
    ///
    /// # Errors
    /// [`DomainError::Internal`] when the queue cannot store the job.
    async fn send_email(&self, email: OutgoingEmail) -> Result<(), DomainError>;

    /// Queues the email of mail outbox row `id` ([`crate::mail_outbox`]); its
    /// `Message-ID` derives from `id`, so queueing it twice sends it once.
    ///
    /// # Errors
    /// [`DomainError::Internal`] when the queue cannot store the job.
    async fn relay_email(&self, id: uuid::Uuid, email: OutgoingEmail) -> Result<(), DomainError>;

    /// Queues the judging of ended call `call_id`'s wait against its business's reward
    /// policy ([`crate::rewards::issue::judge`]).
    ///
    /// # Errors
    /// [`DomainError::Internal`] when the queue cannot store the job.
    async fn judge_reward(&self, call_id: uuid::Uuid) -> Result<(), DomainError>;
}
