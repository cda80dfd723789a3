//! GraphQL object types: thin views over the entity crate's wire types.

use async_graphql::{Enum, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::types as wire;

/// A member's role in a business.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Role {
    Owner,
    Admin,
    Agent,
}

impl From<wire::Role> for Role {
    fn from(r: wire::Role) -> Self {
        match r {
            wire::Role::Owner => Self::Owner,
            wire::Role::Admin => Self::Admin,
            wire::Role::Agent => Self::Agent,
        }
    }
}

impl From<Role> for wire::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => Self::Owner,
            Role::Admin => Self::Admin,
            Role::Agent => Self::Agent,
        }
    }
}

/// The signed-in user.
#[derive(SimpleObject)]
pub struct User {
    pub id: ID,
    pub email: String,
    /// Every business the user belongs to, with their role.
    pub businesses: Vec<Business>,
}

/// A business (the tenant), as seen by one of its members.
#[derive(SimpleObject, Clone)]
pub struct Business {
    pub id: ID,
    pub name: String,
    /// The viewer's role in it.
    pub role: Role,
}

impl From<wire::BusinessView> for Business {
    fn from(b: wire::BusinessView) -> Self {
        Self {
            id: ID(b.id),
            name: b.name,
            role: b.role.into(),
        }
    }
}

/// A member of the current business.
#[derive(SimpleObject)]
pub struct Member {
    pub user_id: ID,
    pub email: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

impl From<wire::MemberView> for Member {
    fn from(m: wire::MemberView) -> Self {
        Self {
            user_id: ID(m.user_id),
            email: m.email,
            role: m.role.into(),
            joined_at: m.joined_at,
        }
    }
}

/// A pending invitation.
#[derive(SimpleObject)]
pub struct Invitation {
    pub id: ID,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<wire::InvitationView> for Invitation {
    fn from(i: wire::InvitationView) -> Self {
        Self {
            id: ID(i.id),
            email: i.email,
            role: i.role.into(),
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// An API key (without its secret).
#[derive(SimpleObject)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    /// The first characters of the key, enough to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

impl From<wire::ApiKeyView> for ApiKey {
    fn from(k: wire::ApiKeyView) -> Self {
        Self {
            id: ID(k.id),
            name: k.name,
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked: k.revoked,
        }
    }
}

/// A new API key and its secret — shown this once.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// A session token and who it belongs to.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user_id: ID,
    pub business_id: ID,
}
