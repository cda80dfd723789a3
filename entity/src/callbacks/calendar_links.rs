//! "Add to calendar" links for a booked callback: Google Calendar and Outlook open their
//! new-event page prefilled from the address (every text URL-encoded). Pure: the
//! dashboard builds them in the browser.

use chrono::{DateTime, Utc};

/// What the calendar event says.
pub struct CalendarEntry<'a> {
    pub title: &'a str,
    pub details: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The description of a callback's calendar event, a line each: who to call (`who` and
/// their email; none in the caller's own event), what about, their note.
#[must_use]
pub fn event_details(
    caller: Option<(&str, &str)>,
    intent: Option<&str>,
    note: Option<&str>,
) -> String {
    let lines = [
        caller.map(|(who, email)| format!("{who} <{email}>")),
        intent.map(|i| format!("About: {i}")),
        note.map(str::to_owned),
    ];
    lines.into_iter().flatten().collect::<Vec<_>>().join("\n")
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Google Calendar's "new event" page for `entry`.
#[must_use]
pub fn google(entry: &CalendarEntry<'_>) -> String {
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}/{}&details={}",
        encoded(entry.title),
        stamp(entry.start),
        stamp(entry.end),
        encoded(entry.details)
    )
}

/// Outlook on the web's "new event" page for `entry`.
#[must_use]
pub fn outlook(entry: &CalendarEntry<'_>) -> String {
    let stamp = |t: DateTime<Utc>| encoded(&t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    format!(
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject={}&startdt={}&enddt={}&body={}",
        encoded(entry.title),
        stamp(entry.start),
        stamp(entry.end),
        encoded(entry.details)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_a_line_each_of_what_is_known() {
        assert_eq!(
            event_details(Some(("Dana", "d@example.net")), Some("Billing"), Some("Hi")),
            "Dana <d@example.net>\nAbout: Billing\nHi"
        );
        assert_eq!(event_details(None, None, Some("Hi")), "Hi");
        assert_eq!(event_details(None, None, None), "");
    }

    #[test]
    fn texts_are_encoded_and_times_are_utc() {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let entry = CalendarEntry {
            title: "Call Dana & co",
            details: "a=b\n<script>",
            start,
            end: start + chrono::Duration::minutes(30),
        };
        let g = google(&entry);
        assert!(g.contains("text=Call+Dana+%26+co"), "{g}");
        assert!(g.contains("dates=20270115T080000Z/20270115T083000Z"), "{g}");
        assert!(g.contains("details=a%3Db%0A%3Cscript%3E"), "{g}");
        let o = outlook(&entry);
        assert!(o.contains("startdt=2027-01-15T08%3A00%3A00Z"), "{o}");
        assert!(!o.contains('<') && !o.contains(' '), "{o}");
    }
}
