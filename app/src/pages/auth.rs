//! `/signup`, `/signup/confirm/:token` and `/signin`.
//!
//! All are plain forms posting to their server function, so they work before the page is
//! hydrated; once it is, errors appear in place and success navigates client-side.
//! Signing up ends on "check your inbox" (`/signup?sent=1`) whether or not the email has
//! an account; the emailed link opens the confirm page, whose button (a POST, so a mail
//! scanner fetching the link cannot use it up) creates the business and signs in.

use entity::types::{ErrorCode, SignUpPreview};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{preview_sign_up, ConfirmSignUp, SignIn, SignUp};
use crate::dashboard::PASSWORD_HINT;
use crate::error::AppError;
use crate::ui::{action_error, ErrorPanel, ErrorSummary, Field, Loading, SubmitButton};

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

/// Create an account and its business: the form, then "check your inbox".
#[component]
pub fn SignUpPage() -> impl IntoView {
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some();
    view! {
        <Title text="Create your business" />
        {move || if sent() { Either::Left(view! { <CheckYourInbox /> }) } else { Either::Right(view! { <SignUpForm /> }) }}
    }
}

/// What a sign-up shows once its email is on its way — the same for every address.
#[component]
fn CheckYourInbox() -> impl IntoView {
    view! {
        <AuthCard title="Check your inbox" lead="We sent an email to the address you entered.">
            <div id="signup-sent" class="empty-state">
                <p>
                    "Open the link in it to create your business and sign in. The link works once, within 24 hours."
                </p>
                <p>
                    "If that address has a domaincall account already, the email says so instead: sign in with it."
                </p>
            </div>
            <p class="auth-switch">
                "Nothing arrived? Check your spam folder, or " <A href="/signup">"sign up again"</A>
            </p>
        </AuthCard>
    }
}

/// The sign-up form.
#[component]
fn SignUpForm() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    view! {
        <AuthCard
            title="Create your business"
            lead="Set up domaincall for your business. We email you a link to finish; you can add your domain right after."
        >
            <ActionForm action attr:class="form" attr:novalidate=true>
                <ErrorSummary
                    error
                    attempts=action.version()
                    fields=&[("email", "email"), ("password", "password"), ("businessName", "business-name")]
                />
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
                    hint=PASSWORD_HINT
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
                <SubmitButton
                    id="signup-submit"
                    class="btn-block"
                    label="Create account"
                    pending_label="Sending…"
                    pending=action.pending()
                />
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
    view! {
        <Title text="Sign in" />
        <AuthCard title="Sign in" lead="Welcome back. Sign in to answer calls and manage your business.">
            <ActionForm action attr:class="form" attr:novalidate=true>
                <ErrorSummary
                    error
                    attempts=action.version()
                    fields=&[("email", "email"), ("password", "password")]
                />
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
                <SubmitButton
                    id="signin-submit"
                    class="btn-block"
                    label="Sign in"
                    pending_label="Signing in…"
                    pending=action.pending()
                />
            </ActionForm>
            <p class="auth-switch">"New to domaincall? " <A href="/signup">"Create your business"</A></p>
        </AuthCard>
    }
}

/// The page of the emailed sign-up link: what it creates, and the button that does it.
#[component]
pub fn ConfirmSignUpPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let preview = Resource::new(token, preview_sign_up);
    view! {
        <Title text="Finish signing up" />
        <AuthCard title="Finish signing up" lead="One step left: enter your password to create your business and sign in.">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok(p) => Either::Left(view! { <ConfirmForm preview=p token=token() /> }),
                        Err(e) => Either::Right(view! { <LinkRefused error=e /> }),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

/// The account a valid link creates, and the button.
#[component]
fn ConfirmForm(preview: SignUpPreview, token: String) -> impl IntoView {
    let action = ServerAction::<ConfirmSignUp>::new();
    let error = action_error(action);
    view! {
        <dl class="invite-details">
            <div>
                <dt>"Business"</dt>
                <dd id="confirm-business">{preview.business_name}</dd>
            </div>
            <div>
                <dt>"Email"</dt>
                <dd id="confirm-email">{preview.email.clone()}</dd>
            </div>
        </dl>
        <ActionForm action attr:class="form" attr:novalidate=true>
            <ErrorSummary error attempts=action.version() fields=&[("password", "password")] />
            <input type="hidden" name="token" value=token />
            <input
                type="email"
                name="username"
                autocomplete="username"
                value=preview.email.clone()
                hidden=true
                readonly=true
            />
            <Field
                label="The password you chose"
                id="password"
                name="password"
                field="password"
                input_type="password"
                autocomplete="current-password"
                error
            />
            <SubmitButton
                id="confirm-submit"
                class="btn-block"
                label="Create my business and sign in"
                pending_label="Creating…"
                pending=action.pending()
            />
        </ActionForm>
    }
}

/// An unknown, used or expired link, and why.
#[component]
fn LinkRefused(error: AppError) -> impl IntoView {
    if error.code != ErrorCode::Validation {
        return Either::Left(view! { <ErrorPanel error /> });
    }
    let why = error.field("token").unwrap_or(error.message);
    Either::Right(view! {
        <div class="empty-state" id="signup-link-invalid">
            <h2>"This link does not work"</h2>
            <p>{why}</p>
            <p>
                <A href="/signup" attr:class="btn">
                    "Sign up again"
                </A>
                " "
                <A href="/signin" attr:class="btn">
                    "Sign in"
                </A>
            </p>
        </div>
    })
}
