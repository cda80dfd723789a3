//! Call records: one `calls` row per call and one `call_events` row per [`Milestone`],
//! written by the hub's record writer off the signaling path, and read back per business.
//!
//! The row follows the call: `ringing` when requested, `connected` with who answered and
//! the wait (request → accept, in ms) on the first accept, `ended` with the one end reason.
//! Read back, a row is resolved within its business only (intent label, answering member)
//! and described by the pure [`crate::calls::history`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::calls::history::{self, CallDetail, CallRecordView, Members, StoredEvent};
use crate::calls::machine::{AgentDevice, Milestone, Party};
use crate::calls::protocol::CallId;
use crate::calls::wire::{CallMode, Side, TransferFailure};
use crate::entities::{call, call_event};
use crate::DomainError;

/// The most rows [`list`] returns.
pub const MAX_LIST: u64 = 200;

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
///
/// # Errors
/// A database failure.
pub async fn insert_call(db: &impl ConnectionTrait, new: &NewCall) -> Result<(), DomainError> {
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

/// Appends one milestone of a call at `at`, and moves the call row along (answered, ended).
///
/// # Errors
/// A database failure.
pub async fn record(
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

/// The business's calls, newest first, at most `limit` (capped at [`MAX_LIST`]).
///
/// # Errors
/// A database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    limit: u64,
) -> Result<Vec<call::Model>, DomainError> {
    Ok(call::Entity::find()
        .filter(call::Column::BusinessId.eq(business_id))
        .order_by_desc(call::Column::RequestedAt)
        .order_by_desc(call::Column::Id)
        .limit(limit.min(MAX_LIST))
        .all(db)
        .await?)
}

/// The calls of the principal's business, newest first: `limit` of them (1 to
/// [`MAX_LIST`]; other values are clamped).
///
/// # Errors
/// A database failure.
pub async fn list_for(
    db: &impl ConnectionTrait,
    principal: &crate::auth::principal::Principal,
    limit: i64,
) -> Result<Vec<call::Model>, DomainError> {
    let limit = u64::try_from(limit.max(1)).unwrap_or(1);
    list(db, principal.business_id, limit).await
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

/// The events of one of the business's calls, oldest first.
///
/// # Errors
/// A database failure.
pub async fn events(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    call_id: CallId,
) -> Result<Vec<call_event::Model>, DomainError> {
    Ok(call_event::Entity::find()
        .filter(call_event::Column::BusinessId.eq(business_id))
        .filter(call_event::Column::CallId.eq(call_id.as_uuid()))
        .order_by_asc(call_event::Column::At)
        .all(db)
        .await?)
}

/// The emails of the business's members, by user id (to name who answered or acted).
async fn member_emails(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<Members, DomainError> {
    use crate::entities::{membership, user};
    Ok(membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(business_id))
        .find_also_related(user::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(m, u)| u.map(|u| (m.user_id, u.email)))
        .collect())
}

/// The labels of those of `ids` that are still intents of the business.
async fn intent_labels(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    mut ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, String>, DomainError> {
    use crate::entities::intent;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(intent::Entity::find()
        .filter(intent::Column::BusinessId.eq(business_id))
        .filter(intent::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.label))
        .collect())
}

/// A stored call as people read it (see [`CallRecordView`]).
fn view(row: call::Model, intents: &HashMap<Uuid, String>, members: &Members) -> CallRecordView {
    let duration_ms = row
        .answered_at
        .zip(row.ended_at)
        .map(|(answered, ended)| (ended - answered).num_milliseconds().max(0));
    CallRecordView {
        id: row.id.to_string(),
        intent_id: row.intent.map(|i| i.to_string()),
        intent_label: row.intent.and_then(|i| intents.get(&i).cloned()),
        outcome: history::outcome(
            &row.state,
            row.end_reason.as_deref(),
            row.unavailable_reason.as_deref(),
        ),
        answered_by: row.answered_by.map(|u| u.to_string()),
        answered_by_email: row.answered_by.and_then(|u| members.get(&u).cloned()),
        domain: row.domain,
        mode: row.mode,
        caller_name: row.caller_name,
        caller_verified: row.caller_verified,
        state: row.state,
        end_reason: row.end_reason,
        unavailable_reason: row.unavailable_reason,
        requested_at: row.requested_at,
        answered_at: row.answered_at,
        ended_at: row.ended_at,
        wait_ms: row.wait_ms,
        duration_ms,
        notes: row.notes,
    }
}

/// [`list_for`] with the intent labels, the answering members' emails, the durations and
/// the outcomes in words.
///
/// # Errors
/// A database failure.
pub async fn list_views_for(
    db: &impl ConnectionTrait,
    principal: &crate::auth::principal::Principal,
    limit: i64,
) -> Result<Vec<CallRecordView>, DomainError> {
    let rows = list_for(db, principal, limit).await?;
    let ids = rows.iter().filter_map(|r| r.intent).collect();
    let intents = intent_labels(db, principal.business_id, ids).await?;
    let members = member_emails(db, principal.business_id).await?;
    Ok(rows
        .into_iter()
        .map(|row| view(row, &intents, &members))
        .collect())
}

/// One call of the principal's business with its timeline (who was rung, who answered,
/// transfers, the chat, how it ended), oldest event first.
///
/// # Errors
/// `NotFound` for a call that is not the business's; a database failure.
#[tracing::instrument(skip_all, err, fields(call_id = %call_id))]
pub async fn call_detail(
    db: &impl ConnectionTrait,
    principal: &crate::auth::principal::Principal,
    call_id: CallId,
) -> Result<CallDetail, DomainError> {
    let business_id = principal.business_id;
    let row = call::Entity::find()
        .filter(call::Column::Id.eq(call_id.as_uuid()))
        .filter(call::Column::BusinessId.eq(business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("call"))?;
    let mut rows = events(db, business_id, call_id).await?;
    // Events written in the same instant: the request first, the end last.
    rows.sort_by_key(|e| {
        let rank = match e.kind.as_str() {
            "requested" => 0,
            "ended" => 2,
            _ => 1,
        };
        (e.at, rank)
    });
    let intents = intent_labels(db, business_id, row.intent.into_iter().collect()).await?;
    let members = member_emails(db, business_id).await?;
    let stored: Vec<StoredEvent<'_>> = rows
        .iter()
        .map(|e| StoredEvent {
            at: e.at,
            kind: &e.kind,
            actor: &e.actor,
            detail: e.detail.as_deref(),
        })
        .collect();
    let events = history::timeline(&stored, &row.caller_name, &members);
    Ok(CallDetail {
        call: view(row, &intents, &members),
        events,
    })
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
    use crate::entities::caller_identity;
    let Some(row) = caller_identity::Entity::find_by_id(identity_id)
        .one(db)
        .await?
        .filter(|row| row.expires_at > now)
    else {
        return Ok(None);
    };
    let view = crate::callers::view(&row);
    Ok(Some(crate::calls::protocol::CallerCard {
        domain: view.verified.then(|| row.name.clone()),
        name: row.name,
        verified: view.verified,
    }))
}
