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
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{use_account, ManagersOnly};
use crate::api::{list_members, list_teams, CreateTeam, DeleteTeam, SetTeamMembers, UpdateTeam};
use crate::error::AppError;
use crate::ui::{
    action_error, reset_on_success, saved, Card, ConfirmAction, EmptyState, ErrorSummary, Field,
    PageHeader, SelectField, SubmitButton,
};

/// What the page loads: the teams, the members to pick from, and whether the viewer manages.
type TeamsData = (Vec<TeamView>, Vec<MemberView>, bool);

const STRATEGIES: [RingStrategy; 3] = [
    RingStrategy::Simultaneous,
    RingStrategy::RoundRobin,
    RingStrategy::LongestIdle,
];

/// The page's actions and their state, shared by the cards.
#[derive(Clone, Copy)]
struct Controls {
    update: ServerAction<UpdateTeam>,
    delete: ServerAction<DeleteTeam>,
    set_members: ServerAction<SetTeamMembers>,
    /// The team whose members were sent last (its card shows the outcome).
    members_team: RwSignal<Option<Uuid>>,
    update_error: Signal<Option<AppError>>,
    update_pending: Signal<bool>,
    delete_pending: Signal<bool>,
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
        members_team: RwSignal::new(None),
        update_error: action_error(update),
        update_pending: update.pending().into(),
        delete_pending: delete.pending().into(),
        members_error: action_error(set_members),
    };
    let changes = [
        saved(create),
        saved(update),
        saved(delete),
        saved(set_members),
    ];
    let teams = Resource::new(
        move || changes.map(|c| c.get()),
        move |_| async move {
            let manage = account.me.await?.business.role.can_manage();
            Ok((list_teams().await?, list_members().await?, manage))
        },
    );
    let delete_error = action_error(delete);

    view! {
        <Title text="Teams" />
        <PageHeader
            title="Teams"
            lead="Groups of members who answer calls together. Route an intent to a team on the Intents page."
        >
            <ManagersOnly>
                <a href="#create-team-title" class="btn btn-primary page-action">
                    "Create a team"
                </a>
            </ManagersOnly>
        </PageHeader>
        <ManagersOnly notice="Only owners and admins can create or change teams.">
            <CreateTeamCard create teams />
        </ManagersOnly>
        <section aria-labelledby="teams-title">
            <h2 id="teams-title" class="visually-hidden">"Your teams"</h2>
            <ErrorSummary error=delete_error />
            <crate::ui::Loaded
                resource=teams
                view=move |(list, members, manage)| {
                    view! { <TeamList list members manage controls /> }
                }
            />
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
) -> impl IntoView {
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
    let timeout = team.as_ref().map_or(DEFAULT_RING_TIMEOUT_SECS, |t| {
        i64::from(t.ring_timeout_secs)
    });
    view! {
        <Field
            label="Name"
            id=id("name")
            name="name"
            field="name"
            maxlength=MAX_TEAM_NAME
            value=team.as_ref().map(|t| t.name.clone()).unwrap_or_default()
            error
        />
        <SelectField label="Ring" id=id("strategy") name="strategy" field="strategy" error>
            {strategies}
        </SelectField>
        <Field
            label="Ring timeout (seconds)"
            id=id("timeout")
            name="ring_timeout_secs"
            field="ring_timeout_secs"
            input_type="number"
            inputmode="numeric"
            hint=format!("{MIN_RING_TIMEOUT_SECS} to {MAX_RING_TIMEOUT_SECS}; per member for one-at-a-time strategies.")
            value=timeout.to_string()
            error
        />
        <SelectField
            label="If nobody answers, ring"
            id=id("fallback")
            name="fallback_team_id"
            field="fallback_team_id"
            error
        >
            <option value="" selected=current_fallback.is_none()>
                "No other team"
            </option>
            {fallbacks}
        </SelectField>
    }
}

/// The (domain field, input id) pairs of a team form whose ids start with `prefix`.
fn team_field_ids(prefix: &str) -> &'static [(&'static str, &'static str)] {
    // The create form's ids are fixed; edit forms list errors without links.
    if prefix == "new-team" {
        &[
            ("name", "new-team-name"),
            ("ring_timeout_secs", "new-team-timeout"),
            ("fallback_team_id", "new-team-fallback"),
        ]
    } else {
        &[]
    }
}

/// The create form (managers).
#[component]
fn CreateTeamCard(
    create: ServerAction<CreateTeam>,
    teams: Resource<Result<TeamsData, AppError>>,
) -> impl IntoView {
    let error = action_error(create);
    let form = reset_on_success(create);
    view! {
        <Card title="Create a team" id="create-team-title">
            <ActionForm action=create node_ref=form attr:class="form form-row" attr:novalidate=true>
                <ErrorSummary error attempts=create.version() fields=team_field_ids("new-team") />
                <crate::ui::Loaded
                    resource=teams
                    view=move |(list, _, _)| {
                        view! { <TeamFields prefix="new-team".to_owned() team=None teams=list error /> }
                    }
                />
                <div class="field field-action">
                    <SubmitButton
                        id="create-team"
                        label="Create team"
                        pending_label="Creating…"
                        pending=create.pending()
                    />
                </div>
            </ActionForm>
        </Card>
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
                <EmptyState id="no-teams">
                    "No teams yet. Until you route an intent to a team, calls ring every member at once."
                </EmptyState>
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
                    .map(|m| view! { <li>{m.name().to_owned()}</li> })
                    .collect_view()}
            </ul>
        })
    };
    let manager_view = manage.then(|| {
        let name = team.name.clone();
        let edited = team.clone();
        let staffed = team.clone();
        view! {
            <div class="routing-actions">
                <details class="edit-disclosure">
                    <summary class="btn btn-small" aria-label=format!("Edit team {name}")>
                        "Edit"
                    </summary>
                    <ActionForm action=controls.update attr:class="form form-row routing-edit" attr:novalidate=true>
                        <ErrorSummary error=controls.update_error />
                        <input type="hidden" name="id" value=id.to_string() />
                        <TeamFields
                            prefix=format!("team-{id}")
                            team=Some(edited)
                            teams
                            error=controls.update_error
                        />
                        <div class="field field-action">
                            <SubmitButton label="Save" pending_label="Saving…" pending=controls.update_pending />
                        </div>
                    </ActionForm>
                </details>
                <ConfirmAction
                    action=controls.delete
                    fields=vec![("id", id.to_string())]
                    label="Delete"
                    name=format!("Delete team {name}")
                    question=format!("Delete team {name}?")
                    detail="Its members stay in the business; teams that fell back to it stop there. Intents that route to it must be pointed elsewhere first."
                    confirm="Yes, delete it"
                    pending=controls.delete_pending
                />
            </div>
            <MembersForm team=staffed members=members.clone() controls />
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
                    <label for=box_id>{m.name().to_owned()}</label>
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
            <ErrorSummary error />
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
