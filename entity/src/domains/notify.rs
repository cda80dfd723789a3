//! Telling a business's owners that a domain of theirs was revoked.

use sea_orm::{prelude::*, QueryOrder};

use super::Checker;
use crate::entities::{domain, domain_check, membership, user};
use crate::outbox::OutgoingEmail;
use crate::types::Role;
use crate::DomainError;

/// Emails every owner of the domain's business that it was revoked, why, and how to bring
/// it back; then clears the domain's `revocation_notice_due` flag.
///
/// # Errors
/// When the owners cannot be read or the email cannot be queued (the flag stays set, and
/// the sweep tries again).
pub async fn revoked(
    db: &impl ConnectionTrait,
    checker: &Checker,
    row: &domain::Model,
) -> Result<(), DomainError> {
    let last = domain_check::Entity::find()
        .filter(domain_check::Column::DomainId.eq(row.id))
        .order_by_desc(domain_check::Column::CheckedAt)
        .one(db)
        .await?
        .map(|c| c.message)
        .unwrap_or_default();
    let owners: Vec<String> = membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(row.business_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .find_also_related(user::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, u)| u.map(|u| u.email))
        .collect();
    let record = super::manage::record_of(row);
    let link = format!("{}/app/domains?domain={}", checker.public_url, row.id);
    for to in owners {
        let text = format!(
            "The DNS record that proves your business owns {name} was missing in the last {n} \
             checks, so {name} has been revoked on domaincall: its call page is offline and \
             callers can no longer reach you through it.\n\n\
             To bring it back, publish this record again at your DNS provider:\n\n    {record}\n\n\
             then press Verify on your domains page:\n{link}\n\n\
             What the last check found: {last}\n",
            name = row.name,
            n = row.failed_checks,
        );
        checker
            .outbox
            .send_email(OutgoingEmail {
                calendar: None,
                to,
                subject: format!("{} is no longer verified on domaincall", row.name),
                text,
                html: None,
            })
            .await?;
    }
    domain::Entity::update_many()
        .col_expr(domain::Column::RevocationNoticeDue, Expr::value(false))
        .filter(domain::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    tracing::info!(business_id = %row.business_id, domain = %row.name, "owners told of revocation");
    Ok(())
}
