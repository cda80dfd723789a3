//! Server functions: the browser's front door to the domain.
//!
//! Each one is a thin adapter: extract the request's services and principal, call one
//! `entity` function, map its result. Endpoints are stable (`/api/<name>`) so logs, tests
//! and the non-JavaScript form posts all name the same URL.

pub mod account;
pub mod domains;
pub mod invitations;
pub mod keys;
pub mod members;

pub use account::*;
pub use domains::*;
pub use invitations::*;
pub use keys::*;
pub use members::*;
