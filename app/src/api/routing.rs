//! Routing setup: the business's intents and teams. Every member reads; owners and admins
//! change (the entity crate checks). Ids travel as strings so plain form posts work too.

use entity::routing_setup::{IntentView, TeamView};
use leptos::prelude::*;

use crate::error::AppError;

/// The intents of the current business, in order.
#[server(endpoint = "list_intents")]
pub async fn list_intents() -> Result<Vec<IntentView>, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::routing_setup::intents::list(&services.db, &principal).await?)
    })
    .await
}

/// Adds an intent; `target` is `everyone`, `team:<id>` or `member:<id>`.
#[server(endpoint = "create_intent")]
pub async fn create_intent(label: String, target: String) -> Result<IntentView, AppError> {
    use crate::backend;
    use entity::routing_setup::{intents, IntentTarget};

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let target = IntentTarget::parse_choice("target", &target)
            .map_err(|e| entity::DomainError::Validation(vec![e]))?;
        Ok(intents::create(&services.db, &services.events, &principal, &label, target).await?)
    })
    .await
}

/// Renames an intent and/or points it elsewhere (an omitted field stays as it is).
#[server(endpoint = "update_intent")]
pub async fn update_intent(
    id: String,
    label: Option<String>,
    target: Option<String>,
) -> Result<IntentView, AppError> {
    use crate::backend;
    use entity::routing_setup::{intents, IntentTarget};

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "intent")?;
        let target = target
            .filter(|t| !t.is_empty())
            .map(|t| IntentTarget::parse_choice("target", &t))
            .transpose()
            .map_err(|e| entity::DomainError::Validation(vec![e]))?;
        Ok(intents::update(
            &services.db,
            &services.events,
            &principal,
            id,
            label.as_deref(),
            target,
        )
        .await?)
    })
    .await
}

/// Deletes an intent.
#[server(endpoint = "delete_intent")]
pub async fn delete_intent(id: String) -> Result<(), AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "intent")?;
        Ok(
            entity::routing_setup::intents::delete(&services.db, &services.events, &principal, id)
                .await?,
        )
    })
    .await
}

/// Puts the intents in the order of `ids` (each intent once).
#[server(endpoint = "reorder_intents")]
pub async fn reorder_intents(ids: Vec<String>) -> Result<Vec<IntentView>, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let ids = ids
            .iter()
            .map(|id| backend::parse_id(id, "intent"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(entity::routing_setup::intents::reorder(
            &services.db,
            &services.events,
            &principal,
            &ids,
        )
        .await?)
    })
    .await
}

/// The teams of the current business with their members.
#[server(endpoint = "list_teams")]
pub async fn list_teams() -> Result<Vec<TeamView>, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::routing_setup::teams::list(&services.db, &principal).await?)
    })
    .await
}

/// The team settings a form sends, checked by the entity crate.
#[cfg(feature = "ssr")]
fn team_input(
    name: String,
    strategy: String,
    ring_timeout_secs: String,
    fallback_team_id: Option<String>,
) -> Result<entity::routing_setup::TeamInput, AppError> {
    let ring_timeout_secs = ring_timeout_secs.trim().parse::<i64>().map_err(|_| {
        AppError::from(entity::DomainError::invalid(
            "ring_timeout_secs",
            "Enter a number of seconds.",
        ))
    })?;
    let fallback_team_id = match fallback_team_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(crate::backend::parse_id(id, "fallback team")?),
    };
    Ok(entity::routing_setup::TeamInput {
        name,
        strategy,
        ring_timeout_secs,
        fallback_team_id,
    })
}

/// Creates a team (members are set afterwards).
#[server(endpoint = "create_team")]
pub async fn create_team(
    name: String,
    strategy: String,
    ring_timeout_secs: String,
    fallback_team_id: Option<String>,
) -> Result<TeamView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let input = team_input(name, strategy, ring_timeout_secs, fallback_team_id)?;
        Ok(
            entity::routing_setup::teams::create(
                &services.db,
                &services.events,
                &principal,
                &input,
            )
            .await?,
        )
    })
    .await
}

/// Replaces a team's settings.
#[server(endpoint = "update_team")]
pub async fn update_team(
    id: String,
    name: String,
    strategy: String,
    ring_timeout_secs: String,
    fallback_team_id: Option<String>,
) -> Result<TeamView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "team")?;
        let input = team_input(name, strategy, ring_timeout_secs, fallback_team_id)?;
        Ok(entity::routing_setup::teams::update(
            &services.db,
            &services.events,
            &principal,
            id,
            &input,
        )
        .await?)
    })
    .await
}

/// Deletes a team (refused while intents route to it).
#[server(endpoint = "delete_team")]
pub async fn delete_team(id: String) -> Result<(), AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "team")?;
        Ok(
            entity::routing_setup::teams::delete(&services.db, &services.events, &principal, id)
                .await?,
        )
    })
    .await
}

/// Makes the checked members (`user_ids`, in that order) the team's members.
#[server(endpoint = "set_team_members")]
pub async fn set_team_members(
    id: String,
    #[server(default)] user_ids: Vec<String>,
) -> Result<TeamView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "team")?;
        let users = user_ids
            .iter()
            .map(|u| backend::parse_id(u, "member"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(entity::routing_setup::teams::set_members(
            &services.db,
            &services.events,
            &principal,
            id,
            &users,
        )
        .await?)
    })
    .await
}
