//! `/invite/:token`: what the invitation is for, and accepting it with a password.

use entity::types::{ErrorCode, InvitationPreview};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::auth::AuthCard;
use crate::api::{preview_invitation, AcceptInvitation};
use crate::dashboard::PASSWORD_HINT;
use crate::error::AppError;
use crate::ui::{action_error, role_label, ErrorPanel, ErrorSummary, Field, Loading, SubmitButton};

/// The invitation link page.
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let preview = Resource::new(token, preview_invitation);
    view! {
        <Title text="Join a business" />
        <AuthCard title="Join a business" lead="You have been invited to answer calls on domaincall.">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok(p) => Either::Left(view! { <AcceptForm preview=p token=token() /> }),
                        Err(e) => Either::Right(view! { <InvalidInvitation error=e /> }),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

/// The details of a valid invitation and the password to accept it.
#[component]
fn AcceptForm(preview: InvitationPreview, token: String) -> impl IntoView {
    let action = ServerAction::<AcceptInvitation>::new();
    let error = action_error(action);
    let (label, hint, autocomplete) = if preview.account_exists {
        (
            "Your password",
            "You already have a domaincall account with this email; enter its password.",
            "current-password",
        )
    } else {
        ("Choose a password", PASSWORD_HINT, "new-password")
    };
    view! {
        <dl class="invite-details">
            <div>
                <dt>"Business"</dt>
                <dd id="invite-business">{preview.business_name}</dd>
            </div>
            <div>
                <dt>"Email"</dt>
                <dd id="invite-email-address">{preview.email.clone()}</dd>
            </div>
            <div>
                <dt>"Role"</dt>
                <dd id="invite-role-name">{role_label(preview.role)}</dd>
            </div>
        </dl>
        <ActionForm action attr:class="form" attr:novalidate=true>
            <ErrorSummary error attempts=action.version() fields=&[("password", "password")] />
            <input type="hidden" name="token" value=token />
            // Lets password managers file the password under the right account.
            <input
                type="email"
                class="visually-hidden"
                autocomplete="username"
                value=preview.email
                readonly
                tabindex="-1"
                aria-hidden="true"
            />
            <Field
                label=label
                id="password"
                name="password"
                field="password"
                input_type="password"
                autocomplete=autocomplete
                hint=hint
                error
            />
            <SubmitButton
                id="accept-submit"
                class="btn-block"
                label="Accept invitation"
                pending_label="Joining…"
                pending=action.pending()
            />
        </ActionForm>
    }
}

/// An unknown, used, revoked or expired link.
#[component]
fn InvalidInvitation(error: AppError) -> impl IntoView {
    if error.code != ErrorCode::NotFound {
        return Either::Left(view! { <ErrorPanel error /> });
    }
    Either::Right(view! {
        <div class="empty-state" id="invitation-invalid">
            <h2>"This invitation link no longer works"</h2>
            <p>
                "It may have been used already, revoked, or it has expired. Ask the person who invited you to send a new one."
            </p>
            <p>
                <A href="/signin" attr:class="btn">
                    "Sign in"
                </A>
            </p>
        </div>
    })
}
