//! GraphQL object types: thin views over the entity crate's wire types.

use async_graphql::{Enum, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::calls::history::{CallDetail, CallEventView, CallRecordView};
use entity::types as wire;

/// A member's role in a business.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Role {
    Owner,
    Admin,
    Agent,
}

impl From<wire::Role> for Role {
    fn from(r: wire::Role) -> Self {
        match r {
            wire::Role::Owner => Self::Owner,
            wire::Role::Admin => Self::Admin,
            wire::Role::Agent => Self::Agent,
        }
    }
}

impl From<Role> for wire::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => Self::Owner,
            Role::Admin => Self::Admin,
            Role::Agent => Self::Agent,
        }
    }
}

/// The signed-in user.
#[derive(SimpleObject)]
pub struct User {
    pub id: ID,
    pub email: String,
    /// How the user is addressed (null: by email).
    pub display_name: Option<String>,
    /// Every business the user belongs to, with their role.
    pub businesses: Vec<Business>,
}

/// A business (the tenant), as seen by one of its members.
#[derive(SimpleObject, Clone)]
pub struct Business {
    pub id: ID,
    pub name: String,
    /// The viewer's role in it.
    pub role: Role,
}

impl From<wire::BusinessView> for Business {
    fn from(b: wire::BusinessView) -> Self {
        Self {
            id: ID(b.id),
            name: b.name,
            role: b.role.into(),
        }
    }
}

/// A member of the current business.
#[derive(SimpleObject)]
pub struct Member {
    pub user_id: ID,
    pub email: String,
    /// The name they chose (null: they are shown by email).
    pub display_name: Option<String>,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

impl From<wire::MemberView> for Member {
    fn from(m: wire::MemberView) -> Self {
        Self {
            user_id: ID(m.user_id),
            email: m.email,
            display_name: m.display_name,
            role: m.role.into(),
            joined_at: m.joined_at,
        }
    }
}

/// A pending invitation.
#[derive(SimpleObject)]
pub struct Invitation {
    pub id: ID,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<wire::InvitationView> for Invitation {
    fn from(i: wire::InvitationView) -> Self {
        Self {
            id: ID(i.id),
            email: i.email,
            role: i.role.into(),
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// An API key (without its secret).
#[derive(SimpleObject)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    /// The first characters of the key, enough to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

impl From<wire::ApiKeyView> for ApiKey {
    fn from(k: wire::ApiKeyView) -> Self {
        Self {
            id: ID(k.id),
            name: k.name,
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked: k.revoked,
        }
    }
}

/// A new API key and its secret — shown this once.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// A session token and who it belongs to.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user_id: ID,
    pub business_id: ID,
}

/// Where a sign-up stands after `signUp`.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SignUpStatus {
    /// An email went to the address: a link that finishes the sign-up (valid 24 hours,
    /// once), or, when the address has an account already, a note saying so to its owner.
    CheckYourInbox,
}

/// What `signUp` answers — the same whether or not the email already has an account.
#[derive(SimpleObject)]
pub struct SignUpStarted {
    pub status: SignUpStatus,
    /// The normalised address the email went to.
    pub email: String,
}

impl From<wire::SignUpStarted> for SignUpStarted {
    fn from(s: wire::SignUpStarted) -> Self {
        Self {
            status: SignUpStatus::CheckYourInbox,
            email: s.email,
        }
    }
}

/// Where a domain stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum DomainStatus {
    /// Waiting for its TXT record to be seen.
    Pending,
    /// Proven; its call page is online.
    Verified,
    /// Its record went missing for the grace checks; call page offline.
    Revoked,
}

impl From<wire::DomainStatus> for DomainStatus {
    fn from(s: wire::DomainStatus) -> Self {
        match s {
            wire::DomainStatus::Pending => Self::Pending,
            wire::DomainStatus::Verified => Self::Verified,
            wire::DomainStatus::Revoked => Self::Revoked,
        }
    }
}

/// A domain of the current business and what to publish to prove it.
#[derive(SimpleObject)]
pub struct Domain {
    pub id: ID,
    /// ASCII (punycode) form.
    pub name: String,
    /// As people read it (Unicode).
    pub display_name: String,
    pub status: DomainStatus,
    /// Where the TXT record goes: `_domaincall.example.com`.
    pub record_name: String,
    /// Its value: `domaincall-verify=<code>`.
    pub record_value: String,
    /// The whole record in one line: `_domaincall.example.com TXT "domaincall-verify=…"`.
    pub record: String,
    /// The verified parent this domain is verified through, if any.
    pub inherited_from: Option<String>,
    /// Consecutive re-checks that found the record missing.
    pub failed_checks: i32,
    pub created_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_checked_at: Option<DateTime<Utc>>,
    /// When it is checked automatically next, if it is.
    pub next_check_at: Option<DateTime<Utc>>,
    /// The team calls to this domain ring when the caller picked no intent (`setDomainRoute`);
    /// null rings everyone.
    pub route_team_id: Option<ID>,
    /// The latest checks, newest first (only on `domain(id:)`; empty in lists).
    pub checks: Vec<DomainCheck>,
}

impl From<wire::DomainView> for Domain {
    fn from(d: wire::DomainView) -> Self {
        Self {
            id: ID(d.id),
            name: d.name,
            display_name: d.display_name,
            status: d.status.into(),
            record_name: d.record_name,
            record_value: d.record_value,
            record: d.record,
            inherited_from: d.inherited_from,
            failed_checks: d.failed_checks,
            created_at: d.created_at,
            verified_at: d.verified_at,
            revoked_at: d.revoked_at,
            last_checked_at: d.last_checked_at,
            next_check_at: d.next_check_at,
            route_team_id: d.route_team_id.map(ID),
            checks: Vec::new(),
        }
    }
}

impl From<wire::DomainDetail> for Domain {
    fn from(d: wire::DomainDetail) -> Self {
        Self {
            checks: d.checks.into_iter().map(Into::into).collect(),
            ..d.domain.into()
        }
    }
}

/// One ownership check.
#[derive(SimpleObject)]
pub struct DomainCheck {
    pub checked_at: DateTime<Utc>,
    /// `manual`, `pending` (automatic while pending) or `reverify` (periodic).
    pub trigger: String,
    /// `verified`, `no_such_domain`, `no_txt_record`, `code_mismatch`, `timeout` or
    /// `server_failure`.
    pub outcome: String,
    /// What happened and what to do next.
    pub message: String,
}

impl From<wire::DomainCheckView> for DomainCheck {
    fn from(c: wire::DomainCheckView) -> Self {
        Self {
            checked_at: c.checked_at,
            trigger: c.trigger,
            outcome: c.outcome,
            message: c.message,
        }
    }
}

/// The result of a verification.
#[derive(SimpleObject)]
pub struct Verification {
    pub domain: Domain,
    pub verified: bool,
    /// The check's outcome code (see `DomainCheck.outcome`; `inherited` for subdomains
    /// verified through a parent).
    pub outcome: String,
    /// What happened and what to do next.
    pub message: String,
}

impl From<wire::VerificationResult> for Verification {
    fn from(v: wire::VerificationResult) -> Self {
        Self {
            domain: v.domain.into(),
            verified: v.verified,
            outcome: v.outcome,
            message: v.message,
        }
    }
}

/// Who a caller is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CallerKind {
    /// An evanescent `guest-…` identity.
    Guest,
    /// A business member calling as its verified domain.
    Domain,
}

/// A caller identity, as the callee sees it.
#[derive(SimpleObject)]
pub struct CallerIdentity {
    pub id: ID,
    pub name: String,
    pub kind: CallerKind,
    /// Whether the name is a verified domain.
    pub verified: bool,
    /// How to show it: `verified: acme.com`, or the guest name.
    pub label: String,
    pub email: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl From<wire::CallerIdentityView> for CallerIdentity {
    fn from(c: wire::CallerIdentityView) -> Self {
        Self {
            id: ID(c.id),
            name: c.name,
            kind: match c.kind {
                wire::CallerKind::Guest => CallerKind::Guest,
                wire::CallerKind::Domain => CallerKind::Domain,
            },
            verified: c.verified,
            label: c.label,
            email: c.email,
            expires_at: c.expires_at,
        }
    }
}

/// A caller identity and its token.
#[derive(SimpleObject)]
pub struct CallerSession {
    /// Send as `Authorization: Bearer <token>` (and to the signaling socket); it expires
    /// with the identity.
    pub token: String,
    pub identity: CallerIdentity,
}

impl From<wire::CallerSession> for CallerSession {
    fn from(s: wire::CallerSession) -> Self {
        Self {
            token: s.token,
            identity: s.identity.into(),
        }
    }
}

/// The business behind a call page.
#[derive(SimpleObject)]
pub struct CallPage {
    pub business_name: String,
    /// The verified domain (ASCII).
    pub domain: String,
    /// The same, as people read it.
    pub display_domain: String,
    /// The reasons a caller may pick, in the business's order (empty: no choice offered).
    pub intents: Vec<IntentOption>,
    /// Open or closed now, today's hours and the next opening, or the out-of-office
    /// message; null when the business set neither hours nor out-of-office.
    pub opening: Option<super::schedules::OpeningStatus>,
}

/// One of a business's intents as a caller sees it.
#[derive(SimpleObject)]
pub struct IntentOption {
    /// Send it as the call request's `intent`.
    pub id: ID,
    pub label: String,
}

impl From<wire::CallPageInfo> for CallPage {
    fn from(c: wire::CallPageInfo) -> Self {
        Self {
            business_name: c.business_name,
            domain: c.domain,
            display_domain: c.display_domain,
            intents: c
                .intents
                .into_iter()
                .map(|i| IntentOption {
                    id: ID(i.id.to_string()),
                    label: i.label,
                })
                .collect(),
            opening: c.hours.map(Into::into),
        }
    }
}

/// A call to the business: who called which domain, how long they waited, how it ended.
#[derive(SimpleObject)]
pub struct Call {
    pub id: ID,
    /// The business domain called.
    pub domain: String,
    /// The intent the caller named, if any.
    pub intent: Option<ID>,
    /// That intent's label (null when there was none or it has been deleted since).
    pub intent_label: Option<String>,
    /// `voice`, `video`, `chat` or `data`.
    pub mode: String,
    /// The caller's verified domain or guest name.
    pub caller_name: String,
    /// Whether the caller proved they own `caller_name`.
    pub caller_verified: bool,
    /// `ringing`, `connected` or `ended`.
    pub state: String,
    /// Why it ended (`hung_up_by_caller`, `missed`, …; see docs/signaling.md), once ended.
    pub end_reason: Option<String>,
    /// Why nobody could be rung, when it ended `unavailable`.
    pub unavailable_reason: Option<String>,
    /// How it went, for people: "Hung up by caller", "Missed", "Unavailable: no agents
    /// online", "In progress"…
    pub outcome: String,
    pub requested_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The member who answered.
    pub answered_by: Option<ID>,
    /// Their email (null when nobody answered or they have left the business).
    pub answered_by_email: Option<String>,
    /// Their display name, else their email (null like `answeredByEmail`).
    pub answered_by_name: Option<String>,
    /// Request → accept, in milliseconds (null when never answered).
    pub wait_ms: Option<i64>,
    /// Accept → end, in milliseconds (null until an answered call ends).
    pub duration_ms: Option<i64>,
    /// What the answering agent wrote down after the call.
    pub notes: Option<String>,
    /// The CRM contact the call was matched to (`contact(id:)`), set a moment after the
    /// request; null for callers nobody can recognise (a guest without email).
    pub contact_id: Option<ID>,
    /// That contact's name.
    pub contact_name: Option<String>,
    /// Whether a member was calling the caller back (through a callback's link).
    pub callback: bool,
    /// The call's timeline, oldest first (only on `call(id:)`; empty in lists).
    pub events: Vec<CallEvent>,
}

impl From<CallRecordView> for Call {
    fn from(c: CallRecordView) -> Self {
        Self {
            id: ID(c.id),
            domain: c.domain,
            intent: c.intent_id.map(ID),
            intent_label: c.intent_label,
            mode: c.mode,
            caller_name: c.caller_name,
            caller_verified: c.caller_verified,
            state: c.state,
            end_reason: c.end_reason,
            unavailable_reason: c.unavailable_reason,
            outcome: c.outcome,
            requested_at: c.requested_at,
            answered_at: c.answered_at,
            ended_at: c.ended_at,
            answered_by: c.answered_by.map(ID),
            answered_by_email: c.answered_by_email,
            answered_by_name: c.answered_by_name,
            wait_ms: c.wait_ms,
            duration_ms: c.duration_ms,
            notes: c.notes,
            contact_id: c.contact_id.map(ID),
            contact_name: c.contact_name,
            callback: c.callback,
            events: Vec::new(),
        }
    }
}

impl From<CallDetail> for Call {
    fn from(d: CallDetail) -> Self {
        Self {
            events: d.events.into_iter().map(Into::into).collect(),
            ..d.call.into()
        }
    }
}

/// One step of a call: requested, offered, accepted, transferred, a chat message, ended…
#[derive(SimpleObject)]
pub struct CallEvent {
    pub at: DateTime<Utc>,
    /// `requested`, `offered`, `rejected`, `accepted`, `transfer_offered`,
    /// `transfer_failed`, `transferred`, `chat` or `ended`.
    pub kind: String,
    /// Who acted: `caller`, `agent` or `server`.
    pub actor: String,
    /// The member who acted, when one did (for chat: the agent on the call then).
    pub actor_user_id: Option<ID>,
    /// Their email, while they are a member.
    pub actor_email: Option<String>,
    /// Their display name, else their email, while they are a member.
    pub actor_name: Option<String>,
    /// What happened, in one sentence.
    pub summary: String,
    /// The message, for `chat` events.
    pub text: Option<String>,
}

impl From<CallEventView> for CallEvent {
    fn from(e: CallEventView) -> Self {
        Self {
            at: e.at,
            kind: e.kind,
            actor: e.actor,
            actor_user_id: e.actor_user_id.map(ID),
            actor_email: e.actor_email,
            actor_name: e.actor_name,
            summary: e.summary,
            text: e.text,
        }
    }
}
