//! Calls from the browser: the caller identity behind the call page's socket, and the
//! notes an agent keeps after a call.
//!
//! Browsers cannot set headers on a WebSocket, so the call page authenticates its `/ws`
//! upgrade with the `dc_caller` cookie (`entity::callers::CALLER_COOKIE`) that
//! [`start_caller`] sets (HttpOnly: page scripts never see the token).

use entity::types::CallerIdentityView;
use leptos::prelude::*;

use crate::error::AppError;

/// The caller identity of this browser: the one its `dc_caller` cookie still proves, or a
/// new evanescent one (then the cookie is set for the identity's remaining life). `email`,
/// when given, is attached to it so the business can get back to the caller.
///
/// `domain` is the call page's: with an email, the business behind it remembers this
/// browser (a long-lived signed cookie of its own); without one, the email it remembers
/// is the caller's (see `entity::contacts::remembered`).
///
/// Public: no session needed; new identities are rate-limited per client address.
#[server(endpoint = "start_caller")]
pub async fn start_caller(
    email: Option<String>,
    domain: Option<String>,
) -> Result<CallerIdentityView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let email = email.filter(|e| !e.trim().is_empty());
        let business = match domain {
            Some(d) => entity::domains::call_page_business(&services.db, &d).await?,
            None => None,
        };
        let email = match (email, business) {
            (None, Some(business_id)) => remembered_email(&services, business_id).await,
            (email, _) => email,
        };
        let row = caller_of_browser(&services, email.clone()).await?;
        if let Some(business_id) = business {
            match (email, row.email.is_some()) {
                (Some(email), _) => remember_caller(&services, business_id, &email)?,
                // An email left on another business's page is not this business's to see.
                (None, true) => {
                    return Ok(entity::callers::detach_email(&services.db, &row).await?);
                }
                (None, false) => {}
            }
        }
        Ok(entity::callers::view(&row))
    })
    .await
}

/// The email `business_id` remembers this browser by, if its cookie is genuine.
#[cfg(feature = "ssr")]
pub(crate) async fn remembered_email(
    services: &entity::Services,
    business_id: uuid::Uuid,
) -> Option<String> {
    use entity::contacts::remembered;

    let token = crate::backend::cookie(&remembered::cookie_name(business_id)).await?;
    remembered::recall(&services.keys, business_id, &token)
}

/// Makes `business_id` remember this browser's caller as `email` (renewing the cookie).
#[cfg(feature = "ssr")]
pub(crate) fn remember_caller(
    services: &entity::Services,
    business_id: uuid::Uuid,
    email: &str,
) -> Result<(), AppError> {
    use entity::contacts::remembered;

    let token = remembered::remember(&services.keys, business_id, email)?;
    crate::backend::set_cookie(&entity::auth::cookie(
        &remembered::cookie_name(business_id),
        &token,
        remembered::REMEMBER_FOR,
        services.secure_cookies,
    ))
}

/// "Forget me" on the call page of `domain`: the business no longer recognises this
/// browser (its cookie is removed) and the caller identity loses the email it carried.
///
/// Public: no session needed.
#[server(endpoint = "forget_caller")]
pub async fn forget_caller(domain: String) -> Result<(), AppError> {
    use crate::backend;
    use entity::callers::{self, CALLER_COOKIE};
    use entity::contacts::remembered;

    backend::reply(async move {
        let services = backend::services()?;
        if let Some(business_id) =
            entity::domains::call_page_business(&services.db, &domain).await?
        {
            backend::set_cookie(&entity::auth::cookie(
                &remembered::cookie_name(business_id),
                "",
                chrono::Duration::zero(),
                services.secure_cookies,
            ))?;
        }
        if let Some(token) = backend::cookie(CALLER_COOKIE).await {
            if let Ok(row) = callers::authenticate(&services.db, &services.keys, &token).await {
                if row.email.is_some() {
                    callers::detach_email(&services.db, &row).await?;
                }
            }
        }
        Ok(())
    })
    .await
}

/// The caller identity the `dc_caller` cookie proves (with `email` attached when it is a
/// new one), or a new evanescent identity whose cookie is set here.
///
/// # Errors
/// `RateLimited` for too many new identities from one address; `Validation` for a bad
/// email.
#[cfg(feature = "ssr")]
pub(crate) async fn caller_of_browser(
    services: &entity::Services,
    email: Option<String>,
) -> Result<entity::entities::caller_identity::Model, AppError> {
    use crate::backend;
    use entity::callers::{self, CALLER_COOKIE};

    let email = email.filter(|e| !e.trim().is_empty());
    if let Some(token) = backend::cookie(CALLER_COOKIE).await {
        if let Ok(row) = callers::authenticate(&services.db, &services.keys, &token).await {
            return Ok(match email {
                Some(email) if row.email.as_deref() != Some(email.trim()) => {
                    callers::attach_email(&services.db, &row, &email).await?;
                    callers::authenticate(&services.db, &services.keys, &token).await?
                }
                _ => row,
            });
        }
    }
    services.guest_limiter.hit(&backend::client_ip().await)?;
    let session = callers::start_guest(
        &services.db,
        &services.keys,
        &services.callers,
        email.as_deref(),
    )
    .await?;
    let remaining = session.identity.expires_at - chrono::Utc::now();
    backend::set_cookie(&entity::auth::cookie(
        CALLER_COOKIE,
        &session.token,
        remaining,
        services.secure_cookies,
    ))?;
    Ok(callers::authenticate(&services.db, &services.keys, &session.token).await?)
}

/// Keeps the signed-in agent's notes on one of their business's calls (at most 5000
/// characters; blank clears them).
#[server(endpoint = "save_call_notes")]
pub async fn save_call_notes(call_id: String, notes: String) -> Result<(), AppError> {
    use crate::backend;
    use entity::calls::records::CallRecords;
    use entity::calls::CallId;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = CallId::from_uuid(backend::parse_id(&call_id, "call")?);
        let records = leptos::prelude::use_context::<CallRecords>();
        entity::calls::records::save_notes(
            &services.db,
            records.as_ref().map(|r| &*r.0),
            principal.business_id,
            id,
            principal.user_id,
            &notes,
        )
        .await?;
        // The caller's contact card shows these notes from the next call on.
        let events = services.events.as_ref();
        let business_id = principal.business_id;
        entity::contacts::notes::call_notes_saved(&services.db, events, business_id, id.as_uuid())
            .await?;
        Ok(())
    })
    .await
}
