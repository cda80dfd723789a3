//! The softphone: on every dashboard page, this device's line to the signaling hub.
//!
//! It shows the member's availability (available / away, and busy while in a call), rings
//! with an overlay and a tone when a call is offered, and runs the call once accepted:
//! media, chat, transfer to a team or a colleague, hang up, then a notes box.
//! `#softphone[data-state]` is offline, idle, ringing, connected or ended. The browser side
//! lives in [`engine`]; the overlay in [`incoming`], the transfer form in [`transfer`].

#[cfg(feature = "hydrate")]
mod alerts;
#[cfg(feature = "hydrate")]
mod engine;
mod incoming;
mod transfer;

use std::collections::HashMap;

use entity::calls::protocol::IncomingCall;
use entity::calls::wire::{Availability, PresenceStatus, RingTarget};
use entity::routing_setup::TeamView;
use entity::types::MemberView;
use leptos::either::EitherOf4;
use leptos::prelude::*;
use uuid::Uuid;

use self::incoming::Incoming;
use self::transfer::Transfer;
use super::use_account;
use crate::rtc::{CallIds, CallView, InCallPanel, LinkStatus, MediaStage};

/// A call that just ended on this device, for the notes box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndedCall {
    pub call_id: String,
    pub caller: String,
    /// What happened, in a sentence.
    pub summary: String,
}

/// The softphone's state, shared with the browser side.
#[derive(Clone, Copy)]
pub struct AgentUi {
    pub link: RwSignal<LinkStatus>,
    /// Calls ringing on this device, oldest first.
    pub ringing: RwSignal<Vec<IncomingCall>>,
    /// The call this device is in (or was in, while the notes box shows).
    pub active: RwSignal<Option<IncomingCall>>,
    pub connected: RwSignal<bool>,
    pub ended: RwSignal<Option<EndedCall>>,
    pub call: CallView,
    /// Every member's presence, by user id.
    pub presence: RwSignal<HashMap<Uuid, PresenceStatus>>,
    /// This member's manual availability.
    pub manual: RwSignal<Availability>,
    pub me: RwSignal<Option<Uuid>>,
    pub members: RwSignal<Vec<MemberView>>,
    /// The business's teams (loaded with the members when a call is accepted).
    pub teams: RwSignal<Vec<TeamView>>,
    pub notice: RwSignal<Option<String>>,
    /// Where the call is being transferred to, while that rings.
    pub transfer: RwSignal<Option<RingTarget>>,
    /// The last notes save: `Ok` or the error to show.
    pub notes_saved: RwSignal<Option<Result<(), String>>>,
    pub notes_saving: RwSignal<bool>,
}

impl AgentUi {
    fn new() -> Self {
        Self {
            link: RwSignal::new(LinkStatus::Closed),
            ringing: RwSignal::new(Vec::new()),
            active: RwSignal::new(None),
            connected: RwSignal::new(false),
            ended: RwSignal::new(None),
            call: CallView::new(),
            presence: RwSignal::new(HashMap::new()),
            manual: RwSignal::new(Availability::Available),
            me: RwSignal::new(None),
            members: RwSignal::new(Vec::new()),
            teams: RwSignal::new(Vec::new()),
            notice: RwSignal::new(None),
            transfer: RwSignal::new(None),
            notes_saved: RwSignal::new(None),
            notes_saving: RwSignal::new(false),
        }
    }

    /// The `data-state` value.
    fn state(&self) -> &'static str {
        if self.connected.get() {
            "connected"
        } else if self.link.get() != LinkStatus::Online {
            "offline"
        } else if !self.ringing.with(Vec::is_empty) {
            "ringing"
        } else if self.ended.with(Option::is_some) {
            "ended"
        } else {
            "idle"
        }
    }

    /// This member's status as the hub sees it.
    fn my_status(&self) -> PresenceStatus {
        if self.link.get() != LinkStatus::Online {
            return PresenceStatus::Offline;
        }
        let me = self.me.get();
        me.and_then(|id| self.presence.with(|p| p.get(&id).copied()))
            .unwrap_or(match self.manual.get() {
                Availability::Available => PresenceStatus::Available,
                Availability::Away => PresenceStatus::Away,
            })
    }

    fn member_email(&self, id: Uuid) -> Option<String> {
        let id = id.to_string();
        self.members
            .with_untracked(|m| m.iter().find(|m| m.user_id == id).map(|m| m.email.clone()))
    }

    #[cfg(feature = "hydrate")]
    fn team_name(&self, id: Uuid) -> Option<String> {
        self.teams
            .with_untracked(|t| t.iter().find(|t| t.id == id).map(|t| t.name.clone()))
    }
}

/// The page's handle on the softphone.
#[derive(Clone, Copy)]
pub struct AgentPhone {
    pub ui: AgentUi,
    #[cfg(feature = "hydrate")]
    engine: StoredValue<std::rc::Rc<engine::AgentEngine>, LocalStorage>,
}

impl AgentPhone {
    fn new() -> Self {
        let ui = AgentUi::new();
        #[cfg(feature = "hydrate")]
        {
            let engine = StoredValue::new_local(engine::AgentEngine::new(ui));
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
        /// Opens the socket (once).
        connect;
        toggle_availability;
        accept(call_id: String);
        reject(call_id: String);
        hangup;
        chat(text: String);
        toggle_mute;
        toggle_camera;
        send_file;
        /// Offers the call to a team or a colleague.
        transfer(to: RingTarget);
        save_notes(text: String);
        /// Closes the notes box.
        done;
    }
}

/// The softphone, mounted once by the dashboard layout.
#[component]
pub fn Softphone() -> impl IntoView {
    let account = use_account();
    let phone = AgentPhone::new();
    let ui = phone.ui;
    ui.call.tick();
    Effect::new(move |_| {
        if let Some(Ok(me)) = account.me.get() {
            ui.me.set(Uuid::parse_str(&me.user_id).ok());
            phone.connect();
        }
    });
    let status = move || match ui.my_status() {
        PresenceStatus::Offline => ("offline", "Offline"),
        PresenceStatus::Available => ("available", "Available"),
        PresenceStatus::Away => ("away", "Away"),
        PresenceStatus::Busy => ("busy", "Busy"),
    };
    let in_call = Signal::derive(move || ui.connected.get());
    // What the panel shows, as a memo so that a call ringing over the notes box does not
    // re-create it (and lose what is being typed).
    let body = Memo::new(move |_| {
        if ui.connected.get() {
            Body::InCall
        } else if ui.ended.with(Option::is_some) {
            Body::Notes
        } else if ui.link.get() != LinkStatus::Online {
            Body::Offline
        } else {
            Body::Idle
        }
    });
    view! {
        <aside
            id="softphone"
            class="softphone"
            data-state=move || ui.state()
            aria-label="Softphone"
        >
            <div class="softphone-bar">
                <span class=move || format!("presence presence-{}", status().0)>
                    <span class="presence-dot" aria-hidden="true"></span>
                    {move || status().1}
                </span>
                <button
                    type="button"
                    class="btn btn-ghost btn-small"
                    id="availability-toggle"
                    disabled=move || ui.link.get() != LinkStatus::Online
                    aria-pressed=move || (ui.manual.get() == Availability::Away).to_string()
                    on:click=move |_| phone.toggle_availability()
                >
                    {move || match ui.manual.get() {
                        Availability::Available => "Set away",
                        Availability::Away => "Set available",
                    }}
                </button>
                <AlertsButton />
            </div>
            {move || {
                ui.notice
                    .get()
                    .map(|n| view! { <p class="softphone-notice" role="status">{n}</p> })
            }}
            {move || match body.get() {
                Body::InCall => EitherOf4::A(view! { <AgentInCall phone /> }),
                Body::Notes => EitherOf4::B(view! { <Notes phone /> }),
                Body::Offline => {
                    EitherOf4::C(
                        view! {
                            <p class="softphone-idle muted small">
                                {move || match ui.link.get() {
                                    LinkStatus::Reconnecting => "Reconnecting…",
                                    _ => "Connecting…",
                                }}
                            </p>
                        },
                    )
                }
                Body::Idle => {
                    EitherOf4::D(
                        view! { <p class="softphone-idle muted small">"Calls to your domains ring here."</p> },
                    )
                }
            }}
            <Show when=move || !ui.connected.get() && !ui.ringing.with(Vec::is_empty)>
                <Incoming phone />
            </Show>
            <MediaStage call=ui.call shown=in_call />
        </aside>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    InCall,
    Notes,
    Offline,
    Idle,
}

/// The call in progress: who, the controls, and transfer.
#[component]
fn AgentInCall(phone: AgentPhone) -> impl IntoView {
    let ui = phone.ui;
    let ids = CallIds {
        chat_input: "softphone-chat-input",
        chat_send: "softphone-chat-send",
        chat_log: "softphone-chat-log",
        hangup: "softphone-hangup",
        mute: "softphone-mute",
        camera: "softphone-camera",
        file: "softphone-file",
    };
    let caller = move || {
        ui.active
            .get()
            .map(|c| {
                let intent = c.intent.map(|i| i.label).unwrap_or_default();
                (c.caller.name, c.caller.verified, intent)
            })
            .unwrap_or_default()
    };
    view! {
        <div class="softphone-call">
            <p class="incoming-caller">
                <strong class="caller-name">{move || caller().0}</strong>
                {move || caller().1.then(|| view! { <span class="badge badge-success">"✓ Verified"</span> })}
            </p>
            <p class="muted small call-intent">{move || caller().2}</p>
            <InCallPanel
                call=ui.call
                ids
                on_chat=Callback::new(move |text: String| phone.chat(text))
                on_mute=Callback::new(move |()| phone.toggle_mute())
                on_camera=Callback::new(move |()| phone.toggle_camera())
                on_hangup=Callback::new(move |()| phone.hangup())
                on_file=Callback::new(move |()| phone.send_file())
            />
            <Transfer phone />
        </div>
    }
}

/// After the call: what happened, and a notes box kept with the call record.
#[component]
fn Notes(phone: AgentPhone) -> impl IntoView {
    let ui = phone.ui;
    let text = RwSignal::new(String::new());
    let ended = move || ui.ended.get();
    view! {
        <div class="softphone-ended">
            <p class="softphone-summary">
                {move || ended().map(|e| e.summary).unwrap_or_default()}
                {move || ui.call.since.get().map(|_| format!(" Duration {}.", ui.call.elapsed()))}
            </p>
            <form
                class="form softphone-notes"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    phone.save_notes(text.get_untracked());
                }
            >
                <label for="call-notes">
                    {move || format!("Notes on the call with {}", ended().map(|e| e.caller).unwrap_or_default())}
                </label>
                <textarea
                    id="call-notes"
                    rows="3"
                    maxlength="5000"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        ui.notes_saved.set(None);
                    }
                ></textarea>
                <div class="form-row">
                    <button
                        type="submit"
                        class="btn btn-primary"
                        id="call-notes-save"
                        disabled=move || ui.notes_saving.get()
                    >
                        "Save notes"
                    </button>
                    <button type="button" class="btn btn-ghost" id="call-done" on:click=move |_| phone.done()>
                        "Done"
                    </button>
                    {move || match ui.notes_saved.get() {
                        Some(Ok(())) => Some(view! { <span class="notes-saved" role="status">"Saved"</span> }.into_any()),
                        Some(Err(e)) => Some(view! { <span class="field-error" role="alert">{e}</span> }.into_any()),
                        None => None,
                    }}
                </div>
            </form>
        </div>
    }
}

/// "Turn on alerts": asks once for browser notifications, so a call ringing while this
/// tab is in the background is seen. Shown only where the browser has not been asked.
#[component]
fn AlertsButton() -> impl IntoView {
    let show = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| show.set(alerts::can_ask()));
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        alerts::ask(move |_| show.set(false));
    };
    view! {
        <button
            type="button"
            class="btn btn-ghost btn-small"
            id="alerts-toggle"
            hidden=move || !show.get()
            title="Get a browser notification when a call rings while this tab is in the background"
            on:click=ask
        >
            "Turn on alerts"
        </button>
    }
}
