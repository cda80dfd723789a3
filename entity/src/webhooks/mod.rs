//! Signed webhooks: a business registers endpoints (URL, events, enabled); every event it
//! subscribed to is delivered to them as a signed HTTP POST, following the Standard
//! Webhooks convention (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
//!
//! - [`events`]: the event types and the body (`{type, timestamp, data}`).
//! - [`emit`] ([`outbox`]): producers write one delivery row per subscribed endpoint in
//!   the transaction of their change, so a rolled-back change sends nothing; the call
//!   records writer does it for the call events ([`calls`]).
//! - [`endpoints`]: registering, changing, deleting endpoints and rotating secrets (owners
//!   and admins; every row carries `business_id` and every query filters by it).
//! - [`deliveries`]: each endpoint's log, "send test event" and "resend".
//! - [`dispatch`]: the state changes the delivery job makes (claim, start, record), which
//!   keep one delivery to one attempt at a time and never send an accepted one again.
//! - [`secret`], [`schedule`], [`target`]: signing, the retry schedule, and where a
//!   delivery may go (public addresses only, checked on the resolved address).
//!
//! The HTTP request itself is made by the `jobs` crate.

pub mod events;
pub mod target_url;

pub use events::{EventType, Subscriptions};
pub use target_url::{TargetHost, TargetUrl};

#[cfg(feature = "db")]
pub mod calls;
#[cfg(feature = "db")]
pub mod deliveries;
#[cfg(feature = "db")]
pub mod dispatch;
#[cfg(feature = "db")]
pub mod endpoints;
#[cfg(feature = "db")]
pub mod outbox;
#[cfg(feature = "db")]
pub mod schedule;
#[cfg(feature = "db")]
pub mod secret;
#[cfg(feature = "db")]
pub mod target;

#[cfg(feature = "db")]
pub use outbox::{emit, emit_all, Event};
#[cfg(feature = "db")]
pub use schedule::{AttemptOutcome, RetrySchedule};
#[cfg(feature = "db")]
pub use target::{TargetPolicy, TargetResolver, Unreachable};

/// A delivery waiting for its next attempt (or in one).
pub const PENDING: &str = "pending";
/// A delivery the receiver accepted (`2xx`).
pub const DELIVERED: &str = "delivered";
/// A delivery that ran out of attempts (or whose endpoint is gone or disabled).
pub const FAILED: &str = "failed";

/// An endpoint's deliveries older than this are removed.
pub const LOG_RETENTION_DAYS: i64 = 30;

/// The `webhook-id` of a delivery: `msg_` and its id in hex, the same on every attempt.
#[must_use]
pub fn webhook_id(delivery: uuid::Uuid) -> String {
    format!("msg_{}", delivery.simple())
}

/// The delivery id in a `webhook-id` (or a plain UUID).
#[must_use]
pub fn parse_webhook_id(text: &str) -> Option<uuid::Uuid> {
    let text = text.trim();
    uuid::Uuid::parse_str(text.strip_prefix("msg_").unwrap_or(text)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_ids_have_no_dots_and_parse_back() {
        let id = uuid::Uuid::now_v7();
        let text = webhook_id(id);
        assert!(text.starts_with("msg_") && !text.contains('.'));
        assert_eq!(parse_webhook_id(&text), Some(id));
        assert_eq!(parse_webhook_id(&id.to_string()), Some(id));
        assert_eq!(parse_webhook_id("msg_nope"), None);
    }
}
