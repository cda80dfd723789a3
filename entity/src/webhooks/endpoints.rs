//! A business's endpoints: registering, changing, deleting, rotating the secret.
//!
//! Owners and admins only: an endpoint receives the business's calls as they happen, and
//! its URL may carry the receiver's own token. Every query filters by the principal's
//! business, so another business's endpoint looks exactly like a missing one.
//!
//! The secret is shown once, when made (creation, rotation). A rotation keeps the old one
//! signing for [`ROTATION_OVERLAP_HOURS`], so receivers can switch without losing events;
//! rotating again within that window ends the older secret at once.

use chrono::{DateTime, Utc};
use sea_orm::{
    prelude::*, ActiveValue::Set, PaginatorTrait, QueryOrder, TransactionSession, TransactionTrait,
};

use super::events::{EventType, Subscriptions};
use super::secret::SigningSecret;
use super::target::TargetPolicy;
use super::target_url::TargetUrl;
use crate::auth::Principal;
use crate::entities::webhook_endpoint;
use crate::DomainError;

/// The most endpoints a business may register.
pub const MAX_ENDPOINTS: u64 = 20;
/// The longest description.
pub const MAX_DESCRIPTION: usize = 200;
/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// An endpoint as its business sees it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointView {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
    pub enabled: bool,
    /// Why it turned itself off (the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// Until when the secret before the last rotation still signs.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its new secret (shown only here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithSecret {
    pub endpoint: EndpointView,
    /// `whsec_…`
    pub secret: String,
}

/// What a business submits to register an endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointInput {
    pub url: String,
    /// Wire names (`call.requested`, …).
    pub events: Vec<String>,
    pub enabled: bool,
    pub description: String,
}

/// A change to an endpoint; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
}

pub(crate) fn view(row: &webhook_endpoint::Model, now: DateTime<Utc>) -> EndpointView {
    EndpointView {
        id: row.id,
        url: row.url.clone(),
        description: row.description.clone(),
        events: Subscriptions::from_stored(&row.events).types().to_vec(),
        enabled: row.enabled,
        disabled_reason: row.disabled_reason.clone(),
        previous_secret_expires_at: row
            .previous_secret_expires_at
            .filter(|until| *until > now && row.previous_secret.is_some()),
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

fn url(policy: &TargetPolicy, input: &str) -> Result<TargetUrl, DomainError> {
    let url = TargetUrl::parse(input).map_err(|e| DomainError::Validation(vec![e]))?;
    policy
        .check_url(&url)
        .map_err(|e| DomainError::Validation(vec![e]))?;
    Ok(url)
}

fn events(names: &[String]) -> Result<Subscriptions, DomainError> {
    Subscriptions::parse(names).map_err(|e| DomainError::Validation(vec![e]))
}

fn description(text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(DomainError::invalid(
            "description",
            format!("Use at most {MAX_DESCRIPTION} characters for the description."),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "description",
            "The description cannot contain control characters.",
        ));
    }
    Ok(text.to_owned())
}

/// One of the principal's business's endpoints.
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<webhook_endpoint::Model, DomainError> {
    webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("webhook endpoint"))
}

/// Registers an endpoint; its secret is in the result, only here.
///
/// # Errors
/// `Forbidden` for agents; `Validation` (`url`, `events`, `description`); `Conflict` past
/// [`MAX_ENDPOINTS`].
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    policy: &TargetPolicy,
    principal: &Principal,
    input: &EndpointInput,
) -> Result<WithSecret, DomainError> {
    principal.require_manager()?;
    let target = url(policy, &input.url)?;
    let subscriptions = events(&input.events)?;
    let description = description(&input.description)?;
    // The count and the insert in one write transaction: two at once cannot pass the cap.
    let txn = crate::tx::begin_write(db).await?;
    let count = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::BusinessId.eq(principal.business_id))
        .count(&txn)
        .await?;
    if count >= MAX_ENDPOINTS {
        return Err(DomainError::Conflict(format!(
            "A business can have at most {MAX_ENDPOINTS} webhook endpoints; delete one first."
        )));
    }
    let (_, secret) = SigningSecret::generate();
    let now = Utc::now();
    let row = webhook_endpoint::ActiveModel {
        id: Set(Uuid::new_v4()),
        business_id: Set(principal.business_id),
        url: Set(target.as_str().to_owned()),
        description: Set(description),
        events: Set(subscriptions.to_stored()),
        enabled: Set(input.enabled),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        disabled_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(business_id = %principal.business_id, endpoint = %row.id, "webhook endpoint created");
    Ok(WithSecret {
        endpoint: view(&row, now),
        secret,
    })
}

/// The principal's business's endpoints, oldest first.
///
/// # Errors
/// `Forbidden` for agents.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Vec<EndpointView>, DomainError> {
    principal.require_manager()?;
    let now = Utc::now();
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::BusinessId.eq(principal.business_id))
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(|row| view(row, now))
        .collect())
}

/// One endpoint.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not one of the business's.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<EndpointView, DomainError> {
    principal.require_manager()?;
    Ok(view(&find(db, principal, id).await?, Utc::now()))
}

/// Changes what `patch` names. Enabling an endpoint clears why it was disabled.
///
/// # Errors
/// As [`create`], and `NotFound` when it is not one of the business's.
pub async fn update(
    db: &impl ConnectionTrait,
    policy: &TargetPolicy,
    principal: &Principal,
    id: Uuid,
    patch: &EndpointPatch,
) -> Result<EndpointView, DomainError> {
    principal.require_manager()?;
    let target = patch.url.as_deref().map(|u| url(policy, u)).transpose()?;
    let subscriptions = patch.events.as_deref().map(events).transpose()?;
    let description = patch.description.as_deref().map(description).transpose()?;
    let row = find(db, principal, id).await?;
    let now = Utc::now();
    let mut active: webhook_endpoint::ActiveModel = row.into();
    if let Some(target) = target {
        active.url = Set(target.as_str().to_owned());
    }
    if let Some(subscriptions) = subscriptions {
        active.events = Set(subscriptions.to_stored());
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    if let Some(enabled) = patch.enabled {
        active.enabled = Set(enabled);
        if enabled {
            active.disabled_reason = Set(None);
        }
    }
    active.updated_at = Set(now);
    let row = active.update(db).await?;
    Ok(view(&row, now))
}

/// Deletes an endpoint and its log.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not one of the business's.
pub async fn delete(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<(), DomainError> {
    principal.require_manager()?;
    find(db, principal, id).await?;
    webhook_endpoint::Entity::delete_many()
        .filter(webhook_endpoint::Column::Id.eq(id))
        .filter(webhook_endpoint::Column::BusinessId.eq(principal.business_id))
        .exec(db)
        .await?;
    tracing::info!(business_id = %principal.business_id, endpoint = %id, "webhook endpoint deleted");
    Ok(())
}

/// Gives the endpoint a new secret (returned, only here); the current one keeps signing
/// for [`ROTATION_OVERLAP_HOURS`].
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not one of the business's.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<WithSecret, DomainError> {
    principal.require_manager()?;
    let row = find(db, principal, id).await?;
    let now = Utc::now();
    let (_, secret) = SigningSecret::generate();
    let mut active: webhook_endpoint::ActiveModel = row.clone().into();
    active.previous_secret = Set(Some(row.secret));
    active.previous_secret_expires_at =
        Set(Some(now + chrono::Duration::hours(ROTATION_OVERLAP_HOURS)));
    active.secret = Set(secret.clone());
    active.updated_at = Set(now);
    let row = active.update(db).await?;
    tracing::info!(business_id = %principal.business_id, endpoint = %id, "webhook secret rotated");
    Ok(WithSecret {
        endpoint: view(&row, now),
        secret,
    })
}

/// The secrets that sign a delivery at `now`: the current one, and the previous one
/// during its overlap. Unreadable stored secrets are skipped.
#[must_use]
pub fn signing_secrets(row: &webhook_endpoint::Model, now: DateTime<Utc>) -> Vec<SigningSecret> {
    let previous = match (&row.previous_secret, row.previous_secret_expires_at) {
        (Some(secret), Some(until)) if until > now => Some(secret.as_str()),
        _ => None,
    };
    std::iter::once(row.secret.as_str())
        .chain(previous)
        .filter_map(|s| SigningSecret::parse(s).ok())
        .collect()
}
