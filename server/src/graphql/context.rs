//! Per-request data the resolvers read: who is calling and from where.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_graphql::Context;
use entity::auth::Principal;
use entity::entities::caller_identity;
use entity::{DomainError, Services};

use super::error::gql;

/// The outcome of authenticating the request (resolved once, before execution).
pub struct RequestAuth(pub Result<Principal, DomainError>);

/// Raised when the credential a `/graphql/ws` connection was initialised with is revoked
/// or changes (see [`super::subscription::serve_until_revoked`]): the connection's later
/// operations are unauthenticated.
#[derive(Clone, Default)]
pub struct Revoked(Arc<AtomicBool>);

impl Revoked {
    /// Marks the connection's credential as revoked.
    pub fn raise(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether it was.
    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The raw `Authorization: Bearer` value, for callers (whose tokens are not sessions).
pub struct BearerToken(pub Option<String>);

/// The client's address and device cookie, for sign-in rate limiting.
pub struct ClientInfo {
    pub ip: String,
    pub device_token: Option<String>,
}

/// Accessors for resolvers.
pub trait ContextExt {
    /// The shared services.
    fn services(&self) -> &Services;
    /// The authenticated principal, or `UNAUTHENTICATED`.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` when the request carried no valid credentials.
    fn principal(&self) -> async_graphql::Result<&Principal>;
}

impl ContextExt for Context<'_> {
    fn services(&self) -> &Services {
        self.data_unchecked::<Services>()
    }

    fn principal(&self) -> async_graphql::Result<&Principal> {
        if self.data_opt::<Revoked>().is_some_and(Revoked::is_raised) {
            let text = "Your sign-in changed; connect again.";
            return Err(gql(DomainError::Unauthenticated(text.into())));
        }
        match self.data_opt::<RequestAuth>() {
            Some(RequestAuth(Ok(p))) => Ok(p),
            Some(RequestAuth(Err(e))) => Err(gql(DomainError::Unauthenticated(e.to_string()))),
            None => Err(gql(DomainError::Unauthenticated("Sign in first.".into()))),
        }
    }
}

/// The caller identity proven by the caller token sent as `Authorization: Bearer`.
///
/// # Errors
/// `UNAUTHENTICATED` when no live caller token was sent.
pub async fn caller(ctx: &Context<'_>) -> async_graphql::Result<caller_identity::Model> {
    let token = match ctx.data_opt::<BearerToken>() {
        Some(BearerToken(Some(t))) => t,
        _ => {
            return Err(gql(DomainError::Unauthenticated(
                "Send your caller token as Authorization: Bearer.".into(),
            )))
        }
    };
    let s = ctx.services();
    entity::callers::authenticate(&s.db, &s.keys, token)
        .await
        .map_err(gql)
}
