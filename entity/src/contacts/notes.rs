//! Notes on a contact and the contact's timeline (calls, notes and purchases, newest
//! first). Any member of the business writes and reads them; a note is changed or deleted
//! by its author, or by owners and admins.

use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

use super::store::{changed, find};
use super::values::note_text;
use super::views::{NoteView, PurchaseView, TimelineCall, TimelineEntry, TimelineMessage};
use crate::auth::Principal;
use crate::entities::{call, contact_note, purchase};
use crate::events::EventBus;
use crate::DomainError;

/// The most entries of each kind a timeline shows.
pub const MAX_TIMELINE: u64 = 200;

pub(crate) fn note_view(n: contact_note::Model) -> NoteView {
    NoteView {
        id: n.id,
        contact_id: n.contact_id,
        author_id: n.author_id,
        text: n.text,
        call_id: n.call_id,
        created_at: n.created_at,
    }
}

pub(crate) fn purchase_view(p: purchase::Model) -> PurchaseView {
    PurchaseView {
        id: p.id,
        contact_id: p.contact_id,
        product: p.product,
        amount_minor: p.amount_minor,
        currency: p.currency,
        purchased_at: p.purchased_at,
        external_ref: p.external_ref,
        created_at: p.created_at,
    }
}

/// Adds a note by the principal to one of the business's contacts, optionally about one
/// of the business's calls.
///
/// # Errors
/// `NotFound` for a contact or call of another business; `Validation` for a blank or too
/// long text.
pub async fn add_note(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    contact_id: Uuid,
    text: &str,
    call_id: Option<Uuid>,
) -> Result<NoteView, DomainError> {
    let text = note_text(text).map_err(|e| DomainError::Validation(vec![e]))?;
    let contact = find(db, principal, contact_id).await?;
    if let Some(call_id) = call_id {
        call::Entity::find_by_id(call_id)
            .filter(call::Column::BusinessId.eq(principal.business_id))
            .one(db)
            .await?
            .ok_or(DomainError::NotFound("call"))?;
    }
    let row = contact_note::ActiveModel {
        id: Set(Uuid::now_v7()),
        business_id: Set(principal.business_id),
        contact_id: Set(contact.id),
        author_id: Set(principal.user_id),
        text: Set(text),
        call_id: Set(call_id),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    changed(events, principal.business_id, contact.id);
    Ok(note_view(row))
}

/// A contact's notes, newest first.
///
/// # Errors
/// `NotFound`; database failures.
pub async fn notes(
    db: &impl ConnectionTrait,
    principal: &Principal,
    contact_id: Uuid,
) -> Result<Vec<NoteView>, DomainError> {
    let contact = find(db, principal, contact_id).await?;
    let rows = contact_note::Entity::find()
        .filter(contact_note::Column::BusinessId.eq(principal.business_id))
        .filter(contact_note::Column::ContactId.eq(contact.id))
        .order_by_desc(contact_note::Column::CreatedAt)
        .order_by_desc(contact_note::Column::Id)
        .limit(MAX_TIMELINE)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(note_view).collect())
}

/// A contact's purchases, newest first.
///
/// # Errors
/// `NotFound`; database failures.
pub async fn purchases(
    db: &impl ConnectionTrait,
    principal: &Principal,
    contact_id: Uuid,
) -> Result<Vec<PurchaseView>, DomainError> {
    let contact = find(db, principal, contact_id).await?;
    let rows = purchase::Entity::find()
        .filter(purchase::Column::BusinessId.eq(principal.business_id))
        .filter(purchase::Column::ContactId.eq(contact.id))
        .order_by_desc(purchase::Column::PurchasedAt)
        .limit(MAX_TIMELINE)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(purchase_view).collect())
}

/// A contact's calls, notes, purchases and messages in one list, newest first (at most
/// [`MAX_TIMELINE`] of each kind).
///
/// # Errors
/// `NotFound`; database failures.
pub async fn timeline(
    db: &impl ConnectionTrait,
    principal: &Principal,
    contact_id: Uuid,
) -> Result<Vec<TimelineEntry>, DomainError> {
    let calls = call::Entity::find()
        .filter(call::Column::BusinessId.eq(principal.business_id))
        .filter(call::Column::ContactId.eq(contact_id))
        .order_by_desc(call::Column::RequestedAt)
        .limit(MAX_TIMELINE)
        .all(db)
        .await?;
    let mut entries: Vec<TimelineEntry> = notes(db, principal, contact_id)
        .await?
        .into_iter()
        .map(TimelineEntry::Note)
        .collect();
    entries.extend(
        purchases(db, principal, contact_id)
            .await?
            .into_iter()
            .map(TimelineEntry::Purchase),
    );
    entries.extend(calls.into_iter().map(|c| {
        TimelineEntry::Call(TimelineCall {
            id: c.id,
            domain: c.domain,
            mode: c.mode,
            state: c.state,
            end_reason: c.end_reason,
            requested_at: c.requested_at,
            answered_by: c.answered_by,
            notes: c.notes,
        })
    }));
    let messages =
        crate::messages::store::of_contact(db, principal.business_id, contact_id).await?;
    entries.extend(messages.into_iter().map(|m| {
        TimelineEntry::Message(TimelineMessage {
            id: m.id,
            text: m.text,
            audio_ms: m.audio_ms,
            handled: m.status == crate::messages::MessageStatus::Handled,
            created_at: m.created_at,
        })
    }));
    entries.sort_by_key(|e| std::cmp::Reverse(e.at()));
    Ok(entries)
}

/// One of the business's notes that the principal may change: their own, or anyone's for
/// owners and admins.
async fn own_note(
    db: &impl ConnectionTrait,
    principal: &Principal,
    note_id: Uuid,
) -> Result<contact_note::Model, DomainError> {
    let note = contact_note::Entity::find_by_id(note_id)
        .filter(contact_note::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("note"))?;
    if note.author_id != principal.user_id {
        principal.require_manager()?;
    }
    Ok(note)
}

/// Rewrites a note. Its author may, and owners and admins.
///
/// # Errors
/// `NotFound` for a note of another business; `Forbidden` for an agent's colleague's
/// note; `Validation` for a blank or too long text.
pub async fn edit_note(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    note_id: Uuid,
    text: &str,
) -> Result<NoteView, DomainError> {
    let text = note_text(text).map_err(|e| DomainError::Validation(vec![e]))?;
    let note = own_note(db, principal, note_id).await?;
    let contact_id = note.contact_id;
    let mut active: contact_note::ActiveModel = note.into();
    active.text = sea_orm::ActiveValue::Set(text);
    let row = active.update(db).await?;
    changed(events, principal.business_id, contact_id);
    Ok(note_view(row))
}

/// Deletes a note. Its author may, and owners and admins.
///
/// # Errors
/// `NotFound` for a note of another business; `Forbidden` for an agent's colleague's note.
pub async fn delete_note(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    note_id: Uuid,
) -> Result<(), DomainError> {
    let note = own_note(db, principal, note_id).await?;
    contact_note::Entity::delete_many()
        .filter(contact_note::Column::BusinessId.eq(principal.business_id))
        .filter(contact_note::Column::Id.eq(note.id))
        .exec(db)
        .await?;
    changed(events, principal.business_id, note.contact_id);
    Ok(())
}

/// After an agent saved notes on one of the business's calls: the call's contact (if it
/// has one) changed, so its cached screen-pop card goes (the notes show as its latest
/// note).
///
/// # Errors
/// A database failure.
pub async fn call_notes_saved(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    business_id: Uuid,
    call_id: Uuid,
) -> Result<(), DomainError> {
    let contact = call::Entity::find_by_id(call_id)
        .filter(call::Column::BusinessId.eq(business_id))
        .one(db)
        .await?
        .and_then(|c| c.contact_id);
    if let Some(contact) = contact {
        changed(events, business_id, contact);
    }
    Ok(())
}
