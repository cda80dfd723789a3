//! Each member's private calendar feed (`/feeds/{token}.ics`): their business's booked
//! callbacks — theirs and those nobody took yet — as an iCalendar feed their own calendar
//! app subscribes to.
//!
//! The address is the credential: 32 random bytes, only their SHA-256 stored, one feed per
//! member per business. Creating a new one replaces the old address (it stops working);
//! revoking deletes it; a member who left the business gets nothing from theirs.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

use super::calendar::{feed_ics, host_of, CallbackEvent};
use super::calendar_links::event_details;
use super::CallbackStatus;
use crate::auth::{secrets, Principal};
use crate::entities::{business, calendar_feed, callback, membership};
use crate::DomainError;

/// How far back a feed reaches (callbacks of the past week stay visible).
const PAST: Duration = Duration::days(7);
/// At most this many callbacks in a feed.
const MAX_EVENTS: u64 = 500;

/// When the principal's feed was made, if they have one.
///
/// # Errors
/// A database failure.
pub async fn status(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    Ok(mine(db, principal).await?.map(|f| f.created_at))
}

async fn mine(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Option<calendar_feed::Model>, DbErr> {
    calendar_feed::Entity::find()
        .filter(calendar_feed::Column::BusinessId.eq(principal.business_id))
        .filter(calendar_feed::Column::UserId.eq(principal.user_id))
        .one(db)
        .await
}

/// A new feed address for the principal (an earlier one stops working): the address.
///
/// # Errors
/// A database failure.
pub async fn create(
    db: &DatabaseConnection,
    principal: &Principal,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<String, DomainError> {
    let token = secrets::random_token(32);
    let txn = crate::tx::begin_write(db).await?;
    revoke_in(&txn, principal).await?;
    calendar_feed::ActiveModel {
        id: Set(Uuid::now_v7()),
        business_id: Set(principal.business_id),
        user_id: Set(principal.user_id),
        token_hash: Set(secrets::digest(&token)),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(format!(
        "{}/feeds/{token}.ics",
        public_url.trim_end_matches('/')
    ))
}

async fn revoke_in(db: &impl ConnectionTrait, principal: &Principal) -> Result<bool, DbErr> {
    let done = calendar_feed::Entity::delete_many()
        .filter(calendar_feed::Column::BusinessId.eq(principal.business_id))
        .filter(calendar_feed::Column::UserId.eq(principal.user_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Revokes the principal's feed; `false` when they had none.
///
/// # Errors
/// A database failure.
pub async fn revoke(db: &impl ConnectionTrait, principal: &Principal) -> Result<bool, DomainError> {
    Ok(revoke_in(db, principal).await?)
}

/// The feed at `token`: the business's open booked callbacks from a week ago on — those
/// assigned to the member and those nobody took yet.
///
/// # Errors
/// `NotFound` for an unknown or revoked address, or a member who left the business.
pub async fn read(
    db: &impl ConnectionTrait,
    token: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<String, DomainError> {
    let feed = calendar_feed::Entity::find()
        .filter(calendar_feed::Column::TokenHash.eq(secrets::digest(token)))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("calendar feed"))?;
    membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(feed.business_id))
        .filter(membership::Column::UserId.eq(feed.user_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("calendar feed"))?;
    let name = business::Entity::find_by_id(feed.business_id)
        .one(db)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    let open: Vec<&str> = CallbackStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(CallbackStatus::as_str)
        .collect();
    // The member's own and those nobody took yet.
    let theirs = sea_orm::Condition::any()
        .add(callback::Column::MemberId.is_null())
        .add(callback::Column::MemberId.eq(feed.user_id));
    let rows = callback::Entity::find()
        .filter(callback::Column::BusinessId.eq(feed.business_id))
        .filter(callback::Column::Status.is_in(open))
        .filter(theirs)
        .filter(callback::Column::SlotAt.gte(now - PAST))
        .order_by_asc(callback::Column::SlotAt)
        .limit(MAX_EVENTS)
        .all(db)
        .await?;
    let length = super::booking::policy(db, feed.business_id)
        .await?
        .slot_minutes;
    let base = public_url.trim_end_matches('/');
    let link = format!("{base}/app/callbacks");
    let texts: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let who = r.name.clone().unwrap_or_else(|| r.email.clone());
            let details = event_details(Some((&who, &r.email)), None, r.note.as_deref());
            (format!("Call back {who}"), details)
        })
        .collect();
    let events: Vec<CallbackEvent<'_>> = rows
        .iter()
        .zip(&texts)
        .filter_map(|(r, (summary, details))| {
            let start = r.slot_at?;
            Some(CallbackEvent {
                callback_id: r.id,
                host: host_of(base),
                summary,
                start,
                end: start + Duration::minutes(i64::from(length)),
                details,
                url: &link,
                now,
            })
        })
        .collect();
    Ok(feed_ics(&format!("{name} callbacks"), &events))
}
