//! The bundle of long-lived handles every front door (GraphQL, server functions, the
//! signaling socket) passes to the domain functions.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::rate_limit::{HitLimiter, SignInLimiter};
use crate::auth::signup::SignUpLimiter;
use crate::auth::tokens::Keyring;
use crate::callers::CallerPolicy;
use crate::domains::Checker;
use crate::events::EventBus;
use crate::outbox::Outbox;

/// Shared services; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub keys: Arc<Keyring>,
    pub outbox: Arc<dyn Outbox>,
    pub limiter: Arc<SignInLimiter>,
    /// Business events and revocations (the bus every publisher and follower shares).
    pub events: Arc<dyn EventBus>,
    /// The public base URL (no trailing slash), for links in emails.
    pub public_url: String,
    /// Whether cookies get the `Secure` attribute (public URL is https).
    pub secure_cookies: bool,
    /// How long a dashboard session lasts.
    pub session_ttl: chrono::Duration,
    /// Domain ownership checks (DNS verifier, schedule, revocation emails).
    pub domains: Checker,
    /// How caller identities are made.
    pub callers: CallerPolicy,
    /// New anonymous caller identities per client address.
    pub guest_limiter: Arc<HitLimiter>,
    /// Sign-ups per client address and per target email.
    pub signup_limiter: Arc<SignUpLimiter>,
    /// Invitations a business may send in any 24 hours.
    pub invitations_per_day: u32,
    /// Which webhook endpoint addresses may be registered (the rest is checked at delivery).
    pub webhook_targets: crate::webhooks::TargetPolicy,
    /// How long a "call back now" link works (`links::DEFAULT_TTL` unless configured).
    pub callback_link_ttl: chrono::Duration,
}
