//! Local media: camera and microphone (getUserMedia), the device list, a microphone level
//! meter (WebAudio `AnalyserNode`) and small helpers on streams and media elements.

use entity::calls::CallMode;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AnalyserNode, AudioContext, HtmlMediaElement, MediaDeviceInfo, MediaDeviceKind, MediaStream,
    MediaStreamAudioSourceNode, MediaStreamConstraints, MediaStreamTrack,
};

use super::DeviceOption;

/// Whether a mode sends media (and so needs the microphone, and for video the camera).
#[must_use]
pub fn wants_media(mode: CallMode) -> bool {
    matches!(mode, CallMode::Voice | CallMode::Video)
}

/// Asks for the microphone (and the camera for video), on the chosen devices when given.
///
/// # Errors
/// A sentence for the caller when the browser refuses (no permission, no device, not a
/// secure page).
pub async fn user_media(
    mode: CallMode,
    microphone: Option<&str>,
    camera: Option<&str>,
) -> Result<MediaStream, String> {
    let devices = leptos::prelude::window()
        .navigator()
        .media_devices()
        .map_err(|_| "This browser cannot use a microphone on this page.".to_owned())?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&device_constraint(microphone));
    if mode == CallMode::Video {
        constraints.set_video(&device_constraint(camera));
    }
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| media_error(&e))?;
    let stream = JsFuture::from(promise).await.map_err(|e| media_error(&e))?;
    stream
        .dyn_into::<MediaStream>()
        .map_err(|_| "The browser returned no media.".to_owned())
}

/// `true`, or `{deviceId: {exact: id}}` for a chosen device.
fn device_constraint(device: Option<&str>) -> JsValue {
    match device.filter(|d| !d.is_empty()) {
        None => JsValue::TRUE,
        Some(id) => {
            let exact = Object::new();
            let outer = Object::new();
            let _ = Reflect::set(&exact, &"exact".into(), &id.into());
            let _ = Reflect::set(&outer, &"deviceId".into(), &exact);
            outer.into()
        }
    }
}

fn media_error(error: &JsValue) -> String {
    let name = Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => {
            "Access to the microphone or camera was refused. Allow it in the browser's address bar, or choose chat.".to_owned()
        }
        "NotFoundError" | "OverconstrainedError" => {
            "No microphone or camera was found. Plug one in, or choose chat.".to_owned()
        }
        "NotReadableError" => {
            "The microphone or camera is busy in another application.".to_owned()
        }
        _ => "The microphone or camera could not be started.".to_owned(),
    }
}

/// The microphones and cameras the browser lists (labels appear once permission is given).
pub async fn devices() -> Vec<DeviceOption> {
    let Ok(media) = leptos::prelude::window().navigator().media_devices() else {
        return Vec::new();
    };
    let Ok(promise) = media.enumerate_devices() else {
        return Vec::new();
    };
    let Ok(list) = JsFuture::from(promise).await else {
        return Vec::new();
    };
    let list: js_sys::Array = list.unchecked_into();
    let mut out = Vec::new();
    for (n, item) in list.iter().enumerate() {
        let Ok(info) = item.dyn_into::<MediaDeviceInfo>() else {
            continue;
        };
        let video = match info.kind() {
            MediaDeviceKind::Audioinput => false,
            MediaDeviceKind::Videoinput => true,
            _ => continue,
        };
        let label = info.label();
        out.push(DeviceOption {
            id: info.device_id(),
            label: if label.is_empty() {
                format!("{} {}", if video { "Camera" } else { "Microphone" }, n + 1)
            } else {
                label
            },
            video,
        });
    }
    out
}

/// The stream's tracks of one kind (`"audio"` or `"video"`).
fn tracks(stream: &MediaStream, kind: &str) -> Vec<MediaStreamTrack> {
    stream
        .get_tracks()
        .iter()
        .filter_map(|t| t.dyn_into::<MediaStreamTrack>().ok())
        .filter(|t| t.kind() == kind)
        .collect()
}

/// Turns the stream's microphone (`"audio"`) or camera (`"video"`) on or off.
pub fn set_enabled(stream: &MediaStream, kind: &str, enabled: bool) {
    for track in tracks(stream, kind) {
        track.set_enabled(enabled);
    }
}

/// Flips a switch of the in-call controls (`off`: muted, or camera off) and applies it to
/// the local stream's `kind` tracks ("audio" or "video"), if there is a stream yet.
pub fn toggle(
    local: &std::cell::RefCell<Option<MediaStream>>,
    kind: &str,
    off: leptos::prelude::RwSignal<bool>,
) {
    use leptos::prelude::{GetUntracked, Set};
    let now_off = !off.get_untracked();
    if let Some(stream) = local.borrow().as_ref() {
        set_enabled(stream, kind, !now_off);
    }
    off.set(now_off);
}

/// Stops every track (the browser's recording indicator goes off).
pub fn stop(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// Shows a stream in a `<video>` or `<audio>` element (or clears it).
pub fn attach(element: &HtmlMediaElement, stream: Option<&MediaStream>) {
    element.set_src_object(stream);
    if stream.is_some() {
        if let Ok(promise) = element.play() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(promise).await;
            });
        }
    }
}

/// A microphone level meter on a stream.
pub struct LevelMeter {
    context: AudioContext,
    analyser: AnalyserNode,
    _source: MediaStreamAudioSourceNode,
    buffer: Vec<u8>,
}

impl LevelMeter {
    /// A meter on the stream's microphone; `None` when WebAudio is unavailable.
    #[must_use]
    pub fn new(stream: &MediaStream) -> Option<Self> {
        let context = AudioContext::new().ok()?;
        let source = context.create_media_stream_source(stream).ok()?;
        let analyser = context.create_analyser().ok()?;
        analyser.set_fft_size(512);
        source.connect_with_audio_node(&analyser).ok()?;
        let buffer = vec![0; 512];
        Some(Self {
            context,
            analyser,
            _source: source,
            buffer,
        })
    }

    /// The current level, 0.0 (silence) to 1.0 (loud).
    pub fn level(&mut self) -> f64 {
        self.analyser.get_byte_time_domain_data(&mut self.buffer);
        let sum: f64 = self
            .buffer
            .iter()
            .map(|&b| {
                let x = (f64::from(b) - 128.0) / 128.0;
                x * x
            })
            .sum();
        #[allow(clippy::cast_precision_loss)]
        let rms = (sum / self.buffer.len().max(1) as f64).sqrt();
        (rms * 4.0).min(1.0)
    }
}

impl Drop for LevelMeter {
    fn drop(&mut self) {
        let _ = self.context.close();
    }
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = leptos::prelude::window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// Milliseconds since the epoch, from the browser's clock.
#[must_use]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
