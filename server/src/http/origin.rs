//! Where a browser request comes from, for every door a cookie opens: `/ws`,
//! `/graphql/ws`, cookie-authenticated `POST /graphql` and the server functions under
//! `/api/*`.
//!
//! Browsers attach our cookies (`SameSite=Lax`) to top-level form posts from any site and
//! to WebSocket upgrades from any page, so a cookie alone never proves that one of our
//! pages asked. Browsers do say who asked: `Origin` on every POST and every WebSocket
//! upgrade, and `Sec-Fetch-Site` on the rest (secure contexts). This module reads them
//! once, in one place, so the doors cannot disagree:
//!
//! - our own origins (`DOMAINCALL_ALLOWED_ORIGINS` plus the public URL) are
//!   [`Origin::Own`];
//! - a business's verified domain (or `call.` + one) hosts that business's call page and
//!   is [`Origin::BusinessDomain`]: it may use what the call page uses, never the ambient
//!   dashboard cookies — anyone can verify a domain of their own;
//! - anything else, `null` and unparsable values included, is [`Origin::Foreign`].
//!
//! A request with neither header is not a browser page (curl, an integration, a test) and
//! counts as [`Origin::Own`]: it cannot be carrying a victim's cookies.

use axum::http::{header, HeaderMap, HeaderName};
use entity::domains::host_without_port;
use entity::DomainError;
use sea_orm::DatabaseConnection;

use crate::settings::origin_of;

static SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Who asked, as far as the browser says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// One of our own pages, or no browser at all.
    Own,
    /// A business's verified domain: a call page on the business's own site. Ambient
    /// dashboard cookies do not count from there (callers only, or an explicit bearer).
    BusinessDomain,
    /// Anything else: refused at every cookie-carrying door.
    Foreign,
}

/// Our own origins and whether business domains must be https.
#[derive(Clone, Debug)]
pub struct OwnOrigins {
    allowed: Vec<String>,
    https_only: bool,
}

impl OwnOrigins {
    /// `allowed` are normalised origins (`https://host[:port]`, see [`origin_of`]); with
    /// `https_only`, verified business domains count only as `https://` origins.
    #[must_use]
    pub fn new(allowed: Vec<String>, https_only: bool) -> Self {
        Self {
            allowed,
            https_only,
        }
    }

    /// Classifies the request by its `Origin`, else its `Sec-Fetch-Site`.
    ///
    /// # Errors
    /// Database failures while looking up a business domain.
    pub async fn classify(
        &self,
        db: &DatabaseConnection,
        headers: &HeaderMap,
    ) -> Result<Origin, DomainError> {
        classify(&self.allowed, self.https_only, db, headers).await
    }
}

/// Classifies a request against the `allowed` origins (see [`OwnOrigins::new`]).
///
/// With an `Origin` header its value decides. Without one, `Sec-Fetch-Site` does:
/// `same-origin` and `none` (typed in, a bookmark) are ours; `same-site` and `cross-site`
/// are another page, which cannot be told apart from a foreign one. Without either, the
/// request is not from a browser page. `Origin: null` counts as ours only with
/// `Sec-Fetch-Site: same-origin` (a page of ours under a `no-referrer` policy sends both);
/// pages cannot set either header.
///
/// # Errors
/// Database failures while looking up a business domain.
pub async fn classify(
    allowed: &[String],
    https_only: bool,
    db: &DatabaseConnection,
    headers: &HeaderMap,
) -> Result<Origin, DomainError> {
    let fetch_site = headers.get(&SEC_FETCH_SITE).map(|v| v.as_bytes());
    let Some(value) = headers.get(header::ORIGIN) else {
        return Ok(match fetch_site {
            None | Some(b"same-origin" | b"none") => Origin::Own,
            Some(_) => Origin::Foreign,
        });
    };
    // `null` (sandboxed frames, files, redirects, a `no-referrer` policy) and anything
    // unparsable are refused, unless the browser vouches that the page is ours.
    let Some(origin) = value.to_str().ok().and_then(origin_of) else {
        return Ok(match fetch_site {
            Some(b"same-origin") => Origin::Own,
            _ => Origin::Foreign,
        });
    };
    if allowed.contains(&origin) {
        return Ok(Origin::Own);
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return Ok(Origin::Foreign);
    };
    if scheme == "http" && https_only {
        return Ok(Origin::Foreign);
    }
    let host = host_without_port(authority);
    Ok(if entity::domains::has_call_page(db, host).await? {
        Origin::BusinessDomain
    } else {
        Origin::Foreign
    })
}

/// The request headers without our dashboard cookies (`dc_session`, `dc_device`): what a
/// request from a business's domain may carry. Other cookies (the caller's `dc_caller`)
/// stay.
pub fn strip_dashboard_cookies(headers: &mut HeaderMap) {
    use entity::auth::sessions::{DEVICE_COOKIE, SESSION_COOKIE};
    let kept: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(k, _)| k).trim();
            !pair.is_empty() && name != SESSION_COOKIE && name != DEVICE_COOKIE
        })
        .map(str::to_owned)
        .collect();
    headers.remove(header::COOKIE);
    if kept.is_empty() {
        return;
    }
    if let Ok(value) = kept.join("; ").parse() {
        headers.insert(header::COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_cookies_are_stripped_and_the_rest_kept() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            "dc_session=s; dc_caller=c".parse().expect("header"),
        );
        headers.append(
            header::COOKIE,
            "dc_device=d;other=1".parse().expect("header"),
        );
        strip_dashboard_cookies(&mut headers);
        let all: Vec<_> = headers.get_all(header::COOKIE).iter().collect();
        assert_eq!(all, ["dc_caller=c; other=1"]);
        let mut only = HeaderMap::new();
        only.insert(header::COOKIE, "dc_session=s".parse().expect("header"));
        strip_dashboard_cookies(&mut only);
        assert!(only.get(header::COOKIE).is_none());
    }
}
