//! The ledger: the rewards a business issued, per contact or all, their totals, and
//! redeeming one. Every query is scoped to the principal's business; a redemption is
//! idempotent on the integration's key.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{prelude::*, QueryOrder, QuerySelect};

use super::{RewardTotals, RewardView};
use crate::auth::Principal;
use crate::callbacks::store::member_names;
use crate::entities::{contact, reward};
use crate::events::{BusinessEventKind, EventBus};
use crate::DomainError;

/// At most this many rewards in one list.
pub const LIST_MAX: u64 = 200;
/// The longest idempotency key.
pub const KEY_MAX: usize = 100;

/// The views of `rows` (all of one business).
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<reward::Model>,
) -> Result<Vec<RewardView>, DbErr> {
    let contact_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.contact_id).collect();
    let contacts: HashMap<Uuid, String> = if contact_ids.is_empty() {
        HashMap::new()
    } else {
        contact::Entity::find()
            .filter(contact::Column::Id.is_in(contact_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    };
    let names = member_names(db, rows.iter().filter_map(|r| r.redeemed_by).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|r| RewardView {
            id: r.id,
            call_id: r.call_id,
            contact_id: r.contact_id,
            contact_name: r
                .contact_id
                .and_then(|id| contacts.get(&id).cloned())
                .filter(|n| !n.is_empty()),
            caller_name: r.caller_name,
            wait_ms: r.wait_ms,
            points: r.points.into(),
            coupon_code: r.coupon_code,
            issued_at: r.issued_at,
            redeemed_at: r.redeemed_at,
            redeemed_by_name: r.redeemed_by.and_then(|id| names.get(&id).cloned()),
        })
        .collect())
}

/// The view of one row.
pub(crate) async fn view_one(
    db: &impl ConnectionTrait,
    row: reward::Model,
) -> Result<RewardView, DbErr> {
    let id = row.id;
    views(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| DbErr::RecordNotFound(format!("reward {id}")))
}

/// The business's rewards, newest first (at most [`LIST_MAX`]): all, or one contact's.
///
/// # Errors
/// A database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    contact_id: Option<Uuid>,
) -> Result<Vec<RewardView>, DomainError> {
    let mut query =
        reward::Entity::find().filter(reward::Column::BusinessId.eq(principal.business_id));
    if let Some(id) = contact_id {
        query = query.filter(reward::Column::ContactId.eq(id));
    }
    let rows = query
        .order_by_desc(reward::Column::IssuedAt)
        .order_by_desc(reward::Column::Id)
        .limit(LIST_MAX)
        .all(db)
        .await?;
    Ok(views(db, rows).await?)
}

/// One reward of the business.
///
/// # Errors
/// `NotFound` when it is not the business's.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<RewardView, DomainError> {
    let row = find(db, principal.business_id, id).await?;
    Ok(view_one(db, row).await?)
}

async fn find(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    id: Uuid,
) -> Result<reward::Model, DomainError> {
    reward::Entity::find_by_id(id)
        .filter(reward::Column::BusinessId.eq(business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("reward"))
}

/// What the business issued and redeemed, in all (or for one contact).
///
/// # Errors
/// A database failure.
pub async fn totals(
    db: &impl ConnectionTrait,
    principal: &Principal,
    contact_id: Option<Uuid>,
) -> Result<RewardTotals, DomainError> {
    let sums = |redeemed: bool| {
        let mut q = reward::Entity::find()
            .filter(reward::Column::BusinessId.eq(principal.business_id))
            .select_only()
            .column_as(Expr::from(Func::count(Expr::col(reward::Column::Id))), "n")
            .column_as(
                Expr::from(Func::sum(Expr::col(reward::Column::Points))).cast_as("BIGINT"),
                "points",
            )
            .column_as(
                Expr::from(Func::count(Expr::col(reward::Column::CouponCode))),
                "coupons",
            );
        if let Some(id) = contact_id {
            q = q.filter(reward::Column::ContactId.eq(id));
        }
        if redeemed {
            q = q.filter(reward::Column::RedeemedAt.is_not_null());
        }
        q.into_tuple::<(i64, Option<i64>, i64)>()
    };
    let (rewards, points_issued, coupons) = sums(false).one(db).await?.unwrap_or_default();
    let (redeemed, points_redeemed, _) = sums(true).one(db).await?.unwrap_or_default();
    Ok(RewardTotals {
        rewards,
        points_issued: points_issued.unwrap_or_default(),
        points_redeemed: points_redeemed.unwrap_or_default(),
        coupons,
        redeemed,
    })
}

/// Redeems reward `id` with the integration's idempotency `key`: the first redemption
/// marks it redeemed; the same key again returns it unchanged.
///
/// # Errors
/// `Validation` for an empty or too long key; `NotFound` for another business's reward;
/// `Conflict` when it was redeemed with another key, or the key redeemed another reward.
pub async fn redeem(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
    key: &str,
    now: DateTime<Utc>,
) -> Result<RewardView, DomainError> {
    let key = key.trim();
    if key.is_empty() || key.chars().count() > KEY_MAX || key.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "key",
            "Give an idempotency key of 1 to 100 printable characters.",
        ));
    }
    let business_id = principal.business_id;
    let txn = crate::tx::begin_write(db).await?;
    let row = find(&txn, business_id, id).await?;
    if row.redeemed_at.is_some() {
        return if row.redeem_key.as_deref() == Some(key) {
            Ok(view_one(&txn, row).await?)
        } else {
            Err(DomainError::Conflict(
                "This reward was already redeemed.".to_owned(),
            ))
        };
    }
    let used = reward::Entity::find()
        .filter(reward::Column::BusinessId.eq(business_id))
        .filter(reward::Column::RedeemKey.eq(key))
        .one(&txn)
        .await?;
    if used.is_some() {
        return Err(DomainError::Conflict(
            "This key already redeemed another reward; use a new key for each redemption."
                .to_owned(),
        ));
    }
    let updated = reward::Entity::update_many()
        .col_expr(reward::Column::RedeemedAt, Expr::value(now))
        .col_expr(reward::Column::RedeemKey, Expr::value(key))
        .col_expr(reward::Column::RedeemedBy, Expr::value(principal.user_id))
        .filter(reward::Column::Id.eq(id))
        .filter(reward::Column::BusinessId.eq(business_id))
        .filter(reward::Column::RedeemedAt.is_null())
        .exec(&txn)
        .await;
    match updated {
        Ok(r) if r.rows_affected == 1 => {}
        Ok(_) | Err(_) => {
            return Err(DomainError::Conflict(
                "This reward or key was just redeemed; try again.".to_owned(),
            ))
        }
    }
    let row = find(&txn, business_id, id).await?;
    let view = view_one(&txn, row).await?;
    txn.commit().await?;
    events.publish(business_id, BusinessEventKind::RewardsChanged, id);
    Ok(view)
}
