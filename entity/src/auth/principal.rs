//! The authenticated actor of a request and the tenant it acts for.

use uuid::Uuid;

use crate::types::Role;
use crate::DomainError;

/// How the principal proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A dashboard session (its id, revocable).
    Session(Uuid),
    /// An API key (its id); it acts as the member who created it.
    ApiKey(Uuid),
}

/// A user acting for one business with their role in it. Every tenant-scoped domain
/// function takes one and scopes its queries by `business_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub business_id: Uuid,
    pub role: Role,
    pub credential: Credential,
}

impl Principal {
    /// Owners and admins only.
    ///
    /// # Errors
    /// `Forbidden` for agents.
    pub fn require_manager(&self) -> Result<(), DomainError> {
        if self.role.can_manage() {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "Only owners and admins can do this.".into(),
            ))
        }
    }

    /// Owners only.
    ///
    /// # Errors
    /// `Forbidden` for admins and agents.
    pub fn require_owner(&self) -> Result<(), DomainError> {
        if self.role == Role::Owner {
            Ok(())
        } else {
            Err(DomainError::Forbidden("Only owners can do this.".into()))
        }
    }
}
