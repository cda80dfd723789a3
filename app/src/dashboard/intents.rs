//! `/app/intents`: what callers pick before a call rings ("New order", "Complaint") and who
//! answers each — everyone, a team or one member — in the order the call page shows them.
//!
//! Everybody sees the list; owners and admins add, rename, re-route, reorder and delete
//! (the server checks every action again, so hiding a control is only a courtesy).
//! The actions and the page's "which row is open" state are made once here, never inside
//! a `Transition`: a row re-rendered after an action must not read a disposed signal.

use entity::routing_setup::{
    IntentLabel, IntentTarget, IntentView, TeamView, Uuid, MAX_INTENT_LABEL,
};
use entity::types::MemberView;
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::use_account;
use crate::api::{
    list_intents, list_members, list_teams, CreateIntent, DeleteIntent, ReorderIntents,
    UpdateIntent,
};
use crate::error::AppError;
use crate::ui::{action_error, ErrorPanel, FieldMessage, FormAlert, Loading, PageHeader};

/// The page's actions and row state, shared by the rows.
#[derive(Clone, Copy)]
struct Controls {
    update: ServerAction<UpdateIntent>,
    delete: ServerAction<DeleteIntent>,
    reorder: ServerAction<ReorderIntents>,
    /// The intent whose edit form is open.
    editing: RwSignal<Option<Uuid>>,
    /// The intent whose delete confirmation is open.
    confirming: RwSignal<Option<Uuid>>,
    update_error: Signal<Option<AppError>>,
}

/// The teams and members a target can name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Targets {
    teams: Vec<TeamView>,
    members: Vec<MemberView>,
}

/// The intents page.
#[component]
pub fn IntentsPage() -> impl IntoView {
    let account = use_account();
    let create = ServerAction::<CreateIntent>::new();
    let update = ServerAction::<UpdateIntent>::new();
    let delete = ServerAction::<DeleteIntent>::new();
    let reorder = ServerAction::<ReorderIntents>::new();
    let controls = Controls {
        update,
        delete,
        reorder,
        editing: RwSignal::new(None),
        confirming: RwSignal::new(None),
        update_error: action_error(update),
    };
    let intents = Resource::new(
        move || {
            (
                create.version().get(),
                update.version().get(),
                delete.version().get(),
                reorder.version().get(),
            )
        },
        |_| list_intents(),
    );
    let targets = Resource::new(
        || (),
        |_| async move {
            Ok::<_, AppError>(Targets {
                teams: list_teams().await?,
                members: list_members().await?,
            })
        },
    );
    // A saved edit closes its form; a finished delete closes its confirmation.
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(_))) {
            controls.editing.set(None);
        }
    });
    Effect::new(move |_| {
        if delete.value().get().is_some() {
            controls.confirming.set(None);
        }
    });
    let delete_error = action_error(delete);
    let reorder_error = action_error(reorder);

    view! {
        <Title text="Intents" />
        <PageHeader
            title="Intents"
            lead="What people call you about. Callers pick one on your call page, and the call rings whoever you chose for it."
        />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match (account.me.await, targets.await) {
                    (Ok(me), Ok(targets)) if me.business.role.can_manage() => {
                        Some(Either::Left(view! { <AddIntentCard create targets /> }))
                    }
                    (Ok(_), Ok(_)) => None,
                    (Err(error), _) | (_, Err(error)) => {
                        Some(Either::Right(view! { <ErrorPanel error /> }))
                    }
                }
            })}
        </Transition>
        <section class="card" aria-labelledby="intents-title">
            <h2 id="intents-title">"Your intents"</h2>
            <FormAlert error=delete_error />
            <FormAlert error=reorder_error />
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let manage = matches!(
                        account.me.await, Ok(me) if me.business.role.can_manage()
                    );
                    match (intents.await, targets.await) {
                        (Ok(list), Ok(targets)) => {
                            Either::Left(view! { <IntentList list targets manage controls /> })
                        }
                        (Err(error), _) | (_, Err(error)) => {
                            Either::Right(view! { <ErrorPanel error /> })
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The `<option>`s of a target select: everyone, each team, each member.
fn target_options(targets: &Targets, selected: IntentTarget) -> impl IntoView {
    let option = |target: IntentTarget, label: String| {
        view! {
            <option value=target.choice() selected=target == selected>
                {label}
            </option>
        }
    };
    let teams = targets
        .teams
        .iter()
        .map(|t| option(IntentTarget::Team(t.id), t.name.clone()))
        .collect_view();
    let members = targets
        .members
        .iter()
        .filter_map(|m| {
            let id = Uuid::parse_str(&m.user_id).ok()?;
            Some(option(IntentTarget::Member(id), m.email.clone()))
        })
        .collect_view();
    view! {
        {option(IntentTarget::Everyone, "Everyone (all members at once)".to_owned())}
        {(!targets.teams.is_empty()).then(|| view! { <optgroup label="Teams">{teams}</optgroup> })}
        <optgroup label="Members">{members}</optgroup>
    }
}

/// The add form (managers).
#[component]
fn AddIntentCard(create: ServerAction<CreateIntent>, targets: Targets) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let select = NodeRef::<html::Select>::new();
    let pending = create.pending();
    let server_error = action_error(create);
    let local_error = RwSignal::new(None::<String>);
    let label_error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| server_error.get().and_then(|e| e.field("label")))
    });
    let target_error = Signal::derive(move || server_error.get().and_then(|e| e.field("target")));
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            if let Some(i) = input.get_untracked() {
                i.set_value("");
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let label = input.get_untracked().map(|i| i.value()).unwrap_or_default();
        let target = select
            .get_untracked()
            .map_or_else(|| "everyone".to_owned(), |s| s.value());
        match IntentLabel::parse(&label) {
            Ok(_) => {
                local_error.set(None);
                create.dispatch(CreateIntent { label, target });
            }
            Err(e) => local_error.set(Some(e.message)),
        }
    };
    view! {
        <section class="card" aria-labelledby="add-intent-title">
            <h2 id="add-intent-title">"Add an intent"</h2>
            <form
                class="form form-row"
                method="post"
                action=CreateIntent::url()
                novalidate
                on:submit=on_submit
            >
                <div class="field" class:has-error=move || label_error.get().is_some()>
                    <label for="intent-label">"Label"</label>
                    <p class="field-hint" id="intent-label-hint">
                        {format!("What the caller reads, like \u{201c}New order\u{201d} (at most {MAX_INTENT_LABEL} characters).")}
                    </p>
                    <input
                        id="intent-label"
                        data-testid="intent-label"
                        name="label"
                        type="text"
                        autocomplete="off"
                        maxlength=MAX_INTENT_LABEL.to_string()
                        aria-describedby="intent-label-hint intent-label-error"
                        aria-invalid=move || if label_error.get().is_some() { "true" } else { "false" }
                        node_ref=input
                        on:input=move |_| local_error.set(None)
                    />
                    <FieldMessage id="intent-label-error" message=label_error />
                </div>
                <div class="field" class:has-error=move || target_error.get().is_some()>
                    <label for="intent-target">"Who answers"</label>
                    <select
                        id="intent-target"
                        name="target"
                        aria-describedby="intent-target-error"
                        node_ref=select
                    >
                        {target_options(&targets, IntentTarget::Everyone)}
                    </select>
                    <FieldMessage id="intent-target-error" message=target_error />
                </div>
                <div class="field field-action">
                    <button
                        id="add-intent"
                        type="submit"
                        class="btn btn-primary"
                        disabled=move || pending.get()
                    >
                        {move || if pending.get() { "Adding…" } else { "Add intent" }}
                    </button>
                </div>
            </form>
            <FormAlert error=server_error fields=&["label", "target"] />
        </section>
    }
}

/// Who an intent rings, for people.
fn target_label(i: &IntentView) -> String {
    match (i.target, &i.target_name) {
        (IntentTarget::Everyone, _) => "Everyone".to_owned(),
        (IntentTarget::Team(_), Some(name)) => format!("Team {name}"),
        (IntentTarget::Member(_), Some(email)) => email.clone(),
        (IntentTarget::Team(_), None) => "A team".to_owned(),
        (IntentTarget::Member(_), None) => "A member".to_owned(),
    }
}

/// The intents in order, with the controls for managers.
#[component]
fn IntentList(
    list: Vec<IntentView>,
    targets: Targets,
    manage: bool,
    controls: Controls,
) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <p class="muted" id="no-intents">
                "No intents yet: callers are not asked why they call, and every call rings everyone."
            </p>
        });
    }
    let order: Vec<Uuid> = list.iter().map(|i| i.id).collect();
    let count = list.len();
    let rows = list
        .into_iter()
        .enumerate()
        .map(|(index, intent)| {
            view! {
                <IntentRow
                    intent
                    index
                    count
                    order=order.clone()
                    targets=targets.clone()
                    manage
                    controls
                />
            }
        })
        .collect_view();
    Either::Right(view! { <ol class="routing-list" id="intents-list">{rows}</ol> })
}

/// `order` with the item at `index` swapped with its neighbour `index + delta`.
fn moved(order: &[Uuid], index: usize, up: bool) -> Option<Vec<String>> {
    let other = if up { index.checked_sub(1)? } else { index + 1 };
    if other >= order.len() {
        return None;
    }
    let mut ids = order.to_vec();
    ids.swap(index, other);
    Some(ids.iter().map(Uuid::to_string).collect())
}

/// One intent: its label and target; for managers, move, edit and delete.
#[component]
fn IntentRow(
    intent: IntentView,
    index: usize,
    count: usize,
    order: Vec<Uuid>,
    targets: Targets,
    manage: bool,
    controls: Controls,
) -> impl IntoView {
    let id = intent.id;
    let label = intent.label.clone();
    let summary = target_label(&intent);
    let controls_view = manage.then(|| {
        let up = moved(&order, index, true);
        let down = moved(&order, index, false);
        let reorder = controls.reorder;
        let pending = reorder.pending();
        let up_label = format!("Move {label} up");
        let down_label = format!("Move {label} down");
        view! {
            <div class="routing-actions">
                <button
                    type="button"
                    class="btn btn-small"
                    aria-label=up_label
                    disabled=move || index == 0 || pending.get()
                    on:click=move |_| {
                        if let Some(ids) = up.clone() {
                            reorder.dispatch(ReorderIntents { ids });
                        }
                    }
                >
                    "↑"
                </button>
                <button
                    type="button"
                    class="btn btn-small"
                    aria-label=down_label
                    disabled=move || index + 1 == count || pending.get()
                    on:click=move |_| {
                        if let Some(ids) = down.clone() {
                            reorder.dispatch(ReorderIntents { ids });
                        }
                    }
                >
                    "↓"
                </button>
                <button
                    type="button"
                    class="btn btn-small"
                    aria-label=format!("Edit {label}")
                    aria-expanded=move || (controls.editing.get() == Some(id)).to_string()
                    on:click=move |_| {
                        controls.confirming.set(None);
                        controls.editing.set(Some(id));
                    }
                >
                    "Edit"
                </button>
                <button
                    type="button"
                    class="btn btn-danger btn-small"
                    aria-label=format!("Delete {label}")
                    on:click=move |_| {
                        controls.editing.set(None);
                        controls.confirming.set(Some(id));
                    }
                >
                    "Delete…"
                </button>
            </div>
        }
    });
    let editor = {
        let intent = intent.clone();
        move || {
            (controls.editing.get() == Some(id)).then(
                || view! { <EditIntent intent=intent.clone() targets=targets.clone() controls /> },
            )
        }
    };
    let confirm = {
        let label = intent.label.clone();
        move || {
            (controls.confirming.get() == Some(id)).then(|| {
                let delete = controls.delete;
                let pending = delete.pending();
                view! {
                    <div class="confirm-box" role="alertdialog" aria-labelledby=format!("confirm-delete-{id}")>
                        <p id=format!("confirm-delete-{id}")>
                            <strong>{format!("Delete \u{201c}{label}\u{201d}?")}</strong>
                            " Callers will no longer see it. Calls already made keep their record."
                        </p>
                        <div class="confirm-actions">
                            <button
                                type="button"
                                class="btn btn-danger"
                                disabled=move || pending.get()
                                on:click=move |_| {
                                    delete.dispatch(DeleteIntent { id: id.to_string() });
                                }
                            >
                                {move || if pending.get() { "Deleting…" } else { "Yes, delete it" }}
                            </button>
                            <button
                                type="button"
                                class="btn btn-ghost"
                                on:click=move |_| controls.confirming.set(None)
                            >
                                "Cancel"
                            </button>
                        </div>
                    </div>
                }
            })
        }
    };
    view! {
        <li class="routing-item" data-intent=intent.label.clone()>
            <div class="routing-row">
                <span class="routing-position" aria-hidden="true">{index + 1}</span>
                <div class="routing-main">
                    <span class="routing-name">{intent.label.clone()}</span>
                    <span class="muted small">"Rings: " {summary}</span>
                </div>
                {controls_view}
            </div>
            {editor}
            {confirm}
        </li>
    }
}

/// The inline rename / re-route form of one intent.
#[component]
fn EditIntent(intent: IntentView, targets: Targets, controls: Controls) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let select = NodeRef::<html::Select>::new();
    let update = controls.update;
    let pending = update.pending();
    let error = controls.update_error;
    let label_error = Signal::derive(move || error.get().and_then(|e| e.field("label")));
    let id = intent.id;
    let input_id = format!("intent-edit-label-{id}");
    let select_id = format!("intent-edit-target-{id}");
    let error_id = format!("intent-edit-label-error-{id}");
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let label = input.get_untracked().map(|i| i.value());
        let target = select.get_untracked().map(|s| s.value());
        update.dispatch(UpdateIntent {
            id: id.to_string(),
            label,
            target,
        });
    };
    view! {
        <form class="form form-row routing-edit" novalidate on:submit=on_submit>
            <FormAlert error fields=&["label"] />
            <div class="field" class:has-error=move || label_error.get().is_some()>
                <label for=input_id.clone()>"Label"</label>
                <input
                    id=input_id
                    type="text"
                    autocomplete="off"
                    maxlength=MAX_INTENT_LABEL.to_string()
                    value=intent.label.clone()
                    aria-describedby=error_id.clone()
                    aria-invalid=move || if label_error.get().is_some() { "true" } else { "false" }
                    node_ref=input
                />
                <FieldMessage id=error_id message=label_error />
            </div>
            <div class="field">
                <label for=select_id.clone()>"Who answers"</label>
                <select id=select_id node_ref=select>
                    {target_options(&targets, intent.target)}
                </select>
            </div>
            <div class="field field-action routing-edit-actions">
                <button type="submit" class="btn btn-primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Saving…" } else { "Save" }}
                </button>
                <button
                    type="button"
                    class="btn btn-ghost"
                    on:click=move |_| controls.editing.set(None)
                >
                    "Cancel"
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::moved;
    use entity::routing_setup::Uuid;

    #[test]
    fn moving_swaps_neighbours_and_stops_at_the_ends() {
        let ids: Vec<Uuid> = (1..=3).map(Uuid::from_u128).collect();
        let s = |v: &[Uuid]| v.iter().map(Uuid::to_string).collect::<Vec<_>>();
        assert_eq!(moved(&ids, 1, true), Some(s(&[ids[1], ids[0], ids[2]])));
        assert_eq!(moved(&ids, 1, false), Some(s(&[ids[0], ids[2], ids[1]])));
        assert_eq!(moved(&ids, 0, true), None);
        assert_eq!(moved(&ids, 2, false), None);
    }
}
