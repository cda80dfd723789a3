//! Domains: a business's domain name is its phone line, and a TXT record proves it owns it.
//!
//! [`DomainName`] (parsing and normalising what people type) is pure and compiles to wasm so
//! the browser can pre-validate; the DNS lookups in `verify` need the `db` feature (a tokio
//! server).

mod name;
pub use name::{DomainName, DomainNameError, MAX_LABEL_LEN, MAX_NAME_LEN, TXT_RECORD_LABEL};

#[cfg(feature = "db")]
mod verify;
#[cfg(feature = "db")]
pub use verify::{
    authorisation_code, expected_record, CheckOutcome, DnsConfigError, Verifier, TXT_VALUE_PREFIX,
};
