//! The signaling hub's entry point: how a call to a business about an intent is routed.
//!
//! **The rule** ([`route_by`]): a caller who picked an intent is routed by it; a caller who
//! picked none is routed by the called domain's team (`sales.example.com` → team Sales),
//! or to everyone when the domain has no team (or its team is gone).
//!
//! [`route_for`] turns the stored setup into what the pure routing rules
//! ([`crate::calls::routing`]) take: the ring target and the teams it may reach. It reads
//! at most three queries, when the hub's call directory (in the server) misses;
//! presence stays the hub's.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::{prelude::*, QueryOrder};

use super::intents::target_of;
use super::rules::IntentTarget;
use super::teams::{member_rows, rows as team_rows};
use crate::calls::routing::{self, RingStrategy, DEFAULT_RING_TIMEOUT};
use crate::calls::RingTarget;
use crate::entities::{intent, membership, team};
use crate::types::IntentOption;

/// How a call to a business about an intent is routed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRoute {
    /// The intent the caller named, as the callee is shown it (`None` when none was named).
    pub intent: Option<IntentOption>,
    /// Who rings first.
    pub target: RingTarget,
    /// The teams routing may reach: the target team and its whole fallback chain, and the
    /// synthetic "everyone" team whose id is the business id (the last resort when the
    /// target has nobody online; for "everyone", the only team). Empty for a callback,
    /// which rings its member only.
    pub teams: HashMap<Uuid, routing::Team>,
}

/// What a call is routed by: the answer of [`route_by`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteBy {
    /// The caller's intent, or everyone of the business with `None`.
    Intent(Option<Uuid>),
    /// The team the called domain is routed to (everyone, when that team is gone).
    DomainTeam(Uuid),
}

/// The routing rule for a call: the caller's intent wins; without one, the called
/// domain's team (`domain_team`, from `domains.route_team_id`); without either, everyone.
#[must_use]
pub fn route_by(intent: Option<Uuid>, domain_team: Option<Uuid>) -> RouteBy {
    match (intent, domain_team) {
        (None, Some(team)) => RouteBy::DomainTeam(team),
        (intent, _) => RouteBy::Intent(intent),
    }
}

/// How a call routed `by` ([`route_by`]) is routed: [`route_for`] for an intent,
/// [`domain_team_route`] for a domain's team.
///
/// # Errors
/// As [`route_for`].
pub async fn call_route(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    by: RouteBy,
) -> Result<CallRoute, RouteError> {
    match by {
        RouteBy::Intent(intent) => route_for(db, business_id, intent).await,
        RouteBy::DomainTeam(team) => Ok(domain_team_route(db, business_id, team).await?),
    }
}

/// How a call without an intent to a domain routed to team `team_id` is routed: to that
/// team (its fallback chain included), or to everyone when the business has no such team
/// any more (deleting a team clears the domains routed to it, but a cached domain may
/// still name it for a moment). At most two queries.
///
/// # Errors
/// Database failures only.
pub async fn domain_team_route(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    team_id: Uuid,
) -> Result<CallRoute, DbErr> {
    let teams = team_chain(db, business_id, team_id).await?;
    let (target, teams) = if teams.is_empty() {
        everyone(db, business_id).await?
    } else {
        let teams = with_everyone(db, business_id, teams).await?;
        (RingTarget::Team(team_id), teams)
    };
    Ok(CallRoute {
        intent: None,
        target,
        teams,
    })
}

/// Why a call could not be routed.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The caller named an intent that is not one of this business's (deleted since the
    /// page loaded, or made up): tell the caller, do not ring.
    #[error("unknown intent")]
    UnknownIntent,
    /// A database failure; log it, and tell the caller to try again.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// The stored strategy of a team (an unreadable one rings simultaneously).
pub(crate) fn strategy_of(t: &team::Model) -> RingStrategy {
    RingStrategy::parse(&t.strategy).unwrap_or_default()
}

/// How a call to `business_id` about `intent` is routed.
///
/// - No intent, or an intent routed to everyone: `RingTarget::Team(business_id)`, with a
///   synthetic team of that id holding every member of the business (all roles, in the
///   order they joined), ringing simultaneously for the default 30 seconds, no fallback.
/// - An intent routed to a team: `RingTarget::Team(team_id)`; `teams` holds that team and
///   every team of its fallback chain, each with its members in the team's order, and
///   "everyone" (the last resort).
/// - An intent routed to a member: `RingTarget::Member(user_id)`; `teams` holds
///   "everyone" only.
///
/// At most three queries: the intent, then the business's members or its teams and team
/// memberships.
///
/// # Errors
/// [`RouteError::UnknownIntent`] when `intent` is not an intent of this business;
/// [`RouteError::Db`] on database failures.
pub async fn route_for(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    intent: Option<Uuid>,
) -> Result<CallRoute, RouteError> {
    let row = match intent {
        Some(id) => Some(
            crate::lookup::by_key(
                db,
                intent::Entity::find_by_id(id).filter(intent::Column::BusinessId.eq(business_id)),
            )
            .await?
            .ok_or(RouteError::UnknownIntent)?,
        ),
        None => None,
    };
    let target = row.as_ref().map_or(IntentTarget::Everyone, target_of);
    let intent = row.map(|r| IntentOption {
        id: r.id,
        label: r.label,
    });
    let (target, teams) = match target {
        IntentTarget::Everyone => everyone(db, business_id).await?,
        IntentTarget::Team(id) => {
            let teams = team_chain(db, business_id, id).await?;
            (
                RingTarget::Team(id),
                with_everyone(db, business_id, teams).await?,
            )
        }
        IntentTarget::Member(id) => {
            let teams = with_everyone(db, business_id, HashMap::new()).await?;
            (RingTarget::Member(id), teams)
        }
    };
    Ok(CallRoute {
        intent,
        target,
        teams,
    })
}

/// The teams a transfer to team `team_id` of `business_id` may reach: the team and its
/// fallback chain, or the synthetic "everyone" team when `team_id` is the business id.
/// Empty when no such team belongs to the business.
///
/// # Errors
/// Database failures only.
pub async fn team_route(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    team_id: Uuid,
) -> Result<HashMap<Uuid, routing::Team>, DbErr> {
    if team_id == business_id {
        return Ok(everyone(db, business_id).await?.1);
    }
    team_chain(db, business_id, team_id).await
}

/// The synthetic "everyone" team of a business.
async fn everyone(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<(RingTarget, HashMap<Uuid, routing::Team>), DbErr> {
    let members: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(business_id))
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let team = routing::Team::new(business_id, members);
    Ok((
        RingTarget::Team(business_id),
        HashMap::from([(business_id, team)]),
    ))
}

/// `teams` and the synthetic "everyone" team, which rings when the target has nobody
/// online ([`routing::plan_call`]).
async fn with_everyone(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    mut teams: HashMap<Uuid, routing::Team>,
) -> Result<HashMap<Uuid, routing::Team>, DbErr> {
    teams.extend(everyone(db, business_id).await?.1);
    Ok(teams)
}

/// `first` and the teams of its fallback chain (a team already in the chain ends it).
async fn team_chain(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    first: Uuid,
) -> Result<HashMap<Uuid, routing::Team>, DbErr> {
    let teams: HashMap<Uuid, team::Model> = team_rows(db, business_id)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let memberships = member_rows(db, business_id).await?;
    let mut chain = HashMap::new();
    let mut next = Some(first);
    while let Some(id) = next {
        if chain.contains_key(&id) {
            break;
        }
        let Some(t) = teams.get(&id) else {
            break;
        };
        let members = memberships
            .iter()
            .filter(|m| m.team_id == id)
            .map(|m| m.user_id)
            .collect();
        chain.insert(
            id,
            routing::Team {
                id,
                members,
                strategy: strategy_of(t),
                ring_timeout: u64::try_from(t.ring_timeout_secs)
                    .map_or(DEFAULT_RING_TIMEOUT, Duration::from_secs),
                fallback: t.fallback_team_id,
            },
        );
        next = t.fallback_team_id;
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_wins_over_the_domain_team() {
        let (intent, team) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            route_by(Some(intent), Some(team)),
            RouteBy::Intent(Some(intent))
        );
        assert_eq!(route_by(Some(intent), None), RouteBy::Intent(Some(intent)));
    }

    #[test]
    fn without_an_intent_the_domain_team_rings_else_everyone() {
        let team = Uuid::new_v4();
        assert_eq!(route_by(None, Some(team)), RouteBy::DomainTeam(team));
        assert_eq!(route_by(None, None), RouteBy::Intent(None));
    }
}
