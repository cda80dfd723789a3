//! Client addresses behind reverse proxies, address ranges, and ([`peers`]) which
//! addresses the server may reach for others (TURN peers, webhook targets).
//!
//! Every per-client limit (sign-in, sign-up, guest identities, calls) is keyed on the
//! client's address. Behind a reverse proxy the TCP peer is the proxy, so the address must
//! come from `Forwarded` / `X-Forwarded-For` — but only through proxies the operator
//! listed (`DOMAINCALL_TRUSTED_PROXIES`): anyone can send those headers, so an untrusted
//! peer's headers are ignored, and in a chain the client is the first address (from the
//! right) that is not a trusted proxy.

pub mod peers;

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// The client's address as the server decided it (see [`client_ip`]); the one value every
/// front door keys its limits on. Put in each request's extensions by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl fmt::Display for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A CIDR range (`10.0.0.0/8`, `fd00::/8`; a bare address is a single-address range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

/// Why a range did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IP address or CIDR range like 10.0.0.0/8 or fd00::/8")]
pub struct BadRange(pub String);

impl IpRange {
    /// The range of `network`/`prefix`; host bits of `network` are ignored.
    ///
    /// # Errors
    /// When `prefix` is longer than the address.
    pub fn new(network: IpAddr, prefix: u8) -> Result<Self, BadRange> {
        let max = match network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if prefix > max {
            return Err(BadRange(format!("{network}/{prefix}")));
        }
        Ok(Self { network, prefix })
    }

    /// Whether `ip` is in the range. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is
    /// compared as the IPv4 address it carries, and the other way round.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            (IpAddr::V6(_), IpAddr::V4(ip)) => self.contains_v6_mapped(ip),
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
        }
    }

    fn contains_v6_mapped(&self, ip: std::net::Ipv4Addr) -> bool {
        match self.network {
            IpAddr::V6(net) => {
                let mapped = u128::from(ip.to_ipv6_mapped());
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == mapped & mask
            }
            IpAddr::V4(_) => false,
        }
    }
}

/// An IPv4-mapped IPv6 address as its IPv4 address; anything else unchanged.
#[must_use]
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

impl FromStr for IpRange {
    type Err = BadRange;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || BadRange(s.to_owned());
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad())?;
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().map_err(|_| bad())?,
            None if network.is_ipv4() => 32,
            None => 128,
        };
        Self::new(network, prefix).map_err(|_| bad())
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A list of ranges, parsed from a comma list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpRanges(pub Vec<IpRange>);

impl IpRanges {
    /// Whether any range holds `ip`.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for IpRanges {
    type Err = BadRange;

    /// A comma list of ranges; empty items are skipped.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(IpRanges)
    }
}

/// One node of a `Forwarded: for=` or `X-Forwarded-For` list as an address; `None` for
/// `unknown`, obfuscated identifiers (`_hidden`) and anything else that is not one.
fn node_ip(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        // `[2001:db8::1]:4711` or `[2001:db8::1]`
        return rest.split(']').next()?.parse().ok();
    }
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    // `192.0.2.1:4711`
    let (host, port) = node.rsplit_once(':')?;
    if port.chars().all(|c| c.is_ascii_digit()) {
        host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
    } else {
        None
    }
}

/// The `for=` nodes of `Forwarded` header values (RFC 7239), in order, client first.
/// `None` as an element marks a node that is not an address.
fn forwarded_for<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Option<IpAddr>> {
    values
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then(|| node_ip(v))
            })
        })
        .collect()
}

/// The `X-Forwarded-For` values' nodes, in order, client first.
fn x_forwarded_for<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Option<IpAddr>> {
    values.flat_map(|v| v.split(',')).map(node_ip).collect()
}

/// The client's address for a request from TCP peer `peer` with the given `Forwarded` and
/// `X-Forwarded-For` header values (each possibly several lines).
///
/// A peer that is not in `trusted` is the client, whatever its headers say. Through a
/// trusted peer, the forwarding list (`Forwarded` when present, else `X-Forwarded-For`) is
/// walked from the right — the entries the trusted proxies appended — past every trusted
/// address; the first address that is not a trusted proxy is the client. A node that is
/// not an address (`unknown`, an obfuscated name, garbage) ends the walk at the last
/// trusted hop: nobody's claim beyond it can be checked. A list of only trusted addresses
/// yields its leftmost.
#[must_use]
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    x_forwarded: impl Iterator<Item = &'a str>,
    trusted: &IpRanges,
) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return peer;
    }
    let mut chain = forwarded_for(forwarded);
    if chain.is_empty() {
        chain = x_forwarded_for(x_forwarded);
    }
    let mut client = peer;
    for node in chain.iter().rev() {
        let Some(ip) = node.map(canonical) else {
            return client;
        };
        client = ip;
        if !trusted.contains(ip) {
            return ip;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    fn ranges(s: &str) -> IpRanges {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn ranges_parse_and_contain() {
        let r = ranges("10.0.0.0/8, 192.168.1.7, fd00::/8");
        assert!(r.contains(ip("10.255.0.1")));
        assert!(!r.contains(ip("11.0.0.1")));
        assert!(r.contains(ip("192.168.1.7")));
        assert!(!r.contains(ip("192.168.1.8")));
        assert!(r.contains(ip("fd12::1")));
        assert!(!r.contains(ip("fe80::1")));
        assert!(
            r.contains(ip("::ffff:10.1.2.3")),
            "IPv4-mapped counts as IPv4"
        );
        assert!(ranges("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(ranges("::/0").contains(ip("2001:db8::1")));
        assert!(ranges("").is_empty());
        for bad in ["10.0.0.0/33", "fd00::/129", "10.0.0/8", "x", "10.0.0.0/-1"] {
            assert!(bad.parse::<IpRanges>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let trusted = ranges("10.0.0.1");
        let got = client_ip(
            ip("203.0.113.9"),
            std::iter::once("for=1.2.3.4"),
            std::iter::once("5.6.7.8"),
            &trusted,
        );
        assert_eq!(got, ip("203.0.113.9"));
        let nobody = IpRanges::default();
        let got = client_ip(
            ip("10.0.0.1"),
            None.into_iter(),
            std::iter::once("5.6.7.8"),
            &nobody,
        );
        assert_eq!(got, ip("10.0.0.1"), "no trusted proxies: headers ignored");
    }

    #[test]
    fn through_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client() {
        let trusted = ranges("10.0.0.0/8");
        // The client forged the first entry; the proxy appended the real one.
        let got = client_ip(
            ip("10.0.0.1"),
            None.into_iter(),
            std::iter::once("6.6.6.6, 198.51.100.7"),
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.7"));
        // Two trusted hops.
        let got = client_ip(
            ip("10.0.0.1"),
            None.into_iter(),
            ["6.6.6.6, 198.51.100.7", "10.0.0.2"].into_iter(),
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.7"));
        // Only proxies: the leftmost.
        let got = client_ip(
            ip("10.0.0.1"),
            None.into_iter(),
            std::iter::once("10.0.0.3"),
            &trusted,
        );
        assert_eq!(got, ip("10.0.0.3"));
        // No header: the proxy itself.
        let got = client_ip(ip("10.0.0.1"), None.into_iter(), None.into_iter(), &trusted);
        assert_eq!(got, ip("10.0.0.1"));
    }

    #[test]
    fn forwarded_wins_and_understands_ports_brackets_and_quotes() {
        let trusted = ranges("10.0.0.0/8");
        let got = client_ip(
            ip("10.0.0.1"),
            std::iter::once(r#"for=1.1.1.1, for="[2001:db8::7]:4711";proto=https"#),
            std::iter::once("9.9.9.9"),
            &trusted,
        );
        assert_eq!(got, ip("2001:db8::7"));
        let got = client_ip(
            ip("10.0.0.1"),
            std::iter::once("for=192.0.2.60:8080;by=10.0.0.1"),
            None.into_iter(),
            &trusted,
        );
        assert_eq!(got, ip("192.0.2.60"));
    }

    #[test]
    fn an_unverifiable_node_stops_at_the_last_trusted_hop() {
        let trusted = ranges("10.0.0.0/8");
        let got = client_ip(
            ip("10.0.0.1"),
            None.into_iter(),
            std::iter::once("1.2.3.4, garbage, 10.0.0.2"),
            &trusted,
        );
        assert_eq!(got, ip("10.0.0.2"));
        let got = client_ip(
            ip("10.0.0.1"),
            std::iter::once("for=unknown"),
            None.into_iter(),
            &trusted,
        );
        assert_eq!(got, ip("10.0.0.1"));
    }

    #[test]
    fn mapped_peers_are_compared_as_ipv4() {
        let trusted = ranges("127.0.0.1");
        let got = client_ip(
            ip("::ffff:127.0.0.1"),
            None.into_iter(),
            std::iter::once("198.51.100.1"),
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.1"));
    }
}
