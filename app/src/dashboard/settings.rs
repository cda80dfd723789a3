//! `/app/settings`: how you are named, your password, another business.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::use_account;
use crate::api::{ChangePassword, CreateBusiness, SetDisplayName};
use crate::ui::{
    action_error, action_output, action_succeeded, reset_on_success, Card, ErrorSummary, Field,
    Loaded, PageHeader, SubmitButton, SuccessAlert,
};

/// The settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings" />
        <PageHeader title="Settings" lead="Your account and your businesses." />
        <DisplayNameCard />
        <ChangePasswordCard />
        <CreateBusinessCard />
    }
}

/// The name colleagues see instead of the email.
#[component]
fn DisplayNameCard() -> impl IntoView {
    let account = use_account();
    let action = ServerAction::<SetDisplayName>::new();
    let error = action_error(action);
    let saved = action_output(action);
    // The header shows the name too.
    Effect::new(move |_| {
        if saved.with(Option::is_some) {
            account.reload();
        }
    });
    view! {
        <Card
            title="Your name"
            id="display-name-title"
            lead="Colleagues see it instead of your email: in the members list, teams, routing choices and the call history."
        >
            {move || {
                saved.get()
                    .map(|me| {
                        let text = match me.display_name {
                            Some(name) => format!("You are now shown as {name}."),
                            None => "Your name is cleared: you are shown by email.".to_owned(),
                        };
                        view! { <SuccessAlert>{text}</SuccessAlert> }
                    })
            }}
            <ActionForm action attr:class="form form-row" attr:novalidate=true>
                <ErrorSummary
                    error
                    attempts=action.version()
                    fields=&[("displayName", "display-name")]
                />
                <Loaded
                    resource=account.me
                    view=move |me| {
                        view! {
                            <Field
                                label="Display name"
                                id="display-name"
                                name="display_name"
                                field="displayName"
                                autocomplete="name"
                                hint="Leave it empty to be shown by your email."
                                maxlength=entity::validate::MAX_DISPLAY_NAME
                                value=me.display_name.unwrap_or_default()
                                error
                            />
                        }
                    }
                />
                <div class="field field-action">
                    <SubmitButton
                        id="display-name-submit"
                        label="Save name"
                        pending_label="Saving…"
                        pending=action.pending()
                    />
                </div>
            </ActionForm>
        </Card>
    }
}

#[component]
fn ChangePasswordCard() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = action_error(action);
    let done = action_succeeded(action);
    let form = reset_on_success(action);
    view! {
        <Card
            title="Change password"
            id="password-title"
            lead="Changing your password signs you out everywhere else; this browser stays signed in."
        >
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
            <ActionForm action node_ref=form attr:class="form" attr:novalidate=true>
                <ErrorSummary
                    error
                    attempts=action.version()
                    fields=&[
                        ("currentPassword", "current-password"),
                        ("newPassword", "new-password"),
                    ]
                />
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
                    hint=PASSWORD_HINT
                    error
                />
                <SubmitButton
                    id="change-password-submit"
                    label="Change password"
                    pending_label="Changing…"
                    pending=action.pending()
                />
            </ActionForm>
        </Card>
    }
}

/// What a new password must be, said before anyone types one.
pub const PASSWORD_HINT: &str =
    "At least 10 characters and hard to guess: a few unrelated words work well.";

#[component]
fn CreateBusinessCard() -> impl IntoView {
    let account = use_account();
    let action = ServerAction::<CreateBusiness>::new();
    let error = action_error(action);
    let created = action_output(action);
    let form = reset_on_success(action);
    // The new business belongs in the header's switcher at once.
    Effect::new(move |_| {
        if created.with(Option::is_some) {
            account.reload();
        }
    });
    view! {
        <Card
            title="Create another business"
            id="business-title"
            lead="Run several businesses with one account. You will be its owner; switch between businesses from the top bar."
        >
            {move || {
                created
                    .get()
                    .map(|name| {
                        view! {
                            <SuccessAlert>
                                "Created " <strong>{name}</strong>
                                ". Switch to it from the top bar to set it up."
                            </SuccessAlert>
                        }
                    })
            }}
            <ActionForm action node_ref=form attr:class="form" attr:novalidate=true>
                <ErrorSummary error attempts=action.version() fields=&[("name", "new-business-name")] />
                <Field
                    label="Business name"
                    id="new-business-name"
                    name="name"
                    field="name"
                    autocomplete="organization"
                    error
                />
                <SubmitButton
                    id="create-business-submit"
                    label="Create business"
                    pending_label="Creating…"
                    pending=action.pending()
                />
            </ActionForm>
        </Card>
    }
}
