//! Devices over real WebSockets: connect with a bearer token, greet, keep the heartbeat.
//!
//! The client side holds as many sockets as the server, on the same machine, so it uses
//! small tungstenite buffers too (the default read buffer is 128 KiB per socket).

use std::time::Duration;

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Clients ping this often (the protocol's interval is 25 s; silence for 50 s closes).
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// How long one handshake (upgrade + `hello` → `welcome`) may take under load.
const HANDSHAKE: Duration = Duration::from_secs(60);

/// Opens `/ws` with `Authorization: Bearer <token>`, sends `hello` and waits for
/// `welcome`.
///
/// # Errors
/// When the upgrade is refused, the socket fails, or no `welcome` comes in time.
pub async fn connect(addr: &str, token: &str) -> anyhow::Result<Ws> {
    let mut req = format!("ws://{addr}/ws")
        .into_client_request()
        .context("building the upgrade request")?;
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {token}")
            .parse()
            .context("a token that fits in a header")?,
    );
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let fut = async {
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
            .await
            .context("the WebSocket upgrade")?;
        ws.send(Message::text(r#"{"type":"hello","version":1}"#))
            .await
            .context("sending hello")?;
        loop {
            let v = next_json(&mut ws).await?;
            match v["type"].as_str() {
                Some("welcome") => return anyhow::Ok(ws),
                Some("error") => bail!("hello refused: {v}"),
                _ => {}
            }
        }
    };
    tokio::time::timeout(HANDSHAKE, fut)
        .await
        .context("no welcome within 60 s")?
}

/// The next text frame as JSON.
///
/// # Errors
/// When the socket closes or fails, or the frame is not JSON.
pub async fn next_json(ws: &mut Ws) -> anyhow::Result<Value> {
    loop {
        match ws.next().await {
            None => bail!("the socket closed"),
            Some(Err(e)) => return Err(e).context("reading the socket"),
            Some(Ok(Message::Text(t))) => {
                return serde_json::from_str(&t).with_context(|| format!("not JSON: {t}"))
            }
            Some(Ok(Message::Close(c))) => bail!("closed by the server: {c:?}"),
            Some(Ok(_)) => {}
        }
    }
}

/// The next message of one of `types` (others, like `presence`, are skipped), within
/// `wait`.
///
/// # Errors
/// On timeout, a closed socket, or an `error` from the server.
pub async fn expect(ws: &mut Ws, types: &[&str], wait: Duration) -> anyhow::Result<Value> {
    let fut = async {
        loop {
            let v = next_json(ws).await?;
            let kind = v["type"].as_str().unwrap_or_default();
            if types.contains(&kind) {
                return Ok(v);
            }
            if kind == "error" {
                bail!("the server refused a message: {v}");
            }
        }
    };
    tokio::time::timeout(wait, fut)
        .await
        .with_context(|| format!("no {types:?} within {wait:?}"))?
}

/// Sends one JSON text frame.
///
/// # Errors
/// When the socket fails.
pub async fn send(ws: &mut Ws, v: &Value) -> anyhow::Result<()> {
    ws.send(Message::text(v.to_string()))
        .await
        .context("writing the socket")
}

/// Opens `tokens.len()` greeted sockets, `parallel` handshakes at a time, in order.
///
/// # Errors
/// The first connection that fails.
pub async fn connect_all(
    addr: &str,
    tokens: &[String],
    parallel: usize,
) -> anyhow::Result<Vec<Ws>> {
    let results: Vec<anyhow::Result<Ws>> = futures::stream::iter(tokens)
        .map(|t| connect(addr, t))
        .buffered(parallel.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}
