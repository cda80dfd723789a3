//! The call log as CSV (RFC 4180), for spreadsheets.
//!
//! Caller names, notes, intent labels and domains are typed by other people, and a
//! spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (CSV
//! injection): such cells — and those starting with a tab or a carriage return — get a
//! leading `'`, which spreadsheets show as text. Pure, so the rule is unit-tested here and
//! the route only streams what it returns.

use crate::calls::filter::OutcomeKind;
use crate::calls::history::CallRecordView;

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

/// One cell: neutralised when a spreadsheet would read it as a formula, then quoted when
/// it holds a comma, a quote or a line break (quotes doubled).
#[must_use]
pub fn cell(value: &str) -> String {
    let risky = value
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let value = if risky {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A line of cells, ended by CRLF as RFC 4180 says.
fn line<I, S>(cells: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = cells
        .into_iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

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
    fn formulas_are_neutralised_and_quoting_follows_rfc_4180() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell(""), "");
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("+33 1 23"), "'+33 1 23");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(
            cell("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
        assert_eq!(cell("a=b"), "a=b", "only a leading sign is risky");
    }

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
