//! A minimal graphql-transport-ws client for one subscription, in the browser.
//!
//! `connection_init` → `connection_ack` → `subscribe`; each `next` payload's `data` goes to
//! the handler. The server's `ping` is answered with `pong`, and a `ping` of ours every
//! 30 s keeps idle proxies from dropping the socket. A dropped socket, or a stream the
//! server completed, is reopened after a growing, jittered delay (the server sends the
//! current value again at once); what retrying cannot fix — a refused query, the
//! protocol's 44xx close codes — stops it. [`Subscription::close`], or dropping the handle,
//! closes it for good.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use leptos::prelude::{
    set_interval_with_handle, set_timeout, set_timeout_with_handle, IntervalHandle, TimeoutHandle,
};
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// The WebSocket subprotocol.
const PROTOCOL: &str = "graphql-transport-ws";
/// Where the server answers it.
const PATH: &str = "/graphql/ws";
/// The one subscription's id on its socket.
const ID: &str = "1";
/// Close codes after which reconnecting as is cannot help (bad message, unauthorised,
/// forbidden, subprotocol refused, duplicate subscriber).
const NO_RETRY: [u16; 5] = [4400, 4401, 4403, 4406, 4409];
/// The first and the longest wait before reconnecting.
const FIRST_BACKOFF_MS: f64 = 500.0;
const MAX_BACKOFF_MS: f64 = 30_000.0;
/// How often an idle socket says it is still there.
const KEEPALIVE: Duration = Duration::from_secs(30);

/// A live subscription; closes its socket when dropped.
pub struct Subscription(Rc<Inner>);

struct Inner {
    query: &'static str,
    on_data: Box<dyn Fn(Value)>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    ws: Option<WebSocket>,
    /// The socket's event handlers, kept alive as long as the socket.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    keepalive: Option<IntervalHandle>,
    retry: Option<TimeoutHandle>,
    /// Failed attempts since data last arrived.
    attempts: u32,
    /// Closed on purpose, or for good: do not reconnect.
    stopped: bool,
}

/// A server message; only the fields this client reads.
#[derive(Deserialize)]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    payload: Option<Value>,
}

impl Subscription {
    /// Subscribes with `query` on this page's origin; `on_data` gets each result's `data`.
    pub fn open(query: &'static str, on_data: impl Fn(Value) + 'static) -> Self {
        let inner = Rc::new(Inner {
            query,
            on_data: Box::new(on_data),
            state: RefCell::new(State::default()),
        });
        inner.connect();
        Self(inner)
    }

    /// Closes the socket (1000); no reconnection follows.
    pub fn close(&self) {
        let handlers = self.0.state.borrow_mut().shut_down();
        // This may run inside one of the handlers: free them after it returns.
        set_timeout(move || drop(handlers), Duration::ZERO);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let handlers = self.state.get_mut().shut_down();
        set_timeout(move || drop(handlers), Duration::ZERO);
    }
}

impl State {
    /// Stops for good; returns the handlers for the caller to drop once it is safe.
    fn shut_down(&mut self) -> Vec<Closure<dyn FnMut(JsValue)>> {
        self.stopped = true;
        self.drop_socket(true);
        if let Some(retry) = self.retry.take() {
            retry.clear();
        }
        std::mem::take(&mut self.handlers)
    }

    /// Detaches (and, if `close`, closes) the socket and stops its keepalive.
    fn drop_socket(&mut self, close: bool) {
        if let Some(keepalive) = self.keepalive.take() {
            keepalive.clear();
        }
        if let Some(ws) = self.ws.take() {
            ws.set_onopen(None);
            ws.set_onmessage(None);
            ws.set_onclose(None);
            if close {
                let _ = ws.close_with_code(1000);
            }
        }
    }
}

impl Inner {
    fn connect(self: &Rc<Self>) {
        let url = socket_url();
        let ws = match WebSocket::new_with_str(&url, PROTOCOL) {
            Ok(ws) => ws,
            Err(e) => {
                leptos::logging::warn!("live: cannot open {url}: {e:?}");
                self.retry();
                return;
            }
        };
        let weak = Rc::downgrade(self);
        let on_open = handler(&weak, |this, _| {
            this.send(&json!({ "type": "connection_init", "payload": {} }));
        });
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
        let mut state = self.state.borrow_mut();
        state.ws = Some(ws);
        // The previous socket's handlers have returned by now: a new socket is only opened
        // from the retry timer.
        state.handlers = vec![on_open, on_message, on_close];
    }

    fn send(&self, message: &Value) {
        let state = self.state.borrow();
        if let Some(ws) = state
            .ws
            .as_ref()
            .filter(|ws| ws.ready_state() == WebSocket::OPEN)
        {
            let _ = ws.send_with_str(&message.to_string());
        }
    }

    fn receive(self: &Rc<Self>, text: &str) {
        let message: Incoming = match serde_json::from_str(text) {
            Ok(message) => message,
            Err(e) => {
                leptos::logging::warn!("live: ignoring a frame: {e}");
                return;
            }
        };
        match message.kind.as_str() {
            "connection_ack" => {
                self.send(&json!({
                    "id": ID,
                    "type": "subscribe",
                    "payload": { "query": self.query },
                }));
                self.keep_alive();
            }
            "next" => {
                let data = message
                    .payload
                    .and_then(|mut p| p.get_mut("data").map(Value::take));
                if let Some(data) = data.filter(Value::is_object) {
                    self.state.borrow_mut().attempts = 0;
                    (self.on_data)(data);
                }
            }
            "ping" => self.send(&json!({ "type": "pong" })),
            "error" => {
                leptos::logging::warn!("live: subscription refused: {:?}", message.payload);
                let handlers = self.state.borrow_mut().shut_down();
                set_timeout(move || drop(handlers), Duration::ZERO);
            }
            // The server ended the stream (it is going away): start over.
            "complete" => {
                self.state.borrow_mut().drop_socket(true);
                self.retry();
            }
            _ => {}
        }
    }

    fn keep_alive(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let keepalive = set_interval_with_handle(
            move || {
                if let Some(this) = weak.upgrade() {
                    this.send(&json!({ "type": "ping" }));
                }
            },
            KEEPALIVE,
        )
        .ok();
        if let Some(old) = std::mem::replace(&mut self.state.borrow_mut().keepalive, keepalive) {
            old.clear();
        }
    }

    fn closed(self: &Rc<Self>, code: Option<u16>) {
        let mut state = self.state.borrow_mut();
        state.drop_socket(false);
        if state.stopped {
            return;
        }
        if code.is_some_and(|c| NO_RETRY.contains(&c)) {
            leptos::logging::warn!("live: closed with {code:?}; not reconnecting");
            state.stopped = true;
            return;
        }
        drop(state);
        self.retry();
    }

    /// Reopens after `FIRST_BACKOFF_MS · 2^attempts` (at most `MAX_BACKOFF_MS`), between
    /// half and all of it so that pages do not all come back at the same instant.
    fn retry(self: &Rc<Self>) {
        let mut state = self.state.borrow_mut();
        if state.stopped || state.retry.is_some() {
            return;
        }
        let full =
            (FIRST_BACKOFF_MS * f64::from(1_u32 << state.attempts.min(6))).min(MAX_BACKOFF_MS);
        state.attempts = state.attempts.saturating_add(1);
        let delay = full * (0.5 + js_sys::Math::random() / 2.0);
        let weak = Rc::downgrade(self);
        state.retry = set_timeout_with_handle(
            move || {
                if let Some(this) = weak.upgrade() {
                    let stopped = {
                        let mut state = this.state.borrow_mut();
                        state.retry = None;
                        state.stopped
                    };
                    if !stopped {
                        this.connect();
                    }
                }
            },
            Duration::from_secs_f64(delay / 1000.0),
        )
        .ok();
    }
}

/// A socket event handler that reaches the client through a weak reference (no cycle).
fn handler(
    weak: &Weak<Inner>,
    f: impl Fn(&Rc<Inner>, JsValue) + 'static,
) -> Closure<dyn FnMut(JsValue)> {
    let weak = weak.clone();
    Closure::new(move |event: JsValue| {
        if let Some(inner) = weak.upgrade() {
            f(&inner, event);
        }
    })
}

/// `ws(s)://<this page's host>/graphql/ws`.
fn socket_url() -> String {
    let location = leptos::prelude::window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss:",
        _ => "ws:",
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}//{host}{PATH}")
}
