//! `/app/callbacks`: callers nobody could answer who asked to be called back — who, about
//! what, since when — with "call back now" (the caller gets an email with a link that
//! rings the member who pressed it), "mark done", "waiting again" and "cancel". The filter
//! (`?status=`) is a plain link, so it works before the page hydrates; so is the week view
//! (`?view=week`, [`CallbackWeek`]). A booked callback
//! shows its time; owners and admins set how those times are cut ([`SlotPolicyCard`]).

use entity::callbacks::calendar_links::{self, CalendarEntry};
use entity::callbacks::{CallbackStatus, CallbackView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::calendar_feed::CalendarFeedCard;
use super::callback_slots::SlotPolicyCard;
use super::callback_week::CallbackWeek;
use super::ManagersOnly;
use crate::api::{
    list_callbacks, list_members, AssignCallback, CallBackNow, RescheduleCallback,
    SetCallbackStatus,
};
use crate::error::AppError;
use crate::pages::call::slots::SlotPicker;
use crate::ui::{
    action_error, action_output, date_time, Card, Column, ConfirmAction, DataTable, EmptyState,
    ErrorSummary, Loaded, PageHeader, Row, RowAction,
};
use entity::types::MemberView;
use leptos::form::ActionForm;

/// The row actions.
#[derive(Clone, Copy)]
struct Actions {
    call: ServerAction<CallBackNow>,
    status: ServerAction<SetCallbackStatus>,
    assign: ServerAction<AssignCallback>,
    reschedule: ServerAction<RescheduleCallback>,
    /// The callback whose "Move to…" picker is open (one at a time).
    moving: RwSignal<Option<String>>,
}

/// The filters: the open callbacks, or one closed status.
const FILTERS: [(&str, &str); 4] = [
    ("open", "Open"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
    ("expired", "Expired"),
];

/// The callbacks page.
#[component]
pub fn CallbacksPage() -> impl IntoView {
    let actions = Actions {
        call: ServerAction::new(),
        status: ServerAction::new(),
        assign: ServerAction::new(),
        reschedule: ServerAction::new(),
        moving: RwSignal::new(None),
    };
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query
            .with(|q| q.get("status"))
            .filter(|s| FILTERS.iter().any(|(f, _)| f == s))
            .unwrap_or_else(|| "open".to_owned())
    });
    let week_mode = Memo::new(move |_| query.with(|q| q.get("view")).as_deref() == Some("week"));
    let week = Memo::new(move |_| query.with(|q| q.get("week")));
    let list = Resource::new(
        move || {
            (
                filter.get(),
                actions.call.version().get(),
                actions.status.version().get(),
                actions.assign.version().get(),
                actions.reschedule.version().get(),
            )
        },
        |(status, _, _, _, _)| async move {
            let list = list_callbacks(Some(status)).await?;
            // Who can be assigned (the form shows "Nobody" alone if this fails).
            let members = list_members().await.unwrap_or_default();
            Ok::<_, AppError>((list, members))
        },
    );
    let errors = [
        action_error(actions.call),
        action_error(actions.status),
        action_error(actions.assign),
        action_error(actions.reschedule),
    ];
    // A move that worked closes its picker.
    let moved = action_output(actions.reschedule);
    Effect::new(move |_| {
        if moved.with(Option::is_some) {
            actions.moving.set(None);
        }
    });
    let error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    let called = action_output(actions.call);
    view! {
        <Title text="Callbacks" />
        <PageHeader
            title="Callbacks"
            lead="Callers nobody could answer who asked you to call them back."
        />
        <nav class="filter-tabs" aria-label="Show callbacks">
            {FILTERS
                .into_iter()
                .map(|(value, label)| {
                    let current = move || !week_mode.get() && filter.get() == value;
                    view! {
                        <a
                            class="filter-tab"
                            href=format!("/app/callbacks?status={value}")
                            aria-current=move || current().then_some("page")
                        >
                            {label}
                        </a>
                    }
                })
                .collect_view()}
            <a
                class="filter-tab"
                href="/app/callbacks?view=week"
                aria-current=move || week_mode.get().then_some("page")
            >
                "Week"
            </a>
        </nav>
        <Show when=move || week_mode.get()>
            <Card title="Booked times" id="week-card-title">
                <CallbackWeek week />
            </Card>
        </Show>
        <Show when=move || !week_mode.get()>
        <Card title="Requests" id="callbacks-title">
            <ErrorSummary error />
            {move || {
                called
                    .get()
                    .map(|c| {
                        view! {
                            <p class="alert alert-success" role="status" id="callback-called">
                                "We emailed " {c.email.clone()}
                                " a link to join the call. Keep this tab open: the call rings here when they open it."
                            </p>
                        }
                    })
            }}
            <Loaded
                resource=list
                view={move |(list, members): (Vec<CallbackView>, Vec<MemberView>)| {
                    view! { <CallbacksTable list members actions /> }
                }}
            />
        </Card>
        </Show>
        <CalendarFeedCard />
        <ManagersOnly>
            <SlotPolicyCard />
        </ManagersOnly>
    }
}

const COLUMNS: [Column; 6] = [
    Column::new("Caller").class("wrap"),
    Column::new("About").class("wrap"),
    Column::new("Note").class("wrap"),
    Column::new("Asked").class("nowrap"),
    Column::new("Status"),
    Column::actions(),
];

fn badge(status: CallbackStatus) -> &'static str {
    match status {
        CallbackStatus::Pending | CallbackStatus::Scheduled => "badge badge-warning",
        CallbackStatus::InProgress => "badge badge-info",
        CallbackStatus::Done => "badge badge-success",
        CallbackStatus::Cancelled | CallbackStatus::Expired => "badge badge-muted",
    }
}

/// "Add to calendar" for an open booked callback: Google, Outlook, or the `.ics` file.
fn calendar_links(c: &CallbackView) -> Option<impl IntoView> {
    let (start, end) = (c.slot_at?, c.slot_end?);
    if !c.status.is_open() {
        return None;
    }
    let title = format!("Call back {}", c.who());
    let details = calendar_links::event_details(
        Some((c.who(), &c.email)),
        c.intent_label.as_deref(),
        c.note.as_deref(),
    );
    let entry = CalendarEntry {
        title: &title,
        details: &details,
        start,
        end,
    };
    let (google, outlook) = (
        calendar_links::google(&entry),
        calendar_links::outlook(&entry),
    );
    let ics = format!("/app/callbacks/{}/invite.ics", c.id);
    Some(view! {
        <br />
        <span class="small calendar-links">
            "Add to calendar: "
            <a href=google target="_blank" rel="noopener noreferrer">"Google"</a>
            " · "
            <a href=outlook target="_blank" rel="noopener noreferrer">"Outlook"</a>
            " · "
            <a href=ics download="callback.ics">".ics"</a>
        </span>
    })
}

/// "Assign to": the members of the business, or nobody.
#[component]
fn AssignForm(
    action: ServerAction<AssignCallback>,
    id: String,
    who: String,
    current: Option<String>,
    members: StoredValue<Vec<MemberView>>,
) -> impl IntoView {
    let select_id = format!("assign-{id}");
    view! {
        <ActionForm action attr:class="assign-form">
            <input type="hidden" name="id" value=id />
            <label class="visually-hidden" for=select_id.clone()>
                {format!("Assign the callback of {who} to")}
            </label>
            <select name="member" id=select_id>
                <option value="" selected=current.is_none()>"Nobody"</option>
                {members
                    .get_value()
                    .into_iter()
                    .map(|m| {
                        let chosen = current.as_deref() == Some(m.user_id.as_str());
                        view! {
                            <option value=m.user_id.clone() selected=chosen>{m.name().to_owned()}</option>
                        }
                    })
                    .collect_view()}
            </select>
            <button type="submit" class="btn btn-small">"Assign"</button>
        </ActionForm>
    }
}

/// "Move to…": a free time of the callback's intent, picked like a caller picks one (in the
/// member's time zone); the caller is mailed the new time.
#[component]
fn MoveForm(
    actions: Actions,
    id: String,
    who: String,
    domain: String,
    intent: Option<String>,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let open = move || {
        actions
            .moving
            .with(|m| m.as_deref() == Some(id.get_value().as_str()))
    };
    let domain = StoredValue::new(domain);
    let intent = RwSignal::new(intent);
    let label = format!("Move the callback of {who} to another time");
    view! {
        <button
            type="button"
            class="btn btn-small"
            aria-label=label
            aria-expanded=move || if open() { "true" } else { "false" }
            on:click=move |_| actions.moving.set((!open()).then(|| id.get_value()))
        >
            "Move…"
        </button>
        <Show when=open>
            <ActionForm action=actions.reschedule attr:class="move-form">
                <input type="hidden" name="id" value=id.get_value() />
                <SlotPicker domain intent />
                <button type="submit" class="btn btn-small btn-primary">"Move here"</button>
            </ActionForm>
        </Show>
    }
}

/// The callbacks with their actions.
#[component]
fn CallbacksTable(
    list: Vec<CallbackView>,
    members: Vec<MemberView>,
    actions: Actions,
) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <EmptyState id="no-callbacks">
                "No callbacks here. When nobody can answer, callers can leave their email and ask you to call back; their requests appear here."
            </EmptyState>
        });
    }
    let members = StoredValue::new(members);
    let rows = list
        .into_iter()
        .map(|c| {
            let who = c.who().to_owned();
            let id = c.id.to_string();
            let caller = view! {
                <strong>{who.clone()}</strong>
                {c.name.is_some().then(|| view! { <br /> <span class="muted small">{c.email.clone()}</span> })}
            };
            let about = view! {
                {c.intent_label.clone().unwrap_or_else(|| "\u{2014}".to_owned())}
                <br />
                <span class="muted small">{c.called_domain.clone()}</span>
            };
            let status = view! {
                <span class=badge(c.status)>{c.status.label()}</span>
                {c.slot_at.filter(|_| c.status.is_open()).map(|at| view! { <br /> <span class="small slot-at">"for " {date_time(&at)}</span> })}
                {calendar_links(&c)}
                {c.member_name.clone().map(|m| view! { <br /> <span class="muted small">"by " {m}</span> })}
            };
            let open = c.status.is_open();
            let cells = view! {
                <div class="row-actions">
                    {open.then(|| view! {
                        <RowAction
                            action=actions.call
                            fields=vec![("id", id.clone())]
                            label="Call back now"
                            name=format!("Call {who} back now")
                            class="btn btn-small btn-primary"
                        />
                        <RowAction
                            action=actions.status
                            fields=vec![("id", id.clone()), ("status", "done".to_owned())]
                            label="Mark done"
                            name=format!("Mark the callback of {who} done")
                        />
                        <AssignForm
                            action=actions.assign
                            id=id.clone()
                            who=who.clone()
                            current=c.member_id.map(|m| m.to_string())
                            members
                        />
                        <MoveForm
                            actions
                            id=id.clone()
                            who=who.clone()
                            domain=c.called_domain.clone()
                            intent=c.intent_id.map(|i| i.to_string())
                        />
                        <ConfirmAction
                            action=actions.status
                            fields=vec![("id", id.clone()), ("status", "cancelled".to_owned())]
                            label="Cancel"
                            name=format!("Cancel the callback of {who}")
                            question=format!("Cancel the callback of {who}?")
                            detail="It leaves the open list; the caller is not told."
                            confirm="Yes, cancel"
                        />
                    })}
                    {(!open).then(|| view! {
                        <RowAction
                            action=actions.status
                            fields=vec![("id", id.clone()), ("status", "pending".to_owned())]
                            label="Open again"
                            name=format!("Open the callback of {who} again")
                        />
                    })}
                </div>
            };
            Row::new(vec![
                caller.into_any(),
                about.into_any(),
                c.note.clone().unwrap_or_default().into_any(),
                date_time(&c.created_at).into_any(),
                status.into_any(),
                cells.into_any(),
            ])
            .data("data-callback", id.clone())
        })
        .collect();
    Either::Right(view! { <DataTable id="callbacks-table" columns=COLUMNS.to_vec() rows /> })
}
