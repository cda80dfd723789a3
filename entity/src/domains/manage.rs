//! A business's domains: adding, listing, verifying on request, removing.
//!
//! Every function is scoped to the principal's business: another business's domain looks
//! exactly like a missing one.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    prelude::*, ActiveValue::Set, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::record::{apply_check, is_unique_violation, Trigger};
use super::{expected_record, Checker, DomainName, TXT_RECORD_LABEL, TXT_VALUE_PREFIX};
use crate::auth::Principal;
use crate::entities::{caller_identity, domain, domain_check};
use crate::events::BusinessEventKind;
use crate::types::{DomainCheckView, DomainDetail, DomainStatus, DomainView, VerificationResult};
use crate::DomainError;

/// How many checks a domain's page shows.
pub const HISTORY_LEN: u64 = 50;

pub(crate) fn status_of(row: &domain::Model) -> DomainStatus {
    DomainStatus::parse(&row.status).unwrap_or(DomainStatus::Pending)
}

fn parse_name(input: &str) -> Result<DomainName, DomainError> {
    DomainName::parse(input).map_err(|e| DomainError::Validation(vec![e.to_field_error("name")]))
}

/// The stored name as a [`DomainName`] (stored names were parsed on the way in).
pub(crate) fn stored_name(row: &domain::Model) -> Result<DomainName, DomainError> {
    DomainName::parse(&row.name)
        .map_err(|e| DomainError::Internal(format!("stored domain {} unparsable: {e}", row.id)))
}

/// The TXT record a stored domain must carry, one line as its owner sees it:
/// `_domaincall.example.com TXT "domaincall-verify=<code>"`.
pub(crate) fn record_of(row: &domain::Model) -> String {
    DomainName::parse(&row.name).map_or_else(
        |_| {
            format!(
                "{}.{} TXT \"{TXT_VALUE_PREFIX}{}\"",
                TXT_RECORD_LABEL, row.name, row.code
            )
        },
        |n| expected_record(&n, &row.code),
    )
}

pub(crate) fn view(row: &domain::Model, parents: &HashMap<Uuid, String>) -> DomainView {
    let display_name =
        DomainName::parse(&row.name).map_or_else(|_| row.name.clone(), |n| n.unicode());
    DomainView {
        id: row.id.to_string(),
        name: row.name.clone(),
        display_name,
        status: status_of(row),
        record: record_of(row),
        record_name: format!("{TXT_RECORD_LABEL}.{}", row.name),
        record_value: format!("{TXT_VALUE_PREFIX}{}", row.code),
        inherited_from: row.inherited_from.and_then(|p| parents.get(&p).cloned()),
        failed_checks: row.failed_checks,
        created_at: row.created_at,
        verified_at: row.verified_at,
        revoked_at: row.revoked_at,
        last_checked_at: row.last_checked_at,
        next_check_at: row.next_check_at,
        route_team_id: row.route_team_id.map(|t| t.to_string()),
    }
}

/// The names of the parents the given rows inherit from.
async fn parent_names(
    db: &impl ConnectionTrait,
    rows: &[domain::Model],
) -> Result<HashMap<Uuid, String>, DomainError> {
    let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.inherited_from).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(domain::Entity::find()
        .filter(domain::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

pub(crate) async fn view_one(
    db: &impl ConnectionTrait,
    row: &domain::Model,
) -> Result<DomainView, DomainError> {
    let parents = parent_names(db, std::slice::from_ref(row)).await?;
    Ok(view(row, &parents))
}

/// One domain of the principal's business.
pub(crate) async fn find_scoped(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<domain::Model, DomainError> {
    domain::Entity::find_by_id(id)
        .filter(domain::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("domain"))
}

/// Whether another business holds `name` verified.
pub(crate) async fn verified_elsewhere(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    name: &str,
) -> Result<bool, DomainError> {
    Ok(domain::Entity::find()
        .filter(domain::Column::Name.eq(name))
        .filter(domain::Column::Status.eq(DomainStatus::Verified.as_str()))
        .filter(domain::Column::BusinessId.ne(business_id))
        .one(db)
        .await?
        .is_some())
}

pub(crate) fn taken(name: &str) -> DomainError {
    DomainError::Conflict(format!(
        "{name} is verified by another business on domaincall. If the domain is yours, \
         contact us: we will ask you to prove it and release it."
    ))
}

/// Adds a domain to the principal's business and issues its authorisation code.
///
/// A subdomain of a domain the business has verified is verified at once, through it.
///
/// # Errors
/// `Forbidden` for agents; `Validation` for a malformed name (the message says why);
/// `Conflict` when the business already has it or another business has it verified.
pub async fn add(
    db: &(impl ConnectionTrait + TransactionTrait),
    checker: &Checker,
    principal: &Principal,
    input: &str,
) -> Result<DomainView, DomainError> {
    principal.require_manager()?;
    let name = parse_name(input)?;
    let now = Utc::now();
    let txn = crate::tx::begin_write(db).await?;
    let existing = domain::Entity::find()
        .filter(domain::Column::BusinessId.eq(principal.business_id))
        .filter(domain::Column::Name.eq(name.as_str()))
        .one(&txn)
        .await?;
    if existing.is_some() {
        return Err(DomainError::Conflict(format!(
            "{} is already on your list of domains.",
            name.as_str()
        )));
    }
    if verified_elsewhere(&txn, principal.business_id, name.as_str()).await? {
        return Err(taken(name.as_str()));
    }
    let parent = verified_parent(&txn, principal.business_id, &name).await?;
    let (status, next_check_at, verified_at) = match parent {
        Some(_) => (DomainStatus::Verified, None, Some(now)),
        None => (DomainStatus::Pending, checker.policy.first_check(now), None),
    };
    let row = domain::ActiveModel {
        id: Set(Uuid::new_v4()),
        business_id: Set(principal.business_id),
        name: Set(name.as_str().to_owned()),
        status: Set(status.as_str().to_owned()),
        code: Set(super::authorisation_code()),
        inherited_from: Set(parent),
        failed_checks: Set(0),
        revocation_notice_due: Set(false),
        created_at: Set(now),
        verified_at: Set(verified_at),
        revoked_at: Set(None),
        last_checked_at: Set(None),
        next_check_at: Set(next_check_at),
        route_team_id: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            taken(name.as_str())
        } else {
            e.into()
        }
    })?;
    txn.commit().await?;
    tracing::info!(business_id = %principal.business_id, domain = %row.name, status = %row.status, "domain added");
    checker.events.publish(
        principal.business_id,
        BusinessEventKind::DomainAdded,
        row.id,
    );
    view_one(db, &row).await
}

/// The verified domain of `business_id` that `name` is verified through: its nearest
/// verified parent that is proven by its own record (or that parent's own source).
async fn verified_parent(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    name: &DomainName,
) -> Result<Option<Uuid>, DomainError> {
    let parents: Vec<String> = name
        .parent_domains()
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    if parents.is_empty() {
        return Ok(None);
    }
    let found = domain::Entity::find()
        .filter(domain::Column::BusinessId.eq(business_id))
        .filter(domain::Column::Status.eq(DomainStatus::Verified.as_str()))
        .filter(domain::Column::Name.is_in(parents.clone()))
        .all(db)
        .await?;
    // Nearest parent first; it carries its own source if it is itself inherited.
    Ok(parents
        .iter()
        .find_map(|p| found.iter().find(|d| &d.name == p))
        .map(|d| d.inherited_from.unwrap_or(d.id)))
}

/// The domains of the principal's business, by name.
///
/// # Errors
/// Database failures only.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Vec<DomainView>, DomainError> {
    let rows = domain::Entity::find()
        .filter(domain::Column::BusinessId.eq(principal.business_id))
        .order_by_asc(domain::Column::Name)
        .all(db)
        .await?;
    let parents = parent_names(db, &rows).await?;
    Ok(rows.iter().map(|r| view(r, &parents)).collect())
}

/// A domain of the principal's business with its latest checks, newest first.
///
/// # Errors
/// `NotFound` when it is not a domain of this business.
pub async fn detail(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<DomainDetail, DomainError> {
    let row = find_scoped(db, principal, id).await?;
    let checks = domain_check::Entity::find()
        .filter(domain_check::Column::DomainId.eq(row.id))
        .filter(domain_check::Column::BusinessId.eq(principal.business_id))
        .order_by_desc(domain_check::Column::CheckedAt)
        .limit(HISTORY_LEN)
        .all(db)
        .await?
        .into_iter()
        .map(|c| DomainCheckView {
            checked_at: c.checked_at,
            trigger: c.trigger,
            outcome: c.outcome,
            message: c.message,
        })
        .collect();
    Ok(DomainDetail {
        domain: view_one(db, &row).await?,
        checks,
    })
}

/// Checks the domain's TXT record now ("Verify") and records the outcome.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not a domain of this business;
/// `Conflict` when another business has verified it meanwhile.
pub async fn verify(
    db: &(impl ConnectionTrait + TransactionTrait),
    checker: &Checker,
    principal: &Principal,
    id: Uuid,
) -> Result<VerificationResult, DomainError> {
    principal.require_manager()?;
    let row = find_scoped(db, principal, id).await?;
    if row.inherited_from.is_some() {
        let domain = view_one(db, &row).await?;
        let parent = domain.inherited_from.clone().unwrap_or_default();
        return Ok(VerificationResult {
            verified: domain.status == DomainStatus::Verified,
            outcome: "inherited".into(),
            message: format!(
                "Verified through {parent}: its TXT record proves this subdomain too. Nothing \
                 to publish here."
            ),
            domain,
        });
    }
    if verified_elsewhere(db, row.business_id, &row.name).await? {
        return Err(taken(&row.name));
    }
    let name = stored_name(&row)?;
    let outcome = checker.verifier.check(&name, &row.code).await;
    let applied = apply_check(db, checker, row.id, &outcome, Trigger::Manual).await?;
    if applied.decision.became_revoked {
        // Retried by the background sweep if it fails now.
        if let Err(e) = super::notify::revoked(db, checker, &applied.domain).await {
            tracing::warn!(domain = %applied.domain.name, error = %e, "revocation email not queued yet");
        }
    }
    Ok(VerificationResult {
        domain: view_one(db, &applied.domain).await?,
        verified: outcome.is_verified(),
        outcome: outcome.code().to_owned(),
        message: outcome.message(),
    })
}

/// Removes a domain of the principal's business: its call page goes offline, callers
/// calling as it lose that identity, and subdomains verified through it need their own
/// record again.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not a domain of this business.
pub async fn remove(
    db: &impl TransactionTrait,
    checker: &Checker,
    principal: &Principal,
    id: Uuid,
) -> Result<(), DomainError> {
    principal.require_manager()?;
    let now = Utc::now();
    let txn = crate::tx::begin_write(db).await?;
    let row = find_scoped(&txn, principal, id).await?;
    let children = domain::Entity::find()
        .filter(domain::Column::BusinessId.eq(principal.business_id))
        .filter(domain::Column::InheritedFrom.eq(row.id))
        .all(&txn)
        .await?;
    for child in children {
        let next = checker.policy.next_pending_check(child.created_at, now);
        let mut active: domain::ActiveModel = child.into();
        active.status = Set(DomainStatus::Pending.as_str().to_owned());
        active.inherited_from = Set(None);
        active.verified_at = Set(None);
        active.failed_checks = Set(0);
        active.next_check_at = Set(next);
        active.update(&txn).await?;
    }
    caller_identity::Entity::delete_many()
        .filter(caller_identity::Column::DomainId.eq(row.id))
        .exec(&txn)
        .await?;
    domain_check::Entity::delete_many()
        .filter(domain_check::Column::DomainId.eq(row.id))
        .exec(&txn)
        .await?;
    domain::Entity::delete_by_id(row.id).exec(&txn).await?;
    txn.commit().await?;
    tracing::info!(business_id = %principal.business_id, domain = %row.name, "domain removed");
    checker.events.publish(
        principal.business_id,
        BusinessEventKind::DomainRemoved,
        row.id,
    );
    Ok(())
}
