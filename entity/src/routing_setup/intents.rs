//! A business's intents: the reasons a caller picks on the call page, in the business's
//! order, each routed to everyone, a team or one member.
//!
//! Every query is scoped to the principal's business: another business's intent, team or
//! member looks exactly like a missing one (`NotFound`).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    prelude::*, ActiveValue::Set, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::rules::{IntentLabel, IntentTarget, IntentView};
use super::{member_names, team_names};
use crate::auth::Principal;
use crate::entities::{intent, membership, team};
use crate::events::{BusinessEventKind, EventBus};
use crate::types::{IntentOption, MemberName};
use crate::DomainError;

/// The business's intents, in order.
pub(crate) async fn rows(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<Vec<intent::Model>, DbErr> {
    intent::Entity::find()
        .filter(intent::Column::BusinessId.eq(business_id))
        .order_by_asc(intent::Column::Position)
        .order_by_asc(intent::Column::CreatedAt)
        .all(db)
        .await
}

/// The stored target of a row (an inconsistent row routes to everyone, and says so).
pub(crate) fn target_of(row: &intent::Model) -> IntentTarget {
    IntentTarget::from_parts(&row.target_kind, row.target_team_id, row.target_user_id)
        .unwrap_or_else(|| {
            tracing::warn!(intent = %row.id, kind = %row.target_kind, "intent target unreadable; ringing everyone");
            IntentTarget::Everyone
        })
}

fn view(
    row: &intent::Model,
    teams: &HashMap<Uuid, String>,
    members: &HashMap<Uuid, MemberName>,
) -> IntentView {
    let target = target_of(row);
    let target_name = match target {
        IntentTarget::Everyone => None,
        IntentTarget::Team(id) => teams.get(&id).cloned(),
        IntentTarget::Member(id) => members.get(&id).map(|m| m.shown().to_owned()),
    };
    IntentView {
        id: row.id,
        label: row.label.clone(),
        position: row.position,
        target,
        target_name,
        created_at: row.created_at,
    }
}

async fn views(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    rows: &[intent::Model],
) -> Result<Vec<IntentView>, DomainError> {
    let teams = team_names(db, business_id).await?;
    let members = member_names(db, business_id).await?;
    Ok(rows.iter().map(|r| view(r, &teams, &members)).collect())
}

/// The business's intents as a caller sees them, in order (the call page).
///
/// # Errors
/// Database failures only.
pub async fn options(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<Vec<IntentOption>, DomainError> {
    Ok(intent::Entity::find()
        .select_only()
        .column(intent::Column::Id)
        .column(intent::Column::Label)
        .filter(intent::Column::BusinessId.eq(business_id))
        .order_by_asc(intent::Column::Position)
        .order_by_asc(intent::Column::CreatedAt)
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, label)| IntentOption { id, label })
        .collect())
}

/// The intents of the principal's business, in order (every member may read them).
///
/// # Errors
/// Database failures only.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Vec<IntentView>, DomainError> {
    let rows = rows(db, principal.business_id).await?;
    views(db, principal.business_id, &rows).await
}

fn parse_label(input: &str) -> Result<IntentLabel, DomainError> {
    IntentLabel::parse(input).map_err(|e| DomainError::Validation(vec![e]))
}

/// Checks that `target` names a team or member of the business.
async fn check_target(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    target: IntentTarget,
) -> Result<(), DomainError> {
    match target {
        IntentTarget::Everyone => Ok(()),
        IntentTarget::Team(id) => team::Entity::find_by_id(id)
            .filter(team::Column::BusinessId.eq(business_id))
            .one(db)
            .await?
            .map(|_| ())
            .ok_or(DomainError::NotFound("team")),
        IntentTarget::Member(id) => membership::Entity::find()
            .filter(membership::Column::BusinessId.eq(business_id))
            .filter(membership::Column::UserId.eq(id))
            .one(db)
            .await?
            .map(|_| ())
            .ok_or(DomainError::NotFound("member")),
    }
}

/// Refuses a label another intent of the business already has (in any case).
async fn check_label_free(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    label: &IntentLabel,
    except: Option<Uuid>,
) -> Result<(), DomainError> {
    let mut q = intent::Entity::find()
        .filter(intent::Column::BusinessId.eq(business_id))
        .filter(intent::Column::LabelKey.eq(label.key()));
    if let Some(id) = except {
        q = q.filter(intent::Column::Id.ne(id));
    }
    match q.one(db).await? {
        Some(other) => Err(label_taken(&other.label)),
        None => Ok(()),
    }
}

fn label_taken(existing: &str) -> DomainError {
    DomainError::Conflict(format!(
        "There is already an intent called \u{201c}{existing}\u{201d}; pick another label."
    ))
}

/// Maps the unique index on (business, label) to the same `Conflict` as the check.
fn unique_label(label: &IntentLabel) -> impl FnOnce(DbErr) -> DomainError + '_ {
    move |e| {
        if crate::domains::is_unique_violation(&e) {
            label_taken(label.as_ref())
        } else {
            e.into()
        }
    }
}

async fn find_scoped(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<intent::Model, DomainError> {
    intent::Entity::find_by_id(id)
        .filter(intent::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("intent"))
}

async fn view_one(
    db: &impl ConnectionTrait,
    row: &intent::Model,
) -> Result<IntentView, DomainError> {
    views(db, row.business_id, std::slice::from_ref(row))
        .await?
        .pop()
        .ok_or(DomainError::NotFound("intent"))
}

/// Adds an intent at the end of the business's list.
///
/// # Errors
/// `Forbidden` for agents; `Validation` (`label`) for an empty or overlong label;
/// `NotFound` when the target team or member is not one of this business's;
/// `Conflict` when the business already has an intent with that label (in any case).
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    label: &str,
    target: IntentTarget,
) -> Result<IntentView, DomainError> {
    principal.require_manager()?;
    let label = parse_label(label)?;
    let txn = crate::tx::begin_write(db).await?;
    check_label_free(&txn, principal.business_id, &label, None).await?;
    check_target(&txn, principal.business_id, target).await?;
    let last: Option<Option<i32>> = intent::Entity::find()
        .select_only()
        .column_as(intent::Column::Position.max(), "max")
        .filter(intent::Column::BusinessId.eq(principal.business_id))
        .into_tuple()
        .one(&txn)
        .await?;
    let position = last.flatten().map_or(0, |p| p.saturating_add(1));
    let (team, user) = target_columns(target);
    let row = intent::ActiveModel {
        id: Set(Uuid::new_v4()),
        business_id: Set(principal.business_id),
        label: Set(label.as_ref().to_owned()),
        label_key: Set(label.key()),
        position: Set(position),
        target_kind: Set(target.kind().to_owned()),
        target_team_id: Set(team),
        target_user_id: Set(user),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(unique_label(&label))?;
    txn.commit().await?;
    tracing::info!(business_id = %principal.business_id, intent = %row.id, "intent created");
    changed(events, principal, row.id);
    view_one(db, &row).await
}

/// Tells subscribers (and the hub's call directory) that the business's intents changed.
fn changed(events: &dyn EventBus, principal: &Principal, subject_id: Uuid) {
    events.publish(
        principal.business_id,
        BusinessEventKind::IntentsChanged,
        subject_id,
    );
}

fn target_columns(target: IntentTarget) -> (Option<Uuid>, Option<Uuid>) {
    match target {
        IntentTarget::Everyone => (None, None),
        IntentTarget::Team(id) => (Some(id), None),
        IntentTarget::Member(id) => (None, Some(id)),
    }
}

/// Renames an intent and/or points it elsewhere (`None` leaves that part as it is).
///
/// # Errors
/// As [`create`], and `NotFound` when the intent is not one of this business's.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
    label: Option<&str>,
    target: Option<IntentTarget>,
) -> Result<IntentView, DomainError> {
    principal.require_manager()?;
    let label = label.map(parse_label).transpose()?;
    let txn = crate::tx::begin_write(db).await?;
    let row = find_scoped(&txn, principal, id).await?;
    let mut active: intent::ActiveModel = row.into();
    if let Some(label) = &label {
        check_label_free(&txn, principal.business_id, label, Some(id)).await?;
        active.label = Set(label.as_ref().to_owned());
        active.label_key = Set(label.key());
    }
    if let Some(target) = target {
        check_target(&txn, principal.business_id, target).await?;
        let (team, user) = target_columns(target);
        active.target_kind = Set(target.kind().to_owned());
        active.target_team_id = Set(team);
        active.target_user_id = Set(user);
    }
    let row = match &label {
        Some(label) => active.update(&txn).await.map_err(unique_label(label))?,
        None => active.update(&txn).await?,
    };
    txn.commit().await?;
    changed(events, principal, id);
    view_one(db, &row).await
}

/// Deletes an intent; callers no longer see it (calls already made keep their record).
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not one of this business's intents.
pub async fn delete(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
) -> Result<(), DomainError> {
    principal.require_manager()?;
    let res = intent::Entity::delete_many()
        .filter(intent::Column::Id.eq(id))
        .filter(intent::Column::BusinessId.eq(principal.business_id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::NotFound("intent"));
    }
    tracing::info!(business_id = %principal.business_id, intent = %id, "intent deleted");
    changed(events, principal, id);
    Ok(())
}

/// Puts the business's intents in the order of `ids`, which must name each of them once.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` for an id that is not one of this business's
/// intents; `Validation` (`ids`) when one is missing or repeated.
pub async fn reorder(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    ids: &[Uuid],
) -> Result<Vec<IntentView>, DomainError> {
    principal.require_manager()?;
    let txn = crate::tx::begin_write(db).await?;
    let current = rows(&txn, principal.business_id).await?;
    let known: HashSet<Uuid> = current.iter().map(|r| r.id).collect();
    if ids.iter().any(|id| !known.contains(id)) {
        return Err(DomainError::NotFound("intent"));
    }
    let given: HashSet<Uuid> = ids.iter().copied().collect();
    if given.len() != ids.len() || given.len() != known.len() {
        return Err(DomainError::invalid(
            "ids",
            "List every intent of the business exactly once, in the new order.",
        ));
    }
    for (position, id) in ids.iter().enumerate() {
        let position = i32::try_from(position)
            .map_err(|_| DomainError::invalid("ids", "Too many intents."))?;
        intent::Entity::update_many()
            .col_expr(intent::Column::Position, Expr::value(position))
            .filter(intent::Column::Id.eq(*id))
            .filter(intent::Column::BusinessId.eq(principal.business_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    changed(events, principal, principal.business_id);
    list(db, principal).await
}
