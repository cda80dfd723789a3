//! The background checks: pending domains re-checked during their first 72 hours,
//! verified domains re-verified periodically and revoked after the grace checks.
//!
//! Each due domain is claimed by moving its `next_check_at` forward with a conditional
//! update, so several worker processes can sweep at once without checking a domain twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, QueryOrder, QuerySelect, TransactionTrait};

use super::manage::{status_of, stored_name};
use super::record::{apply_check, Trigger};
use super::Checker;
use crate::entities::domain;
use crate::types::DomainStatus;
use crate::DomainError;

/// How long a claimed check may take before another worker may claim it again.
const LEASE: Duration = Duration::from_secs(300);

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub checked: usize,
    pub verified: usize,
    pub revoked: usize,
    /// Revocation emails whose first attempt had failed, queued now.
    pub notices: usize,
}

/// Writes the revocation emails whose first attempt failed (the flag is set in the same
/// transaction as the revocation, so no revocation goes untold).
async fn send_due_notices(
    db: &(impl ConnectionTrait + TransactionTrait),
    checker: &Checker,
    limit: u64,
) -> Result<usize, DomainError> {
    let due = domain::Entity::find()
        .filter(domain::Column::RevocationNoticeDue.eq(true))
        .limit(limit)
        .all(db)
        .await?;
    let mut sent = 0;
    for row in due {
        match super::notify::revoked(db, checker, &row).await {
            Ok(()) => sent += 1,
            Err(e) => {
                tracing::warn!(domain = %row.name, error = %e, "revocation email not queued yet")
            }
        }
    }
    Ok(sent)
}

/// Checks up to `limit` domains whose next check is due at `now`.
///
/// # Errors
/// Database failures; a single domain's failure is logged and the sweep goes on.
pub async fn run_due_checks(
    db: &(impl ConnectionTrait + TransactionTrait),
    checker: &Checker,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<SweepReport, DomainError> {
    let due = domain::Entity::find()
        .filter(domain::Column::NextCheckAt.lte(now))
        .filter(domain::Column::InheritedFrom.is_null())
        .filter(domain::Column::Status.ne(DomainStatus::Revoked.as_str()))
        .order_by_asc(domain::Column::NextCheckAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut report = SweepReport {
        notices: send_due_notices(db, checker, limit).await?,
        ..SweepReport::default()
    };
    for row in due {
        if !claim(db, &row, now).await? {
            continue;
        }
        match check_one(db, checker, &row).await {
            Ok((verified, revoked)) => {
                report.checked += 1;
                report.verified += usize::from(verified);
                report.revoked += usize::from(revoked);
            }
            Err(e) => {
                tracing::warn!(domain = %row.name, error = %e, "background domain check failed");
            }
        }
    }
    Ok(report)
}

/// Takes the check of `row` for this worker; false when another worker took it first.
async fn claim(
    db: &impl ConnectionTrait,
    row: &domain::Model,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    let lease_end = now + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::MAX);
    let result = domain::Entity::update_many()
        .col_expr(domain::Column::NextCheckAt, Expr::value(lease_end))
        .filter(domain::Column::Id.eq(row.id))
        .filter(domain::Column::NextCheckAt.eq(row.next_check_at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn check_one(
    db: &(impl ConnectionTrait + TransactionTrait),
    checker: &Checker,
    row: &domain::Model,
) -> Result<(bool, bool), DomainError> {
    let trigger = match status_of(row) {
        DomainStatus::Verified => Trigger::Reverify,
        _ => Trigger::Pending,
    };
    let name = stored_name(row)?;
    let outcome = checker.verifier.check(&name, &row.code).await;
    let applied = apply_check(db, checker, row.id, &outcome, trigger).await?;
    if applied.decision.became_revoked {
        // Retried by the next sweep if it fails now.
        if let Err(e) = super::notify::revoked(db, checker, &applied.domain).await {
            tracing::warn!(domain = %row.name, error = %e, "revocation email not queued yet");
        }
    }
    Ok((
        applied.decision.became_verified,
        applied.decision.became_revoked,
    ))
}
