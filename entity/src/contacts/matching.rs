//! Matching callers to contacts on every call request.
//!
//! A caller who calls as a verified domain is that domain's contact; a guest who left an
//! email is that email's contact; a guest without one is nobody yet. The hot path only
//! reads ([`caller_contact`], cached by the call directory per business and caller
//! identity); the writes — creating the contact, counting the call, moving the last
//! contact on, linking the call — are a [`ContactTouch`] the call records writer performs
//! in its batch ([`touch`]), off the signaling path.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, TryInsertResult};

use super::card::{CachedContact, ContactCard, PurchaseSummary};
use super::store::totals_of;
use super::tiers::ClientType;
use super::values::Tags;
use crate::calls::protocol::CallId;
use crate::entities::{call, caller_identity, contact, contact_note, purchase};
use crate::DomainError;

/// What to write about a contact because its caller requested a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactTouch {
    pub business_id: Uuid,
    pub call_id: CallId,
    /// The caller identity that called.
    pub identity_id: Uuid,
    /// When the call was requested.
    pub at: DateTime<Utc>,
}

/// What a caller is matched to a contact by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// The verified domain they call as.
    Domain(String),
    /// The email a guest left.
    Email(String),
}

impl Key {
    /// A caller calling as `name`, `verified` or not, who left `email`: a verified caller
    /// is their domain, a guest their email, a guest without one nobody.
    #[must_use]
    pub fn of(verified: bool, name: &str, email: Option<&str>) -> Option<Self> {
        if verified {
            Some(Self::Domain(name.to_ascii_lowercase()))
        } else {
            email
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
                .map(Self::Email)
        }
    }
}

fn key_of(identity: &caller_identity::Model) -> Option<Key> {
    Key::of(
        identity.kind == "domain",
        &identity.name,
        identity.email.as_deref(),
    )
}

async fn by_key(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    key: &Key,
) -> Result<Option<contact::Model>, DbErr> {
    let query = contact::Entity::find().filter(contact::Column::BusinessId.eq(business_id));
    match key {
        Key::Domain(d) => query.filter(contact::Column::CallerDomain.eq(d.as_str())),
        Key::Email(e) => query.filter(contact::Column::Email.eq(e.as_str())),
    }
    .one(db)
    .await
}

/// A new contact's row, named `name`, seen first at `at`, with no call counted yet.
pub(crate) fn new_contact(
    business_id: Uuid,
    name: &str,
    caller_domain: Option<String>,
    email: Option<String>,
    at: DateTime<Utc>,
) -> contact::ActiveModel {
    contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        business_id: Set(business_id),
        name: Set(name.to_owned()),
        email: Set(email),
        phone: Set(None),
        address: Set(None),
        caller_domain: Set(caller_domain),
        tags: Set(Tags::default().stored()),
        client_type: Set(None),
        first_seen_at: Set(at),
        last_contact_at: Set(None),
        call_count: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// The contact of `key`, created (named `name`, else its key; with `email`) when there is
/// none yet — without counting a call; a new one is announced (`contact.created`). For
/// callers who reach out some other way than a call (a callback request). Safe under
/// concurrent requests like [`touch`].
///
/// # Errors
/// A database failure.
pub async fn ensure(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    key: &Key,
    name: Option<&str>,
    email: Option<&str>,
    at: DateTime<Utc>,
) -> Result<contact::Model, DomainError> {
    if let Some(found) = by_key(db, business_id, key).await? {
        return Ok(found);
    }
    let (row, target) = match key {
        Key::Domain(d) => {
            // The email goes on the new contact unless another contact has it.
            let email = match email.map(|e| e.trim().to_lowercase()) {
                Some(e)
                    if by_key(db, business_id, &Key::Email(e.clone()))
                        .await?
                        .is_none() =>
                {
                    Some(e)
                }
                _ => None,
            };
            (
                new_contact(business_id, name.unwrap_or(d), Some(d.clone()), email, at),
                contact::Column::CallerDomain,
            )
        }
        Key::Email(e) => (
            new_contact(business_id, name.unwrap_or(e), None, Some(e.clone()), at),
            contact::Column::Email,
        ),
    };
    let inserted = contact::Entity::insert(row)
        .on_conflict_do_nothing_on([contact::Column::BusinessId, target])
        .exec_without_returning(db)
        .await?;
    let found = by_key(db, business_id, key)
        .await?
        .ok_or(DomainError::NotFound("contact"))?;
    if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        // Announced like a contact a call creates.
        let views = super::store::views_of(db, business_id, vec![found.clone()]).await?;
        for view in views {
            let event =
                crate::webhooks::Event::new(crate::webhooks::EventType::ContactCreated, at, &view);
            crate::webhooks::emit(db, business_id, event).await?;
        }
    }
    Ok(found)
}

/// [`touch`]es every job of a batch, reading their identities in one query first, so a
/// burst of anonymous guests (nobody to match) costs one statement. Returns the contacts
/// created, with the business and instant that created them.
///
/// # Errors
/// A database failure.
pub async fn touch_all(
    db: &impl ConnectionTrait,
    jobs: &[ContactTouch],
) -> Result<Vec<(Uuid, DateTime<Utc>, contact::Model)>, DomainError> {
    let mut created = Vec::new();
    if jobs.is_empty() {
        return Ok(created);
    }
    let mut ids: Vec<Uuid> = jobs.iter().map(|j| j.identity_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let identities: std::collections::HashMap<Uuid, caller_identity::Model> =
        caller_identity::Entity::find()
            .filter(caller_identity::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
    for job in jobs {
        let Some(identity) = identities.get(&job.identity_id) else {
            continue;
        };
        if let Some((contact, true)) = touch(db, job, identity).await? {
            created.push((job.business_id, job.at, contact));
        }
    }
    Ok(created)
}

/// Creates or matches the caller's contact, counts the call, moves the last contact on
/// and links the call to the contact (its row must be written). Nothing for a caller that
/// cannot be matched (a guest without email). Returns the contact and whether it was
/// created here.
///
/// Safe when several processes touch the same new caller at once: the contact is
/// inserted with `ON CONFLICT DO NOTHING` on its key's unique index and read back.
///
/// # Errors
/// A database failure.
pub async fn touch(
    db: &impl ConnectionTrait,
    job: &ContactTouch,
    identity: &caller_identity::Model,
) -> Result<Option<(contact::Model, bool)>, DomainError> {
    let Some(key) = key_of(identity) else {
        return Ok(None);
    };
    let business_id = job.business_id;
    let (found, created) = match by_key(db, business_id, &key).await? {
        Some(found) => (found, false),
        None => {
            let (row, target) = match &key {
                Key::Domain(d) => (
                    new_contact(business_id, d, Some(d.clone()), None, job.at),
                    contact::Column::CallerDomain,
                ),
                Key::Email(e) => (
                    new_contact(business_id, e, None, Some(e.clone()), job.at),
                    contact::Column::Email,
                ),
            };
            let inserted = contact::Entity::insert(row)
                .on_conflict_do_nothing_on([contact::Column::BusinessId, target])
                .exec_without_returning(db)
                .await?;
            let created = matches!(inserted, TryInsertResult::Inserted(n) if n > 0);
            let found = by_key(db, business_id, &key)
                .await?
                .ok_or(DomainError::NotFound("contact"))?;
            (found, created)
        }
    };
    let mut update = contact::Entity::update_many()
        .col_expr(
            contact::Column::CallCount,
            Expr::col(contact::Column::CallCount).add(1),
        )
        .col_expr(contact::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(contact::Column::Id.eq(found.id))
        .filter(contact::Column::BusinessId.eq(business_id));
    if found.last_contact_at.is_none_or(|last| last < job.at) {
        update = update.col_expr(contact::Column::LastContactAt, Expr::value(job.at));
    }
    // The email a verified caller left is kept on the contact, unless another has it.
    if let (Key::Domain(_), Some(email), None) = (&key, &identity.email, &found.email) {
        let email = email.trim().to_lowercase();
        let other = by_key(db, business_id, &Key::Email(email.clone())).await?;
        if other.is_none() {
            update = update.col_expr(contact::Column::Email, Expr::value(email));
        }
    }
    update.exec(db).await?;
    // What was just written, for whoever announces the contact.
    let mut found = found;
    found.call_count = found.call_count.saturating_add(1);
    if found.last_contact_at.is_none_or(|last| last < job.at) {
        found.last_contact_at = Some(job.at);
    }
    call::Entity::update_many()
        .col_expr(call::Column::ContactId, Expr::value(found.id))
        .filter(call::Column::Id.eq(job.call_id.as_uuid()))
        .filter(call::Column::BusinessId.eq(business_id))
        .exec(db)
        .await?;
    Ok(Some((found, created)))
}

/// What the call directory caches for a caller matched by `key` calling a business:
/// `Some(None)` when no contact matches (yet), else the card as of now, with what it takes
/// to keep it right after a call. (Never `None`: both answers are worth remembering.)
///
/// # Errors
/// A database failure.
pub async fn caller_contact(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    key: &Key,
) -> Result<Option<Option<CachedContact>>, DbErr> {
    let Some(row) = by_key(db, business_id, key).await? else {
        return Ok(Some(None));
    };
    Ok(Some(Some(cached(db, business_id, row).await?)))
}

/// A stored contact's card: its purchases summed, the latest purchase and the latest note.
async fn cached(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    row: contact::Model,
) -> Result<CachedContact, DbErr> {
    let totals = totals_of(db, business_id, &[row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let latest_purchase = purchase::Entity::find()
        .filter(purchase::Column::BusinessId.eq(business_id))
        .filter(purchase::Column::ContactId.eq(row.id))
        .order_by_desc(purchase::Column::PurchasedAt)
        .one(db)
        .await?
        .map(|p| PurchaseSummary {
            product: p.product,
            amount_minor: p.amount_minor,
            currency: p.currency,
            purchased_at: p.purchased_at,
        });
    let note = contact_note::Entity::find()
        .filter(contact_note::Column::BusinessId.eq(business_id))
        .filter(contact_note::Column::ContactId.eq(row.id))
        .order_by_desc(contact_note::Column::CreatedAt)
        .order_by_desc(contact_note::Column::Id)
        .one(db)
        .await?
        .map(|n| (n.created_at, n.text));
    // What an agent wrote after a call (the softphone's notes) counts as a note too.
    let after_call = call::Entity::find()
        .filter(call::Column::BusinessId.eq(business_id))
        .filter(call::Column::ContactId.eq(row.id))
        .filter(call::Column::Notes.is_not_null())
        .order_by_desc(call::Column::RequestedAt)
        .one(db)
        .await?
        .and_then(|c| Some((c.ended_at.unwrap_or(c.requested_at), c.notes?)));
    let latest_note = match (note, after_call) {
        (Some(n), Some(c)) => Some(if c.0 > n.0 { c.1 } else { n.1 }),
        (n, c) => n.or(c).map(|(_, text)| text),
    };
    let chosen = row.client_type.as_deref().and_then(ClientType::parse);
    let rules = super::rules::rules_for(db, business_id).await?;
    let card = ContactCard {
        id: row.id,
        name: row.name,
        client_type: rules.classify(chosen, row.call_count, &totals),
        last_contact_at: row.last_contact_at,
        call_count: row.call_count,
        purchase_total: totals.main(),
        latest_purchase,
        latest_note,
    };
    Ok(CachedContact {
        card,
        chosen,
        totals,
        rules,
    })
}
