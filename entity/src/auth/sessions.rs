//! Dashboard sessions: a row per signed-in browser, referenced by a signed JWT.
//!
//! The JWT proves who issued the session; the row makes it revocable (sign out, password
//! change) and remembers which business the user is acting for. Every change that ends a
//! session or changes what it grants is published as a [`Revocation`] once committed, so
//! the sockets and subscriptions it opened follow (see [`crate::events`]).

use chrono::Utc;
use sea_orm::{
    prelude::*, ActiveValue::Set, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::tokens::{Keyring, AUD_DEVICE, AUD_SESSION};
use super::{Credential, Principal};
use crate::entities::{api_key, membership, session};
use crate::events::{EventBus, Revocation};
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

/// How long a browser is remembered as one that signed in successfully (the device
/// cookie).
pub const DEVICE_COOKIE_DAYS: i64 = 365;

/// A new session and the cookies a browser keeps it in.
#[derive(Debug)]
pub struct Issued {
    /// The signed session token (GraphQL clients without cookies use it as a bearer).
    pub token: String,
    /// `Set-Cookie` values: the session, and the device cookie that exempts this browser
    /// from other clients' sign-in limits.
    pub cookies: [String; 2],
}

/// Starts a session for `user_id` acting for `business_id` and builds the cookies a
/// browser gets with it: the one place sessions are handed out, for GraphQL
/// (`signIn`, `confirmSignUp`, `acceptInvitation`, `changePassword`) and the dashboard's
/// server functions alike.
///
/// # Errors
/// Database or signing failures.
pub async fn issue(
    services: &crate::Services,
    user_id: Uuid,
    business_id: Uuid,
) -> Result<Issued, DomainError> {
    let (keys, ttl, secure) = (
        &services.keys,
        services.session_ttl,
        services.secure_cookies,
    );
    let token = start(&services.db, keys, user_id, business_id, ttl).await?;
    let device = device_token(keys, user_id)?;
    let days = chrono::Duration::days(DEVICE_COOKIE_DAYS);
    let cookies = [
        super::cookie(SESSION_COOKIE, &token, ttl, secure),
        super::cookie(DEVICE_COOKIE, &device, days, secure),
    ];
    Ok(Issued { token, cookies })
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

/// Ends one session (sign out); its sockets and subscriptions end with it.
///
/// # Errors
/// Database failures.
pub async fn end(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    session_id: Uuid,
) -> Result<(), DomainError> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    events.revoke(Revocation::SessionsEnded {
        session_ids: vec![session_id],
    });
    Ok(())
}

/// Ends every live session of a user (password change). Their sockets and subscriptions
/// end with them — except those of `renewed`, the session that made the change, which is
/// replaced by a fresh one on the same device: its sockets close too, but that member may
/// reconnect and resume (see [`Revocation::SessionChanged`]). Returns how many ended.
///
/// # Errors
/// Database failures.
pub async fn end_all<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    events: &dyn EventBus,
    user_id: Uuid,
    renewed: Option<Uuid>,
) -> Result<u64, DomainError> {
    let txn = crate::tx::begin_write(db).await?;
    let ids: Vec<Uuid> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let res = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(session::Column::Id.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let (changed, ended): (Vec<Uuid>, Vec<Uuid>) =
        ids.into_iter().partition(|id| Some(*id) == renewed);
    if !ended.is_empty() {
        events.revoke(Revocation::SessionsEnded { session_ids: ended });
    }
    for session_id in changed {
        events.revoke(Revocation::SessionChanged { session_id });
    }
    Ok(res.rows_affected)
}

/// Whether `principal` still holds now what it was granted when it was authenticated:
/// the session (or API key) is live, the session still acts for the same business, and
/// the membership still exists with the same role. A connection authenticated once (a
/// GraphQL WebSocket) checks this before it starts something long-lived.
///
/// # Errors
/// `Unauthenticated` when the grant changed or ended; database failures.
pub async fn recheck(db: &impl ConnectionTrait, principal: &Principal) -> Result<(), DomainError> {
    let changed = || DomainError::Unauthenticated("Your sign-in changed; connect again.".into());
    match principal.credential {
        Credential::Session(id) => {
            let row = crate::lookup::by_key(db, session::Entity::find_by_id(id))
                .await?
                .ok_or_else(expired)?;
            if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
                return Err(expired());
            }
            if row.user_id != principal.user_id || row.business_id != principal.business_id {
                return Err(changed());
            }
        }
        Credential::ApiKey(id) => {
            let key = crate::lookup::by_key(db, api_key::Entity::find_by_id(id))
                .await?
                .filter(|k| k.revoked_at.is_none())
                .ok_or_else(changed)?;
            if key.created_by != principal.user_id || key.business_id != principal.business_id {
                return Err(changed());
            }
        }
    }
    let membership = membership_of(db, principal.user_id, principal.business_id)
        .await?
        .ok_or_else(changed)?;
    if parse_role(&membership.role)? != principal.role {
        return Err(changed());
    }
    Ok(())
}

/// Switches the business a session acts for. The sockets and subscriptions the session
/// opened for the previous business close ([`Revocation::SessionChanged`]).
///
/// # Errors
/// `NotFound` when the user is not a member of `business_id`; `Forbidden` for API keys
/// (they belong to one business).
pub async fn switch_business(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
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
    if business_id != principal.business_id {
        events.revoke(Revocation::SessionChanged { session_id: sid });
    }
    Ok(())
}

/// Issues a device token remembering that this browser signed in as `user_id` (for
/// [`DEVICE_COOKIE_DAYS`]).
///
/// # Errors
/// Signing failures.
pub fn device_token(keys: &Keyring, user_id: Uuid) -> Result<String, DomainError> {
    let did = super::secrets::random_alnum(16);
    keys.sign(
        AUD_DEVICE,
        &user_id.to_string(),
        chrono::Duration::days(DEVICE_COOKIE_DAYS),
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
