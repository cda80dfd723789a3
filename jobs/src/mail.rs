//! Turning an [`OutgoingEmail`] into a MIME message and handing it to a mail transport.
//!
//! Zero configuration must work, so without an SMTP URL mail is written as `.eml` files into
//! an outbox directory (open them with any mail client); with one, it goes through SMTP.
//! Errors say whether trying again can help ([`MailError::is_permanent`]), which is what the
//! job's retry policy needs.

use std::fmt;
use std::path::PathBuf;

use entity::outbox::OutgoingEmail;
use lettre::address::AddressError;
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where and as whom mail is sent.
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:port` (plain or `?tls=required` for STARTTLS) or
    /// `smtps://user:pass@host:port` (TLS). `None` writes `.eml` files to `outbox_dir`.
    pub smtp_url: Option<String>,
    /// The sender, `addr@example.com` or `Name <addr@example.com>`.
    pub from: String,
    /// Where mail is written when no SMTP URL is set; created if missing.
    pub outbox_dir: PathBuf,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The SMTP URL may carry credentials: show only where it points.
        f.debug_struct("MailSettings")
            .field("smtp", &self.smtp_url.as_deref().map(smtp_host))
            .field("from", &self.from)
            .field("outbox_dir", &self.outbox_dir)
            .finish()
    }
}

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address (the configured sender or a recipient) does not parse.
    #[error("invalid {field} address {address:?}: {source}")]
    InvalidAddress {
        /// `"from"` or `"to"`.
        field: &'static str,
        /// The address as given.
        address: String,
        /// What is wrong with it.
        source: AddressError,
    },
    /// The message could not be assembled.
    #[error("could not build the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// The SMTP URL is not usable.
    #[error("invalid SMTP URL: {0}")]
    SmtpUrl(lettre::transport::smtp::Error),
    /// The SMTP server refused the message or could not be reached.
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The mail file could not be written.
    #[error("writing the mail file failed: {0}")]
    File(#[from] lettre::transport::file::Error),
    /// The outbox directory could not be created.
    #[error("cannot create the outbox directory {dir}: {source}")]
    OutboxDir {
        /// The configured directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl MailError {
    /// Whether sending the same message again can never succeed: a bad address, a message
    /// that does not build, or a permanent (5xx) SMTP reply. Everything else (connection
    /// refused, timeouts, 4xx replies, disk errors) is worth retrying.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::InvalidAddress { .. } | Self::Build(_) | Self::SmtpUrl(_) => true,
            Self::Smtp(e) => e.is_permanent(),
            Self::File(_) | Self::OutboxDir { .. } => false,
        }
    }
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

/// Sends [`OutgoingEmail`]s from the configured sender; cheap to clone (SMTP connections
/// are pooled and shared between clones).
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = match &self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::File(_) => "file",
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &transport)
            .finish()
    }
}

impl Mailer {
    /// Builds the transport described by `settings` and logs once where mail goes.
    ///
    /// # Errors
    /// [`MailError::InvalidAddress`] when `from` does not parse, [`MailError::SmtpUrl`] when
    /// the SMTP URL is malformed, [`MailError::OutboxDir`] when the outbox directory cannot
    /// be created.
    pub fn new(settings: &MailSettings) -> Result<Self, MailError> {
        let from = parse_mailbox("from", &settings.from)?;
        let transport = match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(MailError::SmtpUrl)?
                    .build();
                tracing::info!("mail is sent through SMTP at {}", smtp_host(url));
                Transport::Smtp(transport)
            }
            None => {
                let dir = &settings.outbox_dir;
                std::fs::create_dir_all(dir).map_err(|source| MailError::OutboxDir {
                    dir: dir.clone(),
                    source,
                })?;
                tracing::info!("mail is written to files in {}", dir.display());
                Transport::File(AsyncFileTransport::new(dir))
            }
        };
        Ok(Self { from, transport })
    }

    /// Sends `email` with a generated `Message-ID`.
    ///
    /// # Errors
    /// See [`MailError`]; [`MailError::is_permanent`] tells whether a retry can help.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        self.send_message(self.build(email, None)?).await
    }

    /// Sends `email` with the given `Message-ID` (without angle brackets, e.g.
    /// `job-123@example.com`), so a retried job produces the same message and receivers can
    /// recognise a duplicate.
    ///
    /// # Errors
    /// See [`MailError`]; [`MailError::is_permanent`] tells whether a retry can help.
    pub async fn send_with_id(
        &self,
        email: &OutgoingEmail,
        message_id: &str,
    ) -> Result<(), MailError> {
        self.send_message(self.build(email, Some(message_id))?)
            .await
    }

    /// The domain of the sender address, for building message ids.
    pub fn sender_domain(&self) -> &str {
        self.from.email.domain()
    }

    fn build(&self, email: &OutgoingEmail, message_id: Option<&str>) -> Result<Message, MailError> {
        let to = parse_mailbox("to", &email.to)?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            .message_id(message_id.map(|id| format!("<{id}>")));
        let message = match (&email.html, &email.calendar) {
            (Some(html), None) => builder.multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                html.clone(),
            ))?,
            (None, None) => builder
                .header(ContentType::TEXT_PLAIN)
                .body(email.text.clone())?,
            (html, Some(ics)) => {
                let body = match html {
                    Some(html) => {
                        MultiPart::alternative_plain_html(email.text.clone(), html.clone())
                    }
                    None => {
                        MultiPart::alternative().singlepart(SinglePart::plain(email.text.clone()))
                    }
                };
                let calendar = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                    .unwrap_or(ContentType::TEXT_PLAIN);
                let attachment =
                    Attachment::new("invite.ics".to_owned()).body(ics.clone(), calendar);
                builder.multipart(MultiPart::mixed().multipart(body).singlepart(attachment))?
            }
        };
        Ok(message)
    }

    async fn send_message(&self, message: Message) -> Result<(), MailError> {
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::File(file) => {
                let id = file.send(message).await?;
                tracing::debug!(file = %format!("{id}.eml"), "mail written");
            }
        }
        Ok(())
    }
}

fn parse_mailbox(field: &'static str, address: &str) -> Result<Mailbox, MailError> {
    address.parse().map_err(|source| MailError::InvalidAddress {
        field,
        address: address.to_owned(),
        source,
    })
}

/// `host[:port]` of an SMTP URL, without scheme, credentials, path or query: safe to log.
fn smtp_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_host_hides_credentials() {
        assert_eq!(
            smtp_host("smtps://user:p%40ss@mail.example.com:465"),
            "mail.example.com:465"
        );
        assert_eq!(
            smtp_host("smtp://127.0.0.1:2525?tls=required"),
            "127.0.0.1:2525"
        );
        assert_eq!(smtp_host("smtp://u:p@host/ehlo.name"), "host");
    }

    #[test]
    fn settings_debug_hides_credentials() {
        let settings = MailSettings {
            smtp_url: Some("smtps://user:secret@mail.example.com".to_owned()),
            from: "noreply@example.com".to_owned(),
            outbox_dir: PathBuf::from("data/outbox"),
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("mail.example.com"), "{shown}");
    }

    #[tokio::test]
    async fn bad_recipient_is_a_permanent_error() {
        let dir = std::env::temp_dir().join(format!("jobs-mail-unit-{}", std::process::id()));
        let mailer = Mailer::new(&MailSettings {
            smtp_url: None,
            from: "Domaincall <noreply@example.com>".to_owned(),
            outbox_dir: dir.clone(),
        })
        .expect("mailer");
        let email = OutgoingEmail {
            calendar: None,
            to: "not an address".to_owned(),
            subject: "Hi".to_owned(),
            text: "Hello".to_owned(),
            html: None,
        };
        let err = mailer
            .send(&email)
            .await
            .expect_err("bad address must fail");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(err.is_permanent(), "{err}");
    }

    #[test]
    fn bad_sender_is_refused_at_construction() {
        let result = Mailer::new(&MailSettings {
            smtp_url: Some("smtp://127.0.0.1:25".to_owned()),
            from: "nope".to_owned(),
            outbox_dir: PathBuf::from("unused"),
        });
        assert!(matches!(
            result,
            Err(MailError::InvalidAddress { field: "from", .. })
        ));
    }
}
