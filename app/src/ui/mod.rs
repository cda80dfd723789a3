//! The dashboard's building blocks, so that a list page is a few lines of what is particular
//! to it and none of the markup every list page repeats.
//!
//! - [`page`]: the page header with its primary action, cards, empty states, notices, and
//!   [`page::Loaded`] for "loading / failed / here it is".
//! - [`table`]: [`DataTable`], a table that stays a table on a laptop and turns into
//!   labelled cards where it would not fit (a phone, a narrow window) — never a sideways
//!   scroll.
//! - [`actions`]: row actions — [`RowAction`] (one button, one server function) and
//!   [`ConfirmAction`] (destructive: "Remove…" opens "Are you sure?" first). Both are plain
//!   forms, so they work before the page is hydrated and without JavaScript.
//! - [`form`]: [`Field`], [`SelectField`], [`SubmitButton`] (with its pending label) and
//!   [`ErrorSummary`], which lists a failed submit's errors in a `role="alert"` box and
//!   moves focus to the first invalid field (or to itself when no field is to blame).
//!
//! A new list page (contacts, schedules, callbacks, webhooks) is then, in outline:
//!
//! ```ignore
//! #[component]
//! pub fn WebhooksPage() -> impl IntoView {
//!     let add = ServerAction::<AddWebhook>::new();
//!     let remove = ServerAction::<RemoveWebhook>::new();
//!     let hooks = Resource::new(move || (add.version().get(), remove.version().get()),
//!                               |_| list_webhooks());
//!     let error = action_error(add);
//!     view! {
//!         <PageHeader title="Webhooks" lead="Where we send your events."
//!                     action=("#add-webhook-title", "Add a webhook") />
//!         <Card title="Add a webhook" id="add-webhook-title">
//!             <ActionForm action=add attr:class="form form-row" attr:novalidate=true>
//!                 <ErrorSummary error attempts=add.version() fields=&[("url", "hook-url")] />
//!                 <Field label="URL" id="hook-url" name="url" field="url" error />
//!                 <SubmitButton label="Add" pending_label="Adding…" pending=add.pending() />
//!             </ActionForm>
//!         </Card>
//!         <Card title="Endpoints" id="hooks-title">
//!             <ErrorSummary error=action_error(remove) />
//!             <Loaded resource=hooks view=move |list: Vec<WebhookView>| {
//!                 if list.is_empty() {
//!                     return view! { <EmptyState id="no-hooks">"No webhooks yet."</EmptyState> }
//!                         .into_any();
//!                 }
//!                 let rows = list.into_iter().map(|h| Row::new(vec![
//!                     view! { {h.url.clone()} }.into_any(),
//!                     view! { <ConfirmAction action=remove fields=vec![("id", h.id.clone())]
//!                                 label="Remove" name=format!("Remove {}", h.url)
//!                                 question=format!("Stop sending events to {}?", h.url)
//!                                 confirm="Yes, remove it" /> }.into_any(),
//!                 ])).collect();
//!                 view! { <DataTable id="hooks-table" columns=HOOK_COLUMNS.to_vec() rows /> }
//!                     .into_any()
//!             } />
//!         </Card>
//!     }
//! }
//! ```
//!
//! Reactive values a row reads (pending flags, "which row is open") are made by the page,
//! never inside a [`page::Loaded`]: a `Transition` keeps showing old rows while new ones
//! load, after the old rows' own values are disposed.

pub mod actions;
pub mod form;
pub mod page;
pub mod table;

pub use actions::{ConfirmAction, RowAction};
pub use form::{
    reset_on_success, ErrorSummary, Field, FieldMessage, SelectField, SubmitButton, TextAreaField,
};
pub use page::{Card, EmptyState, Loaded, Notice, PageHeader};
pub use table::{Column, DataTable, Row};

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

/// How many times an action has succeeded: the source of the resources it changes. A
/// refusal changes nothing, so it reloads nothing — an open form keeps what was typed,
/// and its errors stay next to it.
pub fn saved<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    Memo::new(move |before: Option<&usize>| {
        let n = before.copied().unwrap_or(0);
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            n + 1
        } else {
            n
        }
    })
}

/// What an action's last successful run returned.
pub fn action_output<S>(action: ServerAction<S>) -> Signal<Option<S::Output>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::ok))
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
