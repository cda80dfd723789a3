//! Per-connection limits: a token bucket for the message rate and decaying counters for
//! abuse (rate-limited and invalid messages). A few floats and one `Instant` each, so a
//! connection stays small.

use std::time::Instant;

use super::SignalingConfig;

/// What the limits say about one incoming message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Within the rate.
    Pass,
    /// Over the rate: answer `rate_limited`.
    Limited,
    /// Over the rate for too long: close with 4008.
    Abusive,
}

/// The rate and abuse state of one connection.
#[derive(Debug)]
pub(super) struct Limits {
    tokens: f32,
    rate_penalty: f32,
    invalid: f32,
    last: Instant,
}

impl Limits {
    pub(super) fn new(config: &SignalingConfig, now: Instant) -> Self {
        Self {
            tokens: config.burst,
            rate_penalty: 0.0,
            invalid: 0.0,
            last: now,
        }
    }

    fn refill(&mut self, config: &SignalingConfig, now: Instant) {
        let secs = now.saturating_duration_since(self.last).as_secs_f32();
        self.last = now;
        self.tokens = (self.tokens + secs * config.rate_per_sec).min(config.burst);
        self.rate_penalty = (self.rate_penalty - secs * config.rate_per_sec / 5.0).max(0.0);
        self.invalid = (self.invalid - secs / 10.0).max(0.0);
    }

    /// Takes a token for one message.
    pub(super) fn admit(&mut self, config: &SignalingConfig, now: Instant) -> Verdict {
        self.refill(config, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Verdict::Pass;
        }
        self.rate_penalty += 1.0;
        if self.rate_penalty > config.rate_abuse_limit {
            Verdict::Abusive
        } else {
            Verdict::Limited
        }
    }

    /// Counts an invalid message; true when there have been too many.
    pub(super) fn invalid(&mut self, config: &SignalingConfig, now: Instant) -> bool {
        self.refill(config, now);
        self.invalid += 1.0;
        self.invalid > config.invalid_limit
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn config() -> SignalingConfig {
        SignalingConfig {
            rate_per_sec: 10.0,
            burst: 5.0,
            rate_abuse_limit: 3.0,
            invalid_limit: 2.0,
            ..SignalingConfig::default()
        }
    }

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let c = config();
        let t0 = Instant::now();
        let mut l = Limits::new(&c, t0);
        for _ in 0..5 {
            assert_eq!(l.admit(&c, t0), Verdict::Pass);
        }
        assert_eq!(l.admit(&c, t0), Verdict::Limited);
        // 100 ms at 10/s refills one token.
        assert_eq!(l.admit(&c, t0 + Duration::from_millis(100)), Verdict::Pass);
    }

    #[test]
    fn sustained_abuse_is_abusive_but_a_pause_forgives() {
        let c = config();
        let t0 = Instant::now();
        let mut l = Limits::new(&c, t0);
        for _ in 0..5 {
            l.admit(&c, t0);
        }
        for _ in 0..3 {
            assert_eq!(l.admit(&c, t0), Verdict::Limited);
        }
        assert_eq!(l.admit(&c, t0), Verdict::Abusive);
        let later = t0 + Duration::from_secs(10);
        assert_eq!(l.admit(&c, later), Verdict::Pass);
    }

    #[test]
    fn invalid_messages_add_up_and_decay() {
        let c = config();
        let t0 = Instant::now();
        let mut l = Limits::new(&c, t0);
        assert!(!l.invalid(&c, t0));
        assert!(!l.invalid(&c, t0));
        assert!(l.invalid(&c, t0));
        let mut l = Limits::new(&c, t0);
        l.invalid(&c, t0);
        l.invalid(&c, t0);
        assert!(!l.invalid(&c, t0 + Duration::from_secs(20)));
    }
}
