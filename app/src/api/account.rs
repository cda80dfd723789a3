//! Accounts and sessions: sign up (and its emailed confirmation), sign in, sign out, who
//! am I, switching business, passwords and new businesses.

use entity::types::{Me, SignUpPreview};
use leptos::prelude::*;

use crate::error::AppError;

/// Where the sign-up form goes once its email is sent: the same page, saying "check your
/// inbox" (works with and without JavaScript).
pub const SIGN_UP_SENT: &str = "/signup?sent=1";

/// Starts a sign-up (limited per client address and per email): the address gets a link
/// that finishes it, or a note when it has an account already. Answers the same either
/// way, then shows "check your inbox".
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    business_name: String,
) -> Result<(), AppError> {
    use crate::backend;
    use entity::auth::signup::{self, SignUpForm, SignUpMail};

    backend::reply(async move {
        let services = backend::services()?;
        let client = backend::client_ip().await;
        let mail = SignUpMail {
            outbox: services.outbox.as_ref(),
            public_url: &services.public_url,
        };
        let form = SignUpForm {
            email: &email,
            password: &password,
            business_name: &business_name,
        };
        signup::request(&services.db, mail, &services.signup_limiter, &client, form).await?;
        leptos_axum::redirect(SIGN_UP_SENT);
        Ok(())
    })
    .await
}

/// What a sign-up link is for (its email and business name); no session needed.
#[server(endpoint = "preview_sign_up")]
pub async fn preview_sign_up(token: String) -> Result<SignUpPreview, AppError> {
    use crate::backend;
    use entity::auth::signup;

    backend::reply(async move {
        let services = backend::services()?;
        Ok(signup::preview(&services.db, &token).await?)
    })
    .await
}

/// Uses a sign-up link with the password chosen at sign-up: creates the account and its
/// business, signs in, and goes to the dashboard.
#[server(endpoint = "confirm_sign_up")]
pub async fn confirm_sign_up(token: String, password: String) -> Result<(), AppError> {
    use crate::backend;
    use entity::auth::signup;

    backend::reply(async move {
        let services = backend::services()?;
        let (user, business) = signup::confirm(&services.db, &token, &password).await?;
        backend::signed_in(&services, user.id, business.id).await?;
        leptos_axum::redirect("/app");
        Ok(())
    })
    .await
}

/// Checks credentials (rate limited), signs in, and goes to the dashboard.
#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::backend;
    use entity::auth::{accounts, sessions::DEVICE_COOKIE};

    backend::reply(async move {
        let services = backend::services()?;
        let client = backend::client_ip().await;
        let device = backend::cookie(DEVICE_COOKIE).await;
        let (user, business_id) = accounts::sign_in(
            &services.db,
            &services.limiter,
            &services.keys,
            &email,
            &password,
            &client,
            device.as_deref(),
        )
        .await?;
        backend::signed_in(&services, user.id, business_id).await?;
        leptos_axum::redirect("/app");
        Ok(())
    })
    .await
}

/// Ends this browser's session (if any), forgets its cookie, and goes home.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::backend;
    use entity::auth::{sessions, Credential};

    backend::reply(async move {
        let services = backend::services()?;
        if let Ok(principal) = backend::principal(&services).await {
            if let Credential::Session(id) = principal.credential {
                sessions::end(&services.db, &services.events, id).await?;
            }
        }
        backend::clear_session_cookie(&services)?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// The signed-in user, the business they act for, and every business they belong to.
#[server(endpoint = "me")]
pub async fn get_me() -> Result<Me, AppError> {
    use crate::backend;
    use entity::auth::accounts;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(accounts::me(&services.db, &principal).await?)
    })
    .await
}

/// Makes this session act for another business of the user, then shows its overview.
#[server(endpoint = "switch_business")]
pub async fn switch_business(business_id: String) -> Result<(), AppError> {
    use crate::backend;
    use entity::auth::sessions;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&business_id, "business")?;
        sessions::switch_business(&services.db, &services.events, &principal, id).await?;
        leptos_axum::redirect("/app");
        Ok(())
    })
    .await
}

/// Changes the password. The domain ends every session of the user, so this browser gets
/// a fresh one and stays signed in; every other device is signed out.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::backend;
    use entity::auth::accounts;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        accounts::change_password(
            &services.db,
            &services.events,
            &principal,
            &current_password,
            &new_password,
        )
        .await?;
        backend::start_session(&services, principal.user_id, principal.business_id).await?;
        Ok(())
    })
    .await
}

/// Creates another business owned by the signed-in user; returns its name.
#[server(endpoint = "create_business")]
pub async fn create_business(name: String) -> Result<String, AppError> {
    use crate::backend;
    use entity::auth::accounts;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let business = accounts::create_business(&services.db, principal.user_id, &name).await?;
        Ok(business.name)
    })
    .await
}

/// What the current business has set up (the overview's checklist ticks from it) and its
/// calls nobody answered this week.
#[server(endpoint = "setup_progress")]
pub async fn setup_progress() -> Result<entity::onboarding::SetupProgress, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let now = chrono::Utc::now();
        Ok(entity::onboarding::progress(&services.db, &principal, now).await?)
    })
    .await
}

/// The current business's profile: name, greeting for callers, logo.
#[server(endpoint = "business_profile")]
pub async fn business_profile() -> Result<entity::profile::ProfileView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::profile::profile(&services.db, &principal).await?)
    })
    .await
}

/// Renames the current business and sets the greeting its call page shows (owners and
/// admins; a blank greeting removes it).
#[server(endpoint = "set_business_profile")]
pub async fn set_business_profile(
    name: String,
    greeting: Option<String>,
) -> Result<entity::profile::ProfileView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let input = entity::profile::ProfileInput { name, greeting };
        Ok(entity::profile::set_profile(&services.db, &principal, &input).await?)
    })
    .await
}

/// Removes the current business's logo (owners and admins).
#[server(endpoint = "remove_business_logo")]
pub async fn remove_business_logo() -> Result<entity::profile::ProfileView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::profile::remove_logo(&services.db, &principal).await?)
    })
    .await
}
