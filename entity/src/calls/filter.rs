//! Which calls to list: the call log's filters (date range, domain, intent, team, member,
//! outcome) and its cursor.
//!
//! The filters arrive as text — the address of `/app/calls?from=…&outcome=missed`, the
//! CSV export's query, GraphQL's `CallFilter` — as one [`CallQuery`], and are parsed once
//! into a [`CallFilter`] here, so every door refuses the same bad input with the same
//! words, field by field. Pure and wasm-compatible: the page builds its links with
//! [`CallQuery::to_query_string`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::types::FieldError;

/// How a call went, in the few kinds the log filters on and the charts count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Someone answered (whatever happened after).
    Answered,
    /// It rang (or was meant to) and nobody answered: missed, declined, lost, cut off.
    Missed,
    /// The caller gave up before anyone answered.
    Cancelled,
    /// Nobody could be rung: nobody online, closed, out of office…
    Unavailable,
    /// Still ringing.
    Ongoing,
}

impl OutcomeKind {
    /// Every kind, in the order charts stack them.
    pub const ALL: [Self; 5] = [
        Self::Answered,
        Self::Missed,
        Self::Cancelled,
        Self::Unavailable,
        Self::Ongoing,
    ];

    /// The stored end reasons that mean the caller gave up before an answer.
    pub const CANCELLED_REASONS: [&'static str; 2] = ["cancelled", "hung_up_by_caller"];

    /// The wire form: `answered`, `missed`, `cancelled`, `unavailable`, `ongoing`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Missed => "missed",
            Self::Cancelled => "cancelled",
            Self::Unavailable => "unavailable",
            Self::Ongoing => "ongoing",
        }
    }

    /// Its name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Answered => "Answered",
            Self::Missed => "Missed",
            Self::Cancelled => "Caller gave up",
            Self::Unavailable => "Nobody available",
            Self::Ongoing => "Ringing",
        }
    }

    /// The kind named by its wire form (any case, trimmed).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind of a stored call: answered if anyone answered, else by its end reason.
    #[must_use]
    pub fn of(answered: bool, end_reason: Option<&str>) -> Self {
        match (answered, end_reason) {
            (true, _) => Self::Answered,
            (false, None) => Self::Ongoing,
            (false, Some("unavailable")) => Self::Unavailable,
            (false, Some(r)) if Self::CANCELLED_REASONS.contains(&r) => Self::Cancelled,
            (false, Some(_)) => Self::Missed,
        }
    }
}

/// The filters as typed: every field optional text, as in the page's address
/// (`?from=2025-03-01&to=2025-03-31&domain=acme.com&outcome=missed`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallQuery {
    /// First day, `YYYY-MM-DD` (UTC), inclusive.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    #[serde(default)]
    pub to: Option<String>,
    /// A business domain called.
    #[serde(default)]
    pub domain: Option<String>,
    /// An intent id.
    #[serde(default)]
    pub intent: Option<String>,
    /// A team id.
    #[serde(default)]
    pub team: Option<String>,
    /// A member's user id (who answered).
    #[serde(default)]
    pub member: Option<String>,
    /// An [`OutcomeKind`] wire form.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// The query parameter names, in the order [`CallQuery::to_query_string`] writes them.
pub const QUERY_KEYS: [&str; 7] = [
    "from", "to", "domain", "intent", "team", "member", "outcome",
];

impl CallQuery {
    /// The value of filter `key` (one of [`QUERY_KEYS`]).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        match key {
            "from" => self.from.as_deref(),
            "to" => self.to.as_deref(),
            "domain" => self.domain.as_deref(),
            "intent" => self.intent.as_deref(),
            "team" => self.team.as_deref(),
            "member" => self.member.as_deref(),
            "outcome" => self.outcome.as_deref(),
            _ => None,
        }
    }

    /// Sets filter `key` (one of [`QUERY_KEYS`]; others are ignored); blank clears it.
    pub fn set(&mut self, key: &str, value: Option<String>) {
        let value = value.filter(|v| !v.trim().is_empty());
        let slot = match key {
            "from" => &mut self.from,
            "to" => &mut self.to,
            "domain" => &mut self.domain,
            "intent" => &mut self.intent,
            "team" => &mut self.team,
            "member" => &mut self.member,
            "outcome" => &mut self.outcome,
            _ => return,
        };
        *slot = value;
    }

    /// Whether no filter is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        QUERY_KEYS.iter().all(|k| self.get(k).is_none())
    }

    /// The filters as a URL query (no leading `?`; empty when none is set), each value
    /// percent-encoded.
    #[must_use]
    pub fn to_query_string(&self) -> String {
        QUERY_KEYS
            .iter()
            .filter_map(|k| {
                self.get(k)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| format!("{k}={}", encode(v.trim())))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes everything but the unreserved characters (a query value).
#[must_use]
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The filters, parsed: every one given applies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallFilter {
    /// Calls requested on or after this day (00:00 UTC).
    pub from: Option<NaiveDate>,
    /// Calls requested on or before this day (to 24:00 UTC).
    pub to: Option<NaiveDate>,
    /// The business domain called (ASCII, lower case).
    pub domain: Option<String>,
    pub intent: Option<Uuid>,
    /// Calls for a team: about an intent that rings it, or answered by one of its members.
    pub team: Option<Uuid>,
    /// Calls answered by this member.
    pub member: Option<Uuid>,
    pub outcome: Option<OutcomeKind>,
}

/// The longest date range a filter may span, in days.
pub const MAX_RANGE_DAYS: i64 = 3660;

fn field(field: &str, message: String) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message,
    }
}

/// Text shown back in a message: trimmed, at most 40 characters, no control characters.
fn shown(s: &str) -> String {
    let mut out: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect();
    if s.trim().chars().count() > 40 {
        out.push('…');
    }
    out
}

fn blank(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

impl CallFilter {
    /// Parses the filters as typed; blank fields are unset.
    ///
    /// # Errors
    /// One [`FieldError`] per field that does not parse: a date that is not `YYYY-MM-DD`,
    /// a range that ends before it starts (on `to`), an id that is not one, a domain that
    /// is not a domain name, an unknown outcome.
    pub fn parse(q: &CallQuery) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut date = |name: &str, v: Option<&String>| {
            let v = blank(v)?;
            match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(field(
                        name,
                        format!(
                            "\u{201c}{}\u{201d} is not a date; write it as 2025-03-31.",
                            shown(v)
                        ),
                    ));
                    None
                }
            }
        };
        let from = date("from", q.from.as_ref());
        let to = date("to", q.to.as_ref());
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.push(field(
                    "to",
                    "The last day comes before the first day; swap them.".to_owned(),
                ));
            } else if (t - f).num_days() > MAX_RANGE_DAYS {
                errors.push(field(
                    "to",
                    format!("Choose a range of at most {MAX_RANGE_DAYS} days."),
                ));
            }
        }
        let mut id = |name: &str, what: &str, v: Option<&String>| {
            let v = blank(v)?;
            match Uuid::parse_str(v) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(field(
                        name,
                        format!(
                            "\u{201c}{}\u{201d} is not {what} of this business.",
                            shown(v)
                        ),
                    ));
                    None
                }
            }
        };
        let intent = id("intent", "an intent", q.intent.as_ref());
        let team = id("team", "a team", q.team.as_ref());
        let member = id("member", "a member", q.member.as_ref());
        let domain = blank(q.domain.as_ref()).and_then(|v| match domain_key(v) {
            Some(d) => Some(d),
            None => {
                errors.push(field(
                    "domain",
                    format!(
                        "\u{201c}{}\u{201d} is not a domain name like acme.com.",
                        shown(v)
                    ),
                ));
                None
            }
        });
        let outcome = blank(q.outcome.as_ref()).and_then(|v| match OutcomeKind::parse(v) {
            Some(k) => Some(k),
            None => {
                let known: Vec<&str> = OutcomeKind::ALL.iter().map(|k| k.as_str()).collect();
                errors.push(field(
                    "outcome",
                    format!(
                        "\u{201c}{}\u{201d} is not an outcome; choose one of {}.",
                        shown(v),
                        known.join(", ")
                    ),
                ));
                None
            }
        });
        if errors.is_empty() {
            Ok(Self {
                from,
                to,
                domain,
                intent,
                team,
                member,
                outcome,
            })
        } else {
            Err(errors)
        }
    }

    /// The instants the date range covers: `[start, end)`, in UTC.
    #[must_use]
    pub fn range(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        (
            self.from.and_then(start),
            self.to.and_then(|d| d.succ_opt()).and_then(start),
        )
    }
}

/// A domain as stored on calls (ASCII, lower case), or `None` for something that is not a
/// domain name.
fn domain_key(input: &str) -> Option<String> {
    let trimmed = input.trim().trim_end_matches('.');
    if trimmed.is_empty() || trimmed.len() > 253 {
        return None;
    }
    let ascii = idna::domain_to_ascii(trimmed).ok()?;
    let ok = !ascii.is_empty()
        && ascii.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    ok.then_some(ascii)
}

/// Where a page of the call log ends: the last call shown, by (requested at, id) — the
/// order the log is sorted in, newest first. Opaque to clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub requested_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// The cursor as text: the instant to the nanosecond and the id.
    #[must_use]
    pub fn encode(&self) -> String {
        let nanos = self
            .requested_at
            .timestamp_nanos_opt()
            .unwrap_or_else(|| self.requested_at.timestamp_micros().saturating_mul(1000));
        format!("{nanos}_{}", self.id.simple())
    }

    /// A cursor [`Self::encode`] made.
    ///
    /// # Errors
    /// A [`FieldError`] on `after` for anything else.
    pub fn decode(s: &str) -> Result<Self, FieldError> {
        let refuse = || field("after", "This is not a cursor of this list.".to_owned());
        let (nanos, id) = s.trim().split_once('_').ok_or_else(refuse)?;
        let nanos: i64 = nanos.parse().map_err(|_| refuse())?;
        let id = Uuid::parse_str(id).map_err(|_| refuse())?;
        Ok(Self {
            requested_at: DateTime::from_timestamp_nanos(nanos),
            id,
        })
    }
}

/// One page of the call log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPage {
    pub calls: Vec<crate::calls::history::CallRecordView>,
    /// The cursor of the next page (`after`), when there are more calls.
    pub next: Option<String>,
}

/// One choice of a filter's list: an id and what people read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

/// What the filters can be set to, for the form's lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterOptions {
    /// The domains the business's calls were made to, sorted.
    pub domains: Vec<String>,
    pub intents: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub members: Vec<Choice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> CallQuery {
        let mut q = CallQuery::default();
        for (k, v) in pairs {
            q.set(k, Some((*v).to_owned()));
        }
        q
    }

    #[test]
    fn good_filters_parse() {
        let team = Uuid::from_u128(7);
        let f = CallFilter::parse(&q(&[
            ("from", "2025-03-01"),
            ("to", " 2025-03-31 "),
            ("domain", "Sales.ACME.com."),
            ("team", &team.to_string()),
            ("outcome", "Missed"),
        ]))
        .unwrap_or_default();
        assert_eq!(f.from, NaiveDate::from_ymd_opt(2025, 3, 1));
        assert_eq!(f.domain.as_deref(), Some("sales.acme.com"));
        assert_eq!(f.team, Some(team));
        assert_eq!(f.outcome, Some(OutcomeKind::Missed));
        let (start, end) = f.range();
        assert_eq!(
            start.map(|t| t.to_rfc3339()).as_deref(),
            Some("2025-03-01T00:00:00+00:00")
        );
        assert_eq!(
            end.map(|t| t.to_rfc3339()).as_deref(),
            Some("2025-04-01T00:00:00+00:00")
        );
        assert_eq!(
            CallFilter::parse(&CallQuery::default()),
            Ok(CallFilter::default())
        );
    }

    #[test]
    fn bad_filters_name_their_field() {
        let errors = CallFilter::parse(&q(&[
            ("from", "yesterday"),
            ("intent", "abc"),
            ("domain", "not a domain"),
            ("outcome", "great"),
        ]))
        .err()
        .unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["from", "intent", "domain", "outcome"]);
        assert!(
            errors[0].message.contains("2025-03-31"),
            "{}",
            errors[0].message
        );
        let backwards = CallFilter::parse(&q(&[("from", "2025-03-02"), ("to", "2025-03-01")]));
        assert_eq!(
            backwards.err().unwrap_or_default()[0].field,
            "to",
            "a range that ends before it starts"
        );
    }

    #[test]
    fn the_query_string_round_trips_and_encodes() {
        let query = q(&[("domain", "a&b"), ("outcome", "missed"), ("from", " ")]);
        assert_eq!(query.to_query_string(), "domain=a%26b&outcome=missed");
        assert!(CallQuery::default().is_empty());
        assert_eq!(CallQuery::default().to_query_string(), "");
    }

    #[test]
    fn outcomes_of_stored_calls() {
        assert_eq!(OutcomeKind::of(true, Some("missed")), OutcomeKind::Answered);
        assert_eq!(OutcomeKind::of(false, None), OutcomeKind::Ongoing);
        assert_eq!(
            OutcomeKind::of(false, Some("cancelled")),
            OutcomeKind::Cancelled
        );
        assert_eq!(
            OutcomeKind::of(false, Some("hung_up_by_caller")),
            OutcomeKind::Cancelled
        );
        assert_eq!(
            OutcomeKind::of(false, Some("unavailable")),
            OutcomeKind::Unavailable
        );
        assert_eq!(
            OutcomeKind::of(false, Some("rejected")),
            OutcomeKind::Missed
        );
        assert_eq!(OutcomeKind::of(false, Some("missed")), OutcomeKind::Missed);
    }

    #[test]
    fn cursors_round_trip_to_the_nanosecond() {
        let c = Cursor {
            requested_at: DateTime::from_timestamp_nanos(1_741_000_000_123_456_789),
            id: Uuid::from_u128(42),
        };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        for bad in ["", "x_y", "12_notauuid", "nounderscore"] {
            assert_eq!(
                Cursor::decode(bad).err().map(|e| e.field),
                Some("after".to_owned())
            );
        }
    }
}
