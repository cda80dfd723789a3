//! Caller identities: who is on the other end of a call.
//!
//! A caller without an account gets an *evanescent* identity `guest-<random>.<caller zone>`
//! that expires (10 minutes to 24 hours, 1 hour by default), with a caller token (a JWT of
//! its own audience) that expires with it. A member of a business with a verified domain
//! may call as that domain instead; the callee then sees `verified: acme.com`. Expired
//! identities are removed by a job; their tokens are refused from the moment they expire.

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{prelude::*, ActiveValue::Set};
use serde::{Deserialize, Serialize};

use crate::auth::tokens::Keyring;
use crate::auth::Principal;
use crate::entities::{caller_identity, domain};
use crate::types::{CallerIdentityView, CallerKind, CallerSession, DomainStatus};
use crate::validate::EmailAddress;
use crate::DomainError;

/// The audience of caller tokens (never accepted as a dashboard session, and vice versa).
pub const AUD_CALLER: &str = "domaincall-caller";

/// The cookie holding a caller token: set by the call page, read by the signaling hub at
/// the `/ws` upgrade (browsers cannot put headers on a WebSocket).
pub const CALLER_COOKIE: &str = "dc_caller";
/// The shortest identity lifetime that can be configured.
pub const MIN_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// The longest identity lifetime that can be configured.
pub const MAX_TTL: chrono::Duration = chrono::Duration::hours(24);
/// New guest identities one client address may ask for per [`GUEST_WINDOW`].
pub const GUESTS_PER_CLIENT: usize = 30;
/// The window of [`GUESTS_PER_CLIENT`].
pub const GUEST_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);
/// How many random characters follow `guest-` (36^10 ≈ 3.7·10^15 names).
const GUEST_RANDOM_LEN: usize = 10;

/// How caller identities are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerPolicy {
    /// The zone guest names live under, e.g. `guest.domaincall.example`.
    pub zone: String,
    /// How long an identity (and its token) lives.
    pub ttl: chrono::Duration,
}

impl CallerPolicy {
    /// A policy with a lifetime within [`MIN_TTL`]..=[`MAX_TTL`].
    ///
    /// # Errors
    /// A message when the lifetime is out of range or the zone is not a host name.
    pub fn new(zone: &str, ttl: chrono::Duration) -> Result<Self, String> {
        if !(MIN_TTL..=MAX_TTL).contains(&ttl) {
            return Err("the caller identity lifetime must be from 10 minutes to 24 hours".into());
        }
        let zone = zone.trim().trim_end_matches('.').to_ascii_lowercase();
        let valid = !zone.is_empty()
            && zone.len() <= 200
            && zone.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !valid {
            return Err(format!("`{zone}` is not a valid caller zone (a host name)"));
        }
        Ok(Self { zone, ttl })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct CallerClaims {
    name: String,
    kind: CallerKind,
}

fn kind_of(row: &caller_identity::Model) -> CallerKind {
    if row.kind == "domain" {
        CallerKind::Domain
    } else {
        CallerKind::Guest
    }
}

/// How the callee sees a caller.
#[must_use]
pub fn view(row: &caller_identity::Model) -> CallerIdentityView {
    let kind = kind_of(row);
    let verified = kind == CallerKind::Domain;
    CallerIdentityView {
        id: row.id.to_string(),
        name: row.name.clone(),
        kind,
        verified,
        label: if verified {
            format!("verified: {}", row.name)
        } else {
            row.name.clone()
        },
        email: row.email.clone(),
        expires_at: row.expires_at,
    }
}

fn guest_name(zone: &str) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let random: String = (0..GUEST_RANDOM_LEN)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect();
    format!("guest-{random}.{zone}")
}

fn session(keys: &Keyring, row: &caller_identity::Model) -> Result<CallerSession, DomainError> {
    let ttl = row.expires_at - Utc::now();
    let token = keys.sign(
        AUD_CALLER,
        &row.id.to_string(),
        ttl,
        CallerClaims {
            name: row.name.clone(),
            kind: kind_of(row),
        },
    )?;
    Ok(CallerSession {
        token,
        identity: view(row),
    })
}

fn parse_email(email: Option<&str>) -> Result<Option<String>, DomainError> {
    match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) => EmailAddress::parse("email", e)
            .map(|e| Some(e.as_ref().to_owned()))
            .map_err(|e| DomainError::Validation(vec![e])),
    }
}

/// A new evanescent identity and its token; `email` (optional) is attached to it.
///
/// # Errors
/// `Validation` for a malformed email.
pub async fn start_guest(
    db: &impl ConnectionTrait,
    keys: &Keyring,
    policy: &CallerPolicy,
    email: Option<&str>,
) -> Result<CallerSession, DomainError> {
    let email = parse_email(email)?;
    let now = Utc::now();
    let mut attempt = 0;
    let row = loop {
        attempt += 1;
        let inserted = caller_identity::ActiveModel {
            id: Set(Uuid::new_v4()),
            name: Set(guest_name(&policy.zone)),
            kind: Set("guest".to_owned()),
            email: Set(email.clone()),
            domain_id: Set(None),
            user_id: Set(None),
            created_at: Set(now),
            expires_at: Set(now + policy.ttl),
        }
        .insert(db)
        .await;
        match inserted {
            Ok(row) => break row,
            // A name collision (one in 10^15): draw again.
            Err(e) if attempt < 3 && crate::domains::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    };
    tracing::info!(caller = %row.name, "guest caller identity issued");
    session(keys, &row)
}

/// An identity calling as a verified domain of the principal's business.
///
/// # Errors
/// `NotFound` when the domain is not one of this business; `Conflict` when it is not
/// verified.
pub async fn call_as_domain(
    db: &impl ConnectionTrait,
    keys: &Keyring,
    policy: &CallerPolicy,
    principal: &Principal,
    domain_id: Uuid,
) -> Result<CallerSession, DomainError> {
    let domain = domain::Entity::find_by_id(domain_id)
        .filter(domain::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("domain"))?;
    if domain.status != DomainStatus::Verified.as_str() {
        return Err(DomainError::Conflict(format!(
            "{} is not verified: verify it before calling as it.",
            domain.name
        )));
    }
    let now = Utc::now();
    let row = caller_identity::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(domain.name.clone()),
        kind: Set("domain".to_owned()),
        email: Set(None),
        domain_id: Set(Some(domain.id)),
        user_id: Set(Some(principal.user_id)),
        created_at: Set(now),
        expires_at: Set(now + policy.ttl),
    }
    .insert(db)
    .await?;
    session(keys, &row)
}

/// The identity a caller token proves, if it is still alive (and, for a domain identity,
/// the domain is still verified).
///
/// # Errors
/// `Unauthenticated` for a bad, expired or removed identity.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    keys: &Keyring,
    token: &str,
) -> Result<caller_identity::Model, DomainError> {
    let refuse = || {
        DomainError::Unauthenticated(
            "Your caller identity has expired; start again to get a new one.".into(),
        )
    };
    let verified = keys
        .verify::<CallerClaims>(AUD_CALLER, token)
        .map_err(|_| refuse())?;
    let id = Uuid::parse_str(&verified.subject).map_err(|_| refuse())?;
    let row = crate::lookup::by_key(db, caller_identity::Entity::find_by_id(id))
        .await?
        .filter(|r| r.expires_at > Utc::now())
        .ok_or_else(refuse)?;
    if let Some(domain_id) = row.domain_id {
        let select = domain::Entity::find_by_id(domain_id)
            .filter(crate::lookup::verified(domain::Column::Status));
        let still_verified = crate::lookup::by_key(db, select).await?.is_some();
        if !still_verified {
            return Err(DomainError::Unauthenticated(format!(
                "{} is no longer verified; you cannot call as it.",
                row.name
            )));
        }
    }
    Ok(row)
}

/// Attaches an email to a caller's identity (so the business can call back).
///
/// # Errors
/// `Validation` for a malformed or empty email.
pub async fn attach_email(
    db: &impl ConnectionTrait,
    caller: &caller_identity::Model,
    email: &str,
) -> Result<CallerIdentityView, DomainError> {
    let email = parse_email(Some(email))?
        .ok_or_else(|| DomainError::invalid("email", "Enter an email address."))?;
    let mut active: caller_identity::ActiveModel = caller.clone().into();
    active.email = Set(Some(email));
    Ok(view(&active.update(db).await?))
}

/// Takes the email off a caller's identity ("forget me" on the call page): its calls are
/// nobody's from now on.
///
/// # Errors
/// Database failures.
pub async fn detach_email(
    db: &impl ConnectionTrait,
    caller: &caller_identity::Model,
) -> Result<CallerIdentityView, DomainError> {
    let mut active: caller_identity::ActiveModel = caller.clone().into();
    active.email = Set(None);
    Ok(view(&active.update(db).await?))
}

/// Removes the identities that expired before `now`; returns how many.
///
/// # Errors
/// Database failures.
pub async fn purge_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    let removed = caller_identity::Entity::delete_many()
        .filter(caller_identity::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected;
    if removed > 0 {
        tracing::info!(removed, "expired caller identities removed");
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_names_live_under_the_zone() {
        let name = guest_name("guest.example.net");
        let random = name
            .strip_prefix("guest-")
            .and_then(|r| r.strip_suffix(".guest.example.net"))
            .unwrap_or_default();
        assert_eq!(random.len(), GUEST_RANDOM_LEN);
        assert!(random
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(guest_name("z"), guest_name("z"));
    }

    #[test]
    fn lifetimes_are_bounded() {
        assert!(CallerPolicy::new("guest.example.net", chrono::Duration::minutes(9)).is_err());
        assert!(CallerPolicy::new("guest.example.net", chrono::Duration::hours(25)).is_err());
        assert!(CallerPolicy::new("guest.example.net", chrono::Duration::minutes(10)).is_ok());
        assert!(CallerPolicy::new("guest.example.net", chrono::Duration::hours(24)).is_ok());
    }

    #[test]
    fn zones_are_host_names() {
        let ok = CallerPolicy::new("Guest.Example.NET.", chrono::Duration::hours(1));
        assert_eq!(ok.map(|p| p.zone), Ok("guest.example.net".to_owned()));
        assert!(CallerPolicy::new("bad zone", chrono::Duration::hours(1)).is_err());
        assert!(CallerPolicy::new("", chrono::Duration::hours(1)).is_err());
    }
}
