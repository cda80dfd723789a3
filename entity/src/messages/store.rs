//! Leaving, listing and handling messages. Every query is scoped to one business; every
//! change publishes `MessagesChanged`; a new message is announced to webhooks
//! (`message.received`) in the transaction that stores it and mailed to the members after
//! the commit.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

use super::audio::{self, Audio};
use super::{files, MessageInput, MessageLeft, MessageStatus, MessageView, PER_HOUR, TEXT_MAX};
use crate::auth::emails::{anchor, escape_html, html, mail_safe};
use crate::auth::Principal;
use crate::callbacks::asking::member_emails;
use crate::callbacks::store::{member_names, optional};
use crate::callbacks::{CallbackStatus, CallbackView, NAME_MAX, NOTE_MAX};
use crate::contacts::matching::{self, Key};
use crate::domains::DomainName;
use crate::entities::{business, callback, caller_identity, message};
use crate::events::BusinessEventKind;
use crate::outbox::OutgoingEmail;
use crate::validate::EmailAddress;
use crate::webhooks::{self, EventType};
use crate::{DomainError, Services};

/// At most this many messages in one list.
const LIST_MAX: u64 = 200;

/// Caller `identity` leaves a message on `input.domain`'s call page: a text, a recording
/// (`recording`, checked by [`audio::inspect`]), or both. The recording is written under
/// `root` before the row (and removed again if the row is not stored).
///
/// # Errors
/// `Validation` for nothing to say, a text too long, a bad email or name, or a refused
/// recording (field `audio`, with the reason); `NotFound` for a domain no business has
/// verified or an intent not its; `RateLimited` past [`PER_HOUR`].
pub async fn leave(
    services: &Services,
    root: &Path,
    identity: &caller_identity::Model,
    input: &MessageInput,
    recording: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<MessageLeft, DomainError> {
    let db = &services.db;
    let text = optional("text", input.text.as_deref(), TEXT_MAX)?;
    let name = optional("name", input.name.as_deref(), NAME_MAX)?;
    let email = match input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(e) => Some(
            EmailAddress::parse("email", e)
                .map_err(|e| DomainError::Validation(vec![e]))?
                .as_ref()
                .to_owned(),
        ),
    };
    let audio: Option<Audio> = match recording {
        None => None,
        Some(bytes) => Some(
            audio::inspect(bytes).map_err(|why| DomainError::invalid("audio", why.message()))?,
        ),
    };
    if text.is_none() && audio.is_none() {
        return Err(DomainError::invalid(
            "text",
            "Write a message or record one.",
        ));
    }
    let domain =
        DomainName::parse(&input.domain).map_err(|_| DomainError::NotFound("call page"))?;
    let (business_id, domain) = crate::calls::records::verified_business(db, &domain)
        .await?
        .ok_or(DomainError::NotFound("call page"))?;
    let intent = crate::callbacks::booking::intent_of(db, business_id, input.intent).await?;
    let recent = message::Entity::find()
        .filter(message::Column::BusinessId.eq(business_id))
        .filter(message::Column::CallerName.eq(identity.name.as_str()))
        .filter(message::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(db)
        .await?;
    if recent >= PER_HOUR {
        return Err(DomainError::RateLimited {
            retry_after_secs: 3600,
        });
    }
    let id = Uuid::now_v7();
    let path = files::path(root, business_id, id);
    if let (Some(bytes), Some(_)) = (recording, audio) {
        files::write(&path, bytes).await.map_err(|e| {
            tracing::error!(error = %e, "writing a recording failed");
            DomainError::Internal("the recording could not be stored".to_owned())
        })?;
    }
    let link = format!("{}/app/messages", services.public_url.trim_end_matches('/'));
    let stored = store(
        db,
        identity,
        Stored {
            id,
            business_id,
            domain,
            intent: intent.as_ref().map(|i| i.id),
            email: email.clone(),
            name,
            text,
            audio,
            bytes: recording.map(<[u8]>::len),
        },
        &link,
        now,
    )
    .await;
    let (view, mails) = match stored {
        Ok(stored) => stored,
        Err(e) => {
            files::remove(&path).await;
            return Err(e);
        }
    };
    crate::mail_outbox::hand_over(db, services.outbox.as_ref(), mails).await;
    let events = &services.events;
    events.publish(business_id, BusinessEventKind::MessageLeft, id);
    events.publish(business_id, BusinessEventKind::MessagesChanged, id);
    if view.contact_id.is_some() {
        // The contact may be new: the call directory forgets what it knew of the business's.
        events.publish(business_id, BusinessEventKind::ContactsChanged, business_id);
    }
    tracing::info!(business_id = %business_id, message_id = %id, audio = audio.is_some(), "message left");
    Ok(MessageLeft {
        id,
        business_id,
        audio_ms: audio.map(|a| a.duration_ms),
    })
}

/// A message ready to store.
struct Stored {
    id: Uuid,
    business_id: Uuid,
    domain: String,
    intent: Option<Uuid>,
    email: Option<String>,
    name: Option<String>,
    text: Option<String>,
    audio: Option<Audio>,
    bytes: Option<usize>,
}

/// The row, its contact (by verified domain, else by email) and its announcement, in one
/// transaction.
/// Stores the message, and the members' mail about it (at `link`), in one transaction.
async fn store(
    db: &DatabaseConnection,
    identity: &caller_identity::Model,
    m: Stored,
    link: &str,
    now: DateTime<Utc>,
) -> Result<(MessageView, Vec<crate::mail_outbox::Written>), DomainError> {
    let txn = crate::tx::begin_write(db).await?;
    let verified = identity.kind == "domain";
    let key = if verified {
        Some(Key::Domain(identity.name.to_ascii_lowercase()))
    } else {
        m.email.as_ref().map(|e| Key::Email(e.to_lowercase()))
    };
    let contact = match key {
        Some(key) => Some(
            matching::ensure(
                &txn,
                m.business_id,
                &key,
                m.name.as_deref(),
                m.email.as_deref(),
                now,
            )
            .await?,
        ),
        None => None,
    };
    let row = message::ActiveModel {
        id: Set(m.id),
        business_id: Set(m.business_id),
        contact_id: Set(contact.map(|c| c.id)),
        intent_id: Set(m.intent),
        called_domain: Set(m.domain),
        caller_name: Set(identity.name.clone()),
        caller_verified: Set(verified),
        email: Set(m.email),
        name: Set(m.name),
        text: Set(m.text),
        audio_type: Set(m.audio.map(|a| a.content_type.to_owned())),
        audio_bytes: Set(m.bytes.and_then(|b| i64::try_from(b).ok())),
        audio_ms: Set(m.audio.and_then(|a| i64::try_from(a.duration_ms).ok())),
        status: Set(MessageStatus::New.as_str().to_owned()),
        handled_by: Set(None),
        handled_at: Set(None),
        callback_id: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let view = view_of(&txn, row).await?;
    let event = webhooks::Event::new(EventType::MessageReceived, now, &view);
    webhooks::emit(&txn, m.business_id, event).await?;
    let business = business::Entity::find_by_id(m.business_id)
        .one(&txn)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    let members = member_emails(&txn, m.business_id).await?;
    let notes: Vec<_> = members
        .iter()
        .map(|to| new_message(to, &business, &view, link))
        .collect();
    let mails = crate::mail_outbox::write_all(&txn, notes, now).await?;
    txn.commit().await?;
    Ok((view, mails))
}

/// The views of `rows` (all of `business_id`).
async fn views(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    rows: Vec<message::Model>,
) -> Result<Vec<MessageView>, DomainError> {
    let intent_ids = rows.iter().filter_map(|r| r.intent_id).collect();
    let labels = crate::calls::records::intent_labels(db, business_id, intent_ids).await?;
    let names = member_names(db, rows.iter().filter_map(|r| r.handled_by).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|r| MessageView {
            id: r.id,
            status: MessageStatus::parse(&r.status),
            caller_name: r.caller_name,
            caller_verified: r.caller_verified,
            called_domain: r.called_domain,
            email: r.email,
            name: r.name,
            text: r.text,
            intent_label: r.intent_id.and_then(|i| labels.get(&i).cloned()),
            intent_id: r.intent_id,
            contact_id: r.contact_id,
            audio_type: r.audio_type,
            audio_ms: r.audio_ms,
            audio_bytes: r.audio_bytes,
            handled_by_name: r.handled_by.and_then(|u| names.get(&u).cloned()),
            handled_at: r.handled_at,
            callback_id: r.callback_id,
            created_at: r.created_at,
        })
        .collect())
}

async fn view_of(
    db: &impl ConnectionTrait,
    row: message::Model,
) -> Result<MessageView, DomainError> {
    let business_id = row.business_id;
    views(db, business_id, vec![row])
        .await?
        .pop()
        .ok_or(DomainError::NotFound("message"))
}

async fn own(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    id: Uuid,
) -> Result<message::Model, DomainError> {
    message::Entity::find_by_id(id)
        .filter(message::Column::BusinessId.eq(business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("message"))
}

/// The messages of the principal's business, newest first (at most 200): those of
/// `status`, or all.
///
/// # Errors
/// A database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    status: Option<MessageStatus>,
) -> Result<Vec<MessageView>, DomainError> {
    let mut query =
        message::Entity::find().filter(message::Column::BusinessId.eq(principal.business_id));
    if let Some(status) = status {
        query = query.filter(message::Column::Status.eq(status.as_str()));
    }
    let rows = query
        .order_by_desc(message::Column::CreatedAt)
        .order_by_desc(message::Column::Id)
        .limit(LIST_MAX)
        .all(db)
        .await?;
    views(db, principal.business_id, rows).await
}

/// The messages a contact left, newest first (for the contact's timeline).
///
/// # Errors
/// A database failure.
pub async fn of_contact(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    contact_id: Uuid,
) -> Result<Vec<MessageView>, DomainError> {
    let rows = message::Entity::find()
        .filter(message::Column::BusinessId.eq(business_id))
        .filter(message::Column::ContactId.eq(contact_id))
        .order_by_desc(message::Column::CreatedAt)
        .limit(LIST_MAX)
        .all(db)
        .await?;
    views(db, business_id, rows).await
}

/// Message `id` of the principal's business.
///
/// # Errors
/// `NotFound` for another business's message.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<MessageView, DomainError> {
    view_of(db, own(db, principal.business_id, id).await?).await
}

/// A member marks message `id` handled (or new again).
///
/// # Errors
/// `NotFound` for another business's message.
pub async fn set_handled(
    services: &Services,
    principal: &Principal,
    id: Uuid,
    handled: bool,
    now: DateTime<Utc>,
) -> Result<MessageView, DomainError> {
    let row = own(&services.db, principal.business_id, id).await?;
    let mut active: message::ActiveModel = row.into();
    if handled {
        active.status = Set(MessageStatus::Handled.as_str().to_owned());
        active.handled_by = Set(Some(principal.user_id));
        active.handled_at = Set(Some(now));
    } else {
        active.status = Set(MessageStatus::New.as_str().to_owned());
        active.handled_by = Set(None);
        active.handled_at = Set(None);
    }
    let row = active.update(&services.db).await?;
    services.events.publish(
        principal.business_id,
        BusinessEventKind::MessagesChanged,
        id,
    );
    view_of(&services.db, row).await
}

/// The recording of message `id` of the principal's business: its type and bytes.
///
/// # Errors
/// `NotFound` for another business's message, one without a recording, or a file gone.
pub async fn recording(
    db: &impl ConnectionTrait,
    root: &Path,
    principal: &Principal,
    id: Uuid,
) -> Result<(String, Vec<u8>), DomainError> {
    let row = own(db, principal.business_id, id).await?;
    let content_type = row.audio_type.ok_or(DomainError::NotFound("recording"))?;
    let bytes = tokio::fs::read(files::path(root, row.business_id, row.id))
        .await
        .map_err(|_| DomainError::NotFound("recording"))?;
    Ok((content_type, bytes))
}

/// A member replies to message `id` by calling back: a callback for the message's email
/// (its text as the note) that the member calls back at once — the caller gets the join
/// link by email — and the message is handled.
///
/// # Errors
/// `NotFound` for another business's message; `Conflict` for a message without an email
/// or already replied to.
pub async fn reply(
    services: &Services,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<CallbackView, DomainError> {
    let txn = crate::tx::begin_write(&services.db).await?;
    let row = own(&txn, principal.business_id, id).await?;
    if row.callback_id.is_some() {
        return Err(DomainError::Conflict(
            "Someone already replied to this message.".to_owned(),
        ));
    }
    let Some(email) = row.email.clone() else {
        return Err(DomainError::Conflict(
            "This caller left no email to call back.".to_owned(),
        ));
    };
    let callback_id = Uuid::now_v7();
    let note = row
        .text
        .as_deref()
        .map(|t| t.chars().take(NOTE_MAX).collect::<String>());
    callback::ActiveModel {
        id: Set(callback_id),
        business_id: Set(row.business_id),
        contact_id: Set(row.contact_id),
        intent_id: Set(row.intent_id),
        called_domain: Set(row.called_domain.clone()),
        caller_name: Set(row.caller_name.clone()),
        caller_verified: Set(row.caller_verified),
        email: Set(email),
        name: Set(row.name.clone()),
        note: Set(note),
        status: Set(CallbackStatus::Pending.as_str().to_owned()),
        member_id: Set(Some(principal.user_id)),
        call_id: Set(None),
        slot_at: Set(None),
        caller_zone: Set(None),
        reminded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let mut active: message::ActiveModel = row.into();
    active.status = Set(MessageStatus::Handled.as_str().to_owned());
    active.handled_by = Set(Some(principal.user_id));
    active.handled_at = Set(Some(now));
    active.callback_id = Set(Some(callback_id));
    active.update(&txn).await?;
    txn.commit().await?;
    services.events.publish(
        principal.business_id,
        BusinessEventKind::MessagesChanged,
        id,
    );
    crate::callbacks::store::call_back_now(services, principal, callback_id, now).await
}

/// To a member: a caller left a message.
fn new_message(to: &str, business_name: &str, m: &MessageView, link: &str) -> OutgoingEmail {
    let business = mail_safe(business_name);
    let who = mail_safe(m.who());
    let what = match (&m.text, m.audio_ms) {
        (Some(_), Some(_)) => "a voice message and a note",
        (None, Some(_)) => "a voice message",
        _ => "a message",
    };
    let text_part = m.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let mut text = format!(
        "Hello,\n\n{who} called \"{business}\", nobody could answer, and they left {what}.\n"
    );
    if let Some(t) = text_part {
        text.push_str(&format!("\nTheir message:\n{t}\n"));
    }
    text.push_str(&format!("\nRead or play it in the dashboard:\n\n{link}\n"));
    let mut paragraphs = vec![
        "Hello,".to_owned(),
        format!(
            "<strong>{}</strong> called <strong>{}</strong>, nobody could answer, and they \
             left {what}.",
            escape_html(&who),
            escape_html(&business),
        ),
    ];
    if let Some(t) = text_part {
        paragraphs.push(format!("Their message: {}", escape_html(t)));
    }
    paragraphs.push(anchor(link, "Open the messages"));
    OutgoingEmail {
        calendar: None,
        to: to.to_owned(),
        subject: format!("New message — \"{business}\""),
        text,
        html: Some(html(&paragraphs)),
    }
}
