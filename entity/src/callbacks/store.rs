//! Asking for, listing and moving callbacks along.
//!
//! A caller asks from the call page with the identity its cookie proves; a second request
//! with an email that already has an open callback updates that one (the business sees one
//! request, the caller one confirmation). Members list them, call back (a join link by
//! email), and close them. Every query is scoped to one business; every change publishes
//! `CallbacksChanged`. Mail is queued after the commit, as invitations do (the queue
//! writes through its own connection).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

use super::emails::{self, RequestSummary};
use super::links::{self, Purpose};
use super::{
    CallbackAsked, CallbackRequest, CallbackStatus, CallbackView, LinkPage, LinkRefusal, NAME_MAX,
    NOTE_MAX,
};
use crate::auth::Principal;
use crate::contacts::matching::{self, Key};
use crate::domains::DomainName;
use crate::entities::{business, callback, caller_identity, intent, membership, user};
use crate::events::{BusinessEventKind, EventBus};
use crate::types::FieldError;
use crate::validate::EmailAddress;
use crate::{DomainError, Services};

/// New callbacks one caller identity may ask for in an hour.
pub const REQUESTS_PER_HOUR: u64 = 3;
/// How long a cancel link works (a callback rarely waits longer).
const CANCEL_TTL: Duration = Duration::days(30);
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
fn optional(field: &str, input: Option<&str>, max: usize) -> Result<Option<String>, DomainError> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > max => Err(invalid(
            field,
            format!("This is too long; at most {max} characters."),
        )),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

fn status_of(row: &callback::Model) -> CallbackStatus {
    CallbackStatus::parse(&row.status).unwrap_or(CallbackStatus::Pending)
}

/// The caller of `identity` asks the business of `input.domain` to call them back.
///
/// # Errors
/// `Validation` for a bad email, name or note; `NotFound` for a domain no business has
/// verified or an intent not its; `RateLimited` past [`REQUESTS_PER_HOUR`].
pub async fn request(
    services: &Services,
    identity: &caller_identity::Model,
    input: &CallbackRequest,
    now: DateTime<Utc>,
) -> Result<CallbackAsked, DomainError> {
    let db = &services.db;
    let email =
        EmailAddress::parse("email", &input.email).map_err(|e| DomainError::Validation(vec![e]))?;
    let email = email.as_ref().to_owned();
    let name = optional("name", input.name.as_deref(), NAME_MAX)?;
    let note = optional("note", input.note.as_deref(), NOTE_MAX)?;
    let domain =
        DomainName::parse(&input.domain).map_err(|_| DomainError::NotFound("call page"))?;
    let (business_id, domain) = crate::calls::records::verified_business(db, &domain)
        .await?
        .ok_or(DomainError::NotFound("call page"))?;
    let intent = match input.intent {
        None => None,
        Some(id) => Some(
            intent::Entity::find_by_id(id)
                .filter(intent::Column::BusinessId.eq(business_id))
                .one(db)
                .await?
                .ok_or(DomainError::NotFound("intent"))?,
        ),
    };
    let txn = crate::tx::begin_write(db).await?;
    let open = [CallbackStatus::Pending, CallbackStatus::InProgress].map(CallbackStatus::as_str);
    let existing = callback::Entity::find()
        .filter(callback::Column::BusinessId.eq(business_id))
        .filter(callback::Column::Email.eq(email.as_str()))
        .filter(callback::Column::Status.is_in(open))
        .one(&txn)
        .await?;
    if let Some(row) = existing {
        let id = row.id;
        let mut row: callback::ActiveModel = row.into();
        if name.is_some() {
            row.name = Set(name);
        }
        if note.is_some() {
            row.note = Set(note);
        }
        if intent.is_some() {
            row.intent_id = Set(intent.as_ref().map(|i| i.id));
        }
        row.updated_at = Set(now);
        row.update(&txn).await?;
        txn.commit().await?;
        services
            .events
            .publish(business_id, BusinessEventKind::CallbacksChanged, id);
        return Ok(CallbackAsked {
            email,
            already: true,
        });
    }
    let recent = callback::Entity::find()
        .filter(callback::Column::BusinessId.eq(business_id))
        .filter(callback::Column::CallerName.eq(identity.name.as_str()))
        .filter(callback::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(&txn)
        .await?;
    if recent >= REQUESTS_PER_HOUR {
        return Err(DomainError::RateLimited {
            retry_after_secs: 3600,
        });
    }
    let verified = identity.kind == "domain";
    let key = if verified {
        Key::Domain(identity.name.to_ascii_lowercase())
    } else {
        Key::Email(email.to_lowercase())
    };
    let contact =
        matching::ensure(&txn, business_id, &key, name.as_deref(), Some(&email), now).await?;
    let id = Uuid::now_v7();
    callback::ActiveModel {
        id: Set(id),
        business_id: Set(business_id),
        contact_id: Set(Some(contact.id)),
        intent_id: Set(intent.as_ref().map(|i| i.id)),
        called_domain: Set(domain),
        caller_name: Set(identity.name.clone()),
        caller_verified: Set(verified),
        email: Set(email.clone()),
        name: Set(name.clone()),
        note: Set(note.clone()),
        status: Set(CallbackStatus::Pending.as_str().to_owned()),
        member_id: Set(None),
        call_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let cancel = links::issue(
        &txn,
        Purpose::Cancel,
        business_id,
        id,
        None,
        CANCEL_TTL,
        now,
    )
    .await?;
    let business = business::Entity::find_by_id(business_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("business"))?;
    let members = member_emails(&txn, business_id).await?;
    txn.commit().await?;
    let base = services.public_url.trim_end_matches('/');
    services
        .outbox
        .send_email(emails::received(
            &email,
            &business.name,
            &format!("{base}/l/{cancel}"),
        ))
        .await?;
    let dashboard_link = format!("{base}/app/callbacks");
    let summary = RequestSummary {
        business_name: &business.name,
        who: name.as_deref().unwrap_or(&email),
        email: &email,
        intent: intent.as_ref().map(|i| i.label.as_str()),
        note: note.as_deref(),
        dashboard_link: &dashboard_link,
    };
    for to in members {
        services
            .outbox
            .send_email(emails::new_request(&to, &summary))
            .await?;
    }
    let events = &services.events;
    events.publish(business_id, BusinessEventKind::CallbackRequested, id);
    events.publish(business_id, BusinessEventKind::CallbacksChanged, id);
    // The contact may be new: the call directory forgets what it knew of the business's.
    events.publish(business_id, BusinessEventKind::ContactsChanged, business_id);
    tracing::info!(business_id = %business_id, callback_id = %id, "callback requested");
    Ok(CallbackAsked {
        email,
        already: false,
    })
}

/// The emails of every member of `business_id`.
async fn member_emails(db: &impl ConnectionTrait, business_id: Uuid) -> Result<Vec<String>, DbErr> {
    let ids: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(business_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect())
}

/// How members are named: display name, else email.
async fn member_names(
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
) -> Result<Vec<CallbackView>, DbErr> {
    let mut intent_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.intent_id).collect();
    intent_ids.sort_unstable();
    intent_ids.dedup();
    let labels: HashMap<Uuid, String> = if intent_ids.is_empty() {
        HashMap::new()
    } else {
        intent::Entity::find()
            .filter(intent::Column::BusinessId.eq(business_id))
            .filter(intent::Column::Id.is_in(intent_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, i.label))
            .collect()
    };
    let names = member_names(db, rows.iter().filter_map(|r| r.member_id).collect()).await?;
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
    Ok(views(db, principal.business_id, rows).await?)
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
    let mut active: callback::ActiveModel = row.into();
    active.status = Set(status.as_str().to_owned());
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    if !status.is_open() {
        links::retire(&txn, principal.business_id, id, None, now).await?;
    }
    let view = view_of(&txn, row).await?;
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
    txn.commit().await?;
    let link = format!("{}/l/{token}", services.public_url.trim_end_matches('/'));
    services
        .outbox
        .send_email(emails::calling_back(
            &to,
            &business.name,
            &member,
            &link,
            services.callback_link_ttl,
        ))
        .await?;
    services.events.publish(
        principal.business_id,
        BusinessEventKind::CallbacksChanged,
        id,
    );
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

async fn refused(
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
        Purpose::Cancel => LinkPage::Cancel {
            business_name,
            domain: row.called_domain,
        },
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
    let mut active: callback::ActiveModel = row.into();
    active.status = Set(CallbackStatus::Cancelled.as_str().to_owned());
    active.updated_at = Set(now);
    active.update(&txn).await?;
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

/// Expires every open callback untouched since `now - EXPIRE_AFTER` (the periodic
/// job); returns how many.
///
/// # Errors
/// A database failure.
pub async fn expire_stale(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    let open = [CallbackStatus::Pending, CallbackStatus::InProgress].map(CallbackStatus::as_str);
    let done = callback::Entity::update_many()
        .col_expr(
            callback::Column::Status,
            Expr::value(CallbackStatus::Expired.as_str()),
        )
        .col_expr(callback::Column::UpdatedAt, Expr::value(now))
        .filter(callback::Column::Status.is_in(open))
        .filter(callback::Column::UpdatedAt.lt(now - EXPIRE_AFTER))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
