//! Authentication and tenancy: who is calling, for which business, with which role.

pub mod accounts;
pub mod api_keys;
pub mod credentials;
pub mod emails;
pub mod invitations;
pub mod passwords;
pub mod principal;
pub mod rate_limit;
pub mod secrets;
pub mod sessions;
pub mod signup;
pub mod tokens;

pub use credentials::Credentials;
pub use principal::{Credential, Principal};

use crate::{DomainError, Services};

/// Resolves the credentials of a request: an `Authorization: Bearer` value (an API key
/// `dck_…` or a session token) wins over the session cookie.
///
/// # Errors
/// `Unauthenticated` when nothing valid was presented.
pub async fn authenticate(
    services: &Services,
    bearer: Option<&str>,
    session_cookie: Option<&str>,
) -> Result<Principal, DomainError> {
    match (bearer.map(str::trim), session_cookie) {
        (Some(key), _) if key.starts_with(api_keys::KEY_PREFIX) => {
            api_keys::authenticate(&services.db, key).await
        }
        (Some(token), _) => sessions::authenticate(&services.db, &services.keys, token).await,
        (None, Some(token)) => sessions::authenticate(&services.db, &services.keys, token).await,
        (None, None) => Err(DomainError::Unauthenticated("Sign in first.".into())),
    }
}

/// The `Set-Cookie` value for a cookie of ours: HttpOnly, SameSite=Lax, Path=/, Secure
/// when the public URL is https. A `max_age` of zero deletes it.
pub fn cookie(name: &str, value: &str, max_age: chrono::Duration, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        max_age.num_seconds().max(0),
        if secure { "; Secure" } else { "" }
    )
}
