//! Whether a business can be called right now, as the call page shows it.
//!
//! Presence is live, per-process state owned by the server's signaling hub; the web front
//! end (which cannot depend on the server crate) asks through this trait object, which the
//! server provides at startup.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::directory::CallDirectory;
use crate::domains::DomainName;
use crate::DomainError;

/// The answer of [`OnlineBusinesses::is_online`].
pub type OnlineFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// Who is online now: implemented by the signaling hub.
pub trait OnlineBusinesses: Send + Sync + 'static {
    /// Whether at least one of the business's agents has an `available` device connected.
    fn is_online(&self, business_id: Uuid) -> OnlineFuture<'_>;

    /// The call directory, when the implementation keeps one: verified domains are then
    /// answered from memory.
    fn directory(&self) -> Option<&CallDirectory> {
        None
    }
}

/// The handle the server shares with the front end (a Leptos context value).
#[derive(Clone)]
pub struct OnlineNow(pub Arc<dyn OnlineBusinesses>);

/// Whether the business holding `domain` verified can take a call now; `false` for a
/// domain nobody holds verified.
///
/// # Errors
/// A database failure.
pub async fn domain_online(
    db: &impl ConnectionTrait,
    online: &dyn OnlineBusinesses,
    domain: &str,
) -> Result<bool, DomainError> {
    let Ok(name) = DomainName::parse(domain) else {
        return Ok(false);
    };
    let found = match online.directory() {
        Some(directory) => directory.verified_business(db, &name).await?,
        None => super::records::verified_business(db, &name).await?,
    };
    match found {
        Some((business_id, _)) => Ok(online.is_online(business_id).await),
        None => Ok(false),
    }
}
