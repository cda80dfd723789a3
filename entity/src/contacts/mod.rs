//! CRM contacts (the patent's claim 4): the people and companies who call a business,
//! matched on every call request, with their purchases, notes and client type.
//!
//! - [`tiers`] (client types and the default rules), [`values`] (what people type),
//!   [`card`] (the screen pop inside `incoming`), [`views`] and [`export`] (CSV rows) are
//!   pure and compile to wasm.
//! - [`store`] reads, searches and edits contacts; [`notes`] holds notes and the
//!   timeline; [`purchases`] records purchases idempotently; [`merge`] joins two contacts;
//!   [`rules`] holds a business's own tier thresholds; [`matching`] matches a caller to a
//!   contact (read on the call path, cached by the call directory; written by the call
//!   records writer); [`remembered`] recognises a returning browser. Every query is scoped to the
//!   principal's business, and every change publishes `ContactsChanged`.

pub mod card;
pub mod export;
pub mod tiers;
pub mod values;
pub mod views;

#[cfg(feature = "db")]
pub mod matching;
#[cfg(feature = "db")]
pub mod merge;
#[cfg(feature = "db")]
pub mod notes;
#[cfg(feature = "db")]
pub mod purchases;
#[cfg(feature = "db")]
pub mod remembered;
#[cfg(feature = "db")]
pub mod rules;
#[cfg(feature = "db")]
pub mod store;

pub use card::{CachedContact, ContactCard, PurchaseSummary};
pub use tiers::{ClientType, Money, PurchaseTotals, TierRules};
pub use values::{Currency, Tags};
pub use views::{
    ContactChange, ContactFilter, ContactView, NewPurchase, NoteView, PurchaseFor, PurchaseView,
    TimelineCall, TimelineEntry, TimelineMessage, LAST_CONTACT_WINDOWS,
};
