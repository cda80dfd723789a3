//! API keys: one business each, shown once, stored as a digest, revocable.
//!
//! A key looks like `dck_<8 chars>_<32 chars>`; the `dck_<8 chars>` prefix is stored in
//! clear to find the row and to let people recognise their keys. A key acts as the member
//! who created it, with that member's current role; removing the member disables it.

use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder};

use super::sessions::{membership_of, parse_role};
use super::{secrets, Credential, Principal};
use crate::entities::api_key;
use crate::events::{BusinessEventKind, EventBus, Revocation};
use crate::types::{ApiKeyView, NewApiKey};
use crate::validate::Label;
use crate::DomainError;

/// Every key starts with this, so a leaked key is recognisable by secret scanners.
pub const KEY_PREFIX: &str = "dck_";

fn view(k: &api_key::Model) -> ApiKeyView {
    ApiKeyView {
        id: k.id.to_string(),
        name: k.name.clone(),
        prefix: k.prefix.clone(),
        created_at: k.created_at,
        last_used_at: k.last_used_at,
        revoked: k.revoked_at.is_some(),
    }
}

/// Creates a key for the principal's business; the secret is in the result, only here.
///
/// # Errors
/// `Forbidden` for agents; `Validation` for a bad name.
pub async fn create(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    name: &str,
) -> Result<NewApiKey, DomainError> {
    principal.require_manager()?;
    let name = Label::parse("name", name, 60).map_err(|e| DomainError::Validation(vec![e]))?;
    let prefix = format!("{KEY_PREFIX}{}", secrets::random_alnum(8));
    let secret = format!("{prefix}_{}", secrets::random_alnum(32));
    let row = api_key::ActiveModel {
        id: Set(Uuid::new_v4()),
        business_id: Set(principal.business_id),
        name: Set(name.as_ref().to_owned()),
        prefix: Set(prefix),
        secret_hash: Set(secrets::digest(&secret)),
        created_by: Set(principal.user_id),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    tracing::info!(business_id = %principal.business_id, api_key_id = %row.id, "API key created");
    events.publish(
        principal.business_id,
        BusinessEventKind::ApiKeyCreated,
        row.id,
    );
    Ok(NewApiKey {
        key: view(&row),
        secret,
    })
}

/// The keys of the principal's business, newest first.
///
/// # Errors
/// `Forbidden` for agents.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Vec<ApiKeyView>, DomainError> {
    principal.require_manager()?;
    Ok(api_key::Entity::find()
        .filter(api_key::Column::BusinessId.eq(principal.business_id))
        .order_by_desc(api_key::Column::CreatedAt)
        .all(db)
        .await?
        .iter()
        .map(view)
        .collect())
}

/// Revokes a key of the principal's business; it stops working at once and its
/// subscriptions end.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not an active key of this business.
pub async fn revoke(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
) -> Result<ApiKeyView, DomainError> {
    principal.require_manager()?;
    let key = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("API key"))?;
    if key.revoked_at.is_some() {
        return Ok(view(&key));
    }
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = Set(Some(Utc::now()));
    let revoked = active.update(db).await?;
    events.publish(principal.business_id, BusinessEventKind::ApiKeyRevoked, id);
    events.revoke(Revocation::ApiKeyRevoked { key_id: id });
    Ok(view(&revoked))
}

/// Resolves a bearer key to its principal.
///
/// # Errors
/// `Unauthenticated` for unknown, malformed or revoked keys, or when the member who
/// created it has left the business.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Principal, DomainError> {
    let refuse = || DomainError::Unauthenticated("Invalid or revoked API key.".into());
    let prefix = secret
        .strip_prefix(KEY_PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .map(|(p, _)| format!("{KEY_PREFIX}{p}"))
        .ok_or_else(refuse)?;
    let key = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(db)
        .await?
        .filter(|k| {
            k.revoked_at.is_none()
                && secrets::digests_match(&k.secret_hash, &secrets::digest(secret))
        })
        .ok_or_else(refuse)?;
    let member = membership_of(db, key.created_by, key.business_id)
        .await?
        .ok_or_else(refuse)?;
    let now = Utc::now();
    if key
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(db)
            .await?;
    }
    Ok(Principal {
        user_id: key.created_by,
        business_id: key.business_id,
        role: parse_role(&member.role)?,
        credential: Credential::ApiKey(key.id),
    })
}
