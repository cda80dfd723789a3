//! Reading credentials off a request, in one place for every door: GraphQL (`POST` and
//! the `/graphql/ws` upgrade and its `connection_init`), the signaling socket `/ws` and
//! the dashboard's server functions.
//!
//! Each door decides what it honours (GraphQL takes an API key or a session, `/ws` a
//! session or a caller token and never an API key, the server functions only the
//! session cookie) — those rules stay with the doors and [`super::authenticate`] — but
//! how a cookie or a bearer token is found is decided here once, so the doors cannot
//! drift apart on it. Tokens in the URL are never read.

use http::header::{AUTHORIZATION, COOKIE};
use http::HeaderMap;

use super::sessions::{DEVICE_COOKIE, SESSION_COOKIE};
use super::Principal;
use crate::callers::CALLER_COOKIE;
use crate::{DomainError, Services};

/// What a request presented: its bearer token and the cookies domaincall reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The `Authorization: Bearer` value as sent (after the scheme; not trimmed).
    pub bearer: Option<String>,
    /// The dashboard session cookie (`dc_session`), when dashboard cookies count.
    pub session: Option<String>,
    /// The device cookie (`dc_device`), when dashboard cookies count.
    pub device: Option<String>,
    /// The caller identity cookie (`dc_caller`).
    pub caller: Option<String>,
}

impl Credentials {
    /// The credentials in `headers`. With `dashboard_cookies` false — a request from a
    /// business's own domain, where our dashboard cookies must never count — the session
    /// and device cookies are left out.
    #[must_use]
    pub fn from_headers(headers: &HeaderMap, dashboard_cookies: bool) -> Self {
        let jar = |name| {
            cookie(headers, name)
                .filter(|_| dashboard_cookies)
                .map(str::to_owned)
        };
        Self {
            bearer: bearer(headers).map(str::to_owned),
            session: jar(SESSION_COOKIE),
            device: jar(DEVICE_COOKIE),
            caller: cookie(headers, CALLER_COOKIE).map(str::to_owned),
        }
    }

    /// The token a GraphQL WebSocket client sent in its `connection_init` payload
    /// (`{"authorization": "Bearer …"}`, either capitalisation of the key), or `None`
    /// when it sent none.
    #[must_use]
    pub fn from_init_payload(payload: &serde_json::Value) -> Option<Self> {
        let value = payload
            .get("authorization")
            .or_else(|| payload.get("Authorization"))
            .and_then(serde_json::Value::as_str)?;
        Some(Self {
            bearer: Some(value.trim_start_matches("Bearer ").to_owned()),
            ..Self::default()
        })
    }

    /// The dashboard principal these credentials prove: the bearer (an API key or a
    /// session token) wins over the session cookie.
    ///
    /// # Errors
    /// `Unauthenticated` when nothing valid was presented.
    pub async fn principal(&self, services: &Services) -> Result<Principal, DomainError> {
        super::authenticate(services, self.bearer.as_deref(), self.session.as_deref()).await
    }

    /// The bearer token trimmed, when it is not blank.
    #[must_use]
    pub fn bearer_token(&self) -> Option<&str> {
        self.bearer
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

/// The value of cookie `name` in the request's `Cookie` headers (the first one sent).
#[must_use]
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Authorization: Bearer` value, if any (as sent, after the scheme).
#[must_use]
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(http::HeaderName, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn cookies_and_the_bearer_are_found_wherever_they_are_sent() {
        let h = headers(&[
            (COOKIE, "theme=dark; dc_session=s1"),
            (COOKIE, "dc_device=d1;dc_caller=c1; dc_session=late"),
            (AUTHORIZATION, "Bearer  tok "),
        ]);
        let c = Credentials::from_headers(&h, true);
        assert_eq!(c.session.as_deref(), Some("s1"), "the first one sent");
        assert_eq!(c.device.as_deref(), Some("d1"));
        assert_eq!(c.caller.as_deref(), Some("c1"));
        assert_eq!(c.bearer.as_deref(), Some(" tok "));
        assert_eq!(c.bearer_token(), Some("tok"));
    }

    #[test]
    fn dashboard_cookies_do_not_count_from_a_business_domain() {
        let h = headers(&[(COOKIE, "dc_session=s1; dc_device=d1; dc_caller=c1")]);
        let c = Credentials::from_headers(&h, false);
        assert_eq!((c.session, c.device), (None, None));
        assert_eq!(
            c.caller.as_deref(),
            Some("c1"),
            "the call page's own cookie"
        );
    }

    #[test]
    fn names_must_match_exactly_and_other_schemes_are_not_bearers() {
        let h = headers(&[
            (COOKIE, "xdc_session=no; dc_session_old=no"),
            (AUTHORIZATION, "Basic dXNlcjpwYXNz"),
        ]);
        assert_eq!(Credentials::from_headers(&h, true), Credentials::default());
        let blank = headers(&[(AUTHORIZATION, "Bearer   ")]);
        let c = Credentials::from_headers(&blank, true);
        assert_eq!((c.bearer.as_deref(), c.bearer_token()), (Some("  "), None));
    }

    #[test]
    fn a_connection_init_token_is_read_under_either_key() {
        let lower = serde_json::json!({ "authorization": "Bearer abc" });
        let upper = serde_json::json!({ "Authorization": "abc" });
        for payload in [lower, upper] {
            let c = Credentials::from_init_payload(&payload);
            assert_eq!(c.and_then(|c| c.bearer), Some("abc".to_owned()));
        }
        assert_eq!(Credentials::from_init_payload(&serde_json::json!({})), None);
        assert_eq!(
            Credentials::from_init_payload(&serde_json::json!({ "authorization": 7 })),
            None
        );
    }
}
