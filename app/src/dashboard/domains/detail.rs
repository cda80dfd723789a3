//! One domain opened: what to publish, the Verify button and its precise result, what its
//! calls ring, the check history, and removal behind a confirmation.

use entity::routing_setup::TeamView;
use entity::types::{DomainCheckView, DomainDetail, DomainStatus, DomainView, VerificationResult};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;

use super::route::RouteControl;
use super::StatusBadge;
use crate::api::{share_call_page, RemoveDomain, SetDomainRoute, VerifyDomain};
use crate::error::AppError;
use crate::ui::{
    action_error, date_time, Column, ConfirmAction, CopyButton, DataTable, EmptyState,
    ErrorSummary, Row,
};

/// The page's Verify and Remove actions and what the panel reads from them.
///
/// Made once by the page, not by the panel: the panel sits in a `Transition`, which keeps
/// showing an old panel while the next one loads — after the old panel's own reactive
/// values are already disposed. Everything its closures read must outlive it.
#[derive(Clone, Copy)]
pub struct Controls {
    verify: ServerAction<VerifyDomain>,
    verify_pending: Memo<bool>,
    verify_result: Signal<Option<VerificationResult>>,
    verify_error: Signal<Option<AppError>>,
    remove: ServerAction<RemoveDomain>,
    remove_pending: Memo<bool>,
    remove_error: Signal<Option<AppError>>,
    route: ServerAction<SetDomainRoute>,
    route_pending: Memo<bool>,
    route_error: Signal<Option<AppError>>,
}

impl Controls {
    /// Reads the actions' state; call in the page's body.
    pub fn new(
        verify: ServerAction<VerifyDomain>,
        remove: ServerAction<RemoveDomain>,
        route: ServerAction<SetDomainRoute>,
    ) -> Self {
        Self {
            verify,
            verify_pending: verify.pending(),
            // The page clears the action when another domain is opened, so what it holds
            // is about the open one.
            verify_result: Signal::derive(move || verify.value().get().and_then(Result::ok)),
            verify_error: action_error(verify),
            remove,
            remove_pending: remove.pending(),
            remove_error: action_error(remove),
            route,
            route_pending: route.pending(),
            route_error: action_error(route),
        }
    }

    /// The "Calls ring" action, whether it runs, and its error.
    pub(super) fn route_parts(
        self,
    ) -> (
        ServerAction<SetDomainRoute>,
        Memo<bool>,
        Signal<Option<AppError>>,
    ) {
        (self.route, self.route_pending, self.route_error)
    }
}

/// The opened domain's card.
#[component]
pub fn DomainPanel(
    detail: DomainDetail,
    /// The business's teams (the "Calls ring" choices).
    teams: Vec<TeamView>,
    /// Whether the viewer may verify and remove (owners and admins).
    manage: bool,
    controls: Controls,
) -> impl IntoView {
    let DomainDetail { domain, checks } = detail;
    let own_record = domain.inherited_from.is_none();
    let needs_record = own_record && domain.status != DomainStatus::Verified;
    view! {
        <section
            class="card domain-panel"
            id="domain-detail"
            data-domain=domain.name.clone()
            aria-labelledby="domain-detail-title"
        >
            <header class="domain-panel-header">
                <h2 id="domain-detail-title">{domain.display_name.clone()}</h2>
                <StatusBadge status=domain.status />
            </header>
            <StatusExplanation domain=domain.clone() />
            {(domain.status == DomainStatus::Verified)
                .then(|| view! { <RouteControl domain=domain.clone() teams manage controls /> })}
            {(domain.status == DomainStatus::Verified)
                .then(|| view! { <ShareCard id=domain.id.clone() /> })}
            {needs_record.then(|| view! { <RecordInstructions domain=domain.clone() /> })}
            {(manage && own_record).then(|| view! { <VerifyControl domain=domain.clone() controls /> })}
            <CheckHistory checks />
            {manage.then(|| view! { <RemoveControl domain=domain.clone() controls /> })}
        </section>
    }
}

/// What the status means for this domain, and what happens next.
#[component]
fn StatusExplanation(domain: DomainView) -> impl IntoView {
    let call_href = format!("/call/{}", domain.name);
    let checked =
        |at: &Option<_>, none: &str| at.as_ref().map_or_else(|| none.to_owned(), date_time);
    let last = checked(&domain.last_checked_at, "not yet");
    let next = checked(&domain.next_check_at, "none scheduled");
    match (domain.status, domain.inherited_from.clone()) {
        (DomainStatus::Verified, parent) => {
            let how = match parent {
                Some(p) => format!("Verified through {p}: its TXT record proves this subdomain too, so there is nothing to publish here."),
                None => format!(
                    "Verified{}. Keep the TXT record published: we check it again regularly, and a domain whose record stays missing is revoked.",
                    domain.verified_at.as_ref().map(|t| format!(" on {}", date_time(t))).unwrap_or_default()
                ),
            };
            let warning = (domain.failed_checks > 0).then(|| {
                view! {
                    <p class="alert alert-error" role="status">
                        {format!(
                            "The last {} check(s) did not find the record. Publish it again, or the domain will be revoked and its call page will go offline.",
                            domain.failed_checks,
                        )}
                    </p>
                }
            });
            Either::Left(view! {
                <div class="domain-status-text">
                    <p class="alert alert-success">{how}</p>
                    {warning}
                    <p>
                        "Call page: "
                        <a href=call_href.clone() id="call-page-link">{call_href.clone()}</a>
                        " — or "
                        <strong>{format!("https://{}/call", domain.name)}</strong>
                        " once the domain points at domaincall."
                    </p>
                    <p class="muted small">{format!("Last checked: {last}. Next check: {next}.")}</p>
                </div>
            })
        }
        (status, _) => {
            let text = if status == DomainStatus::Revoked {
                format!(
                    "Revoked{}: the TXT record was missing on several checks in a row, so the call page is offline. Publish the record below again and press Verify.",
                    domain.revoked_at.as_ref().map(|t| format!(" on {}", date_time(t))).unwrap_or_default()
                )
            } else {
                "Not verified yet. Publish the record below at your DNS provider, then press Verify. We also check automatically for 72 hours after you add a domain.".to_owned()
            };
            let class = if status == DomainStatus::Revoked {
                "alert alert-error"
            } else {
                "alert alert-info"
            };
            Either::Right(view! {
                <div class="domain-status-text">
                    <p class=class>{text}</p>
                    <p class="muted small">{format!("Last checked: {last}. Next automatic check: {next}.")}</p>
                </div>
            })
        }
    }
}

/// Exactly what to publish, field by field and as one line, each with a copy button.
#[component]
fn RecordInstructions(domain: DomainView) -> impl IntoView {
    view! {
        <div class="record-box" id="domain-record">
            <h3>"Publish this DNS record"</h3>
            <p class="muted small">
                "At the company that runs your domain's DNS (often where you bought it), add a TXT record:"
            </p>
            <dl class="record-fields">
                <div>
                    <dt>"Name"</dt>
                    <dd>
                        <code id="record-name">{domain.record_name.clone()}</code>
                        <CopyButton text=domain.record_name.clone() what="record name" />
                    </dd>
                </div>
                <div>
                    <dt>"Type"</dt>
                    <dd>
                        <code id="record-type">"TXT"</code>
                    </dd>
                </div>
                <div>
                    <dt>"Value"</dt>
                    <dd>
                        <code id="record-value">{domain.record_value.clone()}</code>
                        <CopyButton text=domain.record_value.clone() what="record value" />
                    </dd>
                </div>
            </dl>
            <p class="muted small">
                "Some providers want only the part before your domain as the name ("
                <code>"_domaincall"</code>
                "). The same record in zone-file form:"
            </p>
            <div class="record-line">
                <code id="record-line">{domain.record.clone()}</code>
                <CopyButton text=domain.record.clone() what="whole record" id="copy-record" />
            </div>
        </div>
    }
}

/// The Verify button, its progress and its precise result.
#[component]
fn VerifyControl(domain: DomainView, controls: Controls) -> impl IntoView {
    let Controls {
        verify,
        verify_pending: pending,
        verify_result: result,
        verify_error: error,
        ..
    } = controls;
    let label = if domain.status == DomainStatus::Verified {
        "Check again"
    } else {
        "Verify"
    };
    view! {
        <div class="verify-box">
            <ActionForm action=verify attr:class="inline">
                <input type="hidden" name="id" value=domain.id.clone() />
                <button
                    type="submit"
                    id="verify-domain"
                    data-testid="verify-domain"
                    class="btn btn-primary"
                    disabled=move || pending.get()
                    aria-describedby="verify-result"
                >
                    {move || if pending.get() { "Checking DNS…" } else { label }}
                </button>
            </ActionForm>
            <div id="verify-result" class="verify-result" aria-live="polite" role="status">
                {move || {
                    if pending.get() {
                        return Some(Either::Left(view! {
                            <p class="verify-progress">
                                <span class="spinner" aria-hidden="true"></span>
                                "Checking DNS… asking the domain's name servers for the record."
                            </p>
                        }));
                    }
                    result.get().map(|r| {
                        // The domain's message starts with "Verified:" when it worked.
                        let (class, heading) = if r.verified {
                            ("alert alert-success", None)
                        } else {
                            ("alert alert-error", Some(view! { <strong>"Not verified."</strong> " " }))
                        };
                        Either::Right(view! {
                            <div class=class data-outcome=r.outcome.clone()>
                                {heading}
                                {r.message.clone()}
                            </div>
                        })
                    })
                }}
            </div>
            <ErrorSummary error />
        </div>
    }
}

const CHECK_COLUMNS: [Column; 4] = [
    Column::new("Time").class("nowrap"),
    Column::new("Trigger"),
    Column::new("Outcome"),
    Column::new("Message").class("wrap"),
];

/// Every check of this domain, newest first.
#[component]
fn CheckHistory(checks: Vec<DomainCheckView>) -> impl IntoView {
    let body = if checks.is_empty() {
        Either::Left(view! { <EmptyState id="no-checks">"No checks yet."</EmptyState> })
    } else {
        let rows = checks
            .into_iter()
            .map(|c| {
                let ok = c.outcome == "verified";
                let outcome = view! {
                    <span
                        class=if ok { "badge badge-success" } else { "badge badge-danger" }
                        data-outcome=c.outcome.clone()
                    >
                        {outcome_label(&c.outcome).to_owned()}
                    </span>
                };
                Row::new(vec![
                    c.checked_at
                        .format("%b %-d, %Y %H:%M:%S UTC")
                        .to_string()
                        .into_any(),
                    trigger_label(&c.trigger).to_owned().into_any(),
                    outcome.into_any(),
                    c.message.clone().into_any(),
                ])
            })
            .collect();
        Either::Right(
            view! { <DataTable id="check-history" columns=CHECK_COLUMNS.to_vec() rows /> },
        )
    };
    view! {
        <div class="check-history">
            <h3>"Check history"</h3>
            {body}
        </div>
    }
}

/// "Remove domain…", then a confirmation naming what happens.
#[component]
fn RemoveControl(domain: DomainView, controls: Controls) -> impl IntoView {
    let Controls {
        remove,
        remove_pending,
        remove_error,
        ..
    } = controls;
    let name = domain.display_name.clone();
    view! {
        <div class="danger-zone">
            <h3>"Remove this domain"</h3>
            <ErrorSummary error=remove_error />
            <div class="danger-row">
                <span class="muted small">"Stops its call page and deletes its check history."</span>
                <ConfirmAction
                    action=remove
                    fields=vec![("id", domain.id.clone())]
                    label="Remove domain"
                    name=format!("Remove {name}")
                    question=format!("Remove {name}?")
                    detail="Its call page goes offline at once, callers can no longer call as it, and to use it again you will have to verify it again."
                    confirm="Yes, remove it"
                    pending=Signal::from(remove_pending)
                    id="remove-domain"
                    confirm_id="confirm-remove"
                />
            </div>
        </div>
    }
}

/// What started a check, for people.
fn trigger_label(trigger: &str) -> &str {
    match trigger {
        "manual" => "Verify button",
        "pending" => "Automatic (pending)",
        "reverify" => "Periodic re-check",
        other => other,
    }
}

/// A check's outcome, for people.
fn outcome_label(outcome: &str) -> &str {
    match outcome {
        "verified" => "Record found",
        "no_such_domain" => "No such domain",
        "no_txt_record" => "No TXT record",
        "code_mismatch" => "Code differs",
        "timeout" => "DNS timeout",
        "server_failure" => "DNS server failure",
        "conflict" => "Taken by another business",
        other => other,
    }
}

/// How to share the call page: the full address (copy), a QR code, the widget snippet.
#[component]
fn ShareCard(id: String) -> impl IntoView {
    let share = Resource::new(move || id.clone(), share_call_page);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                share.await.ok().map(|s| {
                    view! {
                        <div class="share-card" id="share-call-page">
                            <h3>"Share your call page"</h3>
                            <div class="share-body">
                                <div class="share-qr" role="img" aria-label=format!("QR code of {}", s.url) inner_html=s.qr_svg.clone()></div>
                                <div class="share-text">
                                    <p class="secret-label">"Address"</p>
                                    <div class="secret-row">
                                        <code id="share-url" class="secret">{s.url.clone()}</code>
                                        <CopyButton text=s.url.clone() what="call page address" id="copy-share-url" />
                                    </div>
                                    <p class="secret-label">"Click-to-call button for your site"</p>
                                    <div class="secret-row">
                                        <code id="share-snippet" class="secret">{s.snippet.clone()}</code>
                                        <CopyButton text=s.snippet.clone() what="button snippet" id="copy-share-snippet" />
                                    </div>
                                </div>
                            </div>
                        </div>
                    }
                })
            })}
        </Transition>
    }
}
