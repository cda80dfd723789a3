//! The emails the SMTP server accepted, by `Message-ID`, so a mail job run again after a
//! crash (its acknowledgement lost) does not send a second copy. The `send_email` job asks
//! [`was_sent`] before sending and calls [`mark_sent`] as soon as the server accepted.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, ActiveValue::Set};

use crate::entities::sent_email;

/// How long a sent id is remembered (longer than any job is retried).
pub const KEEP: Duration = Duration::days(14);

/// Whether the email with `message_id` was already accepted by the SMTP server.
///
/// # Errors
/// A database failure.
pub async fn was_sent(db: &impl ConnectionTrait, message_id: &str) -> Result<bool, DbErr> {
    Ok(sent_email::Entity::find_by_id(message_id.to_owned())
        .one(db)
        .await?
        .is_some())
}

/// Remembers that the SMTP server accepted the email with `message_id`.
///
/// # Errors
/// A database failure.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    message_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = sent_email::ActiveModel {
        message_id: Set(message_id.to_owned()),
        sent_at: Set(now),
    };
    sent_email::Entity::insert(row)
        .on_conflict_do_nothing_on([sent_email::Column::MessageId])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Forgets the ids sent before `now - KEEP`; returns how many.
///
/// # Errors
/// A database failure.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(sent_email::Entity::delete_many()
        .filter(sent_email::Column::SentAt.lt(now - KEEP))
        .exec(db)
        .await?
        .rows_affected)
}
