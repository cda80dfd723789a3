//! The agent's side of calls, in the browser: the device's signaling socket (authenticated
//! by the dashboard cookie), presence and ringing here; the accepted call in [`call`], its
//! transfer in [`transfer`].

mod call;
mod transfer;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use entity::calls::protocol::{CallId, ClientMessage, ServerMessage};
use entity::calls::wire::{Availability, EndReason, PresenceStatus};
use entity::calls::Side;
use leptos::prelude::*;
use uuid::Uuid;
use web_sys::MediaStream;

use super::AgentUi;
use crate::rtc::peer::Peer;
use crate::rtc::signaling::Signaling;
use crate::rtc::tone::RingTone;
use crate::rtc::{ChatLine, LinkStatus};

/// The live parts of the softphone.
pub struct AgentEngine {
    ui: AgentUi,
    me: Weak<AgentEngine>,
    signaling: RefCell<Option<Signaling>>,
    peer: RefCell<Option<Peer>>,
    local: RefCell<Option<MediaStream>>,
    tone: RefCell<Option<RingTone>>,
    /// The call this device accepted (or is accepting).
    call_id: RefCell<Option<CallId>>,
}

impl AgentEngine {
    /// An engine driving `ui`.
    pub fn new(ui: AgentUi) -> Rc<Self> {
        Rc::new_cyclic(|me| Self {
            ui,
            me: me.clone(),
            signaling: RefCell::new(None),
            peer: RefCell::new(None),
            local: RefCell::new(None),
            tone: RefCell::new(None),
            call_id: RefCell::new(None),
        })
    }

    /// Opens the socket (once).
    pub fn connect(&self) {
        if self.signaling.borrow().is_some() {
            return;
        }
        let on_message = {
            let me = self.me.clone();
            move |message| {
                if let Some(this) = me.upgrade() {
                    this.receive(message);
                }
            }
        };
        let on_status = {
            let ui = self.ui;
            move |status: LinkStatus| {
                ui.link.set(status);
            }
        };
        *self.signaling.borrow_mut() = Some(Signaling::connect(on_message, on_status));
    }

    fn send(&self, message: &ClientMessage) {
        let s = self.signaling.borrow().clone();
        if let Some(s) = s {
            s.send(message);
        }
    }

    fn peer(&self) -> Option<Peer> {
        self.peer.borrow().clone()
    }

    fn receive(&self, message: ServerMessage) {
        let ui = self.ui;
        match message {
            ServerMessage::Welcome { resumed, .. } => {
                ui.notice.set(None);
                if !resumed {
                    // A fresh session: what rang on the old one is gone, presence follows.
                    ui.ringing.set(Vec::new());
                    ui.presence.update(std::collections::HashMap::clear);
                    if ui.connected.get_untracked() {
                        self.end_call("The connection was lost and the call ended.".to_owned());
                    }
                }
                self.update_tone();
            }
            ServerMessage::Presence {
                user_id, status, ..
            } => {
                ui.presence.update(|p| {
                    p.insert(user_id, status);
                });
                if ui.me.get_untracked() == Some(user_id) {
                    match status {
                        PresenceStatus::Available => ui.manual.set(Availability::Available),
                        PresenceStatus::Away => ui.manual.set(Availability::Away),
                        PresenceStatus::Busy | PresenceStatus::Offline => {}
                    }
                }
            }
            ServerMessage::Incoming(call) => {
                ui.notice.set(None);
                ui.ringing.update(|r| {
                    if !r.iter().any(|c| c.call_id == call.call_id) {
                        r.push(call);
                    }
                });
                if call_members_needed(ui) {
                    self.load_members();
                }
                if let Some(c) = ui.ringing.with_untracked(|r| r.last().cloned()) {
                    let who = c
                        .contact
                        .as_ref()
                        .map_or(c.caller.name.clone(), |k| k.name.clone());
                    let about = c.intent.as_ref().map_or("no topic", |i| i.label.as_str());
                    let body = format!("{who} \u{2014} {about}");
                    super::alerts::notify("incoming", "Incoming call", &body);
                }
                self.update_tone();
            }
            ServerMessage::Taken { call_id } => {
                self.stop_ringing(call_id);
                if *self.call_id.borrow() == Some(call_id) && !ui.connected.get_untracked() {
                    *self.call_id.borrow_mut() = None;
                    ui.notice
                        .set(Some("A colleague answered that call first.".to_owned()));
                }
            }
            ServerMessage::Accepted {
                call_id,
                ice_servers,
            } => self.accepted(call_id, &ice_servers),
            ServerMessage::Offer { sdp, .. } => {
                if let Some(peer) = self.peer() {
                    peer.on_offer(sdp);
                }
            }
            ServerMessage::Ice { candidate, .. } => {
                if let Some(peer) = self.peer() {
                    peer.on_ice(candidate);
                }
            }
            ServerMessage::Chat { from, text, at, .. } => {
                let mine = from == Side::Agent;
                let caller = ui
                    .active
                    .with_untracked(|a| a.as_ref().map(|c| c.caller.name.clone()))
                    .unwrap_or_else(|| "Caller".to_owned());
                ui.call.chat.update(|c| {
                    c.push(ChatLine {
                        mine,
                        from: if mine { "You".to_owned() } else { caller },
                        text: text.into(),
                        at: at.format("%H:%M").to_string(),
                    });
                });
            }
            ServerMessage::PeerLost { .. } => ui.call.notice.set(Some(
                "The caller's connection dropped — waiting for them to come back…".to_owned(),
            )),
            ServerMessage::PeerBack { .. } => ui.call.notice.set(None),
            ServerMessage::TransferFailed { reason, .. } => self.transfer_failed(reason),
            ServerMessage::Transferred { to, .. } => self.transferred(to),
            ServerMessage::Ended {
                call_id, reason, ..
            } => {
                let ours = call_id.is_some() && *self.call_id.borrow() == call_id;
                if ours && ui.connected.get_untracked() {
                    self.end_call(ended_summary(reason));
                } else if let Some(call_id) = call_id {
                    if ours {
                        *self.call_id.borrow_mut() = None;
                    }
                    self.stop_ringing(call_id);
                }
            }
            ServerMessage::CallbackRequested { .. } => {
                ui.notice.set(Some(
                    "A caller asked to be called back: see Callbacks.".to_owned(),
                ));
                super::alerts::arrived();
                super::alerts::notify(
                    "callback",
                    "Callback requested",
                    "A caller nobody could answer asked to be called back.",
                );
            }
            ServerMessage::MessageLeft { .. } => {
                ui.notice
                    .set(Some("A caller left a message: see Messages.".to_owned()));
                super::alerts::arrived();
                super::alerts::notify(
                    "message",
                    "New message",
                    "A caller nobody could answer left you a message.",
                );
            }
            ServerMessage::Reconnect { .. } => ui.notice.set(Some(
                "The call service is restarting — reconnecting…".to_owned(),
            )),
            ServerMessage::Error { message, .. } => {
                if ui.transfer.with_untracked(Option::is_some) {
                    ui.transfer.set(None);
                    ui.call.notice.set(Some(message));
                    return;
                }
                if !ui.connected.get_untracked() {
                    *self.call_id.borrow_mut() = None;
                }
                ui.notice.set(Some(message));
                self.update_tone();
            }
            _ => {}
        }
    }

    fn stop_ringing(&self, call_id: CallId) {
        self.ui
            .ringing
            .update(|r| r.retain(|c| c.call_id != call_id));
        self.update_tone();
    }

    /// Rings while a call is offered and this device is neither in a call nor answering.
    fn update_tone(&self) {
        let ui = self.ui;
        let should_ring = !ui.ringing.with_untracked(Vec::is_empty)
            && !ui.connected.get_untracked()
            && self.call_id.borrow().is_none();
        let ringing = self.tone.borrow().is_some();
        super::alerts::ringing(if should_ring {
            ui.ringing.with_untracked(Vec::len)
        } else {
            0
        });
        if should_ring && !ringing {
            *self.tone.borrow_mut() = RingTone::start();
        } else if !should_ring && ringing {
            self.tone.borrow_mut().take();
        }
    }

    /// Answers a ringing call.
    pub fn accept(&self, call_id: String) {
        let Ok(id) = Uuid::parse_str(&call_id) else {
            return;
        };
        let call_id = CallId::from_uuid(id);
        *self.call_id.borrow_mut() = Some(call_id);
        self.ui.notice.set(None);
        self.update_tone();
        self.send(&ClientMessage::Accept { call_id });
    }

    /// Declines a ringing call (it stops ringing on all this member's devices).
    pub fn reject(&self, call_id: String) {
        let Ok(id) = Uuid::parse_str(&call_id) else {
            return;
        };
        let call_id = CallId::from_uuid(id);
        self.send(&ClientMessage::Reject { call_id });
        self.stop_ringing(call_id);
    }

    /// Available ↔ away, for all this member's devices.
    pub fn toggle_availability(&self) {
        let next = match self.ui.manual.get_untracked() {
            Availability::Available => Availability::Away,
            Availability::Away => Availability::Available,
        };
        self.send(&ClientMessage::SetAvailability { availability: next });
    }

    /// Keeps the notes with the call record.
    pub fn save_notes(&self, text: String) {
        let ui = self.ui;
        let Some(ended) = ui.ended.get_untracked() else {
            return;
        };
        ui.notes_saving.set(true);
        leptos::task::spawn_local(async move {
            let result = crate::api::save_call_notes(ended.call_id, text)
                .await
                .map_err(|e| e.message);
            ui.notes_saving.set(false);
            ui.notes_saved.set(Some(result));
        });
    }

    /// Closes the notes box.
    pub fn done(&self) {
        self.ui.notice.set(None);
        self.ui.ended.set(None);
        self.ui.active.set(None);
        self.ui.notes_saved.set(None);
        self.ui.call.reset(self.ui.call.mode.get_untracked());
    }

    fn load_members(&self) {
        let ui = self.ui;
        leptos::task::spawn_local(async move {
            if let Ok(members) = crate::api::list_members().await {
                ui.members.set(members);
            }
        });
    }

    /// The teams a call can be transferred to (the teams page's own server function).
    fn load_teams(&self) {
        let ui = self.ui;
        leptos::task::spawn_local(async move {
            if let Ok(teams) = crate::api::list_teams().await {
                ui.teams.set(teams);
            }
        });
    }

    /// The dashboard goes away: close everything (a call in progress is hung up).
    pub fn shutdown(&self) {
        let call_id = *self.call_id.borrow();
        if call_id.is_some() && self.ui.connected.try_get_untracked() == Some(true) {
            self.send(&ClientMessage::Hangup { call_id });
        }
        if let Some(peer) = self.peer.borrow_mut().take() {
            peer.close();
        }
        self.tone.borrow_mut().take();
        self.stop_media();
        if let Some(s) = self.signaling.borrow_mut().take() {
            s.close();
        }
    }
}

/// Whether the members list is needed to name who transferred a ringing call.
fn call_members_needed(ui: AgentUi) -> bool {
    ui.members.with_untracked(Vec::is_empty)
        && ui
            .ringing
            .with_untracked(|r| r.iter().any(|c| c.transferred_by.is_some()))
}

/// What the notes box says about how the call ended.
fn ended_summary(reason: EndReason) -> String {
    match reason {
        EndReason::HungUpByCaller => "The caller hung up.",
        EndReason::HungUpByAgent => "You hung up.",
        EndReason::Dropped => "The connection was lost and the call ended.",
        EndReason::ServerShutdown => "The call service restarted and the call ended.",
        EndReason::Cancelled | EndReason::Rejected | EndReason::Missed | EndReason::Unavailable => {
            "The call ended."
        }
    }
    .to_owned()
}
