//! The signaling client: one WebSocket per page to the same origin's `/ws`, speaking
//! protocol v1 (`docs/signaling.md`, types in `entity::calls::protocol`).
//!
//! It greets with `hello` (and `resume` after a drop, so a call survives a network blip
//! within the server's 15-second grace), sends `ping` every `welcome.heartbeat_interval_ms`,
//! answers the server's `ping`, queues messages until the socket is greeted, and reconnects
//! with a growing delay — or after `reconnect.after_ms` when the server is going away. A
//! frame it cannot decode is logged and dropped: a bad message never breaks the page.
//! Closed with 4001 (the sign-in behind the socket was revoked or changed: role, business,
//! password), it reconnects once at once — the upgrade checks the credentials again — and
//! gives up if that socket is refused.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use entity::calls::protocol::{ClientMessage, ConnectionId, ServerMessage, PROTOCOL_VERSION};
use leptos::prelude::{set_interval_with_handle, set_timeout, IntervalHandle};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::LinkStatus;

/// Close codes after which reconnecting as is cannot help (see the protocol's table).
const NO_RETRY: [u16; 4] = [1008, 1009, 4002, 4005];
/// The sign-in behind the socket was revoked or changed: one fresh try tells which.
const UNAUTHENTICATED: u16 = 4001;
/// The longest wait between reconnection attempts.
const MAX_BACKOFF_MS: u32 = 10_000;

type Handler = Box<dyn Fn(ServerMessage)>;
type StatusHandler = Box<dyn Fn(LinkStatus)>;

/// A live signaling connection; cheap to clone (all clones share the socket).
#[derive(Clone)]
pub struct Signaling(Rc<Inner>);

struct Inner {
    state: RefCell<State>,
    on_message: Handler,
    on_status: StatusHandler,
}

#[derive(Default)]
struct State {
    ws: Option<WebSocket>,
    /// The socket's event handlers, kept alive as long as the socket.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    greeted: bool,
    connection_id: Option<ConnectionId>,
    /// Frames sent before the socket was greeted.
    queue: Vec<String>,
    heartbeat: Option<IntervalHandle>,
    /// Closed on purpose: do not reconnect.
    stopped: bool,
    attempts: u32,
    /// The server asked to come back after this many milliseconds.
    reconnect_after: Option<u64>,
    /// Closed with 4001: the socket opened since is the one try (until its `welcome`).
    reauth: bool,
}

impl Signaling {
    /// Opens the socket; `on_message` gets every decoded server message (including
    /// `welcome`, after which queued messages are sent), `on_status` every change of the
    /// link.
    pub fn connect(
        on_message: impl Fn(ServerMessage) + 'static,
        on_status: impl Fn(LinkStatus) + 'static,
    ) -> Self {
        let this = Self(Rc::new(Inner {
            state: RefCell::new(State::default()),
            on_message: Box::new(on_message),
            on_status: Box::new(on_status),
        }));
        this.open();
        this
    }

    /// Sends a message now, or once the socket is greeted.
    pub fn send(&self, message: &ClientMessage) {
        let Ok(text) = serde_json::to_string(message) else {
            return;
        };
        let mut state = self.0.state.borrow_mut();
        match (&state.ws, state.greeted) {
            (Some(ws), true) if ws.ready_state() == WebSocket::OPEN => {
                if ws.send_with_str(&text).is_err() {
                    state.queue.push(text);
                }
            }
            _ => state.queue.push(text),
        }
    }

    /// Whether the connection gave up for good (closed on purpose, or by a close code after
    /// which retrying cannot help).
    pub fn is_stopped(&self) -> bool {
        self.0.state.borrow().stopped
    }

    /// Closes the socket for good (1000); no reconnection follows.
    pub fn close(&self) {
        let ws = {
            let mut state = self.0.state.borrow_mut();
            state.stopped = true;
            state.greeted = false;
            if let Some(h) = state.heartbeat.take() {
                h.clear();
            }
            state.ws.take()
        };
        if let Some(ws) = ws {
            detach(&ws);
            let _ = ws.close_with_code(1000);
        }
        // This may run inside one of the handlers: free them after it returns.
        let handlers = std::mem::take(&mut self.0.state.borrow_mut().handlers);
        set_timeout(move || drop(handlers), Duration::ZERO);
        (self.0.on_status)(LinkStatus::Closed);
    }

    fn open(&self) {
        let url = socket_url();
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(e) => {
                leptos::logging::warn!("signaling: cannot open {url}: {e:?}");
                self.retry(None);
                return;
            }
        };
        let weak = Rc::downgrade(&self.0);
        let on_open = handler(&weak, |this, _| this.greet());
        let on_message = handler(&weak, |this, event| {
            if let Some(text) = event
                .dyn_ref::<MessageEvent>()
                .and_then(|m| m.data().as_string())
            {
                this.receive(&text);
            }
        });
        let on_close = handler(&weak, |this, event| {
            let code = event.dyn_ref::<CloseEvent>().map(CloseEvent::code);
            this.closed(code);
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut state = self.0.state.borrow_mut();
        state.ws = Some(ws);
        state.handlers = vec![on_open, on_message, on_close];
    }

    fn greet(&self) {
        let state = self.0.state.borrow();
        let hello = ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            resume: state.connection_id,
        };
        if let (Some(ws), Ok(text)) = (&state.ws, serde_json::to_string(&hello)) {
            let _ = ws.send_with_str(&text);
        }
    }

    fn receive(&self, text: &str) {
        let message = match ServerMessage::parse(text) {
            Ok(message) => message,
            Err(e) => {
                leptos::logging::warn!("signaling: ignoring a frame: {e}");
                return;
            }
        };
        match &message {
            ServerMessage::Welcome {
                connection_id,
                heartbeat_interval_ms,
                ..
            } => {
                self.welcomed(*connection_id, *heartbeat_interval_ms);
                (self.0.on_status)(LinkStatus::Online);
            }
            ServerMessage::Ping { nonce } => {
                self.send(&ClientMessage::Pong { nonce: *nonce });
                return;
            }
            ServerMessage::Pong { .. } => return,
            ServerMessage::Reconnect { after_ms } => {
                self.0.state.borrow_mut().reconnect_after = Some(u64::from(*after_ms));
            }
            _ => {}
        }
        (self.0.on_message)(message);
    }

    fn welcomed(&self, id: ConnectionId, heartbeat_ms: u32) {
        let weak = Rc::downgrade(&self.0);
        let heartbeat = set_interval_with_handle(
            move || {
                if let Some(inner) = weak.upgrade() {
                    Signaling(inner).send(&ClientMessage::Ping { nonce: None });
                }
            },
            Duration::from_millis(u64::from(heartbeat_ms.max(1000))),
        )
        .ok();
        let mut state = self.0.state.borrow_mut();
        state.greeted = true;
        state.connection_id = Some(id);
        state.attempts = 0;
        state.reconnect_after = None;
        state.reauth = false;
        if let Some(old) = std::mem::replace(&mut state.heartbeat, heartbeat) {
            old.clear();
        }
        let queue = std::mem::take(&mut state.queue);
        if let Some(ws) = &state.ws {
            for text in queue {
                let _ = ws.send_with_str(&text);
            }
        }
    }

    fn closed(&self, code: Option<u16>) {
        let stopped = {
            let mut state = self.0.state.borrow_mut();
            state.greeted = false;
            if let Some(h) = state.heartbeat.take() {
                h.clear();
            }
            if let Some(ws) = state.ws.take() {
                detach(&ws);
            }
            state.stopped
        };
        if stopped {
            return;
        }
        let reauth_failed = std::mem::replace(
            &mut self.0.state.borrow_mut().reauth,
            code == Some(UNAUTHENTICATED),
        );
        if code == Some(UNAUTHENTICATED) && !reauth_failed {
            self.retry(Some(0));
            return;
        }
        if reauth_failed || code.is_some_and(|c| NO_RETRY.contains(&c)) {
            leptos::logging::warn!("signaling: closed with {code:?}; not reconnecting");
            self.0.state.borrow_mut().stopped = true;
            (self.0.on_status)(LinkStatus::Closed);
            return;
        }
        let after = self.0.state.borrow_mut().reconnect_after.take();
        self.retry(after);
    }

    fn retry(&self, after_ms: Option<u64>) {
        let delay = {
            let mut state = self.0.state.borrow_mut();
            state.attempts += 1;
            after_ms.unwrap_or_else(|| {
                let exp = 250_u32.saturating_mul(1 << state.attempts.min(6));
                u64::from(exp.min(MAX_BACKOFF_MS))
            })
        };
        (self.0.on_status)(LinkStatus::Reconnecting);
        let weak = Rc::downgrade(&self.0);
        set_timeout(
            move || {
                if let Some(inner) = weak.upgrade() {
                    if !inner.state.borrow().stopped {
                        Signaling(inner).open();
                    }
                }
            },
            Duration::from_millis(delay),
        );
    }
}

/// A socket event handler that reaches the client through a weak reference (no cycle).
fn handler(
    weak: &Weak<Inner>,
    f: impl Fn(&Signaling, JsValue) + 'static,
) -> Closure<dyn FnMut(JsValue)> {
    let weak = weak.clone();
    Closure::new(move |event: JsValue| {
        if let Some(inner) = weak.upgrade() {
            f(&Signaling(inner), event);
        }
    })
}

fn detach(ws: &WebSocket) {
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
}

/// `ws(s)://<this page's host>/ws`.
fn socket_url() -> String {
    let location = leptos::prelude::window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss:",
        _ => "ws:",
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}//{host}/ws")
}
