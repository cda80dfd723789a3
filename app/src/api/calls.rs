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
/// Public: no session needed; new identities are rate-limited per client address.
#[server(endpoint = "start_caller")]
pub async fn start_caller(email: Option<String>) -> Result<CallerIdentityView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let row = caller_of_browser(&services, email).await?;
        Ok(entity::callers::view(&row))
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
