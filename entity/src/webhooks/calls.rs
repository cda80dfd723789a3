//! The call events (`call.requested`, `call.answered`, `call.ended`, `call.missed`), written
//! by the call records writer in the transaction of the records they report.
//!
//! The writer collects a [`CallFact`] per new call and per answer and end; [`emit`] then
//! reads, in that transaction, which endpoints subscribe (one query for the whole batch;
//! nothing more when no business of the batch has an endpoint) and the calls' rows for what
//! the milestone does not carry (domain, caller, mode). Every call ends with exactly one of
//! `call.ended` (it was answered) or `call.missed` (it was not).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use serde::Serialize;

use super::events::EventType;
use super::outbox::{self, Event};
use crate::calls::protocol::CallId;
use crate::calls::wire::{EndReason, UnavailableReason};
use crate::entities::call;

/// Calls read per statement.
const CALLS_PER_QUERY: usize = 500;

/// A milestone of a call that webhooks announce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFact {
    pub business_id: Uuid,
    pub call_id: CallId,
    pub at: DateTime<Utc>,
    pub kind: CallFactKind,
}

/// Which milestone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallFactKind {
    /// The call was requested (its row is written in the same batch).
    Requested,
    /// `by` answered after `wait_ms`.
    Answered { by: Uuid, wait_ms: i64 },
    /// The call ended.
    Ended {
        reason: EndReason,
        unavailable: Option<UnavailableReason>,
    },
}

/// The caller, as the call record has it.
#[derive(Serialize)]
struct Caller<'a> {
    /// A verified domain, or the guest name.
    name: &'a str,
    verified: bool,
}

/// The `data` of every call event; fields that do not apply yet are left out.
#[derive(Serialize)]
struct CallData<'a> {
    call_id: String,
    /// The business domain that was called.
    domain: &'a str,
    intent_id: Option<Uuid>,
    mode: &'a str,
    caller: Caller<'a>,
    requested_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answered_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answered_by: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wait_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unavailable_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<i64>,
}

/// Who answered a call and when, as far as this batch and the stored row know.
type Answer = (DateTime<Utc>, Uuid, Option<i64>);

/// Writes the deliveries for `facts`, in order. Call it after the batch's new call rows
/// are inserted and before older rows are updated (their stored answer is read here).
///
/// # Errors
/// A database failure.
pub async fn emit(db: &impl ConnectionTrait, facts: &[CallFact]) -> Result<usize, DbErr> {
    if facts.is_empty() {
        return Ok(0);
    }
    let mut businesses: Vec<Uuid> = facts.iter().map(|f| f.business_id).collect();
    businesses.sort_unstable();
    businesses.dedup();
    let endpoints = outbox::subscribed(db, &businesses).await?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let facts: Vec<&CallFact> = facts
        .iter()
        .filter(|f| endpoints.contains_key(&f.business_id))
        .collect();
    let calls = rows(db, &facts).await?;
    let mut answers: HashMap<CallId, Answer> = calls
        .iter()
        .filter_map(|(id, c)| Some((*id, (c.answered_at?, c.answered_by?, c.wait_ms))))
        .collect();
    let mut events = Vec::with_capacity(facts.len());
    for fact in facts {
        let Some(call) = calls.get(&fact.call_id) else {
            continue;
        };
        if let CallFactKind::Answered { by, wait_ms } = fact.kind {
            answers.insert(fact.call_id, (fact.at, by, Some(wait_ms)));
        }
        let answer = answers.get(&fact.call_id).copied();
        if let Some(event) = event(fact, call, answer) {
            events.push((fact.business_id, event));
        }
    }
    outbox::emit_all(db, &events).await
}

/// The batch's calls (new ones already inserted, older ones as stored before the batch).
async fn rows(
    db: &impl ConnectionTrait,
    facts: &[&CallFact],
) -> Result<HashMap<CallId, call::Model>, DbErr> {
    let mut ids: Vec<Uuid> = facts.iter().map(|f| f.call_id.as_uuid()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CALLS_PER_QUERY) {
        for row in call::Entity::find()
            .filter(call::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            found.insert(CallId::from_uuid(row.id), row);
        }
    }
    Ok(found)
}

/// The event a fact makes, with `answer` the call's answer so far (this fact included).
fn event(fact: &CallFact, call: &call::Model, answer: Option<Answer>) -> Option<Event> {
    if call.business_id != fact.business_id {
        return None;
    }
    let mut data = CallData {
        call_id: fact.call_id.as_uuid().to_string(),
        domain: &call.domain,
        intent_id: call.intent,
        mode: &call.mode,
        caller: Caller {
            name: &call.caller_name,
            verified: call.caller_verified,
        },
        requested_at: call.requested_at,
        answered_at: None,
        answered_by: None,
        wait_ms: None,
        ended_at: None,
        end_reason: None,
        unavailable_reason: None,
        duration_ms: None,
    };
    let kind = match &fact.kind {
        CallFactKind::Requested => EventType::CallRequested,
        CallFactKind::Answered { .. } => {
            answered(&mut data, answer);
            EventType::CallAnswered
        }
        CallFactKind::Ended {
            reason,
            unavailable,
        } => {
            data.ended_at = Some(fact.at);
            data.end_reason = Some(reason.as_str());
            answered(&mut data, answer);
            match answer {
                Some((at, _, _)) => {
                    data.duration_ms = Some((fact.at - at).num_milliseconds().max(0));
                    EventType::CallEnded
                }
                None => {
                    data.unavailable_reason = unavailable.map(UnavailableReason::as_str);
                    EventType::CallMissed
                }
            }
        }
    };
    Some(Event::new(kind, fact.at, &data))
}

fn answered(data: &mut CallData<'_>, answer: Option<Answer>) {
    if let Some((at, by, wait_ms)) = answer {
        data.answered_at = Some(at);
        data.answered_by = Some(by);
        data.wait_ms = wait_ms;
    }
}
