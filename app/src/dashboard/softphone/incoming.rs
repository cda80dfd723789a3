//! The incoming-call overlay: an alert dialog with the caller card, accept and reject.
//!
//! A ringing call takes the keyboard: focus moves to Accept whenever a call comes to the
//! front, Escape rejects it (as the Reject button does), and when the overlay goes away
//! focus goes back to where it was if it would otherwise be lost with the overlay. The
//! buttons stay the same elements while the card re-renders (members loading to name who
//! transferred, more calls queuing), so focus is not dropped under the user's hands.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;

use entity::calls::protocol::CallId;
use entity::contacts::card::ContactCard;
use entity::contacts::tiers::{format_money, ClientType};

use super::AgentPhone;
use crate::rtc::mode_label;

/// The overlay for the oldest ringing call (mounted while something rings).
#[component]
pub(super) fn Incoming(phone: AgentPhone) -> impl IntoView {
    let ui = phone.ui;
    let front = Memo::new(move |_| ui.ringing.with(|r| r.first().map(|c| c.call_id)));
    let dialog = NodeRef::<html::Div>::new();
    let accept_button = NodeRef::<html::Button>::new();
    let accept = move || {
        if let Some(id) = front.get_untracked() {
            phone.accept(id.to_string());
        }
    };
    let reject = move || {
        if let Some(id) = front.get_untracked() {
            phone.reject(id.to_string());
        }
    };
    keyboard(front, dialog, accept_button, reject);
    let card = move || {
        // Re-render once the members load, to name who transferred the call.
        ui.members.track();
        ui.ringing.with(|r| r.first().cloned()).map(|call| {
            let intent = call
                .intent
                .as_ref()
                .map_or_else(|| "No topic chosen".to_owned(), |i| i.label.clone());
            let by = call
                .transferred_by
                .map(|u| ui.member_email(u).unwrap_or_else(|| "a colleague".to_owned()));
            let more = ui.ringing.with(Vec::len).saturating_sub(1);
            view! {
                <h2 class="eyebrow" id="incoming-title">
                    {format!("Incoming {} call", mode_label(call.mode).to_lowercase())}
                </h2>
                <p class="incoming-caller" id="incoming-caller">
                    <strong class="caller-name">{call.caller.name.clone()}</strong>
                    {if call.caller.verified {
                        view! { <span class="badge badge-success">"✓ Verified"</span> }.into_any()
                    } else {
                        view! { <span class="badge badge-muted">"Guest"</span> }.into_any()
                    }}
                </p>
                <p class="incoming-details">
                    <span class="call-intent">{intent}</span>
                    " · "
                    <span class="call-mode">{mode_label(call.mode)}</span>
                    " · "
                    <span class="call-domain-called">{call.domain.clone()}</span>
                </p>
                {call.contact.map(|c| view! { <ContactPop card=*c /> })}
                {by.map(|by| view! { <p class="muted small transferred-by">"Transferred by " {by}</p> })}
                {(more > 0).then(|| view! { <p class="muted small">{format!("+{more} more ringing")}</p> })}
            }
        })
    };
    view! {
        <div
            id="incoming-call"
            class="incoming-call"
            role="alertdialog"
            aria-labelledby="incoming-title"
            aria-describedby="incoming-caller"
            node_ref=dialog
        >
            {card}
            <div class="incoming-actions">
                <button
                    type="button"
                    class="btn btn-success"
                    id="call-accept"
                    node_ref=accept_button
                    on:click=move |_| accept()
                >
                    "Accept"
                </button>
                <button
                    type="button"
                    class="btn btn-danger"
                    id="call-reject"
                    on:click=move |_| reject()
                >
                    "Reject"
                </button>
            </div>
        </div>
    }
}

/// The screen pop: who the caller is to the business, before anyone answers.
#[component]
fn ContactPop(card: ContactCard) -> impl IntoView {
    let tier = match card.client_type {
        ClientType::New => ("badge badge-muted", "New client"),
        ClientType::Repeat => ("badge badge-info", "Repeat client"),
        ClientType::Premium => ("badge badge-success", "Premium client"),
    };
    let calls = match card.call_count {
        0 => "First call".to_owned(),
        1 => "Called once before".to_owned(),
        n => format!("Called {n} times before"),
    };
    let last = card
        .last_contact_at
        .map(|at| format!(" · last contact {}", crate::ui::date_time(&at)));
    let purchases = card.purchase_total.as_ref().map(|total| {
        let latest = card.latest_purchase.as_ref().map(|p| {
            format!(
                " · latest: {} ({})",
                p.product,
                format_money(p.amount_minor, &p.currency)
            )
        });
        view! { <p class="small contact-purchases">"Purchases " {total.display()} {latest}</p> }
    });
    view! {
        <div class="incoming-contact" id="incoming-contact">
            <p>
                <strong class="contact-name">{card.name}</strong>
                " "
                <span class=tier.0>{tier.1}</span>
            </p>
            <p class="muted small contact-history">{calls} {last}</p>
            {purchases}
            {card.latest_note.map(|n| view! { <p class="small contact-note">"Note: " {n}</p> })}
        </div>
    }
}

/// Focus to Accept when a call comes to the front, Escape to reject, focus given back on
/// the way out.
fn keyboard<K>(
    front: Memo<Option<CallId>>,
    dialog: NodeRef<html::Div>,
    accept_button: NodeRef<html::Button>,
    reject: K,
) where
    K: Fn() + Copy + 'static,
{
    // What had focus before the overlay took it.
    #[cfg(feature = "hydrate")]
    let before = StoredValue::new_local(None::<web_sys::Element>);
    // Effects run in the browser only, once the overlay is in the page.
    Effect::new(move |_| {
        front.track();
        if let Some(button) = accept_button.get() {
            #[cfg(feature = "hydrate")]
            if before.with_value(Option::is_none) {
                before.set_value(document().active_element());
            }
            let _ = button.focus();
        }
    });
    let keys = window_event_listener(ev::keydown, move |ev| {
        if ev.key() == "Escape" && !ev.default_prevented() && !ev.is_composing() {
            ev.prevent_default();
            reject();
        }
    });
    on_cleanup(move || {
        keys.remove();
        #[cfg(feature = "hydrate")]
        give_focus_back(
            before.try_with_value(Clone::clone).flatten(),
            dialog.get_untracked().map(Into::into),
        );
        #[cfg(not(feature = "hydrate"))]
        let _ = dialog;
    });
}

/// Focuses `previous` again if focus is in the closing `dialog` or nowhere (the body).
#[cfg(feature = "hydrate")]
fn give_focus_back(previous: Option<web_sys::Element>, dialog: Option<web_sys::Element>) {
    use wasm_bindgen::JsCast;

    let (Some(previous), Some(dialog)) = (previous, dialog) else {
        return;
    };
    let document = document();
    let body: Option<web_sys::Element> = document.body().map(Into::into);
    let lost = document.active_element().is_none_or(|active| {
        let node: &web_sys::Node = &active;
        Some(&active) == body.as_ref() || dialog.contains(Some(node))
    });
    if lost && previous.is_connected() {
        if let Some(previous) = previous.dyn_ref::<web_sys::HtmlElement>() {
            let _ = previous.focus();
        }
    }
}
