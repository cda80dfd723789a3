//! `/app/settings`: the business's profile (owners and admins: name, greeting for callers,
//! logo), how you are named, your password, another business.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use super::{use_account, ManagersOnly};
use crate::api::{
    business_profile, ChangePassword, CreateBusiness, RemoveBusinessLogo, SetBusinessProfile,
    SetDisplayName,
};
use crate::ui::{
    action_error, action_output, action_succeeded, reset_on_success, saved, Card, ErrorSummary,
    Field, Loaded, PageHeader, SubmitButton, SuccessAlert, TextAreaField,
};

/// The settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings" />
        <PageHeader title="Settings" lead="Your business, your account and your other businesses." />
        <ManagersOnly>
            <ProfileCard />
        </ManagersOnly>
        <DisplayNameCard />
        <ChangePasswordCard />
        <CreateBusinessCard />
    }
}

/// What the logo upload (`POST /app/profile/logo`, a plain form) said, from the address
/// it sent the browser back to (`?logo=…`).
fn logo_outcome(code: &str) -> Option<(bool, &'static str)> {
    Some(match code {
        "saved" => (true, "Your logo is on your call page."),
        "empty" => (false, "Choose an image file first."),
        "too_big" => (false, "That image is too large: use one of at most 256 KB."),
        "not_image" => (false, "That file is not a PNG, JPEG or WebP image."),
        "forbidden" => (false, "Only owners and admins can change the logo."),
        "failed" => (false, "The logo could not be saved; try again."),
        _ => return None,
    })
}

/// The business as callers see it: its name, a greeting and a logo on the call page.
#[component]
fn ProfileCard() -> impl IntoView {
    let action = ServerAction::<SetBusinessProfile>::new();
    let remove = ServerAction::<RemoveBusinessLogo>::new();
    let error = action_error(action);
    let done = action_output(action);
    let (profile_saved, logo_removed) = (saved(action), saved(remove));
    let profile = Resource::new(
        move || (profile_saved.get(), logo_removed.get()),
        |_| business_profile(),
    );
    // The account is not reloaded here: this card sits inside `ManagersOnly`, which
    // re-renders from the account (and would forget this save). The top bar shows the
    // new name from the next page on.
    let query = use_query_map();
    let upload = move || {
        query.with(|q| q.get("logo")).as_deref().and_then(logo_outcome).map(|(ok, text)| {
            if ok {
                view! { <p class="alert alert-success" role="status" id="logo-outcome">{text}</p> }
            } else {
                view! { <p class="alert alert-error" role="alert" id="logo-outcome">{text}</p> }
            }
        })
    };
    view! {
        <Card
            title="Your business"
            id="profile-title"
            lead="What callers see on your call page: your name, a greeting and your logo."
        >
            {move || {
                done.get()
                    .map(|_| {
                        view! {
                            <div id="profile-saved">
                                <SuccessAlert>"Saved: your call page shows it now."</SuccessAlert>
                            </div>
                        }
                    })
            }}
            <Loaded
                resource=profile
                view=move |p| {
                    let logo = p.logo_url.clone();
                    view! {
                        <ActionForm action attr:class="form" attr:novalidate=true attr:id="profile-form">
                            <ErrorSummary
                                error
                                attempts=action.version()
                                fields=&[("name", "profile-name"), ("greeting", "profile-greeting")]
                            />
                            <Field
                                label="Business name"
                                id="profile-name"
                                name="name"
                                field="name"
                                autocomplete="organization"
                                value=p.name.clone()
                                error
                            />
                            <TextAreaField
                                label="Greeting for callers (optional)"
                                id="profile-greeting"
                                name="greeting"
                                field="greeting"
                                maxlength=entity::profile::MAX_GREETING
                                value=p.greeting.clone().unwrap_or_default()
                                error
                            />
                            <SubmitButton
                                id="profile-submit"
                                label="Save"
                                pending_label="Saving…"
                                pending=action.pending()
                            />
                        </ActionForm>
                        <div class="profile-logo">
                            <h3>"Logo"</h3>
                            {upload}
                            {match logo {
                                Some(src) => view! {
                                    <img class="profile-logo-preview" id="profile-logo" src=src alt="Your logo" width="64" height="64" />
                                    <ActionForm action=remove attr:class="inline-form">
                                        <button type="submit" class="btn btn-secondary btn-small" id="logo-remove">"Remove logo"</button>
                                    </ActionForm>
                                }.into_any(),
                                None => view! { <p class="muted small" id="no-logo">"No logo yet."</p> }.into_any(),
                            }}
                            <form
                                method="post"
                                action="/app/profile/logo"
                                enctype="multipart/form-data"
                                class="form form-row"
                                id="logo-form"
                            >
                                <div class="field">
                                    <label for="logo-file">"PNG, JPEG or WebP, at most 256 KB"</label>
                                    <input id="logo-file" type="file" name="logo" accept="image/png,image/jpeg,image/webp" />
                                </div>
                                <div class="field field-action">
                                    <button type="submit" class="btn btn-primary" id="logo-upload">"Upload logo"</button>
                                </div>
                            </form>
                        </div>
                    }
                }
            />
        </Card>
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
