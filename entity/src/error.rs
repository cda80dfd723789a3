//! The one domain error, mapped once per edge (HTTP status, GraphQL `code`, form errors).

use crate::types::{ErrorCode, FieldError};

/// Everything a domain operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// No valid credentials (missing, expired or revoked session / key).
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist — or belongs to another tenant, which looks the same. Holds
    /// what it is, in lower case ("team"); the message is a sentence
    /// ([`crate::types::not_found_message`]).
    #[error("{}", crate::types::not_found_message(.0))]
    NotFound(&'static str),
    /// Input refused; each field says why.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),
    /// The request collides with existing state (e.g. an email already taken).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; retry after the given number of seconds.
    #[error("too many attempts, try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// A database failure; the cause is logged, never shown.
    #[error("internal error")]
    Db(#[from] sea_orm::DbErr),
    /// Any other internal failure; the cause is logged, never shown.
    #[error("internal error")]
    Internal(String),
}

impl DomainError {
    /// A validation error on one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// The stable code clients switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Validation(_) => ErrorCode::Validation,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Db(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The message safe to show a user; internal causes are logged here, once.
    pub fn public_message(&self) -> String {
        match self {
            Self::Db(e) => {
                tracing::error!(error = %e, "database error");
                "Something went wrong on our side; please try again.".to_owned()
            }
            Self::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "Something went wrong on our side; please try again.".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// Field errors, when this is a validation error.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Validation(v) => v,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DomainError;

    #[test]
    fn not_found_reads_as_a_sentence() {
        for (what, said) in [
            ("team", "This team does not exist (any more)."),
            ("API key", "This API key does not exist (any more)."),
        ] {
            let e = DomainError::NotFound(what);
            assert_eq!(e.public_message(), said);
            assert!(said.starts_with(char::is_uppercase) && said.ends_with('.'));
        }
    }
}
