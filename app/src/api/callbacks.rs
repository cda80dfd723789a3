//! Callbacks: a caller asks to be called back (public, from the call page, with the
//! caller identity its cookie proves); members list them, call back and close them (scoped
//! to the session's business); the signed links of the emails show and cancel.

use entity::callbacks::slots::WeekView;
use entity::callbacks::{CallbackAsked, CallbackView, LinkPage, SlotDay, SlotPolicy};
use leptos::prelude::*;

use crate::error::AppError;

/// Asks the business of `domain` to call back at `email` (name and note optional): as
/// soon as possible, or at `slot` (an RFC 3339 start among [`callback_slots`]'s), with the
/// confirmation's time in `zone` (the caller's). A second request with the same email
/// while one waits updates it.
///
/// Public: the caller identity is the browser's (a new one is rate-limited per address),
/// and one identity may ask a few times an hour.
#[allow(clippy::too_many_arguments)] // one per field, as the call page's form posts them
#[server(endpoint = "request_callback")]
pub async fn request_callback(
    domain: String,
    intent: Option<String>,
    email: String,
    name: Option<String>,
    note: Option<String>,
    when: Option<String>,
    slot: Option<String>,
    zone: Option<String>,
) -> Result<CallbackAsked, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let intent = match intent.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            None => None,
            Some(id) => Some(backend::parse_id(id, "intent")?),
        };
        // The slot counts only when "at a time" was chosen (a form sends both).
        let slot = match (when.as_deref(), slot.as_deref().map(str::trim)) {
            (Some("asap"), _) | (_, None | Some("")) => None,
            (_, Some(s)) => Some(
                chrono::DateTime::parse_from_rfc3339(s)
                    .map_err(|_| {
                        AppError::from(entity::DomainError::invalid(
                            "slot",
                            "Pick one of the times shown.",
                        ))
                    })?
                    .with_timezone(&chrono::Utc),
            ),
        };
        if when.as_deref() == Some("slot") && slot.is_none() {
            return Err(
                entity::DomainError::invalid("slot", "Pick one of the times shown.").into(),
            );
        }
        let identity = super::calls::caller_of_browser(&services, Some(email.clone())).await?;
        let business = entity::domains::call_page_business(&services.db, &domain).await?;
        let input = entity::callbacks::CallbackRequest {
            domain,
            intent,
            email,
            name,
            note,
            slot,
            zone,
        };
        let now = chrono::Utc::now();
        let asked = entity::callbacks::asking::request(&services, &identity, &input, now).await?;
        // Left an email: the business knows this browser next time.
        if let Some(business_id) = business {
            super::calls::remember_caller(&services, business_id, &asked.email)?;
        }
        Ok(asked)
    })
    .await
}

/// The free callback slots the business of `domain` offers callers of `intent` on `date`
/// (`YYYY-MM-DD` in `zone`, the caller's time zone; none: the first date with one).
/// Public, like the call page.
#[server(endpoint = "callback_slots")]
pub async fn callback_slots(
    domain: String,
    intent: Option<String>,
    date: Option<String>,
    zone: Option<String>,
) -> Result<SlotDay, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let business = entity::domains::call_page_business(&services.db, &domain)
            .await?
            .ok_or(entity::DomainError::NotFound("call page"))?;
        let intent = match intent.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            None => None,
            Some(id) => Some(backend::parse_id(id, "intent")?),
        };
        let date =
            match date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => None,
                Some(d) => Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(
                    |_| AppError::from(entity::DomainError::invalid("date", "Pick a date.")),
                )?),
            };
        let now = chrono::Utc::now();
        let db = &services.db;
        Ok(
            entity::callbacks::booking::day(db, business, intent, date, zone.as_deref(), now)
                .await?,
        )
    })
    .await
}

/// The current business's callback slot policy.
#[server(endpoint = "callback_slot_policy")]
pub async fn callback_slot_policy() -> Result<SlotPolicy, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let db = &services.db;
        Ok(
            entity::callbacks::booking::policy(db, principal.business_id)
                .await
                .map_err(entity::DomainError::from)?,
        )
    })
    .await
}

/// Sets how callback slots are cut and how many callbacks one takes (owners and admins).
#[server(endpoint = "set_slot_policy")]
pub async fn set_slot_policy(
    slot_minutes: String,
    buffer_minutes: String,
    notice_minutes: String,
    window_days: String,
    capacity: String,
    reminder_minutes: String,
) -> Result<SlotPolicy, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let number = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
        let policy = SlotPolicy::checked(
            number(&slot_minutes),
            number(&buffer_minutes),
            number(&notice_minutes),
            number(&window_days),
            number(&capacity),
            number(&reminder_minutes),
        )
        .map_err(entity::DomainError::Validation)?;
        let (db, events) = (&services.db, services.events.as_ref());
        let now = chrono::Utc::now();
        Ok(entity::callbacks::booking::set_policy(db, events, &principal, policy, now).await?)
    })
    .await
}

/// When the signed-in member's calendar feed was made, if they have one.
#[server(endpoint = "calendar_feed_status")]
pub async fn calendar_feed_status() -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::callbacks::feeds::status(&services.db, &principal).await?)
    })
    .await
}

/// A new calendar feed address for the signed-in member (an earlier one stops working).
#[server(endpoint = "create_calendar_feed")]
pub async fn create_calendar_feed() -> Result<String, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let now = chrono::Utc::now();
        let db = &services.db;
        Ok(entity::callbacks::feeds::create(db, &principal, &services.public_url, now).await?)
    })
    .await
}

/// Revokes the signed-in member's calendar feed.
#[server(endpoint = "revoke_calendar_feed")]
pub async fn revoke_calendar_feed() -> Result<bool, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::callbacks::feeds::revoke(&services.db, &principal).await?)
    })
    .await
}

/// The current business's booked callbacks of the week of `date` (`YYYY-MM-DD`; none:
/// this week), Monday to Sunday in the business's time zone.
#[server(endpoint = "callback_week")]
pub async fn callback_week(date: Option<String>) -> Result<WeekView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let date =
            match date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => None,
                Some(d) => Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(
                    |_| AppError::from(entity::DomainError::invalid("week", "Pick a date.")),
                )?),
            };
        let now = chrono::Utc::now();
        Ok(entity::callbacks::booking::week(&services.db, &principal, date, now).await?)
    })
    .await
}

/// The callbacks of the current business: the open ones, or those of `status`
/// (`pending`, `scheduled`, `in_progress`, `done`, `cancelled`, `expired`).
#[server(endpoint = "list_callbacks")]
pub async fn list_callbacks(status: Option<String>) -> Result<Vec<CallbackView>, AppError> {
    use crate::backend;
    use entity::callbacks::CallbackStatus;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let status = match status.as_deref().filter(|s| !s.is_empty() && *s != "open") {
            None => None,
            Some(s) => Some(CallbackStatus::parse(s).ok_or_else(|| {
                AppError::from(entity::DomainError::invalid("status", "Unknown status."))
            })?),
        };
        Ok(entity::callbacks::store::list(&services.db, &principal, status).await?)
    })
    .await
}

/// Calls the caller of callback `id` back: they get an email with a link that rings the
/// signed-in member.
#[server(endpoint = "call_back_now")]
pub async fn call_back_now(id: String) -> Result<CallbackView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "callback")?;
        let now = chrono::Utc::now();
        Ok(entity::callbacks::store::call_back_now(&services, &principal, id, now).await?)
    })
    .await
}

/// Moves callback `id` to the free time `slot` (an RFC 3339 start among
/// [`callback_slots`]'s); the caller is mailed the new time.
#[server(endpoint = "reschedule_callback")]
pub async fn reschedule_callback(
    id: String,
    slot: Option<String>,
) -> Result<CallbackView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "callback")?;
        let pick = || {
            AppError::from(entity::DomainError::invalid(
                "slot",
                "Pick one of the times shown.",
            ))
        };
        let at = chrono::DateTime::parse_from_rfc3339(slot.as_deref().unwrap_or_default().trim())
            .map_err(|_| pick())?
            .with_timezone(&chrono::Utc);
        let now = chrono::Utc::now();
        Ok(entity::callbacks::reschedule::reschedule(&services, &principal, id, at, now).await?)
    })
    .await
}

/// Assigns callback `id` to the member `member` (a user id; empty: to nobody).
#[server(endpoint = "assign_callback")]
pub async fn assign_callback(id: String, member: String) -> Result<CallbackView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "callback")?;
        let member = match member.trim() {
            "" => None,
            m => Some(backend::parse_id(m, "member")?),
        };
        let (db, events) = (&services.db, services.events.as_ref());
        let now = chrono::Utc::now();
        Ok(entity::callbacks::store::assign(db, events, &principal, id, member, now).await?)
    })
    .await
}

/// Marks callback `id` `done`, `cancelled` or `pending` (waiting again).
#[server(endpoint = "set_callback_status")]
pub async fn set_callback_status(id: String, status: String) -> Result<CallbackView, AppError> {
    use crate::backend;
    use entity::callbacks::CallbackStatus;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "callback")?;
        let status = CallbackStatus::parse(&status).ok_or_else(|| {
            AppError::from(entity::DomainError::invalid("status", "Unknown status."))
        })?;
        let (db, events) = (&services.db, services.events.as_ref());
        let now = chrono::Utc::now();
        Ok(entity::callbacks::store::set_status(db, events, &principal, id, status, now).await?)
    })
    .await
}

/// What the emailed link `token` is for (nothing is spent by looking).
#[server(endpoint = "open_link")]
pub async fn open_link(token: String) -> Result<LinkPage, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let now = chrono::Utc::now();
        Ok(entity::callbacks::store::open_link(&services.db, &token, now).await?)
    })
    .await
}

/// Moves the callback of the link `token` to `slot` (an RFC 3339 start among
/// [`callback_slots`]'s); the link is spent and the caller mailed the new time with a fresh
/// one. `zone` is the caller's, in which the picker showed the times.
#[server(endpoint = "move_callback")]
pub async fn move_callback(
    token: String,
    slot: Option<String>,
    zone: Option<String>,
) -> Result<LinkPage, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let at = slot
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .ok_or_else(|| {
                AppError::from(entity::DomainError::invalid(
                    "slot",
                    "Pick one of the times shown.",
                ))
            })?
            .with_timezone(&chrono::Utc);
        let now = chrono::Utc::now();
        Ok(
            entity::callbacks::reschedule::by_link(&services, &token, at, zone.as_deref(), now)
                .await?,
        )
    })
    .await
}

/// Cancels the callback of the cancel link `token` (the link is spent).
#[server(endpoint = "cancel_callback")]
pub async fn cancel_callback(token: String) -> Result<LinkPage, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let now = chrono::Utc::now();
        let events = services.events.as_ref();
        Ok(entity::callbacks::store::cancel_by_link(&services.db, events, &token, now).await?)
    })
    .await
}
