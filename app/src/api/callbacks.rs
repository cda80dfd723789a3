//! Callbacks: a caller asks to be called back (public, from the call page, with the
//! caller identity its cookie proves); members list them, call back and close them (scoped
//! to the session's business); the signed links of the emails show and cancel.

use entity::callbacks::{CallbackAsked, CallbackView, LinkPage};
use leptos::prelude::*;

use crate::error::AppError;

/// Asks the business of `domain` to call back at `email` (name and note optional). A
/// second request with the same email while one waits updates it.
///
/// Public: the caller identity is the browser's (a new one is rate-limited per address),
/// and one identity may ask a few times an hour.
#[server(endpoint = "request_callback")]
pub async fn request_callback(
    domain: String,
    intent: Option<String>,
    email: String,
    name: Option<String>,
    note: Option<String>,
) -> Result<CallbackAsked, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let intent = match intent.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            None => None,
            Some(id) => Some(backend::parse_id(id, "intent")?),
        };
        let identity = super::calls::caller_of_browser(&services, Some(email.clone())).await?;
        let business = entity::domains::call_page_business(&services.db, &domain).await?;
        let input = entity::callbacks::CallbackRequest {
            domain,
            intent,
            email,
            name,
            note,
        };
        let now = chrono::Utc::now();
        let asked = entity::callbacks::store::request(&services, &identity, &input, now).await?;
        // Left an email: the business knows this browser next time.
        if let Some(business_id) = business {
            super::calls::remember_caller(&services, business_id, &asked.email)?;
        }
        Ok(asked)
    })
    .await
}

/// The callbacks of the current business: the open ones, or those of `status`
/// (`pending`, `in_progress`, `done`, `cancelled`, `expired`).
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
