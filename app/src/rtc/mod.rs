//! Calls in the browser: the signaling client, the peer connection, local media, the ring
//! tone and the in-call controls the call page and the softphone share.
//!
//! The types and components here render on the server too; everything that touches the
//! browser's APIs (`web-sys`) is compiled for `hydrate` only. The messages are the
//! protocol's own (`entity::calls::protocol`), never redefined here.

mod controls;
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // used by the browser side
pub mod files;
#[cfg(feature = "hydrate")]
pub mod media;
#[cfg(feature = "hydrate")]
pub mod peer;
#[cfg(feature = "hydrate")]
pub mod recorder;
#[cfg(feature = "hydrate")]
pub mod signaling;
#[cfg(feature = "hydrate")]
mod stats;
#[cfg(feature = "hydrate")]
pub mod tone;

pub use controls::{CallIds, InCallPanel, MediaStage};

use entity::calls::CallMode;
use leptos::html;
use leptos::prelude::*;

/// What the signaling socket is doing.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // used by the browser side
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkStatus {
    /// Not connected (not yet, or for good).
    #[default]
    Closed,
    /// Greeted by the server.
    Online,
    /// Dropped; trying again.
    Reconnecting,
}

/// A `getStats` sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quality {
    /// Round-trip time of the selected candidate pair.
    pub rtt_ms: Option<f64>,
    /// Inbound packets lost, in percent of those expected.
    pub loss_pct: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub bytes_received: f64,
    /// Inbound audio bytes (the "is sound arriving" check).
    pub audio_bytes_received: f64,
    pub bytes_sent: f64,
}

impl Quality {
    /// A CSS modifier and a word for the connection: good, fair or poor.
    #[must_use]
    pub fn grade(&self) -> (&'static str, &'static str) {
        let rtt = self.rtt_ms.unwrap_or(0.0);
        let loss = self.loss_pct.unwrap_or(0.0);
        if self.rtt_ms.is_none() && self.bytes_received == 0.0 {
            ("unknown", "Measuring…")
        } else if rtt < 150.0 && loss < 2.0 {
            ("good", "Good connection")
        } else if rtt < 400.0 && loss < 8.0 {
            ("fair", "Fair connection")
        } else {
            ("poor", "Poor connection")
        }
    }
}

/// One chat message of the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatLine {
    /// Sent from this side.
    pub mine: bool,
    /// Who sent it, as shown.
    pub from: String,
    pub text: String,
    /// `HH:MM` (UTC).
    pub at: String,
}

/// A microphone or camera to pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceOption {
    pub id: String,
    pub label: String,
    /// A camera (else a microphone).
    pub video: bool,
}

/// A file the other party sent over the data channel (see [`files`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedFile {
    /// The sender's name for it, made safe by [`files::safe_file_name`].
    pub name: String,
    pub size: f64,
    /// An object URL of its bytes, typed `application/octet-stream`: only ever saved
    /// ([`files::save`]), never linked to or opened.
    pub url: String,
}

/// What the in-call screen shows, shared by the call page and the softphone.
#[derive(Clone, Copy)]
pub struct CallView {
    pub mode: RwSignal<CallMode>,
    pub chat: RwSignal<Vec<ChatLine>>,
    pub muted: RwSignal<bool>,
    pub camera_off: RwSignal<bool>,
    /// When the call connected (ms since the epoch).
    pub since: RwSignal<Option<f64>>,
    /// When it ended (ms since the epoch): the duration stops there.
    pub ended: RwSignal<Option<f64>>,
    /// The browser's clock, ticking every second while a call page is open.
    pub now: RwSignal<f64>,
    pub quality: RwSignal<Option<Quality>>,
    /// The peer connection's `connectionState`.
    pub peer_state: RwSignal<String>,
    pub files: RwSignal<Vec<ReceivedFile>>,
    pub channel_open: RwSignal<bool>,
    /// A passing remark (the other side lost its connection, a file was sent…).
    pub notice: RwSignal<Option<String>>,
    pub remote_video: NodeRef<html::Video>,
    pub local_video: NodeRef<html::Video>,
    pub file_input: NodeRef<html::Input>,
}

impl CallView {
    /// Empty state for a new page.
    #[must_use]
    pub fn new() -> Self {
        Self {
            mode: RwSignal::new(CallMode::Voice),
            chat: RwSignal::new(Vec::new()),
            muted: RwSignal::new(false),
            camera_off: RwSignal::new(false),
            since: RwSignal::new(None),
            ended: RwSignal::new(None),
            now: RwSignal::new(0.0),
            quality: RwSignal::new(None),
            peer_state: RwSignal::new(String::new()),
            files: RwSignal::new(Vec::new()),
            channel_open: RwSignal::new(false),
            notice: RwSignal::new(None),
            remote_video: NodeRef::new(),
            local_video: NodeRef::new(),
            file_input: NodeRef::new(),
        }
    }

    /// Clears what the last call left (before a new one).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // used by the browser side
    pub fn reset(&self, mode: CallMode) {
        self.mode.set(mode);
        self.chat.set(Vec::new());
        self.muted.set(false);
        self.camera_off.set(false);
        self.since.set(None);
        self.ended.set(None);
        self.quality.set(None);
        self.peer_state.set(String::new());
        #[cfg(feature = "hydrate")]
        self.files
            .with_untracked(|list| list.iter().for_each(files::release));
        self.files.set(Vec::new());
        self.channel_open.set(false);
        self.notice.set(None);
    }

    /// The call's duration so far (or, once it ended, in all), as `m:ss`.
    #[must_use]
    pub fn elapsed(&self) -> String {
        self.since
            .get()
            .map(|since| {
                let end = self.ended.get().unwrap_or_else(|| self.now.get());
                clock(end - since)
            })
            .unwrap_or_else(|| clock(0.0))
    }

    /// Stops the duration at `at` (ms since the epoch), if the call was connected.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // used by the browser side
    pub fn stop_clock(&self, at: f64) {
        if self.since.get_untracked().is_some() && self.ended.get_untracked().is_none() {
            self.ended.set(Some(at));
        }
    }

    /// Starts the clock (browser only; a no-op when rendering on the server).
    pub fn tick(&self) {
        #[cfg(feature = "hydrate")]
        {
            let now = self.now;
            now.set(media::now_ms());
            if let Ok(handle) = set_interval_with_handle(
                move || now.set(media::now_ms()),
                std::time::Duration::from_secs(1),
            ) {
                on_cleanup(move || handle.clear());
            }
        }
    }
}

impl Default for CallView {
    fn default() -> Self {
        Self::new()
    }
}

/// Methods of a page's phone handle that forward to its browser-side engine (stored as
/// `self.engine`); while rendering on the server they do nothing (no events run there).
macro_rules! engine_calls {
    ($($(#[$doc:meta])* $name:ident $(($arg:ident: $ty:ty))?;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self $(, $arg: $ty)?) {
                #[cfg(feature = "hydrate")]
                self.engine.with_value(|e| e.$name($($arg)?));
                #[cfg(not(feature = "hydrate"))]
                { $(let _ = $arg;)? }
            }
        )*
    };
}
pub(crate) use engine_calls;

/// A duration in milliseconds as `m:ss` (or `h:mm:ss`).
#[must_use]
pub fn clock(ms: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let secs = (ms.max(0.0) / 1000.0) as u64;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A byte count for people (`512 B`, `1.4 MB`).
#[must_use]
pub fn bytes(n: f64) -> String {
    if n < 1024.0 {
        format!("{n:.0} B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.1} KB", n / 1024.0)
    } else {
        format!("{:.1} MB", n / 1024.0 / 1024.0)
    }
}

/// How a mode is named to people.
#[must_use]
pub fn mode_label(mode: CallMode) -> &'static str {
    match mode {
        CallMode::Voice => "Voice",
        CallMode::Video => "Video",
        CallMode::Chat => "Chat",
        CallMode::Data => "Data",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_like_timers() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(-5.0), "0:00");
        assert_eq!(clock(61_500.0), "1:01");
        assert_eq!(clock(3_725_000.0), "1:02:05");
    }

    #[test]
    fn quality_grades_follow_rtt_and_loss() {
        let mut q = Quality {
            rtt_ms: Some(20.0),
            loss_pct: Some(0.0),
            ..Quality::default()
        };
        assert_eq!(q.grade().0, "good");
        q.rtt_ms = Some(300.0);
        assert_eq!(q.grade().0, "fair");
        q.loss_pct = Some(20.0);
        assert_eq!(q.grade().0, "poor");
        assert_eq!(Quality::default().grade().0, "unknown");
    }
}
