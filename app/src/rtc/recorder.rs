//! Voice messages in the browser: recording from the microphone with `MediaRecorder`
//! (WebM or Ogg Opus, whichever the browser writes) and leaving the message with a
//! multipart `POST /call/message` (the caller identity cookie goes along; the server
//! checks the recording's type, size and length itself).

use std::cell::RefCell;
use std::rc::Rc;

use entity::calls::CallMode;
use entity::messages::MessageLeft;
use entity::types::{ErrorCode, FieldError};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, BlobEvent, BlobPropertyBag, FormData, HtmlFormElement, MediaRecorder,
    MediaRecorderOptions, MediaStream, RequestInit, Response,
};

use super::media;
use crate::error::AppError;

/// The containers tried, best first.
const TYPES: [&str; 3] = [
    "audio/webm;codecs=opus",
    "audio/ogg;codecs=opus",
    "audio/webm",
];

/// A recording in progress.
pub struct Recorder {
    recorder: MediaRecorder,
    stream: MediaStream,
    chunks: Rc<RefCell<Vec<Blob>>>,
    _on_data: Closure<dyn FnMut(BlobEvent)>,
}

impl Recorder {
    /// Starts recording from `microphone` (the default one when `None`).
    ///
    /// # Errors
    /// A sentence for the caller: no microphone, no permission, or a browser that cannot
    /// record.
    pub async fn start(microphone: Option<&str>) -> Result<Self, String> {
        let stream = media::user_media(CallMode::Voice, microphone, None).await?;
        let options = MediaRecorderOptions::new();
        if let Some(t) = TYPES
            .into_iter()
            .find(|t| MediaRecorder::is_type_supported(t))
        {
            options.set_mime_type(t);
        }
        let recorder =
            MediaRecorder::new_with_media_stream_and_media_recorder_options(&stream, &options)
                .map_err(|_| {
                    media::stop(&stream);
                    "This browser cannot record a voice message; write one instead.".to_owned()
                })?;
        let chunks: Rc<RefCell<Vec<Blob>>> = Rc::default();
        let sink = Rc::clone(&chunks);
        let on_data = Closure::<dyn FnMut(BlobEvent)>::new(move |e: BlobEvent| {
            if let Some(blob) = e.data().filter(|b| b.size() > 0.0) {
                sink.borrow_mut().push(blob);
            }
        });
        recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
        recorder.start_with_time_slice(1000).map_err(|_| {
            media::stop(&stream);
            "The recording could not start.".to_owned()
        })?;
        Ok(Self {
            recorder,
            stream,
            chunks,
            _on_data: on_data,
        })
    }

    /// Stops and returns the recording.
    ///
    /// # Errors
    /// When the browser produced nothing.
    pub async fn stop(self) -> Result<Blob, String> {
        let recorder = self.recorder.clone();
        let stopped = js_sys::Promise::new(&mut |resolve, _| {
            recorder.set_onstop(Some(&resolve));
        });
        let _ = self.recorder.stop();
        let _ = JsFuture::from(stopped).await;
        media::stop(&self.stream);
        let parts = js_sys::Array::new();
        for chunk in self.chunks.borrow().iter() {
            parts.push(chunk);
        }
        if parts.length() == 0 {
            return Err("Nothing was recorded; try again.".to_owned());
        }
        let bag = BlobPropertyBag::new();
        let kind = self.recorder.mime_type();
        bag.set_type(kind.split(';').next().unwrap_or("audio/webm"));
        Blob::new_with_blob_sequence_and_options(&parts, &bag)
            .map_err(|_| "The recording could not be kept; try again.".to_owned())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.recorder.set_ondataavailable(None);
        media::stop(&self.stream);
    }
}

/// Leaves a message: the fields of `form` (domain, intent, email, name, text) and the
/// recording.
///
/// # Errors
/// What the server refused (its message, on the field it names), or that the network
/// failed.
pub async fn leave_message(
    form: &HtmlFormElement,
    audio: Option<&Blob>,
) -> Result<MessageLeft, AppError> {
    let network = |_: JsValue| {
        AppError::new(
            ErrorCode::Internal,
            "The message could not be sent; check your connection.",
        )
    };
    let data = FormData::new_with_form(form).map_err(network)?;
    if let Some(blob) = audio {
        data.append_with_blob_and_filename("audio", blob, "message")
            .map_err(network)?;
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&data);
    let promise = leptos::prelude::window().fetch_with_str_and_init("/call/message", &init);
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(network)?
        .dyn_into()
        .map_err(network)?;
    let text = JsFuture::from(response.text().map_err(network)?)
        .await
        .map_err(network)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        return serde_json::from_str(&text).map_err(|_| AppError::internal());
    }
    let said: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let message = said["message"]
        .as_str()
        .unwrap_or("The message could not be sent; try again.")
        .to_owned();
    let mut error = AppError::new(ErrorCode::Validation, message.clone());
    if let Some(field) = said["field"].as_str() {
        error.fields.push(FieldError {
            field: field.to_owned(),
            message,
        });
    }
    Err(error)
}
