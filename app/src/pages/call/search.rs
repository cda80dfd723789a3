//! "Who do you want to call?": the domain form of `/call` on domaincall's own host (and of
//! the not-found page), with the domains online now suggested.
//!
//! The server renders the suggestions with the list of the moment — a `<datalist>` bound to
//! the input and a short list of links — so they work without JavaScript; in the browser
//! the list then follows the `onlineDomains` subscription ([`crate::live`]).

use entity::domains::DomainName;
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use super::call_path;
use crate::api::{online_domains, ONLINE_SUGGESTIONS};
use crate::ui::FieldMessage;

/// How many online domains are listed as links (the datalist offers more as one types).
const ONLINE_SHOWN: usize = 20;

/// "Who do you want to call? [domain]" → `/call/{domain}`, pre-checked in the browser.
#[component]
pub fn CallSearch() -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = input.get_untracked().map(|i| i.value()).unwrap_or_default();
        match DomainName::parse(&typed) {
            Ok(name) => {
                error.set(None);
                navigate(&call_path(name.as_str()), NavigateOptions::default());
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    view! {
        <form class="form form-row call-search" method="get" action="/call" novalidate on:submit=on_submit>
            <div class="field" class:has-error=move || error.get().is_some()>
                <label for="call-domain-input">"Domain"</label>
                <input
                    id="call-domain-input"
                    name="domain"
                    type="text"
                    inputmode="url"
                    list="call-online-list"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    placeholder="example.com"
                    aria-describedby="call-domain-error"
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    node_ref=input
                    on:input=move |_| error.set(None)
                />
                <FieldMessage id="call-domain-error" message=error.into() />
            </div>
            <div class="field field-action">
                <button type="submit" class="btn btn-primary" id="call-search-submit">
                    "Go to call page"
                </button>
            </div>
        </form>
        <OnlineSuggestions />
    }
}

/// The domains online now: the input's `<datalist>` and a short list of links, rendered
/// with the server's list and then kept current from the subscription.
#[component]
fn OnlineSuggestions() -> impl IntoView {
    let rendered = Resource::new(|| (), |()| online_domains());
    let live = crate::live::online_domains();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                // A failure is logged by the server; the page works without suggestions.
                let first = rendered.await.unwrap_or_default();
                let names = Signal::derive(move || {
                    let mut names = live.get().unwrap_or_else(|| first.clone());
                    names.truncate(ONLINE_SUGGESTIONS);
                    names
                });
                view! {
                    <datalist id="call-online-list">
                        {move || {
                            names
                                .get()
                                .into_iter()
                                .map(|name| view! { <option value=name></option> })
                                .collect_view()
                        }}
                    </datalist>
                    <OnlineList names />
                }
            })}
        </Suspense>
    }
}

/// "Online now": the first [`ONLINE_SHOWN`] domains as links to their call pages.
#[component]
fn OnlineList(names: Signal<Vec<String>>) -> impl IntoView {
    let more = move || names.with(|n| n.len().saturating_sub(ONLINE_SHOWN));
    view! {
        <section class="call-online-now" aria-labelledby="call-online-title">
            <h2 id="call-online-title">"Online now"</h2>
            <Show
                when=move || names.with(|n| !n.is_empty())
                fallback=|| {
                    view! {
                        <p class="muted small" id="call-online-empty">
                            "Nobody is online right now. You can still go to a business's call page and try."
                        </p>
                    }
                }
            >
                <ul class="online-domains" id="call-online-domains">
                    {move || {
                        names
                            .get()
                            .into_iter()
                            .take(ONLINE_SHOWN)
                            .map(|name| {
                                let shown = DomainName::parse(&name)
                                    .map_or_else(|_| name.clone(), |n| n.unicode());
                                view! {
                                    <li>
                                        <a href=call_path(&name) class="online-domain">
                                            <span class="presence-dot" aria-hidden="true"></span>
                                            {shown}
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <Show when=move || { more() > 0 }>
                    <p class="muted small">
                        {move || format!("and {} more — type a domain to see them", more())}
                    </p>
                </Show>
            </Show>
        </section>
    }
}
