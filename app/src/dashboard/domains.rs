//! `/app/domains`: the business's domains — add one, publish its TXT record, verify it,
//! watch its checks, remove it.
//!
//! The selected domain lives in the address (`/app/domains?domain=<id>`) so that links
//! (the revocation email, a colleague's message) open straight onto it. Everybody sees the
//! list and the history; only owners and admins get the controls (the server checks every
//! action again, so hiding a control is only a courtesy).

mod detail;

use entity::domains::DomainName;
use entity::types::{DomainStatus, DomainView};
use leptos::either::{Either, EitherOf3};
use leptos::html;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use super::use_account;
use crate::api::{domain_detail, list_domains, AddDomain, RemoveDomain, VerifyDomain};
use crate::ui::{
    action_error, date, date_time, ErrorPanel, FieldMessage, FormAlert, Loading, PageHeader,
};
use detail::{Controls, DomainPanel};

/// Where the page lives; `?domain=<id>` selects a domain.
const PAGE: &str = "/app/domains";

/// The address that opens `id`'s details.
fn domain_href(id: &str) -> String {
    format!("{PAGE}?domain={id}")
}

/// The domains page.
#[component]
pub fn DomainsPage() -> impl IntoView {
    let account = use_account();
    let add = ServerAction::<AddDomain>::new();
    let verify = ServerAction::<VerifyDomain>::new();
    let remove = ServerAction::<RemoveDomain>::new();
    let controls = Controls::new(verify, remove);
    let query = use_query_map();
    let selected = Memo::new(move |_| query.with(|q| q.get("domain")));
    let domains = Resource::new(
        move || {
            (
                add.version().get(),
                verify.version().get(),
                remove.version().get(),
            )
        },
        |_| list_domains(),
    );
    let detail = Resource::new(
        move || (selected.get(), verify.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => domain_detail(id).await.map(Some),
                None => Ok(None),
            }
        },
    );

    // Results of Verify and Remove belong to the domain they ran on.
    Effect::watch(
        move || selected.get(),
        move |_, _, _| {
            verify.value().set(None);
            remove.value().set(None);
        },
        false,
    );

    // A new domain opens onto its record; a removed one closes.
    let navigate = use_navigate();
    let to_added = navigate.clone();
    Effect::new(move |_| {
        if let Some(Ok(added)) = add.value().get() {
            to_added(&domain_href(&added.id), NavigateOptions::default());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            navigate(PAGE, NavigateOptions::default());
        }
    });

    view! {
        <Title text="Domains" />
        <PageHeader
            title="Domains"
            lead="Your domain is your phone line: once it is verified, callers reach you at yourdomain.com/call."
        />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match account.me.await {
                    Ok(me) if me.business.role.can_manage() => {
                        EitherOf3::A(view! { <AddDomainCard add /> })
                    }
                    Ok(_) => {
                        EitherOf3::B(
                            view! {
                                <p class="alert alert-info" role="status">
                                    "Only owners and admins can add, verify or remove domains."
                                </p>
                            },
                        )
                    }
                    Err(error) => EitherOf3::C(view! { <ErrorPanel error /> }),
                }
            })}
        </Transition>
        <section class="card" aria-labelledby="domains-title">
            <h2 id="domains-title">"Your domains"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match domains.await {
                        Ok(list) => Either::Left(view! { <DomainsTable list selected /> }),
                        Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                    }
                })}
            </Transition>
        </section>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let manage = matches!(
                    account.me.await, Ok(me) if me.business.role.can_manage()
                );
                match detail.await {
                    Ok(Some(detail)) => {
                        Some(Either::Left(view! { <DomainPanel detail manage controls /> }))
                    }
                    Ok(None) => None,
                    Err(error) => Some(Either::Right(view! { <ErrorPanel error /> })),
                }
            })}
        </Transition>
    }
}

/// The add form, pre-checked in the browser with the same parser the server uses.
#[component]
fn AddDomainCard(add: ServerAction<AddDomain>) -> impl IntoView {
    // The name is read from the input itself, not from a signal bound to it: text typed
    // before the page hydrated must not be lost.
    let input = NodeRef::<html::Input>::new();
    let pending = add.pending();
    let server_error = action_error(add);
    let local_error = RwSignal::new(None::<String>);
    let name_error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| server_error.get().and_then(|e| e.field("name")))
    });
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) {
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
        let name = input.get_untracked().map(|i| i.value()).unwrap_or_default();
        match DomainName::parse(&name) {
            Ok(_) => {
                local_error.set(None);
                add.dispatch(AddDomain { name });
            }
            Err(e) => local_error.set(Some(e.to_string())),
        }
    };
    view! {
        <section class="card" aria-labelledby="add-domain-title">
            <h2 id="add-domain-title">"Add a domain"</h2>
            <form
                class="form form-row"
                method="post"
                action=AddDomain::url()
                novalidate
                on:submit=on_submit
            >
                <div class="field" class:has-error=move || name_error.get().is_some()>
                    <label for="domain-name">"Domain name"</label>
                    <p class="field-hint" id="domain-name-hint">
                        "A domain your business owns, like example.com or sales.example.com. You will prove it with one DNS record."
                    </p>
                    <input
                        id="domain-name"
                        data-testid="domain-name"
                        name="name"
                        type="text"
                        inputmode="url"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        placeholder="example.com"
                        aria-describedby="domain-name-hint domain-name-error"
                        aria-invalid=move || if name_error.get().is_some() { "true" } else { "false" }
                        node_ref=input
                        on:input=move |_| local_error.set(None)
                    />
                    <FieldMessage id="domain-name-error" message=name_error />
                </div>
                <div class="field field-action">
                    <button
                        id="add-domain"
                        data-testid="add-domain"
                        type="submit"
                        class="btn btn-primary"
                        disabled=move || pending.get()
                    >
                        {move || if pending.get() { "Adding…" } else { "Add domain" }}
                    </button>
                </div>
            </form>
            <FormAlert error=server_error fields=&["name"] />
        </section>
    }
}

/// The list: each domain with its status, linking to its details.
#[component]
fn DomainsTable(list: Vec<DomainView>, selected: Memo<Option<String>>) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <p class="muted" id="no-domains">
                "No domains yet. Add the domain your customers know you by, publish the record we show you, and your call page goes live."
            </p>
        });
    }
    let rows = list
        .into_iter()
        .map(|d| {
            let id = d.id.clone();
            let is_selected = move || selected.with(|s| s.as_deref() == Some(id.as_str()));
            let current = is_selected.clone();
            let href = domain_href(&d.id);
            let last_checked = d
                .last_checked_at
                .as_ref()
                .map_or_else(|| "Not yet".to_owned(), date_time);
            let ascii = (d.display_name != d.name).then(|| {
                view! { <span class="domain-ascii">{d.name.clone()}</span> }
            });
            view! {
                <tr class:selected=is_selected data-domain=d.name.clone()>
                    <td data-label="Domain">
                        <span class="domain-name">{d.display_name.clone()}</span>
                        {ascii}
                    </td>
                    <td data-label="Status">
                        <StatusBadge status=d.status />
                    </td>
                    <td data-label="Details" class="domain-summary">{summary(&d)}</td>
                    <td data-label="Last checked">{last_checked}</td>
                    <td data-label="Actions" class="actions">
                        <a
                            href=href
                            class="btn btn-small"
                            aria-current=move || current().then_some("true")
                            aria-label=format!("Open {}", d.display_name)
                        >
                            "Open"
                        </a>
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-wrap">
            <table class="table" id="domains-table">
                <thead>
                    <tr>
                        <th scope="col">"Domain"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Details"</th>
                        <th scope="col">"Last checked"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}

/// A domain's status as a badge: "Pending", "Verified", "Revoked".
#[component]
pub(super) fn StatusBadge(status: DomainStatus) -> impl IntoView {
    let (class, label) = match status {
        DomainStatus::Pending => ("badge badge-warning", "Pending"),
        DomainStatus::Verified => ("badge badge-success", "Verified"),
        DomainStatus::Revoked => ("badge badge-danger", "Revoked"),
    };
    view! { <span class=format!("{class} domain-status") data-status=status.as_str()>{label}</span> }
}

/// One line on where a domain stands.
fn summary(d: &DomainView) -> String {
    match (d.status, &d.inherited_from) {
        (DomainStatus::Verified, Some(parent)) => format!("Verified through {parent}"),
        (DomainStatus::Verified, None) => match (&d.verified_at, d.failed_checks) {
            (_, n) if n > 0 => format!("Record missing on the last {n} check(s)"),
            (Some(at), _) => format!("Verified on {}", date(at)),
            (None, _) => "Verified".to_owned(),
        },
        (DomainStatus::Pending, _) => "Waiting for its TXT record".to_owned(),
        (DomainStatus::Revoked, _) => match &d.revoked_at {
            Some(at) => format!("Record missing; revoked on {}", date(at)),
            None => "Record missing; revoked".to_owned(),
        },
    }
}
