//! Who is connecting: an agent (dashboard session) or a caller (caller token), decided
//! before the upgrade. Credentials come from cookies or `Authorization: Bearer`, never
//! from the URL.

use axum::http::HeaderMap;
use entity::auth::principal::Credential;
use entity::auth::sessions::SESSION_COOKIE;
use entity::events::Grant;
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
        /// The session the socket was opened with (revoking it closes the socket).
        session_id: Uuid,
    },
    /// A caller with a live caller identity.
    Caller {
        /// The caller identity.
        identity_id: Uuid,
    },
}

/// Whose sockets are counted together against the per-caller and per-agent caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Owner {
    Caller(Uuid),
    Agent(Uuid),
}

impl Peer {
    /// What an agent socket was opened with, for revocations (callers hold none).
    #[must_use]
    pub fn grant(&self) -> Option<Grant> {
        match *self {
            Self::Agent {
                user_id,
                business_id,
                session_id,
            } => Some(Grant {
                user_id,
                business_id,
                credential: Credential::Session(session_id),
            }),
            Self::Caller { .. } => None,
        }
    }

    /// Whether `other` is the same agent for the same business, or the same caller — who
    /// may resume this peer's signaling session (with any of their live sessions).
    #[must_use]
    pub fn same_party(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::Agent {
                    user_id,
                    business_id,
                    ..
                },
                Self::Agent {
                    user_id: u,
                    business_id: b,
                    ..
                },
            ) => user_id == u && business_id == b,
            (Self::Caller { identity_id }, Self::Caller { identity_id: i }) => identity_id == i,
            _ => false,
        }
    }

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
