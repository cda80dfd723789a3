//! The in-call screen both sides share: timer, connection quality, mute, camera, hang up,
//! chat, and (in the data mode) sending and receiving files. Element ids differ per side
//! ([`CallIds`]) because the end-to-end tests address both pages by id.

use entity::calls::wire::ChatText;
use entity::calls::CallMode;
use leptos::html;
use leptos::prelude::*;

use super::{bytes, mode_label, CallView, ReceivedFile};

/// Saves a received file (in the browser; there is nothing to save on the server).
fn save(file: &ReceivedFile) {
    #[cfg(feature = "hydrate")]
    super::files::save(file);
    #[cfg(not(feature = "hydrate"))]
    let _ = file;
}

/// The ids of the in-call controls on one page.
#[derive(Clone, Copy, Debug)]
pub struct CallIds {
    pub chat_input: &'static str,
    pub chat_send: &'static str,
    pub chat_log: &'static str,
    pub hangup: &'static str,
    pub mute: &'static str,
    pub camera: &'static str,
    pub file: &'static str,
}

/// Where the remote (and, for video, the local) media plays. Always rendered, so the
/// streams can be attached whenever they arrive; shown only for video calls.
#[component]
pub fn MediaStage(call: CallView, #[prop(into)] shown: Signal<bool>) -> impl IntoView {
    let video = move || shown.get() && call.mode.get() == CallMode::Video;
    view! {
        <div class="call-media" class:call-media-video=video>
            <video
                class="remote-video"
                node_ref=call.remote_video
                autoplay
                playsinline
                aria-label="The other party's camera"
            ></video>
            <video
                class="local-video"
                node_ref=call.local_video
                autoplay
                playsinline
                prop:muted=true
                class:hidden=move || call.camera_off.get()
                aria-label="Your camera"
            ></video>
        </div>
    }
}

/// What the peer connection's `connectionState` means to the person in the call; `None`
/// when connected (the quality figures say the rest), not started yet, or closed.
fn link_text(state: &str) -> Option<&'static str> {
    match state {
        "new" | "connecting" => Some("Connecting…"),
        "disconnected" => Some("Connection interrupted — reconnecting…"),
        "failed" => Some("Connection lost — reconnecting…"),
        _ => None,
    }
}

/// Timer, quality, media controls, hang up and chat.
#[component]
pub fn InCallPanel(
    call: CallView,
    ids: CallIds,
    on_chat: Callback<String>,
    on_mute: Callback<()>,
    on_camera: Callback<()>,
    on_hangup: Callback<()>,
    on_file: Callback<()>,
) -> impl IntoView {
    let media = move || matches!(call.mode.get(), CallMode::Voice | CallMode::Video);
    // While the media is down the last quality figures no longer hold: say what happens.
    let link = move || link_text(&call.peer_state.get());
    let quality = move || {
        if link().is_some() {
            return None;
        }
        call.quality.get().map(|q| {
            let (grade, word) = q.grade();
            // The figures are for whoever wonders (a tooltip), not for every caller.
            let figures = match (q.rtt_ms, q.loss_pct) {
                (Some(rtt), Some(loss)) => format!("{rtt:.0} ms · {loss:.1}% lost · "),
                (Some(rtt), None) => format!("{rtt:.0} ms · "),
                _ => String::new(),
            };
            let detail = format!(
                "{figures}received {}, sent {}",
                bytes(q.bytes_received),
                bytes(q.bytes_sent)
            );
            view! {
                <span class=format!("call-quality quality-{grade}") title=detail>
                    <span class="quality-dot" aria-hidden="true"></span>
                    {word}
                </span>
            }
        })
    };
    view! {
        <div class="in-call">
            <div class="in-call-status">
                <span class="call-timer" aria-label="Call duration">{move || call.elapsed()}</span>
                <span class="badge">{move || mode_label(call.mode.get())}</span>
                {quality}
                {move || {
                    link().map(|text| {
                        view! {
                            <span class="call-quality quality-poor peer-state" role="status">
                                <span class="quality-dot" aria-hidden="true"></span>
                                {text}
                            </span>
                        }
                    })
                }}
            </div>
            {move || {
                call.notice.get().map(|n| view! { <p class="alert alert-info call-notice" role="status">{n}</p> })
            }}
            <div class="in-call-buttons" role="group" aria-label="Call controls">
                <Show when=media>
                    <button
                        type="button"
                        class="btn btn-secondary"
                        id=ids.mute
                        aria-pressed=move || call.muted.get().to_string()
                        on:click=move |_| on_mute.run(())
                    >
                        {move || if call.muted.get() { "Unmute" } else { "Mute" }}
                    </button>
                </Show>
                <Show when=move || call.mode.get() == CallMode::Video>
                    <button
                        type="button"
                        class="btn btn-secondary"
                        id=ids.camera
                        aria-pressed=move || call.camera_off.get().to_string()
                        on:click=move |_| on_camera.run(())
                    >
                        {move || if call.camera_off.get() { "Camera on" } else { "Camera off" }}
                    </button>
                </Show>
                <button
                    type="button"
                    class="btn btn-danger"
                    id=ids.hangup
                    on:click=move |_| on_hangup.run(())
                >
                    "Hang up"
                </button>
            </div>
            <Show when=move || call.mode.get() == CallMode::Data>
                <FilePanel call ids on_file />
            </Show>
            <ChatPanel call ids on_chat />
        </div>
    }
}

/// Send a file over the data channel; list the files received.
#[component]
fn FilePanel(call: CallView, ids: CallIds, on_file: Callback<()>) -> impl IntoView {
    view! {
        <section class="file-panel" aria-label="Files">
            <form
                class="form-row"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    on_file.run(());
                }
            >
                <label class="visually-hidden" for=ids.file>"File to send"</label>
                <input type="file" id=ids.file node_ref=call.file_input />
                <button
                    type="submit"
                    class="btn btn-secondary"
                    disabled=move || !call.channel_open.get()
                >
                    "Send file"
                </button>
            </form>
            <ul class="file-list">
                <For
                    each=move || call.files.get()
                    key=|f| f.url.clone()
                    children=|f| {
                        let label = format!("Save {}", f.name);
                        let size = format!(" {}", bytes(f.size));
                        let name = f.name.clone();
                        view! {
                            <li class="received-file">
                                // A button, not a link to the blob: nothing to open in a tab.
                                <button
                                    type="button"
                                    class="btn btn-small btn-ghost file-save"
                                    aria-label=label
                                    on:click=move |_| save(&f)
                                >
                                    <span class="file-name">{name}</span>
                                </button>
                                <span class="muted small">{size}</span>
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
}

/// The call's chat: every message the server kept, both sides'.
#[component]
fn ChatPanel(call: CallView, ids: CallIds, on_chat: Callback<String>) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(field) = input.get_untracked() else {
            return;
        };
        match ChatText::parse(field.value()) {
            Ok(text) => {
                error.set(None);
                field.set_value("");
                on_chat.run(text.into());
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    view! {
        <section class="chat-panel" aria-label="Chat">
            <ol class="chat-log" id=ids.chat_log aria-live="polite">
                {move || {
                    call.chat
                        .get()
                        .into_iter()
                        .map(|line| {
                            view! {
                                <li class:mine=line.mine>
                                    <span class="chat-from">{line.from}</span>
                                    <span class="chat-body">{line.text}</span>
                                    <time class="chat-at">{line.at}</time>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <form class="chat-form" on:submit=submit>
                <label class="visually-hidden" for=ids.chat_input>"Message"</label>
                <input
                    id=ids.chat_input
                    type="text"
                    maxlength="2000"
                    autocomplete="off"
                    placeholder="Type a message"
                    node_ref=input
                    on:input=move |_| error.set(None)
                />
                <button type="submit" class="btn btn-primary" id=ids.chat_send>
                    "Send"
                </button>
            </form>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::link_text;

    #[test]
    fn a_connection_that_is_down_says_it_is_reconnecting() {
        assert_eq!(link_text("connected"), None);
        assert_eq!(link_text(""), None);
        assert_eq!(link_text("closed"), None);
        assert_eq!(link_text("connecting"), Some("Connecting…"));
        for state in ["disconnected", "failed"] {
            assert!(
                link_text(state).is_some_and(|t| t.contains("reconnecting")),
                "{state}"
            );
        }
    }
}
