//! Members of the current business: listing, removing, changing roles; and how the
//! signed-in member is named.

use entity::types::{Me, MemberView, Role};
use leptos::prelude::*;

use crate::error::AppError;

/// The members of the current business (every member may see them).
#[server(endpoint = "list_members")]
pub async fn list_members() -> Result<Vec<MemberView>, AppError> {
    use crate::backend;
    use entity::auth::accounts;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(accounts::list_members(&services.db, &principal).await?)
    })
    .await
}

/// Removes a member from the current business.
#[server(endpoint = "remove_member")]
pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    use crate::backend;
    use entity::auth::accounts;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let user_id = backend::parse_id(&user_id, "member")?;
        Ok(accounts::remove_member(&services.db, &services.events, &principal, user_id).await?)
    })
    .await
}

/// Changes a member's role (owners only).
#[server(endpoint = "set_member_role")]
pub async fn set_member_role(user_id: String, role: Role) -> Result<MemberView, AppError> {
    use crate::backend;
    use entity::auth::accounts;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let user_id = backend::parse_id(&user_id, "member")?;
        Ok(
            accounts::set_member_role(&services.db, &services.events, &principal, user_id, role)
                .await?,
        )
    })
    .await
}

/// Sets how the signed-in user is addressed in every business they belong to (a blank
/// name clears it: they are shown by email).
#[server(endpoint = "set_display_name")]
pub async fn set_display_name(display_name: String) -> Result<Me, AppError> {
    use crate::backend;
    use entity::auth::accounts;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(accounts::set_display_name(&services.db, &principal, &display_name).await?)
    })
    .await
}
