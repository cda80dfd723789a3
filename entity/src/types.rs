//! Wire types shared by the server, the job workers and the browser.

use serde::{Deserialize, Serialize};

/// The stable error codes of every API edge (GraphQL `extensions.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    Validation,
    Conflict,
    RateLimited,
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Validation => "VALIDATION",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal => "INTERNAL",
        }
    }
}

/// Why one input field was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A member's role in a business; each role can do everything the ones after it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Agent => "agent",
        }
    }

    /// Parses the stored / submitted form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }

    /// Owners and admins manage members, invitations, keys and settings.
    pub fn can_manage(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

/// A business the signed-in user belongs to, with their role in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessView {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// The signed-in user and the business they are acting for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    /// How they are addressed; `None` until they choose one (then the email is used).
    #[serde(default)]
    pub display_name: Option<String>,
    pub business: BusinessView,
    pub businesses: Vec<BusinessView>,
}

/// A member of the current business.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    /// The name they chose; `None` shows the email.
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: Role,
    pub joined_at: chrono::DateTime<chrono::Utc>,
}

impl MemberView {
    /// How the member is named wherever people read it: their display name, else their email.
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.email)
    }
}

impl Me {
    /// How the signed-in user is named: their display name, else their email.
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.email)
    }
}

/// What a `NOT_FOUND` error says, as a sentence like every other message: "This team
/// does not exist (any more)." `what` names the thing as within a sentence ("API key").
/// The same words whether it never existed or belongs to another business.
pub fn not_found_message(what: &str) -> String {
    format!("This {what} does not exist (any more).")
}

/// A member's email and chosen name, for the views that name members (teams, intents, the
/// call log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberName {
    pub email: String,
    pub display_name: Option<String>,
}

impl MemberName {
    /// The display name, else the email.
    pub fn shown(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.email)
    }
}

/// A pending invitation to the current business.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// What an invitation link shows before it is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub business_name: String,
    pub email: String,
    pub role: Role,
    /// Whether an account with the invited email already exists (then accepting asks for
    /// its password instead of a new one).
    pub account_exists: bool,
}

/// What a sign-up answers: the same whether or not the email already has an account (the
/// difference goes to that address by email).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpStarted {
    /// The normalised address the email went to.
    pub email: String,
}

/// What a sign-up confirmation link shows before it is used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpPreview {
    pub email: String,
    pub business_name: String,
}

/// An API key as listed; the secret itself is shown only once, at creation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the key, enough to recognise it.
    pub prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked: bool,
}

/// A freshly created API key with its secret (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub key: ApiKeyView,
    pub secret: String,
}

type Time = chrono::DateTime<chrono::Utc>;

/// Where a domain stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainStatus {
    /// Added; waiting for its TXT record to be seen.
    Pending,
    /// Proven (by its own record or a verified parent domain); its call page is online.
    Verified,
    /// Was verified, then its record went missing for the grace checks; call page offline.
    Revoked,
}

impl DomainStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Revoked => "revoked",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "verified" => Some(Self::Verified),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// A domain of the current business, with what to publish to prove it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainView {
    pub id: String,
    /// ASCII (punycode) form, e.g. `xn--bcher-kva.example`.
    pub name: String,
    /// As people read it, e.g. `bücher.example`.
    pub display_name: String,
    pub status: DomainStatus,
    /// Where the TXT record goes: `_domaincall.example.com`.
    pub record_name: String,
    /// What it must say: `domaincall-verify=<code>`.
    pub record_value: String,
    /// Both in one line, ready to copy: `_domaincall.example.com TXT "domaincall-verify=…"`.
    pub record: String,
    /// The verified parent this domain is verified through, if any.
    pub inherited_from: Option<String>,
    /// Consecutive re-checks that found the record missing (revoked at the grace limit).
    pub failed_checks: i32,
    pub created_at: Time,
    pub verified_at: Option<Time>,
    pub revoked_at: Option<Time>,
    pub last_checked_at: Option<Time>,
    /// When it is checked automatically next, if it is.
    pub next_check_at: Option<Time>,
    /// The team calls to it ring when the caller picked no intent; `None` for everyone.
    #[serde(default)]
    pub route_team_id: Option<String>,
}

/// One ownership check of a domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainCheckView {
    pub checked_at: Time,
    /// `manual`, `pending` (automatic while pending) or `reverify` (periodic).
    pub trigger: String,
    /// `verified`, `no_such_domain`, `no_txt_record`, `code_mismatch`, `timeout`,
    /// `server_failure` or `conflict`.
    pub outcome: String,
    /// What happened and what to do next.
    pub message: String,
}

/// A domain with its check history, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainDetail {
    pub domain: DomainView,
    pub checks: Vec<DomainCheckView>,
}

/// The result of pressing "Verify".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationResult {
    pub domain: DomainView,
    pub verified: bool,
    /// The check's outcome code (see [`DomainCheckView::outcome`]).
    pub outcome: String,
    /// What happened and what to do next.
    pub message: String,
}

/// Who a caller is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallerKind {
    /// An evanescent `guest-…` identity; expires.
    Guest,
    /// A member of a business calling as its verified domain.
    Domain,
}

/// A caller's identity as the callee sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerIdentityView {
    pub id: String,
    /// `guest-x7k2m9qa.guest.example.net`, or the verified domain.
    pub name: String,
    pub kind: CallerKind,
    /// Whether the name is a verified domain.
    pub verified: bool,
    /// How to show it: `verified: acme.com` or the guest name.
    pub label: String,
    pub email: Option<String>,
    pub expires_at: Time,
}

/// A caller identity and the token that proves it (sent as `Authorization: Bearer`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerSession {
    pub token: String,
    pub identity: CallerIdentityView,
}

/// What a call page shows about the business behind a domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPageInfo {
    pub business_name: String,
    /// The ASCII form of the verified domain called.
    pub domain: String,
    pub display_domain: String,
    /// The reasons a caller may pick, in the business's order (empty: no choice offered).
    pub intents: Vec<IntentOption>,
    /// Whether at least one of the business's agents is connected and available now.
    pub online: bool,
    /// Open or closed now, today's hours and the next opening, or the out-of-office
    /// message; `None` when the business set neither hours nor out-of-office.
    #[serde(default)]
    pub hours: Option<crate::schedules::StatusView>,
    /// The email this browser left here before and is remembered by (only ever sent back
    /// to that browser); `None` for a browser the business does not know.
    #[serde(default)]
    pub remembered: Option<String>,
    /// The business's greeting for callers (its profile).
    #[serde(default)]
    pub greeting: Option<String>,
    /// Where the business's logo is served, if it has one.
    #[serde(default)]
    pub logo_url: Option<String>,
}

/// One of a business's intents as a caller picks it (and an agent sees it ring).
pub type IntentOption = crate::calls::protocol::IntentSummary;
