//! Row actions: buttons that run one server function for one row.
//!
//! Both are plain `<form method="post">`s (Leptos' `ActionForm`), so they work before the
//! page hydrates and without JavaScript; once hydrated they run in place and the page's
//! resources reload. A destructive one ([`ConfirmAction`]) asks first, inside a native
//! `<details>` disclosure: "Remove…" opens "Remove sam@acme.com from Acme? …" with the
//! button that really does it — no script needed to open it, and screen readers announce
//! the opener as a collapsed or expanded button.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::{client::Client, codec::PostUrl, request::ClientReq, Http, ServerFn};
use serde::de::DeserializeOwned;

/// The hidden inputs that name the row (`("id", "…")`).
fn hidden(fields: Vec<(&'static str, String)>) -> impl IntoView {
    fields
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
        .collect_view()
}

/// One button that runs `action` for a row at once (nothing to undo: "Resend").
#[component]
pub fn RowAction<S, P>(
    /// The server function.
    action: ServerAction<S>,
    /// Its arguments, as hidden fields.
    fields: Vec<(&'static str, String)>,
    /// The button's text.
    label: &'static str,
    /// What the button does to which row, for screen readers: "Resend the invitation of …".
    #[prop(into)]
    name: String,
    /// Whether the action is running (made by the page; the row may be re-rendered).
    #[prop(optional, into)]
    pending: Option<Signal<bool>>,
    /// The button's classes.
    #[prop(default = "btn btn-small")]
    class: &'static str,
) -> impl IntoView
where
    S: DeserializeOwned + ServerFn<Protocol = Http<PostUrl, P>> + Clone + Send + Sync + 'static,
    <<S::Client as Client<S::Error>>::Request as ClientReq<S::Error>>::FormData:
        From<leptos::web_sys::FormData>,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
    S::Client: Client<S::Error>,
{
    let busy = move || pending.is_some_and(|p| p.get());
    view! {
        <ActionForm action attr:class="inline">
            {hidden(fields)}
            <button type="submit" class=class aria-label=name disabled=busy>
                {label}
            </button>
        </ActionForm>
    }
}

/// A destructive row action behind "Are you sure?": `label…` opens the question, what
/// follows from it, and the button that does it.
#[component]
pub fn ConfirmAction<S, P>(
    /// The server function.
    action: ServerAction<S>,
    /// Its arguments, as hidden fields.
    fields: Vec<(&'static str, String)>,
    /// The opener's text: "Remove" (shown as "Remove…").
    label: &'static str,
    /// The opener's accessible name: "Remove sam@acme.com".
    #[prop(into)]
    name: String,
    /// The question: "Remove sam@acme.com from Acme?".
    #[prop(into)]
    question: String,
    /// What happens then, in a sentence or two.
    #[prop(optional, into)]
    detail: Option<String>,
    /// The confirming button's text: "Yes, remove".
    confirm: &'static str,
    /// Whether the action is running (made by the page; the row may be re-rendered).
    #[prop(optional, into)]
    pending: Option<Signal<bool>>,
    /// The opener's `id`, for tests.
    #[prop(optional, into)]
    id: Option<String>,
    /// The confirming button's `id`; the question's is this with `-text`.
    #[prop(optional, into)]
    confirm_id: Option<String>,
) -> impl IntoView
where
    S: DeserializeOwned + ServerFn<Protocol = Http<PostUrl, P>> + Clone + Send + Sync + 'static,
    <<S::Client as Client<S::Error>>::Request as ClientReq<S::Error>>::FormData:
        From<leptos::web_sys::FormData>,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
    S::Client: Client<S::Error>,
{
    let busy = move || pending.is_some_and(|p| p.get());
    let text_id = confirm_id.as_ref().map(|c| format!("{c}-text"));
    let group_label = question.clone();
    view! {
        <details class="confirm">
            <summary class="btn btn-danger btn-small" id=id aria-label=name>
                {label}
                "…"
            </summary>
            <div class="confirm-box" role="group" aria-label=group_label>
                <p id=text_id>
                    <strong>{question}</strong>
                    {detail.map(|d| view! { " " {d} })}
                </p>
                <ActionForm action attr:class="confirm-actions">
                    {hidden(fields)}
                    <button type="submit" class="btn btn-danger confirm-yes" id=confirm_id disabled=busy>
                        {move || if busy() { "Working…" } else { confirm }}
                    </button>
                    <button type="button" class="btn btn-ghost" on:click=close_disclosure>
                        "Cancel"
                    </button>
                </ActionForm>
            </div>
        </details>
    }
}

/// Closes the `<details>` around the clicked button and gives its opener the focus back.
fn close_disclosure(ev: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let details = ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
            .and_then(|el| el.closest("details").ok().flatten());
        if let Some(details) = details {
            let _ = details.remove_attribute("open");
            let summary = details.query_selector("summary").ok().flatten();
            if let Some(s) = summary.and_then(|s| s.dyn_into::<leptos::web_sys::HtmlElement>().ok())
            {
                let _ = s.focus();
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}
