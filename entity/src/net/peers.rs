//! Which addresses the server may reach on someone else's behalf: a TURN relay's peers
//! and webhook targets.
//!
//! A TURN allocation sends UDP wherever its client asks, and a webhook endpoint is a URL a
//! business chose; both make requests from the server's host. Left open, anyone holding a
//! TURN credential or registering an endpoint reaches what only that host can reach: its
//! own services on loopback, the cloud metadata service at 169.254.169.254, the private
//! network behind it. Media and webhooks only ever need the public Internet (and, for
//! media, the other party's relay on this same server), so everything that is not globally
//! reachable is refused ([`special_purpose`]): loopback, private and shared (CGNAT) space,
//! link-local, ULA, multicast and broadcast, and the other IANA special-purpose ranges
//! (RFC 6890 and its registries) that are not globally reachable — also when written as an
//! IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address. For TURN the server's own
//! addresses are refused too, except the relayed addresses of its live allocations (two
//! parties relayed by the same server talk relay to relay). An operator may allow listed
//! ranges (tests, private deployments); the server's own addresses stay refused even then.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::net::{canonical, IpRanges};

/// IPv4 ranges that are not globally reachable: (network, prefix length, name).
const IPV4_REFUSED: &[(Ipv4Addr, u8, &str)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "\"this network\" (0.0.0.0/8)"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private (10.0.0.0/8)"),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        "shared CGNAT space (100.64.0.0/10)",
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback (127.0.0.0/8)"),
    (
        Ipv4Addr::new(169, 254, 0, 0),
        16,
        "link-local (169.254.0.0/16)",
    ),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private (172.16.0.0/12)"),
    (
        Ipv4Addr::new(192, 0, 0, 0),
        24,
        "IETF protocol assignments (192.0.0.0/24)",
    ),
    (
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        "documentation (192.0.2.0/24)",
    ),
    (
        Ipv4Addr::new(192, 168, 0, 0),
        16,
        "private (192.168.0.0/16)",
    ),
    (
        Ipv4Addr::new(198, 18, 0, 0),
        15,
        "benchmarking (198.18.0.0/15)",
    ),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        "documentation (198.51.100.0/24)",
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        "documentation (203.0.113.0/24)",
    ),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast (224.0.0.0/4)"),
    (
        Ipv4Addr::new(240, 0, 0, 0),
        4,
        "reserved and broadcast (240.0.0.0/4)",
    ),
];

/// IPv6 ranges that are not globally reachable: (network, prefix length, name). The
/// forms that carry an IPv4 address are judged by that address (see [`embedded_ipv4`]).
const IPV6_REFUSED: &[(Ipv6Addr, u8, &str)] = &[
    (
        Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0),
        96,
        "unspecified, loopback and IPv4-compatible (::/96)",
    ),
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        "local-use NAT64 (64:ff9b:1::/48)",
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        "discard-only (100::/64)",
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "IETF protocol assignments (2001::/23)",
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation (2001:db8::/32)",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation (3fff::/20)",
    ),
    (
        Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0),
        16,
        "segment routing (5f00::/16)",
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        "unique local (fc00::/7)",
    ),
    (
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
        "link-local (fe80::/10)",
    ),
    (
        Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
        10,
        "site-local (fec0::/10)",
    ),
    (
        Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0),
        8,
        "multicast (ff00::/8)",
    ),
];

fn v4_in(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn v6_in(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// The IPv4 address an IPv6 address stands for, when it is one of the forms that reach
/// IPv4: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::/48`).
#[must_use]
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    let mapped = Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0);
    let translated = Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0);
    let nat64 = Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0);
    if v6_in(ip, mapped, 96) || v6_in(ip, translated, 96) || v6_in(ip, nat64, 96) {
        return Some(low);
    }
    if v6_in(ip, Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16) {
        return Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    None
}

/// The name of the special-purpose range that makes `ip` unfit as a relay peer (not
/// globally reachable), or `None` for an ordinary public address.
#[must_use]
pub fn special_purpose(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => IPV4_REFUSED
            .iter()
            .find(|(net, prefix, _)| v4_in(v4, *net, *prefix))
            .map(|(_, _, name)| *name),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => special_purpose(IpAddr::V4(v4)),
            None => IPV6_REFUSED
                .iter()
                .find(|(net, prefix, _)| v6_in(v6, *net, *prefix))
                .map(|(_, _, name)| *name),
        },
    }
}

/// Why a peer is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefusedPeer {
    /// One of the TURN server's own addresses, not a live relayed address.
    #[error("{0} is an address of the TURN server itself")]
    OwnAddress(IpAddr),
    /// In a range that is not globally reachable, and not allowed by the operator.
    #[error("{ip} is {range}")]
    SpecialPurpose {
        /// The peer's address.
        ip: IpAddr,
        /// The range it falls in.
        range: &'static str,
    },
}

/// The relay's peer rules: the operator's allowed ranges and the server's own addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerPolicy {
    allowed: IpRanges,
    own: HashSet<IpAddr>,
}

impl PeerPolicy {
    /// Allows `allowed` on top of the public Internet; refuses `own` (the server's
    /// listen, relay and interface addresses) whatever `allowed` says.
    #[must_use]
    pub fn new(allowed: IpRanges, own: impl IntoIterator<Item = IpAddr>) -> Self {
        Self {
            allowed,
            own: own.into_iter().map(canonical).collect(),
        }
    }

    /// The same rules with `own` as the server's addresses (interfaces change).
    #[must_use]
    pub fn with_own(&self, own: impl IntoIterator<Item = IpAddr>) -> Self {
        Self::new(self.allowed.clone(), own)
    }

    /// Whether the relay may send to and accept from `peer`. `live_relay` says whether an
    /// address is the relayed address of one of the server's live allocations (the only
    /// own addresses a relay may reach: the other party relayed by this same server).
    ///
    /// # Errors
    /// Why the peer is refused.
    pub fn check(
        &self,
        peer: SocketAddr,
        live_relay: impl FnOnce(SocketAddr) -> bool,
    ) -> Result<(), RefusedPeer> {
        let ip = canonical(peer.ip());
        if self.own.contains(&ip) {
            return if live_relay(SocketAddr::new(ip, peer.port())) {
                Ok(())
            } else {
                Err(RefusedPeer::OwnAddress(ip))
            };
        }
        if self.allowed.contains(ip) {
            return Ok(());
        }
        match special_purpose(ip) {
            Some(range) => Err(RefusedPeer::SpecialPurpose { ip, range }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    fn peer(s: &str) -> SocketAddr {
        SocketAddr::new(ip(s), 3478)
    }

    const REFUSED: &[&str] = &[
        "0.0.0.0",
        "0.1.2.3",
        "10.0.0.1",
        "100.64.0.1",
        "100.127.255.254",
        "127.0.0.1",
        "127.9.9.9",
        "169.254.169.254",
        "172.16.0.1",
        "172.31.255.255",
        "192.0.0.8",
        "192.0.2.1",
        "192.168.1.1",
        "198.18.0.1",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "::127.0.0.1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:0:10.0.0.1",
        "64:ff9b::10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::1",
        "2002:c0a8:0101::1",
        "2002:7f00:0001::1",
        "100::1",
        "2001::1",
        "2001:db8::1",
        "3fff::1",
        "5f00::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "febf::1",
        "fec0::1",
        "ff02::1",
    ];

    const PUBLIC: &[&str] = &[
        "1.1.1.1",
        "8.8.8.8",
        "9.9.9.9",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.1",
        "192.169.0.1",
        "198.20.0.1",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:0808:0808::1",
    ];

    #[test]
    fn non_global_ranges_are_refused_in_every_spelling() {
        let policy = PeerPolicy::default();
        for s in REFUSED {
            assert!(
                matches!(
                    policy.check(peer(s), |_| true),
                    Err(RefusedPeer::SpecialPurpose { .. })
                ),
                "{s} must be refused"
            );
        }
        for s in PUBLIC {
            assert_eq!(policy.check(peer(s), |_| false), Ok(()), "{s} is public");
        }
    }

    #[test]
    fn listed_ranges_are_allowed_but_never_the_servers_own_addresses() {
        let allowed: IpRanges = "127.0.0.0/8, 10.1.0.0/16"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let policy = PeerPolicy::new(allowed, [ip("127.0.0.1"), ip("8.8.4.4")]);
        assert_eq!(policy.check(peer("127.0.0.2"), |_| false), Ok(()));
        assert_eq!(policy.check(peer("::ffff:127.0.0.2"), |_| false), Ok(()));
        assert_eq!(policy.check(peer("10.1.2.3"), |_| false), Ok(()));
        assert!(policy.check(peer("10.2.0.1"), |_| false).is_err());
        assert!(policy.check(peer("192.168.1.1"), |_| false).is_err());
        for own in ["127.0.0.1", "::ffff:127.0.0.1", "8.8.4.4"] {
            assert!(
                matches!(
                    policy.check(peer(own), |_| false),
                    Err(RefusedPeer::OwnAddress(_))
                ),
                "{own}"
            );
        }
        // The other party's relayed address on this server is reachable, and only that.
        let relay = SocketAddr::new(ip("8.8.4.4"), 50_000);
        let is_relay = |a: SocketAddr| a == relay;
        assert_eq!(policy.check(relay, is_relay), Ok(()));
        assert!(policy.check(peer("8.8.4.4"), is_relay).is_err());
        let moved = policy.with_own([ip("9.9.9.9")]);
        assert_eq!(moved.check(peer("8.8.4.4"), |_| false), Ok(()));
        assert_eq!(
            moved.check(peer("9.9.9.9"), |_| false),
            Err(RefusedPeer::OwnAddress(ip("9.9.9.9")))
        );
        assert_eq!(
            moved.check(peer("127.0.0.1"), |_| false),
            Ok(()),
            "listed, no longer own"
        );
    }

    fn refused_v4(v4: Ipv4Addr) -> bool {
        special_purpose(IpAddr::V4(v4)).is_some()
    }

    proptest! {
        #[test]
        fn ipv6_forms_of_an_ipv4_address_are_judged_as_it(raw: u32) {
            let v4 = Ipv4Addr::from(raw);
            let refused = refused_v4(v4);
            let octets = v4.octets();
            let forms = [
                v4.to_ipv6_mapped(),
                Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0,
                    u16::from_be_bytes([octets[0], octets[1]]),
                    u16::from_be_bytes([octets[2], octets[3]])),
                Ipv6Addr::new(0x2002,
                    u16::from_be_bytes([octets[0], octets[1]]),
                    u16::from_be_bytes([octets[2], octets[3]]), 0, 0, 0, 0, 1),
            ];
            for form in forms {
                prop_assert_eq!(embedded_ipv4(form), Some(v4));
                prop_assert_eq!(special_purpose(IpAddr::V6(form)).is_some(), refused, "{}", form);
            }
        }

        #[test]
        fn every_address_of_a_refused_range_is_refused(raw: u32, pick: usize) {
            let (net, prefix, _) = IPV4_REFUSED[pick % IPV4_REFUSED.len()];
            let host_mask = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
            let inside = Ipv4Addr::from(u32::from(net) | (raw & host_mask));
            prop_assert!(refused_v4(inside), "{}", inside);
            prop_assert!(PeerPolicy::default().check(SocketAddr::new(inside.into(), 1), |_| true).is_err());
        }

        #[test]
        fn own_addresses_win_over_any_allowed_range(raw: u32, port: u16) {
            let own = IpAddr::V4(Ipv4Addr::from(raw));
            let everything = IpRanges(vec![
                crate::net::IpRange::new(Ipv4Addr::UNSPECIFIED.into(), 0).unwrap_or_else(|e| panic!("{e}")),
                crate::net::IpRange::new(Ipv6Addr::UNSPECIFIED.into(), 0).unwrap_or_else(|e| panic!("{e}")),
            ]);
            let policy = PeerPolicy::new(everything, [own]);
            let at = SocketAddr::new(own, port);
            prop_assert!(policy.check(at, |_| false).is_err());
            prop_assert!(policy.check(at, |a| a == at).is_ok());
        }
    }
}
