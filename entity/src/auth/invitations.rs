//! Invitations: single-use, expiring links that add a person to a business.
//!
//! The link carries a random token; only its digest is stored. Accepting it atomically
//! marks it used, then creates the account (new email) or attaches the existing one
//! (proven by its password or by already being signed in as that email — with a session,
//! never an API key, which must not turn into a session).
//!
//! An invitation emails an address the inviter chose, so a business may send only so many
//! a day ([`Sender::per_day`], counted from the stored rows, so the count survives restarts
//! and holds across processes), and the email carries no text of the inviter's but the
//! business name (see [`super::emails`]).

use chrono::Utc;
use sea_orm::{
    prelude::*, ActiveValue::Set, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::accounts::{find_by_email, insert_membership, insert_user, refuse_api_key};
use super::sessions::{membership_of, parse_role};
use super::{emails, passwords, secrets, Principal};
use crate::entities::{business, invitation, user};
use crate::events::{BusinessEventKind, EventBus};
use crate::outbox::Outbox;
use crate::types::{InvitationPreview, InvitationView, Role};
use crate::validate::{EmailAddress, NewPassword};
use crate::DomainError;

/// How long an invitation link stays valid.
pub const INVITATION_TTL_DAYS: i64 = 7;

/// Invitations a business may send in any 24 hours by default
/// (`DOMAINCALL_INVITATIONS_PER_DAY`).
pub const DEFAULT_PER_DAY: u32 = 50;

/// How invitations go out.
#[derive(Clone, Copy)]
pub struct Sender<'a> {
    pub outbox: &'a dyn Outbox,
    /// The public base URL the links point at.
    pub public_url: &'a str,
    /// Invitations a business may send in any 24 hours (re-invitations count too: each
    /// sends an email).
    pub per_day: u32,
}

/// Refuses another invitation when the business sent `per_day` in the last 24 hours.
async fn check_daily_limit(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    per_day: u32,
    now: chrono::DateTime<Utc>,
) -> Result<(), DomainError> {
    let day = chrono::Duration::hours(24);
    let recent: Vec<chrono::DateTime<Utc>> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::CreatedAt)
        .filter(invitation::Column::BusinessId.eq(business_id))
        .filter(invitation::Column::CreatedAt.gt(now - day))
        .order_by_desc(invitation::Column::CreatedAt)
        .limit(u64::from(per_day))
        .into_tuple()
        .all(db)
        .await?;
    match recent.last() {
        // A slot frees when the oldest of the last `per_day` leaves the window.
        Some(oldest) if recent.len() >= per_day as usize => Err(DomainError::RateLimited {
            retry_after_secs: u64::try_from((*oldest + day - now).num_seconds())
                .unwrap_or(0)
                .max(1),
        }),
        _ => Ok(()),
    }
}

fn view(i: &invitation::Model) -> Result<InvitationView, DomainError> {
    Ok(InvitationView {
        id: i.id.to_string(),
        email: i.email.clone(),
        role: parse_role(&i.role)?,
        created_at: i.created_at,
        expires_at: i.expires_at,
    })
}

fn gone() -> DomainError {
    DomainError::NotFound("invitation")
}

/// Invites `email` to the principal's business with `role` and emails them the link.
/// Inviting the same email again replaces the earlier invitation.
///
/// # Errors
/// `Forbidden` (agents; admins inviting owners), `Validation` (bad email),
/// `Conflict` (already a member), `RateLimited` (the business sent its invitations for
/// the day).
pub async fn invite<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    sender: Sender<'_>,
    events: &dyn EventBus,
    principal: &Principal,
    email: &str,
    role: Role,
) -> Result<InvitationView, DomainError> {
    principal.require_manager()?;
    if role == Role::Owner {
        principal.require_owner()?;
    }
    let email =
        EmailAddress::parse("email", email).map_err(|e| DomainError::Validation(vec![e]))?;
    let txn = crate::tx::begin_write(db).await?;
    if let Some(u) = find_by_email(&txn, &email).await? {
        if membership_of(&txn, u.id, principal.business_id)
            .await?
            .is_some()
        {
            return Err(DomainError::Conflict(format!(
                "{email} is already a member."
            )));
        }
    }
    let biz = business::Entity::find_by_id(principal.business_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("business"))?;
    let now = Utc::now();
    check_daily_limit(&txn, principal.business_id, sender.per_day, now).await?;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::BusinessId.eq(principal.business_id))
        .filter(invitation::Column::Email.eq(email.as_ref()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let token = secrets::random_token(32);
    let row = invitation::ActiveModel {
        id: Set(Uuid::new_v4()),
        business_id: Set(principal.business_id),
        email: Set(email.to_string()),
        role: Set(role.as_str().to_owned()),
        token_hash: Set(secrets::digest(&token)),
        invited_by: Set(principal.user_id),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::days(INVITATION_TTL_DAYS)),
        accepted_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let link = format!("{}/invite/{token}", sender.public_url.trim_end_matches('/'));
    let role_name = match role {
        Role::Owner => "an owner",
        Role::Admin => "an admin",
        Role::Agent => "an agent",
    };
    // The mail is written with the invitation and queued after the commit (on SQLite the
    // queue writes through another connection, which would wait on this transaction).
    let written = crate::mail_outbox::write(
        &txn,
        emails::invitation(
            email.as_ref(),
            &biz.name,
            role_name,
            &link,
            INVITATION_TTL_DAYS,
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    crate::mail_outbox::hand_over(db, sender.outbox, vec![written]).await;
    tracing::info!(business_id = %principal.business_id, invitation_id = %row.id, "invitation sent");
    events.publish(
        principal.business_id,
        BusinessEventKind::InvitationSent,
        row.id,
    );
    view(&row)
}

/// Sends a pending (or expired) invitation of the principal's business again: a new link
/// goes out and the old one stops working at once. It is a new invitation in every respect —
/// the same permission checks, and it counts toward the business's daily limit.
///
/// # Errors
/// As [`invite`]; `NotFound` when `id` is not an unaccepted, unrevoked invitation of this
/// business.
pub async fn resend<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    sender: Sender<'_>,
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
) -> Result<InvitationView, DomainError> {
    principal.require_manager()?;
    let inv = invitation::Entity::find_by_id(id)
        .filter(invitation::Column::BusinessId.eq(principal.business_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(gone)?;
    let role = parse_role(&inv.role)?;
    invite(db, sender, events, principal, &inv.email, role).await
}

/// Pending (not accepted, revoked or expired) invitations of the principal's business.
///
/// # Errors
/// `Forbidden` for agents.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Vec<InvitationView>, DomainError> {
    principal.require_manager()?;
    invitation::Entity::find()
        .filter(invitation::Column::BusinessId.eq(principal.business_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(invitation::Column::CreatedAt)
        .all(db)
        .await?
        .iter()
        .map(view)
        .collect()
}

/// Revokes a pending invitation of the principal's business.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not a pending invitation of this business.
pub async fn revoke(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
) -> Result<(), DomainError> {
    principal.require_manager()?;
    let res = invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::BusinessId.eq(principal.business_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(gone());
    }
    events.publish(
        principal.business_id,
        BusinessEventKind::InvitationRevoked,
        id,
    );
    Ok(())
}

async fn pending_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<invitation::Model, DomainError> {
    invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(secrets::digest(token)))
        .one(db)
        .await?
        .filter(|i| i.accepted_at.is_none() && i.revoked_at.is_none() && i.expires_at > Utc::now())
        .ok_or_else(gone)
}

/// What the invitation link shows.
///
/// # Errors
/// `NotFound` when the link is unknown, used, revoked or expired.
pub async fn preview(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<InvitationPreview, DomainError> {
    let inv = pending_by_token(db, token).await?;
    let biz = business::Entity::find_by_id(inv.business_id)
        .one(db)
        .await?
        .ok_or_else(gone)?;
    let email = EmailAddress::parse("email", &inv.email).map_err(|_| gone())?;
    Ok(InvitationPreview {
        business_name: biz.name,
        account_exists: find_by_email(db, &email).await?.is_some(),
        role: parse_role(&inv.role)?,
        email: inv.email,
    })
}

/// Accepts an invitation: creates the account (with `password` as its new password) or
/// attaches the existing one (`caller` signed in as it with a session, or proven by
/// `password`). Returns the user and the business joined; the caller then starts a session.
///
/// # Errors
/// `Forbidden` when `caller` is an API key; `NotFound` (unknown / used / expired link),
/// `Validation` (new password too short), `Unauthenticated` (wrong password for the
/// existing account).
pub async fn accept<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    events: &dyn EventBus,
    token: &str,
    password: &str,
    caller: Option<&Principal>,
) -> Result<(user::Model, Uuid), DomainError> {
    refuse_api_key(caller)?;
    let signed_in_as = caller.map(|p| p.user_id);
    let txn = crate::tx::begin_write(db).await?;
    let inv = pending_by_token(&txn, token).await?;
    let email = EmailAddress::parse("email", &inv.email).map_err(|_| gone())?;
    let user = match find_by_email(&txn, &email).await? {
        Some(u) if signed_in_as == Some(u.id) || passwords::verify(password, &u.password_hash) => u,
        Some(_) => {
            return Err(DomainError::Unauthenticated(format!(
                "An account for {email} exists: enter its password to accept."
            )))
        }
        None => {
            let pw = NewPassword::parse_for("password", password, &[email.as_ref()])
                .map_err(|e| DomainError::Validation(vec![e]))?;
            insert_user(&txn, &email, &pw).await?
        }
    };
    // Single use: only the first acceptance flips the row.
    let flipped = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(Utc::now()))
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if flipped.rows_affected != 1 {
        return Err(gone());
    }
    if membership_of(&txn, user.id, inv.business_id)
        .await?
        .is_none()
    {
        insert_membership(&txn, inv.business_id, user.id, parse_role(&inv.role)?).await?;
    }
    txn.commit().await?;
    tracing::info!(user_id = %user.id, business_id = %inv.business_id, "invitation accepted");
    events.publish(inv.business_id, BusinessEventKind::MemberJoined, user.id);
    Ok((user, inv.business_id))
}
