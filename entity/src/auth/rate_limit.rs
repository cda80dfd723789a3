//! Sign-in throttling per client and per account, without locking the owner out.
//!
//! Failed attempts are counted in sliding windows: per client address, and per account.
//! Both windows only apply to browsers the account has never signed in from; a browser
//! holding a device token for the account (set at a successful sign-in) is counted in its
//! own window only, so nobody else's failures — guessing the account's password from
//! elsewhere, or anything from the same address (a NAT, a proxy not listed in
//! `DOMAINCALL_TRUSTED_PROXIES`) — can lock the real owner out (OWASP "device cookies").
//! State is per process.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::DomainError;

/// Window limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub window: Duration,
    /// Failures allowed per client address in the window.
    pub per_client: usize,
    /// Failures allowed per account from unknown browsers in the window.
    pub per_account: usize,
    /// Failures allowed per account from one known browser in the window.
    pub per_device: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_client: 30,
            per_account: 10,
            per_device: 10,
        }
    }
}

/// Who is trying to sign in.
#[derive(Clone, Debug)]
pub struct Attempt<'a> {
    /// The normalised account email (counted whether or not the account exists).
    pub account: &'a str,
    /// The client's address.
    pub client: &'a str,
    /// A device id proven by a device token for this very account, if any.
    pub device: Option<&'a str>,
}

/// In-memory sliding-window failure counters.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    limits: Limits,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    /// A limiter with the given limits.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            failures: Mutex::default(),
        }
    }

    /// The windows an attempt is counted in: a known browser's own, or the client's and
    /// the account's.
    fn keys(a: &Attempt<'_>) -> Vec<String> {
        match a.device {
            Some(d) => vec![format!("dev:{}:{d}", a.account)],
            None => vec![
                format!("client:{}", a.client),
                format!("acct:{}", a.account),
            ],
        }
    }

    /// The window a success clears: the known browser's, or the account's for this
    /// browser (the client's window stays: it spans accounts).
    fn account_key(a: &Attempt<'_>) -> String {
        match a.device {
            Some(d) => format!("dev:{}:{d}", a.account),
            None => format!("acct:{}", a.account),
        }
    }

    fn limit_for(&self, key: &str) -> usize {
        if key.starts_with("client:") {
            self.limits.per_client
        } else if key.starts_with("dev:") {
            self.limits.per_device
        } else {
            self.limits.per_account
        }
    }

    /// Refuses the attempt when a window is full.
    ///
    /// # Errors
    /// `RateLimited` with the seconds until the oldest failure leaves the window.
    pub fn check(&self, attempt: &Attempt<'_>) -> Result<(), DomainError> {
        let now = Instant::now();
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in Self::keys(attempt) {
            let limit = self.limit_for(&key);
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.limits.window)
                {
                    q.pop_front();
                }
                if q.len() >= limit {
                    let oldest = q.front().copied().unwrap_or(now);
                    let wait = self
                        .limits
                        .window
                        .saturating_sub(now.duration_since(oldest));
                    return Err(DomainError::RateLimited {
                        retry_after_secs: wait.as_secs().max(1),
                    });
                }
            }
        }
        Ok(())
    }

    /// Counts a failed attempt.
    pub fn record_failure(&self, attempt: &Attempt<'_>) {
        let now = Instant::now();
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in Self::keys(attempt) {
            map.entry(key).or_default().push_back(now);
        }
        if map.len() > 100_000 {
            let window = self.limits.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= window));
        }
    }

    /// Clears the account's window for this browser after a successful sign-in.
    pub fn record_success(&self, attempt: &Attempt<'_>) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&Self::account_key(attempt));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> SignInLimiter {
        SignInLimiter::new(Limits {
            window: Duration::from_secs(60),
            per_client: 5,
            per_account: 3,
            per_device: 3,
        })
    }

    #[test]
    fn attacker_is_limited_but_known_device_is_not() {
        let l = limiter();
        let attacker = Attempt {
            account: "o@x.com",
            client: "10.0.0.9",
            device: None,
        };
        for _ in 0..3 {
            assert!(l.check(&attacker).is_ok());
            l.record_failure(&attacker);
        }
        assert!(matches!(
            l.check(&attacker),
            Err(DomainError::RateLimited { .. })
        ));
        // Another unknown browser elsewhere is limited too (per account)...
        let other = Attempt {
            account: "o@x.com",
            client: "10.0.0.10",
            device: None,
        };
        assert!(l.check(&other).is_err());
        // ...but the owner's known browser is not.
        let owner = Attempt {
            account: "o@x.com",
            client: "10.0.0.10",
            device: Some("d1"),
        };
        assert!(l.check(&owner).is_ok());
    }

    #[test]
    fn a_known_device_is_not_locked_out_by_its_address() {
        let l = limiter();
        // Everyone behind one address (a NAT, an unlisted proxy) fails five times...
        for i in 0..5 {
            let a = format!("u{i}@x.com");
            let at = Attempt {
                account: &a,
                client: "10.0.0.1",
                device: None,
            };
            l.record_failure(&at);
        }
        let unknown = Attempt {
            account: "o@x.com",
            client: "10.0.0.1",
            device: None,
        };
        assert!(l.check(&unknown).is_err(), "the address is limited");
        // ...the owner's known browser behind it still signs in.
        let owner = Attempt {
            account: "o@x.com",
            client: "10.0.0.1",
            device: Some("d1"),
        };
        assert!(l.check(&owner).is_ok());
        // Its own failures are limited in its own window.
        for _ in 0..3 {
            l.record_failure(&owner);
        }
        assert!(l.check(&owner).is_err());
        let other_device = Attempt {
            device: Some("d2"),
            ..owner
        };
        assert!(l.check(&other_device).is_ok());
    }

    #[test]
    fn client_window_spans_accounts() {
        let l = limiter();
        for i in 0..5 {
            let a = format!("u{i}@x.com");
            let at = Attempt {
                account: &a,
                client: "10.0.0.1",
                device: None,
            };
            assert!(l.check(&at).is_ok());
            l.record_failure(&at);
        }
        let fresh = Attempt {
            account: "new@x.com",
            client: "10.0.0.1",
            device: None,
        };
        assert!(l.check(&fresh).is_err());
    }
}

/// A sliding-window counter of every request per key (e.g. anonymous caller identities per
/// client address), refusing beyond `limit` in `window`. State is per process.
#[derive(Debug)]
pub struct HitLimiter {
    window: Duration,
    limit: usize,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl HitLimiter {
    /// At most `limit` hits per key in any `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            window,
            limit,
            hits: Mutex::default(),
        }
    }

    /// Counts a hit for `key`, or refuses it when the window is full (a refused hit is not
    /// counted).
    ///
    /// # Errors
    /// `RateLimited` with the seconds until the oldest hit leaves the window.
    pub fn hit(&self, key: &str) -> Result<(), DomainError> {
        let now = Instant::now();
        let mut map = self
            .hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= window));
        }
        let q = map.entry(key.to_owned()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.window)
        {
            q.pop_front();
        }
        if q.len() >= self.limit {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(DomainError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod hit_tests {
    use super::*;

    #[test]
    fn hits_beyond_the_limit_are_refused_per_key() {
        let limiter = HitLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").is_ok());
        assert!(matches!(
            limiter.hit("a"),
            Err(DomainError::RateLimited { retry_after_secs }) if (1..=60).contains(&retry_after_secs)
        ));
        assert!(limiter.hit("b").is_ok(), "other keys have their own window");
    }

    #[test]
    fn the_window_slides() {
        let limiter = HitLimiter::new(1, Duration::from_millis(20));
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(limiter.hit("a").is_ok());
    }
}
