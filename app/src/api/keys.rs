//! API keys of the current business: list, create (secret shown once), revoke.

use entity::types::{ApiKeyView, NewApiKey};
use leptos::prelude::*;

use crate::error::AppError;

/// The keys of the current business, newest first (managers only).
#[server(endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::backend;
    use entity::auth::api_keys;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(api_keys::list(&services.db, &principal).await?)
    })
    .await
}

/// Creates a key; the result holds its secret, which is never available again.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<NewApiKey, AppError> {
    use crate::backend;
    use entity::auth::api_keys;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(api_keys::create(&services.db, &services.events, &principal, &name).await?)
    })
    .await
}

/// Revokes a key; it stops working at once.
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: String) -> Result<ApiKeyView, AppError> {
    use crate::backend;
    use entity::auth::api_keys;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "API key")?;
        Ok(api_keys::revoke(&services.db, &services.events, &principal, id).await?)
    })
    .await
}
