//! "Call me back": the offer a caller gets whenever nobody can answer (and, on a closed
//! business's page, before calling) — as soon as possible, or at a free time they pick
//! ([`super::slots`]). The email (prefilled with the one typed for the call), an optional
//! name and note; the business gets the request and the caller a confirmation with a
//! cancel link (and a calendar file for a booked time). A plain form post (`ActionForm`),
//! so asking "as soon as possible" works before the page hydrates too.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::panel::CallerUi;
use super::slots::SlotPicker;
use crate::api::RequestCallback;
use crate::ui::{action_error, action_output, ErrorSummary, Field, SubmitButton, TextAreaField};

/// The callback form, or what happened once sent.
#[component]
pub fn CallbackOffer(
    ui: CallerUi,
    #[prop(default = "callback")] id: &'static str,
) -> impl IntoView {
    let action = ServerAction::<RequestCallback>::new();
    let error = action_error(action);
    let asked = action_output(action);
    let business = ui.business;
    let title_id = StoredValue::new(format!("{id}-title"));
    let at_a_time = RwSignal::new(false);
    view! {
        <section class="callback-offer" id=id aria-labelledby=title_id.get_value()>
            {move || match asked.get() {
                Some(done) => {
                    view! {
                        <div class="alert alert-success" role="status" id=format!("{id}-done")>
                            <strong>
                                {business.get_value()}
                                {match done.slot.clone() {
                                    Some(when) => format!(" will call you back on {when}."),
                                    None => " will call you back.".to_owned(),
                                }}
                            </strong>
                            " "
                            {if done.already {
                                "You had already asked; we updated your request. "
                            } else {
                                ""
                            }}
                            "A confirmation is on its way to "
                            <strong>{done.email.clone()}</strong>
                            {if done.slot.is_some() {
                                ", with a calendar file and a link to cancel if you no longer need it."
                            } else {
                                ", with a link to cancel if you no longer need it."
                            }}
                        </div>
                    }
                    .into_any()
                }
                None => {
                    view! {
                        <h3 id=title_id.get_value()>"Ask for a callback"</h3>
                        <p class="muted small">
                            "Leave your email: you get a link that starts the call as soon as someone calls you back."
                        </p>
                        <ActionForm action attr:class="form" attr:novalidate="">
                            <ErrorSummary
                                error
                                attempts=action.version()
                                fields=&[
                                    ("email", "callback-email"),
                                    ("name", "callback-name"),
                                    ("note", "callback-note"),
                                    ("slot", "callback-date"),
                                ]
                            />
                            <input type="hidden" name="domain" value=ui.domain.get_value() />
                            <input
                                type="hidden"
                                name="intent"
                                prop:value=move || ui.intent.get().unwrap_or_default()
                            />
                            <Field
                                label="Email"
                                id="callback-email"
                                name="email"
                                field="email"
                                input_type="email"
                                autocomplete="email"
                                value=ui.email.get_untracked()
                                error
                            />
                            <Field
                                label="Name (optional)"
                                id="callback-name"
                                name="name"
                                field="name"
                                autocomplete="name"
                                maxlength=entity::callbacks::NAME_MAX
                                error
                            />
                            <fieldset class="when-choice">
                                <legend>"When?"</legend>
                                <label class="choice">
                                    <input
                                        type="radio"
                                        name="when"
                                        value="asap"
                                        id=format!("{id}-asap")
                                        checked=true
                                        on:change=move |_| at_a_time.set(false)
                                    />
                                    " As soon as possible"
                                </label>
                                <label class="choice">
                                    <input
                                        type="radio"
                                        name="when"
                                        value="slot"
                                        id=format!("{id}-at")
                                        on:change=move |_| at_a_time.set(true)
                                    />
                                    " At a time that suits me"
                                </label>
                            </fieldset>
                            {move || {
                                at_a_time
                                    .get()
                                    .then(|| view! { <SlotPicker domain=ui.domain intent=ui.intent /> })
                            }}
                            <TextAreaField
                                label="What is it about? (optional)"
                                id="callback-note"
                                name="note"
                                field="note"
                                maxlength=entity::callbacks::NOTE_MAX
                                error
                            />
                            <SubmitButton
                                id="callback-send"
                                label="Call me back"
                                pending_label="Sending…"
                                pending=action.pending()
                            />
                        </ActionForm>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
