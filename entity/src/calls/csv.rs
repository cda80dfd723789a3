//! The call log as CSV (RFC 4180), for spreadsheets.
//!
//! Caller names, notes, intent labels and domains are typed by other people: cells are
//! quoted and neutralised against formula injection by [`crate::csv`]. Pure, so the rows
//! are unit-tested here and the route only streams what they return.

use crate::calls::filter::OutcomeKind;
use crate::calls::history::CallRecordView;
pub use crate::csv::cell;
use crate::csv::line;

/// The header row's names.
pub const HEADER: [&str; 17] = [
    "call_id",
    "requested_at",
    "domain",
    "intent",
    "mode",
    "caller",
    "caller_verified",
    "outcome",
    "outcome_detail",
    "answered_by",
    "answered_by_email",
    "answered_at",
    "ended_at",
    "wait_ms",
    "duration_ms",
    "notes",
    "contact_id",
];

/// The header line.
#[must_use]
pub fn header() -> String {
    line(HEADER)
}

/// One call's line, in [`HEADER`]'s order; times in RFC 3339 UTC, spans in milliseconds.
#[must_use]
pub fn row(c: &CallRecordView) -> String {
    let time = |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339();
    let opt = |v: Option<String>| v.unwrap_or_default();
    let kind = OutcomeKind::of(c.answered_at.is_some(), c.end_reason.as_deref());
    line([
        c.id.clone(),
        time(&c.requested_at),
        c.domain.clone(),
        opt(c.intent_label.clone()),
        c.mode.clone(),
        c.caller_name.clone(),
        c.caller_verified.to_string(),
        kind.as_str().to_owned(),
        c.outcome.clone(),
        opt(c.answered_by_name.clone()),
        opt(c.answered_by_email.clone()),
        opt(c.answered_at.as_ref().map(time)),
        opt(c.ended_at.as_ref().map(time)),
        opt(c.wait_ms.map(|v| v.to_string())),
        opt(c.duration_ms.map(|v| v.to_string())),
        opt(c.notes.clone()),
        opt(c.contact_id.clone()),
    ])
}

/// The whole file: the header and one line per call.
#[must_use]
pub fn document(calls: &[CallRecordView]) -> String {
    let mut out = header();
    for c in calls {
        out.push_str(&row(c));
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    #[test]
    fn a_row_has_every_column_in_order() {
        let at: DateTime<Utc> = DateTime::from_timestamp(1_741_000_000, 0).unwrap_or_default();
        let c = CallRecordView {
            id: "c1".into(),
            domain: "acme.com".into(),
            intent_id: Some("i1".into()),
            intent_label: Some("=Sales".into()),
            mode: "voice".into(),
            caller_name: "guest, 1".into(),
            caller_verified: false,
            state: "ended".into(),
            end_reason: Some("hung_up_by_caller".into()),
            unavailable_reason: None,
            outcome: "Hung up by caller".into(),
            requested_at: at,
            answered_at: Some(at),
            ended_at: None,
            answered_by: Some("u1".into()),
            answered_by_email: Some("pat@acme.test".into()),
            answered_by_name: Some("Pat".into()),
            wait_ms: Some(1200),
            duration_ms: None,
            notes: Some("line 1\nline 2".into()),
            contact_id: None,
            contact_name: None,
            callback: false,
        };
        let text = document(std::slice::from_ref(&c));
        let mut lines = text.split("\r\n");
        assert_eq!(lines.next(), Some(HEADER.join(",").as_str()));
        assert_eq!(
            lines.next(),
            Some(
                "c1,2025-03-03T11:06:40+00:00,acme.com,'=Sales,voice,\"guest, 1\",false,answered,\
                 Hung up by caller,Pat,pat@acme.test,2025-03-03T11:06:40+00:00,,1200,,\"line 1\nline 2\","
            )
        );
        assert!(text.ends_with("\r\n"));
    }
}
