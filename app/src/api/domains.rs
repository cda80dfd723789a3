//! Domains of the current business (list, add, check history, verify, remove, the team
//! calls without an intent ring) and the
//! public lookups behind the call pages (which business a domain reaches, which domains
//! are online now).

use entity::types::{CallPageInfo, DomainDetail, DomainView, VerificationResult};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What a call page request resolves to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallPageLookup {
    /// `/call` on domaincall's own host, without a domain: ask the visitor whom to call.
    OwnHost,
    /// A verified domain: its business's call page.
    Found(Box<CallPageInfo>),
    /// Not a verified domain of any business (unknown, pending, revoked or malformed).
    NotFound {
        /// What was asked for, as typed or as the Host header said.
        domain: String,
    },
}

/// The domains of the current business, by name (every member may see them).
#[server(endpoint = "list_domains")]
pub async fn list_domains() -> Result<Vec<DomainView>, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::domains::list(&services.db, &principal).await?)
    })
    .await
}

/// Adds a domain (owners and admins) and returns it with the record to publish.
#[server(endpoint = "add_domain")]
pub async fn add_domain(name: String) -> Result<DomainView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::domains::add(&services.db, &services.domains, &principal, &name).await?)
    })
    .await
}

/// One domain of the current business with its latest checks, newest first.
#[server(name = GetDomainDetail, endpoint = "domain_detail")]
pub async fn domain_detail(id: String) -> Result<DomainDetail, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "domain")?;
        Ok(entity::domains::detail(&services.db, &principal, id).await?)
    })
    .await
}

/// Looks up the domain's TXT record now and says precisely what was found.
#[server(endpoint = "verify_domain")]
pub async fn verify_domain(id: String) -> Result<VerificationResult, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "domain")?;
        Ok(entity::domains::verify(&services.db, &services.domains, &principal, id).await?)
    })
    .await
}

/// Removes a domain of the current business; its call page goes offline at once.
#[server(endpoint = "remove_domain")]
pub async fn remove_domain(id: String) -> Result<(), AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "domain")?;
        Ok(entity::domains::remove(&services.db, &services.domains, &principal, id).await?)
    })
    .await
}

/// Routes calls without an intent to domain `id` to team `team_id`, or to everyone with
/// `None` (owners and admins).
#[server(endpoint = "set_domain_route")]
pub async fn set_domain_route(id: String, team_id: Option<String>) -> Result<DomainView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "domain")?;
        let team_id = match team_id.as_deref() {
            None | Some("") => None,
            Some(t) => Some(backend::parse_id(t, "team")?),
        };
        let events = services.events.as_ref();
        Ok(entity::domains::set_route(&services.db, events, &principal, id, team_id).await?)
    })
    .await
}

/// The call page for `domain` (`/call/{domain}`), or, without one (`/call`), for the host
/// the request was sent to: a verified domain of a business (or `call.` + it) pointed at
/// domaincall, or domaincall's own host.
///
/// Public: no session needed.
#[server(name = LookupCallPage, endpoint = "call_page_info")]
pub async fn call_page_info(domain: Option<String>) -> Result<CallPageLookup, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let asked = match domain {
            Some(d) => d,
            None => {
                let host = backend::request_host().unwrap_or_default();
                if is_own_host(&host, &services.public_url) {
                    return Ok(CallPageLookup::OwnHost);
                }
                host
            }
        };
        Ok(
            match entity::domains::call_page(&services.db, &asked).await? {
                Some(mut info) => {
                    let business = entity::domains::call_page_business(&services.db, &asked);
                    if let Some(business_id) = business.await? {
                        info.remembered =
                            super::calls::remembered_email(&services, business_id).await;
                    }
                    if let Some(online) = use_context::<entity::calls::online::OnlineNow>() {
                        info.online = entity::calls::online::domain_online(
                            &services.db,
                            online.0.as_ref(),
                            &info.domain,
                        )
                        .await?;
                    }
                    CallPageLookup::Found(Box::new(info))
                }
                None => CallPageLookup::NotFound {
                    domain: entity::domains::host_without_port(&asked).to_owned(),
                },
            },
        )
    })
    .await
}

/// At most this many online domains are suggested on the call page.
pub const ONLINE_SUGGESTIONS: usize = 200;

/// The verified domains whose business can take a call now, sorted (at most
/// [`ONLINE_SUGGESTIONS`]): the call page's suggestions as the server renders them, before
/// the browser follows the `onlineDomains` subscription.
///
/// Public: no session needed (the `onlineDomains` GraphQL query answers the same).
#[server(name = ListOnlineDomains, endpoint = "online_domains")]
pub async fn online_domains() -> Result<Vec<String>, AppError> {
    use crate::backend;
    use entity::calls::online::{self, OnlineNow};

    backend::reply(async move {
        let services = backend::services()?;
        let Some(now) = use_context::<OnlineNow>() else {
            leptos::logging::error!("OnlineNow missing from the Leptos context");
            return Err(AppError::internal());
        };
        let mut names = online::online_domains(&services.db, now.0.as_ref()).await?;
        names.truncate(ONLINE_SUGGESTIONS);
        Ok(names)
    })
    .await
}

/// Whether `host` (a Host header) is domaincall itself rather than a business's domain:
/// the host of the public URL, `localhost`, a bare IP address, or nothing at all.
#[cfg(feature = "ssr")]
fn is_own_host(host: &str, public_url: &str) -> bool {
    let host = entity::domains::host_without_port(host).to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    let public = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let public = entity::domains::host_without_port(public).to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.is_empty()
        || host == public
        || host == "localhost"
        || bare.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::is_own_host;

    #[test]
    fn own_host_is_the_public_host_or_an_address() {
        let public = "https://Call.Example.net:8443/";
        assert!(is_own_host("call.example.net", public));
        assert!(is_own_host("call.example.net:8443", public));
        assert!(is_own_host("CALL.example.net.", public));
        assert!(is_own_host("127.0.0.1:3000", public));
        assert!(is_own_host("[::1]:3000", public));
        assert!(is_own_host("localhost:3000", public));
        assert!(is_own_host("", public));
        assert!(!is_own_host("shop.example.com", public));
        assert!(!is_own_host("call.shop.example.com", public));
    }
}

/// How to share a verified domain's call page: its full address, a QR code of it (SVG
/// markup made here from the address alone) and the click-to-call snippet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallPageShare {
    pub url: String,
    pub qr_svg: String,
    pub snippet: String,
}

/// The share card of one of the business's verified domains (`NOT_FOUND` otherwise).
#[server(endpoint = "share_call_page")]
pub async fn share_call_page(id: String) -> Result<CallPageShare, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "domain")?;
        let detail = entity::domains::detail(&services.db, &principal, id).await?;
        if detail.domain.status != entity::types::DomainStatus::Verified {
            return Err(entity::DomainError::NotFound("verified domain").into());
        }
        let base = services.public_url.trim_end_matches('/');
        let name = &detail.domain.name;
        let url = format!("{base}/call/{name}");
        let qr_svg = qrcode::QrCode::new(url.as_bytes())
            .map(|code| {
                code.render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(180, 180)
                    .quiet_zone(true)
                    .build()
            })
            .map(|svg| {
                svg.find("<svg")
                    .map_or(svg.clone(), |at| svg[at..].to_owned())
            })
            .unwrap_or_default();
        let snippet =
            format!(r#"<script src="{base}/widget.js" data-domain="{name}" async></script>"#);
        Ok(CallPageShare {
            url,
            qr_svg,
            snippet,
        })
    })
    .await
}
