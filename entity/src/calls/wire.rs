//! The small value types of the signaling protocol: modes, availability, reasons, ICE data
//! and chat text. Stored values (`EndReason`, `CallMode`) use the same snake_case strings
//! as the wire, via [`as_str`](EndReason::as_str).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;

/// How the caller wants to talk (claims 9–12 of the patent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallMode {
    Voice,
    Video,
    /// Text only, relayed by the server (works where media cannot).
    Chat,
    /// An `RTCDataChannel`, e.g. to send a file.
    Data,
}

impl CallMode {
    /// The stored / wire form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Voice => "voice",
            Self::Video => "video",
            Self::Chat => "chat",
            Self::Data => "data",
        }
    }
}

/// An agent's manual availability toggle (busy is derived from calls, not set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    Available,
    Away,
}

/// A member's presence as the dashboards show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    /// No device connected.
    Offline,
    Available,
    Away,
    /// In a call (on any device).
    Busy,
}

/// One side of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Caller,
    Agent,
}

/// Where a call (or a transfer) rings: a team, or a single member.
/// On the wire: `{"kind": "team", "id": "…"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum RingTarget {
    Team(Uuid),
    Member(Uuid),
}

impl RingTarget {
    /// The value of a `<select>` option: `team:<id>` or `member:<id>`, so that the kind is
    /// never guessed from the id ([`IntentTarget::choice`](crate::routing_setup::IntentTarget::choice)
    /// uses the same values).
    #[must_use]
    pub fn choice(self) -> String {
        match self {
            Self::Team(id) => format!("team:{id}"),
            Self::Member(id) => format!("member:{id}"),
        }
    }

    /// Parses a [`choice`](Self::choice) value; `None` for anything else (a form can send
    /// whatever it likes).
    #[must_use]
    pub fn parse_choice(input: &str) -> Option<Self> {
        match input.trim().split_once(':')? {
            ("team", id) => Uuid::parse_str(id).ok().map(Self::Team),
            ("member", id) => Uuid::parse_str(id).ok().map(Self::Member),
            _ => None,
        }
    }
}

/// Why a call request could not be offered to anyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnavailableReason {
    /// No member who could take the call has a device online.
    NoAgentsOnline,
    /// Members are online and available, but all in calls.
    AllBusy,
    /// The online members set themselves away.
    Away,
    /// The business (or every member who could answer) is out of office.
    OutOfOffice,
    /// Outside the business's opening hours.
    Closed,
    /// No business has verified this domain.
    DomainNotVerified,
    /// The intent is not one of the business's (or leads nowhere).
    UnknownIntent,
}

impl UnavailableReason {
    /// The stored / wire form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoAgentsOnline => "no_agents_online",
            Self::AllBusy => "all_busy",
            Self::Away => "away",
            Self::OutOfOffice => "out_of_office",
            Self::Closed => "closed",
            Self::DomainNotVerified => "domain_not_verified",
            Self::UnknownIntent => "unknown_intent",
        }
    }
}

/// Why a call ended: exactly one per call, stored with the call record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    HungUpByCaller,
    HungUpByAgent,
    /// The caller withdrew before anyone answered.
    Cancelled,
    /// Every device it was offered to rejected it.
    Rejected,
    /// Nobody answered before the ring timeout.
    Missed,
    /// It could not be offered to anyone (see [`UnavailableReason`]).
    Unavailable,
    /// A party's socket dropped and did not come back within the reconnect grace.
    Dropped,
    /// The server shut down during the call.
    ServerShutdown,
}

impl EndReason {
    /// The stored / wire form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HungUpByCaller => "hung_up_by_caller",
            Self::HungUpByAgent => "hung_up_by_agent",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
            Self::Missed => "missed",
            Self::Unavailable => "unavailable",
            Self::Dropped => "dropped",
            Self::ServerShutdown => "server_shutdown",
        }
    }
}

/// Why a transfer did not happen (the call stays with the transferring agent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferFailure {
    /// Every device it was offered to rejected it.
    Rejected,
    /// Nobody answered before the ring timeout.
    Missed,
    /// Nobody eligible to offer it to.
    Unavailable,
}

/// A STUN or TURN server for `RTCPeerConnection` (the fields of `RTCIceServer`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    /// TURN only: `expiry:call_id` (TURN REST scheme), valid for this call only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN only: the HMAC of `username`; the secret itself never leaves the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// An ICE candidate (the fields of `RTCIceCandidateInit`, in snake_case). An empty
/// `candidate` signals the end of candidates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceCandidate {
    pub candidate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_mline_index: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_fragment: Option<String>,
}

/// The text of a chat message: not blank, at most [`MAX_CHAT_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChatText(String);

/// Why a chat message was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChatTextError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is {0} characters long; at most {max} are allowed", max = MAX_CHAT_CHARS)]
    TooLong(usize),
}

impl ChatText {
    /// Accepts any non-blank text of at most [`MAX_CHAT_CHARS`] characters, kept as typed.
    ///
    /// # Errors
    /// [`ChatTextError`] for blank or too long text.
    pub fn parse(text: impl Into<String>) -> Result<Self, ChatTextError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(ChatTextError::Empty);
        }
        let len = text.chars().count();
        if len > MAX_CHAT_CHARS {
            return Err(ChatTextError::TooLong(len));
        }
        Ok(Self(text))
    }
}

impl AsRef<str> for ChatText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChatText {
    type Error = ChatTextError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

impl From<ChatText> for String {
    fn from(text: ChatText) -> Self {
        text.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ring_targets_round_trip_through_form_choices() {
        let id = Uuid::new_v4();
        for t in [RingTarget::Team(id), RingTarget::Member(id)] {
            assert_eq!(RingTarget::parse_choice(&t.choice()), Some(t));
        }
        assert_eq!(
            RingTarget::parse_choice(&format!("team:{id}")),
            Some(RingTarget::Team(id))
        );
        let bad = [
            String::new(),
            "team".to_owned(),
            "team:".to_owned(),
            "member:nope".to_owned(),
            id.to_string(),
            format!("everyone:{id}"),
            format!("Team:{id}"),
            format!("team:{id}:x"),
        ];
        for bad in bad {
            assert_eq!(RingTarget::parse_choice(&bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn ring_target_choices_never_panic(input in "\\PC*") {
            let _ = RingTarget::parse_choice(&input);
        }

        #[test]
        fn ring_target_choices_round_trip(raw in any::<u128>(), team in any::<bool>()) {
            let id = Uuid::from_u128(raw);
            let t = if team { RingTarget::Team(id) } else { RingTarget::Member(id) };
            prop_assert_eq!(RingTarget::parse_choice(&t.choice()), Some(t));
        }
    }

    #[test]
    fn chat_text_refuses_blank_and_too_long() {
        assert_eq!(ChatText::parse("  \n"), Err(ChatTextError::Empty));
        let long = "é".repeat(MAX_CHAT_CHARS + 1);
        assert_eq!(
            ChatText::parse(long),
            Err(ChatTextError::TooLong(MAX_CHAT_CHARS + 1))
        );
        let max = "é".repeat(MAX_CHAT_CHARS);
        assert_eq!(ChatText::parse(max.clone()).map(String::from), Ok(max));
    }

    #[test]
    fn as_str_matches_the_wire_form() {
        for reason in [
            EndReason::HungUpByCaller,
            EndReason::HungUpByAgent,
            EndReason::Cancelled,
            EndReason::Rejected,
            EndReason::Missed,
            EndReason::Unavailable,
            EndReason::Dropped,
            EndReason::ServerShutdown,
        ] {
            assert_eq!(
                serde_json::to_value(reason).ok(),
                Some(serde_json::Value::from(reason.as_str()))
            );
        }
        for mode in [
            CallMode::Voice,
            CallMode::Video,
            CallMode::Chat,
            CallMode::Data,
        ] {
            assert_eq!(
                serde_json::to_value(mode).ok(),
                Some(serde_json::Value::from(mode.as_str()))
            );
        }
        for reason in [
            UnavailableReason::NoAgentsOnline,
            UnavailableReason::AllBusy,
            UnavailableReason::Away,
            UnavailableReason::OutOfOffice,
            UnavailableReason::Closed,
            UnavailableReason::DomainNotVerified,
            UnavailableReason::UnknownIntent,
        ] {
            assert_eq!(
                serde_json::to_value(reason).ok(),
                Some(serde_json::Value::from(reason.as_str()))
            );
        }
    }

    #[test]
    fn ring_target_is_kind_and_id() {
        let id = Uuid::from_u128(7);
        let json = serde_json::to_value(RingTarget::Team(id)).ok();
        assert_eq!(
            json,
            Some(serde_json::json!({"kind": "team", "id": id.to_string()}))
        );
    }
}
