//! Call records: one `calls` row per call and one `call_events` row per [`Milestone`],
//! written by the hub's record writer off the signaling path, and read back per business
//! ([`views`]).
//!
//! The writer hands over what queued up since its last write as one batch
//! ([`write_batch`]): one transaction for many jobs, so records cost the database one
//! commit per burst rather than three per call.
//!
//! The row follows the call: `ringing` when requested, `connected` with who answered and
//! the wait (request → accept, in ms) on the first accept, `ended` with the one end reason.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

use crate::calls::machine::{AgentDevice, Milestone, Party};
use crate::calls::protocol::CallId;
use crate::calls::wire::{CallMode, Side, TransferFailure};
use crate::entities::{call, call_event};
use crate::DomainError;

mod views;

pub use views::{call_detail, events, list, list_for, list_views_for, MAX_LIST};

/// What is known about a call when it is requested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCall {
    pub id: CallId,
    pub business_id: Uuid,
    /// The business domain called (ASCII form).
    pub domain: String,
    pub intent: Option<Uuid>,
    pub mode: CallMode,
    /// The caller's verified domain or guest name.
    pub caller_name: String,
    pub caller_verified: bool,
    pub requested_at: DateTime<Utc>,
}

/// One write of the hub's record writer.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// A call was requested ([`insert_call`]).
    Call(NewCall),
    /// A call reached a milestone at this time ([`record`]).
    Milestone {
        business_id: Uuid,
        call_id: CallId,
        at: DateTime<Utc>,
        milestone: Milestone,
    },
}

/// Writes `jobs` in order in one transaction (a milestone may follow its call's insert in
/// the same batch). All or nothing: after a failure nothing of the batch is stored, so it
/// may be retried (or written job by job with [`write()`] to isolate one that cannot be).
///
/// # Errors
/// A database failure.
pub async fn write_batch(
    db: &(impl ConnectionTrait + TransactionTrait),
    jobs: &[Job],
) -> Result<(), DomainError> {
    let tx = crate::tx::begin_write(db).await?;
    for job in jobs {
        write_in(&tx, job).await?;
    }
    Ok(tx.commit().await?)
}

/// Writes one job in its own transaction.
///
/// # Errors
/// A database failure.
pub async fn write(
    db: &(impl ConnectionTrait + TransactionTrait),
    job: &Job,
) -> Result<(), DomainError> {
    write_batch(db, std::slice::from_ref(job)).await
}

async fn write_in(db: &impl ConnectionTrait, job: &Job) -> Result<(), DomainError> {
    match job {
        Job::Call(new) => insert_call_in(db, new).await,
        Job::Milestone {
            business_id,
            call_id,
            at,
            milestone,
        } => record_in(db, *business_id, *call_id, *at, milestone).await,
    }
}

fn side(side: Side) -> &'static str {
    match side {
        Side::Caller => "caller",
        Side::Agent => "agent",
    }
}

fn party(party: Party) -> String {
    match party {
        Party::Caller(_) => "caller".to_owned(),
        Party::Agent(device) => format!("agent:{}", device.user),
    }
}

fn devices(devices: &[AgentDevice]) -> String {
    let users: Vec<String> = devices
        .iter()
        .map(|d| format!("{}/{}", d.user, d.connection))
        .collect();
    users.join(",")
}

fn failure(reason: TransferFailure) -> &'static str {
    match reason {
        TransferFailure::Rejected => "rejected",
        TransferFailure::Missed => "missed",
        TransferFailure::Unavailable => "unavailable",
    }
}

async fn event(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    call_id: CallId,
    kind: &str,
    (actor, detail): (String, Option<String>),
    at: DateTime<Utc>,
) -> Result<(), DomainError> {
    call_event::Entity::insert(call_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        business_id: Set(business_id),
        call_id: Set(call_id.as_uuid()),
        kind: Set(kind.to_owned()),
        actor: Set(actor),
        detail: Set(detail),
        at: Set(at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Stores a new call (state `ringing`) and its `requested` event.
async fn insert_call_in(db: &impl ConnectionTrait, new: &NewCall) -> Result<(), DomainError> {
    call::Entity::insert(call::ActiveModel {
        id: Set(new.id.as_uuid()),
        business_id: Set(new.business_id),
        domain: Set(new.domain.clone()),
        intent: Set(new.intent),
        mode: Set(new.mode.as_str().to_owned()),
        caller_name: Set(new.caller_name.clone()),
        caller_verified: Set(new.caller_verified),
        state: Set("ringing".to_owned()),
        end_reason: Set(None),
        unavailable_reason: Set(None),
        requested_at: Set(new.requested_at),
        answered_at: Set(None),
        ended_at: Set(None),
        answered_by: Set(None),
        wait_ms: Set(None),
        notes: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    let actor = format!("caller:{}", new.caller_name);
    event(
        db,
        new.business_id,
        new.id,
        "requested",
        (actor, Some(new.mode.as_str().to_owned())),
        new.requested_at,
    )
    .await
}

/// Appends one milestone of a call at `at`, and moves the call row along (answered, ended);
/// written in the same transaction as the event, so a reader never sees an ended call
/// without its `ended` event.
async fn record_in(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    call_id: CallId,
    at: DateTime<Utc>,
    milestone: &Milestone,
) -> Result<(), DomainError> {
    let (kind, actor) = match milestone {
        Milestone::Offered { devices: d } => ("offered", ("server".to_owned(), Some(devices(d)))),
        Milestone::Rejected { user } => ("rejected", (format!("agent:{user}"), None)),
        Milestone::Accepted { by, wait } => {
            let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            call::Entity::update_many()
                .col_expr(call::Column::State, Expr::value("connected"))
                .col_expr(call::Column::AnsweredAt, Expr::value(at))
                .col_expr(call::Column::AnsweredBy, Expr::value(by.user))
                .col_expr(call::Column::WaitMs, Expr::value(wait_ms))
                .filter(call::Column::Id.eq(call_id.as_uuid()))
                .filter(call::Column::BusinessId.eq(business_id))
                .exec(db)
                .await?;
            (
                "accepted",
                (
                    format!("agent:{}", by.user),
                    Some(format!("wait {wait_ms} ms")),
                ),
            )
        }
        Milestone::TransferOffered { by, devices: d } => (
            "transfer_offered",
            (format!("agent:{by}"), Some(devices(d))),
        ),
        Milestone::TransferFailed { reason } => (
            "transfer_failed",
            ("server".to_owned(), Some(failure(*reason).to_owned())),
        ),
        Milestone::Transferred { from, to } => (
            "transferred",
            (format!("agent:{from}"), Some(format!("agent:{}", to.user))),
        ),
        Milestone::Chat { from, text, .. } => (
            "chat",
            (side(*from).to_owned(), Some(text.as_ref().to_owned())),
        ),
        Milestone::Ended {
            reason,
            by,
            unavailable,
        } => {
            call::Entity::update_many()
                .col_expr(call::Column::State, Expr::value("ended"))
                .col_expr(call::Column::EndReason, Expr::value(reason.as_str()))
                .col_expr(
                    call::Column::UnavailableReason,
                    Expr::value(unavailable.map(|u| u.as_str().to_owned())),
                )
                .col_expr(call::Column::EndedAt, Expr::value(at))
                .filter(call::Column::Id.eq(call_id.as_uuid()))
                .filter(call::Column::BusinessId.eq(business_id))
                .exec(db)
                .await?;
            let by = by.map_or_else(|| "server".to_owned(), party);
            ("ended", (by, Some(reason.as_str().to_owned())))
        }
    };
    event(db, business_id, call_id, kind, actor, at).await
}

/// The most characters a call's notes may hold.
pub const MAX_NOTES_CHARS: usize = 5000;

/// Stores the notes `user_id` wrote about one of `business_id`'s calls (replacing earlier
/// notes; blank text clears them). Tenant-scoped: only a member of that business may write,
/// and a call of another business is simply not found.
///
/// # Errors
/// `Forbidden` when `user_id` is not a member of the business, `NotFound` for a call that is
/// not the business's, `Validation` for more than [`MAX_NOTES_CHARS`] characters.
pub async fn save_notes(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    call_id: CallId,
    user_id: Uuid,
    text: &str,
) -> Result<(), DomainError> {
    let len = text.chars().count();
    if len > MAX_NOTES_CHARS {
        return Err(DomainError::invalid(
            "notes",
            format!("The notes are {len} characters long; at most {MAX_NOTES_CHARS} are allowed."),
        ));
    }
    if crate::auth::sessions::membership_of(db, user_id, business_id)
        .await?
        .is_none()
    {
        return Err(DomainError::Forbidden(
            "Only members of this business may write notes on its calls.".into(),
        ));
    }
    let notes = Some(text.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let updated = call::Entity::update_many()
        .col_expr(call::Column::Notes, Expr::value(notes))
        .filter(call::Column::Id.eq(call_id.as_uuid()))
        .filter(call::Column::BusinessId.eq(business_id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(DomainError::NotFound("call"));
    }
    Ok(())
}

/// The business that holds `domain` verified now, with the domain's stored (ASCII) name;
/// `None` when no business does.
///
/// # Errors
/// A database failure.
pub async fn verified_business(
    db: &impl ConnectionTrait,
    domain: &crate::domains::DomainName,
) -> Result<Option<(Uuid, String)>, DomainError> {
    use crate::entities::domain;
    let found = domain::Entity::find()
        .filter(domain::Column::Name.eq(domain.as_str()))
        .filter(domain::Column::Status.eq(crate::types::DomainStatus::Verified.as_str()))
        .one(db)
        .await?;
    Ok(found.map(|d| (d.business_id, d.name)))
}

/// The caller card ringing devices are shown for a live caller identity; `None` when the
/// identity is gone or expired.
///
/// # Errors
/// A database failure.
pub async fn caller_card(
    db: &impl ConnectionTrait,
    identity_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<crate::calls::protocol::CallerCard>, DomainError> {
    Ok(caller_card_until(db, identity_id)
        .await?
        .filter(|(_, expires_at)| *expires_at > now)
        .map(|(card, _)| card))
}

/// The caller card of an identity and when the identity expires (expired or not); `None`
/// when it is gone.
///
/// # Errors
/// A database failure.
pub async fn caller_card_until(
    db: &impl ConnectionTrait,
    identity_id: Uuid,
) -> Result<Option<(crate::calls::protocol::CallerCard, DateTime<Utc>)>, DomainError> {
    use crate::entities::caller_identity;
    let Some(row) = caller_identity::Entity::find_by_id(identity_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let view = crate::callers::view(&row);
    let card = crate::calls::protocol::CallerCard {
        domain: view.verified.then(|| row.name.clone()),
        name: row.name,
        verified: view.verified,
    };
    Ok(Some((card, row.expires_at)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use migration::MigratorTrait;
    use sea_orm::{ActiveModelTrait, Database, DatabaseConnection};

    use super::*;
    use crate::calls::wire::EndReason;
    use crate::calls::ConnectionId;
    use crate::entities::business;

    /// A migrated SQLite database in a fresh file, with one business.
    async fn database() -> (DatabaseConnection, Uuid, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("dc-records-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
        let db = Database::connect(url).await.unwrap();
        migration::Migrator::up(&db, None).await.unwrap();
        let business_id = Uuid::new_v4();
        business::ActiveModel {
            id: Set(business_id),
            name: Set("Alpha".to_owned()),
            timezone: Set("UTC".to_owned()),
            created_at: Set(Utc::now()),
        }
        .insert(&db)
        .await
        .unwrap();
        (db, business_id, dir)
    }

    fn new_call(business_id: Uuid, at: DateTime<Utc>) -> NewCall {
        NewCall {
            id: CallId::from_random_bytes(rand::random()),
            business_id,
            domain: "acme.com".to_owned(),
            intent: None,
            mode: CallMode::Voice,
            caller_name: "guest-1".to_owned(),
            caller_verified: false,
            requested_at: at,
        }
    }

    /// A milestone of `call`, `ms` milliseconds after its request.
    fn milestone(call: &NewCall, ms: i64, milestone: Milestone) -> Job {
        Job::Milestone {
            business_id: call.business_id,
            call_id: call.id,
            at: call.requested_at + chrono::Duration::milliseconds(ms),
            milestone,
        }
    }

    async fn kinds(db: &DatabaseConnection, call: &NewCall) -> Vec<String> {
        events(db, call.business_id, call.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    #[tokio::test]
    async fn a_batch_writes_calls_and_their_milestones_in_order() {
        let (db, business_id, dir) = database().await;
        let (first, second) = (
            new_call(business_id, Utc::now()),
            new_call(business_id, Utc::now()),
        );
        let agent = AgentDevice {
            user: Uuid::new_v4(),
            connection: ConnectionId::from_random_bytes(rand::random()),
        };
        let batch = [
            Job::Call(first.clone()),
            milestone(
                &first,
                1,
                Milestone::Offered {
                    devices: vec![agent],
                },
            ),
            Job::Call(second.clone()),
            milestone(
                &first,
                2,
                Milestone::Ended {
                    reason: EndReason::Cancelled,
                    by: None,
                    unavailable: None,
                },
            ),
        ];
        write_batch(&db, &batch).await.unwrap();
        assert_eq!(kinds(&db, &first).await, ["requested", "offered", "ended"]);
        assert_eq!(kinds(&db, &second).await, ["requested"]);
        let row = call::Entity::find_by_id(first.id.as_uuid())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, "ended");
        assert_eq!(row.end_reason.as_deref(), Some("cancelled"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_failing_batch_leaves_nothing_and_its_good_jobs_can_be_written_alone() {
        let (db, business_id, dir) = database().await;
        let good = new_call(business_id, Utc::now());
        // A milestone of a call that was never stored breaks the events' foreign key.
        let orphan = new_call(business_id, Utc::now());
        let batch = [
            Job::Call(good.clone()),
            milestone(
                &orphan,
                1,
                Milestone::Rejected {
                    user: Uuid::new_v4(),
                },
            ),
        ];
        assert!(write_batch(&db, &batch).await.is_err());
        assert!(kinds(&db, &good).await.is_empty(), "rolled back");
        assert!(write(&db, &batch[0]).await.is_ok());
        assert!(write(&db, &batch[1]).await.is_err());
        assert_eq!(kinds(&db, &good).await, ["requested"]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
