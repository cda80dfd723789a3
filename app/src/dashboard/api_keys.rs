//! `/app/api-keys`: keys for the GraphQL API — list, create (the secret is shown once),
//! revoke.
//!
//! Creating a key is deliberately a client-side action (a button, not a form post): the
//! secret must only ever appear in the page that asked for it, never in a redirect or a
//! server-rendered page.

use entity::types::{ApiKeyView, NewApiKey};
use leptos::either::{Either, EitherOf3};
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use super::use_account;
use crate::api::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::ui::{
    action_error, date, date_time, ErrorPanel, FieldMessage, FormAlert, Loading, PageHeader,
};

/// The API keys page.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let account = use_account();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
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
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match account.me.await {
                    Ok(me) if me.business.role.can_manage() => {
                        EitherOf3::A(view! { <CreateKeyCard create /> })
                    }
                    Ok(_) => {
                        EitherOf3::B(
                            view! {
                                <p class="alert alert-info" role="status">
                                    "Only owners and admins can see and create API keys."
                                </p>
                            },
                        )
                    }
                    Err(error) => EitherOf3::C(view! { <ErrorPanel error /> }),
                }
            })}
        </Transition>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(Some(list)) => {
                        Some(
                            Either::Left(
                                view! {
                                    <section class="card" aria-labelledby="keys-title">
                                        <h2 id="keys-title">"Keys"</h2>
                                        <FormAlert error=revoke_error />
                                        <KeysTable list revoke />
                                    </section>
                                },
                            ),
                        )
                    }
                    Ok(None) => None,
                    Err(error) => Some(Either::Right(view! { <ErrorPanel error /> })),
                }
            })}
        </Transition>
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
    let name_error = Signal::derive(move || error.get().and_then(|e| e.field("name")));
    let submit = move || {
        if !pending.get_untracked() {
            let name = input.get_untracked().map(|i| i.value()).unwrap_or_default();
            create.dispatch(CreateApiKey { name });
        }
    };
    let created: Signal<Option<NewApiKey>> =
        Signal::derive(move || create.value().get().and_then(Result::ok));
    Effect::new(move |_| {
        if created.with(Option::is_some) {
            if let Some(i) = input.get_untracked() {
                i.set_value("");
            }
        }
    });
    view! {
        <section class="card" aria-labelledby="create-key-title">
            <h2 id="create-key-title">"Create key"</h2>
            <div class="form form-row">
                <div class="field" class:has-error=move || name_error.get().is_some()>
                    <label for="create-key-name">"Key name"</label>
                    <input
                        id="create-key-name"
                        data-testid="create-key-name"
                        type="text"
                        autocomplete="off"
                        placeholder="e.g. CRM sync"
                        aria-describedby="create-key-name-error"
                        aria-invalid=move || if name_error.get().is_some() { "true" } else { "false" }
                        node_ref=input
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" {
                                ev.prevent_default();
                                submit();
                            }
                        }
                    />
                    <FieldMessage id="create-key-name-error" message=name_error />
                </div>
                <div class="field field-action">
                    <button
                        id="create-key"
                        data-testid="create-key"
                        type="button"
                        class="btn btn-primary"
                        disabled=move || pending.get()
                        on:click=move |_| submit()
                    >
                        {move || if pending.get() { "Creating…" } else { "Create key" }}
                    </button>
                </div>
            </div>
            <FormAlert error fields=&["name"] />
            {move || created.get().map(|new| view! { <NewKeySecret new /> })}
        </section>
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

/// The keys with their state and a revoke button.
#[component]
fn KeysTable(list: Vec<ApiKeyView>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <p class="muted" id="no-keys">
                "No keys yet. Create one above to call the API from your own software."
            </p>
        });
    }
    let rows = list
        .into_iter()
        .map(|k| {
            let last_used = k.last_used_at.as_ref().map_or_else(|| "Never".to_owned(), date_time);
            view! {
                <tr class:revoked=k.revoked>
                    <td data-label="Name">{k.name.clone()}</td>
                    <td data-label="Key">
                        <code>{k.prefix.clone()} "…"</code>
                    </td>
                    <td data-label="Created">{date(&k.created_at)}</td>
                    <td data-label="Last used">{last_used}</td>
                    <td data-label="Status">
                        {if k.revoked {
                            Either::Left(view! { <span class="badge badge-muted">"Revoked"</span> })
                        } else {
                            Either::Right(view! { <span class="badge badge-success">"Active"</span> })
                        }}
                    </td>
                    <td data-label="Actions" class="actions">
                        {(!k.revoked)
                            .then(|| {
                                view! {
                                    <ActionForm action=revoke attr:class="inline">
                                        <input type="hidden" name="id" value=k.id.clone() />
                                        <button
                                            type="submit"
                                            class="btn btn-danger btn-small"
                                            aria-label=format!("Revoke key {}", k.name)
                                        >
                                            "Revoke"
                                        </button>
                                    </ActionForm>
                                }
                            })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-wrap">
            <table class="table" id="keys-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
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
