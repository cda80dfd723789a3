//! Server functions: the browser's front door to the domain.
//!
//! Each one is a thin adapter: extract the request's services and principal, call one
//! `entity` function, map its result. Endpoints are stable (`/api/<name>`) so logs, tests
//! and the non-JavaScript form posts all name the same URL.

pub mod account;
pub mod call_records;
pub mod callbacks;
pub mod calls;
pub mod contacts;
pub mod domains;
pub mod invitations;
pub mod keys;
pub mod members;
pub mod messages;
pub mod rewards;
pub mod routing;
pub mod schedules;
pub mod webhooks;

pub use account::*;
pub use call_records::*;
pub use callbacks::*;
pub use calls::*;
pub use contacts::*;
pub use domains::*;
pub use invitations::*;
pub use keys::*;
pub use members::*;
pub use messages::*;
pub use rewards::*;
pub use routing::*;
pub use schedules::*;
pub use webhooks::*;
