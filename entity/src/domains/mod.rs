//! Domains: a business's domain name is its phone line, and a TXT record proves it owns it.
//!
//! [`DomainName`] (parsing and normalising what people type) is pure and compiles to wasm so
//! the browser can pre-validate; everything else needs the `db` feature: the DNS lookups
//! (`verify`), the check schedule (`policy`), the business's domains (`manage`), recording
//! checks (`record`), the team calls without an intent ring (`route`), the background
//! checks (`sweep`) and finding the business behind a
//! call page (`call_page`).

mod name;
pub use name::{DomainName, DomainNameError, MAX_LABEL_LEN, MAX_NAME_LEN, TXT_RECORD_LABEL};

#[cfg(feature = "db")]
mod call_page;
#[cfg(feature = "db")]
mod checker;
#[cfg(feature = "db")]
mod manage;
#[cfg(feature = "db")]
mod notify;
#[cfg(feature = "db")]
mod policy;
#[cfg(feature = "db")]
mod record;
#[cfg(feature = "db")]
mod route;
#[cfg(feature = "db")]
mod sweep;
#[cfg(feature = "db")]
mod verify;

#[cfg(feature = "db")]
pub use call_page::{
    call_page, call_page_business, has_call_page, host_without_port, verified_domains_of,
};
#[cfg(feature = "db")]
pub use checker::Checker;
#[cfg(feature = "db")]
pub use manage::{add, detail, list, remove, verify, HISTORY_LEN};
#[cfg(feature = "db")]
pub use policy::{DomainPolicy, PENDING_WINDOW};
#[cfg(feature = "db")]
pub(crate) use record::is_unique_violation;
#[cfg(feature = "db")]
pub use record::Trigger;
#[cfg(feature = "db")]
pub(crate) use route::clear_team;
#[cfg(feature = "db")]
pub use route::set_route;
#[cfg(feature = "db")]
pub use sweep::{run_due_checks, SweepReport};
#[cfg(feature = "db")]
pub use verify::{
    authorisation_code, expected_record, CheckOutcome, DnsConfigError, Verifier, TXT_VALUE_PREFIX,
};
