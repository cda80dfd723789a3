//! Dashboard sessions: a row per signed-in browser, referenced by a signed JWT.
//!
//! The JWT proves who issued the session; the row makes it revocable (sign out, password
//! change) and remembers which business the user is acting for.

use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder};
use serde::{Deserialize, Serialize};

use super::tokens::{Keyring, AUD_DEVICE, AUD_SESSION};
use super::{Credential, Principal};
use crate::entities::{membership, session};
use crate::types::Role;
use crate::DomainError;

/// The cookie holding the session token.
pub const SESSION_COOKIE: &str = "dc_session";
/// The cookie remembering a browser that signed in successfully (see `rate_limit`).
pub const DEVICE_COOKIE: &str = "dc_device";

#[derive(Debug, Serialize, Deserialize)]
struct SessionClaims {
    sid: Uuid,
}

#[derive(Debug, Serialize, Deserialize)]
struct DeviceClaims {
    did: String,
}

fn expired() -> DomainError {
    DomainError::Unauthenticated("Your session has ended; sign in again.".into())
}

/// Starts a session for `user_id` acting for `business_id`; returns the signed token.
///
/// # Errors
/// Database or signing failures.
pub async fn start(
    db: &impl ConnectionTrait,
    keys: &Keyring,
    user_id: Uuid,
    business_id: Uuid,
    ttl: chrono::Duration,
) -> Result<String, DomainError> {
    let now = Utc::now();
    let row = session::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        business_id: Set(business_id),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    keys.sign(
        AUD_SESSION,
        &user_id.to_string(),
        ttl,
        SessionClaims { sid: row.id },
    )
}

/// Resolves a session token to its principal.
///
/// # Errors
/// `Unauthenticated` when the token is bad, the session revoked or expired, or the user
/// no longer belongs to any business.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    keys: &Keyring,
    token: &str,
) -> Result<Principal, DomainError> {
    let verified = keys.verify::<SessionClaims>(AUD_SESSION, token)?;
    let row = crate::lookup::by_key(db, session::Entity::find_by_id(verified.claims.sid))
        .await?
        .ok_or_else(expired)?;
    if row.revoked_at.is_some()
        || row.expires_at <= Utc::now()
        || row.user_id.to_string() != verified.subject
    {
        return Err(expired());
    }
    let membership = match membership_of(db, row.user_id, row.business_id).await? {
        Some(m) => m,
        None => {
            // Removed from the business this session acted for: fall back to another one.
            let other = membership::Entity::find()
                .filter(membership::Column::UserId.eq(row.user_id))
                .order_by_asc(membership::Column::CreatedAt)
                .one(db)
                .await?
                .ok_or_else(expired)?;
            let mut active: session::ActiveModel = row.clone().into();
            active.business_id = Set(other.business_id);
            active.update(db).await?;
            other
        }
    };
    Ok(Principal {
        user_id: row.user_id,
        business_id: membership.business_id,
        role: parse_role(&membership.role)?,
        credential: Credential::Session(row.id),
    })
}

/// The membership of `user_id` in `business_id`, if any.
///
/// # Errors
/// Database failures.
pub async fn membership_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    business_id: Uuid,
) -> Result<Option<membership::Model>, DomainError> {
    let select = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::BusinessId.eq(business_id));
    Ok(crate::lookup::by_key(db, select).await?)
}

pub(crate) fn parse_role(s: &str) -> Result<Role, DomainError> {
    Role::parse(s).ok_or_else(|| DomainError::Internal(format!("unknown role {s:?} in database")))
}

/// Ends one session (sign out).
///
/// # Errors
/// Database failures.
pub async fn end(db: &impl ConnectionTrait, session_id: Uuid) -> Result<(), DomainError> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user (password change).
///
/// # Errors
/// Database failures.
pub async fn end_all(db: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, DomainError> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Switches the business a session acts for.
///
/// # Errors
/// `NotFound` when the user is not a member of `business_id`; `Forbidden` for API keys
/// (they belong to one business).
pub async fn switch_business(
    db: &impl ConnectionTrait,
    principal: &Principal,
    business_id: Uuid,
) -> Result<(), DomainError> {
    let Credential::Session(sid) = principal.credential else {
        return Err(DomainError::Forbidden(
            "An API key belongs to one business.".into(),
        ));
    };
    membership_of(db, principal.user_id, business_id)
        .await?
        .ok_or(DomainError::NotFound("business"))?;
    session::Entity::update_many()
        .col_expr(session::Column::BusinessId, Expr::value(business_id))
        .filter(session::Column::Id.eq(sid))
        .exec(db)
        .await?;
    Ok(())
}

/// Issues a device token remembering that this browser signed in as `user_id`.
///
/// # Errors
/// Signing failures.
pub fn device_token(keys: &Keyring, user_id: Uuid) -> Result<String, DomainError> {
    let did = super::secrets::random_alnum(16);
    keys.sign(
        AUD_DEVICE,
        &user_id.to_string(),
        chrono::Duration::days(365),
        DeviceClaims { did },
    )
}

/// The device id in a device token, when it is valid for `user_id`.
pub fn device_id(keys: &Keyring, token: &str, user_id: Uuid) -> Option<String> {
    keys.verify::<DeviceClaims>(AUD_DEVICE, token)
        .ok()
        .filter(|v| v.subject == user_id.to_string())
        .map(|v| v.claims.did)
}
