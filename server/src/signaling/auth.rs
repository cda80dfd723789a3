//! Who is connecting: an agent (dashboard session) or a caller (caller token), decided
//! before the upgrade. Credentials are read by [`entity::auth::Credentials`] (cookies or
//! `Authorization: Bearer`, never the URL), as at every door.

use axum::http::HeaderMap;
use entity::auth::principal::Credential;
use entity::auth::Credentials;
use entity::{DomainError, Services};

use super::Peer;

pub use entity::callers::CALLER_COOKIE;

/// Whose sockets are counted together against the per-caller and per-agent caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Owner {
    Caller(uuid::Uuid),
    Agent(uuid::Uuid),
}

impl Peer {
    pub(super) fn owner(&self) -> Owner {
        match *self {
            Self::Agent { user_id, .. } => Owner::Agent(user_id),
            Self::Caller { identity_id } => Owner::Caller(identity_id),
        }
    }
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
    Ok(principal.and_then(|p| match p.credential {
        Credential::Session(session_id) => Some(Peer::Agent {
            user_id: p.user_id,
            business_id: p.business_id,
            session_id,
        }),
        Credential::ApiKey(_) => None,
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
    let presented = Credentials::from_headers(headers, session_cookie);
    let bearer = presented.bearer_token();
    if let Some(session) = presented.session.as_deref() {
        if let Some(peer) = agent(services, None, Some(session)).await? {
            return Ok(Some(peer));
        }
    }
    if let Some(token) = bearer {
        if let Some(peer) = agent(services, Some(token), None).await? {
            return Ok(Some(peer));
        }
    }
    if let Some(token) = presented.caller.as_deref() {
        if let Some(peer) = caller(services, token).await? {
            return Ok(Some(peer));
        }
    }
    match bearer {
        Some(token) => caller(services, token).await,
        None => Ok(None),
    }
}
