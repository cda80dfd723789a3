//! Who can be called right now, as the call pages show it: one business's online line,
//! and the "online now" suggestions of the page asking whom to call.
//!
//! Presence is live, per-process state owned by the server's signaling hub; the web front
//! end (which cannot depend on the server crate) asks through this trait object, which the
//! server provides at startup.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::domains::DomainName;
use crate::DomainError;

/// The answer of an [`OnlineBusinesses`] question (`bool` unless said otherwise).
pub type OnlineFuture<'a, T = bool> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who is online now: implemented by the signaling hub.
pub trait OnlineBusinesses: Send + Sync + 'static {
    /// The businesses with at least one agent whose `available` device is connected.
    fn online_businesses(&self) -> OnlineFuture<'_, Vec<Uuid>>;

    /// Whether at least one of the business's agents has an `available` device connected.
    fn is_online(&self, business_id: Uuid) -> OnlineFuture<'_> {
        Box::pin(async move { self.online_businesses().await.contains(&business_id) })
    }

    /// The business holding `domain` verified now. By default read from the database
    /// ([`super::records::verified_business`]); the hub answers from its call directory.
    fn verified_business<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        domain: &'a DomainName,
    ) -> OnlineFuture<'a, Result<Option<Uuid>, DomainError>> {
        Box::pin(async move {
            let found = super::records::verified_business(db, domain).await?;
            Ok(found.map(|(business_id, _)| business_id))
        })
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
    db: &DatabaseConnection,
    online: &dyn OnlineBusinesses,
    domain: &str,
) -> Result<bool, DomainError> {
    let Ok(name) = DomainName::parse(domain) else {
        return Ok(false);
    };
    match online.verified_business(db, &name).await? {
        Some(business_id) => Ok(online.is_online(business_id).await),
        None => Ok(false),
    }
}

/// The verified domains whose business can take a call now, sorted by name (what the
/// `onlineDomains` query answers and the call page suggests).
///
/// # Errors
/// A database failure.
pub async fn online_domains(
    db: &impl ConnectionTrait,
    online: &dyn OnlineBusinesses,
) -> Result<Vec<String>, DomainError> {
    crate::domains::verified_domains_of(db, online.online_businesses().await).await
}
