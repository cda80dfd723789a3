//! Calendar files (RFC 5545, built with `icalendar`) for scheduled callbacks: the event a
//! caller's confirmation carries, so the callback lands in their own calendar. Every text
//! is escaped by the builder (a name with a newline cannot add a property).

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, EventLike};
use uuid::Uuid;

/// What one scheduled callback's calendar event says.
pub struct CallbackEvent<'a> {
    pub callback_id: Uuid,
    /// Makes the event's UID unique to this deployment (the public URL's host).
    pub host: &'a str,
    /// The event's title ("Call from Harbour Bikes", "Call back Dana").
    pub summary: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Said in the description (the intent, the note).
    pub details: &'a str,
    /// Where to cancel (the caller's cancel link).
    pub url: &'a str,
    pub now: DateTime<Utc>,
}

/// The host of a public URL (`https://dc.example:8443/x` → `dc.example:8443`): what makes
/// an event's UID unique to this deployment.
#[must_use]
pub fn host_of(base: &str) -> &str {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// The VEVENT of `event`.
fn vevent(event: &CallbackEvent<'_>) -> icalendar::Event {
    let mut vevent = icalendar::Event::new();
    vevent
        .uid(&format!("callback-{}@{}", event.callback_id, event.host))
        .summary(event.summary)
        .starts(event.start)
        .ends(event.end)
        .url(event.url)
        .timestamp(event.now);
    if !event.details.trim().is_empty() {
        vevent.description(event.details);
    }
    vevent.done()
}

/// The `text/calendar` body of `event` (METHOD:PUBLISH, one VEVENT, times in UTC).
#[must_use]
pub fn callback_ics(event: &CallbackEvent<'_>) -> String {
    let mut calendar = Calendar::new();
    calendar
        .append_property(("METHOD", "PUBLISH"))
        .push(vevent(event));
    calendar.done().to_string()
}

/// A calendar feed named `name` holding `events` (a member's subscription).
#[must_use]
pub fn feed_ics(name: &str, events: &[CallbackEvent<'_>]) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name).append_property(("METHOD", "PUBLISH"));
    for event in events {
        calendar.push(vevent(event));
    }
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_name_cannot_add_a_property() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let ics = callback_ics(&CallbackEvent {
            callback_id: Uuid::nil(),
            host: "dc.example",
            summary: "Call from Eve\r\nATTENDEE:mailto:victim@example.com",
            start: at,
            end: at + chrono::Duration::minutes(30),
            details: "Note\nORGANIZER:mailto:eve@example.com",
            url: "https://dc.example/l/x",
            now: at,
        });
        let starts = |p: &str| ics.lines().any(|l| l.starts_with(p));
        assert!(!starts("ATTENDEE") && !starts("ORGANIZER"), "{ics}");
        assert!(starts("SUMMARY:Call from Eve"), "{ics}");
        assert!(starts("DTSTART:20270115T080000Z"), "{ics}");
    }
}
