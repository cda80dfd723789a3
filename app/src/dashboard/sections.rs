//! The sections that are not built yet. Each says honestly what it will do; none shows
//! made-up data.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::ui::PageHeader;

/// What an unbuilt section is for.
struct Section {
    title: &'static str,
    lead: &'static str,
    will: &'static [&'static str],
}

/// An honest empty state for a section that is on its way.
#[component]
fn ComingSoon(section: &'static Section) -> impl IntoView {
    view! {
        <Title text=section.title />
        <PageHeader title=section.title lead=section.lead />
        <section class="card empty-state" aria-labelledby="coming-title">
            <span class="badge badge-muted">"Not available yet"</span>
            <h2 id="coming-title">"What this section will do"</h2>
            <ul class="checklist">
                {section.will.iter().map(|item| view! { <li>{*item}</li> }).collect_view()}
            </ul>
            <p class="muted">
                "There is nothing to show here yet. Meanwhile you can invite your team from "
                <A href="/app/members">"Members"</A>
                " or connect your own software with "
                <A href="/app/api-keys">"API keys"</A>
                "."
            </p>
        </section>
    }
}

macro_rules! section_page {
    ($(#[$doc:meta])* $name:ident, $section:expr) => {
        $(#[$doc])*
        #[component]
        pub fn $name() -> impl IntoView {
            const SECTION: Section = $section;
            view! { <ComingSoon section=&SECTION /> }
        }
    };
}

section_page!(
    /// `/app/rewards`
    RewardsPage,
    Section {
        title: "Rewards",
        lead: "Thank callers for their time.",
        will: &[
            "Set a reward policy for callers who had to wait.",
            "Compute each caller's reward once the call ends.",
            "Let callers see the rewards they have earned.",
        ],
    }
);

/// An unknown address under `/app`.
#[component]
pub fn SectionNotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::backend::not_found_status();
    view! {
        <Title text="Not found" />
        <PageHeader title="Not found" lead="There is no dashboard section at this address." />
        <p>
            <A href="/app" attr:class="btn">
                "Back to the overview"
            </A>
        </p>
    }
}
