//! A business's teams: who rings together, how (strategy), for how long (ring timeout)
//! and which team rings next when nobody answers (fallback, never in a loop).
//!
//! Every query is scoped to the principal's business: another business's team or member
//! looks exactly like a missing one (`NotFound`).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, TransactionSession, TransactionTrait};

use super::member_names;
use super::rules::{fallback_cycle, TeamInput, TeamMemberView, TeamView, ValidTeam};
use crate::auth::Principal;
use crate::entities::{intent, team, team_member};
use crate::events::{BusinessEventKind, EventBus};
use crate::DomainError;

/// The business's teams, oldest first.
pub(crate) async fn rows(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<Vec<team::Model>, DbErr> {
    team::Entity::find()
        .filter(team::Column::BusinessId.eq(business_id))
        .order_by_asc(team::Column::CreatedAt)
        .order_by_asc(team::Column::Id)
        .all(db)
        .await
}

/// The business's team memberships, each team's in its order.
pub(crate) async fn member_rows(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<Vec<team_member::Model>, DbErr> {
    team_member::Entity::find()
        .filter(team_member::Column::BusinessId.eq(business_id))
        .order_by_asc(team_member::Column::TeamId)
        .order_by_asc(team_member::Column::Position)
        .all(db)
        .await
}

/// The teams of the principal's business with their members (every member may read them).
///
/// # Errors
/// Database failures only.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Vec<TeamView>, DomainError> {
    let teams = rows(db, principal.business_id).await?;
    let members = member_rows(db, principal.business_id).await?;
    let people = member_names(db, principal.business_id).await?;
    let names: HashMap<Uuid, &str> = teams.iter().map(|t| (t.id, t.name.as_str())).collect();
    Ok(teams
        .iter()
        .map(|t| TeamView {
            id: t.id,
            name: t.name.clone(),
            strategy: super::route::strategy_of(t),
            ring_timeout_secs: t.ring_timeout_secs,
            fallback_team_id: t.fallback_team_id,
            fallback_team_name: t
                .fallback_team_id
                .and_then(|f| names.get(&f).map(|n| (*n).to_owned())),
            members: members
                .iter()
                .filter(|m| m.team_id == t.id)
                .map(|m| {
                    let name = people.get(&m.user_id);
                    TeamMemberView {
                        user_id: m.user_id,
                        email: name.map(|n| n.email.clone()).unwrap_or_default(),
                        display_name: name.and_then(|n| n.display_name.clone()),
                    }
                })
                .collect(),
            created_at: t.created_at,
        })
        .collect())
}

async fn view_one(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<TeamView, DomainError> {
    list(db, principal)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(DomainError::NotFound("team"))
}

async fn find_scoped(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<team::Model, DomainError> {
    team::Entity::find_by_id(id)
        .filter(team::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("team"))
}

fn validate(input: &TeamInput) -> Result<ValidTeam, DomainError> {
    input.validate().map_err(DomainError::Validation)
}

/// Checks `team`'s fallback: another team of the same business, not closing a loop.
async fn check_fallback(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    team: Uuid,
    fallback: Option<Uuid>,
) -> Result<(), DomainError> {
    let Some(fallback) = fallback else {
        return Ok(());
    };
    if fallback == team {
        return Err(DomainError::invalid(
            "fallback_team_id",
            "A team cannot fall back to itself; pick another team or none.",
        ));
    }
    let teams = rows(db, business_id).await?;
    if !teams.iter().any(|t| t.id == fallback) {
        return Err(DomainError::NotFound("fallback team"));
    }
    let fallbacks: HashMap<Uuid, Option<Uuid>> =
        teams.iter().map(|t| (t.id, t.fallback_team_id)).collect();
    if let Some(cycle) = fallback_cycle(team, fallback, &fallbacks) {
        let names: HashMap<Uuid, &str> = teams.iter().map(|t| (t.id, t.name.as_str())).collect();
        let path: Vec<&str> = cycle
            .iter()
            .map(|id| names.get(id).copied().unwrap_or("this team"))
            .collect();
        return Err(DomainError::invalid(
            "fallback_team_id",
            format!(
                "That fallback would make a loop ({}); calls would ring forever. Pick another \
                 team or none.",
                path.join(" \u{2192} ")
            ),
        ));
    }
    Ok(())
}

/// Creates a team (no members yet; see [`set_members`]).
///
/// # Errors
/// `Forbidden` for agents; `Validation` (`name`, `strategy`, `ring_timeout_secs`,
/// `fallback_team_id`); `NotFound` when the fallback is not a team of this business;
/// `Conflict` when the business already has a team with that name.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    input: &TeamInput,
) -> Result<TeamView, DomainError> {
    principal.require_manager()?;
    let valid = validate(input)?;
    let id = Uuid::new_v4();
    let txn = crate::tx::begin_write(db).await?;
    check_name_free(&txn, principal.business_id, &valid.name, None).await?;
    check_fallback(&txn, principal.business_id, id, valid.fallback_team_id).await?;
    team::ActiveModel {
        id: Set(id),
        business_id: Set(principal.business_id),
        name: Set(valid.name),
        strategy: Set(valid.strategy.as_str().to_owned()),
        ring_timeout_secs: Set(valid.ring_timeout_secs),
        fallback_team_id: Set(valid.fallback_team_id),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(business_id = %principal.business_id, team = %id, "team created");
    changed(events, principal, id);
    view_one(db, principal, id).await
}

/// Tells subscribers (and the hub's call directory) that a team of the business changed.
fn changed(events: &dyn EventBus, principal: &Principal, team: Uuid) {
    events.publish(principal.business_id, BusinessEventKind::TeamsChanged, team);
}

/// Refuses a name another team of the business already has (in any case).
async fn check_name_free(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), DomainError> {
    let key = name.to_lowercase();
    let clash = rows(db, business_id)
        .await?
        .into_iter()
        .find(|t| Some(t.id) != except && t.name.to_lowercase() == key);
    match clash {
        Some(t) => Err(DomainError::Conflict(format!(
            "There is already a team called \u{201c}{}\u{201d}; pick another name.",
            t.name
        ))),
        None => Ok(()),
    }
}

/// Replaces a team's settings (name, strategy, ring timeout, fallback).
///
/// # Errors
/// As [`create`], and `NotFound` when the team is not one of this business's;
/// `Validation` (`fallback_team_id`) when the fallback is the team itself or closes a loop.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
    input: &TeamInput,
) -> Result<TeamView, DomainError> {
    principal.require_manager()?;
    let valid = validate(input)?;
    let txn = crate::tx::begin_write(db).await?;
    let row = find_scoped(&txn, principal, id).await?;
    check_name_free(&txn, principal.business_id, &valid.name, Some(id)).await?;
    check_fallback(&txn, principal.business_id, id, valid.fallback_team_id).await?;
    let mut active: team::ActiveModel = row.into();
    active.name = Set(valid.name);
    active.strategy = Set(valid.strategy.as_str().to_owned());
    active.ring_timeout_secs = Set(valid.ring_timeout_secs);
    active.fallback_team_id = Set(valid.fallback_team_id);
    active.update(&txn).await?;
    txn.commit().await?;
    changed(events, principal, id);
    view_one(db, principal, id).await
}

/// Deletes a team and its memberships; teams that fell back to it no longer fall back, and
/// domains routed to it ring everyone.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not one of this business's teams;
/// `Conflict` naming the intents that still route to it.
pub async fn delete(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
) -> Result<(), DomainError> {
    principal.require_manager()?;
    let txn = crate::tx::begin_write(db).await?;
    let row = find_scoped(&txn, principal, id).await?;
    let routed: Vec<String> = intent::Entity::find()
        .filter(intent::Column::BusinessId.eq(principal.business_id))
        .filter(intent::Column::TargetTeamId.eq(id))
        .order_by_asc(intent::Column::Position)
        .all(&txn)
        .await?
        .into_iter()
        .map(|i| format!("\u{201c}{}\u{201d}", i.label))
        .collect();
    if !routed.is_empty() {
        return Err(DomainError::Conflict(format!(
            "{} routes calls to {}: point {} elsewhere before deleting the team.",
            if routed.len() == 1 {
                format!("The intent {}", routed.join(", "))
            } else {
                format!("The intents {}", routed.join(", "))
            },
            row.name,
            if routed.len() == 1 { "it" } else { "them" },
        )));
    }
    team::Entity::update_many()
        .col_expr(
            team::Column::FallbackTeamId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(team::Column::BusinessId.eq(principal.business_id))
        .filter(team::Column::FallbackTeamId.eq(id))
        .exec(&txn)
        .await?;
    team_member::Entity::delete_many()
        .filter(team_member::Column::TeamId.eq(id))
        .exec(&txn)
        .await?;
    // Domains routed to it ring everyone again.
    let unrouted = crate::domains::clear_team(&txn, principal.business_id, id).await?;
    team::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    tracing::info!(business_id = %principal.business_id, team = %id, "team deleted");
    changed(events, principal, id);
    if unrouted > 0 {
        let business = principal.business_id;
        events.publish(business, BusinessEventKind::DomainRouteChanged, business);
    }
    Ok(())
}

/// Makes `user_ids`, in that order, the team's members (an empty list empties it).
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when the team, or one of the users, is not of this
/// business; `Validation` (`members`) when a member is listed twice.
pub async fn set_members(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
    user_ids: &[Uuid],
) -> Result<TeamView, DomainError> {
    principal.require_manager()?;
    let unique: HashSet<Uuid> = user_ids.iter().copied().collect();
    if unique.len() != user_ids.len() {
        return Err(DomainError::invalid(
            "members",
            "List each member at most once.",
        ));
    }
    let txn = crate::tx::begin_write(db).await?;
    find_scoped(&txn, principal, id).await?;
    let members = member_names(&txn, principal.business_id).await?;
    if user_ids.iter().any(|u| !members.contains_key(u)) {
        return Err(DomainError::NotFound("member"));
    }
    team_member::Entity::delete_many()
        .filter(team_member::Column::TeamId.eq(id))
        .filter(team_member::Column::BusinessId.eq(principal.business_id))
        .exec(&txn)
        .await?;
    let rows: Vec<team_member::ActiveModel> = user_ids
        .iter()
        .zip(0_i32..)
        .map(|(user_id, position)| team_member::ActiveModel {
            business_id: Set(principal.business_id),
            team_id: Set(id),
            user_id: Set(*user_id),
            position: Set(position),
        })
        .collect();
    if !rows.is_empty() {
        team_member::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    changed(events, principal, id);
    view_one(db, principal, id).await
}

/// Forgets a member who left `business_id`: out of its teams, and intents that rang them
/// ring everyone instead. Called by the members removal, in its transaction.
///
/// # Errors
/// Database failures only.
pub(crate) async fn forget_member(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    user_id: Uuid,
) -> Result<(), DbErr> {
    team_member::Entity::delete_many()
        .filter(team_member::Column::BusinessId.eq(business_id))
        .filter(team_member::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    intent::Entity::update_many()
        .col_expr(intent::Column::TargetKind, Expr::value("everyone"))
        .col_expr(
            intent::Column::TargetUserId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(intent::Column::BusinessId.eq(business_id))
        .filter(intent::Column::TargetUserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
