//! `/app/teams`: groups of members who answer calls together — how they are rung (all at
//! once, round-robin, longest idle first), for how long, and which team rings next when
//! nobody answers.
//!
//! Everybody sees the teams; owners and admins create, edit, staff and delete them (the
//! server checks every action again). The actions and the "which team is open" state are
//! made once here, never inside a `Transition`, so no re-rendered card reads a disposed
//! signal after an action.

use std::collections::HashSet;

use entity::calls::RingStrategy;
use entity::routing_setup::rules::strategy_label;
use entity::routing_setup::{
    TeamView, Uuid, DEFAULT_RING_TIMEOUT_SECS, MAX_RING_TIMEOUT_SECS, MAX_TEAM_NAME,
    MIN_RING_TIMEOUT_SECS,
};
use entity::types::MemberView;
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use super::use_account;
use crate::api::{list_members, list_teams, CreateTeam, DeleteTeam, SetTeamMembers, UpdateTeam};
use crate::error::AppError;
use crate::ui::{action_error, ErrorPanel, FieldMessage, FormAlert, Loading, PageHeader};

const STRATEGIES: [RingStrategy; 3] = [
    RingStrategy::Simultaneous,
    RingStrategy::RoundRobin,
    RingStrategy::LongestIdle,
];

/// The page's actions and card state, shared by the cards.
#[derive(Clone, Copy)]
struct Controls {
    update: ServerAction<UpdateTeam>,
    delete: ServerAction<DeleteTeam>,
    set_members: ServerAction<SetTeamMembers>,
    /// The team whose settings form is open.
    editing: RwSignal<Option<Uuid>>,
    /// The team whose delete confirmation is open.
    confirming: RwSignal<Option<Uuid>>,
    /// The team whose members were sent last (its card shows the outcome).
    members_team: RwSignal<Option<Uuid>>,
    update_error: Signal<Option<AppError>>,
    members_error: Signal<Option<AppError>>,
}

/// The teams page.
#[component]
pub fn TeamsPage() -> impl IntoView {
    let account = use_account();
    let create = ServerAction::<CreateTeam>::new();
    let update = ServerAction::<UpdateTeam>::new();
    let delete = ServerAction::<DeleteTeam>::new();
    let set_members = ServerAction::<SetTeamMembers>::new();
    let controls = Controls {
        update,
        delete,
        set_members,
        editing: RwSignal::new(None),
        confirming: RwSignal::new(None),
        members_team: RwSignal::new(None),
        update_error: action_error(update),
        members_error: action_error(set_members),
    };
    let teams = Resource::new(
        move || {
            (
                create.version().get(),
                update.version().get(),
                delete.version().get(),
                set_members.version().get(),
            )
        },
        |_| list_teams(),
    );
    let members = Resource::new(|| (), |_| list_members());
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(_))) {
            controls.editing.set(None);
        }
    });
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(()))) {
            controls.confirming.set(None);
        }
    });
    let delete_error = action_error(delete);

    view! {
        <Title text="Teams" />
        <PageHeader
            title="Teams"
            lead="Groups of members who answer calls together. Route an intent to a team on the Intents page."
        />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match (account.me.await, teams.await) {
                    (Ok(me), Ok(list)) if me.business.role.can_manage() => {
                        Some(Either::Left(view! { <CreateTeamCard create teams=list /> }))
                    }
                    (Ok(_), Ok(_)) => {
                        Some(Either::Right(view! {
                            <p class="alert alert-info" role="status">
                                "Only owners and admins can create or change teams."
                            </p>
                        }))
                    }
                    (Err(_), _) | (_, Err(_)) => None,
                }
            })}
        </Transition>
        <section aria-labelledby="teams-title">
            <h2 id="teams-title" class="visually-hidden">"Your teams"</h2>
            <FormAlert error=delete_error />
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let manage = matches!(
                        account.me.await, Ok(me) if me.business.role.can_manage()
                    );
                    match (teams.await, members.await) {
                        (Ok(list), Ok(members)) => {
                            Either::Left(view! { <TeamList list members manage controls /> })
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

/// The settings fields shared by the create and edit forms.
#[component]
fn TeamFields(
    /// Prefix of the inputs' ids (unique per form).
    prefix: String,
    /// The team being edited (`None`: a new one).
    team: Option<TeamView>,
    /// Every team of the business (the fallback choices).
    teams: Vec<TeamView>,
    error: Signal<Option<AppError>>,
    name: NodeRef<html::Input>,
    strategy: NodeRef<html::Select>,
    timeout: NodeRef<html::Input>,
    fallback: NodeRef<html::Select>,
) -> impl IntoView {
    let field = move |f: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(f)));
    let name_error = field("name");
    let timeout_error = field("ring_timeout_secs");
    let fallback_error = field("fallback_team_id");
    let id = |s: &str| format!("{prefix}-{s}");
    let own_id = team.as_ref().map(|t| t.id);
    let current_strategy = team
        .as_ref()
        .map_or(RingStrategy::Simultaneous, |t| t.strategy);
    let current_fallback = team.as_ref().and_then(|t| t.fallback_team_id);
    let strategies = STRATEGIES
        .into_iter()
        .map(|s| {
            view! {
                <option value=s.as_str() selected=s == current_strategy>
                    {strategy_label(s)}
                </option>
            }
        })
        .collect_view();
    let fallbacks = teams
        .into_iter()
        .filter(|t| Some(t.id) != own_id)
        .map(|t| {
            view! {
                <option value=t.id.to_string() selected=Some(t.id) == current_fallback>
                    {t.name}
                </option>
            }
        })
        .collect_view();
    let (name_id, strategy_id, timeout_id, fallback_id) =
        (id("name"), id("strategy"), id("timeout"), id("fallback"));
    let (name_err_id, timeout_err_id, fallback_err_id) =
        (id("name-error"), id("timeout-error"), id("fallback-error"));
    let timeout_hint_id = id("timeout-hint");
    view! {
        <div class="field" class:has-error=move || name_error.get().is_some()>
            <label for=name_id.clone()>"Name"</label>
            <input
                id=name_id
                name="name"
                type="text"
                autocomplete="off"
                maxlength=MAX_TEAM_NAME.to_string()
                value=team.as_ref().map(|t| t.name.clone()).unwrap_or_default()
                aria-describedby=name_err_id.clone()
                aria-invalid=move || if name_error.get().is_some() { "true" } else { "false" }
                node_ref=name
            />
            <FieldMessage id=name_err_id message=name_error />
        </div>
        <div class="field">
            <label for=strategy_id.clone()>"Ring"</label>
            <select id=strategy_id name="strategy" node_ref=strategy>
                {strategies}
            </select>
        </div>
        <div class="field field-narrow" class:has-error=move || timeout_error.get().is_some()>
            <label for=timeout_id.clone()>"Ring timeout (seconds)"</label>
            <p class="field-hint" id=timeout_hint_id.clone()>
                {format!("{MIN_RING_TIMEOUT_SECS} to {MAX_RING_TIMEOUT_SECS}; per member for one-at-a-time strategies.")}
            </p>
            <input
                id=timeout_id
                name="ring_timeout_secs"
                type="number"
                inputmode="numeric"
                min=MIN_RING_TIMEOUT_SECS.to_string()
                max=MAX_RING_TIMEOUT_SECS.to_string()
                value=team
                    .as_ref()
                    .map_or(DEFAULT_RING_TIMEOUT_SECS, |t| i64::from(t.ring_timeout_secs))
                    .to_string()
                aria-describedby=format!("{timeout_hint_id} {timeout_err_id}")
                aria-invalid=move || if timeout_error.get().is_some() { "true" } else { "false" }
                node_ref=timeout
            />
            <FieldMessage id=timeout_err_id message=timeout_error />
        </div>
        <div class="field" class:has-error=move || fallback_error.get().is_some()>
            <label for=fallback_id.clone()>"If nobody answers, ring"</label>
            <select
                id=fallback_id
                name="fallback_team_id"
                aria-describedby=fallback_err_id.clone()
                node_ref=fallback
            >
                <option value="" selected=current_fallback.is_none()>
                    "No other team"
                </option>
                {fallbacks}
            </select>
            <FieldMessage id=fallback_err_id message=fallback_error />
        </div>
    }
}

/// The values of a settings form.
fn read_fields(
    name: NodeRef<html::Input>,
    strategy: NodeRef<html::Select>,
    timeout: NodeRef<html::Input>,
    fallback: NodeRef<html::Select>,
) -> (String, String, String, Option<String>) {
    (
        name.get_untracked().map(|i| i.value()).unwrap_or_default(),
        strategy.get_untracked().map_or_else(
            || RingStrategy::Simultaneous.as_str().to_owned(),
            |s| s.value(),
        ),
        timeout
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default(),
        fallback
            .get_untracked()
            .map(|s| s.value())
            .filter(|v| !v.is_empty()),
    )
}

/// The create form (managers).
#[component]
fn CreateTeamCard(create: ServerAction<CreateTeam>, teams: Vec<TeamView>) -> impl IntoView {
    let (name, strategy, timeout, fallback) = (
        NodeRef::<html::Input>::new(),
        NodeRef::<html::Select>::new(),
        NodeRef::<html::Input>::new(),
        NodeRef::<html::Select>::new(),
    );
    let pending = create.pending();
    let error = action_error(create);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (name_v, strategy_v, timeout_v, fallback_v) =
            read_fields(name, strategy, timeout, fallback);
        create.dispatch(CreateTeam {
            name: name_v,
            strategy: strategy_v,
            ring_timeout_secs: timeout_v,
            fallback_team_id: fallback_v,
        });
    };
    view! {
        <section class="card" aria-labelledby="create-team-title">
            <h2 id="create-team-title">"Create a team"</h2>
            <form class="form form-row" novalidate on:submit=on_submit>
                <FormAlert error fields=&["name", "ring_timeout_secs", "fallback_team_id"] />
                <TeamFields
                    prefix="new-team".to_owned()
                    team=None
                    teams
                    error
                    name
                    strategy
                    timeout
                    fallback
                />
                <div class="field field-action">
                    <button
                        id="create-team"
                        type="submit"
                        class="btn btn-primary"
                        disabled=move || pending.get()
                    >
                        {move || if pending.get() { "Creating…" } else { "Create team" }}
                    </button>
                </div>
            </form>
        </section>
    }
}

/// Every team as a card.
#[component]
fn TeamList(
    list: Vec<TeamView>,
    members: Vec<MemberView>,
    manage: bool,
    controls: Controls,
) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <section class="card">
                <p class="muted" id="no-teams">
                    "No teams yet. Until you route an intent to a team, calls ring every member at once."
                </p>
            </section>
        });
    }
    let cards = list
        .iter()
        .cloned()
        .map(|team| {
            view! {
                <TeamCard team teams=list.clone() members=members.clone() manage controls />
            }
        })
        .collect_view();
    Either::Right(view! { <div class="team-cards" id="teams-list">{cards}</div> })
}

/// One team: its settings and members; for managers, edit, staff and delete.
#[component]
fn TeamCard(
    team: TeamView,
    teams: Vec<TeamView>,
    members: Vec<MemberView>,
    manage: bool,
    controls: Controls,
) -> impl IntoView {
    let id = team.id;
    let title_id = format!("team-{id}-title");
    let labelled_by = title_id.clone();
    let fallback = team
        .fallback_team_name
        .clone()
        .map_or_else(|| "nobody else".to_owned(), |n| format!("team {n}"));
    let summary = format!(
        "{} · {} s · then {}",
        strategy_label(team.strategy),
        team.ring_timeout_secs,
        fallback
    );
    let member_list = if team.members.is_empty() {
        Either::Left(view! { <p class="muted small">"No members yet."</p> })
    } else {
        Either::Right(view! {
            <ul class="team-members">
                {team
                    .members
                    .iter()
                    .map(|m| view! { <li>{m.email.clone()}</li> })
                    .collect_view()}
            </ul>
        })
    };
    let manager_view = manage.then(|| {
        let name = team.name.clone();
        let edit_team = team.clone();
        let staff_team = team.clone();
        let confirm_name = team.name.clone();
        view! {
            <div class="routing-actions">
                <button
                    type="button"
                    class="btn btn-small"
                    aria-label=format!("Edit team {name}")
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
                    aria-label=format!("Delete team {name}")
                    on:click=move |_| {
                        controls.editing.set(None);
                        controls.confirming.set(Some(id));
                    }
                >
                    "Delete…"
                </button>
            </div>
            {move || {
                (controls.editing.get() == Some(id))
                    .then(|| view! { <EditTeam team=edit_team.clone() teams=teams.clone() controls /> })
            }}
            {move || {
                (controls.confirming.get() == Some(id))
                    .then(|| view! { <ConfirmDelete id name=confirm_name.clone() controls /> })
            }}
            <MembersForm team=staff_team members=members.clone() controls />
        }
    });
    view! {
        <section class="card team-card" aria-labelledby=labelled_by data-team=team.name.clone()>
            <div class="routing-row">
                <div class="routing-main">
                    <h3 id=title_id class="routing-name">{team.name.clone()}</h3>
                    <span class="muted small">{summary}</span>
                </div>
            </div>
            {if manage { None } else { Some(member_list) }}
            {manager_view}
        </section>
    }
}

/// The inline settings form of one team.
#[component]
fn EditTeam(team: TeamView, teams: Vec<TeamView>, controls: Controls) -> impl IntoView {
    let (name, strategy, timeout, fallback) = (
        NodeRef::<html::Input>::new(),
        NodeRef::<html::Select>::new(),
        NodeRef::<html::Input>::new(),
        NodeRef::<html::Select>::new(),
    );
    let update = controls.update;
    let pending = update.pending();
    let error = controls.update_error;
    let id = team.id;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (name_v, strategy_v, timeout_v, fallback_v) =
            read_fields(name, strategy, timeout, fallback);
        update.dispatch(UpdateTeam {
            id: id.to_string(),
            name: name_v,
            strategy: strategy_v,
            ring_timeout_secs: timeout_v,
            fallback_team_id: fallback_v,
        });
    };
    view! {
        <form class="form form-row routing-edit" novalidate on:submit=on_submit>
            <FormAlert error fields=&["name", "ring_timeout_secs", "fallback_team_id"] />
            <TeamFields
                prefix=format!("team-{id}")
                team=Some(team)
                teams
                error
                name
                strategy
                timeout
                fallback
            />
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

/// "Delete team X?" with what happens.
#[component]
fn ConfirmDelete(id: Uuid, name: String, controls: Controls) -> impl IntoView {
    let delete = controls.delete;
    let pending = delete.pending();
    let text_id = format!("confirm-delete-team-{id}");
    let labelled_by = text_id.clone();
    view! {
        <div class="confirm-box" role="alertdialog" aria-labelledby=labelled_by>
            <p id=text_id>
                <strong>{format!("Delete team {name}?")}</strong>
                " Its members stay in the business; teams that fell back to it stop there. Intents that route to it must be pointed elsewhere first."
            </p>
            <div class="confirm-actions">
                <button
                    type="button"
                    class="btn btn-danger"
                    disabled=move || pending.get()
                    on:click=move |_| {
                        delete.dispatch(DeleteTeam { id: id.to_string() });
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
}

/// The business's members as checkboxes; saving makes the checked ones the team.
#[component]
fn MembersForm(team: TeamView, members: Vec<MemberView>, controls: Controls) -> impl IntoView {
    let id = team.id;
    let set_members = controls.set_members;
    let pending = set_members.pending();
    // Only this card's own closures read it.
    let checked = RwSignal::new(
        team.members
            .iter()
            .map(|m| m.user_id.to_string())
            .collect::<HashSet<String>>(),
    );
    let order: Vec<String> = members.iter().map(|m| m.user_id.clone()).collect();
    let mine = move || controls.members_team.get() == Some(id);
    let error = Signal::derive(move || controls.members_error.get().filter(|_| mine()));
    let saved = move || mine() && matches!(set_members.value().get(), Some(Ok(_)));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let chosen = checked.with_untracked(|c| {
            order
                .iter()
                .filter(|u| c.contains(*u))
                .cloned()
                .collect::<Vec<_>>()
        });
        controls.members_team.set(Some(id));
        set_members.dispatch(SetTeamMembers {
            id: id.to_string(),
            user_ids: chosen,
        });
    };
    let boxes = members
        .into_iter()
        .map(|m| {
            let user = m.user_id.clone();
            let box_id = format!("team-{id}-member-{}", m.user_id);
            let is_checked = checked.with_untracked(|c| c.contains(&user));
            view! {
                <li>
                    <input
                        type="checkbox"
                        id=box_id.clone()
                        value=m.user_id.clone()
                        checked=is_checked
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            checked.update(|c| {
                                if on {
                                    c.insert(user.clone());
                                } else {
                                    c.remove(&user);
                                }
                            });
                        }
                    />
                    <label for=box_id>{m.email.clone()}</label>
                </li>
            }
        })
        .collect_view();
    let legend = format!("Members of {}", team.name);
    view! {
        <form class="form team-members-form" novalidate on:submit=on_submit>
            <fieldset>
                <legend>{legend}</legend>
                <ul class="checkbox-list">{boxes}</ul>
            </fieldset>
            <FormAlert error />
            {move || {
                saved()
                    .then(|| view! { <p class="muted small" role="status">"Members saved."</p> })
            }}
            <div>
                <button type="submit" class="btn btn-small" disabled=move || pending.get()>
                    {move || if pending.get() { "Saving…" } else { "Save members" }}
                </button>
            </div>
        </form>
    }
}
