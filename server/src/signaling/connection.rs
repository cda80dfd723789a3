//! One socket's life: greet, keep the heartbeat, enforce the per-connection limits,
//! answer or refuse each message, forward what the engine queues for this device, and
//! close with the protocol's code. One task per socket owns it and only reads and writes
//! it: sessions, presence and calls are the engine's ([`super::engine`]), which reaches
//! the socket only through its bounded outbox.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use entity::calls::protocol::{CloseCode, ConnectionId, ConnectionRole, ErrorCode, ServerMessage};
use entity::calls::relay::RelayFrame;
use entity::calls::Party;
use uuid::Uuid;

use super::engine::{Engine, Refusal, SocketId};
use super::limits::{Limits, Verdict};
use super::live::Admitted;
use super::outbox::{Next, Queue, Signal};
use super::{Hub, Outbox, Peer, SignalingConfig};

mod messages;

/// How long a closing socket waits for the client's close reply.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// How long one write may wait for a client that does not read before it is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the loop stopped.
enum Exit {
    /// Close the socket with this code and reason.
    Close(CloseCode, &'static str),
    /// The client is gone (closed, reset or unwritable): nothing more to send.
    Gone,
    /// The credential behind the socket was revoked: close with 4001 and end the session
    /// at once instead of suspending it.
    Revoked,
}

/// What [`Connection::relay_now`] did with a frame.
enum Relayed {
    /// Served (and maybe refused); the loop goes on unless it says how to stop.
    Done(Option<Exit>),
    /// An admitted relay whose call is busy: [`Connection::relay_waiting`] waits for it.
    Wait,
    /// Not a relay message: the general path serves it.
    NotARelay,
}

/// The state of one connection: a few words, the socket itself lives in the task.
struct Connection {
    engine: Engine,
    config: SignalingConfig,
    peer: Peer,
    id: ConnectionId,
    greeted: bool,
    last_seen: Instant,
    limits: Limits,
    outbox: Outbox,
    /// This socket (the session named `id` may outlive it).
    socket: SocketId,
    /// The client's address (call requests are limited per address).
    client: IpAddr,
}

/// Serves one upgraded socket, admitted by [`Hub::admit`], until it closes.
pub(super) async fn run(
    mut socket: WebSocket,
    hub: Hub,
    admitted: Admitted,
    peer: Peer,
    client: IpAddr,
) {
    let config = *hub.config();
    let Admitted {
        socket: socket_id,
        outbox,
        mut queue,
        guard: _live,
    } = admitted;
    let now = Instant::now();
    let mut conn = Connection {
        engine: hub.engine().clone(),
        config,
        peer,
        id: ConnectionId::from_random_bytes(*Uuid::new_v4().as_bytes()),
        greeted: false,
        last_seen: now,
        limits: Limits::new(&config, now),
        outbox,
        socket: socket_id,
        client,
    };
    let exit = conn.serve(&mut socket, &mut queue).await;
    // Everything after the loop is boxed (here and in its arms), so the task an idle
    // connection keeps is only as large as the loop's waiting state.
    let (engine, peer, id) = (&conn.engine, conn.peer, conn.id);
    let exit = match exit {
        Exit::Revoked => {
            if conn.greeted {
                Box::pin(engine.end_session(peer, id, conn.socket)).await;
            }
            Exit::Close(CloseCode::Unauthenticated, "signed out")
        }
        other => {
            if conn.greeted {
                Box::pin(engine.suspend(peer, id, conn.socket)).await;
            }
            other
        }
    };
    if let Exit::Close(code, reason) = exit {
        tracing::debug!(connection_id = %conn.id, code = code.code(), reason, "closing signaling socket");
        Box::pin(close(&mut socket, code, reason)).await;
    }
}

/// Sends a close frame and waits briefly for the client's reply, so the frame is read
/// before the connection goes away.
async fn close(socket: &mut WebSocket, code: CloseCode, reason: &'static str) {
    let frame = CloseFrame {
        code: code.code(),
        reason: Utf8Bytes::from_static(reason),
    };
    if write(socket, Message::Close(Some(frame))).await.is_some() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(_)) = socket.recv().await {}
    })
    .await;
}

/// Writes one frame; `Some(Exit::Gone)` when the socket fails or stays unwritable.
async fn write(socket: &mut WebSocket, message: Message) -> Option<Exit> {
    match tokio::time::timeout(WRITE_TIMEOUT, socket.send(message)).await {
        Ok(Ok(())) => None,
        Ok(Err(_)) | Err(_) => Some(Exit::Gone),
    }
}

/// The most queued frames written before one flush.
const WRITE_BATCH: usize = 16;

/// Writes `first` and whatever else is already queued (up to [`WRITE_BATCH`] frames) with
/// one flush; `Some(Exit::Gone)` when the socket fails or stays unwritable.
async fn write_queued(socket: &mut WebSocket, first: Utf8Bytes, queue: &mut Queue) -> Option<Exit> {
    use futures::SinkExt;
    let batch = async {
        socket.feed(Message::Text(first)).await?;
        for _ in 1..WRITE_BATCH {
            let Some(text) = queue.try_recv() else { break };
            socket.feed(Message::Text(text)).await?;
        }
        socket.flush().await
    };
    match tokio::time::timeout(WRITE_TIMEOUT, batch).await {
        Ok(Ok(())) => None,
        Ok(Err(_)) | Err(_) => Some(Exit::Gone),
    }
}

/// Serialises and sends one message; `Some(Exit::Gone)` when the socket is unwritable.
async fn send(socket: &mut WebSocket, message: &ServerMessage) -> Option<Exit> {
    let text = match serde_json::to_string(message) {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a signaling message");
            return None;
        }
    };
    write(socket, Message::Text(text.into())).await
}

/// A read error: a frame over the limit closes with 1009; anything else means the client
/// is gone or broke the protocol.
fn read_error(error: axum::Error) -> Exit {
    match error.into_inner().downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => {
            Exit::Close(CloseCode::MessageTooBig, "message too big")
        }
        _ => Exit::Gone,
    }
}

impl Connection {
    fn role(&self) -> ConnectionRole {
        match self.peer {
            Peer::Agent { .. } => ConnectionRole::Agent,
            Peer::Caller { .. } => ConnectionRole::Caller,
        }
    }

    /// This connection as a party to a call.
    fn party(&self) -> Party {
        self.peer.party(self.id)
    }

    /// Spreads reconnections after a restart over 0.5–5 s (from this socket's random id).
    fn reconnect_after_ms(&self) -> u32 {
        let spread = self.id.as_uuid().as_u128() % 4_500;
        500 + u32::try_from(spread).unwrap_or(0)
    }

    /// When the socket is closed for silence: `hello` is due `hello_timeout` after it opened;
    /// once greeted, a message is due within two heartbeat intervals of the last one.
    fn deadline(&self, started: Instant) -> Instant {
        if self.greeted {
            self.last_seen + 2 * self.config.heartbeat_interval
        } else {
            started + self.config.hello_timeout
        }
    }

    async fn serve(&mut self, socket: &mut WebSocket, queue: &mut Queue) -> Exit {
        let started = Instant::now();
        // The loop waits on three things only, each made once per connection: arming a
        // fresh timer or notification on each turn cost more than relaying the message
        // itself. The outbox carries the frames and the stop and kick signals.
        // Armed for the deadline as it was; when it fires, the deadline is read again
        // (messages since moved it) and the timer re-armed, so a message touches no timer.
        let silence = tokio::time::sleep_until(self.deadline(started).into());
        tokio::pin!(silence);
        loop {
            tokio::select! {
                biased;
                next = std::future::poll_fn(|cx| queue.poll_next(cx)) => match next {
                    Next::Signal(Signal::Stop) => {
                        // Calls ended just before (`ended {server_shutdown}`) go out first.
                        return Box::pin(self.restarting(socket, queue)).await;
                    }
                    Next::Signal(Signal::Kicked) => {
                        return Exit::Close(CloseCode::Replaced, "resumed by another connection");
                    }
                    Next::Signal(Signal::Revoked) => return Exit::Revoked,
                    Next::Signal(Signal::Reauth) => {
                        return Exit::Close(CloseCode::Unauthenticated, "sign-in changed; reconnect");
                    }
                    Next::Frame(text) => {
                        if let Some(exit) = Box::pin(write_queued(socket, text, queue)).await {
                            return exit;
                        }
                    }
                },
                () = &mut silence => {
                    let deadline = self.deadline(started);
                    if Instant::now() < deadline {
                        silence.as_mut().reset(deadline.into());
                        continue;
                    }
                    return if self.greeted {
                        Exit::Close(CloseCode::HeartbeatTimeout, "no ping in time")
                    } else {
                        Exit::Close(CloseCode::HelloTimeout, "no hello in time")
                    };
                }
                frame = socket.recv() => {
                    let frame = match frame {
                        None => return Exit::Gone,
                        Some(Err(e)) => return read_error(e),
                        Some(Ok(frame)) => frame,
                    };
                    // Relays, nearly all the traffic, are served on the spot; everything
                    // else is boxed, so the idle task stays small instead of reserving
                    // room for the largest message handler (a call request's database
                    // work).
                    let exit = match self.relay_now(&frame) {
                        Relayed::Done(exit) => exit,
                        Relayed::Wait => Box::pin(self.relay_waiting(&frame)).await,
                        Relayed::NotARelay => Box::pin(self.on_frame(socket, frame)).await,
                    };
                    if let Some(exit) = exit {
                        return exit;
                    }
                }
            }
        }
    }

    /// The server is shutting down: the frames already queued (calls ended just before,
    /// `ended {server_shutdown}`) go out, then `reconnect`, then the close.
    async fn restarting(&self, socket: &mut WebSocket, queue: &mut Queue) -> Exit {
        while let Some(text) = queue.try_recv() {
            if let Some(exit) = write(socket, Message::Text(text)).await {
                return exit;
            }
        }
        let after_ms = self.reconnect_after_ms();
        if let Some(exit) = send(socket, &ServerMessage::Reconnect { after_ms }).await {
            return exit;
        }
        Exit::Close(CloseCode::GoingAway, "server restarting")
    }

    /// Serves a greeted connection's `offer`, `answer` or `ice` without waiting (see
    /// [`RelayFrame`]); refusals are queued on this device's own outbox.
    fn relay_now(&mut self, frame: &Message) -> Relayed {
        let Message::Text(text) = frame else {
            return Relayed::NotARelay;
        };
        if !self.greeted {
            return Relayed::NotARelay;
        }
        let Some(relay) = RelayFrame::parse(text.as_str()) else {
            return Relayed::NotARelay;
        };
        match self.admit() {
            Verdict::Pass => {}
            Verdict::Limited => {
                self.queue_refusal((ErrorCode::RateLimited, "Too many messages.".to_owned()));
                return Relayed::Done(None);
            }
            Verdict::Abusive => {
                return Relayed::Done(Some(Exit::Close(CloseCode::RateLimited, "rate limited")))
            }
        }
        match self.engine.try_relay(self.party(), &relay) {
            Some(Ok(())) => {}
            Some(Err(refusal)) => self.queue_refusal(refusal),
            None => return Relayed::Wait,
        }
        Relayed::Done(None)
    }

    /// A relay [`Self::relay_now`] admitted whose call was busy: waits for the call.
    async fn relay_waiting(&self, frame: &Message) -> Option<Exit> {
        let relay = match frame {
            Message::Text(text) => RelayFrame::parse(text.as_str()),
            _ => None,
        }?;
        if let Err(refusal) = self.engine.relay(self.party(), &relay).await {
            self.queue_refusal(refusal);
        }
        None
    }

    /// Queues an `error` for this device, after what is already queued for it.
    fn queue_refusal(&self, (code, text): Refusal) {
        let Ok(frame) = serde_json::to_string(&ServerMessage::error(code, text)) else {
            return;
        };
        if self.outbox.try_send(frame.into()).is_err() {
            tracing::warn!(connection_id = %self.id, "a device is not reading; an error reply was dropped");
        }
    }

    /// Counts a received message against the rate limit (and as a sign of life).
    fn admit(&mut self) -> Verdict {
        let now = Instant::now();
        self.last_seen = now;
        self.limits.admit(&self.config, now)
    }
}
