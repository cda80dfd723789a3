//! Relayed messages per second: connected call pairs that send each other `ice` messages
//! at a steady rate; deliveries are counted where they arrive.
//!
//! The hub rate-limits each connection (50 messages/s, bursts of 100), so one pair can
//! relay at most about 100 messages/s; throughput comes from many pairs in parallel.
//! `ice` is relayed as is; `chat` would also be written to the call record.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::client::{self, Ws};

/// A candidate of the size browsers send.
const CANDIDATE: &str = r#"{"type":"ice","candidate":{"candidate":"candidate:842163049 1 udp 1677729535 127.0.0.1 50000 typ host generation 0 ufrag 4ZcD network-cost 999","sdp_mid":"0","sdp_mline_index":0,"username_fragment":"4ZcD"}}"#;
/// Senders send in batches this often.
const TICK: Duration = Duration::from_millis(100);
const STEP: Duration = Duration::from_secs(30);

/// Counters shared by every endpoint.
#[derive(Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub delivered: AtomicU64,
    pub failed: AtomicU64,
}

/// Puts a caller and an agent into a connected call.
///
/// # Errors
/// When any step does not happen in time.
pub async fn connect_pair(caller: &mut Ws, agent: &mut Ws, domain: &str) -> anyhow::Result<()> {
    let request = json!({ "type": "call_request", "domain": domain, "mode": "chat" });
    client::send(caller, &request).await?;
    let incoming = client::expect(agent, &["incoming"], STEP).await?;
    let call_id = incoming["call_id"]
        .as_str()
        .context("incoming without a call id")?
        .to_owned();
    client::send(agent, &json!({ "type": "accept", "call_id": call_id })).await?;
    for ws in [agent, caller] {
        let v = client::expect(ws, &["accepted", "unavailable", "missed"], STEP).await?;
        if v["type"] != "accepted" {
            bail!("the call to {domain} was not connected: {v}");
        }
    }
    Ok(())
}

/// Sends `per_second` `ice` messages per second (in batches every 100 ms) and counts the
/// `ice` messages that arrive, until `stop`; then the caller hangs up.
pub fn spawn_endpoint(
    mut ws: Ws,
    per_second: u32,
    hang_up: bool,
    counters: Arc<Counters>,
    offset: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let per_tick = (per_second / 10).max(1);
        let mut tick = tokio::time::interval_at(Instant::now() + offset, TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut since_ping = Instant::now();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = tick.tick() => {
                    let mut ok = true;
                    for _ in 0..per_tick {
                        ok &= ws.feed(Message::text(CANDIDATE)).await.is_ok();
                    }
                    if since_ping.elapsed() > client::PING_EVERY {
                        ok &= ws.feed(Message::text(r#"{"type":"ping"}"#)).await.is_ok();
                        since_ping = Instant::now();
                    }
                    ok &= ws.flush().await.is_ok();
                    if !ok {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    counters.sent.fetch_add(u64::from(per_tick), Ordering::Relaxed);
                }
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(t))) => {
                        if t.starts_with(r#"{"type":"ice""#) {
                            counters.delivered.fetch_add(1, Ordering::Relaxed);
                        } else if t.starts_with(r#"{"type":"error""#) {
                            counters.failed.fetch_add(1, Ordering::Relaxed);
                            eprintln!("relay refused: {t}");
                        }
                    }
                    Some(Ok(Message::Close(_)) | Err(_)) | None => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    Some(Ok(_)) => {}
                },
            }
        }
        if hang_up {
            let _ = client::send(&mut ws, &json!({ "type": "hangup" })).await;
            let _ = client::expect(&mut ws, &["ended"], STEP).await;
        }
        let _ = ws.close(None).await;
    })
}
