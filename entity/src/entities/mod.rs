//! sea-orm entities: data only. The rules on them live in the sibling modules of the crate.

pub mod api_key;
pub mod business;
pub mod invitation;
pub mod membership;
pub mod session;
pub mod user;
