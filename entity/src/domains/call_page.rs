//! Which business answers a call page: `/call/{domain}` on our host, or `/call` on a
//! verified domain pointed at us (the domain itself or `call.` + it).

use sea_orm::{prelude::*, QueryOrder, QuerySelect};

use super::DomainName;
use crate::entities::{business, domain};
use crate::types::{CallPageInfo, DomainStatus};
use crate::DomainError;

/// The business behind `host` (a domain, a `call.` subdomain of one, or a Host header with
/// a port), if that domain is verified: its intents, and its opening hours now.
///
/// # Errors
/// Database failures only; anything that is not a verified domain is `None`.
pub async fn call_page(
    db: &impl ConnectionTrait,
    host: &str,
) -> Result<Option<CallPageInfo>, DomainError> {
    let Some((d, b)) = lookup(db, host).await? else {
        return Ok(None);
    };
    Ok(Some(CallPageInfo {
        business_name: b.name.clone(),
        domain: d.name.clone(),
        display_domain: DomainName::parse(&d.name).map_or_else(|_| d.name.clone(), |n| n.unicode()),
        intents: crate::routing_setup::intents::options(db, b.id).await?,
        online: false,
        hours: crate::schedules::present::call_page_status(db, b.id, chrono::Utc::now()).await?,
        remembered: None,
        greeting: b.greeting.clone(),
        logo_url: crate::profile::logo_url_of(db, b.id).await?,
    }))
}

/// The business whose call page `host` is, if any.
///
/// # Errors
/// Database failures only.
pub async fn call_page_business(
    db: &impl ConnectionTrait,
    host: &str,
) -> Result<Option<Uuid>, DomainError> {
    Ok(lookup(db, host).await?.map(|(_, b)| b.id))
}

/// Whether `host` has a call page (one query; for the origin checks, which need no more).
///
/// # Errors
/// Database failures only.
pub async fn has_call_page(db: &impl ConnectionTrait, host: &str) -> Result<bool, DomainError> {
    Ok(lookup(db, host).await?.is_some())
}

/// The verified domain and business `host` names.
async fn lookup(
    db: &impl ConnectionTrait,
    host: &str,
) -> Result<Option<(domain::Model, business::Model)>, DomainError> {
    let host = host_without_port(host);
    let Ok(name) = DomainName::parse(host) else {
        return Ok(None);
    };
    let mut candidates = vec![name.as_str().to_owned()];
    if let Some(rest) = name.as_str().strip_prefix("call.") {
        candidates.push(rest.to_owned());
    }
    let found = domain::Entity::find()
        .filter(domain::Column::Name.is_in(candidates.clone()))
        .filter(domain::Column::Status.eq(DomainStatus::Verified.as_str()))
        .find_also_related(business::Entity)
        .all(db)
        .await?;
    // The exact name wins over the `call.` reading.
    Ok(candidates.iter().find_map(|c| {
        found
            .iter()
            .find(|(d, _)| &d.name == c)
            .and_then(|(d, b)| b.clone().map(|b| (d.clone(), b)))
    }))
}

/// The verified domains of `businesses`, by name (e.g. those with an agent online now).
///
/// # Errors
/// Database failures only.
pub async fn verified_domains_of(
    db: &impl ConnectionTrait,
    businesses: Vec<Uuid>,
) -> Result<Vec<String>, DomainError> {
    if businesses.is_empty() {
        return Ok(Vec::new());
    }
    Ok(domain::Entity::find()
        .select_only()
        .column(domain::Column::Name)
        .filter(domain::Column::BusinessId.is_in(businesses))
        .filter(domain::Column::Status.eq(DomainStatus::Verified.as_str()))
        .order_by_asc(domain::Column::Name)
        .into_tuple()
        .all(db)
        .await?)
}

/// `example.com:8443` → `example.com`; `[::1]:80` → `[::1]` (refused later as an IP).
#[must_use]
pub fn host_without_port(host: &str) -> &str {
    let host = host.trim();
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &host[..=h.len()]);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::host_without_port;

    #[test]
    fn ports_are_dropped() {
        assert_eq!(host_without_port("example.com:8443"), "example.com");
        assert_eq!(host_without_port("example.com"), "example.com");
        assert_eq!(host_without_port("[::1]:80"), "[::1]");
        assert_eq!(host_without_port(" call.example.com "), "call.example.com");
    }
}
