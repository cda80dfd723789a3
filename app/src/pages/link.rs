//! `/l/{token}`: the links of callback emails. Opening one changes nothing (mail scanners
//! open links too): a join link shows the business's call page, whose Call button rings
//! the member calling back; a cancel link shows the booked time and lets the caller pick
//! another free time or cancel (each asks first). A used, expired or
//! unknown link says so and points to the business's call page — never an error dump.

use entity::callbacks::LinkPage;
use leptos::either::{Either, EitherOf5};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::call::slots::SlotPicker;
use super::call::{BusinessCallPage, CallFrame, CallbackJoin};
use crate::api::{call_page_info, open_link, CallPageLookup, CancelCallback, MoveCallback};
use crate::ui::{action_error, action_output, ErrorPanel, ErrorSummary, Loading, SubmitButton};

/// The page of an emailed link.
#[component]
pub fn LinkPageView() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token")).unwrap_or_default();
    let page = Resource::new(token, |t| async move {
        let page = open_link(t.clone()).await?;
        // A join link shows the call page itself.
        let info = match &page {
            LinkPage::Join { domain, .. } => match call_page_info(Some(domain.clone())).await? {
                CallPageLookup::Found(info) => Some(*info),
                _ => None,
            },
            _ => None,
        };
        Ok::<_, crate::error::AppError>((t, page, info))
    });
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((token, page, info)) => Either::Left(view! { <LinkAnswer token page info /> }),
                    Err(error) => Either::Right(view! { <CallFrame><ErrorPanel error /></CallFrame> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LinkAnswer(
    token: String,
    page: LinkPage,
    info: Option<entity::types::CallPageInfo>,
) -> impl IntoView {
    match (page, info) {
        (LinkPage::Join { member_name, .. }, Some(info)) => EitherOf5::A(view! {
            <BusinessCallPage info join=Some(CallbackJoin { token, member_name }) />
        }),
        (LinkPage::Join { business_name, .. }, None) => EitherOf5::B(view! {
            <Refused
                message="This business's call page is not available any more.".to_owned()
                business_name=Some(business_name)
                domain=None
            />
        }),
        (
            LinkPage::Cancel {
                business_name,
                domain,
                intent,
                when,
            },
            _,
        ) => EitherOf5::C(view! { <ManageCallback token business_name domain intent when /> }),
        (
            LinkPage::Cancelled {
                business_name,
                domain,
            }
            | LinkPage::Moved {
                business_name,
                domain,
                ..
            },
            _,
        ) => EitherOf5::D(view! { <Cancelled business_name domain /> }),
        (
            LinkPage::Refused {
                reason,
                domain,
                business_name,
            },
            _,
        ) => EitherOf5::E(view! {
            <Refused message=reason.message().to_owned() business_name domain />
        }),
    }
}

/// The link of a confirmation mail: the booked time, another free time to pick, and the
/// button that cancels. Either action spends the link (moving mails a fresh one).
#[component]
fn ManageCallback(
    token: String,
    business_name: String,
    domain: String,
    intent: Option<Uuid>,
    when: Option<String>,
) -> impl IntoView {
    let cancel = ServerAction::<CancelCallback>::new();
    let relocate = ServerAction::<MoveCallback>::new();
    let (cancel_error, move_error) = (action_error(cancel), action_error(relocate));
    let (cancelled, moved) = (action_output(cancel), action_output(relocate));
    let done = Memo::new(move |_| moved.get().or_else(|| cancelled.get()));
    let (asked, token, domain) = (
        StoredValue::new(business_name),
        StoredValue::new(token),
        StoredValue::new(domain),
    );
    let intent = RwSignal::new(intent.map(|i| i.to_string()));
    let when = StoredValue::new(when);
    let plan = move || match when.get_value() {
        Some(when) => Either::Left(view! {
            <p id="link-when">"It is booked for " <strong>{when}</strong> "."</p>
        }),
        None => Either::Right(view! {
            <p id="link-when">"They will call you back as soon as they can."</p>
        }),
    };
    view! {
        <Title text="Your callback" />
        <CallFrame>
            <section class="call-card" id="link-page" aria-labelledby="link-title">
                {move || match done.get() {
                    Some(LinkPage::Cancelled { business_name, domain }) => {
                        view! { <CancelledBody business_name domain /> }.into_any()
                    }
                    Some(LinkPage::Moved { business_name, domain, when }) => {
                        view! { <MovedBody business_name domain when /> }.into_any()
                    }
                    Some(LinkPage::Refused { reason, .. }) => view! {
                        <h1 id="link-title">"This link does not work any more"</h1>
                        <p id="link-message">{reason.message()}</p>
                        <p>
                            <a class="btn btn-primary" href=format!("/call/{}", domain.get_value())>
                                "Go to the call page"
                            </a>
                        </p>
                    }.into_any(),
                    _ => view! {
                        <h1 id="link-title">"Your callback from " {asked.get_value()}</h1>
                        {plan()}
                        <h2>"Another time suits you better?"</h2>
                        <ActionForm action=relocate attr:id="callback-move-form">
                            <ErrorSummary error=move_error />
                            <input type="hidden" name="token" value=token.get_value() />
                            <SlotPicker domain intent />
                            <SubmitButton
                                id="callback-move"
                                label="Move my callback"
                                pending_label="Moving…"
                                pending=relocate.pending()
                            />
                        </ActionForm>
                        <h2>"No longer needed?"</h2>
                        <p>
                            <strong>{asked.get_value()}</strong>
                            " will not call you back. You can always call again or ask for a new callback."
                        </p>
                        <ActionForm action=cancel>
                            <ErrorSummary error=cancel_error />
                            <input type="hidden" name="token" value=token.get_value() />
                            <SubmitButton
                                id="callback-cancel"
                                label="Cancel my callback"
                                pending_label="Cancelling…"
                                pending=cancel.pending()
                                class="btn-danger"
                            />
                        </ActionForm>
                        <p class="muted small">
                            <a href=format!("/call/{}", domain.get_value())>"Keep it as it is and go to the call page"</a>
                        </p>
                    }.into_any(),
                }}
            </section>
        </CallFrame>
    }
}

#[component]
fn MovedBody(business_name: String, domain: String, when: String) -> impl IntoView {
    view! {
        <h1 id="link-title">"Callback moved"</h1>
        <p id="link-message">
            <strong>{business_name}</strong> " will call you back on " <strong>{when}</strong>
            ". We emailed you the new time with a calendar file and a new link to change it."
        </p>
        <p>
            <a class="btn btn-primary" href=format!("/call/{domain}")>"Go to the call page"</a>
        </p>
    }
}

#[component]
fn CancelledBody(business_name: String, domain: String) -> impl IntoView {
    view! {
        <h1 id="link-title">"Callback cancelled"</h1>
        <p id="link-message">
            <strong>{business_name}</strong>
            " will not call you back. Changed your mind? Call again or ask for a new callback."
        </p>
        <p>
            <a class="btn btn-primary" href=format!("/call/{domain}")>"Go to the call page"</a>
        </p>
    }
}

#[component]
fn Cancelled(business_name: String, domain: String) -> impl IntoView {
    view! {
        <Title text="Callback cancelled" />
        <CallFrame>
            <section class="call-card" id="link-page" aria-labelledby="link-title">
                <CancelledBody business_name domain />
            </section>
        </CallFrame>
    }
}

/// A link that does not work (any more), with the next step.
#[component]
fn Refused(
    message: String,
    business_name: Option<String>,
    domain: Option<String>,
) -> impl IntoView {
    let next = match (business_name, domain) {
        (Some(name), Some(domain)) => Either::Left(view! {
            <p>
                "You can still reach " <strong>{name}</strong>
                ": call them, or ask for a new callback from their call page."
            </p>
            <p>
                <a class="btn btn-primary" id="link-next" href=format!("/call/{domain}")>
                    "Go to the call page"
                </a>
            </p>
        }),
        _ => Either::Right(view! {
            <p>"Ask the business for a new link, or call them from their call page."</p>
        }),
    };
    view! {
        <Title text="This link does not work" />
        <CallFrame>
            <section class="call-card" id="link-page" aria-labelledby="link-title">
                <h1 id="link-title">"This link does not work"</h1>
                <p id="link-message">{message}</p>
                {next}
            </section>
        </CallFrame>
    }
}
