//! `/app/api-keys`: keys for the GraphQL API — list, create (the secret is shown once),
//! revoke.
//!
//! Creating a key is deliberately a client-side action (a button, not a form post): the
//! secret must only ever appear in the page that asked for it, never in a redirect or a
//! server-rendered page.

use entity::types::{ApiKeyView, NewApiKey};
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{use_account, ManagersOnly};
use crate::api::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::ui::{
    action_error, action_output, date, date_time, Card, Column, ConfirmAction, DataTable,
    EmptyState, ErrorSummary, Field, Loaded, PageHeader, Row, SubmitButton,
};

/// The API keys page.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let account = use_account();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let revoke_pending: Signal<bool> = revoke.pending().into();
    // Only managers may list keys; agents are not asked for them at all.
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        move |_| async move {
            match account.me.await {
                Ok(me) if me.business.role.can_manage() => list_api_keys().await.map(Some),
                Ok(_) => Ok(None),
                Err(e) => Err(e),
            }
        },
    );
    let revoke_error = action_error(revoke);
    view! {
        <Title text="API keys" />
        <PageHeader
            title="API keys"
            lead="Keys let your own software use the domaincall GraphQL API on behalf of this business."
        />
        <ManagersOnly notice="Only owners and admins can see and create API keys.">
            <CreateKeyCard create />
        </ManagersOnly>
        <Loaded
            resource=keys
            view={move |list: Option<Vec<ApiKeyView>>| {
                list.map(|list| {
                    view! {
                        <Card title="Keys" id="keys-title">
                            <ErrorSummary error=revoke_error />
                            <KeysTable list revoke revoke_pending />
                        </Card>
                    }
                })
            }}
        />
    }
}

/// The create form and, after a creation, the secret.
#[component]
fn CreateKeyCard(create: ServerAction<CreateApiKey>) -> impl IntoView {
    // The name is read from the input itself, not from a signal bound to it: text typed
    // before the page hydrated must not be lost.
    let input = NodeRef::<html::Input>::new();
    let pending = create.pending();
    let error = action_error(create);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !pending.get_untracked() {
            let name = input.get_untracked().map(|i| i.value()).unwrap_or_default();
            create.dispatch(CreateApiKey { name });
        }
    };
    let created = action_output(create);
    Effect::new(move |_| {
        if created.with(Option::is_some) {
            if let Some(i) = input.get_untracked() {
                i.set_value("");
            }
        }
    });
    view! {
        <Card title="Create key" id="create-key-title">
            <form class="form form-row" novalidate on:submit=on_submit>
                <ErrorSummary error attempts=create.version() fields=&[("name", "create-key-name")] />
                <Field
                    label="Key name"
                    id="create-key-name"
                    name="name"
                    field="name"
                    placeholder="e.g. CRM sync"
                    error
                    node_ref=input
                />
                <div class="field field-action">
                    <SubmitButton
                        id="create-key"
                        label="Create key"
                        pending_label="Creating…"
                        pending
                    />
                </div>
            </form>
            {move || created.get().map(|new| view! { <NewKeySecret new /> })}
        </Card>
    }
}

/// The freshly created secret, with a copy button and a first request to try.
#[component]
fn NewKeySecret(new: NewApiKey) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let secret = new.secret.clone();
    let curl = curl_example(&new.secret, &page_origin());
    view! {
        <div class="secret-box" id="new-key" data-testid="new-key" role="status">
            <p class="secret-warning">
                <strong>"This key is shown only once."</strong>
                " Copy it now and store it somewhere safe — we keep only a fingerprint of it."
            </p>
            <p class="secret-label">"Key “" {new.key.name.clone()} "”"</p>
            <div class="secret-row">
                <code id="new-key-secret" data-testid="new-key-secret" class="secret">
                    {new.secret.clone()}
                </code>
                <button
                    type="button"
                    id="copy-key"
                    class="btn btn-small"
                    on:click=move |_| crate::ui::copy_to_clipboard(secret.clone(), copied)
                >
                    {move || match copied.get() {
                        Some(true) => "Copied",
                        _ => "Copy",
                    }}
                </button>
            </div>
            {move || {
                (copied.get() == Some(false))
                    .then(|| {
                        view! {
                            <p class="field-error">
                                "Copying is not allowed here; select the key and copy it by hand."
                            </p>
                        }
                    })
            }}
            <p class="secret-label">"Try it:"</p>
            <pre class="code" id="new-key-curl"><code>{curl}</code></pre>
        </div>
    }
}

const KEY_COLUMNS: [Column; 6] = [
    Column::new("Name").class("wrap"),
    Column::new("Key"),
    Column::new("Created").class("nowrap"),
    Column::new("Last used").class("nowrap"),
    Column::new("Status"),
    Column::actions(),
];

/// The keys with their state and a revoke button.
#[component]
fn KeysTable(
    list: Vec<ApiKeyView>,
    revoke: ServerAction<RevokeApiKey>,
    revoke_pending: Signal<bool>,
) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <EmptyState id="no-keys">
                "No keys yet. Create one above to call the API from your own software."
            </EmptyState>
        });
    }
    let rows = list
        .into_iter()
        .map(|k| {
            let last_used = k.last_used_at.as_ref().map_or_else(|| "Never".to_owned(), date_time);
            let status = if k.revoked {
                view! { <span class="badge badge-muted">"Revoked"</span> }
            } else {
                view! { <span class="badge badge-success">"Active"</span> }
            };
            let action = (!k.revoked).then(|| {
                view! {
                    <ConfirmAction
                        action=revoke
                        fields=vec![("id", k.id.clone())]
                        label="Revoke"
                        name=format!("Revoke key {}", k.name)
                        question=format!("Revoke the key \u{201c}{}\u{201d}?", k.name)
                        detail="Software using it is refused from the next request on. This cannot be undone; create a new key instead."
                        confirm="Yes, revoke"
                        pending=revoke_pending
                    />
                }
            });
            Row::new(vec![
                k.name.clone().into_any(),
                view! { <code>{k.prefix.clone()} "…"</code> }.into_any(),
                date(&k.created_at).into_any(),
                last_used.into_any(),
                status.into_any(),
                action.into_any(),
            ])
            .class(if k.revoked { "revoked" } else { "" })
        })
        .collect();
    Either::Right(view! { <DataTable id="keys-table" columns=KEY_COLUMNS.to_vec() rows /> })
}

/// A first request with the new key, against this site's GraphQL endpoint.
fn curl_example(secret: &str, origin: &str) -> String {
    format!(
        r#"curl -H "Authorization: Bearer {secret}" -H "Content-Type: application/json" -d '{{"query":"{{ me {{ email }} business {{ name }} }}"}}' {origin}/graphql"#
    )
}

/// The origin the page was loaded from (the key box only ever renders in the browser).
fn page_origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
            return origin;
        }
    }
    "https://your-domaincall-host".to_owned()
}

#[cfg(test)]
mod tests {
    use super::curl_example;

    #[test]
    fn curl_example_is_the_documented_request() {
        assert_eq!(
            curl_example("dck_abc_def", "http://127.0.0.1:3000"),
            r#"curl -H "Authorization: Bearer dck_abc_def" -H "Content-Type: application/json" -d '{"query":"{ me { email } business { name } }"}' http://127.0.0.1:3000/graphql"#
        );
    }
}
