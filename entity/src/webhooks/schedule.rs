//! What one attempt's outcome means for its delivery: delivered, retried later (and when),
//! failed for good, or the endpoint turned off. Pure: the job hands in the outcome, the
//! clock and a random draw for the jitter.
//!
//! Following the Standard Webhooks guidance: any `2xx` is success and everything else a
//! failure — redirects too (they are not followed; register the final URL); `410 Gone`
//! means the receiver wants no more, so the endpoint is disabled; a `Retry-After` is
//! honoured when it asks for more time than the backoff would give. Retries back off
//! exponentially (×4 from the first delay, at most 12 hours apart, ±20 % jitter so a
//! receiver that fell over is not hit by every retry at once).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest wait between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(12 * 3600);
/// How much each wait grows over the previous one.
const FACTOR: u32 = 4;

/// How often and how patiently a delivery is tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    /// Attempts at most (the first included) before a delivery fails.
    pub attempts: u32,
    /// The wait before the first retry; each next one is 4 times longer, up to 12 h.
    pub first_delay: Duration,
}

impl Default for RetrySchedule {
    /// 10 attempts over about 39 hours: 10 s, 40 s, 2 min 40 s, 10 min 40 s, 43 min,
    /// 2 h 51 min, 11 h 23 min, 12 h, 12 h.
    fn default() -> Self {
        Self {
            attempts: 10,
            first_delay: Duration::from_secs(10),
        }
    }
}

impl RetrySchedule {
    /// The wait after the `made`-th failed attempt (1 for the first), with `jitter` a
    /// random draw in `[0, 1)` spreading it by ±20 %.
    #[must_use]
    pub fn delay_after(&self, made: u32, jitter: f64) -> Duration {
        let exponent = made.saturating_sub(1).min(20);
        let base = self
            .first_delay
            .saturating_mul(FACTOR.saturating_pow(exponent))
            .min(MAX_DELAY);
        base.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0))
    }
}

/// What happened to one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered with this status after `elapsed_ms`.
    Answered {
        status: u16,
        elapsed_ms: i64,
        /// Its `Retry-After`, in seconds form.
        retry_after: Option<Duration>,
    },
    /// Nothing was sent: the target resolves only to addresses we do not reach.
    Refused { reason: String },
    /// No answer: DNS, connection, TLS or timeout trouble.
    Failed {
        reason: String,
        elapsed_ms: Option<i64>,
    },
    /// Nothing was sent: the endpoint is disabled.
    EndpointDisabled,
}

/// Where a delivery goes after an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Accepted (`2xx`): never sent again unless resent.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// No more attempts.
    Failed,
    /// `410 Gone`: the delivery fails and the endpoint is disabled.
    Gone,
}

impl AttemptOutcome {
    /// The next state, after `made` attempts of at most `limit`, at `now`.
    #[must_use]
    pub fn next(
        &self,
        schedule: &RetrySchedule,
        made: u32,
        limit: u32,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> Next {
        let mut wait = schedule.delay_after(made, jitter);
        match self {
            Self::Answered { status, .. } if (200..300).contains(status) => return Next::Delivered,
            Self::Answered { status: 410, .. } => return Next::Gone,
            Self::EndpointDisabled => return Next::Failed,
            Self::Answered {
                retry_after: Some(asked),
                ..
            } => wait = wait.max((*asked).min(MAX_DELAY)),
            _ => {}
        }
        if made >= limit {
            return Next::Failed;
        }
        match chrono::Duration::from_std(wait) {
            Ok(wait) => Next::RetryAt(now + wait),
            Err(_) => Next::Failed,
        }
    }

    /// The HTTP status, when the receiver answered.
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Answered { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the receiver took, when it was reached.
    #[must_use]
    pub fn elapsed_ms(&self) -> Option<i64> {
        match self {
            Self::Answered { elapsed_ms, .. } => Some(*elapsed_ms),
            Self::Failed { elapsed_ms, .. } => *elapsed_ms,
            _ => None,
        }
    }

    /// The log's short error, ours (never the receiver's body); `None` on success.
    #[must_use]
    pub fn error(&self) -> Option<String> {
        let text = match self {
            Self::Answered { status, .. } if (200..300).contains(status) => return None,
            Self::Answered { status: 410, .. } => {
                "The endpoint answered 410 Gone, so it was disabled.".to_owned()
            }
            Self::Answered { status, .. } if (300..400).contains(status) => format!(
                "The endpoint answered {status}, a redirect; redirects are not followed, \
                 so register the URL it points to."
            ),
            Self::Answered { status, .. } => {
                format!("The endpoint answered {status}; only 2xx counts as received.")
            }
            Self::Refused { reason } | Self::Failed { reason, .. } => reason.clone(),
            Self::EndpointDisabled => "The endpoint is disabled.".to_owned(),
        };
        Some(text.chars().take(300).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    fn answered(status: u16) -> AttemptOutcome {
        AttemptOutcome::Answered {
            status,
            elapsed_ms: 12,
            retry_after: None,
        }
    }

    #[test]
    fn the_default_schedule_grows_by_four_and_stops_at_twelve_hours() {
        let s = RetrySchedule::default();
        let mid = |n| s.delay_after(n, 0.5).as_secs();
        assert_eq!(
            (1..=9).map(mid).collect::<Vec<_>>(),
            [10, 40, 160, 640, 2560, 10_240, 40_960, 43_200, 43_200]
        );
        assert_eq!(s.delay_after(1, 0.0), Duration::from_secs(8));
        assert_eq!(s.delay_after(1, 1.0), Duration::from_secs(12));
        assert_eq!(s.delay_after(u32::MAX, 0.5), MAX_DELAY);
    }

    #[test]
    fn only_2xx_delivers_and_410_disables() {
        let s = RetrySchedule::default();
        for status in [200, 204, 299] {
            assert_eq!(
                answered(status).next(&s, 1, 10, at(0), 0.5),
                Next::Delivered
            );
            assert_eq!(answered(status).error(), None);
        }
        for status in [199, 301, 302, 400, 404, 429, 500, 503] {
            assert_eq!(
                answered(status).next(&s, 1, 10, at(0), 0.5),
                Next::RetryAt(at(10)),
                "{status}"
            );
            assert!(answered(status)
                .error()
                .is_some_and(|e| e.contains(&status.to_string())));
        }
        assert_eq!(answered(410).next(&s, 1, 10, at(0), 0.5), Next::Gone);
        assert!(answered(302)
            .error()
            .is_some_and(|e| e.contains("redirect")));
    }

    #[test]
    fn the_last_attempt_fails_and_retry_after_is_honoured() {
        let s = RetrySchedule::default();
        assert_eq!(answered(500).next(&s, 10, 10, at(0), 0.5), Next::Failed);
        assert_eq!(answered(500).next(&s, 3, 3, at(0), 0.5), Next::Failed);
        let busy = AttemptOutcome::Answered {
            status: 503,
            elapsed_ms: 5,
            retry_after: Some(Duration::from_secs(600)),
        };
        assert_eq!(busy.next(&s, 1, 10, at(0), 0.5), Next::RetryAt(at(600)));
        let forever = AttemptOutcome::Answered {
            status: 429,
            elapsed_ms: 5,
            retry_after: Some(Duration::from_secs(10 * 86_400)),
        };
        assert_eq!(
            forever.next(&s, 1, 10, at(0), 0.5),
            Next::RetryAt(at(43_200))
        );
        let refused = AttemptOutcome::Refused {
            reason: "127.0.0.1 is loopback".into(),
        };
        assert_eq!(refused.next(&s, 2, 10, at(0), 0.5), Next::RetryAt(at(40)));
        assert_eq!(refused.error().as_deref(), Some("127.0.0.1 is loopback"));
        assert_eq!(
            AttemptOutcome::EndpointDisabled.next(&s, 1, 10, at(0), 0.5),
            Next::Failed
        );
    }
}
