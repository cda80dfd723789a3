//! Idle agents and call-setup latency.
//!
//! Every agent device is a task that keeps its heartbeat and notes when `incoming`
//! arrives. Callers follow a fixed schedule (open loop): call `k` is due at
//! `start + k / rate`, and its latency runs from that intended time — not from when the
//! request actually left — to the moment the **last** device of the business got
//! `incoming`, so a stalled server or client cannot hide its delay (no coordinated
//! omission). The caller then cancels, waits for `ended`, and takes its next slot.
//!
//! The first [`Schedule::warmup`] calls are the warm-up: they call every business and
//! every caller's identity once, so the server reads each from its database once (later
//! calls are answered from its in-memory directory). Their latencies are kept apart: they
//! describe the first call after a restart, not the steady state.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::client::{self, Ws, PING_EVERY};

/// How long a setup may take before it counts as failed.
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);

struct Pending {
    intended: Instant,
    warmup: bool,
    seen: usize,
    done: Option<oneshot::Sender<()>>,
}

/// The rings in flight (by caller name) and the latencies measured.
pub struct Rings {
    devices: usize,
    pending: Mutex<HashMap<String, Pending>>,
    histogram: Mutex<Histogram<u64>>,
    /// The warm-up's latencies.
    warmup: Mutex<Histogram<u64>>,
    /// Every setup: its intended send time and latency (µs), for `--dump`.
    samples: Mutex<Vec<(Instant, u64)>>,
    pub timeouts: AtomicU64,
    pub refused: AtomicU64,
    pub agents_lost: AtomicU64,
}

impl Rings {
    /// Rings that complete when `devices` devices got `incoming`.
    ///
    /// # Errors
    /// When the histogram cannot be built.
    pub fn new(devices: usize) -> anyhow::Result<Self> {
        Ok(Self {
            devices,
            pending: Mutex::default(),
            // Microseconds, 1 µs to 10 min, 3 significant digits.
            histogram: Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3)?),
            warmup: Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3)?),
            samples: Mutex::default(),
            timeouts: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            agents_lost: AtomicU64::new(0),
        })
    }

    fn register(&self, caller: &str, intended: Instant, warmup: bool) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let pending = Pending {
            intended,
            warmup,
            seen: 0,
            done: Some(tx),
        };
        self.lock().insert(caller.to_owned(), pending);
        rx
    }

    fn forget(&self, caller: &str) {
        self.lock().remove(caller);
    }

    fn seen(&self, caller: &str, at: Instant) {
        let mut pending = self.lock();
        let Some(p) = pending.get_mut(caller) else {
            return;
        };
        p.seen += 1;
        if p.seen < self.devices {
            return;
        }
        let micros =
            u64::try_from(at.saturating_duration_since(p.intended).as_micros()).unwrap_or(u64::MAX);
        if let Some(done) = p.done.take() {
            let _ = done.send(());
        }
        let (intended, warmup) = (p.intended, p.warmup);
        pending.remove(caller);
        drop(pending);
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((intended, micros));
        let histogram = if warmup {
            &self.warmup
        } else {
            &self.histogram
        };
        histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_record(micros.max(1));
    }

    /// Every setup so far as `(intended send time, latency in µs)`, in completion order.
    #[must_use]
    pub fn samples(&self) -> Vec<(Instant, u64)> {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The latencies so far, after the warm-up.
    #[must_use]
    pub fn histogram(&self) -> Histogram<u64> {
        self.histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The warm-up's latencies.
    #[must_use]
    pub fn warmup(&self) -> Histogram<u64> {
        self.warmup
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Keeps one agent device alive: pings every 20 s (spread by `offset`), notes `incoming`.
pub fn spawn_agent(
    mut ws: Ws,
    rings: Arc<Rings>,
    offset: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ping = tokio::time::interval_at(Instant::now() + offset, PING_EVERY);
        loop {
            tokio::select! {
                _ = stop.changed() => {
                    let _ = ws.close(None).await;
                    return;
                }
                _ = ping.tick() => {
                    if client::send(&mut ws, &json!({ "type": "ping" })).await.is_err() {
                        rings.agents_lost.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
                frame = ws.next() => {
                    let at = Instant::now();
                    let text = match frame {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Close(_)) | Err(_)) | None => {
                            rings.agents_lost.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        Some(Ok(_)) => continue,
                    };
                    if !text.starts_with(r#"{"type":"incoming""#) {
                        continue;
                    }
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                        if let Some(name) = v["caller"]["name"].as_str() {
                            rings.seen(name, at);
                        }
                    }
                }
            }
        }
    })
}

/// The open-loop schedule.
#[derive(Clone, Copy)]
pub struct Schedule {
    pub start: Instant,
    pub interval: Duration,
    /// All calls, the warm-up's included.
    pub total: usize,
    /// How many of the first calls are the warm-up.
    pub warmup: usize,
    pub callers: usize,
}

impl Schedule {
    fn due(&self, k: usize) -> Instant {
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        self.start + self.interval * k
    }
}

/// Caller `index` places calls `index, index + callers, …` of the schedule.
pub fn spawn_caller(
    mut ws: Ws,
    name: String,
    index: usize,
    domains: Arc<Vec<String>>,
    schedule: Schedule,
    rings: Arc<Rings>,
) -> JoinHandle<anyhow::Result<()>> {
    tokio::spawn(async move {
        let mut last_sent = Instant::now();
        for k in (index..schedule.total).step_by(schedule.callers.max(1)) {
            let intended = schedule.due(k);
            while intended.saturating_duration_since(Instant::now()) > PING_EVERY
                || last_sent.elapsed() > PING_EVERY
            {
                client::send(&mut ws, &json!({ "type": "ping" })).await?;
                last_sent = Instant::now();
                let wake = (Instant::now() + PING_EVERY).min(intended);
                tokio::time::sleep_until(wake).await;
            }
            tokio::time::sleep_until(intended).await;
            let domain = &domains[k % domains.len()];
            let done = rings.register(&name, intended, k < schedule.warmup);
            let request = json!({ "type": "call_request", "domain": domain, "mode": "voice" });
            client::send(&mut ws, &request).await?;
            last_sent = Instant::now();
            let outcome = tokio::time::timeout(SETUP_TIMEOUT, async {
                tokio::pin!(done);
                loop {
                    tokio::select! {
                        _ = &mut done => return Ok(()),
                        v = client::next_json(&mut ws) => {
                            let v = v?;
                            if let Some("unavailable" | "missed" | "error") = v["type"].as_str() {
                                return Err(anyhow::anyhow!("{v}"));
                            }
                        }
                    }
                }
            })
            .await;
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    rings.forget(&name);
                    rings.refused.fetch_add(1, Ordering::Relaxed);
                    if rings.refused.load(Ordering::Relaxed) <= 3 {
                        eprintln!("call to {domain} refused: {e:#}");
                    }
                    continue;
                }
                Err(_) => {
                    rings.forget(&name);
                    rings.timeouts.fetch_add(1, Ordering::Relaxed);
                }
            }
            client::send(&mut ws, &json!({ "type": "cancel" })).await?;
            client::expect(&mut ws, &["ended", "missed"], SETUP_TIMEOUT)
                .await
                .with_context(|| format!("ending the call to {domain}"))?;
        }
        let _ = ws.close(None).await;
        Ok(())
    })
}
