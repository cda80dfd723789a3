//! The mail outbox (DESIGN.md "One outbox"). An email a change causes is written with
//! [`write`] in the change's own transaction, so it exists exactly when the change does;
//! after the commit the producer hands it to the job queue with [`hand_over`], and the
//! workers' sweep ([`relay_stranded`]) hands over any row a crash left behind. The row's
//! id becomes the email's `Message-ID`, which the `send_email` job remembers once the SMTP
//! server accepted it ([`crate::sent_emails`]), so a row handed over twice is sent once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

use crate::entities::mail_outbox;
use crate::outbox::{Outbox, OutgoingEmail};

/// A row no producer handed over after this long is handed over by the sweep.
pub const STRANDED_AFTER: Duration = Duration::seconds(30);
/// At most this many stranded rows a sweep round.
pub const SWEEP_BATCH: u64 = 200;
/// Rows handed over are kept this long (as the sent ids are).
pub const KEEP: Duration = Duration::days(14);

/// An email written in a transaction, to hand over once it committed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "hand it over after the commit"]
pub struct Written {
    /// The row, and the email's `Message-ID`.
    pub id: Uuid,
    pub email: OutgoingEmail,
}

/// Writes `email` in `txn` (the transaction of the change that causes it).
///
/// # Errors
/// A database failure (the change then fails with it).
pub async fn write(
    txn: &impl ConnectionTrait,
    email: OutgoingEmail,
    now: DateTime<Utc>,
) -> Result<Written, DbErr> {
    let id = Uuid::now_v7();
    let payload =
        serde_json::to_string(&email).map_err(|e| DbErr::Custom(format!("mail payload: {e}")))?;
    mail_outbox::ActiveModel {
        id: Set(id),
        payload: Set(payload),
        created_at: Set(now),
        relayed_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(Written { id, email })
}

/// Hands committed emails to the job queue and marks them handed over. Never fails the
/// caller: the change is committed, and what could not be queued now the sweep queues.
pub async fn hand_over(db: &impl ConnectionTrait, outbox: &dyn Outbox, mails: Vec<Written>) {
    let mut relayed = Vec::with_capacity(mails.len());
    for Written { id, email } in mails {
        match outbox.relay_email(id, email).await {
            Ok(()) => relayed.push(id),
            Err(e) => {
                tracing::warn!(error = %e, mail = %id, "queueing a mail failed; the sweep will")
            }
        }
    }
    if let Err(e) = mark_relayed(db, &relayed, Utc::now()).await {
        tracing::warn!(error = %e, "marking mails as queued failed; the sweep may queue them again");
    }
}

async fn mark_relayed(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::RelayedAt, Expr::value(now))
        .filter(mail_outbox::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes each of `emails` in `txn`.
///
/// # Errors
/// A database failure.
pub async fn write_all(
    txn: &impl ConnectionTrait,
    emails: impl IntoIterator<Item = OutgoingEmail>,
    now: DateTime<Utc>,
) -> Result<Vec<Written>, DbErr> {
    let mut written = Vec::new();
    for email in emails {
        written.push(write(txn, email, now).await?);
    }
    Ok(written)
}

/// Hands over the rows nobody handed over within [`STRANDED_AFTER`] (their producer died
/// between the commit and the hand-over), at most [`SWEEP_BATCH`]; returns how many.
///
/// # Errors
/// A database failure.
pub async fn relay_stranded(
    db: &impl ConnectionTrait,
    outbox: &dyn Outbox,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let rows = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::RelayedAt.is_null())
        .filter(mail_outbox::Column::CreatedAt.lt(now - STRANDED_AFTER))
        .order_by_asc(mail_outbox::Column::CreatedAt)
        .limit(SWEEP_BATCH)
        .all(db)
        .await?;
    let mut mails = Vec::with_capacity(rows.len());
    for row in rows {
        match serde_json::from_str::<OutgoingEmail>(&row.payload) {
            Ok(email) => mails.push(Written { id: row.id, email }),
            Err(e) => {
                tracing::error!(error = %e, mail = %row.id, "an unreadable mail row is set aside");
                mark_relayed(db, &[row.id], now).await?;
            }
        }
    }
    let count = mails.len();
    if count > 0 {
        tracing::warn!(count, "handing over mails a crash left behind");
    }
    hand_over(db, outbox, mails).await;
    Ok(count)
}

/// Forgets the rows handed over before `now - KEEP`; returns how many.
///
/// # Errors
/// A database failure.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::RelayedAt.lt(now - KEEP))
        .exec(db)
        .await?
        .rows_affected)
}
