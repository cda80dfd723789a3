//! `/app/messages`: what callers nobody could answer left — a text, a voice recording
//! (played in place), or both — with "reply by calling back" (the caller gets an email
//! with a link that rings the member who pressed it), "mark handled" and "mark new". The
//! filter (`?status=`) is a plain link, so it works before the page hydrates.

use entity::messages::{MessageStatus, MessageView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{list_messages, ReplyToMessage, SetMessageHandled};
use crate::ui::{
    action_error, action_output, date_time, Card, Column, DataTable, EmptyState, ErrorSummary,
    Loaded, PageHeader, Row, RowAction,
};

/// The filters.
const FILTERS: [(&str, &str); 3] = [("new", "New"), ("handled", "Handled"), ("all", "All")];

/// The row actions.
#[derive(Clone, Copy)]
struct Actions {
    reply: ServerAction<ReplyToMessage>,
    handled: ServerAction<SetMessageHandled>,
}

/// The messages page.
#[component]
pub fn MessagesPage() -> impl IntoView {
    let actions = Actions {
        reply: ServerAction::new(),
        handled: ServerAction::new(),
    };
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query
            .with(|q| q.get("status"))
            .filter(|s| FILTERS.iter().any(|(f, _)| f == s))
            .unwrap_or_else(|| "new".to_owned())
    });
    let list = Resource::new(
        move || {
            (
                filter.get(),
                actions.reply.version().get(),
                actions.handled.version().get(),
            )
        },
        |(status, _, _)| list_messages(Some(status)),
    );
    let errors = [action_error(actions.reply), action_error(actions.handled)];
    let error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    let replied = action_output(actions.reply);
    view! {
        <Title text="Messages" />
        <PageHeader
            title="Messages"
            lead="What callers nobody could answer left you: a note, a voice message, or both."
        />
        <nav class="filter-tabs" aria-label="Show messages">
            {FILTERS
                .into_iter()
                .map(|(value, label)| {
                    view! {
                        <a
                            class="filter-tab"
                            href=format!("/app/messages?status={value}")
                            aria-current=move || (filter.get() == value).then_some("page")
                        >
                            {label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
        <Card title="Messages" id="messages-title">
            <ErrorSummary error />
            {move || {
                replied
                    .get()
                    .map(|c| {
                        view! {
                            <p class="alert alert-success" role="status" id="message-replied">
                                "We emailed " {c.email.clone()}
                                " a link to join the call. Keep this tab open: the call rings here when they open it."
                            </p>
                        }
                    })
            }}
            <Loaded resource=list view=move |list| view! { <MessagesTable list actions /> } />
        </Card>
    }
}

const COLUMNS: [Column; 5] = [
    Column::new("Caller").class("wrap"),
    Column::new("Message").class("wrap"),
    Column::new("Left").class("nowrap"),
    Column::new("Status"),
    Column::actions(),
];

/// "1:05" for 65,000 ms.
fn length(ms: i64) -> String {
    let seconds = (ms + 500) / 1000;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// The caller: who, their email, what they called about.
fn caller_cell(m: &MessageView) -> impl IntoView {
    view! {
        <strong>{m.who().to_owned()}</strong>
        {m.name.is_some().then(|| m.email.clone()).flatten().map(|e| view! { <br /> <span class="muted small">{e}</span> })}
        <br />
        <span class="muted small">
            {m.intent_label.clone().map(|i| format!("{i} · ")).unwrap_or_default()}
            {m.called_domain.clone()}
        </span>
    }
}

/// The message: its text and its recording, with a player.
fn message_cell(m: &MessageView) -> impl IntoView {
    let player = m.audio_path().map(|src| {
        let label = format!(
            "Voice message from {} ({})",
            m.who(),
            length(m.audio_ms.unwrap_or_default())
        );
        view! {
            <div class="message-audio">
                <audio controls preload="none" src=src aria-label=label></audio>
                <span class="muted small">{length(m.audio_ms.unwrap_or_default())}</span>
            </div>
        }
    });
    view! {
        {m.text.clone().map(|t| view! { <p class="message-text">{t}</p> })}
        {player}
    }
}

/// The messages with their actions.
#[component]
fn MessagesTable(list: Vec<MessageView>, actions: Actions) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <EmptyState id="no-messages">
                "No messages here. When nobody can answer, callers can leave a note or a voice message; it appears here and every member gets an email."
            </EmptyState>
        });
    }
    let rows = list
        .into_iter()
        .map(|m| {
            let who = m.who().to_owned();
            let id = m.id.to_string();
            let new = m.status == MessageStatus::New;
            let status = view! {
                <span class=if new { "badge badge-warning" } else { "badge badge-muted" }>
                    {if new { "New" } else { "Handled" }}
                </span>
                {m.handled_by_name.clone().map(|n| view! { <br /> <span class="muted small">"by " {n}</span> })}
                {m.callback_id.map(|_| view! { <br /> <a class="small" href="/app/callbacks?status=open">"Called back"</a> })}
            };
            let can_reply = m.email.is_some() && m.callback_id.is_none();
            let cells = view! {
                <div class="row-actions">
                    {can_reply.then(|| view! {
                        <RowAction
                            action=actions.reply
                            fields=vec![("id", id.clone())]
                            label="Call back now"
                            name=format!("Call {who} back now")
                            class="btn btn-small btn-primary"
                        />
                    })}
                    <RowAction
                        action=actions.handled
                        fields=vec![("id", id.clone()), ("handled", if new { "true" } else { "false" }.to_owned())]
                        label=if new { "Mark handled" } else { "Mark new" }
                        name=if new { format!("Mark the message of {who} handled") } else { format!("Mark the message of {who} new") }
                    />
                </div>
            };
            Row::new(vec![
                caller_cell(&m).into_any(),
                message_cell(&m).into_any(),
                date_time(&m.created_at).into_any(),
                status.into_any(),
                cells.into_any(),
            ])
            .data("data-message", id.clone())
        })
        .collect();
    Either::Right(view! { <DataTable id="messages-table" columns=COLUMNS.to_vec() rows /> })
}
