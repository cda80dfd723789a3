//! `/signup` and `/signin`.
//!
//! Both are plain forms posting to their server function, so they work before the page is
//! hydrated; once it is, errors appear in place and success navigates client-side.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::{SignIn, SignUp};
use crate::ui::{action_error, Field, FormAlert};

/// The centred card around the account forms.
#[component]
pub fn AuthCard(title: &'static str, lead: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <A href="/" attr:class="brand brand-centered">
                <span class="brand-mark" aria-hidden="true">
                    "dc"
                </span>
                "domaincall"
            </A>
            <section class="card auth-card">
                <h1>{title}</h1>
                <p class="muted">{lead}</p>
                {children()}
            </section>
        </main>
    }
}

/// Create an account and its business.
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    let pending = action.pending();
    view! {
        <Title text="Create your business" />
        <AuthCard
            title="Create your business"
            lead="Set up domaincall for your business. You can add your domain right after."
        >
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormAlert error fields=&["email", "password", "businessName"] />
                <Field
                    label="Email"
                    id="email"
                    name="email"
                    field="email"
                    input_type="email"
                    autocomplete="email"
                    error
                />
                <Field
                    label="Password"
                    id="password"
                    name="password"
                    field="password"
                    input_type="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    error
                />
                <Field
                    label="Business name"
                    id="business-name"
                    name="business_name"
                    field="businessName"
                    autocomplete="organization"
                    placeholder="Example Co."
                    error
                />
                <button
                    id="signup-submit"
                    data-testid="signup-submit"
                    type="submit"
                    class="btn btn-primary btn-block"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { "Creating…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="auth-switch">"Already have an account? " <A href="/signin">"Sign in"</A></p>
        </AuthCard>
    }
}

/// Sign in with email and password.
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = action_error(action);
    let pending = action.pending();
    view! {
        <Title text="Sign in" />
        <AuthCard title="Sign in" lead="Welcome back. Sign in to answer calls and manage your business.">
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormAlert error fields=&["email", "password"] />
                <Field
                    label="Email"
                    id="email"
                    name="email"
                    field="email"
                    input_type="email"
                    autocomplete="username"
                    error
                />
                <Field
                    label="Password"
                    id="password"
                    name="password"
                    field="password"
                    input_type="password"
                    autocomplete="current-password"
                    error
                />
                <button
                    id="signin-submit"
                    data-testid="signin-submit"
                    type="submit"
                    class="btn btn-primary btn-block"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="auth-switch">"New to domaincall? " <A href="/signup">"Create your business"</A></p>
        </AuthCard>
    }
}
