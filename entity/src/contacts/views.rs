//! Contacts as the front doors show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tiers::{ClientType, Money};
use crate::types::FieldError;

/// A contact with what the rules make of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub caller_domain: Option<String>,
    pub tags: Vec<String>,
    /// The tier in effect (chosen by hand or by the rules).
    pub client_type: ClientType,
    /// The tier chosen by hand, if any.
    pub client_type_override: Option<ClientType>,
    pub first_seen_at: DateTime<Utc>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub call_count: i64,
    /// Purchases in the main currency.
    pub purchase_total: Option<Money>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A recorded purchase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseView {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub product: String,
    pub amount_minor: i64,
    pub currency: String,
    pub purchased_at: DateTime<Utc>,
    pub external_ref: String,
    pub created_at: DateTime<Utc>,
}

/// A note on a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteView {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub author_id: Uuid,
    pub text: String,
    pub call_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A call on a contact's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineCall {
    pub id: Uuid,
    pub domain: String,
    pub mode: String,
    pub state: String,
    pub end_reason: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub answered_by: Option<Uuid>,
    pub notes: Option<String>,
}

/// A message the contact left, on their timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineMessage {
    pub id: Uuid,
    pub text: Option<String>,
    /// How long its recording plays, when it has one.
    pub audio_ms: Option<i64>,
    pub handled: bool,
    pub created_at: DateTime<Utc>,
}

/// One entry of a contact's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimelineEntry {
    Call(TimelineCall),
    Note(NoteView),
    Purchase(PurchaseView),
    Message(TimelineMessage),
}

impl TimelineEntry {
    /// When it happened (a call's request, a note's writing, a purchase's date).
    #[must_use]
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Call(c) => c.requested_at,
            Self::Note(n) => n.created_at,
            Self::Purchase(p) => p.purchased_at,
            Self::Message(m) => m.created_at,
        }
    }
}

/// What `contacts` lists: every filter is optional and they all apply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactFilter {
    /// Part of the name, email or caller domain, or a whole tag; any case.
    pub search: Option<String>,
    pub client_type: Option<ClientType>,
    /// A whole tag; any case.
    pub tag: Option<String>,
    pub last_contact_before: Option<DateTime<Utc>>,
    pub last_contact_after: Option<DateTime<Utc>>,
}

/// The "last contact" choices of the dashboard: within the last this many days.
pub const LAST_CONTACT_WINDOWS: [u32; 3] = [7, 30, 90];

/// The longest "last contact within" window, in days.
const MAX_WINDOW_DAYS: u32 = 3650;

/// A choice as typed: trimmed, blank is none.
fn blank(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

impl ContactFilter {
    /// The filter the dashboard's search form (or the CSV export's address) describes, as
    /// typed: `search` (blank is none), `client_type` (`new`, `repeat`, `premium` or blank)
    /// and `within_days` (last contact within that many days of `now`, 1 to 3650, or blank).
    ///
    /// # Errors
    /// A [`FieldError`] on `client_type` or `within_days` for anything else.
    pub fn from_choices(
        search: Option<&str>,
        client_type: Option<&str>,
        within_days: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldError> {
        let client_type = blank(client_type)
            .map(|t| {
                ClientType::parse(&t.to_lowercase()).ok_or_else(|| FieldError {
                    field: "client_type".to_owned(),
                    message: "Choose new, repeat or premium.".to_owned(),
                })
            })
            .transpose()?;
        let last_contact_after = blank(within_days)
            .map(|d| {
                d.parse::<u32>()
                    .ok()
                    .filter(|d| (1..=MAX_WINDOW_DAYS).contains(d))
                    .map(|d| now - chrono::Duration::days(i64::from(d)))
                    .ok_or_else(|| FieldError {
                        field: "within_days".to_owned(),
                        message: format!("Choose a number of days from 1 to {MAX_WINDOW_DAYS}."),
                    })
            })
            .transpose()?;
        Ok(Self {
            search: blank(search).map(str::to_owned),
            client_type,
            tag: None,
            last_contact_before: None,
            last_contact_after,
        })
    }
}

/// A change to a contact: `None` leaves a field as it is; `Some("")` clears an optional one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactChange {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub tags: Option<Vec<String>>,
    /// `Some(None)` clears the tier chosen by hand.
    pub client_type: Option<Option<ClientType>>,
}

/// Who a purchase is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PurchaseFor {
    Contact(Uuid),
    /// A contact of the business with this email, created when there is none.
    Email(String),
}

/// A purchase as an integration reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPurchase {
    pub contact: PurchaseFor,
    pub product: String,
    pub amount_minor: i64,
    pub currency: String,
    pub purchased_at: DateTime<Utc>,
    pub external_ref: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dashboard_choices_make_a_filter() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 5, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let f = ContactFilter::from_choices(Some(" acme "), Some("Premium"), Some("30"), now);
        assert_eq!(
            f,
            Ok(ContactFilter {
                search: Some("acme".to_owned()),
                client_type: Some(ClientType::Premium),
                last_contact_after: Some(now - chrono::Duration::days(30)),
                ..ContactFilter::default()
            })
        );
        assert_eq!(
            ContactFilter::from_choices(Some(""), Some(""), Some(" "), now),
            Ok(ContactFilter::default())
        );
        assert_eq!(
            ContactFilter::from_choices(None, Some("gold"), None, now).map_err(|e| e.field),
            Err("client_type".to_owned())
        );
        for bad in ["0", "-7", "seven", "3651"] {
            assert_eq!(
                ContactFilter::from_choices(None, None, Some(bad), now).map_err(|e| e.field),
                Err("within_days".to_owned()),
                "{bad}"
            );
        }
    }
}
