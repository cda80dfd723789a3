//! Call records read back, always within one business: the rows, their events, and the
//! views the dashboard and the API show (intent label and answering member resolved within
//! the business, described by the pure [`crate::calls::history`]).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::calls::history::{self, CallDetail, CallRecordView, Members, StoredEvent};
use crate::calls::protocol::CallId;
use crate::entities::{call, call_event};
use crate::DomainError;

/// The most rows [`list`] returns.
pub const MAX_LIST: u64 = 200;

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

/// The business's members' emails and names, by user id (to name who answered or acted).
async fn member_names(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<Members, DomainError> {
    Ok(crate::routing_setup::member_names(db, business_id).await?)
}

/// The `name` column by `id` of those of `ids` that are rows of `E` in the business.
async fn names_by_id<E: EntityTrait>(
    db: &impl ConnectionTrait,
    (business, id, name): (E::Column, E::Column, E::Column),
    business_id: Uuid,
    mut ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, String>, DomainError> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = E::find()
        .select_only()
        .column(id)
        .column(name)
        .filter(business.eq(business_id))
        .filter(id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The labels of those of `ids` that are still intents of the business.
pub(crate) async fn intent_labels(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, String>, DomainError> {
    use crate::entities::intent::{Column, Entity};
    let columns = (Column::BusinessId, Column::Id, Column::Label);
    names_by_id::<Entity>(db, columns, business_id, ids).await
}

/// A stored call as people read it (see [`CallRecordView`]).
fn view(
    row: call::Model,
    intents: &HashMap<Uuid, String>,
    members: &Members,
    contacts: &HashMap<Uuid, String>,
) -> CallRecordView {
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
        answered_by_email: row
            .answered_by
            .and_then(|u| members.get(&u).map(|m| m.email.clone())),
        answered_by_name: row
            .answered_by
            .and_then(|u| members.get(&u).map(|m| m.shown().to_owned())),
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
        contact_name: row.contact_id.and_then(|c| contacts.get(&c).cloned()),
        contact_id: row.contact_id.map(|c| c.to_string()),
        callback: row.callback_id.is_some(),
    }
}

/// The names of those of `ids` that are contacts of the business.
async fn contact_names(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, String>, DomainError> {
    use crate::entities::contact::{Column, Entity};
    let columns = (Column::BusinessId, Column::Id, Column::Name);
    names_by_id::<Entity>(db, columns, business_id, ids).await
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
    views_of(db, principal.business_id, rows).await
}

/// Stored calls of `business_id` as people read them (intent labels and members resolved
/// within that business).
///
/// # Errors
/// A database failure.
pub(crate) async fn views_of(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    rows: Vec<call::Model>,
) -> Result<Vec<CallRecordView>, DomainError> {
    let ids = rows.iter().filter_map(|r| r.intent).collect();
    let intents = intent_labels(db, business_id, ids).await?;
    let members = member_names(db, business_id).await?;
    let ids = rows.iter().filter_map(|r| r.contact_id).collect();
    let contacts = contact_names(db, business_id, ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| view(row, &intents, &members, &contacts))
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
    let members = member_names(db, business_id).await?;
    let contacts = contact_names(db, business_id, row.contact_id.into_iter().collect()).await?;
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
        call: view(row, &intents, &members, &contacts),
        events,
    })
}
