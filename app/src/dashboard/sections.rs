//! What `/app/*` shows at an address that is no dashboard section.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::ui::PageHeader;

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
