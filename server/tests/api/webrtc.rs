//! Real WebRTC, headless: two webrtc-rs peers, a caller and an agent, negotiate through
//! `/ws` (offer, answer and trickled ICE candidates relayed by the hub) and move bytes
//! over a data channel end to end.
//!
//! Traffic stays on loopback by configuration, without root or a network namespace: each
//! peer binds its only UDP socket on 127.0.0.1 (so its only host candidate is a loopback
//! one), loopback candidates are allowed, mDNS is off (no multicast socket) and no STUN
//! server is configured (no server-reflexive candidates). The second test starts the
//! embedded TURN server on loopback and makes both peers use relay candidates only, with
//! the credentials the hub handed them in `accepted`: the bytes then cross the server.
//!
//! SQLite is enough here: the database only authenticates the two sockets and keeps the
//! call record, which `calls.rs` already checks on both databases; what this test adds is
//! the media path, which no database touches. (It also keeps the test runnable inside a
//! loopback-only namespace, where PostgreSQL is out of reach.)

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use webrtc::data_channel::{DataChannel, DataChannelEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceCandidateInit, RTCIceGatheringState, RTCIceServer, RTCIceTransportPolicy,
    RTCPeerConnectionIceEvent, RTCPeerConnectionState, RTCSessionDescription, SettingEngineBuilder,
};

use crate::helpers::{embedded_turn, Db, TestApp};
use crate::ws::{caller_token, greeted, next_json, send, verified_domain, Socket};

/// Bytes the caller sends: 256 KiB, in chunks below webrtc-rs' 16 KiB message limit.
const TOTAL: usize = 256 * 1024;
const CHUNK: usize = 8 * 1024;
/// One signaling step on a loaded 2-core machine.
const STEP: Duration = Duration::from_secs(30);
/// ICE + DTLS + SCTP, and the whole transfer.
const MEDIA: Duration = Duration::from_secs(60);
/// Below the protocol's 25 s heartbeat interval, so a slow run is never closed with 4004.
const PING_EVERY: Duration = Duration::from_secs(20);

/// Awaits `fut` for at most `wait`, failing the test with `what` when it takes longer.
async fn within<T>(what: &str, wait: Duration, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(wait, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out after {wait:?} waiting for {what}"))
}

/// The next message that is not `presence` (agents hear their own device come online).
async fn next_call(ws: &mut Socket, what: &str) -> Value {
    within(what, STEP, async {
        loop {
            let v = next_json(ws).await;
            if v["type"] != "presence" {
                return v;
            }
        }
    })
    .await
}

/// How the two peers reach each other.
#[derive(Clone)]
enum Route {
    /// Directly, over their loopback host candidates.
    Direct,
    /// Only through a TURN server (relay candidates only), with these servers.
    Relay(Vec<RTCIceServer>),
}

/// What crossed the signaling channel, checked once connected (a panic inside a
/// webrtc-rs callback or the pump task would only surface as a timeout).
#[derive(Default)]
struct Seen {
    /// Only relay candidates are expected.
    relay_only: bool,
    /// Local candidates gathered and sent.
    local: AtomicUsize,
    /// Remote candidates relayed by the hub and added.
    remote: AtomicUsize,
    /// Any candidate, local or remote, that is not on 127.0.0.1 (or not a relay one when
    /// only those are expected).
    unexpected: Mutex<Vec<String>>,
}

impl Seen {
    fn check(&self, candidate: &str) {
        let relay = candidate.contains(" typ relay");
        if !candidate.contains(" 127.0.0.1 ") || (self.relay_only && !relay) {
            self.unexpected.lock().unwrap().push(candidate.to_owned());
        }
    }
}

/// Forwards a peer connection's events to the test: local ICE candidates go out as `ice`
/// messages, connection states to a watch, a remote data channel to a queue.
struct Handler {
    signal: mpsc::UnboundedSender<Value>,
    call_id: String,
    state: watch::Sender<RTCPeerConnectionState>,
    channels: mpsc::UnboundedSender<Arc<dyn DataChannel>>,
    seen: Arc<Seen>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        let Ok(init) = event.candidate.to_json() else {
            self.seen
                .check("(a local candidate that cannot be serialised)");
            return;
        };
        self.seen.check(&init.candidate);
        self.seen.local.fetch_add(1, Ordering::Relaxed);
        let _ = self.signal.send(json!({
            "type": "ice",
            "call_id": self.call_id,
            "candidate": {
                "candidate": init.candidate,
                "sdp_mid": init.sdp_mid,
                "sdp_mline_index": init.sdp_mline_index,
                "username_fragment": init.username_fragment,
            },
        }));
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            // End of candidates, as the protocol spells it.
            let _ = self.signal.send(json!({
                "type": "ice",
                "call_id": self.call_id,
                "candidate": { "candidate": "" },
            }));
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        self.state.send_replace(state);
    }

    async fn on_data_channel(&self, channel: Arc<dyn DataChannel>) {
        let _ = self.channels.send(channel);
    }
}

/// One side of the call: its peer connection and the two halves of its socket.
struct Peer {
    name: &'static str,
    pc: Arc<dyn PeerConnection>,
    state: watch::Receiver<RTCPeerConnectionState>,
    channels: mpsc::UnboundedReceiver<Arc<dyn DataChannel>>,
    /// Messages the hub relayed that the signaling pump does not consume (`chat`,
    /// `ended`, `error`, …).
    events: mpsc::UnboundedReceiver<Value>,
    signal: mpsc::UnboundedSender<Value>,
    seen: Arc<Seen>,
}

impl Peer {
    /// A peer connection wired to `ws` that gathers only a loopback host candidate, or
    /// only relay candidates of the TURN servers of `route`.
    async fn new(name: &'static str, ws: Socket, call_id: &str, route: Route) -> Self {
        let (signal, outgoing) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(RTCPeerConnectionState::New);
        let (channels_tx, channels) = mpsc::unbounded_channel();
        let seen = Arc::new(Seen {
            relay_only: matches!(route, Route::Relay(_)),
            ..Seen::default()
        });
        let handler = Handler {
            signal: signal.clone(),
            call_id: call_id.to_owned(),
            state: state_tx,
            channels: channels_tx,
            seen: seen.clone(),
        };
        let settings = SettingEngineBuilder::new()
            .with_include_loopback_candidate(true)
            .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
            .build();
        let configuration = match route {
            Route::Direct => RTCConfigurationBuilder::new(),
            Route::Relay(servers) => RTCConfigurationBuilder::new()
                .with_ice_servers(servers)
                .with_ice_transport_policy(RTCIceTransportPolicy::Relay),
        };
        let pc = PeerConnectionBuilder::new()
            .with_configuration(configuration.build())
            .with_setting_engine(settings)
            .with_handler(Arc::new(handler))
            .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
            .build()
            .await
            .unwrap_or_else(|e| panic!("{name}: building the peer connection failed: {e}"));
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        let (sink, stream) = ws.split();
        tokio::spawn(write_signals(sink, outgoing));
        let (events_tx, events) = mpsc::unbounded_channel();
        let wiring = Wiring {
            name,
            pc: pc.clone(),
            signal: signal.clone(),
            events: events_tx,
            seen: seen.clone(),
        };
        tokio::spawn(pump(stream, wiring));
        Self {
            name,
            pc,
            state,
            channels,
            events,
            signal,
            seen,
        }
    }

    /// Candidates went both ways through the hub, all of them on loopback (and relay
    /// candidates when only those are expected).
    fn check_candidates(&self) {
        let name = self.name;
        let unexpected = self.seen.unexpected.lock().unwrap();
        assert!(
            unexpected.is_empty(),
            "{name}: unexpected candidates: {unexpected:?}"
        );
        let local = self.seen.local.load(Ordering::Relaxed);
        let remote = self.seen.remote.load(Ordering::Relaxed);
        assert!(local > 0, "{name} gathered no candidate");
        assert!(remote > 0, "{name} was relayed no candidate");
    }

    /// Waits for `connected`; on failure, says what the signaling pump reported (a refused
    /// message, an SDP or candidate webrtc-rs would not take).
    async fn wait_connected(&mut self) {
        let name = self.name;
        let reached = tokio::time::timeout(
            MEDIA,
            self.state.wait_for(|s| {
                matches!(
                    s,
                    RTCPeerConnectionState::Connected
                        | RTCPeerConnectionState::Failed
                        | RTCPeerConnectionState::Closed
                )
            }),
        )
        .await
        .map(|s| s.map(|s| *s));
        if let Ok(Ok(RTCPeerConnectionState::Connected)) = reached {
            return;
        }
        let mut signaling = Vec::new();
        while let Ok(v) = self.events.try_recv() {
            if v["type"] != "presence" && v["type"] != "pong" {
                signaling.push(v);
            }
        }
        panic!(
            "the {name}'s peer connection did not reach `connected` within {MEDIA:?} \
             (ended {reached:?}); other signaling it got: {signaling:?}"
        );
    }

    /// The next message the pump handed over that is not `presence` or `pong`, failing on
    /// an `error`.
    async fn next_event(&mut self, what: &str) -> Value {
        let name = self.name;
        let events = &mut self.events;
        let v = within(&format!("{what} ({name})"), STEP, async {
            loop {
                let v = events.recv().await.unwrap_or_else(|| {
                    panic!("the {name}'s socket closed while waiting for {what}")
                });
                if v["type"] != "presence" && v["type"] != "pong" {
                    return v;
                }
            }
        })
        .await;
        assert_ne!(v["type"], "error", "the hub refused a {name} message: {v}");
        v
    }
}

/// Writes queued signaling messages to the socket, with a `ping` when it has been quiet.
async fn write_signals(
    mut sink: SplitSink<Socket, Message>,
    mut outgoing: mpsc::UnboundedReceiver<Value>,
) {
    loop {
        let next = tokio::time::timeout(PING_EVERY, outgoing.recv()).await;
        let v = match next {
            Ok(Some(v)) => v,
            Ok(None) => return,
            Err(_) => json!({ "type": "ping" }),
        };
        if sink.send(Message::text(v.to_string())).await.is_err() {
            return;
        }
    }
}

/// What the signaling pump of one peer works with.
struct Wiring {
    name: &'static str,
    pc: Arc<dyn PeerConnection>,
    signal: mpsc::UnboundedSender<Value>,
    events: mpsc::UnboundedSender<Value>,
    seen: Arc<Seen>,
}

/// Applies relayed SDP and ICE to the peer connection in arrival order; remote
/// candidates that arrive before the remote description wait for it. Everything else goes
/// to `events`. A failure is handed to `events` as an `error`, so the test reports it.
async fn pump(stream: SplitStream<Socket>, wiring: Wiring) {
    let events = wiring.events.clone();
    if let Err(e) = apply_signals(stream, wiring).await {
        let _ = events.send(json!({ "type": "error", "code": "test_pump", "message": e }));
    }
}

async fn apply_signals(mut stream: SplitStream<Socket>, w: Wiring) -> Result<(), String> {
    let Wiring {
        name,
        pc,
        signal,
        events,
        seen,
    } = w;
    let mut early: Vec<RTCIceCandidateInit> = Vec::new();
    let mut described = false;
    while let Some(Ok(frame)) = stream.next().await {
        let Message::Text(text) = frame else { continue };
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{name}: bad JSON: {e}"))?;
        let sdp = || {
            v["sdp"]
                .as_str()
                .map(str::to_owned)
                .ok_or(format!("{name}: no sdp in {v}"))
        };
        match v["type"].as_str().unwrap_or_default() {
            "offer" => {
                let offer = RTCSessionDescription::offer(sdp()?)
                    .map_err(|e| format!("{name}: a bad offer: {e}"))?;
                pc.set_remote_description(offer)
                    .await
                    .map_err(|e| format!("{name}: setting the remote offer: {e}"))?;
                let answer = pc
                    .create_answer(None)
                    .await
                    .map_err(|e| format!("{name}: creating the answer: {e}"))?;
                // Queued before gathering starts, so the answer goes out before any candidate.
                let _ = signal.send(json!({ "type": "answer", "sdp": answer.sdp }));
                pc.set_local_description(answer)
                    .await
                    .map_err(|e| format!("{name}: setting the local answer: {e}"))?;
                described = true;
            }
            "answer" => {
                let answer = RTCSessionDescription::answer(sdp()?)
                    .map_err(|e| format!("{name}: a bad answer: {e}"))?;
                pc.set_remote_description(answer)
                    .await
                    .map_err(|e| format!("{name}: setting the remote answer: {e}"))?;
                described = true;
            }
            "ice" => {
                let c = &v["candidate"];
                let candidate = c["candidate"].as_str().unwrap_or_default().to_owned();
                if candidate.is_empty() {
                    continue; // end of candidates: nothing to add
                }
                seen.check(&candidate);
                early.push(RTCIceCandidateInit {
                    candidate,
                    sdp_mid: c["sdp_mid"].as_str().map(str::to_owned),
                    sdp_mline_index: c["sdp_mline_index"]
                        .as_u64()
                        .and_then(|i| u16::try_from(i).ok()),
                    username_fragment: c["username_fragment"].as_str().map(str::to_owned),
                    url: None,
                });
            }
            _ => {
                if events.send(v).is_err() {
                    return Ok(());
                }
                continue;
            }
        }
        if described {
            for candidate in early.drain(..) {
                pc.add_ice_candidate(candidate)
                    .await
                    .map_err(|e| format!("{name}: adding a remote candidate: {e}"))?;
                seen.remote.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

/// Reads a data channel's events into a queue (webrtc-rs delivers them by polling).
fn poll_channel(channel: Arc<dyn DataChannel>) -> mpsc::UnboundedReceiver<DataChannelEvent> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(event) = channel.poll().await {
            let closed = matches!(event, DataChannelEvent::OnClose);
            if tx.send(event).is_err() || closed {
                return;
            }
        }
    });
    rx
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webrtc_peers_exchange_bytes_over_a_data_channel() {
    let app = TestApp::spawn(Db::Sqlite).await;
    call_moves_bytes(app, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webrtc_peers_exchange_bytes_through_the_embedded_turn_server() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| embedded_turn(s, "turn-test-secret")).await;
    assert!(app.turn.is_some(), "the embedded TURN server runs");
    call_moves_bytes(app, true).await;
}

/// The TURN servers of an `accepted` message, as webrtc-rs takes them.
fn ice_servers(accepted: &Value) -> Vec<RTCIceServer> {
    let servers = accepted["ice_servers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    servers
        .iter()
        .filter(|s| s["username"].is_string())
        .map(|s| RTCIceServer {
            urls: s["urls"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| u.as_str().map(str::to_owned))
                .collect(),
            username: s["username"].as_str().unwrap_or_default().to_owned(),
            credential: s["credential"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// A call from ring to hang-up in which the caller sends 256 KiB over a data channel,
/// directly or (with `relay`) only through the TURN server the hub hands out.
async fn call_moves_bytes(app: TestApp, relay: bool) {
    let owner = app.sign_up("Data Co").await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent_ws = greeted(&app, &owner.token).await;
    let mut caller_ws = greeted(&app, &caller_token(&app).await).await;

    // Ring, accept, and both learn the call id.
    send(
        &mut caller_ws,
        json!({ "type": "call_request", "domain": domain, "mode": "data" }),
    )
    .await;
    let ringing = next_call(&mut caller_ws, "`ringing` (caller)").await;
    assert_eq!(ringing["type"], "ringing", "{ringing}");
    let incoming = next_call(&mut agent_ws, "`incoming` (agent)").await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    assert_eq!(incoming["mode"], "data", "{incoming}");
    let call_id = incoming["call_id"].as_str().expect("a call id").to_owned();
    send(
        &mut agent_ws,
        json!({ "type": "accept", "call_id": call_id }),
    )
    .await;
    let mut routes = Vec::new();
    for (ws, who) in [(&mut agent_ws, "agent"), (&mut caller_ws, "caller")] {
        let accepted = next_call(ws, &format!("`accepted` ({who})")).await;
        assert_eq!(accepted["type"], "accepted", "{who}: {accepted}");
        assert_eq!(accepted["call_id"], call_id.as_str(), "{who}: {accepted}");
        let servers = ice_servers(&accepted);
        if relay {
            let turn = app.turn.expect("the embedded TURN server runs");
            let url = format!("turn:{turn}?transport=udp");
            assert!(
                servers.iter().any(|s| s.urls.contains(&url)),
                "{who} is handed the embedded TURN server {url}: {accepted}"
            );
            routes.push(Route::Relay(servers));
        } else {
            assert!(servers.is_empty(), "{who}: no TURN configured: {accepted}");
            routes.push(Route::Direct);
        }
    }
    let (caller_route, agent_route) = (routes.pop(), routes.pop());

    // The caller makes the peer connection and the channel, and sends the offer; the
    // agent's pump answers; candidates trickle both ways through the hub.
    let route = |r: Option<Route>| r.expect("a route per party");
    let mut agent = Peer::new("agent", agent_ws, &call_id, route(agent_route)).await;
    let mut caller = Peer::new("caller", caller_ws, &call_id, route(caller_route)).await;
    let channel = caller
        .pc
        .create_data_channel("file", None)
        .await
        .expect("creating the data channel");
    let mut caller_events = poll_channel(channel.clone());
    let offer = caller
        .pc
        .create_offer(None)
        .await
        .expect("creating the offer");
    // The local description first: an answer that came back before it was set would find
    // the connection still `stable` and be refused. Candidates gathered meanwhile reach
    // the agent before the offer; its pump keeps them until the offer is applied.
    let sdp = offer.sdp.clone();
    caller
        .pc
        .set_local_description(offer)
        .await
        .expect("setting the local offer");
    caller
        .signal
        .send(json!({ "type": "offer", "call_id": call_id, "sdp": sdp }))
        .expect("the caller's socket writer runs");

    caller.wait_connected().await;
    agent.wait_connected().await;
    caller.check_candidates();
    agent.check_candidates();
    within("the caller's data channel to open", MEDIA, async {
        loop {
            match caller_events.recv().await {
                Some(DataChannelEvent::OnOpen) => return,
                Some(DataChannelEvent::OnClose) | None => panic!("the channel closed unopened"),
                Some(_) => {}
            }
        }
    })
    .await;
    let remote = within("the agent's `ondatachannel`", MEDIA, agent.channels.recv())
        .await
        .expect("the agent's handler lives");
    let mut agent_events = poll_channel(remote.clone());

    // 256 KiB of random bytes, caller → agent.
    let mut payload = vec![0u8; TOTAL];
    rand::thread_rng().fill_bytes(&mut payload);
    let sent_digest = hex(Sha256::digest(&payload));
    for chunk in payload.chunks(CHUNK) {
        channel
            .send(BytesMut::from(chunk))
            .await
            .expect("sending a chunk");
    }
    let received = within("the agent to receive all bytes", MEDIA, async {
        let mut received = Vec::with_capacity(TOTAL);
        while received.len() < TOTAL {
            match agent_events.recv().await {
                Some(DataChannelEvent::OnMessage(m)) => received.extend_from_slice(&m.data),
                Some(DataChannelEvent::OnClose) | None => {
                    panic!("the channel closed after {} bytes", received.len())
                }
                Some(_) => {}
            }
        }
        received
    })
    .await;
    assert_eq!(received.len(), TOTAL, "the agent received too many bytes");
    let received_digest = hex(Sha256::digest(&received));
    assert_eq!(received_digest, sent_digest, "the bytes differ");

    // And a message back, agent → caller.
    remote
        .send_text(&format!("sha256:{received_digest}"))
        .await
        .expect("the agent's reply");
    let reply = within("the agent's reply", MEDIA, async {
        loop {
            match caller_events.recv().await {
                Some(DataChannelEvent::OnMessage(m)) => {
                    assert!(m.is_string, "the reply is text");
                    return String::from_utf8(m.data.to_vec()).expect("UTF-8");
                }
                Some(DataChannelEvent::OnClose) | None => panic!("the channel closed"),
                Some(_) => {}
            }
        }
    })
    .await;
    assert_eq!(reply, format!("sha256:{sent_digest}"));

    // Hang up: both parties get `ended`.
    caller
        .signal
        .send(json!({ "type": "hangup", "call_id": call_id }))
        .expect("the caller's socket writer runs");
    for peer in [&mut caller, &mut agent] {
        let ended = peer.next_event("`ended`").await;
        assert_eq!(ended["type"], "ended", "{}: {ended}", peer.name);
        assert_eq!(ended["call_id"], call_id.as_str(), "{ended}");
        assert_eq!(ended["reason"], "hung_up_by_caller", "{ended}");
    }
    caller.pc.close().await.expect("closing the caller");
    agent.pc.close().await.expect("closing the agent");
    app.finish().await;
}
