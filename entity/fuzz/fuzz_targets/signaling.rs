//! The signaling parser and its relay fast path, against each other.
//!
//! Any text: neither parser panics; whatever the fast path takes, the general parser takes
//! as the same message and forwards as the same bytes; every relay message the general
//! parser takes, the fast path takes too (but for frames with surrogate escapes, which it
//! leaves to the general parser on purpose); a parsed client message survives a round
//! trip through its own serialisation.
#![no_main]

use entity::calls::protocol::{CallId, ClientMessage, ServerMessage};
use entity::calls::relay::RelayFrame;
use libfuzzer_sys::fuzz_target;

const CALL: CallId = CallId::from_random_bytes([7; 16]);

fn forwarded(message: &ClientMessage) -> Option<String> {
    let server = match message.clone() {
        ClientMessage::Offer { sdp, .. } => ServerMessage::Offer { call_id: CALL, sdp },
        ClientMessage::Answer { sdp, .. } => ServerMessage::Answer { call_id: CALL, sdp },
        ClientMessage::Ice { candidate, .. } => ServerMessage::Ice {
            call_id: CALL,
            candidate,
        },
        _ => return None,
    };
    Some(serde_json::to_string(&server).expect("a server message serialises"))
}

/// The fast path's own test, written again: a `\uD800`–`\uDFFF` escape anywhere.
fn has_surrogate_escape(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(3)).any(|i| {
        b[i] == b'\\'
            && b[i + 1] == b'u'
            && matches!(b[i + 2], b'd' | b'D')
            && matches!(b[i + 3], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let general = ClientMessage::parse(text);
    let fast = RelayFrame::parse(text);
    if let Some(frame) = &fast {
        let message = general
            .as_ref()
            .unwrap_or_else(|e| panic!("fast path took {text:?}, the parser refused it: {e}"));
        assert_eq!(
            RelayFrame::of(message).as_ref(),
            Some(frame),
            "fast path and parser disagree on {text:?}"
        );
        assert_eq!(
            Some(frame.forward(CALL)),
            forwarded(message),
            "forwarded bytes differ for {text:?}"
        );
    }
    if let Ok(message) = &general {
        if RelayFrame::of(message).is_some() && !has_surrogate_escape(text) {
            assert!(fast.is_some(), "the fast path refused relay message {text:?}");
        }
        let again = serde_json::to_string(message).expect("a client message serialises");
        let reparsed = ClientMessage::parse(&again)
            .unwrap_or_else(|e| panic!("{again:?} (from {text:?}) does not parse again: {e}"));
        assert_eq!(&reparsed, message, "round trip changed {text:?}");
    }
});
