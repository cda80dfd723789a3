//! Call records: one `calls` row per call and one `call_events` row per [`Milestone`],
//! written by the hub's record writer off the signaling path, and read back per business
//! ([`views`]).
//!
//! The writer hands over what queued up since its last write as one batch
//! ([`write_batch`]): one transaction for many jobs, written in a handful of statements
//! whatever the batch's size ([`batch`]), so records cost the database one commit and a
//! few statements per burst rather than five statements per call.
//!
//! The row follows the call: `ringing` when requested, `connected` with who answered and
//! the wait (request → accept, in ms) on the first accept, `ended` with the one end reason.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use crate::calls::machine::Milestone;
use crate::calls::protocol::CallId;
use crate::calls::wire::CallMode;
use crate::entities::call;
use crate::events::BusinessEvent;
use crate::DomainError;

mod batch;
pub mod log;
pub mod stats;
mod views;

pub use log::{export_for, filter_options, page_for, parse_filter};
pub(crate) use views::intent_labels;
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
    /// The callback this call returns, for a member calling a caller back.
    pub callback_id: Option<Uuid>,
}

/// One write of the hub's record writer.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// A call was requested: its row (`ringing`) and its `requested` event.
    Call(NewCall),
    /// A call reached a milestone at this time: its event, and the row moves along
    /// (answered, ended) in the same transaction, so a reader never sees an ended call
    /// without its `ended` event.
    Milestone {
        business_id: Uuid,
        call_id: CallId,
        at: DateTime<Utc>,
        milestone: Milestone,
    },
    /// A caller requested a call (its `Call` job comes first): their CRM contact is
    /// created or matched, the call counted and linked ([`crate::contacts::matching`]).
    Contact(crate::contacts::matching::ContactTouch),
}

/// Writes `jobs` in order in one transaction (a milestone may follow its call's insert in
/// the same batch). All or nothing: after a failure nothing of the batch is stored, so it
/// may be retried (or written job by job with [`write()`] to isolate one that cannot be).
/// Returns the events to publish now that it is committed (calls requested, answered,
/// ended or missed; contacts created).
///
/// # Errors
/// A database failure.
pub async fn write_batch(
    db: &(impl ConnectionTrait + TransactionTrait),
    jobs: &[Job],
) -> Result<Vec<BusinessEvent>, DomainError> {
    let plan = batch::Plan::of(jobs);
    let tx = crate::tx::begin_write(db).await?;
    let announcements = plan.write(&tx).await?;
    tx.commit().await?;
    Ok(announcements)
}

/// Writes one job in its own transaction.
///
/// # Errors
/// A database failure.
pub async fn write(
    db: &(impl ConnectionTrait + TransactionTrait),
    job: &Job,
) -> Result<Vec<BusinessEvent>, DomainError> {
    write_batch(db, std::slice::from_ref(job)).await
}

/// The hub's call-record writer as the front doors see it: records are written off the
/// signaling path, so a write about a call that just ended (its notes) first waits for
/// its row.
pub trait RecordWriter: Send + Sync + 'static {
    /// Resolves once every record queued before is in the database.
    fn written(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The handle the server shares with the front end (a Leptos context value).
#[derive(Clone)]
pub struct CallRecords(pub Arc<dyn RecordWriter>);

/// The most characters a call's notes may hold.
pub const MAX_NOTES_CHARS: usize = 5000;

/// Stores the notes `user_id` wrote about one of `business_id`'s calls (replacing earlier
/// notes; blank text clears them). Tenant-scoped: only a member of that business may write,
/// and a call of another business is simply not found. Notes often come right after the
/// call, whose record may still be on its way: with the process's record writer as
/// `pending`, it first waits for what that writer still has queued.
///
/// # Errors
/// `Forbidden` when `user_id` is not a member of the business, `NotFound` for a call that is
/// not the business's, `Validation` for more than [`MAX_NOTES_CHARS`] characters.
pub async fn save_notes(
    db: &impl ConnectionTrait,
    pending: Option<&dyn RecordWriter>,
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
    if let Some(writer) = pending {
        writer.written().await;
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
    Ok(verified_domain(db, domain)
        .await?
        .map(|d| (d.business_id, d.name)))
}

/// A domain verified now, as a call to it needs it: whose it is, its stored name, and
/// the team a call without an intent rings ([`crate::routing_setup::route_by`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedDomain {
    pub business_id: Uuid,
    pub name: String,
    /// The team calls to this domain ring when the caller picked no intent; `None` for
    /// everyone.
    pub route_team_id: Option<Uuid>,
}

/// The verified domain `domain`, with its business and routing team; `None` when nobody
/// holds it verified.
///
/// # Errors
/// A database failure.
pub async fn verified_domain(
    db: &impl ConnectionTrait,
    domain: &crate::domains::DomainName,
) -> Result<Option<VerifiedDomain>, DomainError> {
    use crate::entities::domain;
    // One business at most holds a name verified (a partial unique index).
    let select = domain::Entity::find()
        .filter(domain::Column::Name.eq(domain.as_str()))
        .filter(crate::lookup::verified(domain::Column::Status));
    let found = crate::lookup::by_key(db, select).await?;
    Ok(found.map(|d| VerifiedDomain {
        business_id: d.business_id,
        name: d.name,
        route_team_id: d.route_team_id,
    }))
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
    Ok(caller_until(db, identity_id)
        .await?
        .map(|(card, expires_at, _)| (card, expires_at)))
}

/// [`caller_card_until`] with the email the caller left, if any (what their CRM contact
/// is matched by when they do not call as a verified domain).
///
/// # Errors
/// A database failure.
pub async fn caller_until(
    db: &impl ConnectionTrait,
    identity_id: Uuid,
) -> Result<
    Option<(
        crate::calls::protocol::CallerCard,
        DateTime<Utc>,
        Option<String>,
    )>,
    DomainError,
> {
    use crate::entities::caller_identity;
    let Some(row) =
        crate::lookup::by_key(db, caller_identity::Entity::find_by_id(identity_id)).await?
    else {
        return Ok(None);
    };
    let view = crate::callers::view(&row);
    let card = crate::calls::protocol::CallerCard {
        domain: view.verified.then(|| row.name.clone()),
        name: row.name,
        verified: view.verified,
    };
    Ok(Some((card, row.expires_at, row.email)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use migration::MigratorTrait;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, Database, DatabaseConnection};

    use super::*;
    use crate::calls::machine::{AgentDevice, Party};
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
            greeting: Set(None),
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
            callback_id: None,
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
                    answered: false,
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
    async fn later_batches_move_stored_calls_along_and_fold_into_new_ones() {
        let (db, business_id, dir) = database().await;
        let (old, new) = (
            new_call(business_id, Utc::now()),
            new_call(business_id, Utc::now()),
        );
        let agent = AgentDevice {
            user: Uuid::new_v4(),
            connection: ConnectionId::from_random_bytes(rand::random()),
        };
        let accepted = |ms| Milestone::Accepted {
            by: agent,
            wait: std::time::Duration::from_millis(ms),
        };
        let ended = Milestone::Ended {
            reason: EndReason::HungUpByCaller,
            by: Some(Party::Caller(ConnectionId::from_random_bytes(
                rand::random(),
            ))),
            unavailable: None,
            answered: true,
        };
        write_batch(&db, &[Job::Call(old.clone())]).await.unwrap();
        let batch = [
            milestone(&old, 1500, accepted(1500)),
            Job::Call(new.clone()),
            milestone(&new, 900, accepted(900)),
            milestone(&old, 9000, ended),
        ];
        write_batch(&db, &batch).await.unwrap();
        let row = |id: CallId| {
            let db = db.clone();
            async move {
                call::Entity::find_by_id(id.as_uuid())
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let stored = row(old.id).await;
        assert_eq!(stored.state, "ended");
        assert_eq!(stored.end_reason.as_deref(), Some("hung_up_by_caller"));
        assert_eq!(stored.answered_by, Some(agent.user));
        assert_eq!(stored.wait_ms, Some(1500));
        assert_eq!(
            stored.ended_at.map(|t| t.timestamp_millis()),
            Some((old.requested_at + chrono::Duration::milliseconds(9000)).timestamp_millis())
        );
        assert_eq!(kinds(&db, &old).await, ["requested", "accepted", "ended"]);
        let fresh = row(new.id).await;
        assert_eq!(fresh.state, "connected");
        assert_eq!(fresh.wait_ms, Some(900));
        assert_eq!(fresh.answered_by, Some(agent.user));
        assert_eq!(fresh.ended_at, None);
        assert_eq!(kinds(&db, &new).await, ["requested", "accepted"]);
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
