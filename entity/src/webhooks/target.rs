//! Where a delivery may go: the server-side request forgery defence.
//!
//! An endpoint URL is chosen by a business, and the server makes the request, from inside
//! its own network. So every address a delivery connects to must be a public one
//! ([`crate::net::peers::special_purpose`]: no loopback, private, CGNAT, link-local or
//! metadata, ULA, multicast or other non-global range, in any IPv6 spelling), unless the
//! operator allowed its range (`DOMAINCALL_WEBHOOK_ALLOWED_NETS`).
//!
//! The check runs at each delivery, on the addresses the name resolves to then: they are
//! resolved once here, checked, and the request is made to exactly those addresses (with
//! the URL's host for `Host` and TLS), so a name that answers a public address to a check
//! and a private one to the connection (DNS rebinding) gains nothing.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::TokioResolver;

use super::target_url::{TargetHost, TargetUrl};
use crate::domains::DnsConfigError;
use crate::net::peers::{PeerPolicy, RefusedPeer};
use crate::net::IpRanges;
use crate::types::FieldError;

/// Which addresses deliveries may reach: the public Internet and the operator's ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    peers: PeerPolicy,
}

impl TargetPolicy {
    /// Public addresses plus `allowed`.
    #[must_use]
    pub fn new(allowed: IpRanges) -> Self {
        Self {
            peers: PeerPolicy::new(allowed, []),
        }
    }

    /// Why `ip` may not be reached, or `None` when it may.
    #[must_use]
    pub fn refusal(&self, ip: IpAddr) -> Option<String> {
        match self.peers.check(SocketAddr::new(ip, 0), |_| false) {
            Ok(()) => None,
            Err(RefusedPeer::SpecialPurpose { ip, range }) => Some(format!("{ip} is {range}")),
            Err(other) => Some(other.to_string()),
        }
    }

    /// The registration check: a URL naming a refused address is refused at once (names
    /// are judged at each delivery).
    ///
    /// # Errors
    /// A [`FieldError`] on `url` saying which range the address is in.
    pub fn check_url(&self, url: &TargetUrl) -> Result<(), FieldError> {
        match url.host() {
            Some(TargetHost::Ip(ip)) => match self.refusal(ip) {
                None => Ok(()),
                Some(why) => Err(FieldError {
                    field: "url".to_owned(),
                    message: format!("Deliveries go to public Internet addresses only, and {why}."),
                }),
            },
            _ => Ok(()),
        }
    }
}

/// Why a delivery could not be given an address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unreachable {
    /// The name did not resolve.
    #[error("{0}")]
    Dns(String),
    /// Every address is one deliveries may not reach.
    #[error("Not sent: {0}; deliveries go to public Internet addresses only.")]
    Refused(String),
}

/// Resolves endpoint names (the same name servers as domain checks, or the system's).
#[derive(Clone)]
pub struct TargetResolver {
    resolver: TokioResolver,
    timeout: Duration,
}

impl std::fmt::Debug for TargetResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetResolver")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl TargetResolver {
    /// A resolver asking `nameservers` (UDP, then TCP), or the system's when empty; one
    /// lookup takes at most `timeout`.
    ///
    /// # Errors
    /// [`DnsConfigError`] when `nameservers` is empty and `/etc/resolv.conf` is unreadable.
    pub fn new(nameservers: &[SocketAddr], timeout: Duration) -> Result<Self, DnsConfigError> {
        let (config, mut options) = if nameservers.is_empty() {
            hickory_resolver::system_conf::read_system_conf()?
        } else {
            let servers = nameservers.iter().map(|addr| {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            });
            (
                ResolverConfig::from_name_servers(servers.collect()),
                ResolverOpts::default(),
            )
        };
        options.timeout = timeout / 2;
        options.attempts = 1;
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(options)
            .build()
            .map_err(DnsConfigError::from)?;
        Ok(Self { resolver, timeout })
    }

    /// The addresses to connect to for `url`: resolved once, each checked against
    /// `policy`; the refused ones are dropped.
    ///
    /// # Errors
    /// [`Unreachable::Dns`] when the name does not resolve in time, [`Unreachable::Refused`]
    /// when no address is allowed.
    pub async fn addresses(
        &self,
        policy: &TargetPolicy,
        url: &TargetUrl,
    ) -> Result<Vec<SocketAddr>, Unreachable> {
        let ips = match url.host() {
            Some(TargetHost::Ip(ip)) => vec![ip],
            Some(TargetHost::Name(name)) => self.lookup(&name).await?,
            None => return Err(Unreachable::Dns("The URL has no host.".to_owned())),
        };
        let mut refusals = Vec::new();
        let mut allowed = Vec::new();
        for ip in ips {
            match policy.refusal(ip) {
                None => allowed.push(SocketAddr::new(ip, url.port())),
                Some(why) => refusals.push(why),
            }
        }
        if allowed.is_empty() {
            let why = refusals
                .into_iter()
                .next()
                .unwrap_or_else(|| "the name has no address".to_owned());
            let why = match url.host() {
                Some(TargetHost::Name(name)) => format!("{name} resolves to {why}"),
                _ => why,
            };
            return Err(Unreachable::Refused(why));
        }
        Ok(allowed)
    }

    async fn lookup(&self, name: &str) -> Result<Vec<IpAddr>, Unreachable> {
        // Absolute, so no search domain is ever appended.
        let fqdn = format!("{name}.");
        match tokio::time::timeout(self.timeout, self.resolver.lookup_ip(fqdn.as_str())).await {
            Ok(Ok(found)) => {
                let ips: Vec<IpAddr> = found.iter().collect();
                if ips.is_empty() {
                    Err(Unreachable::Dns(format!("{name} has no address in DNS.")))
                } else {
                    Ok(ips)
                }
            }
            Ok(Err(e)) if e.is_nx_domain() || e.is_no_records_found() => {
                Err(Unreachable::Dns(format!("{name} has no address in DNS.")))
            }
            Ok(Err(e)) => Err(Unreachable::Dns(format!("Looking up {name} failed ({e})."))),
            Err(_) => Err(Unreachable::Dns(format!(
                "Looking up {name} took too long."
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> TargetUrl {
        TargetUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn registration_refuses_non_public_addresses_unless_listed() {
        let strict = TargetPolicy::default();
        for s in [
            "http://127.0.0.1:9000/",
            "http://169.254.169.254/latest/meta-data",
            "http://10.1.2.3/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
        ] {
            let e = strict.check_url(&url(s)).err();
            assert!(
                e.is_some_and(|e| e.field == "url" && e.message.contains("public")),
                "{s}"
            );
        }
        assert_eq!(
            strict.check_url(&url("https://203.0.113.9.nip.example/")),
            Ok(())
        );
        assert_eq!(strict.check_url(&url("http://8.8.8.8/")), Ok(()));
        let tests: IpRanges = "127.0.0.0/8".parse().unwrap_or_else(|e| panic!("{e}"));
        let open = TargetPolicy::new(tests);
        assert_eq!(open.check_url(&url("http://127.0.0.1:9000/")), Ok(()));
        assert!(open.check_url(&url("http://10.0.0.1/")).is_err());
    }

    #[tokio::test]
    async fn addresses_in_the_url_are_checked_at_delivery_too() {
        let resolver = TargetResolver::new(
            &["127.0.0.1:9".parse().unwrap_or_else(|e| panic!("{e}"))],
            Duration::from_millis(200),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let strict = TargetPolicy::default();
        let refused = resolver
            .addresses(&strict, &url("http://127.0.0.1:8080/"))
            .await;
        assert!(
            matches!(refused, Err(Unreachable::Refused(ref why)) if why.contains("loopback")),
            "{refused:?}"
        );
        let tests: IpRanges = "127.0.0.0/8".parse().unwrap_or_else(|e| panic!("{e}"));
        let allowed = resolver
            .addresses(&TargetPolicy::new(tests), &url("http://127.0.0.1:8080/"))
            .await;
        assert_eq!(
            allowed,
            Ok(vec!["127.0.0.1:8080"
                .parse()
                .unwrap_or_else(|e| panic!("{e}"))])
        );
    }
}
