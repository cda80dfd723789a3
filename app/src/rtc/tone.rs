//! The softphone's ring tone: a WebAudio oscillator gated in a two-beep pattern, so no
//! audio file is needed. Dropping the [`RingTone`] stops it.

use std::time::Duration;

use leptos::prelude::{set_interval_with_handle, IntervalHandle};
use web_sys::{AudioContext, GainNode, OscillatorNode, OscillatorType};

/// A ringing tone, playing until dropped.
pub struct RingTone {
    context: AudioContext,
    oscillator: OscillatorNode,
    _gain: GainNode,
    timer: Option<IntervalHandle>,
}

impl RingTone {
    /// Starts ringing; `None` when WebAudio is unavailable (the overlay still shows).
    #[must_use]
    pub fn start() -> Option<Self> {
        let context = AudioContext::new().ok()?;
        let oscillator = context.create_oscillator().ok()?;
        let gain = context.create_gain().ok()?;
        oscillator.set_type(OscillatorType::Sine);
        oscillator.frequency().set_value(440.0);
        gain.gain().set_value(0.0);
        oscillator.connect_with_audio_node(&gain).ok()?;
        gain.connect_with_audio_node(&context.destination()).ok()?;
        oscillator.start().ok()?;
        // Browsers may start a context suspended until the page had a user gesture. The
        // promise is awaited so that closing the context before it settles (an accept
        // right after the ring) is not an unhandled rejection.
        if let Ok(resumed) = context.resume() {
            settle(resumed);
        }
        let pattern = {
            let gain = gain.clone();
            let context = context.clone();
            move || {
                let t = context.current_time();
                let g = gain.gain();
                let _ = g.cancel_scheduled_values(t);
                for (on, off) in [(0.0, 0.4), (0.6, 1.0)] {
                    let _ = g.set_value_at_time(0.15, t + on);
                    let _ = g.set_value_at_time(0.0, t + off);
                }
            }
        };
        pattern();
        let timer = set_interval_with_handle(pattern, Duration::from_secs(3)).ok();
        Some(Self {
            context,
            oscillator,
            _gain: gain,
            timer,
        })
    }
}

impl Drop for RingTone {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.clear();
        }
        let _ = self.oscillator.stop();
        if let Ok(closed) = self.context.close() {
            settle(closed);
        }
    }
}

/// Awaits a promise whose outcome does not matter, so its rejection is handled.
fn settle(promise: js_sys::Promise) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    });
}
