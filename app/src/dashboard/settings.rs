//! `/app/settings`: change your password, create another business.

use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use super::use_account;
use crate::api::{ChangePassword, CreateBusiness};
use crate::ui::{action_error, action_succeeded, Field, FormAlert, PageHeader, SuccessAlert};

/// The settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings" />
        <PageHeader title="Settings" lead="Your account and your businesses." />
        <ChangePasswordCard />
        <CreateBusinessCard />
    }
}

/// Resets `form` whenever `done` turns true.
fn reset_when(done: Signal<bool>, form: NodeRef<html::Form>) {
    Effect::new(move |_| {
        if done.get() {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
}

#[component]
fn ChangePasswordCard() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = action_error(action);
    let done = action_succeeded(action);
    let pending = action.pending();
    let form_ref = NodeRef::<html::Form>::new();
    reset_when(done, form_ref);
    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <p class="muted">
                "Changing your password signs you out everywhere else; this browser stays signed in."
            </p>
            {move || {
                done.get()
                    .then(|| {
                        view! {
                            <SuccessAlert>
                                "Password changed. Every other device has been signed out."
                            </SuccessAlert>
                        }
                    })
            }}
            <ActionForm action node_ref=form_ref attr:class="form" attr:novalidate=true>
                <FormAlert error fields=&["currentPassword", "newPassword"] />
                <Field
                    label="Current password"
                    id="current-password"
                    name="current_password"
                    field="currentPassword"
                    input_type="password"
                    autocomplete="current-password"
                    error
                />
                <Field
                    label="New password"
                    id="new-password"
                    name="new_password"
                    field="newPassword"
                    input_type="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    error
                />
                <button
                    id="change-password-submit"
                    type="submit"
                    class="btn btn-primary"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { "Changing…" } else { "Change password" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn CreateBusinessCard() -> impl IntoView {
    let account = use_account();
    let action = ServerAction::<CreateBusiness>::new();
    let error = action_error(action);
    let done = action_succeeded(action);
    let pending = action.pending();
    let form_ref = NodeRef::<html::Form>::new();
    reset_when(done, form_ref);
    // The new business belongs in the header's switcher at once.
    Effect::new(move |_| {
        if done.get() {
            account.reload();
        }
    });
    let created = move || action.value().get().and_then(Result::ok);
    view! {
        <section class="card" aria-labelledby="business-title">
            <h2 id="business-title">"Create another business"</h2>
            <p class="muted">
                "Run several businesses with one account. You will be its owner; switch between businesses from the top bar."
            </p>
            {move || {
                created()
                    .map(|name| {
                        view! {
                            <SuccessAlert>
                                "Created " <strong>{name}</strong>
                                ". Switch to it from the top bar to set it up."
                            </SuccessAlert>
                        }
                    })
            }}
            <ActionForm action node_ref=form_ref attr:class="form" attr:novalidate=true>
                <FormAlert error fields=&["name"] />
                <Field
                    label="Business name"
                    id="new-business-name"
                    name="name"
                    field="name"
                    autocomplete="organization"
                    error
                />
                <button
                    id="create-business-submit"
                    type="submit"
                    class="btn btn-primary"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { "Creating…" } else { "Create business" }}
                </button>
            </ActionForm>
        </section>
    }
}
