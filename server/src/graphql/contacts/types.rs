//! The GraphQL shapes of contacts, notes, purchases and the timeline.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Result, SimpleObject, Union, ID};
use chrono::{DateTime, Utc};
use entity::contacts::{self, notes, ContactView, NoteView, PurchaseView, TimelineEntry};

use super::parse_id;
use crate::graphql::context::ContextExt;
use crate::graphql::error::GqlResult;

/// A contact's tier (thresholds from `clientTypeRules`).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ClientType {
    /// Fewer calls than `repeatCalls` (2) and nothing bought.
    New,
    /// `repeatCalls` calls, or a purchase.
    Repeat,
    /// `premiumCalls` calls (10), or purchases of at least `premiumTotalMinor` (1 000.00)
    /// in their main currency.
    Premium,
}

/// The thresholds of the client types.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "ClientTypeRulesInput")]
pub struct ClientTypeRules {
    /// Calls that make a contact a repeat client (default 2).
    pub repeat_calls: i64,
    /// Calls that make a contact premium (default 10).
    pub premium_calls: i64,
    /// A total in the contact's main currency, in minor units, that makes them premium
    /// (default 100 000).
    pub premium_total_minor: i64,
}

impl From<contacts::TierRules> for ClientTypeRules {
    fn from(r: contacts::TierRules) -> Self {
        Self {
            repeat_calls: r.repeat_calls,
            premium_calls: r.premium_calls,
            premium_total_minor: r.premium_total_minor,
        }
    }
}

impl From<contacts::ClientType> for ClientType {
    fn from(t: contacts::ClientType) -> Self {
        match t {
            contacts::ClientType::New => Self::New,
            contacts::ClientType::Repeat => Self::Repeat,
            contacts::ClientType::Premium => Self::Premium,
        }
    }
}

impl From<ClientType> for contacts::ClientType {
    fn from(t: ClientType) -> Self {
        match t {
            ClientType::New => Self::New,
            ClientType::Repeat => Self::Repeat,
            ClientType::Premium => Self::Premium,
        }
    }
}

/// An amount in one currency.
#[derive(SimpleObject)]
pub struct Money {
    /// In the currency's minor unit (cents).
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
}

impl From<contacts::Money> for Money {
    fn from(m: contacts::Money) -> Self {
        Self {
            amount_minor: m.amount_minor,
            currency: m.currency,
        }
    }
}

/// Someone who called or bought from the business.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Contact {
    pub id: ID,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// The verified domain they call as.
    pub caller_domain: Option<String>,
    pub tags: Vec<String>,
    /// The tier in effect.
    pub client_type: ClientType,
    /// The tier chosen by hand (null: the rules decide).
    pub client_type_override: Option<ClientType>,
    pub first_seen_at: DateTime<Utc>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub call_count: i64,
    /// Purchases in their main currency (the one most of them are in).
    pub purchase_total: Option<Money>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ContactView> for Contact {
    fn from(c: ContactView) -> Self {
        Self {
            id: ID(c.id.to_string()),
            name: c.name,
            email: c.email,
            phone: c.phone,
            address: c.address,
            caller_domain: c.caller_domain,
            tags: c.tags,
            client_type: c.client_type.into(),
            client_type_override: c.client_type_override.map(Into::into),
            first_seen_at: c.first_seen_at,
            last_contact_at: c.last_contact_at,
            call_count: c.call_count,
            purchase_total: c.purchase_total.map(Into::into),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A note on a contact.
#[derive(SimpleObject)]
pub struct ContactNote {
    pub id: ID,
    pub contact_id: ID,
    /// The member who wrote it.
    pub author_id: ID,
    pub text: String,
    /// The call it is about.
    pub call_id: Option<ID>,
    pub created_at: DateTime<Utc>,
}

impl From<NoteView> for ContactNote {
    fn from(n: NoteView) -> Self {
        Self {
            id: ID(n.id.to_string()),
            contact_id: ID(n.contact_id.to_string()),
            author_id: ID(n.author_id.to_string()),
            text: n.text,
            call_id: n.call_id.map(|c| ID(c.to_string())),
            created_at: n.created_at,
        }
    }
}

/// A purchase recorded by an integration.
#[derive(SimpleObject)]
pub struct Purchase {
    pub id: ID,
    pub contact_id: ID,
    pub product: String,
    pub amount_minor: i64,
    pub currency: String,
    pub purchased_at: DateTime<Utc>,
    pub external_ref: String,
    pub created_at: DateTime<Utc>,
}

impl From<PurchaseView> for Purchase {
    fn from(p: PurchaseView) -> Self {
        Self {
            id: ID(p.id.to_string()),
            contact_id: ID(p.contact_id.to_string()),
            product: p.product,
            amount_minor: p.amount_minor,
            currency: p.currency,
            purchased_at: p.purchased_at,
            external_ref: p.external_ref,
            created_at: p.created_at,
        }
    }
}

/// A call on a contact's timeline.
#[derive(SimpleObject)]
pub struct ContactCall {
    pub id: ID,
    /// The business domain called.
    pub domain: String,
    pub mode: String,
    /// `ringing`, `connected` or `ended`.
    pub state: String,
    pub end_reason: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub answered_by: Option<ID>,
    /// The answering agent's notes.
    pub notes: Option<String>,
}

/// A message on a contact's timeline (the whole message: `message(id:)`).
#[derive(SimpleObject)]
pub struct ContactMessage {
    pub id: ID,
    pub text: Option<String>,
    /// How long its recording plays; null for a text-only message.
    pub audio_duration_ms: Option<i64>,
    pub handled: bool,
    pub created_at: DateTime<Utc>,
}

/// One entry of a contact's timeline.
#[derive(Union)]
pub enum TimelineItem {
    Call(ContactCall),
    Note(ContactNote),
    Purchase(Purchase),
    Message(ContactMessage),
}

impl From<TimelineEntry> for TimelineItem {
    fn from(e: TimelineEntry) -> Self {
        match e {
            TimelineEntry::Call(c) => Self::Call(ContactCall {
                id: ID(c.id.to_string()),
                domain: c.domain,
                mode: c.mode,
                state: c.state,
                end_reason: c.end_reason,
                requested_at: c.requested_at,
                answered_by: c.answered_by.map(|u| ID(u.to_string())),
                notes: c.notes,
            }),
            TimelineEntry::Note(n) => Self::Note(n.into()),
            TimelineEntry::Purchase(p) => Self::Purchase(p.into()),
            TimelineEntry::Message(m) => Self::Message(ContactMessage {
                id: ID(m.id.to_string()),
                text: m.text,
                audio_duration_ms: m.audio_ms,
                handled: m.handled,
                created_at: m.created_at,
            }),
        }
    }
}

#[ComplexObject]
impl Contact {
    /// Calls, notes, purchases and messages, newest first (at most 200 of each).
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<TimelineItem>> {
        let id = parse_id(&self.id, "contact")?;
        let entries = notes::timeline(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(entries.into_iter().map(Into::into).collect())
    }

    /// Notes, newest first.
    async fn notes(&self, ctx: &Context<'_>) -> Result<Vec<ContactNote>> {
        let id = parse_id(&self.id, "contact")?;
        let rows = notes::notes(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Purchases, newest first.
    async fn purchases(&self, ctx: &Context<'_>) -> Result<Vec<Purchase>> {
        let id = parse_id(&self.id, "contact")?;
        let rows = notes::purchases(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
