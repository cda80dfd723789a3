//! Callbacks (the patent's claim 13, FIG. 11 and 15C): a caller nobody could answer leaves
//! an email and asks to be called back; a member presses "call back now", the caller gets
//! a signed link by email, and opening it rings that member.
//!
//! - This module's types ([`CallbackStatus`], [`CallbackView`], [`LinkPage`]) are pure and
//!   compile to wasm: the call page and the dashboard share them.
//! - [`store`] asks for, lists and moves callbacks along; [`links`] issues and redeems the
//!   single-use, expiring links (stored hashed); [`emails`] writes the mail. Every query is
//!   scoped to one business.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "db")]
pub mod announce;
#[cfg(feature = "db")]
pub mod asking;
#[cfg(feature = "db")]
pub mod booking;
#[cfg(feature = "db")]
pub mod calendar;
pub mod calendar_links;
#[cfg(feature = "db")]
pub mod emails;
#[cfg(feature = "db")]
pub mod feeds;
#[cfg(feature = "db")]
pub mod links;
#[cfg(feature = "db")]
pub mod missed_digest;
#[cfg(feature = "db")]
pub mod reminders;
#[cfg(feature = "db")]
pub mod reschedule;
#[cfg(feature = "db")]
pub mod slot_grid;
#[cfg(all(test, feature = "db"))]
mod slot_grid_tests;
pub mod slots;
#[cfg(feature = "db")]
pub mod store;

pub use slots::{SlotDay, SlotPolicy, SlotView};

/// Where a callback stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatus {
    /// Asked for; nobody has called back yet.
    Pending,
    /// Asked for at a time the caller booked (a slot).
    Scheduled,
    /// A member called back (the link is out, or the call is on).
    InProgress,
    /// Done: they talked, or a member closed it.
    Done,
    /// The caller or a member cancelled it.
    Cancelled,
    /// Nobody called back in time.
    Expired,
}

impl CallbackStatus {
    /// Every status, in the order the dashboard lists them.
    pub const ALL: [Self; 6] = [
        Self::Pending,
        Self::Scheduled,
        Self::InProgress,
        Self::Done,
        Self::Cancelled,
        Self::Expired,
    ];

    /// The stored (and wire) form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Scheduled => "scheduled",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    /// The stored form back; `None` for anything else.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// How the dashboard says it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Waiting",
            Self::Scheduled => "Scheduled",
            Self::InProgress => "Calling back",
            Self::Done => "Done",
            Self::Cancelled => "Cancelled",
            Self::Expired => "Expired",
        }
    }

    /// Whether someone still has to act on it.
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Scheduled | Self::InProgress)
    }
}

/// A callback as the dashboard and the API show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallbackView {
    pub id: Uuid,
    pub status: CallbackStatus,
    pub email: String,
    pub name: Option<String>,
    pub note: Option<String>,
    /// The caller identity that asked (guest name or verified domain).
    pub caller_name: String,
    pub caller_verified: bool,
    pub called_domain: String,
    pub intent_id: Option<Uuid>,
    /// The intent's label, when it still exists.
    pub intent_label: Option<String>,
    pub contact_id: Option<Uuid>,
    /// The member calling back, by display name or email.
    pub member_id: Option<Uuid>,
    pub member_name: Option<String>,
    /// When a scheduled callback is due, and until when it is planned (its slot's end).
    pub slot_at: Option<DateTime<Utc>>,
    pub slot_end: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CallbackView {
    /// Who to show: the name they gave, else their email.
    #[must_use]
    pub fn who(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.email)
    }
}

/// What a caller typed on the call page to be called back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackRequest {
    /// The domain whose call page it was (the business's verified domain).
    pub domain: String,
    /// The intent the caller had picked.
    pub intent: Option<Uuid>,
    pub email: String,
    pub name: Option<String>,
    pub note: Option<String>,
    /// The slot booked ("call me back at…"); `None`: as soon as possible.
    pub slot: Option<DateTime<Utc>>,
    /// The caller's IANA time zone (the confirmation states the time in it).
    pub zone: Option<String>,
}

/// What the call page says once a callback was asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAsked {
    /// Where the confirmation went.
    pub email: String,
    /// `true` when this email already had a callback waiting (it was updated, not doubled).
    pub already: bool,
    /// The booked time in the caller's zone (`Sat 6 Dec 2026, 11:30 (Europe/Berlin)`).
    pub slot: Option<String>,
}

/// Why a link no longer works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkRefusal {
    /// Never issued, mistyped or tampered with.
    Unknown,
    /// It already did what it does.
    Used,
    /// Past its time.
    Expired,
    /// The callback it belongs to is closed (done or cancelled).
    Closed,
}

impl LinkRefusal {
    /// What the page says.
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            Self::Unknown => {
                "This link is not valid. Check that you opened the whole link from the email."
            }
            Self::Used => "This link was already used. Each link works once.",
            Self::Expired => "This link has expired.",
            Self::Closed => "This callback is already closed.",
        }
    }
}

/// What `/l/{token}` shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LinkPage {
    /// A member is calling back: join the call.
    Join {
        business_name: String,
        /// The business's call page domain.
        domain: String,
        /// Who is calling back.
        member_name: String,
        /// The intent the caller had picked.
        intent: Option<Uuid>,
    },
    /// Change the time of a callback request, or cancel it.
    Cancel {
        business_name: String,
        domain: String,
        /// The intent the caller had picked (its team's hours give the free times).
        intent: Option<Uuid>,
        /// The booked time in the caller's zone; `None` for "as soon as possible".
        when: Option<String>,
    },
    /// The callback was moved just now to `when` (the caller's zone).
    Moved {
        business_name: String,
        domain: String,
        when: String,
    },
    /// The callback was cancelled just now.
    Cancelled {
        business_name: String,
        domain: String,
    },
    /// The link does not work (any more); `domain` is the business's call page, when known.
    Refused {
        reason: LinkRefusal,
        domain: Option<String>,
        business_name: Option<String>,
    },
}

/// At most this many characters of a name.
pub const NAME_MAX: usize = 100;
/// At most this many characters of a caller's note.
pub const NOTE_MAX: usize = 1000;
