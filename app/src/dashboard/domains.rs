//! `/app/domains`: the business's domains — add one, publish its TXT record, verify it,
//! choose the team its calls ring, watch its checks, remove it.
//!
//! The selected domain lives in the address (`/app/domains?domain=<id>`) so that links
//! (the revocation email, a colleague's message) open straight onto it. Everybody sees the
//! list and the history; only owners and admins get the controls (the server checks every
//! action again, so hiding a control is only a courtesy).

mod detail;
mod route;

use entity::domains::DomainName;
use entity::types::{DomainStatus, DomainView, ErrorCode};
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use super::{use_account, ManagersOnly};
use crate::api::{
    domain_detail, list_domains, list_teams, AddDomain, RemoveDomain, SetDomainRoute, VerifyDomain,
};
use crate::error::AppError;
use crate::ui::{
    action_error, date, date_time, saved, Card, Column, DataTable, EmptyState, ErrorPanel,
    ErrorSummary, Field, Loaded, Loading, PageHeader, Row, SubmitButton,
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
    let route = ServerAction::<SetDomainRoute>::new();
    let controls = Controls::new(verify, remove, route);
    let query = use_query_map();
    let selected = Memo::new(move |_| query.with(|q| q.get("domain")));
    let changes = [saved(add), saved(verify), saved(remove), saved(route)];
    let domains = Resource::new(move || changes.map(|c| c.get()), |_| list_domains());
    let teams = Resource::new(|| (), |()| list_teams());
    let route_saved = saved(route);
    let detail = Resource::new(
        move || (selected.get(), verify.version().get(), route_saved.get()),
        |(id, _, _)| async move {
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
            route.value().set(None);
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
        >
            <ManagersOnly>
                <a href="#add-domain-title" class="btn btn-primary page-action">
                    "Add a domain"
                </a>
            </ManagersOnly>
        </PageHeader>
        <ManagersOnly notice="Only owners and admins can add, verify or remove domains.">
            <AddDomainCard add />
        </ManagersOnly>
        <Card title="Your domains" id="domains-title">
            <Loaded resource=domains view=move |list| view! { <DomainsTable list selected /> } />
        </Card>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let manage = matches!(
                    account.me.await, Ok(me) if me.business.role.can_manage()
                );
                // Without the teams (a failure to read them), the domain still shows.
                let teams = teams.await.unwrap_or_default();
                match detail.await {
                    Ok(Some(detail)) => {
                        Some(Either::Left(view! { <DomainPanel detail teams manage controls /> }))
                    }
                    Ok(None) => None,
                    Err(error) => Some(Either::Right(view! { <ErrorPanel error /> })),
                }
            })}
        </Transition>
    }
}

/// The add form: a plain form post (it works before hydration), pre-checked in the browser
/// with the same parser the server uses, so a mistyped name is explained without a round
/// trip.
#[component]
fn AddDomainCard(add: ServerAction<AddDomain>) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let pending = add.pending();
    let server_error = action_error(add);
    let local = RwSignal::new(None::<AppError>);
    let attempts = RwSignal::new(0_usize);
    let error = Signal::derive(move || local.get().or_else(|| server_error.get()));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        attempts.update(|n| *n += 1);
        let name = input.get_untracked().map(|i| i.value()).unwrap_or_default();
        match DomainName::parse(&name) {
            Ok(_) => {
                local.set(None);
                add.dispatch(AddDomain { name });
            }
            Err(e) => {
                let mut refused = AppError::new(ErrorCode::Validation, e.to_string());
                refused.fields = vec![e.to_field_error("name")];
                local.set(Some(refused));
            }
        }
    };
    view! {
        <Card title="Add a domain" id="add-domain-title">
            <form
                class="form form-row"
                method="post"
                action=AddDomain::url()
                novalidate
                on:submit=on_submit
            >
                <ErrorSummary error attempts fields=&[("name", "domain-name")] />
                <Field
                    label="Domain name"
                    id="domain-name"
                    name="name"
                    field="name"
                    inputmode="url"
                    placeholder="example.com"
                    hint="A domain your business owns, like example.com or sales.example.com. You will prove it with one DNS record."
                    error
                    node_ref=input
                />
                <div class="field field-action">
                    <SubmitButton id="add-domain" label="Add domain" pending_label="Adding…" pending />
                </div>
            </form>
        </Card>
    }
}

const DOMAIN_COLUMNS: [Column; 5] = [
    Column::new("Domain").class("wrap"),
    Column::new("Status"),
    Column::new("Details").class("wrap"),
    Column::new("Last checked"),
    Column::actions(),
];

/// The list: each domain with its status, linking to its details.
#[component]
fn DomainsTable(list: Vec<DomainView>, selected: Memo<Option<String>>) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <EmptyState id="no-domains">
                "No domains yet. Add the domain your customers know you by, publish the record we show you, and your call page goes live."
            </EmptyState>
        });
    }
    let rows = list
        .into_iter()
        .map(|d| {
            let id = d.id.clone();
            let is_selected = move || selected.with(|s| s.as_deref() == Some(id.as_str()));
            let current = is_selected.clone();
            let last_checked = d
                .last_checked_at
                .as_ref()
                .map_or_else(|| "Not yet".to_owned(), date_time);
            let ascii = (d.display_name != d.name).then(|| {
                view! { <span class="domain-ascii">{d.name.clone()}</span> }
            });
            let open = view! {
                <a
                    href=domain_href(&d.id)
                    class="btn btn-small"
                    aria-current=move || current().then_some("true")
                    aria-label=format!("Open {}", d.display_name)
                >
                    "Open"
                </a>
            };
            Row::new(vec![
                view! { <span class="domain-name">{d.display_name.clone()}</span> {ascii} }
                    .into_any(),
                view! { <StatusBadge status=d.status /> }.into_any(),
                summary(&d).into_any(),
                last_checked.into_any(),
                open.into_any(),
            ])
            .data("data-domain", d.name.clone())
            .selected(Signal::derive(is_selected))
        })
        .collect();
    Either::Right(view! { <DataTable id="domains-table" columns=DOMAIN_COLUMNS.to_vec() rows /> })
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
