//! Small building blocks shared by the pages: form fields with their errors, alerts,
//! loading and error states, and the date formats.

use chrono::{DateTime, Utc};
use entity::types::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

/// The error of an action's last run, if it failed.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned()))
    })
}

/// Whether an action's last run succeeded.
pub fn action_succeeded<S>(action: ServerAction<S>) -> Signal<bool>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    Signal::derive(move || action.value().with(|v| matches!(v, Some(Ok(_)))))
}

/// A labelled input with its hint and, when the server refused it, its error underneath.
#[component]
pub fn Field(
    /// The visible label.
    label: &'static str,
    /// The input's `id` (stable for the label, tests and error references).
    id: &'static str,
    /// The form field name, i.e. the server function argument.
    name: &'static str,
    /// The field name the domain reports errors under.
    field: &'static str,
    /// The last error of the form's action.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// The input type.
    #[prop(default = "text")]
    input_type: &'static str,
    /// The `autocomplete` hint for browsers and password managers.
    #[prop(default = "off")]
    autocomplete: &'static str,
    /// A short help text under the label.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// Placeholder text.
    #[prop(optional)]
    placeholder: Option<&'static str>,
) -> impl IntoView {
    let message = move || error.with(|e| e.as_ref().and_then(|e| e.field(field)));
    let error_id = format!("{id}-error");
    let hint_id = hint.map(|_| format!("{id}-hint"));
    let described_by = match &hint_id {
        Some(h) => format!("{h} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field" class:has-error=move || message().is_some()>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id>{h}</p> })}
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                placeholder=placeholder
                aria-describedby=described_by
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
            />
            <FieldMessage id=error_id message=Signal::derive(message) />
        </div>
    }
}

/// The error line under a field (empty when the field is fine).
#[component]
pub fn FieldMessage(
    /// The `id` the input's `aria-describedby` points at.
    #[prop(into)]
    id: String,
    /// The message, if any.
    message: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! {
                <p class="field-error" id=id.clone()>
                    {m}
                </p>
            }
        })
    }
}

/// The message above a form when the error does not belong to one of its `fields`.
#[component]
pub fn FormAlert(
    /// The last error of the form's action.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// The domain field names the form shows next to their inputs.
    #[prop(optional)]
    fields: &'static [&'static str],
) -> impl IntoView {
    move || {
        error
            .with(|e| e.as_ref().and_then(|e| e.general(fields)))
            .map(|m| {
                view! {
                    <div class="alert alert-error" role="alert">
                        {m}
                    </div>
                }
            })
    }
}

/// A success message.
#[component]
pub fn SuccessAlert(children: Children) -> impl IntoView {
    view! {
        <div class="alert alert-success" role="status">
            {children()}
        </div>
    }
}

/// What a section shows while its data loads.
#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="loading" aria-live="polite">
            "Loading…"
        </p>
    }
}

/// What a section shows when its data could not be loaded.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    view! {
        <div class="alert alert-error" role="alert">
            {error.message}
        </div>
    }
}

/// A page's title block.
#[component]
pub fn PageHeader(
    title: &'static str,
    /// One sentence on what the page is for.
    #[prop(optional)]
    lead: Option<&'static str>,
) -> impl IntoView {
    view! {
        <header class="page-header">
            <h1>{title}</h1>
            {lead.map(|l| view! { <p class="lead">{l}</p> })}
        </header>
    }
}

/// A role as a badge.
#[component]
pub fn RoleBadge(role: Role) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", role.as_str())>{role_label(role)}</span> }
}

/// A role's name for people.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "Admin",
        Role::Agent => "Agent",
    }
}

/// What a role may do, for the invite form.
pub fn role_description(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner — full control, including roles",
        Role::Admin => "Admin — manages members, keys and settings",
        Role::Agent => "Agent — answers calls",
    }
}

/// A button that copies `text` to the clipboard and says whether that worked (in the
/// hydrated page; before hydration it does nothing, and the text stays selectable).
#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    text: String,
    /// What is copied, for screen readers: "Copy {what}".
    what: &'static str,
    /// The button's `id`, for tests.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    view! {
        <button
            type="button"
            class="btn btn-small copy-button"
            id=id
            aria-label=format!("Copy {what}")
            on:click=move |_| copy_to_clipboard(text.clone(), copied)
        >
            {move || match copied.get() {
                Some(true) => "Copied",
                Some(false) => "Select and copy by hand",
                None => "Copy",
            }}
        </button>
    }
}

/// Copies `text`, then records whether that worked.
pub(crate) fn copy_to_clipboard(text: String, copied: RwSignal<Option<bool>>) {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            copied.set(Some(false));
            return;
        };
        let promise = window.navigator().clipboard().write_text(&text);
        leptos::task::spawn_local(async move {
            let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            copied.set(Some(ok));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        copied.set(Some(false));
    }
}

/// A day, e.g. "Mar 4, 2025" (UTC, so server and browser render the same text).
pub fn date(t: &DateTime<Utc>) -> String {
    t.format("%b %-d, %Y").to_string()
}

/// A day and time, e.g. "Mar 4, 2025 14:05 UTC".
pub fn date_time(t: &DateTime<Utc>) -> String {
    t.format("%b %-d, %Y %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_are_short_and_utc() {
        let t = Utc.with_ymd_and_hms(2025, 3, 4, 14, 5, 0).single();
        assert_eq!(t.as_ref().map(date), Some("Mar 4, 2025".to_owned()));
        assert_eq!(
            t.as_ref().map(date_time),
            Some("Mar 4, 2025 14:05 UTC".to_owned())
        );
    }
}
