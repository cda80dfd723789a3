//! Recording a check's outcome on a domain, under the rules of [`DomainPolicy`]: status,
//! schedule, history, and what follows from becoming verified or revoked (subdomains
//! verified through it follow it).
//!
//! [`DomainPolicy`]: super::DomainPolicy

use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, SqlErr, TransactionSession, TransactionTrait};

use super::manage::{status_of, taken, verified_elsewhere};
use super::policy::{Current, Decision};
use super::{CheckOutcome, Checker};
use crate::entities::domain;
use crate::entities::domain_check;
use crate::events::BusinessEventKind;
use crate::types::DomainStatus;
use crate::DomainError;

/// What started a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Someone pressed "Verify".
    Manual,
    /// The automatic re-check of a pending domain.
    Pending,
    /// The periodic re-verification of a verified domain.
    Reverify,
}

impl Trigger {
    /// The stored form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Pending => "pending",
            Self::Reverify => "reverify",
        }
    }
}

/// A recorded check: the domain as it is now and what changed.
#[derive(Debug)]
pub struct Applied {
    pub domain: domain::Model,
    pub decision: Decision,
}

/// Whether a database error is a unique-index violation.
pub(crate) fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Records `outcome` for domain `id` and applies its consequences, in one transaction.
///
/// # Errors
/// `NotFound` when the domain was removed meanwhile; `Conflict` when another business
/// verified the name first.
pub async fn apply_check(
    db: &impl TransactionTrait,
    checker: &Checker,
    id: Uuid,
    outcome: &CheckOutcome,
    trigger: Trigger,
) -> Result<Applied, DomainError> {
    let now = Utc::now();
    let txn = crate::tx::begin_write(db).await?;
    let row = domain::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("domain"))?;
    if outcome.is_verified() && verified_elsewhere(&txn, row.business_id, &row.name).await? {
        return Err(taken(&row.name));
    }
    let decision = checker.policy.decide(
        Current {
            status: status_of(&row),
            failed_checks: row.failed_checks,
            created_at: row.created_at,
        },
        outcome,
        now,
    );
    domain_check::ActiveModel {
        id: Set(Uuid::new_v4()),
        business_id: Set(row.business_id),
        domain_id: Set(row.id),
        trigger: Set(trigger.as_str().to_owned()),
        outcome: Set(outcome.code().to_owned()),
        message: Set(outcome.message()),
        checked_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let (business_id, name) = (row.business_id, row.name.clone());
    let mut active: domain::ActiveModel = row.into();
    active.status = Set(decision.status.as_str().to_owned());
    active.failed_checks = Set(decision.failed_checks);
    active.next_check_at = Set(decision.next_check_at);
    active.last_checked_at = Set(Some(now));
    if decision.became_verified {
        active.verified_at = Set(Some(now));
        active.revoked_at = Set(None);
        active.revocation_notice_due = Set(false);
    }
    if decision.became_revoked {
        active.revoked_at = Set(Some(now));
        active.revocation_notice_due = Set(true);
    }
    let updated = active.update(&txn).await.map_err(|e| {
        if is_unique_violation(&e) {
            taken(&name)
        } else {
            e.into()
        }
    })?;
    if decision.became_verified {
        adopt_subdomains(&txn, &updated).await?;
    }
    if decision.became_revoked {
        domain::Entity::update_many()
            .col_expr(
                domain::Column::Status,
                Expr::value(DomainStatus::Revoked.as_str()),
            )
            .col_expr(domain::Column::RevokedAt, Expr::value(now))
            .filter(domain::Column::InheritedFrom.eq(updated.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    tracing::info!(
        %business_id, domain = %name, outcome = outcome.code(), trigger = trigger.as_str(),
        status = decision.status.as_str(), failed_checks = decision.failed_checks,
        "domain checked"
    );
    if decision.became_verified {
        checker
            .events
            .publish(business_id, BusinessEventKind::DomainVerified, updated.id);
    }
    if decision.became_revoked {
        checker
            .events
            .publish(business_id, BusinessEventKind::DomainRevoked, updated.id);
    }
    Ok(Applied {
        domain: updated,
        decision,
    })
}

/// Verifies through `parent` the business's subdomains of it that are pending or revoked
/// (verified ones keep their source); skips names another business holds.
async fn adopt_subdomains(
    txn: &impl ConnectionTrait,
    parent: &domain::Model,
) -> Result<(), DomainError> {
    let suffix = format!(".{}", parent.name);
    let candidates = domain::Entity::find()
        .filter(domain::Column::BusinessId.eq(parent.business_id))
        .filter(domain::Column::Name.ends_with(&suffix))
        .all(txn)
        .await?;
    let now = Utc::now();
    for child in candidates {
        if status_of(&child) == DomainStatus::Verified
            || verified_elsewhere(txn, child.business_id, &child.name).await?
        {
            continue;
        }
        let mut active: domain::ActiveModel = child.into();
        active.status = Set(DomainStatus::Verified.as_str().to_owned());
        active.inherited_from = Set(Some(parent.id));
        active.verified_at = Set(Some(now));
        active.revoked_at = Set(None);
        active.failed_checks = Set(0);
        active.next_check_at = Set(None);
        active.update(txn).await?;
    }
    Ok(())
}
