//! The callback events of webhooks (`callback.requested`, `callback.scheduled`,
//! `callback.done`, `callback.cancelled`), written in the transaction of the change they
//! report: a change that rolls back announces nothing.
//!
//! Every event carries the callback as the API shows it ([`CallbackView`]) after the change.

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;

use super::{store, CallbackStatus, CallbackView};
use crate::webhooks::{self, EventType};
use crate::DomainError;

/// The events a change of `before` into `after` announces: a new callback is requested; one
/// that gets a time, or another time, is scheduled; one that becomes done or cancelled is
/// done or cancelled. `before` is `None` for a new callback.
#[must_use]
pub fn events_of(before: Option<&CallbackView>, after: &CallbackView) -> Vec<EventType> {
    let mut kinds = Vec::new();
    if before.is_none() {
        kinds.push(EventType::CallbackRequested);
    }
    let before_status = before.map(|b| b.status);
    if after.slot_at.is_some() && before.and_then(|b| b.slot_at) != after.slot_at {
        kinds.push(EventType::CallbackScheduled);
    }
    match after.status {
        CallbackStatus::Done if before_status != Some(CallbackStatus::Done) => {
            kinds.push(EventType::CallbackDone);
        }
        CallbackStatus::Cancelled if before_status != Some(CallbackStatus::Cancelled) => {
            kinds.push(EventType::CallbackCancelled);
        }
        _ => {}
    }
    kinds
}

/// Reads callback `id` of `business_id` in `db` (the change's transaction) and writes a
/// delivery of each event the change from `before` announces for every subscribed endpoint.
/// Returns the callback as it is now.
///
/// # Errors
/// A database failure, or `NotFound` when the callback is not the business's.
pub async fn announce(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    id: Uuid,
    before: Option<&CallbackView>,
    now: DateTime<Utc>,
) -> Result<CallbackView, DomainError> {
    let after = store::view(db, business_id, id).await?;
    let events: Vec<(Uuid, webhooks::Event)> = events_of(before, &after)
        .into_iter()
        .map(|kind| (business_id, webhooks::Event::new(kind, now, &after)))
        .collect();
    if !events.is_empty() {
        webhooks::emit_all(db, &events).await?;
    }
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callback(status: CallbackStatus, slot: Option<i64>) -> CallbackView {
        let at = |s| DateTime::from_timestamp(s, 0).unwrap_or_default();
        CallbackView {
            id: Uuid::nil(),
            status,
            email: "a@example.com".to_owned(),
            name: None,
            note: None,
            caller_name: "guest-ab12.example".to_owned(),
            caller_verified: false,
            called_domain: "shop.example".to_owned(),
            intent_id: None,
            intent_label: None,
            contact_id: None,
            member_id: None,
            member_name: None,
            slot_at: slot.map(at),
            slot_end: slot.map(|s| at(s + 1800)),
            created_at: at(0),
            updated_at: at(0),
        }
    }

    #[test]
    fn each_change_announces_what_a_receiver_needs_to_know() {
        use CallbackStatus::{Cancelled, Done, InProgress, Pending, Scheduled};
        use EventType::{CallbackCancelled, CallbackDone, CallbackRequested, CallbackScheduled};
        let cases: [(Option<CallbackView>, CallbackView, &[EventType]); 9] = [
            (None, callback(Pending, None), &[CallbackRequested]),
            (
                None,
                callback(Scheduled, Some(100)),
                &[CallbackRequested, CallbackScheduled],
            ),
            (
                Some(callback(Pending, None)),
                callback(Scheduled, Some(100)),
                &[CallbackScheduled],
            ),
            (
                Some(callback(Scheduled, Some(100))),
                callback(Scheduled, Some(200)),
                &[CallbackScheduled],
            ),
            (
                Some(callback(Scheduled, Some(100))),
                callback(Scheduled, Some(100)),
                &[],
            ),
            (
                Some(callback(Pending, None)),
                callback(InProgress, None),
                &[],
            ),
            (
                Some(callback(InProgress, None)),
                callback(Done, None),
                &[CallbackDone],
            ),
            (Some(callback(Done, None)), callback(Done, None), &[]),
            (
                Some(callback(Scheduled, Some(100))),
                callback(Cancelled, None),
                &[CallbackCancelled],
            ),
        ];
        for (before, after, expected) in cases {
            assert_eq!(
                events_of(before.as_ref(), &after),
                expected,
                "{before:?} → {after:?}"
            );
        }
    }
}
