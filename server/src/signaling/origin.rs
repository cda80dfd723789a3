//! The `Origin` allowlist of `/ws`: our own origins from the settings, plus the verified
//! domains of businesses (and `call.` + one), whose own sites host call pages. A request
//! without `Origin` is not a browser page and passes.

use axum::http::{header, HeaderMap};
use entity::domains::host_without_port;
use entity::DomainError;
use sea_orm::DatabaseConnection;

use super::Hub;
use crate::settings::origin_of;

/// What the `Origin` of an upgrade request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// No `Origin` (not a browser page), or one of ours.
    Own,
    /// A business's verified domain: a call page on the business's own site. Ambient
    /// dashboard cookies do not count from there (callers only, or an explicit bearer).
    BusinessDomain,
    /// Anything else: refused.
    Foreign,
}

/// Classifies the request's `Origin`.
///
/// # Errors
/// Database failures while looking up a business domain.
pub(super) async fn classify(
    hub: &Hub,
    db: &DatabaseConnection,
    headers: &HeaderMap,
) -> Result<Origin, DomainError> {
    let Some(value) = headers.get(header::ORIGIN) else {
        return Ok(Origin::Own);
    };
    // `null` (sandboxed frames, files) and anything unparsable are refused.
    let Some(origin) = value.to_str().ok().and_then(origin_of) else {
        return Ok(Origin::Foreign);
    };
    if hub.inner.allowed_origins.contains(&origin) {
        return Ok(Origin::Own);
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return Ok(Origin::Foreign);
    };
    if scheme == "http" && hub.inner.https_only {
        return Ok(Origin::Foreign);
    }
    let host = host_without_port(authority);
    Ok(match entity::domains::call_page(db, host).await? {
        Some(_) => Origin::BusinessDomain,
        None => Origin::Foreign,
    })
}
