//! The one error type every server function returns.
//!
//! It carries exactly what a form needs: a stable code, a message that is safe to show, and
//! the per-field reasons of a validation failure. It is built on the server from a
//! `DomainError` (never from its raw cause) and travels to the browser as JSON, so the
//! same value drives the server-rendered page and the hydrated one.

use entity::types::{ErrorCode, FieldError};
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// Shown whenever the real cause must stay on the server.
const SOMETHING_WENT_WRONG: &str = "Something went wrong on our side; please try again.";

/// A refusal or failure of a server function, safe to display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// What kind of failure this is (clients switch on it).
    pub code: ErrorCode,
    /// A message for people; never an internal cause.
    pub message: String,
    /// Why individual fields were refused (validation errors only).
    #[serde(default)]
    pub fields: Vec<FieldError>,
}

impl AppError {
    /// An error without field details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// The generic "our fault" error.
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, SOMETHING_WENT_WRONG)
    }

    /// Something addressed by id does not exist (or belongs to another business).
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, entity::types::not_found_message(what))
    }

    /// Whether the request lacked a valid session.
    pub fn is_unauthenticated(&self) -> bool {
        self.code == ErrorCode::Unauthenticated
    }

    /// The message for `field`, if that field was refused.
    pub fn field(&self, field: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.clone())
    }

    /// What to show above a form whose fields are `known`: the message when no field
    /// error can be shown next to its field, plus any field errors the form has no place for.
    pub fn general(&self, known: &[&str]) -> Option<String> {
        if self.fields.is_empty() {
            return Some(self.message.clone());
        }
        let orphans: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| !known.contains(&f.field.as_str()))
            .map(|f| f.message.as_str())
            .collect();
        (!orphans.is_empty()).then(|| orphans.join(" "))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        leptos::logging::error!("server function failed: {value}");
        match value {
            ServerFnErrorErr::Request(_) => Self::new(
                ErrorCode::Internal,
                "We could not reach domaincall. Check your connection and try again.",
            ),
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => Self::new(
                ErrorCode::Validation,
                "Part of the form was missing or not understood; reload the page and try again.",
            ),
            _ => Self::internal(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<entity::DomainError> for AppError {
    fn from(e: entity::DomainError) -> Self {
        Self {
            code: e.code(),
            message: e.public_message(),
            fields: e.field_errors().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(field: &str, message: &str) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        }
    }

    #[test]
    fn general_message_only_when_no_field_can_show_it() {
        let plain = AppError::new(ErrorCode::Conflict, "taken");
        assert_eq!(plain.general(&["email"]), Some("taken".to_owned()));

        let e = AppError {
            code: ErrorCode::Validation,
            message: "a; b".to_owned(),
            fields: vec![field("email", "a"), field("other", "b")],
        };
        assert_eq!(e.field("email"), Some("a".to_owned()));
        assert_eq!(e.general(&["email"]), Some("b".to_owned()));
        assert_eq!(e.general(&["email", "other"]), None);
    }

    #[test]
    fn transport_failures_never_show_their_cause() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "connection refused at 10.0.0.3".to_owned(),
        ));
        assert_eq!(e.code, ErrorCode::Internal);
        assert!(!e.message.contains("10.0.0.3"));
    }

    #[test]
    fn round_trips_as_json() {
        let e = AppError {
            code: ErrorCode::Validation,
            message: "m".to_owned(),
            fields: vec![field("name", "n")],
        };
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(serde_json::from_str::<AppError>(&json).ok(), Some(e));
    }
}
