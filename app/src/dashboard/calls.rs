//! `/app/calls`: every call to the business — when, which domain and intent, who called,
//! who answered, how long the caller waited, how long they talked and how it ended — and
//! one call opened onto its timeline, chat transcript and notes.
//!
//! The filters (date range, domain, intent, team, member, outcome), the page (`after`) and
//! the opened call (`call`) all live in the address, so a filtered view can be shared and
//! reloaded: `/app/calls?outcome=missed&from=2025-03-01&call=<id>`. The list shows 100
//! calls at a time; "Load more" appends the next 100 in a hydrated page and is a link to
//! them before. "Download CSV" exports the filtered log. The words ("Hung up by caller",
//! "Answered by … after 4.2 s") come from `entity::calls::history`, the same ones the
//! GraphQL API gives.
//!
//! Every reactive value is made once, in the page's body: the list and the panel sit in
//! `Transition`s, which keep showing the old content while the next loads, so nothing they
//! read may be created (and disposed) inside them.

mod filters;

use entity::calls::filter::{encode, CallPage, CallQuery, QUERY_KEYS};
use entity::calls::history::{duration_label, CallDetail, CallEventView, CallRecordView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{call_filter_options, call_history, call_record};
use crate::error::AppError;
use crate::ui::{date_time, Column, DataTable, EmptyState, ErrorPanel, Loading, PageHeader, Row};
use filters::CallFilters;

/// Where the page lives; `?call=<id>` opens a call.
const PAGE: &str = "/app/calls";

/// The CSV export of the filtered log (an axum route, `server::http::exports`).
const EXPORT: &str = "/app/calls/export.csv";

/// `base` with the filters and `extra` parameters as its query.
fn href(base: &str, query: &CallQuery, extra: &[(&str, &str)]) -> String {
    let mut qs = query.to_query_string();
    for (k, v) in extra {
        if !qs.is_empty() {
            qs.push('&');
        }
        qs.push_str(&format!("{k}={}", encode(v)));
    }
    if qs.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{qs}")
    }
}

/// The address that opens call `id`, keeping the filters.
fn call_href(query: &CallQuery, id: &str) -> String {
    href(PAGE, query, &[("call", id)])
}

/// The calls "Load more" added in this page (a hydrated page only).
#[derive(Clone, Debug, Default)]
struct More {
    calls: Vec<CallRecordView>,
    /// The cursor after them; `None` until a page was loaded.
    next: Option<Option<String>>,
    loading: bool,
    error: Option<AppError>,
}

/// The calls page.
#[component]
pub fn CallsPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Memo::new(move |_| query.with(|q| q.get("call")));
    let filters = Memo::new(move |_| {
        query.with(|q| {
            let mut f = CallQuery::default();
            for k in QUERY_KEYS {
                f.set(k, q.get(k));
            }
            f
        })
    });
    let after = Memo::new(move |_| query.with(|q| q.get("after")));
    let version = RwSignal::new(0_usize);
    let refreshing = RwSignal::new(false);
    let more = RwSignal::new(More::default());
    let calls = Resource::new(
        move || (filters.get(), after.get(), version.get()),
        |(q, after, _)| load(q, after),
    );
    let choices = Resource::new(|| (), |()| call_filter_options());
    let load_error = Signal::derive(move || calls.get().and_then(Result::err));
    Effect::new(move |_| {
        filters.track();
        after.track();
        version.track();
        more.set(More::default());
    });
    let detail = Resource::new(
        move || (selected.get(), version.get()),
        |(id, _)| async move {
            match id {
                Some(id) => call_record(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    // Without JavaScript the button is a link that loads the page again.
    let refresh_href = move || {
        let q = filters.get();
        selected
            .get()
            .map_or_else(|| href(PAGE, &q, &[]), |id| call_href(&q, &id))
    };
    let on_refresh = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        version.update(|n| *n += 1);
    };
    let close_href = Signal::derive(move || href(PAGE, &filters.get(), &[]));

    view! {
        <Title text="Calls" />
        <PageHeader
            title="Calls"
            lead="Every call to your business: who called, who answered, how long they waited and how it ended."
        />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(Some(detail)) => Some(Either::Left(view! { <CallPanel detail close_href /> })),
                    Ok(None) => None,
                    Err(error) => Some(Either::Right(view! {
                        <section class="card" id="call-detail-error">
                            <ErrorPanel error />
                            <a href=close_href class="btn btn-small">"Back to all calls"</a>
                        </section>
                    })),
                }
            })}
        </Transition>
        <section class="card" aria-labelledby="filters-title">
            <h2 id="filters-title">"Filters"</h2>
            <Transition fallback=Loading>
                {move || {
                    // Read before the await, so a new address (a "Clear" link, the back
                    // button) redraws the form with its filters.
                    let query = filters.get();
                    Suspend::new(async move {
                        let choices = choices.await.unwrap_or_default();
                        view! { <CallFilters query choices error=load_error /> }
                    })
                }}
            </Transition>
        </section>
        <section
            class="card calls-card"
            aria-labelledby="calls-title"
            aria-busy=move || refreshing.get().then_some("true")
        >
            <div class="calls-toolbar">
                <h2 id="calls-title" tabindex="-1">
                    {move || if filters.with(CallQuery::is_empty) { "Recent calls" } else { "Matching calls" }}
                </h2>
                <div class="calls-toolbar-actions">
                    <a
                        href=move || href(EXPORT, &filters.get(), &[])
                        class="btn btn-small"
                        id="export-calls"
                        rel="external"
                        download="calls.csv"
                    >
                        "Download CSV"
                    </a>
                    <a
                        href=refresh_href
                        class="btn btn-small"
                        id="refresh-calls"
                        on:click=on_refresh
                    >
                        {move || if refreshing.get() { "Refreshing…" } else { "Refresh" }}
                    </a>
                </div>
            </div>
            {move || {
                after
                    .get()
                    .map(|_| {
                        view! {
                            <p class="muted small" id="older-calls">
                                "Showing older calls. "
                                <a href=move || href(PAGE, &filters.get(), &[])>"Back to the newest"</a>
                            </p>
                        }
                    })
            }}
            <Transition fallback=Loading set_pending=refreshing>
                {move || Suspend::new(async move {
                    match calls.await {
                        Ok(page) => Either::Left(view! { <CallLog page more selected filters /> }),
                        Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One page of the log as the server function gives it.
async fn load(q: CallQuery, after: Option<String>) -> Result<CallPage, AppError> {
    call_history(
        q.from, q.to, q.domain, q.intent, q.team, q.member, q.outcome, after,
    )
    .await
}

/// The first page and what "Load more" added, and the button for the next.
#[component]
fn CallLog(
    page: CallPage,
    more: RwSignal<More>,
    selected: Memo<Option<String>>,
    filters: Memo<CallQuery>,
) -> impl IntoView {
    let CallPage { calls, next } = page;
    let first_next = next;
    let next = move || {
        more.with(|m| m.next.clone())
            .unwrap_or_else(|| first_next.clone())
    };
    let next_for_click = next.clone();
    let list = move || {
        let mut list = calls.clone();
        more.with(|m| list.extend(m.calls.iter().cloned()));
        let query = filters.get_untracked();
        view! { <CallsTable list selected query /> }
    };
    let on_more = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let Some(cursor) = next_for_click() else {
            return;
        };
        if more.with_untracked(|m| m.loading) {
            return;
        }
        more.update(|m| m.loading = true);
        let q = filters.get_untracked();
        leptos::task::spawn_local(async move {
            let result = load(q, Some(cursor)).await;
            more.update(|m| {
                m.loading = false;
                match result {
                    Ok(page) => {
                        m.calls.extend(page.calls);
                        m.next = Some(page.next);
                        m.error = None;
                    }
                    Err(e) => m.error = Some(e),
                }
            });
        });
    };
    let button = move || {
        next().map(|cursor| {
            let link = href(PAGE, &filters.get(), &[("after", cursor.as_str())]);
            view! {
                <p class="calls-more">
                    <a href=link class="btn" id="load-more" on:click=on_more.clone()>
                        {move || if more.with(|m| m.loading) { "Loading…" } else { "Load more" }}
                    </a>
                </p>
            }
        })
    };
    view! {
        {list}
        {move || more.with(|m| m.error.clone()).map(|error| view! { <ErrorPanel error /> })}
        {button}
    }
}

const CALL_COLUMNS: [Column; 9] = [
    Column::new("When (UTC)").class("call-when"),
    Column::new("Domain").class("call-domain wrap"),
    Column::new("Intent"),
    Column::new("Caller").class("wrap"),
    Column::new("Answered by").class("call-agent wrap"),
    Column::new("Wait").class("num"),
    Column::new("Duration").class("num"),
    Column::new("Outcome"),
    Column::new("Notes"),
];

/// The list, newest first; each row opens its call.
#[component]
fn CallsTable(
    list: Vec<CallRecordView>,
    selected: Memo<Option<String>>,
    query: CallQuery,
) -> impl IntoView {
    if list.is_empty() && !query.is_empty() {
        return Either::Left(Either::Left(view! {
            <EmptyState id="no-calls">
                <p>
                    <strong>"No calls match these filters."</strong>
                    " "
                    <a href=PAGE>"Clear the filters"</a>
                    " to see every call."
                </p>
            </EmptyState>
        }));
    }
    if list.is_empty() {
        return Either::Left(Either::Right(view! {
            <EmptyState id="no-calls">
                <p>
                    <strong>"No calls yet"</strong>
                    " — share your call page and every call will show up here: who called, who answered and how it went."
                </p>
                <p class="muted small">
                    "Your call page is yourdomain.com/call once a domain is verified in "
                    <a href="/app/domains">"Domains"</a>
                    "."
                </p>
            </EmptyState>
        }));
    }
    let count = list.len();
    let rows = list
        .into_iter()
        .map(|c| {
            let id = c.id.clone();
            let is_selected = move || selected.with(|s| s.as_deref() == Some(id.as_str()));
            let current = is_selected.clone();
            let when = date_time(&c.requested_at);
            let label = format!("Open the call from {} on {when}", c.caller_shown());
            let open = view! {
                <a
                    href=call_href(&query, &c.id)
                    class="call-open"
                    aria-label=label
                    aria-current=move || current().then_some("true")
                >
                    {when}
                </a>
            };
            let intent = view! {
                {intent_text(&c)}
                <span class="muted small call-mode">{mode_label(&c.mode).to_owned()}</span>
            };
            Row::new(vec![
                open.into_any(),
                c.domain.clone().into_any(),
                intent.into_any(),
                view! { <Caller call=c.clone() /> }.into_any(),
                answered_text(&c).into_any(),
                c.wait_ms.map_or_else(dash, duration_label).into_any(),
                c.duration_ms.map_or_else(dash, duration_label).into_any(),
                view! { <Outcome call=c.clone() /> }.into_any(),
                view! { <NotesMark notes=c.notes.clone() /> }.into_any(),
            ])
            .class("call-row")
            .data("data-call", c.id.clone())
            .selected(Signal::derive(is_selected))
        })
        .collect();
    Either::Right(view! {
        <DataTable
            id="calls-table"
            class="calls-table wide"
            columns=CALL_COLUMNS.to_vec()
            rows
            caption=format!("{count} calls, newest first. Open one to see its timeline and notes.")
        />
    })
}

/// The opened call: its facts, notes, timeline and chat transcript.
#[component]
fn CallPanel(detail: CallDetail, close_href: Signal<String>) -> impl IntoView {
    let CallDetail { call, events } = detail;
    let (chat, steps): (Vec<CallEventView>, Vec<CallEventView>) =
        events.into_iter().partition(|e| e.kind == "chat");
    let title = format!("Call from {}", call.caller_shown());
    view! {
        <section class="card call-panel" id="call-detail" data-call=call.id.clone() aria-labelledby="call-detail-title">
            <header class="call-panel-header">
                <h2 id="call-detail-title">{title}</h2>
                <Outcome call=call.clone() />
                <a href=close_href class="btn btn-ghost btn-small call-close" aria-label="Close this call">
                    "Close"
                </a>
            </header>
            <dl class="call-facts">
                <Fact term="When" value=date_time(&call.requested_at) />
                <Fact term="Domain" value=call.domain.clone() />
                <Fact term="Intent" value=intent_text(&call) />
                <Fact term="Mode" value=mode_label(&call.mode).to_owned() />
                <div>
                    <dt>"Caller"</dt>
                    <dd><Caller call=call.clone() /></dd>
                </div>
                <Fact term="Answered by" value=answered_text(&call) />
                <Fact term="Wait" value=call.wait_ms.map_or_else(dash, duration_label) />
                <Fact term="Duration" value=call.duration_ms.map_or_else(dash, duration_label) />
            </dl>
            <div class="call-notes" id="call-notes">
                <h3>"Notes"</h3>
                {match call.notes.clone() {
                    Some(notes) => Either::Left(view! { <p class="call-notes-text">{notes}</p> }),
                    None => Either::Right(view! {
                        <p class="muted">"No notes. The agent who answers can write some when the call ends."</p>
                    }),
                }}
            </div>
            <Timeline steps />
            <Transcript chat caller=call.caller_name.clone() />
        </section>
    }
}

/// One term of the call's facts.
#[component]
fn Fact(term: &'static str, value: String) -> impl IntoView {
    view! {
        <div>
            <dt>{term}</dt>
            <dd>{value}</dd>
        </div>
    }
}

/// What happened, step by step (chat messages are in the transcript).
#[component]
fn Timeline(steps: Vec<CallEventView>) -> impl IntoView {
    let items = steps
        .into_iter()
        .map(|e| {
            view! {
                <li class=format!("call-step call-step-{}", e.kind) data-kind=e.kind.clone()>
                    <time datetime=e.at.to_rfc3339()>{clock(&e)}</time>
                    <span class="call-step-text">{e.summary.clone()}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="call-timeline-box">
            <h3 id="call-timeline-title">"Timeline (UTC)"</h3>
            <ol class="call-timeline" id="call-timeline" aria-labelledby="call-timeline-title">
                {items}
            </ol>
        </div>
    }
}

/// The chat messages, as a conversation.
#[component]
fn Transcript(chat: Vec<CallEventView>, caller: String) -> impl IntoView {
    if chat.is_empty() {
        return Either::Left(view! {
            <div class="call-transcript-box">
                <h3>"Chat"</h3>
                <p class="muted" id="no-chat">"No chat messages in this call."</p>
            </div>
        });
    }
    let items = chat
        .into_iter()
        .map(|e| {
            let who = if e.actor == "caller" {
                caller.clone()
            } else {
                e.actor_name.clone().unwrap_or_else(|| "Agent".to_owned())
            };
            view! {
                <li class=format!("chat-line chat-from-{}", e.actor)>
                    <span class="chat-meta">
                        <span class="chat-who">{who}</span>
                        " "
                        <time datetime=e.at.to_rfc3339()>{clock(&e)}</time>
                    </span>
                    <span class="chat-text">{e.text.clone().unwrap_or_default()}</span>
                </li>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="call-transcript-box">
            <h3 id="call-transcript-title">"Chat transcript"</h3>
            <ol class="call-transcript" id="call-transcript" aria-labelledby="call-transcript-title">
                {items}
            </ol>
        </div>
    })
}

/// The caller: their verified domain with a badge, or their guest name.
#[component]
fn Caller(call: CallRecordView) -> impl IntoView {
    let badge = if call.caller_verified {
        Either::Left(
            view! { <span class="badge badge-success" title="The caller proved they own this domain">"Verified"</span> },
        )
    } else {
        Either::Right(view! { <span class="badge badge-muted">"Guest"</span> })
    };
    // The contact's name when the call is matched to one; the identity it called as
    // (a guest name changes every hour) stays in the tooltip.
    let shown = call.caller_shown().to_owned();
    let identity = call
        .contact_name
        .is_some()
        .then(|| call.caller_name.clone());
    let callback = call
        .callback
        .then(|| view! { <span class="badge badge-admin" title="A member called this caller back">"Callback"</span> });
    view! {
        <span class="call-caller">
            {badge}
            " "
            <span class="call-caller-name" title=identity>{shown}</span>
            {callback.map(|b| view! { " " {b} })}
        </span>
    }
}

/// How the call went, as a badge coloured by whether someone answered.
#[component]
fn Outcome(call: CallRecordView) -> impl IntoView {
    let tone = match (call.end_reason.as_deref(), call.answered_at.is_some()) {
        (None, true) => "badge-admin",
        (None, false) | (Some("cancelled"), false) => "badge-muted",
        (Some(_), true) => "badge-success",
        (Some("unavailable"), false) => "badge-warning",
        (Some(_), false) => "badge-danger",
    };
    view! {
        <span
            class=format!("badge {tone} call-outcome")
            data-end-reason=call.end_reason.clone().unwrap_or_else(|| call.state.clone())
        >
            {call.outcome}
        </span>
    }
}

/// Whether the call has notes; their start as a tooltip.
#[component]
fn NotesMark(notes: Option<String>) -> impl IntoView {
    match notes {
        Some(notes) => {
            let preview: String = notes.chars().take(140).collect();
            Either::Left(view! {
                <span class="badge badge-owner call-has-notes" title=preview>"Notes"</span>
            })
        }
        None => Either::Right(view! {
            <span class="muted" aria-label="No notes">"—"</span>
        }),
    }
}

fn dash() -> String {
    "—".to_owned()
}

fn intent_text(c: &CallRecordView) -> String {
    match (&c.intent_label, &c.intent_id) {
        (Some(label), _) => label.clone(),
        (None, Some(_)) => "(deleted intent)".to_owned(),
        (None, None) => dash(),
    }
}

fn answered_text(c: &CallRecordView) -> String {
    match (&c.answered_by_name, &c.answered_by) {
        (Some(name), _) => name.clone(),
        (None, Some(_)) => "A former member".to_owned(),
        (None, None) => dash(),
    }
}

fn mode_label(mode: &str) -> &str {
    match mode {
        "voice" => "Voice",
        "video" => "Video",
        "chat" => "Chat",
        "data" => "Data",
        other => other,
    }
}

/// An event's time of day, to the second (UTC, like the rest of the dashboard).
fn clock(e: &CallEventView) -> String {
    e.at.format("%H:%M:%S").to_string()
}
