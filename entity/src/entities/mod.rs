//! sea-orm entities: data only. The rules on them live in the sibling modules of the crate.

pub mod api_key;
pub mod business;
pub mod call;
pub mod call_event;
pub mod callback;
pub mod caller_identity;
pub mod client_type_rule;
pub mod contact;
pub mod contact_note;
pub mod domain;
pub mod domain_check;
pub mod intent;
pub mod invitation;
pub mod membership;
pub mod out_of_office;
pub mod purchase;
pub mod schedule;
pub mod schedule_override;
pub mod session;
pub mod sign_up_request;
pub mod signed_link;
pub mod team;
pub mod team_member;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;
