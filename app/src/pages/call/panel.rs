//! The calling controls of a business's call page: choose an intent and a mode, check the
//! microphone and camera, call, wait while it rings, talk and chat, and the end screens.
//!
//! `#call-state[data-state]` says where the caller is (idle, checking, ringing, connected,
//! ended, missed, unavailable); the browser side ([`super::engine`]) moves it along as the
//! signaling messages arrive. `#call-online` says whether someone can answer, kept current
//! from the `onlineDomains` subscription.

use entity::calls::CallMode;
use entity::schedules::OpenNow;
use entity::types::CallPageInfo;
use leptos::either::EitherOf4;
use leptos::html;
use leptos::prelude::*;

use super::callback::CallbackOffer;
use super::message::MessageOffer;
use crate::rtc::{clock, mode_label, CallIds, CallView, DeviceOption, InCallPanel, MediaStage};

/// Where the caller is.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // used by the browser side
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Idle,
    /// Checking devices, or getting ready to call (media, identity, socket).
    Checking,
    Ringing,
    Connected,
    Ended,
    Missed,
    Unavailable,
}

impl Stage {
    /// The `data-state` value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Checking => "checking",
            Self::Ringing => "ringing",
            Self::Connected => "connected",
            Self::Ended => "ended",
            Self::Missed => "missed",
            Self::Unavailable => "unavailable",
        }
    }
}

/// The call page's state, shared with the browser side.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // used by the browser side
#[derive(Clone, Copy)]
pub struct CallerUi {
    pub stage: RwSignal<Stage>,
    pub call: CallView,
    pub mode: RwSignal<CallMode>,
    /// The chosen intent's id.
    pub intent: RwSignal<Option<String>>,
    pub email: RwSignal<String>,
    /// The email the business remembers this browser by (returning caller), until "forget
    /// me".
    pub remembered: RwSignal<Option<String>>,
    /// Getting media, identity and socket after "Call".
    pub preparing: RwSignal<bool>,
    pub ring_since: RwSignal<Option<f64>>,
    pub error: RwSignal<Option<String>>,
    /// What the end screen says.
    pub outcome: RwSignal<String>,
    /// What waiting earned, once the server judged the call (answered calls only).
    pub reward: RwSignal<Option<entity::rewards::CallerReward>>,
    /// A member calling this caller back now, to answer on this page.
    pub calling_back: RwSignal<Option<CallingBack>>,
    pub devices: RwSignal<Vec<DeviceOption>>,
    pub microphone: RwSignal<String>,
    pub camera: RwSignal<String>,
    /// Microphone level, 0 to 1.
    pub level: RwSignal<f64>,
    pub preview: NodeRef<html::Video>,
    pub business: StoredValue<String>,
    pub domain: StoredValue<String>,
    /// The join link's token when a member is calling this caller back (sent with the
    /// call request; used once).
    pub callback: StoredValue<Option<String>>,
}

/// The page's handle on the call: the state, and (in the browser) the live connection.
#[derive(Clone, Copy)]
pub struct CallerPhone {
    pub ui: CallerUi,
    #[cfg(feature = "hydrate")]
    engine: StoredValue<std::rc::Rc<super::engine::CallerEngine>, LocalStorage>,
}

impl CallerPhone {
    fn new(info: &CallPageInfo, callback: Option<String>) -> Self {
        let ui = CallerUi {
            stage: RwSignal::new(Stage::Idle),
            call: CallView::new(),
            mode: RwSignal::new(CallMode::Voice),
            intent: RwSignal::new(info.intents.first().map(|i| i.id.to_string())),
            email: RwSignal::new(info.remembered.clone().unwrap_or_default()),
            remembered: RwSignal::new(info.remembered.clone()),
            preparing: RwSignal::new(false),
            ring_since: RwSignal::new(None),
            error: RwSignal::new(None),
            outcome: RwSignal::new(String::new()),
            reward: RwSignal::new(None),
            calling_back: RwSignal::new(None),
            devices: RwSignal::new(Vec::new()),
            microphone: RwSignal::new(String::new()),
            camera: RwSignal::new(String::new()),
            level: RwSignal::new(0.0),
            preview: NodeRef::new(),
            business: StoredValue::new(info.business_name.clone()),
            domain: StoredValue::new(info.domain.clone()),
            callback: StoredValue::new(callback),
        };
        #[cfg(feature = "hydrate")]
        {
            let engine = super::engine::CallerEngine::new(ui);
            let engine = StoredValue::new_local(engine);
            on_cleanup(move || {
                if let Some(e) = engine.try_get_value() {
                    e.shutdown();
                }
            });
            Self { ui, engine }
        }
        #[cfg(not(feature = "hydrate"))]
        Self { ui }
    }

    crate::rtc::engine_calls! {
        /// Calls with the chosen intent and mode.
        start;
        /// Hangs up, or cancels while it rings.
        hangup;
        /// Sends a chat message.
        chat(text: String);
        toggle_mute;
        toggle_camera;
        /// Sends the file chosen in the data panel.
        send_file;
        /// Back to the choices after a call.
        again;
        /// Answers the member calling back (rings them with the page's join link).
        answer_callback;
        /// Opens the device check (permission, level meter, pickers, preview).
        check_devices;
        /// A device picker changed.
        devices_changed;
        /// The mode changed (the device check follows it).
        mode_changed;
    }
}

/// The calling controls of a business's page.
#[component]
pub fn CallPanel(
    info: CallPageInfo,
    /// A join link's token: the call rings the member calling back.
    #[prop(default = None)]
    callback: Option<String>,
) -> impl IntoView {
    let joining = callback.is_some();
    let phone = CallerPhone::new(&info, callback);
    let ui = phone.ui;
    ui.call.tick();
    let online = online_now(info.online, info.domain.clone());
    // Closed or out of office: the hours box above says why; "someone can answer" would
    // contradict it (the call would be answered `closed` or `out_of_office`).
    let not_taking = info
        .hours
        .as_ref()
        .filter(|_| !joining)
        .and_then(|h| match h.state {
            OpenNow::Open => None,
            OpenNow::Closed => Some("Closed right now \u{2014} see the hours above"),
            OpenNow::OutOfOffice => Some("Nobody is taking calls right now"),
        });
    let online = Signal::derive(move || not_taking.is_none() && online.get());
    let in_call = Signal::derive(move || ui.stage.get() == Stage::Connected);
    view! {
        <div
            class="call-panel"
            id="call-state"
            data-state=move || ui.stage.get().as_str()
            data-domain=info.domain.clone()
        >
            // Whether someone can answer matters before calling; during and after the
            // caller's own call (which makes the agent busy) it would only mislead.
            <p
                class="call-online"
                id="call-online"
                role="status"
                class:is-online=move || online.get()
                hidden=move || !matches!(ui.stage.get(), Stage::Idle | Stage::Checking)
            >
                <span class="presence-dot" aria-hidden="true"></span>
                {move || {
                    if let Some(why) = not_taking {
                        why
                    } else if online.get() {
                        "Online now — someone can answer"
                    } else {
                        "Nobody is online right now — you can still try"
                    }
                }}
            </p>
            <CallingBackOffer phone />
            {move || match ui.stage.get() {
                Stage::Idle | Stage::Checking => {
                    EitherOf4::A(view! {
                        <CallSetup phone intents=info.intents.clone() />
                        {not_taking.map(|_| view! {
                            <details class="callback-before" id="callback-before">
                                <summary>"Can't wait? Ask for a callback"</summary>
                                <CallbackOffer ui id="callback-early" />
                            </details>
                            <details class="callback-before" id="message-before">
                                <summary>"Or leave a message"</summary>
                                <MessageOffer ui id="message-early" />
                            </details>
                        })}
                    })
                }
                Stage::Ringing => EitherOf4::B(view! { <Ringing phone /> }),
                Stage::Connected => EitherOf4::C(view! { <Connected phone /> }),
                Stage::Ended | Stage::Missed | Stage::Unavailable => {
                    EitherOf4::D(view! { <Outcome phone /> })
                }
            }}
            <MediaStage call=ui.call shown=in_call />
        </div>
    }
}

/// A member calling this caller back, as the page was told (`calling_back`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallingBack {
    pub business: String,
    pub member: String,
    /// The join link to answer with (single-use, short-lived).
    pub token: String,
}

/// "… is calling you back": answer on this page, or not now.
#[component]
fn CallingBackOffer(phone: CallerPhone) -> impl IntoView {
    let ui = phone.ui;
    move || {
        ui.calling_back.get().map(|c| {
            view! {
                <section class="calling-back" id="calling-back" role="alertdialog" aria-labelledby="calling-back-title">
                    <h2 id="calling-back-title">{format!("{} is calling you back", c.business)}</h2>
                    <p>{format!("{} is waiting for you on the line.", c.member)}</p>
                    <div class="calling-back-actions">
                        <button
                            type="button"
                            class="btn btn-primary"
                            id="calling-back-answer"
                            on:click=move |_| phone.answer_callback()
                        >
                            "Answer"
                        </button>
                        <button
                            type="button"
                            class="btn"
                            id="calling-back-dismiss"
                            on:click=move |_| ui.calling_back.set(None)
                        >
                            "Not now"
                        </button>
                    </div>
                </section>
            }
        })
    }
}

/// Whether the business can answer now: `rendered` (the server's answer) until the
/// `onlineDomains` subscription says whether `domain` is among the domains online.
fn online_now(rendered: bool, domain: String) -> Signal<bool> {
    let live = crate::live::online_domains();
    Signal::derive(move || {
        live.with(|names| {
            names
                .as_ref()
                .map_or(rendered, |names| names.contains(&domain))
        })
    })
}

/// "Welcome back": the business recognises this browser by the email left last time, and
/// "Forget me" ends that.
#[component]
fn Remembered(ui: CallerUi) -> impl IntoView {
    let forget = Action::new(move |_: &()| {
        let domain = ui.domain.get_value();
        async move {
            match crate::api::forget_caller(domain).await {
                Ok(()) => {
                    ui.remembered.set(None);
                    ui.email.set(String::new());
                }
                Err(e) => ui.error.set(Some(e.message)),
            }
        }
    });
    move || {
        ui.remembered.get().map(|email| {
            view! {
                <p class="remembered small" id="call-remembered">
                    "Welcome back — " {ui.business.get_value()} " knows you as "
                    <strong>{email}</strong> "."
                    <button
                        type="button"
                        class="btn btn-secondary btn-small"
                        id="call-forget"
                        disabled=move || forget.pending().get()
                        on:click=move |_| {
                            forget.dispatch(());
                        }
                    >
                        "Forget me"
                    </button>
                </p>
            }
        })
    }
}

/// Intent, mode, optional email, device check, and the call button.
#[component]
fn CallSetup(phone: CallerPhone, intents: Vec<entity::types::IntentOption>) -> impl IntoView {
    let ui = phone.ui;
    let modes = [
        (CallMode::Voice, "Talk with your microphone"),
        (CallMode::Video, "Talk and see each other"),
        (CallMode::Chat, "Type messages"),
        (CallMode::Data, "Send a file, and chat"),
    ];
    let intent_select = (!intents.is_empty()).then(|| {
        view! {
            <div class="field">
                <label for="call-intent">"What is it about?"</label>
                <select
                    id="call-intent"
                    on:change=move |ev| ui.intent.set(Some(event_target_value(&ev)))
                >
                    {intents
                        .into_iter()
                        .map(|i| {
                            let id = i.id.to_string();
                            let selected = ui.intent.get_untracked().as_deref() == Some(id.as_str());
                            view! { <option value=id selected=selected>{i.label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
        }
    });
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        phone.start();
    };
    view! {
        <form class="form call-setup" on:submit=start novalidate>
            {intent_select}
            <fieldset class="call-modes">
                <legend>"How do you want to talk?"</legend>
                {modes
                    .into_iter()
                    .map(|(mode, hint)| {
                        let id = format!("call-mode-{}", mode.as_str());
                        let for_id = id.clone();
                        view! {
                            <label class="mode-option" for=for_id>
                                <input
                                    type="radio"
                                    name="call-mode"
                                    id=id
                                    value=mode.as_str()
                                    prop:checked=move || ui.mode.get() == mode
                                    on:change=move |_| {
                                        ui.mode.set(mode);
                                        phone.mode_changed();
                                    }
                                />
                                <span class="mode-name">{mode_label(mode)}</span>
                                <span class="mode-hint">{hint}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <Remembered ui />
            <div class="field">
                <label for="call-email">"Your email " <span class="muted small">"(optional, so they can get back to you)"</span></label>
                <input
                    id="call-email"
                    type="email"
                    autocomplete="email"
                    prop:value=move || ui.email.get()
                    on:input=move |ev| ui.email.set(event_target_value(&ev))
                />
            </div>
            <Show when=move || ui.stage.get() == Stage::Checking && !ui.preparing.get()>
                <DeviceCheck phone />
            </Show>
            {move || ui.error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
            <div class="call-actions">
                <Show when=move || {
                    matches!(ui.mode.get(), CallMode::Voice | CallMode::Video)
                        && ui.stage.get() == Stage::Idle
                }>
                    <button
                        type="button"
                        class="btn btn-secondary"
                        id="call-check"
                        on:click=move |_| phone.check_devices()
                    >
                        "Check microphone and camera"
                    </button>
                </Show>
                <button
                    type="submit"
                    class="btn btn-primary btn-call"
                    id="call-start"
                    disabled=move || ui.preparing.get()
                >
                    {move || if ui.preparing.get() { "Connecting…" } else { "Call" }}
                </button>
            </div>
        </form>
    }
}

/// Microphone level, device pickers and camera preview.
#[component]
fn DeviceCheck(phone: CallerPhone) -> impl IntoView {
    let ui = phone.ui;
    let picker = move |video: bool| {
        let (id, label, chosen) = if video {
            ("call-camera", "Camera", ui.camera)
        } else {
            ("call-microphone", "Microphone", ui.microphone)
        };
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <select
                    id=id
                    on:change=move |ev| {
                        chosen.set(event_target_value(&ev));
                        phone.devices_changed();
                    }
                >
                    {move || {
                        ui.devices
                            .get()
                            .into_iter()
                            .filter(|d| d.video == video)
                            .map(|d| {
                                let selected = chosen.get_untracked() == d.id;
                                view! { <option value=d.id selected=selected>{d.label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
        }
    };
    view! {
        <section class="device-check" aria-label="Device check">
            <div class="level-meter" role="meter" aria-label="Microphone level" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=move || format!("{:.0}", ui.level.get() * 100.0)>
                <span class="level-bar" style:width=move || format!("{:.0}%", ui.level.get() * 100.0)></span>
            </div>
            <p class="muted small">"Say something: the bar should move."</p>
            {picker(false)}
            <Show when=move || ui.mode.get() == CallMode::Video>
                {picker(true)}
                <video class="camera-preview" node_ref=ui.preview autoplay playsinline prop:muted=true aria-label="Camera preview"></video>
            </Show>
        </section>
    }
}

/// Waiting for an answer.
#[component]
fn Ringing(phone: CallerPhone) -> impl IntoView {
    let ui = phone.ui;
    let waited = move || {
        ui.ring_since
            .get()
            .map(|since| clock(ui.call.now.get() - since))
            .unwrap_or_else(|| clock(0.0))
    };
    view! {
        <section class="call-ringing" aria-live="polite">
            <div class="ring-pulse" aria-hidden="true"></div>
            <h2>"Calling " {ui.business.get_value()} "…"</h2>
            <p class="muted">"Waiting for an answer · " <span class="call-wait">{waited}</span></p>
            <button
                type="button"
                class="btn btn-danger"
                id="call-hangup"
                on:click=move |_| phone.hangup()
            >
                "Cancel"
            </button>
        </section>
    }
}

/// In the call.
#[component]
fn Connected(phone: CallerPhone) -> impl IntoView {
    let ui = phone.ui;
    let ids = CallIds {
        chat_input: "chat-input",
        chat_send: "chat-send",
        chat_log: "chat-log",
        hangup: "call-hangup",
        mute: "call-mute",
        camera: "call-camera-toggle",
        file: "call-file",
    };
    view! {
        <h2 class="in-call-title">"In a call with " {ui.business.get_value()}</h2>
        <InCallPanel
            call=ui.call
            ids
            on_chat=Callback::new(move |text: String| phone.chat(text))
            on_mute=Callback::new(move |()| phone.toggle_mute())
            on_camera=Callback::new(move |()| phone.toggle_camera())
            on_hangup=Callback::new(move |()| phone.hangup())
            on_file=Callback::new(move |()| phone.send_file())
        />
    }
}

/// Ended, missed or unavailable.
#[component]
fn Outcome(phone: CallerPhone) -> impl IntoView {
    let ui = phone.ui;
    let title = move || match ui.stage.get() {
        Stage::Missed => "Nobody could answer",
        Stage::Unavailable => "Not available right now",
        _ => "Call ended",
    };
    view! {
        <section class="call-result" aria-live="polite">
            <h2>{title}</h2>
            <p>{move || ui.outcome.get()}</p>
            {move || {
                ui.call.since.get().map(|_| {
                    view! { <p class="muted small">"Duration " {ui.call.elapsed()}</p> }
                })
            }}
            <super::reward::RewardNote reward=ui.reward />
            <button
                type="button"
                class="btn btn-primary"
                id="call-again"
                on:click=move |_| phone.again()
            >
                "Call again"
            </button>
            {move || {
                matches!(ui.stage.get(), Stage::Missed | Stage::Unavailable)
                    .then(|| view! { <CallbackOffer ui /> <MessageOffer ui /> })
            }}
        </section>
    }
}
