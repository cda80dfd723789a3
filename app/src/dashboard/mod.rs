//! `/app/*`: the signed-in dashboard — its layout (header, business switcher, side
//! navigation) and its sections.
//!
//! The layout loads the signed-in account once, as a blocking resource so the server can
//! still answer `302 → /signin` for a visitor without a session, and shares it with the
//! sections through [`Account`].

mod api_keys;
mod calendar_feed;
mod callback_slots;
mod callback_week;
mod callbacks;
mod calls;
mod charts;
mod contacts;
mod domains;
mod intents;
mod members;
mod messages;
mod overview;
mod rewards;
mod schedules;
mod sections;
mod settings;
mod softphone;
mod teams;
mod webhooks;

pub use api_keys::ApiKeysPage;
pub use callbacks::CallbacksPage;
pub use calls::CallsPage;
pub use contacts::{ContactPage, ContactsPage};
pub use domains::DomainsPage;
pub use intents::IntentsPage;
pub use members::MembersPage;
pub use messages::MessagesPage;
pub use overview::Overview;
pub use rewards::{RewardsPage, RewardsTable, Totals as RewardTotalsView};
pub use schedules::SchedulesPage;
pub use sections::*;
pub use settings::{SettingsPage, PASSWORD_HINT};
pub use teams::TeamsPage;
pub use webhooks::WebhooksPage;

use entity::types::Me;
use leptos::either::{Either, EitherOf3};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

use crate::api::{get_me, SignOut, SwitchBusiness};
use crate::error::AppError;
use crate::ui::{action_succeeded, role_label, Notice, RoleBadge};

/// The signed-in account, shared by the layout and every section.
#[derive(Clone, Copy)]
pub struct Account {
    /// Who is signed in and which business they act for.
    pub me: Resource<Result<Me, AppError>>,
    version: RwSignal<usize>,
}

impl Account {
    fn new() -> Self {
        let version = RwSignal::new(0_usize);
        let me = Resource::new_blocking(move || version.get(), |_| get_me());
        Self { me, version }
    }

    /// Loads the account again (after switching or creating a business).
    pub fn reload(&self) {
        self.version.update(|n| *n += 1);
    }
}

/// The account of the enclosing dashboard (or a freshly loaded one outside of it).
pub fn use_account() -> Account {
    use_context::<Account>().unwrap_or_else(Account::new)
}

/// The side navigation: every section, in order.
const SECTIONS: &[(&str, &str)] = &[
    ("/app", "Overview"),
    ("/app/domains", "Domains"),
    ("/app/intents", "Intents"),
    ("/app/teams", "Teams"),
    ("/app/schedules", "Schedules"),
    ("/app/calls", "Calls"),
    ("/app/callbacks", "Callbacks"),
    ("/app/messages", "Messages"),
    ("/app/contacts", "Contacts"),
    ("/app/rewards", "Rewards"),
    ("/app/members", "Members"),
    ("/app/api-keys", "API keys"),
    ("/app/webhooks", "Webhooks"),
    ("/app/settings", "Settings"),
];

/// Its children for owners and admins; for agents `notice` (or nothing). The server checks
/// every action again, so hiding a control is only a courtesy.
#[component]
pub fn ManagersOnly(
    /// What members who cannot manage see instead.
    #[prop(optional)]
    notice: Option<&'static str>,
    children: ChildrenFn,
) -> impl IntoView {
    let account = use_account();
    view! {
        <Transition fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match account.me.await {
                        Ok(me) if me.business.role.can_manage() => Some(Either::Left(children())),
                        Ok(_) => notice.map(|n| Either::Right(view! { <Notice>{n}</Notice> })),
                        Err(_) => None,
                    }
                })
            }}
        </Transition>
    }
}

/// The frame of every dashboard page.
#[component]
pub fn DashboardLayout() -> impl IntoView {
    let account = Account::new();
    provide_context(account);
    view! {
        <div class="dashboard">
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <header class="topbar">
                <A href="/app" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">
                        "dc"
                    </span>
                    <span class="brand-name">"domaincall"</span>
                </A>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match account.me.await {
                            Ok(me) => EitherOf3::A(view! { <AccountBar me /> }),
                            Err(e) if e.is_unauthenticated() => {
                                EitherOf3::B(view! { <Redirect path="/signin" /> })
                            }
                            Err(e) => {
                                EitherOf3::C(
                                    view! {
                                        <p class="topbar-error" role="alert">
                                            {e.message}
                                        </p>
                                    },
                                )
                            }
                        }
                    })}
                </Transition>
            </header>
            <div class="dashboard-body">
                <nav class="sidenav" aria-label="Dashboard sections">
                    <ul>
                        {SECTIONS
                            .iter()
                            .map(|(href, label)| {
                                view! {
                                    <li>
                                        <A href=*href exact=*href == "/app">
                                            {*label}
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
                <main class="dashboard-main" id="main" tabindex="-1">
                    <Outlet />
                </main>
            </div>
            <softphone::Softphone />
        </div>
    }
}

/// The right side of the header: business (and switcher), email, sign out.
#[component]
fn AccountBar(me: Me) -> impl IntoView {
    let account = use_account();
    let switch = ServerAction::<SwitchBusiness>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let switched = action_succeeded(switch);
    Effect::new(move |_| {
        if switched.get() {
            account.reload();
        }
    });
    let current = me.business.id.clone();
    let switcher = (me.businesses.len() > 1).then(|| {
        let options = me
            .businesses
            .iter()
            .map(|b| {
                let selected = b.id == current;
                view! {
                    <option value=b.id.clone() selected=selected>
                        {b.name.clone()}
                        " ("
                        {role_label(b.role)}
                        ")"
                    </option>
                }
            })
            .collect_view();
        view! {
            <ActionForm action=switch attr:class="switcher">
                <label for="business-switcher" class="visually-hidden">
                    "Business"
                </label>
                <select id="business-switcher" name="business_id">
                    {options}
                </select>
                <button type="submit" class="btn btn-small" id="switch-business">
                    "Switch"
                </button>
            </ActionForm>
        }
    });
    view! {
        <div class="account-bar">
            <div class="current-business">
                <span class="business-name" id="current-business">
                    {me.business.name.clone()}
                </span>
                <RoleBadge role=me.business.role />
            </div>
            {switcher}
            <span class="user-email" id="user-email" title=format!("Signed in as {}", me.email)>
                {me.name().to_owned()}
            </span>
            <ActionForm action=sign_out attr:class="sign-out-form">
                <button id="sign-out" data-testid="sign-out" type="submit" class="btn btn-ghost btn-small">
                    "Sign out"
                </button>
            </ActionForm>
        </div>
    }
}
