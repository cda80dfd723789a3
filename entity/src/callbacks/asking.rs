//! A caller asks to be called back: as soon as possible, or at a slot they booked.
//!
//! A second request with an email that already has an open callback updates that one (the
//! business sees one request); booking a slot on it moves its seat. A slot is checked
//! against the slots offered now and its seat taken in the transaction that schedules the
//! callback ([`super::booking`]), so it is never booked past its capacity. The caller gets
//! a confirmation — for a slot, with the time in their zone and a calendar file — and
//! every member a note. Mail is queued after the commit.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder};

use super::announce::announce;
use super::booking::{self, Offer};
use super::calendar::{callback_ics, host_of, CallbackEvent};
use super::calendar_links::event_details;
use super::emails::{self, Booked, RequestSummary};
use super::links::{self, Purpose};
use super::store::{self, optional};
use super::{CallbackAsked, CallbackRequest, CallbackStatus, NAME_MAX, NOTE_MAX};
use crate::contacts::matching::{self, Key};
use crate::domains::DomainName;
use crate::entities::{business, callback, caller_identity, membership, user};
use crate::events::BusinessEventKind;
use crate::mail_outbox as outbox_mail;
use crate::validate::EmailAddress;
use crate::{DomainError, Services};

/// New callbacks one caller identity may ask for in an hour.
pub const REQUESTS_PER_HOUR: u64 = 3;
/// How long a cancel link works (a callback rarely waits longer).
pub(crate) const CANCEL_TTL: Duration = Duration::days(30);

/// A slot being booked: when, and what decides it.
struct Slot {
    at: DateTime<Utc>,
    offer: Offer,
}

/// A booked time the caller is told of.
pub(crate) struct Confirmed<'a> {
    pub callback_id: Uuid,
    pub at: DateTime<Utc>,
    pub offer: &'a Offer,
    /// The caller's zone, when their browser named one.
    pub zone: Option<&'a str>,
    pub business_name: &'a str,
    pub intent: Option<&'a str>,
    pub note: Option<&'a str>,
    pub cancel_link: &'a str,
    /// The public URL.
    pub base: &'a str,
    pub now: DateTime<Utc>,
}

/// The time in the caller's zone and the calendar file of a booked callback.
pub(crate) fn booked(c: &Confirmed<'_>) -> Booked {
    let zone = booking::zone_for(c.zone, c.offer);
    let end = c.at + Duration::minutes(i64::from(c.offer.policy.slot_minutes));
    let details = event_details(None, c.intent, c.note);
    Booked {
        when: booking::local_text(&zone, c.at),
        ics: callback_ics(&CallbackEvent {
            callback_id: c.callback_id,
            host: host_of(c.base),
            summary: &format!("Call from {}", c.business_name),
            start: c.at,
            end,
            details: &details,
            url: c.cancel_link,
            now: c.now,
        }),
    }
}

/// The caller of `identity` asks the business of `input.domain` to call them back.
///
/// # Errors
/// `Validation` for a bad email, name or note, or a slot that is not offered; `NotFound`
/// for a domain no business has verified or an intent not its; `Conflict` when the slot's
/// last seat was just taken; `RateLimited` past [`REQUESTS_PER_HOUR`].
pub async fn request(
    services: &Services,
    identity: &caller_identity::Model,
    input: &CallbackRequest,
    now: DateTime<Utc>,
) -> Result<CallbackAsked, DomainError> {
    let db = &services.db;
    let email =
        EmailAddress::parse("email", &input.email).map_err(|e| DomainError::Validation(vec![e]))?;
    let email = email.as_ref().to_owned();
    let name = optional("name", input.name.as_deref(), NAME_MAX)?;
    let note = optional("note", input.note.as_deref(), NOTE_MAX)?;
    let domain =
        DomainName::parse(&input.domain).map_err(|_| DomainError::NotFound("call page"))?;
    let (business_id, domain) = crate::calls::records::verified_business(db, &domain)
        .await?
        .ok_or(DomainError::NotFound("call page"))?;
    let intent = booking::intent_of(db, business_id, input.intent).await?;
    let slot = match input.slot {
        None => None,
        Some(at) => {
            let offer = Offer::load(db, business_id, intent.as_ref()).await?;
            if offer.grid(now).binary_search(&at).is_err() {
                return Err(DomainError::invalid(
                    "slot",
                    "That time is not offered (any more). Pick one of the times shown.",
                ));
            }
            Some(Slot { at, offer })
        }
    };
    // The caller's zone, when their browser named one we know (the reminder says it).
    let zone = input
        .zone
        .as_deref()
        .and_then(|z| crate::schedules::parse_zone(z).ok())
        .and_then(|tz| tz.iana_name().map(str::to_owned));
    let txn = crate::tx::begin_write(db).await?;
    let open: Vec<&str> = CallbackStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(CallbackStatus::as_str)
        .collect();
    let existing = callback::Entity::find()
        .filter(callback::Column::BusinessId.eq(business_id))
        .filter(callback::Column::Email.eq(email.as_str()))
        .filter(callback::Column::Status.is_in(open))
        .one(&txn)
        .await?;
    let already = existing.is_some();
    let before = match &existing {
        Some(row) => Some(store::view(&txn, business_id, row.id).await?),
        None => None,
    };
    let id = if let Some(row) = existing {
        let id = row.id;
        let mut row: callback::ActiveModel = row.into();
        if name.is_some() {
            row.name = Set(name.clone());
        }
        if note.is_some() {
            row.note = Set(note.clone());
        }
        if let Some(i) = &intent {
            row.intent_id = Set(Some(i.id));
        }
        if let Some(slot) = &slot {
            booking::release(&txn, business_id, id).await?;
            row.status = Set(CallbackStatus::Scheduled.as_str().to_owned());
            row.slot_at = Set(Some(slot.at));
            row.reminded_at = Set(None);
            if zone.is_some() {
                row.caller_zone = Set(zone.clone());
            }
        }
        row.updated_at = Set(now);
        row.update(&txn).await?;
        if slot.is_none() {
            announce(&txn, business_id, id, before.as_ref(), now).await?;
            txn.commit().await?;
            services
                .events
                .publish(business_id, BusinessEventKind::CallbacksChanged, id);
            return Ok(CallbackAsked {
                email,
                already: true,
                slot: None,
            });
        }
        id
    } else {
        let recent = callback::Entity::find()
            .filter(callback::Column::BusinessId.eq(business_id))
            .filter(callback::Column::CallerName.eq(identity.name.as_str()))
            .filter(callback::Column::CreatedAt.gt(now - Duration::hours(1)))
            .count(&txn)
            .await?;
        if recent >= REQUESTS_PER_HOUR {
            return Err(DomainError::RateLimited {
                retry_after_secs: 3600,
            });
        }
        let verified = identity.kind == "domain";
        let key = if verified {
            Key::Domain(identity.name.to_ascii_lowercase())
        } else {
            Key::Email(email.to_lowercase())
        };
        let contact =
            matching::ensure(&txn, business_id, &key, name.as_deref(), Some(&email), now).await?;
        let id = Uuid::now_v7();
        let status = if slot.is_some() {
            CallbackStatus::Scheduled
        } else {
            CallbackStatus::Pending
        };
        callback::ActiveModel {
            id: Set(id),
            business_id: Set(business_id),
            contact_id: Set(Some(contact.id)),
            intent_id: Set(intent.as_ref().map(|i| i.id)),
            called_domain: Set(domain.clone()),
            caller_name: Set(identity.name.clone()),
            caller_verified: Set(verified),
            email: Set(email.clone()),
            name: Set(name.clone()),
            note: Set(note.clone()),
            status: Set(status.as_str().to_owned()),
            member_id: Set(None),
            call_id: Set(None),
            slot_at: Set(slot.as_ref().map(|s| s.at)),
            caller_zone: Set(zone.clone()),
            reminded_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        id
    };
    if let Some(slot) = &slot {
        let capacity = slot.offer.policy.capacity;
        booking::take_seat(&txn, business_id, id, slot.at, capacity, now).await?;
    }
    announce(&txn, business_id, id, before.as_ref(), now).await?;
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
    let business = business::Entity::find_by_id(business_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("business"))?;
    let members = member_emails(&txn, business_id).await?;
    let base = services.public_url.trim_end_matches('/');
    let cancel_link = format!("{base}/l/{cancel}");
    let booked = slot.as_ref().map(|s| {
        booked(&Confirmed {
            callback_id: id,
            at: s.at,
            offer: &s.offer,
            zone: input.zone.as_deref(),
            business_name: &business.name,
            intent: intent.as_ref().map(|i| i.label.as_str()),
            note: note.as_deref(),
            cancel_link: &cancel_link,
            base,
            now,
        })
    });
    let mut mails = vec![
        outbox_mail::write(
            &txn,
            emails::received(&email, &business.name, &cancel_link, booked.as_ref()),
            now,
        )
        .await?,
    ];
    let business_when = slot
        .as_ref()
        .map(|s| booking::local_text(&booking::zone_for(None, &s.offer), s.at));
    let dashboard_link = format!("{base}/app/callbacks");
    let summary = RequestSummary {
        business_name: &business.name,
        who: name.as_deref().unwrap_or(&email),
        email: &email,
        intent: intent.as_ref().map(|i| i.label.as_str()),
        note: note.as_deref(),
        when: business_when.as_deref(),
        dashboard_link: &dashboard_link,
    };
    if !already {
        let notes: Vec<_> = members
            .iter()
            .map(|to| emails::new_request(to, &summary))
            .collect();
        mails.extend(outbox_mail::write_all(&txn, notes, now).await?);
    }
    txn.commit().await?;
    outbox_mail::hand_over(db, services.outbox.as_ref(), mails).await;
    let events = &services.events;
    if !already {
        events.publish(business_id, BusinessEventKind::CallbackRequested, id);
    }
    events.publish(business_id, BusinessEventKind::CallbacksChanged, id);
    // The contact may be new: the call directory forgets what it knew of the business's.
    events.publish(business_id, BusinessEventKind::ContactsChanged, business_id);
    tracing::info!(business_id = %business_id, callback_id = %id, scheduled = slot.is_some(), "callback requested");
    Ok(CallbackAsked {
        email,
        already,
        slot: booked.map(|b| b.when),
    })
}

/// The emails of every member of `business_id`.
/// The business's members' addresses.
pub(crate) async fn member_emails(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<Vec<String>, DbErr> {
    let ids: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(business_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect())
}
