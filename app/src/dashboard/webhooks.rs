//! `/app/webhooks`: where the business's own servers hear about its calls — endpoints
//! (URL, events, on/off), the signing secret (shown once, on registering and on
//! rotating), "send test event", and each endpoint's delivery log with "resend"
//! (`?log=<endpoint id>`, a plain link, so it opens before the page hydrates too).
//!
//! Registering is a client-side action, like creating an API key: the secret must only
//! ever appear in the page that asked for it.

use entity::webhooks::EventType;
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{use_account, ManagersOnly};
use crate::api::{
    list_webhooks, webhook_deliveries, CreateWebhook, DeleteWebhook, DeliveryRow,
    ResendWebhookDelivery, RotateWebhookSecret, SendTestWebhook, SetWebhookEnabled, WebhookRow,
    WebhookSecret,
};
use crate::ui::{
    action_error, action_output, date_time, Card, Column, ConfirmAction, CopyButton, DataTable,
    EmptyState, ErrorSummary, Field, Loaded, PageHeader, Row, RowAction, SubmitButton,
};

/// The row actions of the endpoint table.
#[derive(Clone, Copy)]
struct Actions {
    enable: ServerAction<SetWebhookEnabled>,
    delete: ServerAction<DeleteWebhook>,
    rotate: ServerAction<RotateWebhookSecret>,
    test: ServerAction<SendTestWebhook>,
}

/// The webhooks page.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let account = use_account();
    let create = ServerAction::<CreateWebhook>::new();
    let actions = Actions {
        enable: ServerAction::new(),
        delete: ServerAction::new(),
        rotate: ServerAction::new(),
        test: ServerAction::new(),
    };
    let resend = ServerAction::<ResendWebhookDelivery>::new();
    let endpoints = Resource::new(
        move || {
            (
                create.version().get(),
                actions.enable.version().get(),
                actions.delete.version().get(),
                actions.rotate.version().get(),
            )
        },
        move |_| async move {
            match account.me.await {
                Ok(me) if me.business.role.can_manage() => list_webhooks().await.map(Some),
                Ok(_) => Ok(None),
                Err(e) => Err(e),
            }
        },
    );
    let query = use_query_map();
    let log_for = Memo::new(move |_| query.with(|q| q.get("log")));
    let deliveries = Resource::new(
        move || {
            (
                log_for.get(),
                actions.test.version().get(),
                resend.version().get(),
            )
        },
        |(log, _, _)| async move {
            match log {
                Some(id) => webhook_deliveries(id.clone()).await.map(|d| Some((id, d))),
                None => Ok(None),
            }
        },
    );
    let errors = [
        action_error(actions.enable),
        action_error(actions.delete),
        action_error(actions.rotate),
        action_error(actions.test),
    ];
    let row_error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    let rotated = action_output(actions.rotate);
    view! {
        <Title text="Webhooks" />
        <PageHeader
            title="Webhooks"
            lead="Your own servers hear about calls as they happen: each event is a signed HTTPS POST, retried until your server accepts it."
        />
        <ManagersOnly notice="Only owners and admins can see and register webhooks.">
            <CreateWebhookCard create />
        </ManagersOnly>
        <Loaded
            resource=endpoints
            view={move |list: Option<Vec<WebhookRow>>| {
                list.map(|list| {
                    view! {
                        <Card title="Endpoints" id="webhooks-title">
                            <ErrorSummary error=row_error />
                            {move || {
                                rotated
                                    .get()
                                    .map(|new| view! { <SecretBox new heading="New signing secret" /> })
                            }}
                            <EndpointsTable list actions />
                        </Card>
                    }
                })
            }}
        />
        <Loaded
            resource=deliveries
            view={move |log: Option<(String, Vec<DeliveryRow>)>| {
                log.map(|(endpoint, list)| view! { <DeliveryLog endpoint list resend /> })
            }}
        />
    }
}

/// The register form and, after registering, the secret.
#[component]
fn CreateWebhookCard(create: ServerAction<CreateWebhook>) -> impl IntoView {
    // Inputs are read at submit, not bound to signals: what was typed or ticked before the
    // page hydrated must not be lost.
    let url = NodeRef::<html::Input>::new();
    let description = NodeRef::<html::Input>::new();
    let boxes: Vec<(EventType, NodeRef<html::Input>)> = EventType::SUBSCRIBABLE
        .iter()
        .map(|&t| (t, NodeRef::new()))
        .collect();
    let pending = create.pending();
    let error = action_error(create);
    let read = boxes.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let value =
            |r: &NodeRef<html::Input>| r.get_untracked().map(|i| i.value()).unwrap_or_default();
        let events = read
            .iter()
            .filter(|(_, r)| r.get_untracked().is_some_and(|i| i.checked()))
            .map(|(t, _)| t.as_str().to_owned())
            .collect();
        create.dispatch(CreateWebhook {
            url: value(&url),
            events,
            description: value(&description),
        });
    };
    let created = action_output(create);
    Effect::new(move |_| {
        if created.with(Option::is_some) {
            for r in [url, description] {
                if let Some(i) = r.get_untracked() {
                    i.set_value("");
                }
            }
        }
    });
    let checkboxes = boxes
        .into_iter()
        .map(|(t, r)| {
            let id = format!("webhook-event-{}", t.as_str().replace('.', "-"));
            view! {
                <li class="field-check">
                    <input id=id.clone() type="checkbox" name="events" value=t.as_str() node_ref=r />
                    <label for=id>
                        <code>{t.as_str()}</code>
                        " \u{2014} "
                        {t.describe()}
                    </label>
                </li>
            }
        })
        .collect_view();
    view! {
        <Card title="Register an endpoint" id="create-webhook-title">
            <form class="form" novalidate on:submit=on_submit>
                <ErrorSummary
                    error
                    attempts=create.version()
                    fields=&[
                        ("url", "webhook-url"),
                        ("events", "webhook-event-call-requested"),
                        ("description", "webhook-description"),
                    ]
                />
                <Field
                    label="URL"
                    id="webhook-url"
                    name="url"
                    field="url"
                    placeholder="https://example.com/hooks/domaincall"
                    hint="HTTPS, on a public address. We POST each event there and retry for about a day and a half until it answers 2xx."
                    error
                    node_ref=url
                />
                <fieldset class="field">
                    <legend>"Events"</legend>
                    <ul class="check-list">{checkboxes}</ul>
                </fieldset>
                <Field
                    label="Description (optional)"
                    id="webhook-description"
                    name="description"
                    field="description"
                    placeholder="e.g. CRM sync"
                    error
                    node_ref=description
                />
                <div class="field field-action">
                    <SubmitButton
                        id="create-webhook"
                        label="Register endpoint"
                        pending_label="Registering…"
                        pending
                    />
                </div>
            </form>
            {move || created.get().map(|new| view! { <SecretBox new heading="Signing secret" /> })}
        </Card>
    }
}

/// A secret just made, with a copy button: shown once.
#[component]
fn SecretBox(new: WebhookSecret, heading: &'static str) -> impl IntoView {
    view! {
        <div class="secret-box" id="webhook-secret" role="status">
            <p class="secret-warning">
                <strong>"This secret is shown only once."</strong>
                " Your server checks each request's "
                <code>"webhook-signature"</code>
                " with it (Standard Webhooks: HMAC-SHA256 of id.timestamp.body)."
            </p>
            <p class="secret-label">{heading} " for " {new.endpoint.url.clone()}</p>
            <div class="secret-row">
                <code id="webhook-secret-value" class="secret">{new.secret.clone()}</code>
                <CopyButton text=new.secret.clone() what="signing secret" id="copy-webhook-secret" />
            </div>
        </div>
    }
}

const ENDPOINT_COLUMNS: [Column; 5] = [
    Column::new("URL").class("wrap"),
    Column::new("Events").class("wrap"),
    Column::new("Status"),
    Column::new("Since").class("nowrap"),
    Column::actions(),
];

/// The endpoints with their state and actions.
#[component]
fn EndpointsTable(list: Vec<WebhookRow>, actions: Actions) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <EmptyState id="no-webhooks">
                "No endpoints yet. Register one above and your server hears about every call."
            </EmptyState>
        });
    }
    let rows = list
        .into_iter()
        .map(|w| {
            let status = match (&w.disabled_reason, w.enabled) {
                (_, true) => view! { <span class="badge badge-success">"On"</span> }.into_any(),
                (Some(why), false) => {
                    view! { <span class="badge badge-warning" title=why.clone()>"Off: " {why.clone()}</span> }
                        .into_any()
                }
                (None, false) => view! { <span class="badge badge-muted">"Off"</span> }.into_any(),
            };
            let events = w.events.join(", ");
            let url = w.url.clone();
            let id = w.id.clone();
            let cells = view! {
                <div class="row-actions">
                    <a class="btn btn-small" href=format!("/app/webhooks?log={id}") aria-label=format!("Deliveries to {url}")>
                        "Deliveries"
                    </a>
                    <RowAction
                        action=actions.test
                        fields=vec![("id", id.clone())]
                        label="Send test"
                        name=format!("Send a test event to {url}")
                    />
                    <RowAction
                        action=actions.enable
                        fields=vec![("id", id.clone()), ("enabled", (!w.enabled).to_string())]
                        label=if w.enabled { "Switch off" } else { "Switch on" }
                        name=format!("{} {url}", if w.enabled { "Switch off" } else { "Switch on" })
                    />
                    <ConfirmAction
                        action=actions.rotate
                        fields=vec![("id", id.clone())]
                        label="Rotate secret"
                        name=format!("Rotate the secret of {url}")
                        question=format!("Make a new signing secret for {url}?")
                        detail="The old secret keeps signing for 24 hours, so your server has time to switch."
                        confirm="Yes, rotate"
                    />
                    <ConfirmAction
                        action=actions.delete
                        fields=vec![("id", id.clone())]
                        label="Delete"
                        name=format!("Delete {url}")
                        question=format!("Delete the endpoint {url}?")
                        detail="Nothing more is sent there, and its delivery log goes with it."
                        confirm="Yes, delete"
                    />
                </div>
            };
            Row::new(vec![
                view! { <code>{w.url.clone()}</code> }.into_any(),
                events.into_any(),
                status,
                date_time(&w.created_at).into_any(),
                cells.into_any(),
            ])
            .data("data-webhook", w.id.clone())
        })
        .collect();
    Either::Right(
        view! { <DataTable id="webhooks-table" columns=ENDPOINT_COLUMNS.to_vec() rows /> },
    )
}

const DELIVERY_COLUMNS: [Column; 6] = [
    Column::new("Event"),
    Column::new("Status"),
    Column::new("Attempts").class("num"),
    Column::new("Response").class("wrap"),
    Column::new("Queued").class("nowrap"),
    Column::actions(),
];

/// One endpoint's deliveries, newest first, with "resend".
#[component]
fn DeliveryLog(
    endpoint: String,
    list: Vec<DeliveryRow>,
    resend: ServerAction<ResendWebhookDelivery>,
) -> impl IntoView {
    let error = action_error(resend);
    let body = if list.is_empty() {
        Either::Left(view! {
            <EmptyState id="no-deliveries">
                "Nothing sent to this endpoint yet. \u{201c}Send test\u{201d} sends a webhook.test event."
            </EmptyState>
        })
    } else {
        let rows = list
            .into_iter()
            .map(|d| {
                let badge = match d.status.as_str() {
                    "delivered" => "badge badge-success",
                    "failed" => "badge badge-danger",
                    _ => "badge badge-muted",
                };
                let response = match (d.last_http_status, d.last_response_ms, &d.last_error) {
                    (Some(code), Some(ms), _) => format!("HTTP {code} in {ms} ms"),
                    (Some(code), None, _) => format!("HTTP {code}"),
                    (None, _, Some(e)) => e.clone(),
                    (None, _, None) => "\u{2014}".to_owned(),
                };
                let next = d
                    .next_attempt_at
                    .filter(|_| d.status == "pending")
                    .map(|at| format!(" (next try {})", date_time(&at)));
                Row::new(vec![
                    view! { <code>{d.event_type.clone()}</code> }.into_any(),
                    view! { <span class=badge>{d.status.clone()}</span> {next} }.into_any(),
                    d.attempts.to_string().into_any(),
                    response.into_any(),
                    date_time(&d.created_at).into_any(),
                    view! {
                        <RowAction
                            action=resend
                            fields=vec![("id", d.id.clone())]
                            label="Resend"
                            name=format!("Resend the {} delivery", d.event_type)
                        />
                    }
                    .into_any(),
                ])
                .data("data-delivery", d.id.clone())
            })
            .collect();
        Either::Right(
            view! { <DataTable id="deliveries-table" columns=DELIVERY_COLUMNS.to_vec() rows /> },
        )
    };
    view! {
        <Card title="Delivery log" id="deliveries-title">
            <p class="muted small" data-endpoint=endpoint>
                "The newest 50 deliveries of this endpoint. "
                <a href="/app/webhooks">"Close"</a>
            </p>
            <ErrorSummary error />
            {body}
        </Card>
    }
}
