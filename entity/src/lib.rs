//! The domaincall model crate.
//!
//! Wire types (shared with the browser, compiled to wasm) are always available; everything
//! that touches the database, crypto or the server's clock sits behind the `db` feature so
//! the server and the job workers share one implementation of every rule.

pub mod callbacks;
pub mod calls;
pub mod contacts;
pub mod csv;
pub mod domains;
pub mod messages;
pub mod net;
pub mod onboarding;
pub mod profile;
pub mod rewards;
pub mod routing_setup;
pub mod schedules;
pub mod types;
pub mod validate;
pub mod webhooks;

#[cfg(feature = "db")]
pub mod entities;
#[cfg(feature = "db")]
pub mod error;
#[cfg(feature = "db")]
pub mod mail_outbox;
#[cfg(feature = "db")]
pub mod outbox;
#[cfg(feature = "db")]
pub mod sent_emails;
#[cfg(feature = "db")]
pub use error::DomainError;
#[cfg(feature = "db")]
pub mod auth;
#[cfg(feature = "db")]
pub mod callers;
#[cfg(feature = "db")]
pub mod services;
#[cfg(feature = "db")]
pub use services::Services;
#[cfg(feature = "db")]
pub mod events;
#[cfg(feature = "db")]
pub mod lookup;
#[cfg(feature = "db")]
pub mod tx;
