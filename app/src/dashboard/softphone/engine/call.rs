//! The accepted call on this device: its peer connection (the agent answers the caller's
//! offers, again after each transfer), local media, in-call controls and its end.

use entity::calls::protocol::{CallId, ClientMessage, IncomingCall};
use entity::calls::wire::{ChatText, IceServer};
use entity::calls::Side;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlMediaElement;

use super::AgentEngine;
use crate::dashboard::softphone::EndedCall;
use crate::rtc::media;
use crate::rtc::peer::{Peer, PeerEvents};

impl AgentEngine {
    pub(super) fn accepted(&self, call_id: CallId, ice_servers: &[IceServer]) {
        let ui = self.ui;
        let call: Option<IncomingCall> = ui
            .ringing
            .with_untracked(|r| r.iter().find(|c| c.call_id == call_id).cloned())
            .or_else(|| ui.active.get_untracked().filter(|c| c.call_id == call_id));
        let Some(call) = call else {
            return;
        };
        *self.call_id.borrow_mut() = Some(call_id);
        if let Some(old) = self.peer.borrow_mut().take() {
            old.close();
        }
        self.stop_media();
        ui.ringing.update(|r| r.retain(|c| c.call_id != call_id));
        ui.call.reset(call.mode);
        ui.call.since.set(Some(media::now_ms()));
        ui.ended.set(None);
        ui.notes_saved.set(None);
        ui.transfer.set(None);
        let mode = call.mode;
        ui.active.set(Some(call));
        ui.connected.set(true);
        self.update_tone();
        self.load_members();
        self.load_teams();

        let signaling = self.signaling.borrow().clone();
        let view = ui.call;
        let events = PeerEvents {
            on_state: Box::new(move |s| view.peer_state.set(s)),
            on_remote_stream: Box::new(move |stream| {
                if let Some(video) = view.remote_video.get_untracked() {
                    media::attach(video.unchecked_ref::<HtmlMediaElement>(), Some(&stream));
                }
            }),
            on_stats: Box::new(move |q| view.quality.set(Some(q))),
            on_file: Box::new(move |f| view.files.update(|files| files.push(f))),
            on_channel: Box::new(move |open| view.channel_open.set(open)),
        };
        let peer = match Peer::new(
            call_id,
            Side::Agent,
            mode,
            ice_servers,
            move |m| {
                if let Some(s) = &signaling {
                    s.send(&m);
                }
            },
            events,
        ) {
            Ok(peer) => peer,
            Err(e) => {
                view.notice.set(Some(e));
                return;
            }
        };
        *self.peer.borrow_mut() = Some(peer.clone());
        if media::wants_media(mode) {
            let Some(this) = self.me.upgrade() else {
                return;
            };
            leptos::task::spawn_local(async move {
                match media::user_media(mode, None, None).await {
                    Ok(stream) => {
                        if this.peer().is_none() {
                            media::stop(&stream);
                            return;
                        }
                        peer.add_local(&stream);
                        if let Some(video) = view.local_video.get_untracked() {
                            media::attach(video.unchecked_ref::<HtmlMediaElement>(), Some(&stream));
                        }
                        *this.local.borrow_mut() = Some(stream);
                    }
                    Err(e) => {
                        peer.without_local();
                        view.notice.set(Some(e));
                    }
                }
            });
        }
    }

    /// Ends the call on this device and opens the notes box.
    pub(super) fn end_call(&self, summary: String) {
        let ui = self.ui;
        ui.call.stop_clock(media::now_ms());
        if let Some(peer) = self.peer.borrow_mut().take() {
            peer.close();
        }
        self.stop_media();
        let call_id = self.call_id.borrow_mut().take();
        let caller = ui
            .active
            .with_untracked(|a| a.as_ref().map(|c| c.caller.name.clone()))
            .unwrap_or_default();
        ui.connected.set(false);
        ui.transfer.set(None);
        if let Some(call_id) = call_id {
            ui.ended.set(Some(EndedCall {
                call_id: call_id.to_string(),
                caller,
                summary,
            }));
        }
        self.update_tone();
    }

    /// Hangs up the call in progress.
    pub fn hangup(&self) {
        let call_id = *self.call_id.borrow();
        if call_id.is_some() && self.ui.connected.get_untracked() {
            self.send(&ClientMessage::Hangup { call_id });
            self.end_call("You hung up.".to_owned());
        }
    }

    /// Sends a chat message (shown when the server's copy comes back).
    pub fn chat(&self, text: String) {
        let Ok(text) = ChatText::parse(text) else {
            return;
        };
        let call_id = *self.call_id.borrow();
        self.send(&ClientMessage::Chat { text, call_id });
    }

    /// Turns the microphone off or on again.
    pub fn toggle_mute(&self) {
        media::toggle(&self.local, "audio", self.ui.call.muted);
    }

    /// Turns the camera off or on again.
    pub fn toggle_camera(&self) {
        media::toggle(&self.local, "video", self.ui.call.camera_off);
    }

    /// Sends the chosen file over the data channel.
    pub fn send_file(&self) {
        if let Some(peer) = self.peer() {
            crate::rtc::peer::send_chosen_file(self.ui.call, peer);
        }
    }

    pub(super) fn stop_media(&self) {
        if let Some(stream) = self.local.borrow_mut().take() {
            media::stop(&stream);
        }
    }
}
