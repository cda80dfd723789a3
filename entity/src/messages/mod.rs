//! Messages (seed 004's mail for an offline callee, issue 17 §8): a caller nobody could
//! answer leaves a text, a recorded voice message, or both; members play them, mark them
//! handled and reply by calling back.
//!
//! - This module's types are pure and compile to wasm: the call page and the dashboard
//!   share them. [`audio`] checks a recording's bytes (pure).
//! - [`store`] leaves, lists and moves messages along (every query scoped to one
//!   business); [`files`] keeps recordings under the data directory at paths made of ids.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod audio;
#[cfg(feature = "db")]
pub mod files;
#[cfg(feature = "db")]
pub mod store;

/// The longest text message, in characters.
pub const TEXT_MAX: usize = 2000;
/// Messages one caller identity may leave one business per hour.
pub const PER_HOUR: u64 = 5;

/// Where a message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Nobody has dealt with it yet.
    New,
    /// A member marked it handled (or replied).
    Handled,
}

impl MessageStatus {
    /// The stored (and wire) form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Handled => "handled",
        }
    }

    /// The stored form back; anything else reads as new.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        if s == "handled" {
            Self::Handled
        } else {
            Self::New
        }
    }
}

/// A message as the dashboard and the API show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: Uuid,
    pub status: MessageStatus,
    /// The caller identity that left it (guest name or verified domain).
    pub caller_name: String,
    pub caller_verified: bool,
    pub called_domain: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub text: Option<String>,
    pub intent_id: Option<Uuid>,
    pub intent_label: Option<String>,
    pub contact_id: Option<Uuid>,
    /// The recording's type and length, when there is one.
    pub audio_type: Option<String>,
    pub audio_ms: Option<i64>,
    pub audio_bytes: Option<i64>,
    pub handled_by_name: Option<String>,
    pub handled_at: Option<DateTime<Utc>>,
    /// The callback a reply started.
    pub callback_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl MessageView {
    /// Who to show: the name they gave, else their email, else the caller identity.
    #[must_use]
    pub fn who(&self) -> &str {
        self.name
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or(&self.caller_name)
    }

    /// Where the dashboard plays the recording.
    #[must_use]
    pub fn audio_path(&self) -> Option<String> {
        self.audio_type
            .as_ref()
            .map(|_| format!("/app/messages/{}/audio", self.id))
    }
}

/// What a caller typed on the call page to leave a message (the recording comes apart).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageInput {
    /// The domain whose call page it was.
    pub domain: String,
    pub intent: Option<Uuid>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub text: Option<String>,
}

/// What the call page says once a message was left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageLeft {
    pub id: Uuid,
    /// The business it was left with (the server's; not sent to the page).
    #[serde(skip)]
    pub business_id: Uuid,
    /// How long the recording plays, when there was one.
    pub audio_ms: Option<u64>,
}
