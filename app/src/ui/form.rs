//! Form parts: labelled fields that show their own error, a submit button that says it is
//! working, and the error summary that tells a failed submit to everyone.
//!
//! Why the summary moves focus: after a failed submit the browser leaves focus on the
//! button (or, once the form re-renders, on `<body>`), so a keyboard or screen-reader user
//! hears nothing and has to hunt for what went wrong. The summary is a `role="alert"` box
//! (announced when it appears) listing every error, each linked to its field, and focus
//! goes to the first field marked `aria-invalid` — or to the summary itself when the
//! refusal is not about one field ("A business needs at least one owner.").
//!
//! Fields take their error from the form's error signal by the domain's field name
//! (`field`), which is how `entity` reports validation errors; the input's own `name` is
//! the server function's argument. The two often differ (`newPassword` / `new_password`).

use leptos::html;
use leptos::prelude::*;

use crate::error::AppError;

/// A labelled input with its hint and, when the server refused it, its error underneath.
#[component]
pub fn Field(
    /// The visible label.
    label: &'static str,
    /// The input's `id` (stable for the label, tests and error references).
    #[prop(into)]
    id: String,
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
    #[prop(optional, into)]
    hint: Option<String>,
    /// Placeholder text.
    #[prop(optional)]
    placeholder: Option<&'static str>,
    /// The value the input starts with (an edit form's current value).
    #[prop(optional, into)]
    value: Option<String>,
    /// The most characters the input takes.
    #[prop(optional)]
    maxlength: Option<usize>,
    /// The `inputmode` hint for on-screen keyboards.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// For forms that read the input themselves (a hydrated-only action).
    #[prop(optional)]
    node_ref: Option<NodeRef<html::Input>>,
) -> impl IntoView {
    let node_ref = node_ref.unwrap_or_default();
    let message = move || error.with(|e| e.as_ref().and_then(|e| e.field(field)));
    let error_id = format!("{id}-error");
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    let described_by = match &hint_id {
        Some(h) => format!("{h} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field" class:has-error=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id>{h}</p> })}
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                placeholder=placeholder
                value=value
                maxlength=maxlength.map(|n| n.to_string())
                inputmode=inputmode
                node_ref=node_ref
                aria-describedby=described_by
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
            />
            <FieldMessage id=error_id message=Signal::derive(message) />
        </div>
    }
}

/// A labelled `<textarea>` with its error underneath (a note, a greeting).
#[component]
pub fn TextAreaField(
    /// The visible label.
    label: &'static str,
    /// The textarea's `id`.
    #[prop(into)]
    id: String,
    /// The form field name, i.e. the server function argument.
    name: &'static str,
    /// The field name the domain reports errors under.
    field: &'static str,
    /// The last error of the form's action.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// The text it starts with.
    #[prop(optional, into)]
    value: Option<String>,
    /// The most characters it takes.
    #[prop(optional)]
    maxlength: Option<usize>,
    /// Its height in lines.
    #[prop(default = 3)]
    rows: usize,
) -> impl IntoView {
    let message = move || error.with(|e| e.as_ref().and_then(|e| e.field(field)));
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                rows=rows
                maxlength=maxlength.map(|n| n.to_string())
                aria-describedby=error_id.clone()
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
            >
                {value}
            </textarea>
            <FieldMessage id=error_id message=Signal::derive(message) />
        </div>
    }
}

/// A labelled `<select>` (its `<option>`s are the children) with its error underneath.
#[component]
pub fn SelectField(
    /// The visible label.
    label: &'static str,
    /// The select's `id`.
    #[prop(into)]
    id: String,
    /// The form field name, i.e. the server function argument.
    name: &'static str,
    /// The field name the domain reports errors under.
    field: &'static str,
    /// The last error of the form's action.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// The options.
    children: Children,
) -> impl IntoView {
    let message = move || error.with(|e| e.as_ref().and_then(|e| e.field(field)));
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <select
                id=id
                name=name
                aria-describedby=error_id.clone()
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
            >
                {children()}
            </select>
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

/// A form's submit button: disabled and relabelled ("Saving…") while the action runs.
#[component]
pub fn SubmitButton(
    /// What it does: "Save".
    label: &'static str,
    /// What it says while the action runs: "Saving…".
    pending_label: &'static str,
    /// Whether the action is running.
    #[prop(into)]
    pending: Signal<bool>,
    /// The button's `id`, for tests.
    #[prop(optional)]
    id: Option<&'static str>,
    /// Extra classes ("btn-block").
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    view! {
        <button
            id=id
            type="submit"
            class=format!("btn btn-primary {class}")
            disabled=move || pending.get()
        >
            {move || if pending.get() { pending_label } else { label }}
        </button>
    }
}

/// The errors of a failed submit, announced (`role="alert"`), each linked to its field;
/// focus moves to the first invalid field of the enclosing form, else to this summary.
/// Outside a form (a row action's refusal) it is the announcement and the focus target.
#[component]
pub fn ErrorSummary(
    /// The form's (or action's) current error.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// The fields the form shows, as (domain field, input id): their errors link there.
    #[prop(optional)]
    fields: &'static [(&'static str, &'static str)],
    /// Changes on every submit (the action's `version()`), so the same error twice still
    /// moves focus.
    #[prop(optional, into)]
    attempts: Option<Signal<usize>>,
) -> impl IntoView {
    let slot = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        if let Some(a) = attempts {
            a.track();
        }
        if error.with(Option::is_some) {
            focus_first_problem(slot);
        }
    });
    view! {
        <div class="error-summary-slot" node_ref=slot>
            {move || error.get().map(|e| summary(&e, fields))}
        </div>
    }
}

/// The summary box: one message as a paragraph, several as a list.
fn summary(e: &AppError, fields: &'static [(&'static str, &'static str)]) -> impl IntoView {
    let items: Vec<(Option<&'static str>, String)> = if e.fields.is_empty() {
        vec![(None, e.message.clone())]
    } else {
        e.fields
            .iter()
            .map(|f| {
                let target = fields
                    .iter()
                    .find(|(name, _)| *name == f.field)
                    .map(|(_, id)| *id);
                (target, f.message.clone())
            })
            .collect()
    };
    let body = if let [(None, message)] = items.as_slice() {
        view! { <p>{message.clone()}</p> }.into_any()
    } else {
        let count = items.len();
        let heading = if count == 1 {
            "Please fix this:".to_owned()
        } else {
            format!("Please fix these {count} things:")
        };
        let list = items
            .into_iter()
            .map(|(target, message)| match target {
                Some(id) => view! {
                    <li>
                        <a href=format!("#{id}")>{message}</a>
                    </li>
                }
                .into_any(),
                None => view! { <li>{message}</li> }.into_any(),
            })
            .collect_view();
        view! {
            <p class="error-summary-title">{heading}</p>
            <ul>{list}</ul>
        }
        .into_any()
    };
    view! {
        <div class="alert alert-error error-summary" role="alert" tabindex="-1">
            {body}
        </div>
    }
}

/// Focuses the first `aria-invalid` field of the form around `slot`, else the summary —
/// on the next frame, once the fields and the summary show the new error.
fn focus_first_problem(slot: NodeRef<html::Div>) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let Some(slot) = slot.try_get_untracked().flatten() else {
            return;
        };
        let invalid = slot.closest("form").ok().flatten().and_then(|form| {
            form.query_selector("[aria-invalid=\"true\"]")
                .ok()
                .flatten()
        });
        let target = invalid.or_else(|| slot.query_selector(".error-summary").ok().flatten());
        if let Some(el) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = slot;
}

/// A `<form>` reference that empties its form after each success of `action` (what was
/// created should not be created twice by accident); pass it as the form's `node_ref`.
pub fn reset_on_success<S>(action: ServerAction<S>) -> NodeRef<html::Form>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let form = NodeRef::<html::Form>::new();
    let done = super::saved(action);
    Effect::new(move |_| {
        if done.get() > 0 {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    form
}
