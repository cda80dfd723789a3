//! The `Origin` allowlist of `/ws`: the one every cookie-carrying door applies
//! ([`crate::http::origin`]), with the hub's own origins and https rule.

use axum::http::HeaderMap;
use entity::DomainError;
use sea_orm::DatabaseConnection;

pub(super) use crate::http::origin::Origin;

use super::Hub;

/// Classifies the request's `Origin` (see [`crate::http::origin::classify`]).
///
/// # Errors
/// Database failures while looking up a business domain.
pub(super) async fn classify(
    hub: &Hub,
    db: &DatabaseConnection,
    headers: &HeaderMap,
) -> Result<Origin, DomainError> {
    crate::http::origin::classify(
        &hub.inner.allowed_origins,
        hub.inner.https_only,
        db,
        headers,
    )
    .await
}
