//! The caller's side of a call, in the browser: it gets the caller identity (the
//! `dc_caller` cookie), opens the signaling socket, requests the call, offers media once it
//! is accepted, and turns every server message into the page's state.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use entity::calls::protocol::{CallId, ClientMessage, ServerMessage};
use entity::calls::wire::{ChatText, EndReason, UnavailableReason};
use entity::calls::{CallMode, Side};
use entity::domains::DomainName;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlMediaElement, MediaStream};

use super::panel::{CallerUi, Stage};
use crate::rtc::media::{self, LevelMeter};
use crate::rtc::peer::{Peer, PeerEvents};
use crate::rtc::signaling::Signaling;
use crate::rtc::{ChatLine, LinkStatus};

/// The live parts of the caller's call.
pub struct CallerEngine {
    ui: CallerUi,
    me: Weak<CallerEngine>,
    signaling: RefCell<Option<Signaling>>,
    peer: RefCell<Option<Peer>>,
    local: RefCell<Option<MediaStream>>,
    meter: RefCell<Option<(LevelMeter, IntervalHandle)>>,
    call_id: RefCell<Option<CallId>>,
}

impl CallerEngine {
    /// An engine driving `ui`.
    pub fn new(ui: CallerUi) -> Rc<Self> {
        Rc::new_cyclic(|me| Self {
            ui,
            me: me.clone(),
            signaling: RefCell::new(None),
            peer: RefCell::new(None),
            local: RefCell::new(None),
            meter: RefCell::new(None),
            call_id: RefCell::new(None),
        })
    }

    fn this(&self) -> Option<Rc<Self>> {
        self.me.upgrade()
    }

    /// Calls: local media (voice and video), the caller identity, the socket, the request.
    pub fn start(&self) {
        let Some(this) = self.this() else { return };
        let ui = self.ui;
        if ui.preparing.get_untracked() {
            return;
        }
        let mode = ui.mode.get_untracked();
        let domain = ui.domain.get_value();
        let Ok(domain) = DomainName::parse(&domain) else {
            ui.error
                .set(Some("This call page's domain is not valid.".to_owned()));
            return;
        };
        let intent = ui
            .intent
            .get_untracked()
            .and_then(|i| uuid::Uuid::parse_str(&i).ok());
        ui.error.set(None);
        ui.preparing.set(true);
        ui.stage.set(Stage::Checking);
        ui.call.reset(mode);
        leptos::task::spawn_local(async move {
            if media::wants_media(mode) {
                if let Err(e) = this.ensure_media(mode).await {
                    this.back_to_idle(e);
                    return;
                }
            } else {
                this.stop_media();
            }
            this.stop_meter();
            let email = Some(ui.email.get_untracked()).filter(|e| !e.trim().is_empty());
            let page = Some(domain.as_str().to_owned());
            if let Err(e) = crate::api::start_caller(email, page).await {
                this.back_to_idle(e.message);
                return;
            }
            // A join link works once: a second try calls the business as usual.
            let callback = ui.callback.try_update_value(Option::take).flatten();
            this.signaling().send(&ClientMessage::CallRequest {
                domain,
                intent,
                mode,
                callback,
            });
        });
    }

    fn back_to_idle(&self, error: String) {
        self.ui.error.set(Some(error));
        self.ui.preparing.set(false);
        self.ui.stage.set(Stage::Idle);
    }

    /// The socket, opened on first use.
    fn signaling(&self) -> Signaling {
        if let Some(s) = self.signaling.borrow().as_ref().filter(|s| !s.is_stopped()) {
            return s.clone();
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
            let me = self.me.clone();
            move |status| {
                if let Some(this) = me.upgrade() {
                    this.link(status);
                }
            }
        };
        let s = Signaling::connect(on_message, on_status);
        *self.signaling.borrow_mut() = Some(s.clone());
        s
    }

    fn send(&self, message: &ClientMessage) {
        let s = self.signaling.borrow().clone();
        if let Some(s) = s {
            s.send(message);
        }
    }

    fn link(&self, status: LinkStatus) {
        // The page may be going away (its signals disposed).
        let Some(stage) = self.ui.stage.try_get_untracked() else {
            return;
        };
        let in_call = matches!(stage, Stage::Ringing | Stage::Connected);
        match status {
            LinkStatus::Reconnecting if in_call => self
                .ui
                .call
                .notice
                .set(Some("Connection lost — reconnecting…".to_owned())),
            LinkStatus::Closed if self.ui.preparing.get_untracked() => {
                self.back_to_idle(
                    "The call service refused the connection; reload the page and try again."
                        .to_owned(),
                );
            }
            _ => {}
        }
    }

    fn receive(&self, message: ServerMessage) {
        let ui = self.ui;
        match message {
            ServerMessage::Welcome { resumed, .. } => {
                let stage = ui.stage.get_untracked();
                if !resumed && matches!(stage, Stage::Ringing | Stage::Connected) {
                    self.finish(
                        Stage::Ended,
                        "The connection was lost and the call ended. You can call again.",
                    );
                } else if resumed {
                    ui.call.notice.set(None);
                    let peer = self.peer.borrow().clone();
                    if let Some(peer) = peer {
                        peer.restart_ice();
                    }
                }
            }
            ServerMessage::Ringing {} => {
                ui.preparing.set(false);
                ui.ring_since.set(Some(media::now_ms()));
                ui.stage.set(Stage::Ringing);
            }
            ServerMessage::Accepted {
                call_id,
                ice_servers,
            } => self.accepted(call_id, &ice_servers),
            ServerMessage::Answer { sdp, .. } => {
                let peer = self.peer.borrow().clone();
                if let Some(peer) = peer {
                    peer.on_answer(sdp);
                }
            }
            ServerMessage::Ice { candidate, .. } => {
                let peer = self.peer.borrow().clone();
                if let Some(peer) = peer {
                    peer.on_ice(candidate);
                }
            }
            ServerMessage::Chat { from, text, at, .. } => {
                let mine = from == Side::Caller;
                ui.call.chat.update(|c| {
                    c.push(ChatLine {
                        mine,
                        from: if mine {
                            "You".to_owned()
                        } else {
                            ui.business.get_value()
                        },
                        text: text.into(),
                        at: at.format("%H:%M").to_string(),
                    });
                });
            }
            ServerMessage::PeerLost { .. } => ui.call.notice.set(Some(
                "The business's connection dropped — waiting for it to come back…".to_owned(),
            )),
            ServerMessage::PeerBack { .. } => {
                ui.call.notice.set(None);
                let peer = self.peer.borrow().clone();
                if let Some(peer) = peer {
                    peer.restart_ice();
                }
            }
            ServerMessage::CallingBack {
                business,
                member,
                token,
                ..
            } => {
                let busy = matches!(ui.stage.get_untracked(), Stage::Ringing | Stage::Connected);
                if !busy {
                    ui.calling_back.set(Some(super::panel::CallingBack {
                        business,
                        member,
                        token,
                    }));
                    // Wherever the caller scrolled to, the offer comes into view with
                    // Answer focused (once it is drawn).
                    leptos::task::spawn_local(async {
                        media::sleep(0).await;
                        let Some(doc) = window().document() else { return };
                        if let Some(offer) = doc.get_element_by_id("calling-back") {
                            offer.scroll_into_view();
                        }
                        let answer = doc
                            .get_element_by_id("calling-back-answer")
                            .and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok());
                        if let Some(answer) = answer {
                            let _ = answer.focus();
                        }
                    });
                }
            }
            ServerMessage::Ended { reason, .. } => {
                let business = ui.business.get_value();
                let (stage, text) = ended_text(reason, &business);
                self.finish(stage, &text);
            }
            // `missed` covers a ring timeout and every device declining alike: say neither.
            ServerMessage::Missed {} => self.finish(
                Stage::Missed,
                "Nobody could take your call right now. The business sees it among its missed calls — try again later.",
            ),
            ServerMessage::Unavailable {
                reason,
                next_opening,
                message,
                until,
            } => {
                let business = ui.business.get_value();
                let text = match (reason, next_opening, message) {
                    (UnavailableReason::Closed, Some(at), _) => {
                        format!(
                            "{business} is closed right now. It opens {}.",
                            when_for_caller(at)
                        )
                    }
                    (UnavailableReason::OutOfOffice, _, Some(message)) => match until {
                        Some(u) => format!(
                            "{business}: \u{201c}{message}\u{201d} (out of office until {}).",
                            when_for_caller(u)
                        ),
                        None => format!("{business}: \u{201c}{message}\u{201d}"),
                    },
                    _ => unavailable_text(reason, &business),
                };
                self.finish(Stage::Unavailable, &text);
            }
            ServerMessage::Reconnect { .. } => ui
                .call
                .notice
                .set(Some("The call service is restarting — reconnecting…".to_owned())),
            ServerMessage::Error { message, .. } => {
                if ui.preparing.get_untracked() {
                    self.back_to_idle(message);
                } else {
                    ui.call.notice.set(Some(message));
                }
            }
            _ => {}
        }
    }

    fn accepted(&self, call_id: CallId, ice_servers: &[entity::calls::wire::IceServer]) {
        let ui = self.ui;
        let transferred =
            self.call_id.borrow().is_some_and(|c| c == call_id) && self.peer.borrow().is_some();
        if let Some(old) = self.peer.borrow_mut().take() {
            old.close();
        }
        *self.call_id.borrow_mut() = Some(call_id);
        let mode = ui.mode.get_untracked();
        let signaling = self.signaling();
        let call = ui.call;
        let events = PeerEvents {
            on_state: Box::new(move |s| call.peer_state.set(s)),
            on_remote_stream: Box::new(move |stream| {
                if let Some(video) = call.remote_video.get_untracked() {
                    media::attach(video.unchecked_ref::<HtmlMediaElement>(), Some(&stream));
                }
            }),
            on_stats: Box::new(move |q| call.quality.set(Some(q))),
            on_file: Box::new(move |f| call.files.update(|files| files.push(f))),
            on_channel: Box::new(move |open| call.channel_open.set(open)),
        };
        let peer = match Peer::new(
            call_id,
            Side::Caller,
            mode,
            ice_servers,
            move |m| signaling.send(&m),
            events,
        ) {
            Ok(peer) => peer,
            Err(e) => {
                self.send(&ClientMessage::Hangup {
                    call_id: Some(call_id),
                });
                self.finish(Stage::Ended, &e);
                return;
            }
        };
        let local = self.local.borrow().clone();
        if let Some(local) = &local {
            peer.add_local(local);
            if let Some(video) = call.local_video.get_untracked() {
                media::attach(video.unchecked_ref::<HtmlMediaElement>(), Some(local));
            }
        }
        peer.offer(false);
        *self.peer.borrow_mut() = Some(peer);
        ui.preparing.set(false);
        if call.since.get_untracked().is_none() {
            call.since.set(Some(media::now_ms()));
        }
        if transferred {
            call.notice
                .set(Some("You were transferred to a colleague.".to_owned()));
        }
        ui.stage.set(Stage::Connected);
    }

    /// Ends the call on this side: closes the media, shows the end screen.
    fn finish(&self, stage: Stage, text: &str) {
        self.ui.call.stop_clock(media::now_ms());
        if let Some(peer) = self.peer.borrow_mut().take() {
            peer.close();
        }
        let call_id = self.call_id.borrow_mut().take();
        if let (Some(id), Stage::Connected) = (call_id, self.ui.stage.get_untracked()) {
            let reward = self.ui.reward;
            leptos::task::spawn_local(super::reward::follow(reward, id.to_string()));
        }
        self.stop_media();
        self.ui.preparing.set(false);
        self.ui.outcome.set(text.to_owned());
        self.ui.stage.set(stage);
    }

    /// Hangs up (or cancels while ringing).
    pub fn hangup(&self) {
        match self.ui.stage.get_untracked() {
            Stage::Ringing | Stage::Checking => {
                if self.ui.preparing.get_untracked()
                    || self.ui.stage.get_untracked() == Stage::Ringing
                {
                    self.send(&ClientMessage::Cancel {});
                }
                self.finish(Stage::Ended, "You cancelled the call.");
            }
            Stage::Connected => {
                let call_id = *self.call_id.borrow();
                self.send(&ClientMessage::Hangup { call_id });
                self.finish(Stage::Ended, "You hung up.");
            }
            _ => {}
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
        let call = self.ui.call;
        let Some(peer) = self.peer.borrow().clone() else {
            return;
        };
        crate::rtc::peer::send_chosen_file(call, peer);
    }

    /// Answers the member calling back: calls with the join link they sent, which rings
    /// that member.
    pub fn answer_callback(&self) {
        let Some(offer) = self.ui.calling_back.try_update(Option::take).flatten() else {
            return;
        };
        self.ui.callback.set_value(Some(offer.token));
        self.again();
        self.start();
    }

    /// Back to the choices.
    pub fn again(&self) {
        self.ui.error.set(None);
        self.ui.reward.set(None);
        self.ui.ring_since.set(None);
        self.ui.call.reset(self.ui.mode.get_untracked());
        self.ui.stage.set(Stage::Idle);
    }

    /// Opens the device check: asks for the devices, starts the meter and the preview.
    pub fn check_devices(&self) {
        let Some(this) = self.this() else { return };
        self.ui.error.set(None);
        self.ui.stage.set(Stage::Checking);
        leptos::task::spawn_local(async move {
            this.stop_media();
            if let Err(e) = this.ensure_media(this.ui.mode.get_untracked()).await {
                this.back_to_idle(e);
            }
        });
    }

    /// A device picker changed: restart the media on the chosen devices.
    pub fn devices_changed(&self) {
        if self.ui.stage.get_untracked() == Stage::Checking {
            self.check_devices();
        }
    }

    /// The mode changed: a running device check follows it.
    pub fn mode_changed(&self) {
        if self.ui.stage.get_untracked() != Stage::Checking || self.ui.preparing.get_untracked() {
            return;
        }
        if media::wants_media(self.ui.mode.get_untracked()) {
            self.check_devices();
        } else {
            self.stop_media();
            self.ui.stage.set(Stage::Idle);
        }
    }

    /// Local media for `mode` (kept from the device check when it fits), with the meter,
    /// the preview and the device list.
    async fn ensure_media(&self, mode: CallMode) -> Result<(), String> {
        let fits = self.local.borrow().as_ref().is_some_and(|s| {
            s.active() && (mode != CallMode::Video || s.get_video_tracks().length() > 0)
        });
        if !fits {
            self.stop_media();
            let mic = self.ui.microphone.get_untracked();
            let cam = self.ui.camera.get_untracked();
            let stream = media::user_media(mode, Some(&mic), Some(&cam)).await?;
            *self.local.borrow_mut() = Some(stream);
        }
        let Some(stream) = self.local.borrow().clone() else {
            return Ok(());
        };
        self.ui.devices.set(media::devices().await);
        if self.ui.stage.get_untracked() == Stage::Checking && !self.ui.preparing.get_untracked() {
            self.start_meter(&stream);
            // The preview element appears with the device check; give it a frame.
            media::sleep(30).await;
            if let Some(video) = self.ui.preview.get_untracked() {
                media::attach(video.unchecked_ref::<HtmlMediaElement>(), Some(&stream));
            }
        }
        Ok(())
    }

    fn start_meter(&self, stream: &MediaStream) {
        self.stop_meter();
        let Some(meter) = LevelMeter::new(stream) else {
            return;
        };
        let me = self.me.clone();
        let level = self.ui.level;
        let Ok(timer) = set_interval_with_handle(
            move || {
                if let Some(this) = me.upgrade() {
                    if let Some((meter, _)) = this.meter.borrow_mut().as_mut() {
                        level.set(meter.level());
                    }
                }
            },
            Duration::from_millis(100),
        ) else {
            return;
        };
        *self.meter.borrow_mut() = Some((meter, timer));
    }

    fn stop_meter(&self) {
        if let Some((_, timer)) = self.meter.borrow_mut().take() {
            timer.clear();
        }
        self.ui.level.set(0.0);
    }

    fn stop_media(&self) {
        self.stop_meter();
        if let Some(stream) = self.local.borrow_mut().take() {
            media::stop(&stream);
        }
    }

    /// The page goes away: hang up and close everything.
    pub fn shutdown(&self) {
        let call_id = *self.call_id.borrow();
        if call_id.is_some() {
            self.send(&ClientMessage::Hangup { call_id });
        } else if self.ui.stage.try_get_untracked() == Some(Stage::Ringing) {
            self.send(&ClientMessage::Cancel {});
        }
        if let Some(peer) = self.peer.borrow_mut().take() {
            peer.close();
        }
        self.stop_media();
        if let Some(s) = self.signaling.borrow_mut().take() {
            s.close();
        }
    }
}

/// The end screen for an `ended` message.
fn ended_text(reason: EndReason, business: &str) -> (Stage, String) {
    let text = match reason {
        EndReason::HungUpByAgent => format!("{business} ended the call. Thank you for calling."),
        EndReason::HungUpByCaller => "You hung up.".to_owned(),
        EndReason::Cancelled => "You cancelled the call.".to_owned(),
        EndReason::Rejected => format!(
            "{business} could not take your call right now. The business is notified — try again later."
        ),
        EndReason::Missed => {
            return (
                Stage::Missed,
                "Nobody could answer in time. The business is notified of your call — try again later."
                    .to_owned(),
            )
        }
        EndReason::Unavailable => {
            return (
                Stage::Unavailable,
                format!("Nobody at {business} can take a call right now. Try again later."),
            )
        }
        EndReason::Dropped => "The connection was lost and the call ended. You can call again.".to_owned(),
        EndReason::ServerShutdown => {
            "The call service restarted and the call ended. Please call again.".to_owned()
        }
    };
    (Stage::Ended, text)
}

/// The unavailable screen's sentence.
/// An instant in the caller's own time zone, naming the zone.
fn when_for_caller(at: chrono::DateTime<chrono::Utc>) -> String {
    match super::hours::caller_zone() {
        Some(zone) => format!(
            "{} your time ({zone})",
            super::hours::in_zone(at, &zone, true)
        ),
        None => at.format("%a %-d %b, %H:%M UTC").to_string(),
    }
}

fn unavailable_text(reason: UnavailableReason, business: &str) -> String {
    match reason {
        UnavailableReason::NoAgentsOnline => format!(
            "Nobody at {business} is online right now. The business is notified of your call — try again later."
        ),
        UnavailableReason::AllBusy => format!(
            "Everyone at {business} is on another call. Try again in a few minutes."
        ),
        UnavailableReason::Away => format!(
            "The team at {business} is away right now. The business is notified — try again later."
        ),
        UnavailableReason::Closed => format!(
            "{business} is closed right now. Try again during its opening hours."
        ),
        UnavailableReason::OutOfOffice => format!(
            "Everyone who could answer at {business} is out of the office. Try again later."
        ),
        UnavailableReason::DomainNotVerified => {
            "This domain is no longer verified, so it cannot take calls.".to_owned()
        }
        UnavailableReason::UnknownIntent => {
            "That choice is no longer offered. Pick another one and try again.".to_owned()
        }
    }
}
