//! `/app`: who you are, for which business, and where to go next.

use entity::types::Me;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::use_account;
use crate::ui::{role_label, ErrorPanel, Loading, RoleBadge};

/// The overview page.
#[component]
pub fn Overview() -> impl IntoView {
    let account = use_account();
    view! {
        <Title text="Overview" />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match account.me.await {
                    Ok(me) => Either::Left(view! { <OverviewBody me /> }),
                    Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn OverviewBody(me: Me) -> impl IntoView {
    let manager = me.business.role.can_manage();
    let role = me.business.role;
    view! {
        <header class="page-header">
            <p class="eyebrow">"Overview"</p>
            <h1 id="greeting">"Hello, " {me.name().to_owned()}</h1>
            <p class="lead">
                "You are working in " <strong id="overview-business">{me.business.name.clone()}</strong>
                " as " <RoleBadge role /> "."
            </p>
        </header>
        <section class="card" aria-labelledby="next-title">
            <h2 id="next-title">"Getting your call page live"</h2>
            <ol class="checklist numbered">
                <li>
                    <A href="/app/domains">"Add your domain"</A>
                    " and verify it, so callers can reach you at yourdomain.com/call."
                </li>
                <li>
                    <A href="/app/intents">"Set up intents"</A>
                    " and "
                    <A href="/app/teams">"teams"</A>
                    " so each call reaches the right people."
                </li>
                <li>
                    <A href="/app/members">"Invite your team"</A>
                    " — agents answer calls, admins help you run the business."
                </li>
            </ol>
        </section>
        <section aria-labelledby="links-title">
            <h2 id="links-title" class="section-title">"Quick links"</h2>
            <div class="tile-grid">
                <A href="/app/members" attr:class="tile">
                    <span class="tile-title">"Members"</span>
                    <span class="tile-text">
                        {if manager { "Invite people and manage roles." } else { "See who is on the team." }}
                    </span>
                </A>
                {manager
                    .then(|| {
                        view! {
                            <A href="/app/api-keys" attr:class="tile">
                                <span class="tile-title">"API keys"</span>
                                <span class="tile-text">"Connect your own software to the GraphQL API."</span>
                            </A>
                        }
                    })}
                <A href="/app/settings" attr:class="tile">
                    <span class="tile-title">"Settings"</span>
                    <span class="tile-text">"Change your password or create another business."</span>
                </A>
                <A href="/app/calls" attr:class="tile">
                    <span class="tile-title">"Calls"</span>
                    <span class="tile-text">"Every call with its wait time, outcome and notes."</span>
                </A>
            </div>
        </section>
        <p class="muted small">
            "Signed in as " {me.email} " · " {role_label(role)} " of " {me.business.name}
            {(me.businesses.len() > 1)
                .then(|| format!(" · member of {} businesses", me.businesses.len()))}
        </p>
    }
}
