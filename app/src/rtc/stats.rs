//! Connection quality from `RTCPeerConnection.getStats()`: round-trip time of the selected
//! candidate pair, packet loss and jitter of the inbound streams, and bytes both ways.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RtcPeerConnection, RtcStatsReport};

use super::Quality;

fn num(stat: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(stat, &key.into()).ok()?.as_f64()
}

fn text(stat: &JsValue, key: &str) -> Option<String> {
    Reflect::get(stat, &key.into()).ok()?.as_string()
}

/// One sample of the connection's statistics; `None` when the browser gives none.
pub async fn read_stats(pc: &RtcPeerConnection) -> Option<Quality> {
    let report = JsFuture::from(pc.get_stats()).await.ok()?;
    let report: RtcStatsReport = report.dyn_into().ok()?;
    let mut q = Quality::default();
    let (mut received, mut lost) = (0.0, 0.0);
    let mut selected_pair = None;
    let values = report.values();
    while let Ok(next) = values.next() {
        if next.done() {
            break;
        }
        let stat = next.value();
        match text(&stat, "type").as_deref() {
            Some("inbound-rtp") => {
                q.bytes_received += num(&stat, "bytesReceived").unwrap_or(0.0);
                if text(&stat, "kind").as_deref() == Some("audio") {
                    q.audio_bytes_received += num(&stat, "bytesReceived").unwrap_or(0.0);
                }
                received += num(&stat, "packetsReceived").unwrap_or(0.0);
                lost += num(&stat, "packetsLost").unwrap_or(0.0).max(0.0);
                if let Some(jitter) = num(&stat, "jitter") {
                    q.jitter_ms = Some(q.jitter_ms.unwrap_or(0.0).max(jitter * 1000.0));
                }
            }
            Some("outbound-rtp") => {
                q.bytes_sent += num(&stat, "bytesSent").unwrap_or(0.0);
            }
            Some("data-channel") => {
                q.bytes_received += num(&stat, "bytesReceived").unwrap_or(0.0);
                q.bytes_sent += num(&stat, "bytesSent").unwrap_or(0.0);
            }
            Some("transport") => {
                selected_pair = text(&stat, "selectedCandidatePairId");
            }
            Some("candidate-pair") => {
                let nominated = Reflect::get(&stat, &"nominated".into())
                    .ok()
                    .and_then(|n| n.as_bool())
                    .unwrap_or(false);
                if nominated && text(&stat, "state").as_deref() == Some("succeeded") {
                    if let Some(rtt) = num(&stat, "currentRoundTripTime") {
                        q.rtt_ms = Some(rtt * 1000.0);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(id) = selected_pair {
        if let Some(pair) = report.get(&id) {
            if let Some(rtt) = num(&pair, "currentRoundTripTime") {
                q.rtt_ms = Some(rtt * 1000.0);
            }
        }
    }
    if received + lost > 0.0 {
        q.loss_pct = Some(lost * 100.0 / (received + lost));
    }
    Some(q)
}
