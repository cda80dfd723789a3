//! The events an endpoint can subscribe to, and the body every delivery carries.
//!
//! Names follow the Standard Webhooks convention: full-stop delimited, `[a-z_]` only, the
//! body's `type`. The body is `{"type", "timestamp", "data"}` (in that order, minified),
//! written once when the event happens and sent byte for byte on every attempt, so the
//! signature a receiver checks is always over what it received.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::types::FieldError;

/// An event type. Adding a producer for one is a call to `webhooks::emit` in the
/// transaction of the change it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    /// A caller asked for a call (it starts ringing, or is told nobody can answer).
    CallRequested,
    /// A member answered a call.
    CallAnswered,
    /// An answered call ended.
    CallEnded,
    /// A call ended without being answered (missed, rejected, cancelled, unavailable).
    CallMissed,
    /// A CRM contact was created.
    ContactCreated,
    /// A CRM contact changed.
    ContactUpdated,
    /// An integration recorded a purchase.
    PurchaseRecorded,
    /// A caller asked to be called back (a new callback, pending or with a time).
    CallbackRequested,
    /// A callback got a time, or a new one: at booking, and at every reschedule.
    CallbackScheduled,
    /// A member marked a callback done.
    CallbackDone,
    /// A callback was cancelled, by a member or by the caller's link.
    CallbackCancelled,
    /// A caller left a message (a text, a recording, or both).
    MessageReceived,
    /// A caller earned a reward for waiting.
    RewardIssued,
    /// Sent by "send test event"; never subscribed to.
    WebhookTest,
}

impl EventType {
    /// The types an endpoint can subscribe to, in the order they are listed.
    pub const SUBSCRIBABLE: [Self; 13] = [
        Self::CallRequested,
        Self::CallAnswered,
        Self::CallEnded,
        Self::CallMissed,
        Self::ContactCreated,
        Self::ContactUpdated,
        Self::PurchaseRecorded,
        Self::CallbackRequested,
        Self::CallbackScheduled,
        Self::CallbackDone,
        Self::CallbackCancelled,
        Self::MessageReceived,
        Self::RewardIssued,
    ];

    /// The wire name: the body's `type`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallRequested => "call.requested",
            Self::CallAnswered => "call.answered",
            Self::CallEnded => "call.ended",
            Self::CallMissed => "call.missed",
            Self::ContactCreated => "contact.created",
            Self::ContactUpdated => "contact.updated",
            Self::PurchaseRecorded => "purchase.recorded",
            Self::CallbackRequested => "callback.requested",
            Self::CallbackScheduled => "callback.scheduled",
            Self::CallbackDone => "callback.done",
            Self::CallbackCancelled => "callback.cancelled",
            Self::MessageReceived => "message.received",
            Self::RewardIssued => "reward.issued",
            Self::WebhookTest => "webhook.test",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::SUBSCRIBABLE
            .into_iter()
            .chain([Self::WebhookTest])
            .find(|t| t.as_str() == name)
    }

    /// What happened, in words.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::CallRequested => "A caller asked for a call",
            Self::CallAnswered => "A call was answered",
            Self::CallEnded => "An answered call ended",
            Self::CallMissed => "A call ended without an answer",
            Self::ContactCreated => "A contact was created",
            Self::ContactUpdated => "A contact changed",
            Self::PurchaseRecorded => "A purchase was recorded",
            Self::CallbackRequested => "A caller asked to be called back",
            Self::CallbackScheduled => "A callback was booked for a time",
            Self::CallbackDone => "A callback was marked done",
            Self::CallbackCancelled => "A callback was cancelled",
            Self::MessageReceived => "A caller left a message",
            Self::RewardIssued => "A caller earned a reward for waiting",
            Self::WebhookTest => "A test event",
        }
    }
}

/// The event types an endpoint receives: at least one, each once, in a stable order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscriptions(Vec<EventType>);

impl Subscriptions {
    /// Parses the wire names a business chose.
    ///
    /// # Errors
    /// A [`FieldError`] on `events` when the list is empty or names an unknown type (or
    /// `webhook.test`, which is sent on request only).
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, FieldError> {
        let mut types = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_ref().trim();
            match EventType::parse(name) {
                Some(t) if t != EventType::WebhookTest => types.push(t),
                _ => {
                    let known: Vec<&str> =
                        EventType::SUBSCRIBABLE.iter().map(|t| t.as_str()).collect();
                    return Err(FieldError {
                        field: "events".to_owned(),
                        message: format!(
                            "There is no event called \u{201c}{}\u{201d}; pick from {}.",
                            name.chars().take(60).collect::<String>(),
                            known.join(", ")
                        ),
                    });
                }
            }
        }
        Self::of(types).ok_or_else(|| FieldError {
            field: "events".to_owned(),
            message: "Pick at least one event to send to this endpoint.".to_owned(),
        })
    }

    /// The given types, sorted and without repeats; `None` when empty.
    #[must_use]
    pub fn of(mut types: Vec<EventType>) -> Option<Self> {
        types.sort_unstable();
        types.dedup();
        (!types.is_empty()).then_some(Self(types))
    }

    /// Reads the stored form (comma-separated names; unknown names are skipped).
    #[must_use]
    pub fn from_stored(stored: &str) -> Self {
        let mut types: Vec<EventType> = stored.split(',').filter_map(EventType::parse).collect();
        types.sort_unstable();
        types.dedup();
        Self(types)
    }

    /// The stored form.
    #[must_use]
    pub fn to_stored(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(|t| t.as_str()).collect();
        names.join(",")
    }

    /// Whether `event` is sent to the endpoint.
    #[must_use]
    pub fn contains(&self, event: EventType) -> bool {
        self.0.contains(&event)
    }

    /// The types, in their stable order.
    #[must_use]
    pub fn types(&self) -> &[EventType] {
        &self.0
    }
}

#[derive(Serialize)]
struct Body<'a, D: Serialize> {
    r#type: &'static str,
    timestamp: String,
    data: &'a D,
}

/// The body of a delivery: minified JSON `{"type", "timestamp", "data"}` with the event's
/// time in RFC 3339 (UTC, microseconds).
///
/// # Errors
/// When `data` cannot be written as JSON (a map with non-string keys).
pub fn body<D: Serialize>(
    kind: EventType,
    at: DateTime<Utc>,
    data: &D,
) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Body {
        r#type: kind.as_str(),
        timestamp: at.to_rfc3339_opts(SecondsFormat::Micros, true),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_follow_the_convention() {
        for t in EventType::SUBSCRIBABLE
            .into_iter()
            .chain([EventType::WebhookTest])
        {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert!(t
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'));
            assert!(!t.describe().is_empty());
        }
        assert_eq!(EventType::parse("call.Requested"), None);
    }

    #[test]
    fn subscriptions_are_sorted_unique_and_never_empty() {
        let s = Subscriptions::parse(&["call.ended", " call.requested", "call.ended"])
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.to_stored(), "call.requested,call.ended");
        assert_eq!(Subscriptions::from_stored(&s.to_stored()), s);
        assert!(s.contains(EventType::CallEnded));
        assert!(!s.contains(EventType::CallMissed));
        let empty: [&str; 0] = [];
        assert!(Subscriptions::parse(&empty).is_err());
        let unknown = Subscriptions::parse(&["call.exploded"]).err();
        assert!(unknown.is_some_and(|e| e.field == "events" && e.message.contains("call.ended")));
        assert!(Subscriptions::parse(&["webhook.test"]).is_err());
    }

    #[test]
    fn the_body_is_type_timestamp_data_minified() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T10:20:30.123456Z")
            .unwrap_or_else(|e| panic!("{e}"))
            .with_timezone(&Utc);
        let text = body(
            EventType::CallRequested,
            at,
            &serde_json::json!({ "call_id": "c1" }),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            text,
            r#"{"type":"call.requested","timestamp":"2026-11-25T10:20:30.123456Z","data":{"call_id":"c1"}}"#
        );
    }
}
