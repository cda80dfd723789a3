//! The call log as people read it: the views of a stored call and of its events, and the
//! words for them ("Hung up by caller", "Answered by pat@acme.com after 4.2 s").
//!
//! Pure and wasm-compatible, so the GraphQL API, the server functions and the dashboard
//! all say the same thing; [`super::records`] loads the rows and hands them here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

type Time = DateTime<Utc>;

/// A call to the business, with what the stored row only refers to resolved: the intent's
/// label, the answering member's email, the duration, and the outcome in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecordView {
    pub id: String,
    /// The business domain called (ASCII form).
    pub domain: String,
    /// The intent the caller named, if any.
    pub intent_id: Option<String>,
    /// That intent's label; `None` when there was none or it has been deleted since.
    pub intent_label: Option<String>,
    /// `voice`, `video`, `chat` or `data`.
    pub mode: String,
    /// The caller's verified domain or guest name.
    pub caller_name: String,
    pub caller_verified: bool,
    /// `ringing`, `connected` or `ended`.
    pub state: String,
    /// The protocol's end reason (`hung_up_by_caller`, `missed`, …), once ended.
    pub end_reason: Option<String>,
    /// Why nobody could be rung, when it ended `unavailable`.
    pub unavailable_reason: Option<String>,
    /// How it went, for people: "Hung up by caller", "Missed", "Unavailable: no agents
    /// online"…
    pub outcome: String,
    pub requested_at: Time,
    pub answered_at: Option<Time>,
    pub ended_at: Option<Time>,
    /// The member who answered.
    pub answered_by: Option<String>,
    /// Their email; `None` when nobody answered or they have left the business.
    pub answered_by_email: Option<String>,
    /// Their display name, else their email; `None` like `answered_by_email`.
    #[serde(default)]
    pub answered_by_name: Option<String>,
    /// Request → accept, in milliseconds.
    pub wait_ms: Option<i64>,
    /// Accept → end, in milliseconds (`None` until an answered call ends).
    pub duration_ms: Option<i64>,
    /// What the answering agent wrote down.
    pub notes: Option<String>,
    /// The CRM contact the call was matched to (set a moment after the request).
    #[serde(default)]
    pub contact_id: Option<String>,
    /// That contact's name (people read it rather than a guest name).
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Whether a member was calling the caller back (a callback's link).
    #[serde(default)]
    pub callback: bool,
}

impl CallRecordView {
    /// Who called, for people: the contact's name when the call is matched to one, else
    /// the caller's verified domain or guest name.
    #[must_use]
    pub fn caller_shown(&self) -> &str {
        self.contact_name.as_deref().unwrap_or(&self.caller_name)
    }
}

/// One step of a call's life, oldest first in [`CallDetail::events`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEventView {
    pub at: Time,
    /// `requested`, `offered`, `rejected`, `accepted`, `transfer_offered`,
    /// `transfer_failed`, `transferred`, `chat` or `ended`.
    pub kind: String,
    /// Who acted: `caller`, `agent` or `server`.
    pub actor: String,
    /// The member who acted, when it was one (for chat: the agent on the call then).
    pub actor_user_id: Option<String>,
    /// Their email, while they are a member.
    pub actor_email: Option<String>,
    /// Their display name, else their email, while they are a member.
    #[serde(default)]
    pub actor_name: Option<String>,
    /// What happened, in one sentence.
    pub summary: String,
    /// The message, for `chat` events.
    pub text: Option<String>,
}

/// A call with its timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDetail {
    pub call: CallRecordView,
    pub events: Vec<CallEventView>,
}

/// A stored event, as [`timeline`] reads it.
#[derive(Clone, Copy, Debug)]
pub struct StoredEvent<'a> {
    pub at: Time,
    pub kind: &'a str,
    /// `caller:<name>`, `caller`, `agent:<user id>`, `agent` or `server`.
    pub actor: &'a str,
    pub detail: Option<&'a str>,
}

/// The members of the business by user id (their emails and names), to name agents.
pub type Members = HashMap<Uuid, crate::types::MemberName>;

/// A member's name in the log: their display name or email, or "a former member".
fn member_name(members: &Members, id: Option<Uuid>) -> String {
    id.and_then(|id| members.get(&id).map(|m| m.shown().to_owned()))
        .unwrap_or_else(|| "a former member".to_owned())
}

/// An unavailable reason's words: "no agents online".
#[must_use]
pub fn unavailable_label(reason: &str) -> String {
    match reason {
        "no_agents_online" => "no agents online".to_owned(),
        "all_busy" => "everyone was busy".to_owned(),
        "away" => "everyone was away".to_owned(),
        "out_of_office" => "out of office".to_owned(),
        "closed" => "outside opening hours".to_owned(),
        "domain_not_verified" => "domain not verified".to_owned(),
        "unknown_intent" => "unknown intent".to_owned(),
        other => other.replace('_', " "),
    }
}

/// An end reason's words: "Hung up by caller", "Unavailable: no agents online".
#[must_use]
pub fn end_reason_label(reason: &str, unavailable: Option<&str>) -> String {
    match reason {
        "hung_up_by_caller" => "Hung up by caller".to_owned(),
        "hung_up_by_agent" => "Hung up by agent".to_owned(),
        "cancelled" => "Cancelled by caller".to_owned(),
        "rejected" => "Declined".to_owned(),
        "missed" => "Missed".to_owned(),
        "unavailable" => match unavailable {
            Some(why) => format!("Unavailable: {}", unavailable_label(why)),
            None => "Unavailable".to_owned(),
        },
        "dropped" => "Connection lost".to_owned(),
        "server_shutdown" => "Ended by a server restart".to_owned(),
        other => other.replace('_', " "),
    }
}

/// How a call went, for people; a call still going says where it stands.
#[must_use]
pub fn outcome(state: &str, end_reason: Option<&str>, unavailable: Option<&str>) -> String {
    match (end_reason, state) {
        (Some(reason), _) => end_reason_label(reason, unavailable),
        (None, "connected") => "In progress".to_owned(),
        (None, _) => "Ringing".to_owned(),
    }
}

/// A span for people: "4.2 s", "3 min 05 s", "1 h 02 min".
#[must_use]
pub fn duration_label(ms: i64) -> String {
    let ms = ms.max(0);
    // Tenths, rounded half up, so 4 249 ms is "4.2 s".
    let tenths = (ms + 50) / 100;
    if tenths < 600 {
        return format!("{}.{} s", tenths / 10, tenths % 10);
    }
    let secs = (ms + 500) / 1000;
    if secs < 3600 {
        format!("{} min {:02} s", secs / 60, secs % 60)
    } else {
        format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60)
    }
}

/// The member ids named by `agent:<id>` (or `<id>/<connection>` device lists).
fn users_in(list: &str) -> Vec<Uuid> {
    let mut users = Vec::new();
    for item in list.split(',') {
        let id = item.trim().trim_start_matches("agent:");
        let id = id.split('/').next().unwrap_or_default();
        if let Ok(id) = Uuid::parse_str(id) {
            if !users.contains(&id) {
                users.push(id);
            }
        }
    }
    users
}

fn names(members: &Members, users: &[Uuid]) -> String {
    if users.is_empty() {
        return "nobody".to_owned();
    }
    let names: Vec<String> = users
        .iter()
        .map(|u| member_name(members, Some(*u)))
        .collect();
    names.join(", ")
}

/// The stored events of one call, described; `caller_name` names the caller.
///
/// Chat messages from the agent side are attributed to the agent on the call at the time
/// (the one who accepted, or the one it was transferred to).
#[must_use]
pub fn timeline(
    events: &[StoredEvent<'_>],
    caller_name: &str,
    members: &Members,
) -> Vec<CallEventView> {
    let mut on_call: Option<Uuid> = None;
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let (actor, mut user) = match e.actor.split_once(':') {
            Some(("agent", id)) => ("agent", Uuid::parse_str(id).ok()),
            Some(("caller", _)) => ("caller", None),
            None if matches!(e.actor, "caller" | "agent") => (e.actor, None),
            _ => ("server", None),
        };
        let detail = e.detail.unwrap_or_default();
        let mut text = None;
        let summary = match e.kind {
            "requested" => format!("{caller_name} called ({} call)", mode_label(detail)),
            "offered" => {
                let users = users_in(detail);
                let devices = detail.split(',').filter(|d| !d.is_empty()).count();
                let plural = if devices == 1 { "" } else { "s" };
                format!("Rang {} ({devices} device{plural})", names(members, &users))
            }
            "rejected" => format!("Declined by {}", member_name(members, user)),
            "accepted" => {
                on_call = user;
                let wait = detail
                    .strip_prefix("wait ")
                    .and_then(|w| w.strip_suffix(" ms"))
                    .and_then(|w| w.parse::<i64>().ok());
                let who = member_name(members, user);
                match wait {
                    Some(ms) => format!("Answered by {who} after {}", duration_label(ms)),
                    None => format!("Answered by {who}"),
                }
            }
            "transfer_offered" => format!(
                "{} offered the call to {}",
                member_name(members, user),
                names(members, &users_in(detail))
            ),
            "transfer_failed" => format!(
                "Transfer failed: {}",
                match detail {
                    "rejected" => "declined",
                    "missed" => "nobody answered",
                    "unavailable" => "nobody could take it",
                    other => other,
                }
            ),
            "transferred" => {
                let to = users_in(detail).first().copied();
                on_call = to.or(on_call);
                format!(
                    "Transferred by {} to {}",
                    member_name(members, user),
                    member_name(members, to)
                )
            }
            "chat" => {
                text = e.detail.map(str::to_owned);
                if actor == "agent" {
                    user = user.or(on_call);
                    format!("{} wrote", member_name(members, user))
                } else {
                    format!("{caller_name} wrote")
                }
            }
            "ended" => {
                let reason = end_reason_label(detail, None);
                match (actor, detail) {
                    ("agent", "hung_up_by_agent") => {
                        format!("Hung up by {}", member_name(members, user))
                    }
                    ("agent", _) => format!("Ended: {reason} ({})", member_name(members, user)),
                    _ => format!("Ended: {reason}"),
                }
            }
            other => other.replace('_', " "),
        };
        out.push(CallEventView {
            at: e.at,
            kind: e.kind.to_owned(),
            actor: actor.to_owned(),
            actor_user_id: user.map(|u| u.to_string()),
            actor_email: user.and_then(|u| members.get(&u).map(|m| m.email.clone())),
            actor_name: user.and_then(|u| members.get(&u).map(|m| m.shown().to_owned())),
            summary,
            text,
        });
    }
    out
}

/// A mode's words: "voice", "video", "chat", "data".
fn mode_label(mode: &str) -> &str {
    match mode {
        "data" => "file / data",
        "" => "unknown",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_like_people_say_them() {
        assert_eq!(duration_label(4_249), "4.2 s");
        assert_eq!(duration_label(4_250), "4.3 s");
        assert_eq!(duration_label(0), "0.0 s");
        assert_eq!(duration_label(-5), "0.0 s");
        assert_eq!(duration_label(59_999), "1 min 00 s");
        assert_eq!(duration_label(185_000), "3 min 05 s");
        assert_eq!(duration_label(3_725_000), "1 h 02 min");
    }

    #[test]
    fn outcomes_in_words() {
        assert_eq!(
            outcome("ended", Some("hung_up_by_caller"), None),
            "Hung up by caller"
        );
        assert_eq!(outcome("ended", Some("missed"), None), "Missed");
        assert_eq!(
            outcome("ended", Some("unavailable"), Some("no_agents_online")),
            "Unavailable: no agents online"
        );
        assert_eq!(outcome("connected", None, None), "In progress");
        assert_eq!(outcome("ringing", None, None), "Ringing");
    }

    #[test]
    fn the_timeline_names_members_and_follows_transfers() {
        let (pat, sam, gone) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let named = |email: &str, name: Option<&str>| crate::types::MemberName {
            email: email.to_owned(),
            display_name: name.map(str::to_owned),
        };
        let members: Members = [
            (pat, named("pat@acme.test", None)),
            (sam, named("sam@acme.test", Some("Sam Lee"))),
        ]
        .into_iter()
        .collect();
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let devices = format!("{pat}/c1,{pat}/c2,{gone}/c3");
        let accepted_by = format!("agent:{pat}");
        let to_sam = format!("agent:{sam}");
        let ev = |kind, actor, detail| StoredEvent {
            at,
            kind,
            actor,
            detail,
        };
        let events = [
            ev("requested", "caller:guest-1", Some("voice")),
            ev("offered", "server", Some(devices.as_str())),
            ev("accepted", accepted_by.as_str(), Some("wait 4210 ms")),
            ev("chat", "agent", Some("Hello!")),
            ev("transferred", accepted_by.as_str(), Some(to_sam.as_str())),
            ev("chat", "agent", Some("Sam here")),
            ev("chat", "caller", Some("Hi Sam")),
            ev("ended", "caller", Some("hung_up_by_caller")),
        ];
        let t = timeline(&events, "guest-1", &members);
        let summaries: Vec<&str> = t.iter().map(|e| e.summary.as_str()).collect();
        assert_eq!(
            summaries,
            [
                "guest-1 called (voice call)",
                "Rang pat@acme.test, a former member (3 devices)",
                "Answered by pat@acme.test after 4.2 s",
                "pat@acme.test wrote",
                "Transferred by pat@acme.test to Sam Lee",
                "Sam Lee wrote",
                "guest-1 wrote",
                "Ended: Hung up by caller",
            ]
        );
        assert_eq!(t[3].text.as_deref(), Some("Hello!"));
        assert_eq!(t[5].actor_email.as_deref(), Some("sam@acme.test"));
        assert_eq!(t[5].actor_name.as_deref(), Some("Sam Lee"));
        assert_eq!(t[6].actor, "caller");
        assert_eq!(t[6].actor_user_id, None);
        assert_eq!(t[7].text, None);
    }
}
