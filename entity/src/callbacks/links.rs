//! Signed links (`/l/{token}`): 32 random bytes in the URL, only their SHA-256 in the
//! database, bound to one purpose, business and callback, expiring, and single-use —
//! a link is spent by the one conditional update that marks it used, so two clicks at
//! once cannot both act.
//!
//! Opening a link (a GET, which mail scanners also do) never spends it: the page asks
//! first, and the action (joining the call, cancelling) spends it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, ActiveValue::Set};

use super::LinkRefusal;
use crate::auth::secrets;
use crate::entities::signed_link;

/// How long a link works unless configured otherwise.
pub const DEFAULT_TTL: Duration = Duration::hours(24);

/// What a link does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Join the call a member started (rings that member).
    Join,
    /// Cancel the callback request.
    Cancel,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::Cancel => "cancel",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "join" => Some(Self::Join),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }
}

/// A link that still works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidLink {
    pub id: Uuid,
    pub purpose: Purpose,
    pub business_id: Uuid,
    pub callback_id: Uuid,
    pub member_id: Option<Uuid>,
}

/// How long the join link that rings a caller's open call page works.
pub const RING_TTL_SECS: i64 = 120;

/// A new link of `purpose` for `callback_id`, working for `ttl`. Returns the token (the
/// last part of the URL); only its digest is stored.
///
/// # Errors
/// A database failure.
pub async fn issue(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    business_id: Uuid,
    callback_id: Uuid,
    member_id: Option<Uuid>,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = secrets::random_token(32);
    signed_link::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(secrets::digest(&token)),
        purpose: Set(purpose.as_str().to_owned()),
        business_id: Set(business_id),
        callback_id: Set(callback_id),
        member_id: Set(member_id),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Whether `token` is a link that still works at `now`, and what it is; the refusal
/// says why not. Nothing is spent.
///
/// # Errors
/// A database failure.
pub async fn inspect(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<ValidLink, (LinkRefusal, Option<signed_link::Model>)>, DbErr> {
    // A token is 43 base64url characters; anything else was never issued.
    let plausible = token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible {
        return Ok(Err((LinkRefusal::Unknown, None)));
    }
    let digest = secrets::digest(token);
    let Some(row) = signed_link::Entity::find()
        .filter(signed_link::Column::TokenHash.eq(digest.as_str()))
        .one(db)
        .await?
    else {
        return Ok(Err((LinkRefusal::Unknown, None)));
    };
    if !secrets::digests_match(&row.token_hash, &digest) {
        return Ok(Err((LinkRefusal::Unknown, None)));
    }
    let Some(purpose) = Purpose::parse(&row.purpose) else {
        return Ok(Err((LinkRefusal::Unknown, None)));
    };
    if row.used_at.is_some() {
        return Ok(Err((LinkRefusal::Used, Some(row))));
    }
    if row.expires_at <= now {
        return Ok(Err((LinkRefusal::Expired, Some(row))));
    }
    Ok(Ok(ValidLink {
        id: row.id,
        purpose,
        business_id: row.business_id,
        callback_id: row.callback_id,
        member_id: row.member_id,
    }))
}

/// Spends the link `id` at `now`: `true` for the one caller that spent it, `false` when it
/// was already spent or has expired meanwhile.
///
/// # Errors
/// A database failure.
pub async fn spend(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let done = signed_link::Entity::update_many()
        .col_expr(signed_link::Column::UsedAt, Expr::value(now))
        .filter(signed_link::Column::Id.eq(id))
        .filter(signed_link::Column::UsedAt.is_null())
        .filter(signed_link::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Ends every unspent link of `purpose` for `callback_id` (a newer one replaces them, or
/// the callback closed).
///
/// # Errors
/// A database failure.
pub async fn retire(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    callback_id: Uuid,
    purpose: Option<Purpose>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = signed_link::Entity::update_many()
        .col_expr(signed_link::Column::ExpiresAt, Expr::value(now))
        .filter(signed_link::Column::BusinessId.eq(business_id))
        .filter(signed_link::Column::CallbackId.eq(callback_id))
        .filter(signed_link::Column::UsedAt.is_null())
        .filter(signed_link::Column::ExpiresAt.gt(now));
    if let Some(purpose) = purpose {
        update = update.filter(signed_link::Column::Purpose.eq(purpose.as_str()));
    }
    update.exec(db).await?;
    Ok(())
}
