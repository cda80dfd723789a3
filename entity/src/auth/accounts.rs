//! Sign in, passwords, businesses and their members, and the account rows sign-up and
//! invitations create (sign-up itself, by email confirmation, is in [`super::signup`]).

use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, TransactionSession, TransactionTrait};

use super::rate_limit::{Attempt, SignInLimiter};
use super::sessions::{membership_of, parse_role};
use super::{passwords, Credential, Principal};
use crate::entities::{business, membership, user};
use crate::events::{BusinessEventKind, EventBus, Revocation};
use crate::types::{BusinessView, Me, MemberView, Role};
use crate::validate::{DisplayName, EmailAddress, Label, NewPassword};
use crate::DomainError;

/// The longest business name we accept.
pub const MAX_BUSINESS_NAME: usize = 100;

/// Maps a unique-constraint violation to a `Conflict` with `message`.
pub(crate) fn conflict_on_unique(message: &str) -> impl FnOnce(DbErr) -> DomainError + '_ {
    move |e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::Conflict(message.to_owned())
        }
        _ => DomainError::Db(e),
    }
}

pub(crate) const EMAIL_TAKEN: &str = "An account with this email already exists; sign in instead.";

/// Refuses API keys where a session would be handed out (accepting an invitation, signing
/// in, confirming a sign-up, changing the password): a key is for one integration in one
/// business, and must never turn into a session of the member who made it.
///
/// # Errors
/// `Forbidden` when `caller` authenticated with an API key.
pub fn refuse_api_key(caller: Option<&Principal>) -> Result<(), DomainError> {
    match caller.map(|p| p.credential) {
        Some(Credential::ApiKey(_)) => Err(DomainError::Forbidden(
            "API keys cannot do this: it would hand out a session. Use the dashboard or a session token.".into(),
        )),
        _ => Ok(()),
    }
}

/// Finds a user by (normalised) email.
///
/// # Errors
/// Database failures.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> Result<Option<user::Model>, DomainError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_ref()))
        .one(db)
        .await?)
}

pub(crate) async fn insert_user(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
    password: &NewPassword,
) -> Result<user::Model, DomainError> {
    insert_user_with_hash(db, email, passwords::hash(password)?).await
}

/// Inserts a user whose password was hashed already (at sign-up).
pub(crate) async fn insert_user_with_hash(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
    password_hash: String,
) -> Result<user::Model, DomainError> {
    let now = Utc::now();
    user::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.to_string()),
        password_hash: Set(password_hash),
        display_name: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(conflict_on_unique(EMAIL_TAKEN))
}

pub(crate) async fn insert_membership(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    user_id: Uuid,
    role: Role,
) -> Result<membership::Model, DomainError> {
    membership::ActiveModel {
        id: Set(Uuid::new_v4()),
        business_id: Set(business_id),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(conflict_on_unique("This person is already a member."))
}

pub(crate) async fn insert_business(
    db: &impl ConnectionTrait,
    name: &Label,
    owner: Uuid,
) -> Result<business::Model, DomainError> {
    let biz = business::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.as_ref().to_owned()),
        timezone: Set("UTC".to_owned()),
        created_at: Set(Utc::now()),
        greeting: Set(None),
    }
    .insert(db)
    .await?;
    insert_membership(db, biz.id, owner, Role::Owner).await?;
    Ok(biz)
}

/// Creates another business owned by an existing user.
///
/// # Errors
/// `Validation` for a bad name.
pub async fn create_business<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user_id: Uuid,
    name: &str,
) -> Result<business::Model, DomainError> {
    let name = Label::parse("name", name, MAX_BUSINESS_NAME)
        .map_err(|e| DomainError::Validation(vec![e]))?;
    let txn = crate::tx::begin_write(db).await?;
    let biz = insert_business(&txn, &name, user_id).await?;
    txn.commit().await?;
    Ok(biz)
}

/// Checks credentials under the sign-in limiter; returns the user and the business their
/// new session acts for (the oldest membership).
///
/// `device` is the raw device token of the browser, if it sent one.
///
/// # Errors
/// `RateLimited` when a window is full; `Unauthenticated` for a wrong email or password
/// (the same message for both).
pub async fn sign_in(
    db: &impl ConnectionTrait,
    limiter: &SignInLimiter,
    keys: &super::tokens::Keyring,
    email: &str,
    password: &str,
    client: &str,
    device: Option<&str>,
) -> Result<(user::Model, Uuid), DomainError> {
    let wrong = || DomainError::Unauthenticated("Wrong email or password.".into());
    let Ok(email) = EmailAddress::parse("email", email) else {
        return Err(wrong());
    };
    let user = find_by_email(db, &email).await?;
    let device_id = match (&user, device) {
        (Some(u), Some(token)) => super::sessions::device_id(keys, token, u.id),
        _ => None,
    };
    let attempt = Attempt {
        account: email.as_ref(),
        client,
        device: device_id.as_deref(),
    };
    limiter.check(&attempt)?;
    let hash = user
        .as_ref()
        .map_or(passwords::dummy_hash(), |u| u.password_hash.as_str());
    let matches = passwords::verify(password, hash);
    let Some(user) = user.filter(|_| matches) else {
        limiter.record_failure(&attempt);
        return Err(wrong());
    };
    let first = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .order_by_asc(membership::Column::CreatedAt)
        .one(db)
        .await?
        .ok_or_else(wrong)?;
    limiter.record_success(&attempt);
    Ok((user, first.business_id))
}

/// Changes the principal's password and ends all their sessions: every other device is
/// signed out (its sockets closed), and the session that made the change is to be replaced
/// by a fresh one on the same device (its sockets may reconnect and resume).
///
/// # Errors
/// `Unauthenticated` if `current` is wrong; `Validation` if `new` is too short or long.
pub async fn change_password<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    events: &dyn EventBus,
    principal: &Principal,
    current: &str,
    new: &str,
) -> Result<(), DomainError> {
    let user = user::Entity::find_by_id(principal.user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("user"))?;
    let about = [
        user.email.as_str(),
        user.display_name.as_deref().unwrap_or(""),
    ];
    let new = NewPassword::parse_for("newPassword", new, &about)
        .map_err(|e| DomainError::Validation(vec![e]))?;
    if !passwords::verify(current, &user.password_hash) {
        return Err(DomainError::invalid(
            "currentPassword",
            "The current password is wrong.",
        ));
    }
    let mut active: user::ActiveModel = user.into();
    active.password_hash = Set(passwords::hash(&new)?);
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    let renewed = match principal.credential {
        super::Credential::Session(id) => Some(id),
        super::Credential::ApiKey(_) => None,
    };
    let ended = super::sessions::end_all(db, events, principal.user_id, renewed).await?;
    tracing::info!(user_id = %principal.user_id, ended, "password changed, sessions ended");
    Ok(())
}

/// Sets (or, with a blank `name`, clears) how the principal is addressed in every business
/// they belong to; returns their account as [`me`] does.
///
/// # Errors
/// `Forbidden` for API keys (a key speaks for an integration, not a person);
/// `Validation` for a name that is too long or holds control characters.
pub async fn set_display_name(
    db: &impl ConnectionTrait,
    principal: &Principal,
    name: &str,
) -> Result<Me, DomainError> {
    refuse_api_key(Some(principal))?;
    let name =
        DisplayName::parse("displayName", name).map_err(|e| DomainError::Validation(vec![e]))?;
    let user = user::Entity::find_by_id(principal.user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("user"))?;
    let mut active: user::ActiveModel = user.into();
    active.display_name = Set(name.map(|n| n.as_ref().to_owned()));
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    me(db, principal).await
}

fn business_view(b: &business::Model, role: Role) -> BusinessView {
    BusinessView {
        id: b.id.to_string(),
        name: b.name.clone(),
        role,
    }
}

/// The principal's user, current business and every business they belong to.
///
/// # Errors
/// `NotFound` if the user vanished.
pub async fn me(db: &impl ConnectionTrait, principal: &Principal) -> Result<Me, DomainError> {
    let user = user::Entity::find_by_id(principal.user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("user"))?;
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(principal.user_id))
        .order_by_asc(membership::Column::CreatedAt)
        .find_also_related(business::Entity)
        .all(db)
        .await?;
    let mut businesses = Vec::new();
    for (m, b) in rows {
        if let Some(b) = b {
            businesses.push(business_view(&b, parse_role(&m.role)?));
        }
    }
    let business = businesses
        .iter()
        .find(|b| b.id == principal.business_id.to_string())
        .cloned()
        .ok_or(DomainError::NotFound("business"))?;
    Ok(Me {
        user_id: user.id.to_string(),
        email: user.email,
        display_name: user.display_name,
        business,
        businesses,
    })
}

/// The members of the principal's business.
///
/// # Errors
/// Database failures.
pub async fn list_members(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Vec<MemberView>, DomainError> {
    let rows = membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(principal.business_id))
        .order_by_asc(membership::Column::CreatedAt)
        .find_also_related(user::Entity)
        .all(db)
        .await?;
    rows.into_iter()
        .filter_map(|(m, u)| u.map(|u| (m, u)))
        .map(|(m, u)| {
            Ok(MemberView {
                user_id: u.id.to_string(),
                email: u.email,
                display_name: u.display_name,
                role: parse_role(&m.role)?,
                joined_at: m.created_at,
            })
        })
        .collect()
}

async fn owner_count(db: &impl ConnectionTrait, business_id: Uuid) -> Result<u64, DomainError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(business_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .count(db)
        .await?)
}

/// Changes a member's role (owners only); the last owner cannot be demoted. A real change
/// closes the member's sockets and subscriptions for this business (they reconnect with
/// the new role).
///
/// # Errors
/// `Forbidden`, `NotFound` (not a member of this business), `Conflict` (last owner).
pub async fn set_member_role(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    user_id: Uuid,
    role: Role,
) -> Result<MemberView, DomainError> {
    principal.require_owner()?;
    let m = membership_of(db, user_id, principal.business_id)
        .await?
        .ok_or(DomainError::NotFound("member"))?;
    if m.role == Role::Owner.as_str()
        && role != Role::Owner
        && owner_count(db, principal.business_id).await? <= 1
    {
        return Err(DomainError::Conflict(
            "A business needs at least one owner.".into(),
        ));
    }
    let changed = m.role != role.as_str();
    let mut active: membership::ActiveModel = m.into();
    active.role = Set(role.as_str().to_owned());
    let m = active.update(db).await?;
    let u = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("member"))?;
    events.publish(
        principal.business_id,
        BusinessEventKind::MemberRoleChanged,
        user_id,
    );
    if changed {
        events.revoke(Revocation::RoleChanged {
            business_id: principal.business_id,
            user_id,
        });
    }
    Ok(MemberView {
        user_id: u.id.to_string(),
        email: u.email,
        display_name: u.display_name,
        role,
        joined_at: m.created_at,
    })
}

/// Removes a member from the principal's business (managers; only owners remove owners;
/// anyone may leave, except the last owner). They leave its teams too, and intents that
/// rang them ring everyone instead; their sockets and subscriptions for this business end.
///
/// # Errors
/// `Forbidden`, `NotFound`, `Conflict` (last owner).
pub async fn remove_member(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    user_id: Uuid,
) -> Result<(), DomainError> {
    if user_id != principal.user_id {
        principal.require_manager()?;
    }
    let m = membership_of(db, user_id, principal.business_id)
        .await?
        .ok_or(DomainError::NotFound("member"))?;
    if m.role == Role::Owner.as_str() {
        if user_id != principal.user_id {
            principal.require_owner()?;
        }
        if owner_count(db, principal.business_id).await? <= 1 {
            return Err(DomainError::Conflict(
                "A business needs at least one owner.".into(),
            ));
        }
    }
    let txn = crate::tx::begin_write(db).await?;
    crate::routing_setup::teams::forget_member(&txn, principal.business_id, user_id).await?;
    membership::Entity::delete_by_id(m.id).exec(&txn).await?;
    txn.commit().await?;
    events.publish(
        principal.business_id,
        BusinessEventKind::MemberRemoved,
        user_id,
    );
    events.revoke(Revocation::MemberRemoved {
        business_id: principal.business_id,
        user_id,
    });
    Ok(())
}
