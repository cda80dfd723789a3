//! The reminder a caller gets shortly before the time they booked (the business's
//! `reminder_minutes`, 15 by default; 0 turns it off), sent by the periodic sweep.
//!
//! Each reminder is claimed before it is queued — one conditional `UPDATE … WHERE
//! reminded_at IS NULL` — so several workers sweeping side by side send it once. A
//! callback booked (or moved) inside its reminder period gets none: its confirmation just
//! said the time. Moving a booking clears `reminded_at`, so the new time is reminded too.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, QueryOrder, QuerySelect};

use super::asking::CANCEL_TTL;
use super::booking::{self, local_text};
use super::emails;
use super::links::{self, Purpose};
use super::{CallbackStatus, SlotPolicy};
use crate::entities::{business, callback};
use crate::outbox::Outbox;
use crate::DomainError;

/// At most this many reminders in one sweep (the rest wait for the next).
const BATCH: u64 = 200;
/// The longest reminder period a policy can set, in minutes.
const LONGEST: i64 = 1440;

/// Sends the reminders due at `now`; returns how many were queued.
///
/// # Errors
/// A database failure, or the queue refusing a mail (the rest wait for the next sweep).
pub async fn send_due(
    db: &DatabaseConnection,
    outbox: &dyn Outbox,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, DomainError> {
    let scheduled = CallbackStatus::Scheduled.as_str();
    let rows = callback::Entity::find()
        .filter(callback::Column::Status.eq(scheduled))
        .filter(callback::Column::RemindedAt.is_null())
        .filter(callback::Column::SlotAt.gt(now))
        .filter(callback::Column::SlotAt.lte(now + Duration::minutes(LONGEST)))
        .order_by_asc(callback::Column::SlotAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut policies: HashMap<Uuid, SlotPolicy> = HashMap::new();
    let mut sent = 0;
    for row in rows {
        let policy = match policies.get(&row.business_id) {
            Some(p) => *p,
            None => {
                let p = booking::policy(db, row.business_id).await?;
                policies.insert(row.business_id, p);
                p
            }
        };
        let Some(at) = row.slot_at else { continue };
        let remind_from = at - Duration::minutes(i64::from(policy.reminder_minutes));
        if policy.reminder_minutes == 0 || remind_from > now {
            continue;
        }
        let txn = crate::tx::begin_write(db).await?;
        let claimed = callback::Entity::update_many()
            .col_expr(callback::Column::RemindedAt, Expr::value(now))
            .filter(callback::Column::Id.eq(row.id))
            .filter(callback::Column::BusinessId.eq(row.business_id))
            .filter(callback::Column::Status.eq(scheduled))
            .filter(callback::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        // Booked inside the reminder period: the confirmation said it already.
        if !claimed || row.updated_at >= remind_from {
            txn.commit().await?;
            continue;
        }
        let cancel = links::issue(
            &txn,
            Purpose::Cancel,
            row.business_id,
            row.id,
            None,
            CANCEL_TTL,
            now,
        )
        .await?;
        let name = business::Entity::find_by_id(row.business_id)
            .one(&txn)
            .await?
            .map(|b| b.name)
            .unwrap_or_default();
        let zone = row
            .caller_zone
            .as_deref()
            .and_then(|z| crate::schedules::parse_zone(z).ok())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let link = format!("{}/l/{cancel}", public_url.trim_end_matches('/'));
        let mail = emails::reminder(&row.email, &name, &local_text(&zone, at), &link);
        let written = crate::mail_outbox::write(&txn, mail, now).await?;
        txn.commit().await?;
        crate::mail_outbox::hand_over(db, outbox, vec![written]).await;
        sent += 1;
    }
    Ok(sent)
}
