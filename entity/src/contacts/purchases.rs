//! Purchases, recorded by integrations (GraphQL, API keys), idempotent on the
//! integration's reference: recording a reference again returns the first purchase and
//! changes nothing — also when identical requests race, on SQLite and PostgreSQL alike.
//!
//! How: a unique index on `(business_id, external_ref)` and an
//! `INSERT … ON CONFLICT DO NOTHING` in a write transaction. The loser of a race inserts
//! nothing (PostgreSQL makes it wait for the winner's commit; SQLite's `BEGIN IMMEDIATE`
//! serialises the two), rolls back whatever else it did (a contact it created for an
//! email), and reads the winner's row.

use chrono::Utc;
use sea_orm::{
    prelude::*, ActiveValue::Set, TransactionSession, TransactionTrait, TryInsertResult,
};

use super::notes::purchase_view;
use super::store::{changed, find};
use super::values::{required_text, Currency};
use super::views::{NewPurchase, PurchaseFor, PurchaseView};
use crate::auth::Principal;
use crate::entities::{contact, purchase};
use crate::events::EventBus;
use crate::validate::EmailAddress;
use crate::webhooks::{self, EventType};
use crate::DomainError;

/// What recording a purchase did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub purchase: PurchaseView,
    /// False when the reference was known: `purchase` is the first one recorded with it.
    pub created: bool,
}

/// A purchase that passed validation.
struct Checked {
    product: String,
    currency: Currency,
    external_ref: String,
}

fn check(input: &NewPurchase) -> Result<Checked, DomainError> {
    let mut errors = Vec::new();
    let product = required_text("product", &input.product, "the product or service")
        .map_err(|e| errors.push(e))
        .ok();
    let currency = Currency::parse("currency", &input.currency)
        .map_err(|e| errors.push(e))
        .ok();
    let external_ref = required_text("externalRef", &input.external_ref, "your reference")
        .map_err(|e| errors.push(e))
        .ok();
    if input.amount_minor < 0 {
        errors.push(crate::types::FieldError {
            field: "amountMinor".to_owned(),
            message: "The amount cannot be negative.".to_owned(),
        });
    }
    match (product, currency, external_ref) {
        (Some(product), Some(currency), Some(external_ref)) if errors.is_empty() => Ok(Checked {
            product,
            currency,
            external_ref,
        }),
        _ => Err(DomainError::Validation(errors)),
    }
}

async fn by_ref(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    external_ref: &str,
) -> Result<Option<purchase::Model>, DbErr> {
    purchase::Entity::find()
        .filter(purchase::Column::BusinessId.eq(business_id))
        .filter(purchase::Column::ExternalRef.eq(external_ref))
        .one(db)
        .await
}

/// The business's contact with `email`, created (named by the email) when there is none;
/// the flag says whether it was created here.
async fn contact_for_email(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    email: &str,
) -> Result<(contact::Model, bool), DomainError> {
    let find = || {
        contact::Entity::find()
            .filter(contact::Column::BusinessId.eq(business_id))
            .filter(contact::Column::Email.eq(email))
            .one(db)
    };
    if let Some(found) = find().await? {
        return Ok((found, false));
    }
    let now = Utc::now();
    let inserted = contact::Entity::insert(super::matching::new_contact(
        business_id,
        email,
        None,
        Some(email.to_owned()),
        now,
    ))
    .on_conflict_do_nothing_on([contact::Column::BusinessId, contact::Column::Email])
    .exec_without_returning(db)
    .await?;
    let created = matches!(inserted, TryInsertResult::Inserted(n) if n > 0);
    let found = find().await?.ok_or(DomainError::NotFound("contact"))?;
    Ok((found, created))
}

/// Records a purchase for one of the business's contacts (by id, or by email — a contact
/// is created for an unknown email). Owners and admins (and their API keys) only.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` for a contact of another business; `Validation` for
/// a blank product or reference, a negative amount or a currency that is not three letters.
pub async fn record_purchase(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    input: &NewPurchase,
) -> Result<Recorded, DomainError> {
    principal.require_manager()?;
    let checked = check(input)?;
    let business_id = principal.business_id;
    let email = match &input.contact {
        PurchaseFor::Email(e) => Some(
            EmailAddress::parse("email", e)
                .map_err(|e| DomainError::Validation(vec![e]))?
                .as_ref()
                .to_owned(),
        ),
        PurchaseFor::Contact(_) => None,
    };
    let first = |row: purchase::Model| Recorded {
        purchase: purchase_view(row),
        created: false,
    };
    if let Some(known) = by_ref(db, business_id, &checked.external_ref).await? {
        return Ok(first(known));
    }
    let tx = crate::tx::begin_write(db).await?;
    let (contact, contact_created) = match (&input.contact, &email) {
        (_, Some(email)) => contact_for_email(&tx, business_id, email).await?,
        (PurchaseFor::Contact(id), None) => (find(&tx, principal, *id).await?, false),
        (PurchaseFor::Email(_), None) => return Err(DomainError::NotFound("contact")),
    };
    let now = Utc::now();
    let row = purchase::ActiveModel {
        id: Set(Uuid::now_v7()),
        business_id: Set(business_id),
        contact_id: Set(contact.id),
        product: Set(checked.product),
        amount_minor: Set(input.amount_minor),
        currency: Set(checked.currency.as_ref().to_owned()),
        purchased_at: Set(input.purchased_at),
        external_ref: Set(checked.external_ref.clone()),
        created_at: Set(now),
    };
    let inserted = purchase::Entity::insert(row)
        .on_conflict_do_nothing_on([purchase::Column::BusinessId, purchase::Column::ExternalRef])
        .exec_without_returning(&tx)
        .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        // Someone recorded this reference meanwhile: theirs stands, ours changes nothing.
        tx.rollback().await?;
        let known = by_ref(db, business_id, &checked.external_ref).await?;
        return known.map(first).ok_or(DomainError::NotFound("purchase"));
    }
    let stored = by_ref(&tx, business_id, &checked.external_ref)
        .await?
        .ok_or(DomainError::NotFound("purchase"))?;
    let view = purchase_view(stored);
    if contact_created {
        let created = super::store::views_of(&tx, business_id, vec![contact.clone()]).await?;
        for view in &created {
            let event = webhooks::Event::new(EventType::ContactCreated, now, view);
            webhooks::emit(&tx, business_id, event).await?;
        }
    }
    webhooks::emit(
        &tx,
        business_id,
        webhooks::Event::new(EventType::PurchaseRecorded, now, &view),
    )
    .await?;
    tx.commit().await?;
    changed(events, business_id, contact.id);
    Ok(Recorded {
        purchase: view,
        created: true,
    })
}
