//! `/app/intents`: what callers pick before a call rings ("New order", "Complaint") and who
//! answers each — everyone, a team or one member — in the order the call page shows them.
//!
//! Everybody sees the list; owners and admins add, rename, re-route, reorder and delete
//! (the server checks every action again, so hiding a control is only a courtesy). Adding,
//! editing and deleting are forms (they work before hydration); moving up and down is a
//! button that needs the hydrated page. The actions are made once here, never inside a
//! `Transition`: a row re-rendered after an action must not read a disposed signal.

use entity::routing_setup::{IntentTarget, IntentView, TeamView, Uuid, MAX_INTENT_LABEL};
use entity::types::MemberView;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::{use_account, ManagersOnly};
use crate::api::{
    list_intents, list_members, list_teams, CreateIntent, DeleteIntent, ReorderIntents,
    UpdateIntent,
};
use crate::error::AppError;
use crate::ui::{
    action_error, saved, Card, ConfirmAction, EmptyState, ErrorSummary, Field, Loaded, PageHeader,
    SelectField, SubmitButton,
};

/// The page's actions and their state, shared by the rows.
#[derive(Clone, Copy)]
struct Controls {
    update: ServerAction<UpdateIntent>,
    delete: ServerAction<DeleteIntent>,
    reorder: ServerAction<ReorderIntents>,
    update_error: Signal<Option<AppError>>,
    update_pending: Signal<bool>,
    delete_pending: Signal<bool>,
    reorder_pending: Signal<bool>,
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
        update_error: action_error(update),
        update_pending: update.pending().into(),
        delete_pending: delete.pending().into(),
        reorder_pending: reorder.pending().into(),
    };
    let targets = Resource::new(
        || (),
        |_| async move {
            Ok::<_, AppError>(Targets {
                teams: list_teams().await?,
                members: list_members().await?,
            })
        },
    );
    let changes = [saved(create), saved(update), saved(delete), saved(reorder)];
    let intents = Resource::new(
        move || changes.map(|c| c.get()),
        move |_| async move {
            let manage = account.me.await?.business.role.can_manage();
            Ok((list_intents().await?, targets.await?, manage))
        },
    );
    let (delete_error, reorder_error) = (action_error(delete), action_error(reorder));
    let list_error = Signal::derive(move || delete_error.get().or_else(|| reorder_error.get()));

    view! {
        <Title text="Intents" />
        <PageHeader
            title="Intents"
            lead="What people call you about. Callers pick one on your call page, and the call rings whoever you chose for it."
        >
            <ManagersOnly>
                <a href="#add-intent-title" class="btn btn-primary page-action">
                    "Add an intent"
                </a>
            </ManagersOnly>
        </PageHeader>
        <ManagersOnly>
            <Loaded resource=targets view=move |targets| view! { <AddIntentCard create targets /> } />
        </ManagersOnly>
        <Card title="Your intents" id="intents-title">
            <ErrorSummary error=list_error />
            <Loaded
                resource=intents
                view=move |(list, targets, manage)| {
                    view! { <IntentList list targets manage controls /> }
                }
            />
        </Card>
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
            Some(option(IntentTarget::Member(id), m.name().to_owned()))
        })
        .collect_view();
    view! {
        {option(IntentTarget::Everyone, "Everyone (all members at once)".to_owned())}
        {(!targets.teams.is_empty()).then(|| view! { <optgroup label="Teams">{teams}</optgroup> })}
        <optgroup label="Members">{members}</optgroup>
    }
}

/// The label hint: what the caller reads, and how long it may be.
fn label_hint() -> String {
    format!("What the caller reads, like \u{201c}New order\u{201d} (at most {MAX_INTENT_LABEL} characters).")
}

/// The add form (managers).
#[component]
fn AddIntentCard(create: ServerAction<CreateIntent>, targets: Targets) -> impl IntoView {
    let error = action_error(create);
    view! {
        <Card title="Add an intent" id="add-intent-title">
            <ActionForm action=create attr:class="form form-row" attr:novalidate=true>
                <ErrorSummary
                    error
                    attempts=create.version()
                    fields=&[("label", "intent-label"), ("target", "intent-target")]
                />
                <Field
                    label="Label"
                    id="intent-label"
                    name="label"
                    field="label"
                    hint=label_hint()
                    maxlength=MAX_INTENT_LABEL
                    error
                />
                <SelectField label="Who answers" id="intent-target" name="target" field="target" error>
                    {target_options(&targets, IntentTarget::Everyone)}
                </SelectField>
                <div class="field field-action">
                    <SubmitButton
                        id="add-intent"
                        label="Add intent"
                        pending_label="Adding…"
                        pending=create.pending()
                    />
                </div>
            </ActionForm>
        </Card>
    }
}

/// Who an intent rings, for people.
fn target_label(i: &IntentView) -> String {
    match (i.target, &i.target_name) {
        (IntentTarget::Everyone, _) => "Everyone".to_owned(),
        (IntentTarget::Team(_), Some(name)) => format!("Team {name}"),
        (IntentTarget::Member(_), Some(name)) => name.clone(),
        (IntentTarget::Team(_), None) => "A team".to_owned(),
        (IntentTarget::Member(_), None) => "A member".to_owned(),
    }
}

/// A routing trap on an intent's target: a team with nobody in it (its calls ring
/// whoever of the business is available instead), or a member or team that is gone.
fn target_warning(i: &IntentView, targets: &Targets) -> Option<String> {
    let fallback = "its calls ring whoever is available instead";
    match i.target {
        IntentTarget::Everyone => None,
        IntentTarget::Team(id) => match targets.teams.iter().find(|t| t.id == id) {
            Some(t) if t.members.is_empty() => Some(format!(
                "Team {} has no members yet: {fallback}. Add people to it on the Teams page.",
                t.name
            )),
            Some(_) => None,
            None => Some(format!("This team no longer exists: {fallback}.")),
        },
        IntentTarget::Member(id) => {
            let id = id.to_string();
            (!targets.members.iter().any(|m| m.user_id == id))
                .then(|| format!("This person is no longer a member: {fallback}."))
        }
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
            <EmptyState id="no-intents">
                "No intents yet: callers are not asked why they call, and every call rings everyone."
            </EmptyState>
        });
    }
    let order: Vec<Uuid> = list.iter().map(|i| i.id).collect();
    let count = list.len();
    let rows = list
        .into_iter()
        .enumerate()
        .map(|(index, intent)| {
            let moves = Moves {
                up: moved(&order, index, true),
                down: moved(&order, index, false),
                first: index == 0,
                last: index + 1 == count,
            };
            view! { <IntentRow intent index moves targets=targets.clone() manage controls /> }
        })
        .collect_view();
    Either::Right(view! { <ol class="routing-list" id="intents-list">{rows}</ol> })
}

/// `order` with the item at `index` swapped with its neighbour above (`up`) or below.
fn moved(order: &[Uuid], index: usize, up: bool) -> Option<Vec<String>> {
    let other = if up { index.checked_sub(1)? } else { index + 1 };
    if other >= order.len() {
        return None;
    }
    let mut ids = order.to_vec();
    ids.swap(index, other);
    Some(ids.iter().map(Uuid::to_string).collect())
}

/// The orders one row's move buttons send.
#[derive(Clone)]
struct Moves {
    up: Option<Vec<String>>,
    down: Option<Vec<String>>,
    first: bool,
    last: bool,
}

/// One intent: its label and target; for managers, move, edit and delete.
#[component]
fn IntentRow(
    intent: IntentView,
    index: usize,
    moves: Moves,
    targets: Targets,
    manage: bool,
    controls: Controls,
) -> impl IntoView {
    let id = intent.id;
    let label = intent.label.clone();
    let summary = target_label(&intent);
    let warning = target_warning(&intent, &targets);
    let manager_view = manage.then(|| {
        let Controls {
            reorder,
            reorder_pending: pending,
            ..
        } = controls;
        let Moves {
            up,
            down,
            first,
            last,
        } = moves;
        view! {
            <div class="routing-actions">
                <button
                    type="button"
                    class="btn btn-small"
                    aria-label=format!("Move {label} up")
                    disabled=move || first || pending.get()
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
                    aria-label=format!("Move {label} down")
                    disabled=move || last || pending.get()
                    on:click=move |_| {
                        if let Some(ids) = down.clone() {
                            reorder.dispatch(ReorderIntents { ids });
                        }
                    }
                >
                    "↓"
                </button>
                <EditIntent intent=intent.clone() targets controls />
                <ConfirmAction
                    action=controls.delete
                    fields=vec![("id", id.to_string())]
                    label="Delete"
                    name=format!("Delete {label}")
                    question=format!("Delete \u{201c}{label}\u{201d}?")
                    detail="Callers will no longer see it. Calls already made keep their record."
                    confirm="Yes, delete it"
                    pending=controls.delete_pending
                />
            </div>
        }
    });
    view! {
        <li class="routing-item" data-intent=intent.label.clone()>
            <div class="routing-row">
                <span class="routing-position" aria-hidden="true">{index + 1}</span>
                <div class="routing-main">
                    <span class="routing-name">{intent.label.clone()}</span>
                    <span class="muted small">"Rings: " {summary}</span>
                    {warning.map(|w| view! { <span class="routing-warning small" role="note">{w}</span> })}
                </div>
                {manager_view}
            </div>
        </li>
    }
}

/// "Edit" opening the rename / re-route form of one intent.
#[component]
fn EditIntent(intent: IntentView, targets: Targets, controls: Controls) -> impl IntoView {
    let id = intent.id;
    let error = controls.update_error;
    view! {
        <details class="edit-disclosure">
            <summary class="btn btn-small" aria-label=format!("Edit {}", intent.label)>
                "Edit"
            </summary>
            <ActionForm action=controls.update attr:class="form form-row routing-edit" attr:novalidate=true>
                <ErrorSummary error />
                <input type="hidden" name="id" value=id.to_string() />
                <Field
                    label="Label"
                    id=format!("intent-edit-label-{id}")
                    name="label"
                    field="label"
                    value=intent.label.clone()
                    maxlength=MAX_INTENT_LABEL
                    error
                />
                <SelectField
                    label="Who answers"
                    id=format!("intent-edit-target-{id}")
                    name="target"
                    field="target"
                    error
                >
                    {target_options(&targets, intent.target)}
                </SelectField>
                <div class="field field-action">
                    <SubmitButton label="Save" pending_label="Saving…" pending=controls.update_pending />
                </div>
            </ActionForm>
        </details>
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
