//! Merging two contacts that turned out to be one customer: every call, note and purchase
//! of the second moves onto the first, the first keeps its fields and fills its blanks
//! from the second, and the second is deleted — in one transaction.

use sea_orm::{
    prelude::*, sea_query::Expr, ActiveValue::Set, TransactionSession, TransactionTrait,
};

use super::store::{changed, find, get, taken};
use super::values::Tags;
use super::views::ContactView;
use crate::auth::Principal;
use crate::entities::{call, contact, contact_note, purchase};
use crate::events::EventBus;
use crate::webhooks::{self, EventType};
use crate::DomainError;

/// The merged contact's fields: `keep`'s, blanks filled from `gone`, tags joined, counts
/// added, the first sighting the earlier one and the last contact the later one.
fn merged(keep: contact::Model, gone: &contact::Model) -> contact::ActiveModel {
    let mut tags = Tags::from_stored(&keep.tags).as_slice().to_vec();
    tags.extend(Tags::from_stored(&gone.tags).as_slice().iter().cloned());
    let tags = Tags::parse(&tags).unwrap_or_else(|_| Tags::from_stored(&keep.tags));
    let mut active: contact::ActiveModel = keep.clone().into();
    active.email = Set(keep.email.or_else(|| gone.email.clone()));
    active.phone = Set(keep.phone.or_else(|| gone.phone.clone()));
    active.address = Set(keep.address.or_else(|| gone.address.clone()));
    active.caller_domain = Set(keep.caller_domain.or_else(|| gone.caller_domain.clone()));
    active.client_type = Set(keep.client_type.or_else(|| gone.client_type.clone()));
    active.tags = Set(tags.stored());
    active.first_seen_at = Set(keep.first_seen_at.min(gone.first_seen_at));
    active.last_contact_at = Set(keep.last_contact_at.max(gone.last_contact_at));
    active.call_count = Set(keep.call_count.saturating_add(gone.call_count));
    active.updated_at = Set(chrono::Utc::now());
    active
}

/// Merges contact `gone` into `keep` (both of the principal's business). Owners and
/// admins only.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` for a contact of another business; `Validation` when
/// both are the same contact.
pub async fn merge(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    keep: Uuid,
    gone: Uuid,
) -> Result<ContactView, DomainError> {
    principal.require_manager()?;
    if keep == gone {
        return Err(DomainError::invalid(
            "from",
            "Choose two different contacts to merge.",
        ));
    }
    let business_id = principal.business_id;
    let tx = crate::tx::begin_write(db).await?;
    let kept = find(&tx, principal, keep).await?;
    let removed = find(&tx, principal, gone).await?;
    call::Entity::update_many()
        .col_expr(call::Column::ContactId, Expr::value(keep))
        .filter(call::Column::BusinessId.eq(business_id))
        .filter(call::Column::ContactId.eq(gone))
        .exec(&tx)
        .await?;
    contact_note::Entity::update_many()
        .col_expr(contact_note::Column::ContactId, Expr::value(keep))
        .filter(contact_note::Column::BusinessId.eq(business_id))
        .filter(contact_note::Column::ContactId.eq(gone))
        .exec(&tx)
        .await?;
    purchase::Entity::update_many()
        .col_expr(purchase::Column::ContactId, Expr::value(keep))
        .filter(purchase::Column::BusinessId.eq(business_id))
        .filter(purchase::Column::ContactId.eq(gone))
        .exec(&tx)
        .await?;
    // Deleted before the update: its email and domain are unique per business.
    contact::Entity::delete_many()
        .filter(contact::Column::BusinessId.eq(business_id))
        .filter(contact::Column::Id.eq(gone))
        .exec(&tx)
        .await?;
    merged(kept, &removed).update(&tx).await.map_err(taken)?;
    let view = get(&tx, principal, keep).await?;
    let now = chrono::Utc::now();
    webhooks::emit(
        &tx,
        business_id,
        webhooks::Event::new(EventType::ContactUpdated, now, &view),
    )
    .await?;
    tx.commit().await?;
    changed(events, business_id, keep);
    changed(events, business_id, gone);
    Ok(view)
}
