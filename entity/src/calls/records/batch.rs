//! One batch of record jobs as few statements: the new calls in one multi-row insert (each
//! already carrying what later jobs of the batch say about it: answered, ended), every
//! event in another, and one update per older call the batch moves along.
//!
//! Under load the hub's record writer hands over hundreds of jobs at a time, about five
//! per call (requested, offered, answered, ended…); written one statement per job, the
//! database round trips cost more CPU than everything else a call setup does. The result
//! is the same rows as writing the jobs one by one, in order. Contact touches follow the
//! inserts: one query for the batch's caller identities, then a few statements for each
//! caller that can be matched (match or create, count, link the call).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{Job, NewCall};
use crate::calls::machine::{AgentDevice, Milestone, Party};
use crate::calls::protocol::CallId;
use crate::calls::wire::{Side, TransferFailure};
use crate::contacts::matching::ContactTouch;
use crate::entities::{call, call_event};
use crate::events::{BusinessEvent, BusinessEventKind};
use crate::webhooks::calls::{CallFact, CallFactKind};
use crate::webhooks::EventType;
use crate::DomainError;

/// Rows per insert statement (SQLite allows 32,766 bound values; a call row has 16).
const ROWS_PER_INSERT: usize = 256;

/// What a milestone changes on its call's row.
enum RowChange {
    Accepted {
        at: DateTime<Utc>,
        by: Uuid,
        wait_ms: i64,
    },
    Ended {
        at: DateTime<Utc>,
        reason: &'static str,
        unavailable: Option<&'static str>,
    },
}

/// The batch's statements, planned in memory.
pub(super) struct Plan {
    calls: Vec<call::ActiveModel>,
    events: Vec<call_event::ActiveModel>,
    /// Changes to calls stored by an earlier batch, per call in the order first met.
    updates: Vec<(Uuid, CallId, Vec<RowChange>)>,
    /// What webhooks announce (requested, answered, ended), in order.
    webhooks: Vec<CallFact>,
    /// Contacts to create or match and count, after the calls are inserted.
    contacts: Vec<ContactTouch>,
    /// What the businesses' followers are told once the batch is committed.
    announcements: Vec<BusinessEvent>,
}

impl Plan {
    /// Plans `jobs`, in order.
    pub(super) fn of(jobs: &[Job]) -> Self {
        let mut plan = Self {
            calls: Vec::new(),
            events: Vec::with_capacity(jobs.len()),
            updates: Vec::new(),
            webhooks: Vec::new(),
            contacts: Vec::new(),
            announcements: Vec::new(),
        };
        let mut new_calls: HashMap<CallId, usize> = HashMap::new();
        let mut updated: HashMap<CallId, usize> = HashMap::new();
        for job in jobs {
            match job {
                Job::Call(new) => {
                    new_calls.insert(new.id, plan.calls.len());
                    plan.calls.push(row(new));
                    let actor = format!("caller:{}", new.caller_name);
                    let detail = Some(new.mode.as_str().to_owned());
                    plan.event(
                        new.business_id,
                        new.id,
                        "requested",
                        actor,
                        detail,
                        new.requested_at,
                    );
                    plan.announce(
                        new.business_id,
                        new.id,
                        new.requested_at,
                        CallFactKind::Requested,
                    );
                    plan.tell(new.business_id, new.id, BusinessEventKind::CallRequested);
                }
                Job::Contact(touch) => plan.contacts.push(touch.clone()),
                Job::Milestone {
                    business_id,
                    call_id,
                    at,
                    milestone,
                } => {
                    let (kind, actor, detail, change) = describe(milestone, *at);
                    plan.event(*business_id, *call_id, kind, actor, detail, *at);
                    if let Some(fact) = announced(milestone) {
                        plan.announce(*business_id, *call_id, *at, fact);
                    }
                    if let Some(kind) = told(milestone) {
                        plan.tell(*business_id, *call_id, kind);
                    }
                    let Some(change) = change else { continue };
                    if let Some(&i) = new_calls.get(call_id) {
                        apply(&mut plan.calls[i], change);
                    } else {
                        let i = *updated.entry(*call_id).or_insert_with(|| {
                            plan.updates.push((*business_id, *call_id, Vec::new()));
                            plan.updates.len() - 1
                        });
                        plan.updates[i].2.push(change);
                    }
                }
            }
        }
        plan
    }

    fn event(
        &mut self,
        business_id: Uuid,
        call_id: CallId,
        kind: &str,
        actor: String,
        detail: Option<String>,
        at: DateTime<Utc>,
    ) {
        self.events.push(call_event::ActiveModel {
            // Time-ordered: thousands of events a second land at the end of the primary
            // key's index instead of on a random page each (which the database would
            // write out again with every transaction).
            id: Set(Uuid::now_v7()),
            business_id: Set(business_id),
            call_id: Set(call_id.as_uuid()),
            kind: Set(kind.to_owned()),
            actor: Set(actor),
            detail: Set(detail),
            at: Set(at),
        });
    }

    fn tell(&mut self, business_id: Uuid, call_id: CallId, kind: BusinessEventKind) {
        self.announcements.push(BusinessEvent {
            business_id,
            kind,
            subject_id: call_id.as_uuid(),
        });
    }

    fn announce(
        &mut self,
        business_id: Uuid,
        call_id: CallId,
        at: DateTime<Utc>,
        kind: CallFactKind,
    ) {
        self.webhooks.push(CallFact {
            business_id,
            call_id,
            at,
            kind,
        });
    }

    /// Runs the statements (calls first: the events refer to them). The webhook deliveries
    /// are written between the inserts and the updates: they read older calls as stored.
    /// Returns what to tell the businesses' followers once the transaction is committed:
    /// the calls' milestones and the contacts created.
    pub(super) async fn write(
        self,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<BusinessEvent>, DomainError> {
        let mut announcements = self.announcements;
        insert_all(db, self.calls).await?;
        insert_all(db, self.events).await?;
        crate::webhooks::calls::emit(db, &self.webhooks).await?;
        let created = crate::contacts::matching::touch_all(db, &self.contacts).await?;
        for (business_id, at, contact) in created {
            announcements.push(BusinessEvent {
                business_id,
                kind: BusinessEventKind::ContactsChanged,
                subject_id: contact.id,
            });
            let views = crate::contacts::store::views_of(db, business_id, vec![contact]).await?;
            for view in views {
                let event = crate::webhooks::Event::new(EventType::ContactCreated, at, &view);
                crate::webhooks::emit(db, business_id, event).await?;
            }
        }
        for (business_id, call_id, changes) in self.updates {
            let mut update = call::Entity::update_many()
                .filter(call::Column::Id.eq(call_id.as_uuid()))
                .filter(call::Column::BusinessId.eq(business_id));
            for (column, value) in columns(changes) {
                update = update.col_expr(column, value);
            }
            update.exec(db).await?;
        }
        Ok(announcements)
    }
}

/// A new call's row: `ringing`, nothing answered or ended yet.
/// Inserts `rows` as multi-row statements of at most [`ROWS_PER_INSERT`] rows each.
async fn insert_all<A: ActiveModelTrait + Send>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
) -> Result<(), DomainError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn row(new: &NewCall) -> call::ActiveModel {
    call::ActiveModel {
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
        contact_id: Set(None),
        callback_id: Set(new.callback_id),
    }
}

/// What a business's followers (`businessEvents`) are told of a milestone.
fn told(milestone: &Milestone) -> Option<BusinessEventKind> {
    match milestone {
        Milestone::Accepted { .. } => Some(BusinessEventKind::CallAnswered),
        Milestone::Ended { answered: true, .. } => Some(BusinessEventKind::CallEnded),
        Milestone::Ended {
            answered: false, ..
        } => Some(BusinessEventKind::CallMissed),
        _ => None,
    }
}

/// What webhooks announce of a milestone: the answer and the end.
fn announced(milestone: &Milestone) -> Option<CallFactKind> {
    match milestone {
        Milestone::Accepted { by, wait } => Some(CallFactKind::Answered {
            by: by.user,
            wait_ms: i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
        }),
        Milestone::Ended {
            reason,
            unavailable,
            ..
        } => Some(CallFactKind::Ended {
            reason: *reason,
            unavailable: *unavailable,
        }),
        _ => None,
    }
}

/// A change applied to a row not stored yet.
fn apply(row: &mut call::ActiveModel, change: RowChange) {
    match change {
        RowChange::Accepted { at, by, wait_ms } => {
            row.state = Set("connected".to_owned());
            row.answered_at = Set(Some(at));
            row.answered_by = Set(Some(by));
            row.wait_ms = Set(Some(wait_ms));
        }
        RowChange::Ended {
            at,
            reason,
            unavailable,
        } => {
            row.state = Set("ended".to_owned());
            row.end_reason = Set(Some(reason.to_owned()));
            row.unavailable_reason = Set(unavailable.map(str::to_owned));
            row.ended_at = Set(Some(at));
        }
    }
}

/// The columns a stored row's changes set; a later change overrides an earlier one.
fn columns(changes: Vec<RowChange>) -> Vec<(call::Column, SimpleExpr)> {
    let mut state = None;
    let (mut answered, mut ended) = (None, None);
    for change in changes {
        match change {
            RowChange::Accepted { at, by, wait_ms } => {
                state = Some("connected");
                answered = Some((at, by, wait_ms));
            }
            RowChange::Ended {
                at,
                reason,
                unavailable,
            } => {
                state = Some("ended");
                ended = Some((at, reason, unavailable));
            }
        }
    }
    let mut set: Vec<(call::Column, SimpleExpr)> = Vec::new();
    if let Some(state) = state {
        set.push((call::Column::State, Expr::value(state)));
    }
    if let Some((at, by, wait_ms)) = answered {
        set.push((call::Column::AnsweredAt, Expr::value(at)));
        set.push((call::Column::AnsweredBy, Expr::value(by)));
        set.push((call::Column::WaitMs, Expr::value(wait_ms)));
    }
    if let Some((at, reason, unavailable)) = ended {
        set.push((call::Column::EndReason, Expr::value(reason)));
        set.push((
            call::Column::UnavailableReason,
            Expr::value(unavailable.map(str::to_owned)),
        ));
        set.push((call::Column::EndedAt, Expr::value(at)));
    }
    set
}

/// A milestone's event (kind, actor, detail) and what it changes on the call's row.
fn describe(
    milestone: &Milestone,
    at: DateTime<Utc>,
) -> (&'static str, String, Option<String>, Option<RowChange>) {
    match milestone {
        Milestone::Offered { devices: d } => {
            ("offered", "server".to_owned(), Some(devices(d)), None)
        }
        Milestone::Rejected { user } => ("rejected", format!("agent:{user}"), None, None),
        Milestone::Accepted { by, wait } => {
            let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            let change = RowChange::Accepted {
                at,
                by: by.user,
                wait_ms,
            };
            (
                "accepted",
                format!("agent:{}", by.user),
                Some(format!("wait {wait_ms} ms")),
                Some(change),
            )
        }
        Milestone::TransferOffered { by, devices: d } => (
            "transfer_offered",
            format!("agent:{by}"),
            Some(devices(d)),
            None,
        ),
        Milestone::TransferFailed { reason } => (
            "transfer_failed",
            "server".to_owned(),
            Some(failure(*reason).to_owned()),
            None,
        ),
        Milestone::Transferred { from, to } => (
            "transferred",
            format!("agent:{from}"),
            Some(format!("agent:{}", to.user)),
            None,
        ),
        Milestone::Chat { from, text, .. } => (
            "chat",
            side(*from).to_owned(),
            Some(text.as_ref().to_owned()),
            None,
        ),
        Milestone::Ended {
            reason,
            by,
            unavailable,
            ..
        } => {
            let change = RowChange::Ended {
                at,
                reason: reason.as_str(),
                unavailable: unavailable.map(|u| u.as_str()),
            };
            let by = by.map_or_else(|| "server".to_owned(), party);
            ("ended", by, Some(reason.as_str().to_owned()), Some(change))
        }
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
