//! The relay messages (`offer`, `answer`, `ice`) on the hub's hot path: read straight from
//! the received frame without copying its strings, and the forwarded frame written in one
//! go.
//!
//! They are nearly all the traffic of a call in progress, and going through
//! [`ClientMessage`] costs more than relaying them: serde buffers an internally tagged
//! enum's fields before it knows the variant, and every string is copied twice (into the
//! message, then into the forwarded frame), and escaped again on the way out.
//! [`RelayFrame`] accepts exactly what
//! [`ClientMessage::parse`] accepts for these three types (same required fields, same
//! types, unknown fields ignored) and [`RelayFrame::forward`] writes byte for byte what
//! serialising [`ServerMessage`] writes; both are checked against the slow path by the
//! tests below. A frame it does not take is parsed as a [`ClientMessage`], whose error
//! says what is wrong.
//!
//! [`ClientMessage`]: super::protocol::ClientMessage
//! [`ClientMessage::parse`]: super::protocol::ClientMessage::parse
//! [`ServerMessage`]: super::protocol::ServerMessage

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Deserialize;

use super::protocol::{CallId, ClientMessage, MAX_MESSAGE_BYTES};

/// A string of the frame: borrowed from it unless it had escapes (serde lends a bare
/// `Cow` field only; inside an `Option` it needs this wrapper).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct JsonStr<'a>(#[serde(borrow)] pub Cow<'a, str>);

/// An ICE candidate borrowed from its frame (the fields of [`super::wire::IceCandidate`]).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct IceCandidateRef<'a> {
    #[serde(borrow)]
    pub candidate: Cow<'a, str>,
    #[serde(default, borrow)]
    pub sdp_mid: Option<JsonStr<'a>>,
    #[serde(default)]
    pub sdp_mline_index: Option<u16>,
    #[serde(default, borrow)]
    pub username_fragment: Option<JsonStr<'a>>,
}

/// What a relay message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayBody<'a> {
    Offer(Cow<'a, str>),
    Answer(Cow<'a, str>),
    Ice(IceCandidateRef<'a>),
}

/// An `offer`, `answer` or `ice` from a client, borrowed from its frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayFrame<'a> {
    /// The call the sender believes it is in (only a check; the server derives the call).
    pub call_id: Option<CallId>,
    pub body: RelayBody<'a>,
}

/// Every field any of the three messages has; serde ignores the others. `sdp` and
/// `candidate` stay raw until the type says which one the message has: the general parser
/// ignores an `ice`'s `sdp` and an `offer`'s `candidate` whatever they hold, and so must
/// this (an `offer` with a string `candidate` was refused here but served there; found by
/// fuzzing).
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    call_id: Option<CallId>,
    #[serde(default, borrow)]
    sdp: Option<&'a serde_json::value::RawValue>,
    #[serde(default, borrow)]
    candidate: Option<&'a serde_json::value::RawValue>,
}

/// Whether `text` has a `\uD800`–`\uDFFF` escape. serde_json checks the escapes of the
/// strings it skips (unknown fields) less strictly than those it reads: a lone surrogate
/// there passes here but not in [`ClientMessage::parse`], which reads every string. Such
/// frames (browsers send none) are left to the general parser, so both accept the same.
/// Found by fuzzing (`entity/fuzz`, target `signaling`).
fn has_surrogate_escape(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices("\\u").any(|(i, _)| {
        matches!(bytes.get(i + 2), Some(b'd' | b'D'))
            && matches!(
                bytes.get(i + 3),
                Some(b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
            )
    })
}

impl<'a> RelayFrame<'a> {
    /// The relay message in `text`; `None` when it is another message or not a valid one.
    #[must_use]
    pub fn parse(text: &'a str) -> Option<Self> {
        // Objects only: serde would also read a struct from an array, by position.
        if text.len() > MAX_MESSAGE_BYTES
            || !text.trim_start().starts_with('{')
            || has_surrogate_escape(text)
        {
            return None;
        }
        let wire: Wire<'a> = serde_json::from_str(text).ok()?;
        let sdp = || {
            let raw = wire.sdp?.get();
            serde_json::from_str::<JsonStr<'a>>(raw).ok().map(|s| s.0)
        };
        let body = match &*wire.kind {
            "offer" => RelayBody::Offer(sdp()?),
            "answer" => RelayBody::Answer(sdp()?),
            "ice" => RelayBody::Ice(serde_json::from_str(wire.candidate?.get()).ok()?),
            _ => return None,
        };
        Some(Self {
            call_id: wire.call_id,
            body,
        })
    }

    /// The relay message among the general ones (borrowing its strings); `None` for the
    /// other types.
    #[must_use]
    pub fn of(message: &'a ClientMessage) -> Option<Self> {
        let (call_id, body) = match message {
            ClientMessage::Offer { sdp, call_id } => (call_id, RelayBody::Offer(sdp.into())),
            ClientMessage::Answer { sdp, call_id } => (call_id, RelayBody::Answer(sdp.into())),
            ClientMessage::Ice { candidate, call_id } => (
                call_id,
                RelayBody::Ice(IceCandidateRef {
                    candidate: candidate.candidate.as_str().into(),
                    sdp_mid: candidate.sdp_mid.as_deref().map(|s| JsonStr(s.into())),
                    sdp_mline_index: candidate.sdp_mline_index,
                    username_fragment: candidate
                        .username_fragment
                        .as_deref()
                        .map(|s| JsonStr(s.into())),
                }),
            ),
            _ => return None,
        };
        Some(Self {
            call_id: *call_id,
            body,
        })
    }

    /// The message's `type`, for logs.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self.body {
            RelayBody::Offer(_) => "offer",
            RelayBody::Answer(_) => "answer",
            RelayBody::Ice(_) => "ice",
        }
    }

    /// The frame the other party of call `call_id` gets: what serialising
    /// `ServerMessage::{Offer, Answer, Ice}` gives, byte for byte.
    #[must_use]
    pub fn forward(&self, call_id: CallId) -> String {
        let strings = match &self.body {
            RelayBody::Offer(s) | RelayBody::Answer(s) => s.len(),
            RelayBody::Ice(c) => {
                c.candidate.len()
                    + c.sdp_mid.as_ref().map_or(0, |s| s.0.len())
                    + c.username_fragment.as_ref().map_or(0, |s| s.0.len())
            }
        };
        // The strings, the field names and the call id fit: one allocation.
        let mut out = String::with_capacity(strings + 192);
        out.push_str(r#"{"type":""#);
        out.push_str(self.kind());
        out.push_str(r#"","call_id":""#);
        out.push_str(
            call_id
                .as_uuid()
                .hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer()),
        );
        out.push('"');
        match &self.body {
            RelayBody::Offer(sdp) | RelayBody::Answer(sdp) => {
                out.push_str(r#","sdp":"#);
                put_str(&mut out, sdp);
            }
            RelayBody::Ice(c) => {
                out.push_str(r#","candidate":{"candidate":"#);
                put_str(&mut out, &c.candidate);
                if let Some(mid) = &c.sdp_mid {
                    out.push_str(r#","sdp_mid":"#);
                    put_str(&mut out, &mid.0);
                }
                if let Some(index) = c.sdp_mline_index {
                    // Writing to a `String` cannot fail.
                    let _ = write!(out, r#","sdp_mline_index":{index}"#);
                }
                if let Some(ufrag) = &c.username_fragment {
                    out.push_str(r#","username_fragment":"#);
                    put_str(&mut out, &ufrag.0);
                }
                out.push('}');
            }
        }
        out.push('}');
        out
    }
}

/// Writes `s` as a JSON string. A string borrowed from the received frame had no escape
/// sequence there, so it holds no quote, backslash or control character and goes out as
/// it came; only a string serde had to unescape is escaped again.
#[allow(clippy::ptr_arg)] // whether the string is borrowed is what this decides on
fn put_str(out: &mut String, s: &Cow<'_, str>) {
    match s {
        Cow::Borrowed(raw) => {
            out.push('"');
            out.push_str(raw);
            out.push('"');
        }
        Cow::Owned(unescaped) => match serde_json::to_string(unescaped) {
            Ok(json) => out.push_str(&json),
            // Serialising a string cannot fail; an empty string keeps the frame valid.
            Err(_) => out.push_str(r#""""#),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;
    use crate::calls::protocol::ServerMessage;

    /// What the general path makes of `text`: the forwarded frame, or `None`.
    fn slow(text: &str, call_id: CallId) -> Option<String> {
        let message = match ClientMessage::parse(text).ok()? {
            ClientMessage::Offer { sdp, .. } => ServerMessage::Offer { call_id, sdp },
            ClientMessage::Answer { sdp, .. } => ServerMessage::Answer { call_id, sdp },
            ClientMessage::Ice { candidate, .. } => ServerMessage::Ice { call_id, candidate },
            _ => return None,
        };
        Some(serde_json::to_string(&message).unwrap())
    }

    fn fast(text: &str, call_id: CallId) -> Option<String> {
        RelayFrame::parse(text).map(|f| f.forward(call_id))
    }

    fn id() -> CallId {
        CallId::from_random_bytes([7; 16])
    }

    #[test]
    fn takes_what_the_general_path_takes_and_forwards_the_same_bytes() {
        let cases = [
            r#"{"type":"ice","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdp_mid":"0","sdp_mline_index":0,"username_fragment":"ab"}}"#,
            r#"{"candidate":{"candidate":""},"type":"ice","call_id":"07070707-0707-0707-0707-070707070707"}"#,
            r#"{"type":"ice","candidate":{"candidate":"a\"b\\c\u00e9\n","extra":1},"more":[1,2]}"#,
            // The other message's field, of any shape, is ignored as the general parser
            // ignores it (found by fuzzing).
            r#"{"type":"offer","sdp":"v=0","candidate":"{c- 1 2 IN0.1"}"#,
            r#"{"type":"answer","sdp":"v=0","candidate":[1]}"#,
            r#"{"type":"ice","sdp":5,"candidate":{"candidate":"c"}}"#,
            r#"{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}"#,
            r#"{"type":"answer","sdp":"","call_id":null}"#,
            r#"{"type":"ice","candidate":{"candidate":"x","sdp_mid":null,"sdp_mline_index":null}}"#,
        ];
        for text in cases {
            assert_eq!(fast(text, id()), slow(text, id()), "{text}");
            assert!(fast(text, id()).is_some(), "{text}");
            let message = ClientMessage::parse(text).unwrap();
            assert_eq!(
                RelayFrame::of(&message),
                RelayFrame::parse(text),
                "the general message borrows to the same frame: {text}"
            );
        }
        let ping = ClientMessage::parse(r#"{"type":"ping"}"#).unwrap();
        assert_eq!(RelayFrame::of(&ping), None);
    }

    #[test]
    fn strings_without_escapes_are_borrowed_from_the_frame() {
        let text = r#"{"type":"ice","candidate":{"candidate":"c","sdp_mid":"0","username_fragment":"u\"v"}}"#;
        let Some(RelayFrame {
            body: RelayBody::Ice(c),
            ..
        }) = RelayFrame::parse(text)
        else {
            panic!("not an ice frame")
        };
        assert!(matches!(c.candidate, Cow::Borrowed("c")));
        assert!(matches!(c.sdp_mid, Some(JsonStr(Cow::Borrowed("0")))));
        assert!(matches!(c.username_fragment, Some(JsonStr(Cow::Owned(ref s))) if s == "u\"v"));
        let offer = RelayFrame::parse(r#"{"type":"offer","sdp":"v=0"}"#).map(|f| f.body);
        assert!(matches!(
            offer,
            Some(RelayBody::Offer(Cow::Borrowed("v=0")))
        ));
    }

    #[test]
    fn leaves_everything_else_to_the_general_path() {
        let refused = [
            r#"{"type":"ice"}"#,
            r#"{"type":"ice","candidate":"x"}"#,
            r#"{"type":"ice","candidate":{"sdp_mid":"0"}}"#,
            r#"{"type":"ice","candidate":{"candidate":"x","sdp_mline_index":70000}}"#,
            r#"{"type":"offer"}"#,
            r#"{"type":"offer","sdp":5}"#,
            r#"{"type":"answer","sdp":"x","call_id":"nope"}"#,
            r#"{"type":"chat","text":"hi"}"#,
            r#"{"type":"hangup"}"#,
            r#"{"sdp":"x"}"#,
            r#"{"type":"offer","sdp":"x","type":"offer"}"#,
            r#"not json"#,
            r#"[]"#,
            r#"["offer",null,"x"]"#,
        ];
        for text in refused {
            assert_eq!(fast(text, id()), None, "{text}");
            assert_eq!(slow(text, id()), None, "{text}");
        }
        let big = format!(
            r#"{{"type":"offer","sdp":"{}"}}"#,
            "a".repeat(MAX_MESSAGE_BYTES)
        );
        assert_eq!(fast(&big, id()), None, "over the frame limit");
    }

    #[test]
    fn surrogate_escapes_are_left_to_the_general_path() {
        // A lone surrogate in an unknown field: serde_json skips it without a check, the
        // general parser refuses it; the fast path must not take it.
        let lone = r#"{"type":"ice","candidate":{"candidate":"c","x":"\ud8001"}}"#;
        assert_eq!(fast(lone, id()), None);
        assert_eq!(slow(lone, id()), None);
        // A well-formed pair is fine, but goes the general way too.
        let pair = r#"{"type":"offer","sdp":"v=0","x":"\ud83d\ude00"}"#;
        assert_eq!(fast(pair, id()), None);
        assert!(slow(pair, id()).is_some());
        // Other escapes stay on the fast path.
        let plain = r#"{"type":"offer","sdp":"v=0\u000d\n"}"#;
        assert_eq!(fast(plain, id()), slow(plain, id()));
        assert!(fast(plain, id()).is_some());
    }

    proptest! {
        #[test]
        fn any_candidate_forwards_as_the_general_path_does(
            candidate in ".{0,80}",
            mid in proptest::option::of(".{0,8}"),
            index in proptest::option::of(any::<u16>()),
            ufrag in proptest::option::of("[ -~]{0,8}"),
            named in any::<bool>(),
            bytes in any::<[u8; 16]>(),
        ) {
            let call_id = CallId::from_random_bytes(bytes);
            let message = ClientMessage::Ice {
                candidate: crate::calls::wire::IceCandidate {
                    candidate,
                    sdp_mid: mid,
                    sdp_mline_index: index,
                    username_fragment: ufrag,
                },
                call_id: named.then_some(call_id),
            };
            let text = serde_json::to_string(&message).unwrap();
            let frame = RelayFrame::parse(&text).unwrap();
            prop_assert_eq!(frame.call_id, named.then_some(call_id));
            prop_assert_eq!(fast(&text, call_id), slow(&text, call_id));
        }

        #[test]
        fn any_sdp_forwards_as_the_general_path_does(sdp in "(?s).{0,200}", offer in any::<bool>()) {
            let message = if offer {
                ClientMessage::Offer { sdp, call_id: None }
            } else {
                ClientMessage::Answer { sdp, call_id: None }
            };
            let text = serde_json::to_string(&message).unwrap();
            prop_assert_eq!(fast(&text, id()), slow(&text, id()));
            prop_assert!(fast(&text, id()).is_some());
        }
    }
}
