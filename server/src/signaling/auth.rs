//! Who is connecting: an agent (dashboard session) or a caller (caller token), decided
//! before the upgrade. Credentials come from cookies or `Authorization: Bearer`, never
//! from the URL.

use axum::http::HeaderMap;
use entity::auth::principal::Credential;
use entity::auth::sessions::SESSION_COOKIE;
use entity::{DomainError, Services};
use uuid::Uuid;

use crate::graphql::{bearer, cookie};

pub use entity::callers::CALLER_COOKIE;

/// The authenticated party behind a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// A member of a business, signed in to the dashboard.
    Agent {
        /// The member.
        user_id: Uuid,
        /// The business their session acts for.
        business_id: Uuid,
    },
    /// A caller with a live caller identity.
    Caller {
        /// The caller identity.
        identity_id: Uuid,
    },
}

/// `Ok(None)` for refused credentials; other errors are the server's.
fn soft<T>(result: Result<T, DomainError>) -> Result<Option<T>, DomainError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(
            DomainError::Unauthenticated(_)
            | DomainError::Forbidden(_)
            | DomainError::NotFound(_)
            | DomainError::Validation(_),
        ) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn agent(
    services: &Services,
    bearer: Option<&str>,
    session: Option<&str>,
) -> Result<Option<Peer>, DomainError> {
    let principal = soft(entity::auth::authenticate(services, bearer, session).await)?;
    // API keys are for servers, not for devices that answer calls.
    Ok(principal
        .filter(|p| matches!(p.credential, Credential::Session(_)))
        .map(|p| Peer::Agent {
            user_id: p.user_id,
            business_id: p.business_id,
        }))
}

async fn caller(services: &Services, token: &str) -> Result<Option<Peer>, DomainError> {
    let identity = soft(entity::callers::authenticate(&services.db, &services.keys, token).await)?;
    Ok(identity.map(|i| Peer::Caller { identity_id: i.id }))
}

/// The peer the request's credentials prove, trying a session first (cookie, then
/// bearer), then a caller token (cookie, then bearer). The session cookie is only read
/// when `session_cookie` is set (the request comes from one of our own origins).
///
/// # Errors
/// Server failures (database) only; missing or refused credentials are `Ok(None)`.
pub(super) async fn authenticate(
    services: &Services,
    headers: &HeaderMap,
    session_cookie: bool,
) -> Result<Option<Peer>, DomainError> {
    let bearer = bearer(headers).map(str::trim).filter(|t| !t.is_empty());
    let session = cookie(headers, SESSION_COOKIE).filter(|_| session_cookie);
    if let Some(session) = session {
        if let Some(peer) = agent(services, None, Some(session)).await? {
            return Ok(Some(peer));
        }
    }
    if let Some(token) = bearer {
        if let Some(peer) = agent(services, Some(token), None).await? {
            return Ok(Some(peer));
        }
    }
    if let Some(token) = cookie(headers, CALLER_COOKIE) {
        if let Some(peer) = caller(services, token).await? {
            return Ok(Some(peer));
        }
    }
    match bearer {
        Some(token) => caller(services, token).await,
        None => Ok(None),
    }
}
