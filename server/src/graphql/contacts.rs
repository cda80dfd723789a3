//! CRM contacts over GraphQL (API keys included). Thin: parse ids and inputs, call
//! `entity::contacts`, map the views. Every member reads contacts, edits them and writes
//! notes; owners and admins (and their API keys) merge, record purchases and choose a
//! client type by hand.

mod types;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, InputObject, Object, OneofObject, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::contacts::{
    merge, notes, purchases, rules, store, ContactChange, ContactFilter, NewPurchase, PurchaseFor,
};
use entity::DomainError;
use uuid::Uuid;

use super::context::ContextExt;
use super::error::{gql, GqlResult};
use types::{ClientType, ClientTypeRules, Contact, ContactNote, Purchase};

/// An id of ours, or `NOT_FOUND` (a malformed id names nothing).
fn parse_id(id: &ID, what: &'static str) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound(what)))
}

/// Which contacts to list; every filter given applies.
#[derive(InputObject, Default)]
pub struct ContactFilterInput {
    /// Part of a name, email or caller domain, or a whole tag; any case.
    pub search: Option<String>,
    pub client_type: Option<ClientType>,
    /// A whole tag; any case.
    pub tag: Option<String>,
    pub last_contact_before: Option<DateTime<Utc>>,
    pub last_contact_after: Option<DateTime<Utc>>,
}

/// Contacts queries.
#[derive(Default)]
pub struct ContactsQuery;

#[Object]
impl ContactsQuery {
    /// The business's contacts, newest first (Relay cursor pagination: `first` 1 to 100,
    /// default 20; `after` is an `endCursor`).
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ContactFilterInput>,
    ) -> Result<Connection<String, Contact>> {
        let first = match first {
            None => 20,
            Some(n) if (1..=100).contains(&n) => u64::try_from(n).unwrap_or(20),
            Some(_) => {
                return Err(gql(DomainError::invalid(
                    "first",
                    format!("Ask for 1 to {} contacts at a time.", store::MAX_PAGE),
                )))
            }
        };
        let after = after
            .map(|c| {
                Uuid::parse_str(&c).map_err(|_| {
                    gql(DomainError::invalid(
                        "after",
                        "This is not a cursor of this list.",
                    ))
                })
            })
            .transpose()?;
        let f = filter.unwrap_or_default();
        let filter = ContactFilter {
            search: f.search,
            client_type: f.client_type.map(Into::into),
            tag: f.tag,
            last_contact_before: f.last_contact_before,
            last_contact_after: f.last_contact_after,
        };
        let page = store::list(&ctx.services().db, ctx.principal()?, &filter, after, first)
            .await
            .gql()?;
        let mut connection = Connection::new(after.is_some(), page.has_next);
        connection.edges.extend(page.items.into_iter().map(|c| {
            let node = Contact::from(c);
            Edge::new(node.id.0.clone(), node)
        }));
        Ok(connection)
    }

    /// The business's client-type thresholds.
    async fn client_type_rules(&self, ctx: &Context<'_>) -> Result<ClientTypeRules> {
        let principal = ctx.principal()?;
        let rules = rules::rules_for(&ctx.services().db, principal.business_id)
            .await
            .map_err(|e| gql(e.into()))?;
        Ok(rules.into())
    }

    /// One contact (`NOT_FOUND` for another business's).
    async fn contact(&self, ctx: &Context<'_>, id: ID) -> Result<Contact> {
        let id = parse_id(&id, "contact")?;
        let c = store::get(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(c.into())
    }
}

/// A change to a contact: omitted fields stay; an empty string clears an optional one.
#[derive(InputObject)]
pub struct UpdateContactInput {
    pub id: ID,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Chooses the tier by hand (owners and admins).
    pub client_type: Option<ClientType>,
    /// Lets the rules decide the tier again (owners and admins).
    #[graphql(default)]
    pub clear_client_type: bool,
}

/// Who a purchase is for: one of the business's contacts, or an email (a contact is
/// created for an unknown one).
#[derive(OneofObject)]
pub enum PurchaseContact {
    ContactId(ID),
    Email(String),
}

/// A purchase as an integration reports it.
#[derive(InputObject)]
pub struct RecordPurchaseInput {
    pub contact: PurchaseContact,
    /// The product or service.
    pub product: String,
    /// In the currency's minor unit (cents); not negative.
    pub amount_minor: i64,
    /// ISO 4217, three letters.
    pub currency: String,
    pub purchased_at: DateTime<Utc>,
    /// Your reference: recording it again returns the first purchase and changes nothing.
    pub external_ref: String,
}

/// What `recordPurchase` did.
#[derive(SimpleObject)]
pub struct RecordPurchasePayload {
    /// The purchase: the first one recorded with this reference.
    pub purchase: Purchase,
    /// False when the reference was already recorded (nothing changed).
    pub created: bool,
}

/// Contacts mutations.
#[derive(Default)]
pub struct ContactsMutation;

#[Object]
impl ContactsMutation {
    /// Edits a contact. `VALIDATION` with `fields` for a blank name, a bad email or tags;
    /// `CONFLICT` when another contact has the email; `FORBIDDEN` when an agent chooses a
    /// client type.
    #[graphql(complexity = 10)]
    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        input: UpdateContactInput,
    ) -> Result<Contact> {
        let id = parse_id(&input.id, "contact")?;
        let client_type = if input.clear_client_type {
            Some(None)
        } else {
            input.client_type.map(|t| Some(t.into()))
        };
        let change = ContactChange {
            name: input.name,
            email: input.email,
            phone: input.phone,
            address: input.address,
            tags: input.tags,
            client_type,
        };
        let s = ctx.services();
        let c = store::update(&s.db, s.events.as_ref(), ctx.principal()?, id, change)
            .await
            .gql()?;
        Ok(c.into())
    }

    /// Merges contact `from` into `into`: every call, note and purchase of `from` moves,
    /// `into` keeps its fields and fills its blanks from `from`, and `from` is deleted.
    /// Owners and admins.
    #[graphql(complexity = 10)]
    async fn merge_contacts(&self, ctx: &Context<'_>, into: ID, from: ID) -> Result<Contact> {
        let keep = parse_id(&into, "contact")?;
        let gone = parse_id(&from, "contact")?;
        let s = ctx.services();
        let c = merge::merge(&s.db, s.events.as_ref(), ctx.principal()?, keep, gone)
            .await
            .gql()?;
        Ok(c.into())
    }

    /// Adds a note to a contact's timeline, optionally about one of the business's calls.
    #[graphql(complexity = 10)]
    async fn add_contact_note(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        text: String,
        call_id: Option<ID>,
    ) -> Result<ContactNote> {
        let id = parse_id(&contact_id, "contact")?;
        let call = call_id.map(|c| parse_id(&c, "call")).transpose()?;
        let s = ctx.services();
        let n = notes::add_note(&s.db, s.events.as_ref(), ctx.principal()?, id, &text, call)
            .await
            .gql()?;
        Ok(n.into())
    }

    /// Rewrites a note (its author, or owners and admins).
    #[graphql(complexity = 10)]
    async fn update_contact_note(
        &self,
        ctx: &Context<'_>,
        id: ID,
        text: String,
    ) -> Result<ContactNote> {
        let id = parse_id(&id, "note")?;
        let s = ctx.services();
        let n = notes::edit_note(&s.db, s.events.as_ref(), ctx.principal()?, id, &text)
            .await
            .gql()?;
        Ok(n.into())
    }

    /// Deletes a note (its author, or owners and admins).
    #[graphql(complexity = 10)]
    async fn delete_contact_note(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id(&id, "note")?;
        let s = ctx.services();
        notes::delete_note(&s.db, s.events.as_ref(), ctx.principal()?, id)
            .await
            .gql()?;
        Ok(true)
    }

    /// Sets the business's client-type thresholds. Owners and admins. `VALIDATION` unless
    /// `1 ≤ repeatCalls ≤ premiumCalls` and `premiumTotalMinor` is positive.
    #[graphql(complexity = 10)]
    async fn set_client_type_rules(
        &self,
        ctx: &Context<'_>,
        input: ClientTypeRules,
    ) -> Result<ClientTypeRules> {
        let s = ctx.services();
        let r = rules::set_rules(
            &s.db,
            s.events.as_ref(),
            ctx.principal()?,
            input.repeat_calls,
            input.premium_calls,
            input.premium_total_minor,
        )
        .await
        .gql()?;
        Ok(r.into())
    }

    /// Records a purchase, idempotent on `externalRef`. Owners and admins (API keys).
    #[graphql(complexity = 10)]
    async fn record_purchase(
        &self,
        ctx: &Context<'_>,
        input: RecordPurchaseInput,
    ) -> Result<RecordPurchasePayload> {
        let contact = match input.contact {
            PurchaseContact::ContactId(id) => PurchaseFor::Contact(parse_id(&id, "contact")?),
            PurchaseContact::Email(e) => PurchaseFor::Email(e),
        };
        let new = NewPurchase {
            contact,
            product: input.product,
            amount_minor: input.amount_minor,
            currency: input.currency,
            purchased_at: input.purchased_at,
            external_ref: input.external_ref,
        };
        let s = ctx.services();
        let r = purchases::record_purchase(&s.db, s.events.as_ref(), ctx.principal()?, &new)
            .await
            .gql()?;
        Ok(RecordPurchasePayload {
            purchase: r.purchase.into(),
            created: r.created,
        })
    }
}
