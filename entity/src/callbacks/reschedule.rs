//! A callback moves to another free time — by a member (FIG. 14's calendar: "reschedule")
//! or by the caller with the link of their confirmation mail. The seat of the old time is
//! given back and one of the new time taken in one transaction (a full slot is `CONFLICT`),
//! the callback is scheduled again with its reminder to come, `callback.scheduled` is
//! announced, and the caller is mailed the new time with a calendar file that replaces the
//! old event (same UID) and a fresh link; the older links to change or cancel it stop
//! working.

use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set};

use super::announce::announce;
use super::asking::{booked, Confirmed, CANCEL_TTL};
use super::booking::{self, Offer};
use super::links::{self, Purpose};
use super::store::{refused, status_of, view};
use super::{emails, CallbackStatus, CallbackView, LinkPage, LinkRefusal};
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
    let row = callback::Entity::find_by_id(id)
        .filter(callback::Column::BusinessId.eq(principal.business_id))
        .one(&services.db)
        .await?
        .ok_or(DomainError::NotFound("callback"))?;
    if !status_of(&row).is_open() {
        return Err(DomainError::Conflict(
            "This callback is closed; open it again to give it a time.".to_owned(),
        ));
    }
    match move_booking(services, row, at, None, None, now).await? {
        Ok(moved) => Ok(moved.view),
        Err(_) => Err(DomainError::Conflict(
            "This callback changed meanwhile; reload and try again.".to_owned(),
        )),
    }
}

/// The caller moves their callback to the free time `at` with the link `token` of their
/// confirmation mail; `zone` is the one their browser showed the times in (kept for the
/// reminder when it is one we know). The link is spent (the mail of the new time brings a
/// fresh one); a link that does not work (any more) gives the page that says why.
///
/// # Errors
/// `Conflict` when the time was just taken; `Validation` (field `slot`) for a time that is
/// not offered; a database failure.
pub async fn by_link(
    services: &Services,
    token: &str,
    at: DateTime<Utc>,
    zone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<LinkPage, DomainError> {
    let db = &services.db;
    let link = match links::inspect(db, token, now).await? {
        Ok(link) if link.purpose == Purpose::Cancel => link,
        Ok(_) => return Ok(refused(db, LinkRefusal::Unknown, None).await?),
        Err((reason, row)) => return Ok(refused(db, reason, row.map(|r| r.callback_id)).await?),
    };
    let Some(row) = callback::Entity::find_by_id(link.callback_id)
        .filter(callback::Column::BusinessId.eq(link.business_id))
        .one(db)
        .await?
    else {
        return Ok(refused(db, LinkRefusal::Unknown, None).await?);
    };
    if !status_of(&row).is_open() {
        return Ok(refused(db, LinkRefusal::Closed, Some(row.id)).await?);
    }
    let (id, domain) = (row.id, row.called_domain.clone());
    match move_booking(services, row, at, Some(link.id), zone, now).await? {
        Ok(moved) => Ok(LinkPage::Moved {
            business_name: moved.business_name,
            domain,
            when: moved.when,
        }),
        Err(reason) => Ok(refused(db, reason, Some(id)).await?),
    }
}

/// A callback that moved.
struct Moved {
    view: CallbackView,
    business_name: String,
    /// The new time in the caller's zone.
    when: String,
}

/// Moves `row` (open) to `at`, spending the link `spend` in the same transaction when
/// given (`Err(Used)` if another click spent it first); a known `zone` replaces the
/// caller's.
async fn move_booking(
    services: &Services,
    row: callback::Model,
    at: DateTime<Utc>,
    spend: Option<Uuid>,
    zone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Result<Moved, LinkRefusal>, DomainError> {
    let zone = zone
        .and_then(|z| crate::schedules::parse_zone(z).ok())
        .and_then(|tz| tz.iana_name().map(str::to_owned))
        .or_else(|| row.caller_zone.clone());
    let db = &services.db;
    let (business_id, id) = (row.business_id, row.id);
    let intent = booking::intent_of(db, business_id, row.intent_id).await?;
    let offer = Offer::load(db, business_id, intent.as_ref()).await?;
    if offer.grid(now).binary_search(&at).is_err() {
        return Err(DomainError::invalid(
            "slot",
            "That time is not offered (any more). Pick one of the times shown.",
        ));
    }
    let txn = crate::tx::begin_write(db).await?;
    if let Some(link) = spend {
        if !links::spend(&txn, link, now).await? {
            return Ok(Err(LinkRefusal::Used));
        }
    }
    let before = view(&txn, business_id, id).await?;
    if !before.status.is_open() {
        return Ok(Err(LinkRefusal::Closed));
    }
    booking::release(&txn, business_id, id).await?;
    booking::take_seat(&txn, business_id, id, at, offer.policy.capacity, now).await?;
    let (email, note) = (row.email.clone(), row.note.clone());
    let mut active: callback::ActiveModel = row.into();
    active.slot_at = Set(Some(at));
    active.caller_zone = Set(zone.clone());
    active.reminded_at = Set(None);
    if before.status == CallbackStatus::Pending {
        active.status = Set(CallbackStatus::Scheduled.as_str().to_owned());
    }
    active.updated_at = Set(now);
    active.update(&txn).await?;
    links::retire(&txn, business_id, id, Some(Purpose::Cancel), now).await?;
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
    let mail = emails::moved(&email, &business_name, &cancel_link, &confirmed);
    let written = crate::mail_outbox::write(&txn, mail, now).await?;
    txn.commit().await?;
    crate::mail_outbox::hand_over(db, services.outbox.as_ref(), vec![written]).await;
    services
        .events
        .publish(business_id, BusinessEventKind::CallbacksChanged, id);
    tracing::info!(business_id = %business_id, callback_id = %id, by_caller = spend.is_some(), "callback moved");
    Ok(Ok(Moved {
        view: after,
        business_name,
        when: confirmed.when,
    }))
}
