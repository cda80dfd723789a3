//! Invitations: single-use, expiring links that add a person to a business.
//!
//! The link carries a random token; only its digest is stored. Accepting it atomically
//! marks it used, then creates the account (new email) or attaches the existing one
//! (proven by its password or by already being signed in as that email).

use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, TransactionSession, TransactionTrait};

use super::accounts::{find_by_email, insert_membership, insert_user};
use super::sessions::{membership_of, parse_role};
use super::{passwords, secrets, Principal};
use crate::entities::{business, invitation, user};
use crate::events::{BusinessEventKind, EventBus};
use crate::outbox::{Outbox, OutgoingEmail};
use crate::types::{InvitationPreview, InvitationView, Role};
use crate::validate::{EmailAddress, NewPassword};
use crate::DomainError;

/// How long an invitation link stays valid.
pub const INVITATION_TTL_DAYS: i64 = 7;

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
/// `Conflict` (already a member).
pub async fn invite<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    outbox: &dyn Outbox,
    events: &EventBus,
    principal: &Principal,
    email: &str,
    role: Role,
    public_url: &str,
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
    let link = format!("{}/invite/{token}", public_url.trim_end_matches('/'));
    let role_name = match role {
        Role::Owner => "an owner",
        Role::Admin => "an admin",
        Role::Agent => "an agent",
    };
    // Commit before queueing: on SQLite the queue writes through another connection,
    // which would wait on this transaction's write lock. Re-inviting replaces a link
    // whose email could not be queued.
    txn.commit().await?;
    outbox
        .send_email(OutgoingEmail {
            to: email.to_string(),
            subject: format!("You are invited to answer calls for {}", biz.name),
            text: format!(
                "Hello,\n\nYou have been invited to join {name} on domaincall as {role_name}.\n\n\
                 Accept the invitation here (the link works once and expires in {INVITATION_TTL_DAYS} days):\n\n{link}\n\n\
                 If you did not expect this, ignore this email.\n",
                name = biz.name,
            ),
            html: None,
        })
        .await?;
    tracing::info!(business_id = %principal.business_id, invitation_id = %row.id, "invitation sent");
    events.publish(
        principal.business_id,
        BusinessEventKind::InvitationSent,
        row.id,
    );
    view(&row)
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
    events: &EventBus,
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
/// attaches the existing one (signed in as it already, or proven by `password`).
/// Returns the user and the business joined.
///
/// # Errors
/// `NotFound` (unknown / used / expired link), `Validation` (new password too short),
/// `Unauthenticated` (wrong password for the existing account).
pub async fn accept<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    events: &EventBus,
    token: &str,
    password: &str,
    signed_in_as: Option<Uuid>,
) -> Result<(user::Model, Uuid), DomainError> {
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
            let pw = NewPassword::parse("password", password)
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
