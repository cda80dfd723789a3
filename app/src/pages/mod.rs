//! The public pages: landing, sign up / sign in, invitation links, call pages, not found.

mod auth;
pub(crate) mod call;
mod invite;
mod landing;
mod link;

pub use auth::{ConfirmSignUpPage, SignInPage, SignUpPage};
pub use call::{CallDomainPage, CallHostPage};
pub use invite::InvitePage;
pub use landing::Landing;
pub use link::LinkPageView;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The top bar of the public pages.
#[component]
pub fn PublicHeader() -> impl IntoView {
    view! {
        <header class="public-header">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">
                    "dc"
                </span>
                "domaincall"
            </A>
            <nav class="public-nav" aria-label="Account">
                <A href="/signin" attr:class="btn btn-ghost">
                    "Sign in"
                </A>
                <A href="/signup" attr:class="btn btn-primary">
                    "Sign up"
                </A>
            </nav>
        </header>
    }
}

/// Any unknown address.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::backend::not_found_status();
    view! {
        <Title text="Page not found" />
        <PublicHeader />
        <main class="narrow-page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p>
                <A href="/" attr:class="btn btn-primary">
                    "Go to the home page"
                </A>
            </p>
        </main>
    }
}
