//! Listing callbacks and moving them along (asking is [`super::asking`]).
//!
//! Members list them, call back (a join link by email), and close them; the caller cancels
//! by link. Every query is scoped to one business; every change publishes
//! `CallbacksChanged`. Mail is queued after the commit, as invitations do (the queue
//! writes through its own connection).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

use super::announce::announce;
use super::emails;
use super::links::{self, Purpose};
use super::{CallbackStatus, CallbackView, LinkPage, LinkRefusal};
use crate::auth::Principal;
use crate::entities::{business, callback, user};
use crate::events::{BusinessEventKind, EventBus};
use crate::types::FieldError;
use crate::{DomainError, Services};

/// An open callback nobody touched for this long expires.
pub const EXPIRE_AFTER: Duration = Duration::days(14);
/// At most this many callbacks in one list.
const LIST_MAX: u64 = 200;

fn invalid(field: &str, message: String) -> DomainError {
    DomainError::Validation(vec![FieldError {
        field: field.to_owned(),
        message,
    }])
}

/// `input` trimmed, blank as `None`, at most `max` characters.
pub(crate) fn optional(
    field: &str,
    input: Option<&str>,
    max: usize,
) -> Result<Option<String>, DomainError> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > max => Err(invalid(
            field,
            format!("This is too long; at most {max} characters."),
        )),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

pub(crate) fn status_of(row: &callback::Model) -> CallbackStatus {
    CallbackStatus::parse(&row.status).unwrap_or(CallbackStatus::Pending)
}

/// How members are named: display name, else email.
pub(crate) async fn member_names(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, String>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name.unwrap_or(u.email)))
        .collect())
}

/// The views of `rows` (all of `business_id`).
async fn views(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    rows: Vec<callback::Model>,
) -> Result<Vec<CallbackView>, DomainError> {
    let intent_ids = rows.iter().filter_map(|r| r.intent_id).collect();
    let labels = crate::calls::records::intent_labels(db, business_id, intent_ids).await?;
    let names = member_names(db, rows.iter().filter_map(|r| r.member_id).collect()).await?;
    let length = if rows.iter().any(|r| r.slot_at.is_some()) {
        let policy = super::booking::policy(db, business_id).await?;
        Duration::minutes(i64::from(policy.slot_minutes))
    } else {
        Duration::zero()
    };
    Ok(rows
        .into_iter()
        .map(|r| CallbackView {
            id: r.id,
            status: status_of(&r),
            intent_label: r.intent_id.and_then(|i| labels.get(&i).cloned()),
            member_name: r.member_id.and_then(|m| names.get(&m).cloned()),
            email: r.email,
            name: r.name,
            note: r.note,
            caller_name: r.caller_name,
            caller_verified: r.caller_verified,
            called_domain: r.called_domain,
            intent_id: r.intent_id,
            contact_id: r.contact_id,
            member_id: r.member_id,
            slot_end: r.slot_at.map(|t| t + length),
            slot_at: r.slot_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The callbacks of the principal's business, newest first (at most 200): the open ones,
/// or those of `status`.
///
/// # Errors
/// A database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    status: Option<CallbackStatus>,
) -> Result<Vec<CallbackView>, DomainError> {
    let statuses: Vec<&str> = match status {
        Some(s) => vec![s.as_str()],
        None => CallbackStatus::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(CallbackStatus::as_str)
            .collect(),
    };
    let rows = callback::Entity::find()
        .filter(callback::Column::BusinessId.eq(principal.business_id))
        .filter(callback::Column::Status.is_in(statuses))
        .order_by_desc(callback::Column::CreatedAt)
        .order_by_desc(callback::Column::Id)
        .limit(LIST_MAX)
        .all(db)
        .await?;
    views(db, principal.business_id, rows).await
}

async fn own(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    id: Uuid,
) -> Result<callback::Model, DomainError> {
    callback::Entity::find_by_id(id)
        .filter(callback::Column::BusinessId.eq(business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("callback"))
}

async fn view_of(
    db: &impl ConnectionTrait,
    row: callback::Model,
) -> Result<CallbackView, DomainError> {
    let business_id = row.business_id;
    views(db, business_id, vec![row])
        .await?
        .pop()
        .ok_or(DomainError::NotFound("callback"))
}

/// Callback `id` of `business_id` as the API shows it.
///
/// # Errors
/// `NotFound` for another business's callback; a database failure.
pub async fn view(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    id: Uuid,
) -> Result<CallbackView, DomainError> {
    view_of(db, own(db, business_id, id).await?).await
}

/// Assigns open callback `id` to `member` (a member of the business), or to nobody: the
/// member who will call back. Every member may assign.
///
/// # Errors
/// `NotFound` for another business's callback or someone who is not a member;
/// `Conflict` for a closed callback.
pub async fn assign(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
    member: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<CallbackView, DomainError> {
    use crate::entities::membership;
    let txn = crate::tx::begin_write(db).await?;
    let row = own(&txn, principal.business_id, id).await?;
    if !status_of(&row).is_open() {
        return Err(DomainError::Conflict(
            "This callback is closed; open it again to assign it.".to_owned(),
        ));
    }
    if let Some(member) = member {
        membership::Entity::find()
            .filter(membership::Column::BusinessId.eq(principal.business_id))
            .filter(membership::Column::UserId.eq(member))
            .one(&txn)
            .await?
            .ok_or(DomainError::NotFound("member"))?;
    }
    let mut active: callback::ActiveModel = row.into();
    active.member_id = Set(member);
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    let view = view_of(&txn, row).await?;
    txn.commit().await?;
    events.publish(
        principal.business_id,
        BusinessEventKind::CallbacksChanged,
        id,
    );
    Ok(view)
}

/// A member closes a callback (`done` or `cancelled`) or opens it again (`pending`).
///
/// # Errors
/// `NotFound` for another business's callback; `Validation` for a status a member cannot
/// set (`in_progress` comes from calling back, `expired` from time).
pub async fn set_status(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
    status: CallbackStatus,
    now: DateTime<Utc>,
) -> Result<CallbackView, DomainError> {
    if !matches!(
        status,
        CallbackStatus::Pending | CallbackStatus::Done | CallbackStatus::Cancelled
    ) {
        return Err(invalid(
            "status",
            "A callback can be marked done, cancelled or waiting again.".to_owned(),
        ));
    }
    let txn = crate::tx::begin_write(db).await?;
    let row = own(&txn, principal.business_id, id).await?;
    let before = view_of(&txn, row.clone()).await?;
    let mut active: callback::ActiveModel = row.into();
    active.status = Set(status.as_str().to_owned());
    if matches!(status, CallbackStatus::Pending | CallbackStatus::Cancelled) {
        // Waiting again or cancelled: its slot is free for someone else.
        super::booking::release(&txn, principal.business_id, id).await?;
        active.slot_at = Set(None);
    }
    active.updated_at = Set(now);
    active.update(&txn).await?;
    if !status.is_open() {
        links::retire(&txn, principal.business_id, id, None, now).await?;
    }
    let view = announce(&txn, principal.business_id, id, Some(&before), now).await?;
    txn.commit().await?;
    events.publish(
        principal.business_id,
        BusinessEventKind::CallbacksChanged,
        id,
    );
    Ok(view)
}

/// The principal calls the caller of callback `id` back: a join link that rings them is
/// mailed to the caller (an earlier one stops working), and the callback is in progress.
///
/// # Errors
/// `NotFound` for another business's callback; `Conflict` for a closed one.
pub async fn call_back_now(
    services: &Services,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<CallbackView, DomainError> {
    let db = &services.db;
    let txn = crate::tx::begin_write(db).await?;
    let row = own(&txn, principal.business_id, id).await?;
    if !status_of(&row).is_open() {
        return Err(DomainError::Conflict(
            "This callback is closed; open it again to call back.".to_owned(),
        ));
    }
    links::retire(&txn, principal.business_id, id, Some(Purpose::Join), now).await?;
    let token = links::issue(
        &txn,
        Purpose::Join,
        principal.business_id,
        id,
        Some(principal.user_id),
        services.callback_link_ttl,
        now,
    )
    .await?;
    let business = business::Entity::find_by_id(principal.business_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("business"))?;
    let member = member_names(&txn, vec![principal.user_id])
        .await?
        .remove(&principal.user_id)
        .unwrap_or_else(|| "A member".to_owned());
    let to = row.email.clone();
    let mut active: callback::ActiveModel = row.into();
    active.status = Set(CallbackStatus::InProgress.as_str().to_owned());
    active.member_id = Set(Some(principal.user_id));
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    let view = view_of(&txn, row).await?;
    let link = format!("{}/l/{token}", services.public_url.trim_end_matches('/'));
    let mail = emails::calling_back(
        &to,
        &business.name,
        &member,
        &link,
        services.callback_link_ttl,
    );
    let written = crate::mail_outbox::write(&txn, mail, now).await?;
    txn.commit().await?;
    crate::mail_outbox::hand_over(db, services.outbox.as_ref(), vec![written]).await;
    services.events.publish(
        principal.business_id,
        BusinessEventKind::CallbacksChanged,
        id,
    );
    services
        .events
        .publish(principal.business_id, BusinessEventKind::CallingBack, id);
    tracing::info!(business_id = %principal.business_id, callback_id = %id, "calling back");
    Ok(view)
}

/// The business and call page domain of a callback.
async fn business_of(db: &impl ConnectionTrait, row: &callback::Model) -> Result<String, DbErr> {
    Ok(business::Entity::find_by_id(row.business_id)
        .one(db)
        .await?
        .map(|b| b.name)
        .unwrap_or_default())
}

pub(crate) async fn refused(
    db: &impl ConnectionTrait,
    reason: LinkRefusal,
    callback_id: Option<Uuid>,
) -> Result<LinkPage, DbErr> {
    let row = match callback_id {
        Some(id) => callback::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let (domain, business_name) = match row {
        Some(row) => {
            let name = business_of(db, &row).await?;
            (Some(row.called_domain), Some(name))
        }
        None => (None, None),
    };
    Ok(LinkPage::Refused {
        reason,
        domain,
        business_name,
    })
}

/// What `/l/{token}` shows; nothing is spent (a mail scanner may open it).
///
/// # Errors
/// A database failure.
pub async fn open_link(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<LinkPage, DomainError> {
    let link = match links::inspect(db, token, now).await? {
        Ok(link) => link,
        Err((reason, row)) => return Ok(refused(db, reason, row.map(|r| r.callback_id)).await?),
    };
    let row = own(db, link.business_id, link.callback_id).await?;
    if !status_of(&row).is_open() {
        return Ok(refused(db, LinkRefusal::Closed, Some(row.id)).await?);
    }
    let business_name = business_of(db, &row).await?;
    Ok(match link.purpose {
        Purpose::Join => {
            let member_id = link.member_id.unwrap_or_default();
            let member_name = member_names(db, vec![member_id])
                .await?
                .remove(&member_id)
                .unwrap_or_else(|| "A member".to_owned());
            LinkPage::Join {
                business_name,
                domain: row.called_domain,
                member_name,
                intent: row.intent_id,
            }
        }
        Purpose::Cancel => {
            let when = match row.slot_at {
                Some(at) => {
                    let intent =
                        super::booking::intent_of(db, row.business_id, row.intent_id).await?;
                    let offer =
                        super::booking::Offer::load(db, row.business_id, intent.as_ref()).await?;
                    let zone = super::booking::zone_for(row.caller_zone.as_deref(), &offer);
                    Some(super::booking::local_text(&zone, at))
                }
                None => None,
            };
            LinkPage::Cancel {
                business_name,
                domain: row.called_domain,
                intent: row.intent_id,
                when,
            }
        }
    })
}

/// The caller cancels their callback with its cancel link (spent here).
///
/// # Errors
/// A database failure.
pub async fn cancel_by_link(
    db: &DatabaseConnection,
    events: &dyn EventBus,
    token: &str,
    now: DateTime<Utc>,
) -> Result<LinkPage, DomainError> {
    let txn = crate::tx::begin_write(db).await?;
    let link = match links::inspect(&txn, token, now).await? {
        Ok(link) if link.purpose == Purpose::Cancel => link,
        Ok(_) => return Ok(refused(&txn, LinkRefusal::Unknown, None).await?),
        Err((reason, row)) => return Ok(refused(&txn, reason, row.map(|r| r.callback_id)).await?),
    };
    let row = own(&txn, link.business_id, link.callback_id).await?;
    if !status_of(&row).is_open() {
        return Ok(refused(&txn, LinkRefusal::Closed, Some(row.id)).await?);
    }
    if !links::spend(&txn, link.id, now).await? {
        return Ok(refused(&txn, LinkRefusal::Used, Some(row.id)).await?);
    }
    links::retire(&txn, link.business_id, row.id, None, now).await?;
    let business_name = business_of(&txn, &row).await?;
    let domain = row.called_domain.clone();
    let before = view_of(&txn, row.clone()).await?;
    super::booking::release(&txn, link.business_id, row.id).await?;
    let mut active: callback::ActiveModel = row.into();
    active.status = Set(CallbackStatus::Cancelled.as_str().to_owned());
    active.slot_at = Set(None);
    active.updated_at = Set(now);
    active.update(&txn).await?;
    announce(&txn, link.business_id, link.callback_id, Some(&before), now).await?;
    txn.commit().await?;
    events.publish(
        link.business_id,
        BusinessEventKind::CallbacksChanged,
        link.callback_id,
    );
    Ok(LinkPage::Cancelled {
        business_name,
        domain,
    })
}

/// A join link that can ring its member: the link, and the email the callback was left
/// with (the caller's contact, for the screen pop).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Join {
    pub link: links::ValidLink,
    /// The member the call rings.
    pub member_id: Uuid,
    pub callback_id: Uuid,
    pub email: String,
}

/// A join link presented with a call request to `business_id`: the link, when it still
/// works for that business and its callback is open. Nothing is spent ([`links::spend`]
/// once the member can be rung).
///
/// # Errors
/// A database failure.
pub async fn join_link(
    db: &impl ConnectionTrait,
    token: &str,
    business_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<Join, LinkRefusal>, DomainError> {
    let link = match links::inspect(db, token, now).await? {
        Ok(link) => link,
        Err((reason, _)) => return Ok(Err(reason)),
    };
    // Another business's link, or a cancel link, is no join link here.
    let member_id = match (link.purpose, link.member_id) {
        (Purpose::Join, Some(member)) if link.business_id == business_id => member,
        _ => return Ok(Err(LinkRefusal::Unknown)),
    };
    let row = own(db, business_id, link.callback_id).await?;
    if !status_of(&row).is_open() {
        return Ok(Err(LinkRefusal::Closed));
    }
    Ok(Ok(Join {
        member_id,
        callback_id: row.id,
        email: row.email,
        link,
    }))
}

/// What rings a caller's open call page when a member calls them back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRing {
    /// The caller identity to ring (its live call pages).
    pub identity_id: Uuid,
    pub business: String,
    pub member: String,
    /// A join link for the member calling, valid [`links::RING_TTL_SECS`] seconds.
    pub token: String,
}

/// The caller identity behind callback `id` of `business_id` while a member is calling it
/// back (`None`: not in progress, or the identity is gone).
///
/// # Errors
/// A database failure.
pub async fn caller_of_ring(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    id: Uuid,
) -> Result<Option<(Uuid, callback::Model)>, DomainError> {
    let row = match own(db, business_id, id).await {
        Ok(row) => row,
        Err(DomainError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if status_of(&row) != CallbackStatus::InProgress || row.member_id.is_none() {
        return Ok(None);
    }
    let identity = crate::entities::caller_identity::Entity::find()
        .filter(crate::entities::caller_identity::Column::Name.eq(&row.caller_name))
        .one(db)
        .await?;
    Ok(identity.map(|i| (i.id, row)))
}

/// A short-lived join link for the member calling `row` back, to ring the caller's open
/// call page with (the mailed link stays valid).
///
/// # Errors
/// A database failure.
pub async fn page_ring(
    db: &impl ConnectionTrait,
    identity_id: Uuid,
    row: &callback::Model,
    now: DateTime<Utc>,
) -> Result<Option<PageRing>, DomainError> {
    let Some(member_id) = row.member_id else {
        return Ok(None);
    };
    let token = links::issue(
        db,
        Purpose::Join,
        row.business_id,
        row.id,
        Some(member_id),
        chrono::Duration::seconds(links::RING_TTL_SECS),
        now,
    )
    .await?;
    let business = business::Entity::find_by_id(row.business_id)
        .one(db)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    let member = member_names(db, vec![member_id])
        .await?
        .remove(&member_id)
        .unwrap_or_else(|| "A member".to_owned());
    Ok(Some(PageRing {
        identity_id,
        business,
        member,
        token,
    }))
}

/// Expires every open callback untouched since `now - EXPIRE_AFTER` — a scheduled one
/// only once its slot is that long past — (the periodic job); returns how many.
///
/// # Errors
/// A database failure.
pub async fn expire_stale(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    use sea_orm::Condition;
    let open = [CallbackStatus::Pending, CallbackStatus::InProgress].map(CallbackStatus::as_str);
    let cutoff = now - EXPIRE_AFTER;
    let done = callback::Entity::update_many()
        .col_expr(
            callback::Column::Status,
            Expr::value(CallbackStatus::Expired.as_str()),
        )
        .col_expr(callback::Column::UpdatedAt, Expr::value(now))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(callback::Column::Status.is_in(open))
                        .add(callback::Column::UpdatedAt.lt(cutoff)),
                )
                .add(
                    Condition::all()
                        .add(callback::Column::Status.eq(CallbackStatus::Scheduled.as_str()))
                        .add(callback::Column::SlotAt.lt(cutoff)),
                ),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
