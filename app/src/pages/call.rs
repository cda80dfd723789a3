//! Call pages: `/call/{domain}` on domaincall's own host, and `/call` on a business's
//! verified domain (or `call.` + it) pointed at domaincall.
//!
//! Both routes render with `SsrMode::Async` so an unknown or unverified domain is answered
//! with a real `404` (the status is set while rendering, before the response starts). The
//! lookup runs on the server either way — with the domain from the path, or with the
//! request's Host header — and hydration reuses its answer, so server and browser render the
//! same page.
//!
//! [`BusinessCallPage`] is what callers see; its [`CallPanel`] holds the calling controls
//! (`panel`) and, in the browser, the call itself (`engine`). The page asking whom to call
//! suggests the domains online now (`search`).

use entity::domains::DomainName;
use entity::types::CallPageInfo;
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

mod callback;
#[cfg(feature = "hydrate")]
mod engine;
mod hours;
mod message;
mod panel;
mod reward;
mod search;
pub(crate) mod slots;

use hours::CallHours;
use panel::CallPanel;
use search::CallSearch;

use crate::api::{call_page_info, CallPageLookup};
use crate::ui::{ErrorPanel, Loading};

/// `/call/{domain}`: the call page of the business that verified `domain`.
#[component]
pub fn CallDomainPage() -> impl IntoView {
    let params = use_params_map();
    let domain = move || params.with(|p| p.get("domain")).unwrap_or_default();
    let lookup = Resource::new(domain, |d| call_page_info(Some(d)));
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match lookup.await {
                    Ok(lookup) => Either::Left(view! { <CallLookupView lookup from_path=true /> }),
                    Err(error) => Either::Right(view! { <CallFrame><ErrorPanel error /></CallFrame> }),
                }
            })}
        </Suspense>
    }
}

/// `/call`: on a business's domain, its call page; on domaincall's own host, a form asking
/// whom to call (`/call?domain=x`, the form's no-JavaScript answer, goes to `/call/x`).
#[component]
pub fn CallHostPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        query
            .with(|q| q.get("domain"))
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
    };
    let lookup = Resource::new(|| (), |()| call_page_info(None));
    view! {
        {move || match asked() {
            Some(domain) => Either::Left(view! { <Redirect path=call_path(&domain) /> }),
            None => {
                Either::Right(view! {
                    <Suspense fallback=Loading>
                        {move || Suspend::new(async move {
                            match lookup.await {
                                Ok(lookup) => {
                                    Either::Left(view! { <CallLookupView lookup from_path=false /> })
                                }
                                Err(error) => {
                                    Either::Right(view! { <CallFrame><ErrorPanel error /></CallFrame> })
                                }
                            }
                        })}
                    </Suspense>
                })
            }
        }}
    }
}

/// The page for a lookup's answer.
#[component]
fn CallLookupView(
    lookup: CallPageLookup,
    /// Whether the domain came from the path (on our host) rather than the Host header.
    from_path: bool,
) -> impl IntoView {
    match lookup {
        CallPageLookup::Found(info) => EitherOf3::A(view! { <BusinessCallPage info=*info /> }),
        CallPageLookup::NotFound { domain } => {
            #[cfg(feature = "ssr")]
            crate::backend::not_found_status();
            EitherOf3::B(view! { <CallNotFound domain offer_search=from_path /> })
        }
        CallPageLookup::OwnHost => EitherOf3::C(view! {
            <Title text="Call a business" />
            <CallFrame>
                <section class="call-card" aria-labelledby="call-who-title">
                    <h1 id="call-who-title">"Who do you want to call?"</h1>
                    <p class="muted">
                        "Enter the business's domain name — the one in its web address — to reach its call page."
                    </p>
                    <CallSearch />
                </section>
            </CallFrame>
        }),
    }
}

/// A member calling a caller back (the page of a join link).
#[derive(Clone, Debug)]
pub struct CallbackJoin {
    /// The join link's token, sent with the call request.
    pub token: String,
    /// Who is calling back.
    pub member_name: String,
}

/// A business's call page; with `join`, the page of a member calling back.
#[component]
pub fn BusinessCallPage(
    info: CallPageInfo,
    #[prop(default = None)] join: Option<CallbackJoin>,
) -> impl IntoView {
    let (notice, token) = match join {
        Some(j) => (Some(j.member_name), Some(j.token)),
        None => (None, None),
    };
    // Calling back is the member's own choice: the opening hours do not apply.
    let hours = info.hours.clone().filter(|_| notice.is_none());
    view! {
        <Title text=format!("Call {}", info.business_name) />
        <CallFrame>
            <section class="call-card call-found" id="call-page" aria-labelledby="call-business">
                {info.logo_url.clone().map(|src| view! {
                    <img
                        class="call-logo"
                        id="call-logo"
                        src=src
                        alt=format!("{} logo", info.business_name)
                        width="64"
                        height="64"
                    />
                })}
                <p class="eyebrow">"Call"</p>
                <h1 id="call-business">{info.business_name.clone()}</h1>
                <p class="call-identity">
                    <span class="call-domain" id="call-domain">{info.display_domain.clone()}</span>
                    <span
                        class="badge badge-success call-verified"
                        title="domaincall checked that this business controls this domain's DNS"
                    >
                        "✓ Verified domain"
                    </span>
                </p>
                {info.greeting.clone().map(|greeting| view! {
                    <p class="call-greeting" id="call-greeting">{greeting}</p>
                })}
                {notice.map(|member| view! {
                    <p class="alert alert-success link-notice" id="callback-join" role="status">
                        <strong>{member}</strong>
                        " is calling you back. Press Call to join."
                    </p>
                })}
                {hours.map(|status| view! { <CallHours status business=info.business_name.clone() /> })}
                <CallPanel info callback=token />
            </section>
        </CallFrame>
    }
}

/// A friendly not-found page for a domain that has no call page (the status is 404).
#[component]
fn CallNotFound(domain: String, offer_search: bool) -> impl IntoView {
    let shown = if domain.is_empty() {
        "This address".to_owned()
    } else {
        domain
    };
    view! {
        <Title text="No call page here" />
        <CallFrame>
            <section class="call-card" id="call-not-found" aria-labelledby="call-missing-title">
                <h1 id="call-missing-title">"No call page here"</h1>
                <p>
                    <strong>{shown}</strong>
                    " is not a verified domain on domaincall, so there is nobody to call at this address. Check the spelling, or try the business's main domain."
                </p>
                <p class="muted small">
                    "Is this your domain? Add it in the domaincall dashboard and publish its DNS record; the call page goes live as soon as it is verified."
                </p>
                {offer_search.then(|| view! { <CallSearch /> })}
            </section>
        </CallFrame>
    }
}

/// The frame of the call pages (and the link pages): the page itself and a small credit.
#[component]
pub fn CallFrame(children: Children) -> impl IntoView {
    view! {
        <div class="call-layout">
            <main class="call-main" id="main">{children()}</main>
            <footer class="call-footer">
                <span class="brand-mark" aria-hidden="true">"dc"</span>
                " Calls by domaincall"
            </footer>
        </div>
    }
}

/// `/call/<domain>`, with the domain in its normal form when it parses, else
/// percent-encoded as typed (it will then meet the not-found page).
fn call_path(domain: &str) -> String {
    match DomainName::parse(domain) {
        Ok(name) => format!("/call/{}", name.as_str()),
        Err(_) => {
            let mut path = "/call/".to_owned();
            for b in domain.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                    path.push(char::from(b));
                } else {
                    path.push_str(&format!("%{b:02X}"));
                }
            }
            path
        }
    }
}

#[cfg(test)]
mod tests {
    use super::call_path;

    #[test]
    fn call_paths_are_normalised_or_encoded() {
        assert_eq!(call_path("Shop.Example.COM."), "/call/shop.example.com");
        assert_eq!(call_path("bücher.de"), "/call/xn--bcher-kva.de");
        assert_eq!(call_path("a b/c"), "/call/a%20b%2Fc");
    }
}
