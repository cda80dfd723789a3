//! `--split N`: where an idle agent connection's memory goes, stage by stage, on the same
//! N connections: a bare TCP connection (the HTTP server waiting for a request), the
//! upgraded WebSocket before `hello` (the connection task, its buffers and queue), and the
//! greeted device (registered with presence and calls, `welcome` and `presence` sent).
//! The second stage must finish within the hub's 10-second hello timeout, so N should be
//! a few thousand.

use std::time::Duration;

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use super::client::{self, Ws};
use super::server::Server;

/// This process's resident memory in KiB.
fn own_rss_kib() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .context("no VmRSS")?
        .parse()
        .context("VmRSS")
}

async fn upgrade(tcp: TcpStream, addr: &str, token: &str) -> anyhow::Result<Ws> {
    let mut req = format!("ws://{addr}/ws").into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::client_async_with_config(
        req,
        tokio_tungstenite::MaybeTlsStream::Plain(tcp),
        Some(config),
    )
    .await
    .context("upgrade")?;
    Ok(ws)
}

async fn greet(ws: &mut Ws) -> anyhow::Result<()> {
    ws.send(Message::text(r#"{"type":"hello","version":1}"#))
        .await?;
    client::expect(ws, &["welcome"], Duration::from_secs(30)).await?;
    Ok(())
}

/// Runs the three stages on `tokens.len()` connections and prints the RSS per stage.
///
/// # Errors
/// When a connection fails or the server's memory cannot be read.
pub async fn split(srv: &Server, tokens: &[String]) -> anyhow::Result<()> {
    let n = tokens.len();
    let per = |after: u64, before: u64| {
        #[allow(clippy::cast_precision_loss)]
        let bytes = (after.saturating_sub(before) * 1024) as f64 / n as f64;
        bytes
    };
    let addr = srv.addr.as_str();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (base, own_base) = (srv.rss_kib()?, own_rss_kib()?);
    println!("\n## memory split over {n} connections (server baseline {base} KiB)");

    let mut tcps = Vec::with_capacity(n);
    for _ in 0..n {
        tcps.push(TcpStream::connect(addr).await.context("TCP connect")?);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tcp_rss = srv.rss_kib()?;
    println!(
        "1. TCP accepted, no request yet: {:.0} bytes per connection",
        per(tcp_rss, base)
    );

    let started = tokio::time::Instant::now();
    let sockets: Vec<anyhow::Result<Ws>> = futures::stream::iter(tcps.into_iter().zip(tokens))
        .map(|(tcp, token)| upgrade(tcp, addr, token))
        .buffered(64)
        .collect()
        .await;
    let mut sockets = sockets.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    if started.elapsed() > Duration::from_secs(7) {
        bail!(
            "upgrading took {:?}: too slow for the 10 s hello timeout, use a smaller --split",
            started.elapsed()
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (ws_rss, own_ws) = (srv.rss_kib()?, own_rss_kib()?);
    println!(
        "2. upgraded WebSocket, before hello: {:.0} bytes per connection (+{:.0} over stage 1)",
        per(ws_rss, base),
        per(ws_rss, tcp_rss)
    );

    let results: Vec<anyhow::Result<()>> = futures::stream::iter(sockets.iter_mut())
        .map(greet)
        .buffer_unordered(64)
        .collect()
        .await;
    for r in results {
        r?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let greeted = srv.rss_kib()?;
    println!(
        "3. greeted agent device: {:.0} bytes per connection (+{:.0} over stage 2)",
        per(greeted, base),
        per(greeted, ws_rss)
    );
    println!(
        "(the bench's own client side, same tungstenite with a 4 KiB read buffer: {:.0} bytes per upgraded socket)",
        per(own_ws, own_base)
    );
    for mut ws in sockets {
        let _ = ws.close(None).await;
    }
    Ok(())
}
