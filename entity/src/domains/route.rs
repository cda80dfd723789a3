//! Routing by called domain (issue 16 §4): a domain may name the team its calls ring when
//! the caller picked no intent (`sales.example.com` → team Sales); an intent the caller
//! picked still wins ([`crate::routing_setup::route_by`]).
//!
//! Setting or clearing it publishes `DomainRouteChanged`, which makes the hub's call
//! directory drop that business's cached domains (the cached entry carries the team).
//! Deleting a team clears the domains routed to it ([`clear_team`], in the deletion's
//! transaction); until the event arrives the hub rings everyone for a team that is gone.

use sea_orm::{prelude::*, ActiveValue::Set};

use super::manage::{find_scoped, view_one};
use crate::auth::Principal;
use crate::entities::{domain, team};
use crate::events::{BusinessEventKind, EventBus};
use crate::types::DomainView;
use crate::DomainError;

/// Routes calls without an intent to domain `domain_id` to team `team_id`, or to everyone
/// with `None`.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when the domain or the team is not this business's.
#[tracing::instrument(skip_all, err, fields(domain_id = %domain_id))]
pub async fn set_route(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    domain_id: Uuid,
    team_id: Option<Uuid>,
) -> Result<DomainView, DomainError> {
    principal.require_manager()?;
    let row = find_scoped(db, principal, domain_id).await?;
    if let Some(team_id) = team_id {
        team::Entity::find_by_id(team_id)
            .filter(team::Column::BusinessId.eq(principal.business_id))
            .one(db)
            .await?
            .ok_or(DomainError::NotFound("team"))?;
    }
    let row = if row.route_team_id == team_id {
        row
    } else {
        let mut active: domain::ActiveModel = row.into();
        active.route_team_id = Set(team_id);
        active.update(db).await?
    };
    tracing::info!(business_id = %principal.business_id, domain = %row.name, team = ?team_id, "domain route set");
    events.publish(
        principal.business_id,
        BusinessEventKind::DomainRouteChanged,
        row.id,
    );
    view_one(db, &row).await
}

/// Clears the route of every domain of `business_id` routed to `team_id` (the team is
/// being deleted); how many were. Publish `DomainRouteChanged` after the commit when
/// some were.
///
/// # Errors
/// Database failures only.
pub(crate) async fn clear_team(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    team_id: Uuid,
) -> Result<u64, DbErr> {
    Ok(domain::Entity::update_many()
        .col_expr(
            domain::Column::RouteTeamId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(domain::Column::BusinessId.eq(business_id))
        .filter(domain::Column::RouteTeamId.eq(team_id))
        .exec(db)
        .await?
        .rows_affected)
}
