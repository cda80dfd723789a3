//! Call limits: how often a caller identity, a client address and a business may start
//! calls, and how many sockets one caller identity or one agent may hold.
//!
//! Call spam is cheap for an attacker and expensive for a business: every request rings
//! every available device, and is written to the call records. One guest token on many
//! sockets, or many request/cancel cycles on one, must not ring more than a person
//! calling could. So a call request passes three rate limits — its caller identity's, its
//! client address's and the called business's — and each refusal says when to retry.
//!
//! Each limit is a GCRA ("generic cell rate algorithm") per key: one stored instant, the
//! *theoretical arrival time*, per identity, address or business. `count` requests per
//! `per` may come at once (the burst), then one every `per / count`. A key whose
//! arrival time has passed is as good as absent, so a full map drops those before it
//! grows: the maps hold only keys that are limited right now, and a request of a key
//! already present allocates nothing. Pure and clock-free (the hub passes `now`), so the
//! numbers are unit-tested here; the hub owns one [`CallLimiter`] and never holds its
//! lock across an await.
//!
//! IPv6 addresses are limited per /64: one host usually holds a whole /64, and counting
//! each of its 2^64 addresses apart would be no limit.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// `count` events per `per`: a burst of `count`, then one every `per / count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl Rate {
    /// `count` per minute.
    #[must_use]
    pub const fn per_minute(count: u32) -> Self {
        Self {
            count,
            per: Duration::from_secs(60),
        }
    }

    /// The steady spacing between two events.
    fn interval(self) -> Duration {
        self.per / self.count.max(1)
    }

    /// How far ahead of now the arrival time may run (the burst beyond one).
    fn tolerance(self) -> Duration {
        self.interval() * self.count.max(1).saturating_sub(1)
    }
}

/// The limits on calls and sockets, with documented defaults (`docs/signaling.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallLimits {
    /// Call requests per caller identity, over all its sockets (default 6 a minute).
    pub per_caller: Rate,
    /// Call requests per client address (IPv6: per /64) (default 20 a minute).
    pub per_address: Rate,
    /// Call requests to one business (default 600 a minute).
    pub per_business: Rate,
    /// Open sockets per caller identity (default 3).
    pub sockets_per_caller: u32,
    /// Open sockets per agent (member), over all businesses (default 20 devices).
    pub sockets_per_agent: u32,
}

/// Default call requests per caller identity per minute.
pub const CALLS_PER_CALLER: u32 = 6;
/// Default call requests per client address per minute.
pub const CALLS_PER_ADDRESS: u32 = 20;
/// Default call requests per business per minute.
pub const CALLS_PER_BUSINESS: u32 = 600;
/// Default open sockets per caller identity.
pub const SOCKETS_PER_CALLER: u32 = 3;
/// Default open sockets per agent.
pub const SOCKETS_PER_AGENT: u32 = 20;

impl Default for CallLimits {
    fn default() -> Self {
        Self {
            per_caller: Rate::per_minute(CALLS_PER_CALLER),
            per_address: Rate::per_minute(CALLS_PER_ADDRESS),
            per_business: Rate::per_minute(CALLS_PER_BUSINESS),
            sockets_per_caller: SOCKETS_PER_CALLER,
            sockets_per_agent: SOCKETS_PER_AGENT,
        }
    }
}

/// Which limit refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Caller,
    Address,
    Business,
}

/// A refused request: which limit, and how long until it would pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    pub scope: Scope,
    pub retry_after: Duration,
}

impl Limited {
    /// The wait in whole milliseconds, rounded up (never 0: retrying at once fails).
    #[must_use]
    pub fn retry_after_ms(&self) -> u64 {
        let ms = self.retry_after.as_micros().div_ceil(1000);
        u64::try_from(ms).unwrap_or(u64::MAX).max(1)
    }

    /// A sentence for the refused caller.
    #[must_use]
    pub fn message(&self) -> &'static str {
        match self.scope {
            Scope::Caller => "You are calling too often; wait a moment before calling again.",
            Scope::Address => "Too many calls from your network; wait a moment.",
            Scope::Business => "This business is receiving too many calls; try again shortly.",
        }
    }
}

/// The GCRA state of one kind of key.
#[derive(Debug)]
struct Buckets<K> {
    rate: Rate,
    arrivals: HashMap<K, Instant>,
}

impl<K: Eq + Hash + Copy> Buckets<K> {
    fn new(rate: Rate) -> Self {
        Self {
            rate,
            arrivals: HashMap::new(),
        }
    }

    /// The arrival time to store if a request of `key` at `now` passes, or how long it
    /// must wait.
    fn check(&self, key: &K, now: Instant) -> Result<Instant, Duration> {
        let arrival = self.arrivals.get(key).map_or(now, |&t| t.max(now));
        let limit = now + self.rate.tolerance();
        if arrival > limit {
            Err(arrival - limit)
        } else {
            Ok(arrival + self.rate.interval())
        }
    }

    /// Stores the arrival time [`Self::check`] gave; a full map first forgets the keys
    /// that are no longer limited, so it grows only when every key is.
    fn commit(&mut self, key: K, arrival: Instant, now: Instant) {
        if let Some(slot) = self.arrivals.get_mut(&key) {
            *slot = arrival;
            return;
        }
        if self.arrivals.len() == self.arrivals.capacity() {
            self.arrivals.retain(|_, t| *t > now);
        }
        self.arrivals.insert(key, arrival);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.arrivals.len()
    }
}

/// The key an address is limited under: IPv4 (also IPv4-mapped IPv6) as is, IPv6 by /64.
#[must_use]
pub fn address_key(ip: IpAddr) -> IpAddr {
    match crate::net::canonical(ip) {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !u128::from(u64::MAX);
            IpAddr::V6(prefix.into())
        }
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The call-request limits of one process.
#[derive(Debug)]
pub struct CallLimiter {
    callers: Buckets<Uuid>,
    addresses: Buckets<IpAddr>,
    businesses: Buckets<Uuid>,
}

impl CallLimiter {
    /// Empty limits at these rates.
    #[must_use]
    pub fn new(limits: &CallLimits) -> Self {
        Self {
            callers: Buckets::new(limits.per_caller),
            addresses: Buckets::new(limits.per_address),
            businesses: Buckets::new(limits.per_business),
        }
    }

    /// Counts a call request of caller identity `caller` from `address` at `now`, against
    /// both limits or neither: a request refused by one does not use up the other.
    ///
    /// # Errors
    /// [`Limited`] by the caller's limit first, else the address's.
    pub fn admit_caller(
        &mut self,
        caller: Uuid,
        address: IpAddr,
        now: Instant,
    ) -> Result<(), Limited> {
        let address = address_key(address);
        let limited = |scope| move |retry_after| Limited { scope, retry_after };
        let by_caller = self
            .callers
            .check(&caller, now)
            .map_err(limited(Scope::Caller))?;
        let by_address = self
            .addresses
            .check(&address, now)
            .map_err(limited(Scope::Address))?;
        self.callers.commit(caller, by_caller, now);
        self.addresses.commit(address, by_address, now);
        Ok(())
    }

    /// Counts a call request to `business` at `now`.
    ///
    /// # Errors
    /// [`Limited`] when the business's limit is reached.
    pub fn admit_business(&mut self, business: Uuid, now: Instant) -> Result<(), Limited> {
        let arrival = self
            .businesses
            .check(&business, now)
            .map_err(|retry_after| Limited {
                scope: Scope::Business,
                retry_after,
            })?;
        self.businesses.commit(business, arrival, now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));

    fn limiter() -> CallLimiter {
        CallLimiter::new(&CallLimits::default())
    }

    #[test]
    fn a_caller_gets_six_calls_a_minute_then_one_every_ten_seconds() {
        let mut l = limiter();
        let (caller, t0) = (Uuid::new_v4(), Instant::now());
        for i in 0..6 {
            assert_eq!(l.admit_caller(caller, HOME, t0), Ok(()), "call {i}");
        }
        let refused = l.admit_caller(caller, HOME, t0).unwrap_err();
        assert_eq!(refused.scope, Scope::Caller);
        assert_eq!(refused.retry_after, Duration::from_secs(10));
        assert_eq!(refused.retry_after_ms(), 10_000);
        // Not earlier than said…
        let early = t0 + Duration::from_millis(9_999);
        assert!(l.admit_caller(caller, HOME, early).is_err());
        // …and exactly then, once.
        let then = t0 + Duration::from_secs(10);
        assert_eq!(l.admit_caller(caller, HOME, then), Ok(()));
        assert!(l.admit_caller(caller, HOME, then).is_err());
        // Another identity is not affected.
        assert_eq!(l.admit_caller(Uuid::new_v4(), HOME, then), Ok(()));
    }

    #[test]
    fn an_address_gets_twenty_calls_a_minute_whatever_the_identities() {
        let mut l = limiter();
        let t0 = Instant::now();
        for i in 0..20 {
            assert_eq!(l.admit_caller(Uuid::new_v4(), HOME, t0), Ok(()), "call {i}");
        }
        let refused = l.admit_caller(Uuid::new_v4(), HOME, t0).unwrap_err();
        assert_eq!(refused.scope, Scope::Address);
        assert_eq!(refused.retry_after, Duration::from_secs(3));
        let elsewhere = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        assert_eq!(l.admit_caller(Uuid::new_v4(), elsewhere, t0), Ok(()));
    }

    #[test]
    fn a_refusal_by_one_limit_does_not_use_up_the_other() {
        let mut l = limiter();
        let (caller, t0) = (Uuid::new_v4(), Instant::now());
        for _ in 0..20 {
            l.admit_caller(Uuid::new_v4(), HOME, t0).unwrap();
        }
        // The address is full: the caller's own budget stays untouched.
        for _ in 0..10 {
            assert!(l.admit_caller(caller, HOME, t0).is_err());
        }
        let elsewhere = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        for i in 0..6 {
            assert_eq!(l.admit_caller(caller, elsewhere, t0), Ok(()), "call {i}");
        }
    }

    #[test]
    fn a_business_gets_six_hundred_calls_a_minute() {
        let mut l = limiter();
        let (business, t0) = (Uuid::new_v4(), Instant::now());
        for _ in 0..600 {
            assert_eq!(l.admit_business(business, t0), Ok(()));
        }
        let refused = l.admit_business(business, t0).unwrap_err();
        assert_eq!(refused.scope, Scope::Business);
        assert_eq!(refused.retry_after, Duration::from_millis(100));
        assert_eq!(l.admit_business(Uuid::new_v4(), t0), Ok(()));
    }

    #[test]
    fn ipv6_addresses_are_limited_per_slash_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(address_key(mapped), HOME);
        assert_eq!(
            address_key(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        );
        let mut l = limiter();
        let t0 = Instant::now();
        for i in 0..20u16 {
            let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, i, 0, 0, 1));
            assert_eq!(l.admit_caller(Uuid::new_v4(), ip, t0), Ok(()));
        }
        assert!(l.admit_caller(Uuid::new_v4(), b, t0).is_err());
    }

    #[test]
    fn keys_no_longer_limited_make_room_instead_of_growing_the_map() {
        let mut b = Buckets::new(Rate::per_minute(6));
        let t0 = Instant::now();
        let insert = |b: &mut Buckets<Uuid>, now| {
            let key = Uuid::new_v4();
            let arrival = b.check(&key, now).unwrap();
            b.commit(key, arrival, now);
        };
        insert(&mut b, t0);
        while b.len() < b.arrivals.capacity() {
            insert(&mut b, t0);
        }
        let full = b.len();
        // Still limited: a new key grows the map.
        insert(&mut b, t0);
        assert_eq!(b.len(), full + 1);
        // Ten seconds later none of them is limited any more: once the map is full again,
        // the next key makes room instead of growing it.
        let later = t0 + Duration::from_secs(11);
        while b.len() < b.arrivals.capacity() {
            insert(&mut b, later);
        }
        let grown = b.arrivals.capacity();
        insert(&mut b, later + Duration::from_secs(11));
        assert_eq!(b.arrivals.capacity(), grown, "no reallocation");
        assert_eq!(b.len(), 1, "only the new key is kept");
    }
}
