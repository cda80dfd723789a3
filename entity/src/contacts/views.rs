//! Contacts as the front doors show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tiers::{ClientType, Money};

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

/// One entry of a contact's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimelineEntry {
    Call(TimelineCall),
    Note(NoteView),
    Purchase(PurchaseView),
}

impl TimelineEntry {
    /// When it happened (a call's request, a note's writing, a purchase's date).
    #[must_use]
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Call(c) => c.requested_at,
            Self::Note(n) => n.created_at,
            Self::Purchase(p) => p.purchased_at,
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
