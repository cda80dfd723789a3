//! Producing events: one delivery row per subscribed endpoint, written with the change.
//!
//! A producer calls [`emit`] with the transaction that makes the change, so the rows commit
//! or roll back with it: a change that did not happen is never announced, and one that did
//! is never lost (the relay finds its rows after the commit). The body is written here,
//! once, and every attempt sends it unchanged.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder};
use serde::Serialize;

use super::events::{body, EventType, Subscriptions};
use crate::entities::{webhook_delivery, webhook_endpoint};

/// Rows per insert statement (a delivery row binds 19 values).
const ROWS_PER_INSERT: usize = 500;

/// Something that happened, ready to announce.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub kind: EventType,
    /// When it happened: the body's `timestamp`.
    pub at: DateTime<Utc>,
    /// The body's `data`.
    pub data: serde_json::Value,
}

impl Event {
    /// An event of `kind` at `at` carrying `data`.
    #[must_use]
    pub fn new(kind: EventType, at: DateTime<Utc>, data: &impl Serialize) -> Self {
        Self {
            kind,
            at,
            data: serde_json::to_value(data).unwrap_or(serde_json::Value::Null),
        }
    }

    /// The body of its deliveries.
    #[must_use]
    pub fn body(&self) -> String {
        body(self.kind, self.at, &self.data).unwrap_or_default()
    }
}

/// The enabled endpoints of `businesses`, with what each subscribes to, by business.
pub(crate) async fn subscribed(
    db: &impl ConnectionTrait,
    businesses: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(Uuid, Subscriptions)>>, DbErr> {
    let mut by_business: HashMap<Uuid, Vec<(Uuid, Subscriptions)>> = HashMap::new();
    for chunk in businesses.chunks(ROWS_PER_INSERT) {
        let rows = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::BusinessId.is_in(chunk.iter().copied()))
            .filter(webhook_endpoint::Column::Enabled.eq(true))
            .order_by_asc(webhook_endpoint::Column::CreatedAt)
            .all(db)
            .await?;
        for row in rows {
            by_business
                .entry(row.business_id)
                .or_default()
                .push((row.id, Subscriptions::from_stored(&row.events)));
        }
    }
    Ok(by_business)
}

/// A new delivery of `body` to `endpoint_id`, due at once.
pub(crate) fn row(
    business_id: Uuid,
    endpoint_id: Uuid,
    kind: EventType,
    body: String,
    now: DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        // Time-ordered: the log pages by id, newest first.
        id: Set(Uuid::now_v7()),
        business_id: Set(business_id),
        endpoint_id: Set(endpoint_id),
        event_type: Set(kind.as_str().to_owned()),
        payload: Set(body),
        status: Set(super::PENDING.to_owned()),
        round: Set(0),
        attempts: Set(0),
        attempt_limit: Set(None),
        next_attempt_at: Set(Some(now)),
        queued_at: Set(None),
        sending_until: Set(None),
        last_attempt_at: Set(None),
        last_http_status: Set(None),
        last_response_ms: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
    }
}

/// Inserts `rows` in multi-row statements.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    rows: Vec<webhook_delivery::ActiveModel>,
) -> Result<(), DbErr> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        webhook_delivery::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Announces `events` of their businesses: a delivery for every enabled endpoint that
/// subscribes to each, in order, written on `db` — pass the transaction of the change.
/// Returns how many deliveries were written.
///
/// # Errors
/// A database failure (the caller's transaction should then roll back).
pub async fn emit_all(db: &impl ConnectionTrait, events: &[(Uuid, Event)]) -> Result<usize, DbErr> {
    let mut businesses: Vec<Uuid> = events.iter().map(|(b, _)| *b).collect();
    businesses.sort_unstable();
    businesses.dedup();
    let endpoints = subscribed(db, &businesses).await?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let mut rows = Vec::new();
    for (business_id, event) in events {
        let Some(list) = endpoints.get(business_id) else {
            continue;
        };
        let mut text = None;
        for (endpoint_id, subscriptions) in list {
            if subscriptions.contains(event.kind) {
                let body = text.get_or_insert_with(|| event.body()).clone();
                rows.push(row(*business_id, *endpoint_id, event.kind, body, now));
            }
        }
    }
    let written = rows.len();
    insert(db, rows).await?;
    Ok(written)
}

/// Announces one event of `business_id` (see [`emit_all`]): the one line a producer adds,
/// in the transaction of its change.
///
/// # Errors
/// A database failure.
pub async fn emit(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    event: Event,
) -> Result<usize, DbErr> {
    emit_all(db, &[(business_id, event)]).await
}
