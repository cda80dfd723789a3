//! Telling a business's owners that a domain of theirs was revoked.

use sea_orm::{prelude::*, QueryOrder, TransactionSession, TransactionTrait};

use super::Checker;
use crate::entities::{domain, domain_check, membership, user};
use crate::outbox::OutgoingEmail;
use crate::types::Role;
use crate::DomainError;

/// Emails every owner of the domain's business that it was revoked, why, and how to bring
/// it back: the mails are written in the transaction that clears the domain's
/// `revocation_notice_due` flag, so the owners are told once.
///
/// # Errors
/// When the owners cannot be read or the mails written (the flag stays set, and the sweep
/// tries again).
pub async fn revoked<C: ConnectionTrait + TransactionTrait>(
    db: &C,
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
    let now = chrono::Utc::now();
    let txn = crate::tx::begin_write(db).await?;
    let mut mails = Vec::with_capacity(owners.len());
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
        let mail = OutgoingEmail {
            calendar: None,
            to,
            subject: format!("{} is no longer verified on domaincall", row.name),
            text,
            html: None,
        };
        mails.push(crate::mail_outbox::write(&txn, mail, now).await?);
    }
    domain::Entity::update_many()
        .col_expr(domain::Column::RevocationNoticeDue, Expr::value(false))
        .filter(domain::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    crate::mail_outbox::hand_over(db, checker.outbox.as_ref(), mails).await;
    tracing::info!(business_id = %row.business_id, domain = %row.name, "owners told of revocation");
    Ok(())
}
