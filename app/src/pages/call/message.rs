//! "Leave a message": the offer next to "call me back" whenever nobody can answer (and on
//! a closed business's page before calling) — a note, a voice message recorded in the
//! browser (played back before sending), or both, with an optional email and name so the
//! business can call back. Sent as one multipart upload ([`crate::rtc::recorder`]); the
//! server checks the recording's type, size and length.

use leptos::prelude::*;

use super::panel::CallerUi;
use crate::error::AppError;
use crate::ui::{ErrorSummary, Field, TextAreaField};

/// The longest recording, in seconds (the server refuses longer ones).
const MAX_SECONDS: u32 = (entity::messages::audio::MAX_AUDIO_MS / 1000) as u32;

/// Where the recorder stands.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // recording happens in the browser
#[derive(Clone, Debug, PartialEq)]
enum Take {
    /// Nothing recorded.
    None,
    /// Recording for this many seconds.
    Recording(u32),
    /// Recorded: a local address to play it back, and its length in seconds.
    Recorded(String, u32),
}

/// "m:ss".
fn clock(seconds: u32) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// The message form, or what happened once sent.
#[component]
pub fn MessageOffer(ui: CallerUi, #[prop(default = "message")] id: &'static str) -> impl IntoView {
    let take = RwSignal::new(Take::None);
    let sending = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let sent = RwSignal::new(None::<Option<u64>>);
    let attempts = RwSignal::new(0usize);
    let business = ui.business;
    let title_id = StoredValue::new(format!("{id}-title"));
    #[cfg(feature = "hydrate")]
    let browser = browser::Handles::new(take, error);

    let record = move |_| {
        #[cfg(feature = "hydrate")]
        browser.record(ui.microphone.get_untracked());
    };
    let stop = move |_| {
        #[cfg(feature = "hydrate")]
        browser.stop();
    };
    let discard = move |_| {
        #[cfg(feature = "hydrate")]
        browser.discard();
        take.set(Take::None);
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if sending.get_untracked() || matches!(take.get_untracked(), Take::Recording(_)) {
                return;
            }
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            sending.set(true);
            let audio = browser.blob();
            leptos::task::spawn_local(async move {
                let result = crate::rtc::recorder::leave_message(&form, audio.as_ref()).await;
                sending.set(false);
                attempts.update(|n| *n += 1);
                match result {
                    Ok(left) => {
                        error.set(None);
                        sent.set(Some(left.audio_ms));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let error_signal = Signal::derive(move || error.get());
    view! {
        <section class="message-offer" id=id aria-labelledby=title_id.get_value()>
            {move || match sent.get() {
                Some(audio_ms) => {
                    view! {
                        <div class="alert alert-success" role="status" id=format!("{id}-done")>
                            <strong>"Your message was left for " {business.get_value()} "."</strong>
                            {audio_ms.map(|ms| format!(" Your voice message ({}) went with it.", clock(u32::try_from((ms + 500) / 1000).unwrap_or(0))))}
                        </div>
                    }
                    .into_any()
                }
                None => {
                    view! {
                        <h3 id=title_id.get_value()>"Leave a message"</h3>
                        <p class="muted small">
                            "Write a note, record a voice message (up to two minutes), or both. Leave your email if you would like them to call you back."
                        </p>
                        <form class="form" novalidate on:submit=on_submit>
                            <ErrorSummary
                                error=error_signal
                                attempts=Signal::derive(move || attempts.get())
                                fields=&[
                                    ("text", "message-text"),
                                    ("audio", "message-record"),
                                    ("email", "message-email"),
                                    ("name", "message-name"),
                                ]
                            />
                            <input type="hidden" name="domain" value=ui.domain.get_value() />
                            <input
                                type="hidden"
                                name="intent"
                                prop:value=move || ui.intent.get().unwrap_or_default()
                            />
                            <TextAreaField
                                label="Your message"
                                id="message-text"
                                name="text"
                                field="text"
                                maxlength=entity::messages::TEXT_MAX
                                error=error_signal
                            />
                            <div class="field recorder" id="message-recorder">
                                {move || match take.get() {
                                    Take::None => view! {
                                        <button type="button" class="btn" id="message-record" on:click=record>
                                            "Record a voice message"
                                        </button>
                                    }
                                    .into_any(),
                                    Take::Recording(seconds) => view! {
                                        <button type="button" class="btn btn-danger" id="message-stop" on:click=stop>
                                            "Stop recording"
                                        </button>
                                        <span class="recording-clock" role="timer" aria-live="off">
                                            <span class="recording-dot" aria-hidden="true"></span>
                                            {format!(" Recording {} of {}", clock(seconds), clock(MAX_SECONDS))}
                                        </span>
                                    }
                                    .into_any(),
                                    Take::Recorded(url, seconds) => view! {
                                        <audio controls src=url id="message-preview" aria-label="Your voice message"></audio>
                                        <span class="muted small">{clock(seconds)}</span>
                                        <button type="button" class="btn btn-small" id="message-discard" on:click=discard>
                                            "Remove"
                                        </button>
                                    }
                                    .into_any(),
                                }}
                            </div>
                            <Field
                                label="Email (optional)"
                                id="message-email"
                                name="email"
                                field="email"
                                input_type="email"
                                autocomplete="email"
                                value=ui.email.get_untracked()
                                error=error_signal
                            />
                            <Field
                                label="Name (optional)"
                                id="message-name"
                                name="name"
                                field="name"
                                autocomplete="name"
                                maxlength=entity::callbacks::NAME_MAX
                                error=error_signal
                            />
                            <button
                                type="submit"
                                class="btn btn-primary"
                                id="message-send"
                                disabled=move || sending.get() || matches!(take.get(), Take::Recording(_))
                            >
                                {move || if sending.get() { "Sending…" } else { "Leave the message" }}
                            </button>
                        </form>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

/// The browser's side: the recorder, the ticking clock, the recording kept for sending.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use web_sys::{Blob, Url};

    use super::{Take, MAX_SECONDS};
    use crate::error::AppError;
    use crate::rtc::recorder::Recorder;

    /// What the offer holds in the browser (not `Send`: local values).
    #[derive(Clone, Copy)]
    pub struct Handles {
        take: RwSignal<Take>,
        error: RwSignal<Option<AppError>>,
        recorder: StoredValue<Option<Recorder>, LocalStorage>,
        blob: StoredValue<Option<Blob>, LocalStorage>,
        ticker: StoredValue<Option<IntervalHandle>, LocalStorage>,
        /// Bumped by every start and stop: a late tick or start of an old take is ignored.
        generation: StoredValue<u32>,
    }

    impl Handles {
        pub fn new(take: RwSignal<Take>, error: RwSignal<Option<AppError>>) -> Self {
            Self {
                take,
                error,
                recorder: StoredValue::new_local(None),
                blob: StoredValue::new_local(None),
                ticker: StoredValue::new_local(None),
                generation: StoredValue::new(0),
            }
        }

        fn next_generation(self) -> u32 {
            self.generation.update_value(|g| *g += 1);
            self.generation.get_value()
        }

        pub fn record(self, microphone: String) {
            self.discard();
            let generation = self.next_generation();
            let this = self;
            leptos::task::spawn_local(async move {
                let mic = Some(microphone.as_str()).filter(|m| !m.is_empty());
                match Recorder::start(mic).await {
                    Ok(recorder) if this.generation.get_value() == generation => {
                        this.recorder.set_value(Some(recorder));
                        this.error.set(None);
                        this.take.set(Take::Recording(0));
                        let handle = set_interval_with_handle(
                            move || {
                                let Take::Recording(s) = this.take.get_untracked() else {
                                    return;
                                };
                                if s + 1 >= MAX_SECONDS {
                                    this.stop();
                                } else {
                                    this.take.set(Take::Recording(s + 1));
                                }
                            },
                            std::time::Duration::from_secs(1),
                        )
                        .ok();
                        this.ticker.set_value(handle);
                    }
                    Ok(_) => {}
                    Err(message) => {
                        this.error.set(Some(AppError::new(
                            entity::types::ErrorCode::Validation,
                            message,
                        )));
                    }
                }
            });
        }

        pub fn stop(self) {
            if let Some(t) = self.ticker.try_update_value(Option::take).flatten() {
                t.clear();
            }
            let Some(recorder) = self.recorder.try_update_value(Option::take).flatten() else {
                return;
            };
            let seconds = match self.take.get_untracked() {
                Take::Recording(s) => s.max(1),
                _ => 1,
            };
            let generation = self.next_generation();
            let this = self;
            leptos::task::spawn_local(async move {
                match recorder.stop().await {
                    Ok(blob) if this.generation.get_value() == generation => {
                        let url = Url::create_object_url_with_blob(&blob).unwrap_or_default();
                        this.blob.set_value(Some(blob));
                        this.take.set(Take::Recorded(url, seconds));
                    }
                    Ok(_) => {}
                    Err(message) => {
                        this.take.set(Take::None);
                        this.error.set(Some(AppError::new(
                            entity::types::ErrorCode::Validation,
                            message,
                        )));
                    }
                }
            });
        }

        /// Forgets any recording (stopping one in progress).
        pub fn discard(self) {
            if let Some(t) = self.ticker.try_update_value(Option::take).flatten() {
                t.clear();
            }
            self.recorder.set_value(None);
            self.blob.set_value(None);
            self.next_generation();
            if let Take::Recorded(url, _) = self.take.get_untracked() {
                let _ = Url::revoke_object_url(&url);
            }
        }

        pub fn blob(self) -> Option<Blob> {
            self.blob.with_value(Clone::clone)
        }
    }
}
