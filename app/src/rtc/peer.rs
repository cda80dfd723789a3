//! One call's `RTCPeerConnection`: local media in, remote media out, trickle ICE through
//! the signaling socket, a data channel (files in the "data" mode; it also gives "chat"
//! calls a connection), `getStats` polling, and ICE restarts after a network blip.
//!
//! The caller makes the offers (the first one after `accepted`, a new one with `iceRestart`
//! when ICE fails or stays disconnected); the agent answers every offer. Candidates that
//! arrive before the remote description are held back until it is set. For tests, the
//! connection is exposed as `window.__dcPeer`.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use entity::calls::protocol::{CallId, ClientMessage};
use entity::calls::wire::{IceCandidate, IceServer};
use entity::calls::{CallMode, Side};
use js_sys::{Array, Reflect, Uint8Array};
use leptos::prelude::{set_interval_with_handle, set_timeout, GetUntracked, IntervalHandle, Set};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    MediaStream, MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent,
    RtcDataChannelInit, RtcDataChannelState, RtcDataChannelType, RtcIceCandidateInit,
    RtcIceConnectionState, RtcIceServer, RtcOfferOptions, RtcPeerConnection,
    RtcPeerConnectionIceEvent, RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
};

use super::media::sleep;
use super::stats::read_stats;
use super::{Quality, ReceivedFile};

/// Bytes per data-channel frame when sending a file.
const CHUNK: usize = 16 * 1024;
/// Largest file sent or accepted over the data channel.
pub const MAX_FILE_BYTES: f64 = 50.0 * 1024.0 * 1024.0;
/// How long ICE may stay `disconnected` before the caller restarts it.
const DISCONNECTED_GRACE: Duration = Duration::from_secs(3);

/// What the peer connection reports to the page.
pub struct PeerEvents {
    /// `connectionState` changed (`new`, `connecting`, `connected`, `disconnected`,
    /// `failed`, `closed`).
    pub on_state: Box<dyn Fn(String)>,
    /// The other party's media arrived.
    pub on_remote_stream: Box<dyn Fn(MediaStream)>,
    /// A `getStats` sample (every 2 seconds).
    pub on_stats: Box<dyn Fn(Quality)>,
    /// A file arrived over the data channel.
    pub on_file: Box<dyn Fn(ReceivedFile)>,
    /// The data channel opened (`true`) or closed.
    pub on_channel: Box<dyn Fn(bool)>,
}

/// The live peer connection of one call; cheap to clone.
#[derive(Clone)]
pub struct Peer(Rc<Inner>);

struct Inner {
    pc: RtcPeerConnection,
    side: Side,
    call_id: CallId,
    send: Box<dyn Fn(ClientMessage)>,
    events: PeerEvents,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    remote_set: bool,
    pending_ice: Vec<IceCandidate>,
    /// Local media attached (or none is needed): the agent answers only then.
    media_ready: bool,
    channel: Option<RtcDataChannel>,
    incoming: Option<IncomingFile>,
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    stats: Option<IntervalHandle>,
    restarting: bool,
    closed: bool,
}

struct IncomingFile {
    name: String,
    size: f64,
    chunks: Vec<Uint8Array>,
    received: f64,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum ChannelHeader {
    File { name: String, size: f64 },
    Done,
}

impl Peer {
    /// A new peer connection for `call_id`, configured with the call's ICE servers; the
    /// caller side also opens the data channel for the chat and data modes.
    ///
    /// # Errors
    /// When the browser cannot create a peer connection.
    pub fn new(
        call_id: CallId,
        side: Side,
        mode: CallMode,
        ice_servers: &[IceServer],
        send: impl Fn(ClientMessage) + 'static,
        events: PeerEvents,
    ) -> Result<Self, String> {
        let config = RtcConfiguration::new();
        let servers = Array::new();
        for server in ice_servers {
            let s = RtcIceServer::new();
            let urls: Array = server.urls.iter().map(|u| JsValue::from_str(u)).collect();
            s.set_urls(&urls);
            if let Some(username) = &server.username {
                s.set_username(username);
            }
            if let Some(credential) = &server.credential {
                s.set_credential(credential);
            }
            servers.push(&s);
        }
        config.set_ice_servers(&servers);
        let pc = RtcPeerConnection::new_with_configuration(&config)
            .map_err(|_| "This browser cannot make calls (no WebRTC).".to_owned())?;
        let _ = Reflect::set(&leptos::prelude::window(), &"__dcPeer".into(), &pc);
        let peer = Self(Rc::new(Inner {
            pc,
            side,
            call_id,
            send: Box::new(send),
            events,
            state: RefCell::new(State {
                media_ready: !super::media::wants_media(mode),
                ..State::default()
            }),
        }));
        peer.listen();
        if side == Side::Caller && !super::media::wants_media(mode) {
            let init = RtcDataChannelInit::new();
            init.set_ordered(true);
            let channel = peer
                .0
                .pc
                .create_data_channel_with_data_channel_dict("domaincall", &init);
            peer.adopt_channel(channel);
        }
        peer.poll_stats();
        Ok(peer)
    }

    /// Sends the local microphone (and camera) to the other party.
    pub fn add_local(&self, stream: &MediaStream) {
        for track in stream.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                self.0.pc.add_track_0(&track, stream);
            }
        }
        self.0.state.borrow_mut().media_ready = true;
    }

    /// Answers without local media (it could not be started; the call goes on receive-only).
    pub fn without_local(&self) {
        self.0.state.borrow_mut().media_ready = true;
    }

    /// Caller: makes an offer (with `iceRestart` to recover the connection) and sends it.
    pub fn offer(&self, ice_restart: bool) {
        let this = self.clone();
        spawn_local(async move {
            if let Err(e) = this.make_offer(ice_restart).await {
                leptos::logging::warn!("rtc: offer failed: {e:?}");
            }
            this.0.state.borrow_mut().restarting = false;
        });
    }

    async fn make_offer(&self, ice_restart: bool) -> Result<(), JsValue> {
        let pc = &self.0.pc;
        let promise = if ice_restart {
            let options = RtcOfferOptions::new();
            options.set_ice_restart(true);
            pc.create_offer_with_rtc_offer_options(&options)
        } else {
            pc.create_offer()
        };
        let offer = JsFuture::from(promise).await?;
        let sdp = sdp_of(&offer);
        let init = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        init.set_sdp(&sdp);
        JsFuture::from(pc.set_local_description(&init)).await?;
        (self.0.send)(ClientMessage::Offer {
            sdp,
            call_id: Some(self.0.call_id),
        });
        Ok(())
    }

    /// Agent: applies the other party's offer and answers it (once local media is ready).
    pub fn on_offer(&self, sdp: String) {
        let this = self.clone();
        spawn_local(async move {
            if let Err(e) = this.answer(&sdp).await {
                leptos::logging::warn!("rtc: answering failed: {e:?}");
            }
        });
    }

    async fn answer(&self, sdp: &str) -> Result<(), JsValue> {
        self.set_remote(RtcSdpType::Offer, sdp).await?;
        // Local media may still be starting (a permission prompt); wait up to 20 s.
        for _ in 0..400 {
            let ready = {
                let state = self.0.state.borrow();
                state.media_ready || state.closed
            };
            if ready {
                break;
            }
            sleep(50).await;
        }
        if self.0.state.borrow().closed {
            return Ok(());
        }
        let answer = JsFuture::from(self.0.pc.create_answer()).await?;
        let sdp = sdp_of(&answer);
        let init = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
        init.set_sdp(&sdp);
        JsFuture::from(self.0.pc.set_local_description(&init)).await?;
        (self.0.send)(ClientMessage::Answer {
            sdp,
            call_id: Some(self.0.call_id),
        });
        Ok(())
    }

    /// Caller: applies the agent's answer.
    pub fn on_answer(&self, sdp: String) {
        let this = self.clone();
        spawn_local(async move {
            if let Err(e) = this.set_remote(RtcSdpType::Answer, &sdp).await {
                leptos::logging::warn!("rtc: applying the answer failed: {e:?}");
            }
        });
    }

    async fn set_remote(&self, kind: RtcSdpType, sdp: &str) -> Result<(), JsValue> {
        let init = RtcSessionDescriptionInit::new(kind);
        init.set_sdp(sdp);
        JsFuture::from(self.0.pc.set_remote_description(&init)).await?;
        let pending = {
            let mut state = self.0.state.borrow_mut();
            state.remote_set = true;
            std::mem::take(&mut state.pending_ice)
        };
        for candidate in pending {
            self.add_ice(candidate);
        }
        Ok(())
    }

    /// Adds the other party's ICE candidate (held back until the remote description is set).
    pub fn on_ice(&self, candidate: IceCandidate) {
        if candidate.candidate.is_empty() {
            return;
        }
        {
            let mut state = self.0.state.borrow_mut();
            if !state.remote_set {
                state.pending_ice.push(candidate);
                return;
            }
        }
        self.add_ice(candidate);
    }

    fn add_ice(&self, candidate: IceCandidate) {
        let init = RtcIceCandidateInit::new(&candidate.candidate);
        init.set_sdp_mid(candidate.sdp_mid.as_deref());
        init.set_sdp_m_line_index(candidate.sdp_mline_index);
        if let Some(ufrag) = &candidate.username_fragment {
            let _ = Reflect::set(&init, &"usernameFragment".into(), &ufrag.into());
        }
        let promise = self
            .0
            .pc
            .add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init));
        spawn_local(async move {
            if let Err(e) = JsFuture::from(promise).await {
                leptos::logging::warn!("rtc: a remote ICE candidate was refused: {e:?}");
            }
        });
    }

    /// Caller: restarts ICE with a new offer (after a network change or `peer_back`).
    pub fn restart_ice(&self) {
        if self.0.side != Side::Caller {
            return;
        }
        {
            let mut state = self.0.state.borrow_mut();
            if state.restarting || state.closed {
                return;
            }
            state.restarting = true;
        }
        self.offer(true);
    }

    /// Sends a file over the data channel, in chunks, respecting its buffer.
    ///
    /// # Errors
    /// A sentence when the channel is not open, the file is too large or cannot be read.
    pub async fn send_file(&self, file: web_sys::File) -> Result<(), String> {
        let channel = self
            .0
            .state
            .borrow()
            .channel
            .clone()
            .filter(|c| c.ready_state() == RtcDataChannelState::Open)
            .ok_or_else(|| "The data connection is not open yet.".to_owned())?;
        let size = file.size();
        if size > MAX_FILE_BYTES {
            return Err("Files of at most 50 MB can be sent.".to_owned());
        }
        let buffer = JsFuture::from(file.array_buffer())
            .await
            .map_err(|_| "The file could not be read.".to_owned())?;
        let bytes = Uint8Array::new(&buffer).to_vec();
        let send_err = |_| "The file could not be sent.".to_owned();
        let header = ChannelHeader::File {
            name: file.name(),
            size,
        };
        let header = serde_json::to_string(&header).map_err(|_| "bad file name".to_owned())?;
        channel.send_with_str(&header).map_err(send_err)?;
        for chunk in bytes.chunks(CHUNK) {
            while channel.buffered_amount() > 1024 * 1024 {
                sleep(20).await;
            }
            channel.send_with_u8_array(chunk).map_err(send_err)?;
        }
        let done = serde_json::to_string(&ChannelHeader::Done).unwrap_or_default();
        channel.send_with_str(&done).map_err(send_err)?;
        Ok(())
    }

    /// Ends the connection and its timers.
    pub fn close(&self) {
        let (handlers, stats) = {
            let mut state = self.0.state.borrow_mut();
            if state.closed {
                return;
            }
            state.closed = true;
            (std::mem::take(&mut state.handlers), state.stats.take())
        };
        if let Some(stats) = stats {
            stats.clear();
        }
        let pc = &self.0.pc;
        pc.set_onicecandidate(None);
        pc.set_ontrack(None);
        pc.set_oniceconnectionstatechange(None);
        pc.set_onconnectionstatechange(None);
        pc.set_ondatachannel(None);
        if let Some(channel) = self.0.state.borrow().channel.as_ref() {
            channel.set_onmessage(None);
            channel.set_onopen(None);
            channel.set_onclose(None);
        }
        pc.close();
        // This may run inside one of the handlers: free them after it returns.
        set_timeout(move || drop(handlers), Duration::ZERO);
    }

    fn listen(&self) {
        let pc = &self.0.pc;
        let weak = Rc::downgrade(&self.0);
        let on_candidate = handler(&weak, |peer, event| {
            let Some(event) = event.dyn_ref::<RtcPeerConnectionIceEvent>() else {
                return;
            };
            let candidate = match event.candidate() {
                Some(c) => IceCandidate {
                    candidate: c.candidate(),
                    sdp_mid: c.sdp_mid(),
                    sdp_mline_index: c.sdp_m_line_index(),
                    username_fragment: Reflect::get(&c, &"usernameFragment".into())
                        .ok()
                        .and_then(|u| u.as_string()),
                },
                None => IceCandidate {
                    candidate: String::new(),
                    sdp_mid: None,
                    sdp_mline_index: None,
                    username_fragment: None,
                },
            };
            (peer.0.send)(ClientMessage::Ice {
                candidate,
                call_id: Some(peer.0.call_id),
            });
        });
        let on_track = handler(&weak, |peer, event| {
            let Some(event) = event.dyn_ref::<RtcTrackEvent>() else {
                return;
            };
            let stream = event
                .streams()
                .get(0)
                .dyn_into::<MediaStream>()
                .ok()
                .or_else(|| {
                    let stream = MediaStream::new().ok()?;
                    stream.add_track(&event.track());
                    Some(stream)
                });
            if let Some(stream) = stream {
                (peer.0.events.on_remote_stream)(stream);
            }
        });
        let on_ice_state = handler(&weak, |peer, _| peer.ice_state_changed());
        let on_state = handler(&weak, |peer, _| {
            let state = Reflect::get(&peer.0.pc, &"connectionState".into())
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default();
            (peer.0.events.on_state)(state);
        });
        let on_channel = handler(&weak, |peer, event| {
            if let Some(event) = event.dyn_ref::<RtcDataChannelEvent>() {
                peer.adopt_channel(event.channel());
            }
        });
        pc.set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));
        pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        pc.set_oniceconnectionstatechange(Some(on_ice_state.as_ref().unchecked_ref()));
        pc.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));
        pc.set_ondatachannel(Some(on_channel.as_ref().unchecked_ref()));
        self.0.state.borrow_mut().handlers.extend([
            on_candidate,
            on_track,
            on_ice_state,
            on_state,
            on_channel,
        ]);
    }

    fn ice_state_changed(&self) {
        match self.0.pc.ice_connection_state() {
            RtcIceConnectionState::Failed => self.restart_ice(),
            RtcIceConnectionState::Disconnected => {
                let weak = Rc::downgrade(&self.0);
                set_timeout(
                    move || {
                        if let Some(inner) = weak.upgrade() {
                            let peer = Peer(inner);
                            if peer.0.pc.ice_connection_state()
                                == RtcIceConnectionState::Disconnected
                            {
                                peer.restart_ice();
                            }
                        }
                    },
                    DISCONNECTED_GRACE,
                );
            }
            _ => {}
        }
    }

    fn adopt_channel(&self, channel: RtcDataChannel) {
        channel.set_binary_type(RtcDataChannelType::Arraybuffer);
        let weak = Rc::downgrade(&self.0);
        let on_open = handler(&weak, |peer, _| (peer.0.events.on_channel)(true));
        let on_close = handler(&weak, |peer, _| (peer.0.events.on_channel)(false));
        let on_message = handler(&weak, |peer, event| {
            if let Some(event) = event.dyn_ref::<MessageEvent>() {
                peer.channel_message(&event.data());
            }
        });
        channel.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        channel.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let mut state = self.0.state.borrow_mut();
        state.handlers.extend([on_open, on_close, on_message]);
        state.channel = Some(channel);
    }

    fn channel_message(&self, data: &JsValue) {
        if let Some(text) = data.as_string() {
            match serde_json::from_str::<ChannelHeader>(&text) {
                Ok(ChannelHeader::File { name, size }) if size <= MAX_FILE_BYTES => {
                    self.0.state.borrow_mut().incoming = Some(IncomingFile {
                        name,
                        size,
                        chunks: Vec::new(),
                        received: 0.0,
                    });
                }
                Ok(ChannelHeader::Done) => self.file_done(),
                _ => leptos::logging::warn!("rtc: ignoring a data-channel message"),
            }
            return;
        }
        let mut state = self.0.state.borrow_mut();
        if let Some(file) = state.incoming.as_mut() {
            let chunk = Uint8Array::new(data);
            file.received += f64::from(chunk.length());
            if file.received > file.size.max(0.0) + 1.0 || file.received > MAX_FILE_BYTES {
                state.incoming = None;
                return;
            }
            file.chunks.push(chunk);
        }
    }

    fn file_done(&self) {
        let Some(file) = self.0.state.borrow_mut().incoming.take() else {
            return;
        };
        let parts: Array = file.chunks.iter().collect();
        let Some(url) = super::files::download_url(&parts) else {
            return;
        };
        (self.0.events.on_file)(ReceivedFile {
            name: super::files::safe_file_name(&file.name),
            size: file.received,
            url,
        });
    }

    fn poll_stats(&self) {
        let weak = Rc::downgrade(&self.0);
        let timer = set_interval_with_handle(
            move || {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let peer = Peer(inner);
                spawn_local(async move {
                    if let Some(quality) = read_stats(&peer.0.pc).await {
                        (peer.0.events.on_stats)(quality);
                    }
                });
            },
            Duration::from_secs(2),
        )
        .ok();
        self.0.state.borrow_mut().stats = timer;
    }
}

/// Sends the file chosen in the call's file input over `peer`'s data channel.
pub fn send_chosen_file(call: super::CallView, peer: Peer) {
    let Some(file) = call
        .file_input
        .get_untracked()
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
    else {
        call.notice.set(Some("Choose a file first.".to_owned()));
        return;
    };
    // Shown as the other side will see it (no direction tricks, even in one's own file).
    let name = super::files::safe_file_name(&file.name());
    call.notice.set(Some(format!("Sending {name}…")));
    leptos::task::spawn_local(async move {
        match peer.send_file(file).await {
            Ok(()) => call.notice.set(Some(format!("{name} sent."))),
            Err(e) => call.notice.set(Some(e)),
        }
    });
}

fn sdp_of(description: &JsValue) -> String {
    Reflect::get(description, &"sdp".into())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// An event handler that reaches the peer through a weak reference (no cycle).
fn handler(
    weak: &Weak<Inner>,
    f: impl Fn(&Peer, JsValue) + 'static,
) -> Closure<dyn FnMut(JsValue)> {
    let weak = weak.clone();
    Closure::new(move |event: JsValue| {
        if let Some(inner) = weak.upgrade() {
            f(&Peer(inner), event);
        }
    })
}
