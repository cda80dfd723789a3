//! A member moves a callback to another free time (FIG. 14's calendar: "reschedule"): the
//! seat of the old time is given back and one of the new time taken in one transaction (a
//! full slot is `CONFLICT`, as for a caller), the callback is scheduled again with its
//! reminder to come, `callback.scheduled` is announced, and the caller is mailed the new
//! time with a calendar file that replaces the old event (same UID) and a fresh cancel link.

use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set};

use super::announce::announce;
use super::asking::{booked, Confirmed, CANCEL_TTL};
use super::booking::{self, Offer};
use super::links::{self, Purpose};
use super::store::{status_of, view};
use super::{emails, CallbackStatus, CallbackView};
use crate::auth::Principal;
use crate::entities::{business, callback};
use crate::events::BusinessEventKind;
use crate::{DomainError, Services};

/// Moves open callback `id` of the principal's business to the free time `at`.
///
/// # Errors
/// `NotFound` for another business's callback; `Conflict` for a closed one or a time just
/// taken; `Validation` (field `slot`) for a time that is not offered.
pub async fn reschedule(
    services: &Services,
    principal: &Principal,
    id: Uuid,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<CallbackView, DomainError> {
    let db = &services.db;
    let business_id = principal.business_id;
    let row = callback::Entity::find_by_id(id)
        .filter(callback::Column::BusinessId.eq(business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("callback"))?;
    if !status_of(&row).is_open() {
        return Err(DomainError::Conflict(
            "This callback is closed; open it again to give it a time.".to_owned(),
        ));
    }
    let intent = booking::intent_of(db, business_id, row.intent_id).await?;
    let offer = Offer::load(db, business_id, intent.as_ref()).await?;
    if offer.grid(now).binary_search(&at).is_err() {
        return Err(DomainError::invalid(
            "slot",
            "That time is not offered (any more). Pick one of the times shown.",
        ));
    }
    let txn = crate::tx::begin_write(db).await?;
    let before = view(&txn, business_id, id).await?;
    booking::release(&txn, business_id, id).await?;
    booking::take_seat(&txn, business_id, id, at, offer.policy.capacity, now).await?;
    let (email, zone, note) = (row.email.clone(), row.caller_zone.clone(), row.note.clone());
    let mut active: callback::ActiveModel = row.into();
    active.slot_at = Set(Some(at));
    active.reminded_at = Set(None);
    if before.status == CallbackStatus::Pending {
        active.status = Set(CallbackStatus::Scheduled.as_str().to_owned());
    }
    active.updated_at = Set(now);
    active.update(&txn).await?;
    let cancel = links::issue(
        &txn,
        Purpose::Cancel,
        business_id,
        id,
        None,
        CANCEL_TTL,
        now,
    )
    .await?;
    let after = announce(&txn, business_id, id, Some(&before), now).await?;
    let business_name = business::Entity::find_by_id(business_id)
        .one(&txn)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    txn.commit().await?;
    let base = services.public_url.trim_end_matches('/');
    let cancel_link = format!("{base}/l/{cancel}");
    let confirmed = booked(&Confirmed {
        callback_id: id,
        at,
        offer: &offer,
        zone: zone.as_deref(),
        business_name: &business_name,
        intent: intent.as_ref().map(|i| i.label.as_str()),
        note: note.as_deref(),
        cancel_link: &cancel_link,
        base,
        now,
    });
    services
        .outbox
        .send_email(emails::moved(
            &email,
            &business_name,
            &cancel_link,
            &confirmed,
        ))
        .await?;
    services
        .events
        .publish(business_id, BusinessEventKind::CallbacksChanged, id);
    tracing::info!(business_id = %business_id, callback_id = %id, "callback moved");
    Ok(after)
}
