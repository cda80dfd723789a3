//! Everything an ownership check needs besides the database, shared by the request
//! handlers (the "Verify" button) and the background checks.

use std::sync::Arc;

use super::{DomainPolicy, Verifier};
use crate::events::EventBus;
use crate::outbox::Outbox;

/// The DNS verifier, the check schedule, and where revocation emails go.
#[derive(Clone)]
pub struct Checker {
    pub verifier: Verifier,
    pub policy: DomainPolicy,
    pub outbox: Arc<dyn Outbox>,
    pub events: Arc<dyn EventBus>,
    /// The public base URL (no trailing slash), for links in emails.
    pub public_url: String,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("verifier", &self.verifier)
            .field("policy", &self.policy)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}
