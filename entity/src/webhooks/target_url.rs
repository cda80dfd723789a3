//! The URL of an endpoint: what a business may register.
//!
//! Only `http` and `https`, with a host, without credentials (they would show in every log
//! of the endpoint) or a fragment (never sent). Where the host points is judged twice: an
//! IP address here already (so an obvious `http://169.254.169.254/` is refused at once),
//! and every address a name resolves to at each delivery ([`super::target`]), since DNS
//! can change after registration.

use std::net::IpAddr;

use crate::types::FieldError;

/// The longest URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Where an endpoint's host points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetHost {
    /// A name, resolved at each delivery (ASCII, lowercase).
    Name(String),
    /// An address written in the URL.
    Ip(IpAddr),
}

/// A checked endpoint URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetUrl(url::Url);

fn bad(message: &str) -> FieldError {
    FieldError {
        field: "url".to_owned(),
        message: message.to_owned(),
    }
}

impl TargetUrl {
    /// Parses a URL a business typed.
    ///
    /// # Errors
    /// A [`FieldError`] on `url` saying what to change.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(bad("Enter the URL your server receives events at."));
        }
        if input.len() > MAX_URL_LEN {
            return Err(bad(&format!(
                "Use a URL of at most {MAX_URL_LEN} characters."
            )));
        }
        let url = url::Url::parse(input).map_err(|_| {
            bad("This is not a URL; write it in full, like https://example.com/hooks.")
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("Use an http:// or https:// URL."));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "Leave user names and passwords out of the URL; deliveries are signed, so \
                 your server can tell they come from us.",
            ));
        }
        if url.fragment().is_some() {
            return Err(bad("Remove the #fragment: it is never sent."));
        }
        let target = Self(url);
        match target.host() {
            Some(TargetHost::Name(name)) if name == "localhost" || name.ends_with(".localhost") => {
                Err(bad(
                    "localhost is this server itself; use an address on the Internet.",
                ))
            }
            Some(_) => Ok(target),
            None => Err(bad(
                "Put the server's name in the URL, like https://example.com/hooks.",
            )),
        }
    }

    /// The URL as text (normalised: lowercase scheme and host, `/` for an empty path).
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    #[must_use]
    pub fn url(&self) -> &url::Url {
        &self.0
    }

    /// The host, as a name to resolve or an address.
    #[must_use]
    pub fn host(&self) -> Option<TargetHost> {
        match self.0.host()? {
            url::Host::Domain(name) => Some(TargetHost::Name(
                name.trim_end_matches('.').to_ascii_lowercase(),
            )),
            url::Host::Ipv4(v4) => Some(TargetHost::Ip(IpAddr::V4(v4))),
            url::Host::Ipv6(v6) => Some(TargetHost::Ip(IpAddr::V6(v6))),
        }
    }

    /// The port connected to (the scheme's default when the URL names none).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> TargetUrl {
        TargetUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn web_urls_are_taken_and_normalised() {
        let u = ok(" HTTPS://Hooks.Example.COM/in?x=1 ");
        assert_eq!(u.as_str(), "https://hooks.example.com/in?x=1");
        assert_eq!(u.host(), Some(TargetHost::Name("hooks.example.com".into())));
        assert_eq!(u.port(), 443);
        let u = ok("http://203.0.113.7:8080");
        assert_eq!(u.as_str(), "http://203.0.113.7:8080/");
        assert_eq!(u.port(), 8080);
        assert_eq!(
            u.host(),
            Some(TargetHost::Ip(
                "203.0.113.7".parse().unwrap_or_else(|e| panic!("{e}"))
            ))
        );
        let u = ok("http://[2001:db8::1]/x");
        assert!(matches!(u.host(), Some(TargetHost::Ip(IpAddr::V6(_)))));
        // IDNs become their ASCII form.
        assert_eq!(
            ok("https://bücher.example/").host(),
            Some(TargetHost::Name("xn--bcher-kva.example".into()))
        );
    }

    #[test]
    fn everything_else_is_refused_with_a_reason() {
        for s in [
            "",
            "hooks.example.com/in",
            "ftp://example.com/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "https://example.com/#top",
            "http://localhost:8080/",
            "http://api.localhost/",
            "http://",
            "data:text/plain,hi",
        ] {
            let e = TargetUrl::parse(s)
                .err()
                .unwrap_or_else(|| panic!("{s} accepted"));
            assert_eq!(e.field, "url");
            assert!(e.message.ends_with('.'), "{s}: {}", e.message);
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(TargetUrl::parse(&long).is_err());
    }
}
