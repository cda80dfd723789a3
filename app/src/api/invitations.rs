//! Invitations: sending, listing and revoking them (managers), and the public link that
//! previews and accepts one.

use entity::types::{InvitationPreview, InvitationView, Role};
use leptos::prelude::*;

use crate::error::AppError;

/// Invites `email` to the current business with `role`; the link goes out by email (a
/// business sends only so many a day).
#[server(endpoint = "invite_member")]
pub async fn invite_member(email: String, role: Role) -> Result<InvitationView, AppError> {
    use crate::backend;
    use entity::auth::invitations;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let sender = invitations::Sender {
            outbox: services.outbox.as_ref(),
            public_url: &services.public_url,
            per_day: services.invitations_per_day,
        };
        Ok(invitations::invite(
            &services.db,
            sender,
            &services.events,
            &principal,
            &email,
            role,
        )
        .await?)
    })
    .await
}

/// Sends a pending invitation again: a new link, the old one invalid (it counts toward the
/// business's daily limit like any invitation).
#[server(endpoint = "resend_invitation")]
pub async fn resend_invitation(id: String) -> Result<InvitationView, AppError> {
    use crate::backend;
    use entity::auth::invitations;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "invitation")?;
        let sender = invitations::Sender {
            outbox: services.outbox.as_ref(),
            public_url: &services.public_url,
            per_day: services.invitations_per_day,
        };
        Ok(invitations::resend(&services.db, sender, &services.events, &principal, id).await?)
    })
    .await
}

/// Pending invitations of the current business (managers only).
#[server(endpoint = "list_invitations")]
pub async fn list_invitations() -> Result<Vec<InvitationView>, AppError> {
    use crate::backend;
    use entity::auth::invitations;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(invitations::list(&services.db, &principal).await?)
    })
    .await
}

/// Revokes a pending invitation of the current business.
#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(id: String) -> Result<(), AppError> {
    use crate::backend;
    use entity::auth::invitations;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "invitation")?;
        Ok(invitations::revoke(&services.db, &services.events, &principal, id).await?)
    })
    .await
}

/// What an invitation link is for; no session needed.
#[server(endpoint = "preview_invitation")]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, AppError> {
    use crate::backend;
    use entity::auth::invitations;

    backend::reply(async move {
        let services = backend::services()?;
        Ok(invitations::preview(&services.db, &token).await?)
    })
    .await
}

/// Accepts an invitation (creating the account, or proving the existing one by its
/// password or by being signed in as it), signs in, and goes to the dashboard.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String, password: String) -> Result<(), AppError> {
    use crate::backend;
    use entity::auth::invitations;

    backend::reply(async move {
        let services = backend::services()?;
        let signed_in_as = backend::principal(&services).await.ok();
        let (user, business_id) = invitations::accept(
            &services.db,
            &services.events,
            &token,
            &password,
            signed_in_as.as_ref(),
        )
        .await?;
        backend::signed_in(&services, user.id, business_id).await?;
        leptos_axum::redirect("/app");
        Ok(())
    })
    .await
}
