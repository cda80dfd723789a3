//! The bench's data, written straight into the server's fresh database before it starts.
//!
//! Signing up 10,000 agents through the API would spend most of the run in argon2, which
//! is deliberately slow. Nothing here weakens that: the rows are the ones sign-up writes
//! (every user carries a real argon2 hash — one hash of a random password that nobody
//! knows, shared by all, so computed once), sessions are started with
//! `entity::auth::sessions::start` and caller identities with
//! `entity::callers::start_guest`, signed with the key the server is then started with.
//! The server authenticates every socket exactly as in production (token signature,
//! session row, membership). Domains are written `verified`, as the DNS check would leave
//! them; their next re-check is a day away, so the workers leave them alone.

use anyhow::{anyhow, Context};
use chrono::Utc;
use entity::auth::tokens::{Keyring, SigningKey};
use entity::entities::{business, domain, membership, user};
use entity::types::Role;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, Database, DatabaseTransaction, TransactionTrait,
};
use uuid::Uuid;

/// One business: its verified domain and one session token per agent device.
pub struct Business {
    pub domain: String,
    pub agents: Vec<String>,
}

/// One caller identity.
pub struct Caller {
    pub token: String,
    /// The identity's name, which `incoming.caller.name` shows the agents.
    pub name: String,
}

/// Everything seeded.
pub struct Seeded {
    /// Businesses whose devices only ring (the setup-latency phase and the idle load).
    pub ringing: Vec<Business>,
    /// Businesses with one device each that answer and relay (the relay phase).
    pub relay: Vec<Business>,
    pub callers: Vec<Caller>,
    pub relay_callers: Vec<Caller>,
}

/// What to create.
pub struct Plan {
    pub businesses: usize,
    pub devices: usize,
    pub callers: usize,
    pub pairs: usize,
}

/// Writes the plan into the database at `url` (already migrated).
///
/// # Errors
/// Database or signing failures.
pub async fn seed(
    url: &str,
    keys: &Keyring,
    caller_zone: &str,
    plan: &Plan,
) -> anyhow::Result<Seeded> {
    let db = Database::connect(url)
        .await
        .context("opening the database")?;
    let password = entity::validate::NewPassword::parse("password", &Uuid::new_v4().to_string())
        .map_err(|e| anyhow!("password: {e:?}"))?;
    let hash = entity::auth::passwords::hash(&password)?;
    let policy =
        entity::callers::CallerPolicy::new(caller_zone, chrono::Duration::hours(TTL_HOURS))
            .map_err(|e| anyhow!("caller policy: {e}"))?;
    let txn = db.begin().await?;
    let mut ringing = Vec::with_capacity(plan.businesses);
    for b in 0..plan.businesses {
        ringing.push(seed_business(&txn, keys, &hash, ("ring", b), plan.devices).await?);
    }
    let mut relay = Vec::with_capacity(plan.pairs);
    for b in 0..plan.pairs {
        relay.push(seed_business(&txn, keys, &hash, ("relay", b), 1).await?);
    }
    let mut callers = Vec::with_capacity(plan.callers);
    for _ in 0..plan.callers {
        callers.push(guest(&txn, keys, &policy).await?);
    }
    let mut relay_callers = Vec::with_capacity(plan.pairs);
    for _ in 0..plan.pairs {
        relay_callers.push(guest(&txn, keys, &policy).await?);
    }
    txn.commit().await?;
    db.close().await?;
    Ok(Seeded {
        ringing,
        relay,
        callers,
        relay_callers,
    })
}

/// How long the seeded sessions and caller identities live (longer than any run).
const TTL_HOURS: i64 = 2;

/// A business with a verified domain and `devices` members, one session (device) each.
async fn seed_business(
    txn: &DatabaseTransaction,
    keys: &Keyring,
    hash: &str,
    (label, b): (&str, usize),
    devices: usize,
) -> anyhow::Result<Business> {
    let now = Utc::now();
    let biz = business::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(format!("Bench {label} {b}")),
        timezone: Set("UTC".to_owned()),
        created_at: Set(now),
        greeting: Set(None),
    }
    .insert(txn)
    .await?;
    let name = format!(
        "{label}-{b}-{}.com",
        &Uuid::new_v4().simple().to_string()[..8]
    );
    domain::ActiveModel {
        id: Set(Uuid::new_v4()),
        business_id: Set(biz.id),
        name: Set(name.clone()),
        status: Set("verified".to_owned()),
        code: Set(entity::domains::authorisation_code()),
        inherited_from: Set(None),
        failed_checks: Set(0),
        revocation_notice_due: Set(false),
        created_at: Set(now),
        verified_at: Set(Some(now)),
        revoked_at: Set(None),
        last_checked_at: Set(Some(now)),
        next_check_at: Set(Some(now + chrono::Duration::days(1))),
        route_team_id: Set(None),
    }
    .insert(txn)
    .await?;
    let mut agents = Vec::with_capacity(devices);
    for m in 0..devices {
        let person = user::ActiveModel {
            id: Set(Uuid::new_v4()),
            email: Set(format!(
                "{label}-{b}-{m}-{}@example.com",
                Uuid::new_v4().simple()
            )),
            password_hash: Set(hash.to_owned()),
            display_name: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
        let role = if m == 0 { Role::Owner } else { Role::Agent };
        membership::ActiveModel {
            id: Set(Uuid::new_v4()),
            business_id: Set(biz.id),
            user_id: Set(person.id),
            role: Set(role.as_str().to_owned()),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
        let ttl = chrono::Duration::hours(TTL_HOURS);
        agents.push(entity::auth::sessions::start(txn, keys, person.id, biz.id, ttl).await?);
    }
    Ok(Business {
        domain: name,
        agents,
    })
}

/// A guest caller identity and its token.
async fn guest(
    txn: &DatabaseTransaction,
    keys: &Keyring,
    policy: &entity::callers::CallerPolicy,
) -> anyhow::Result<Caller> {
    let s = entity::callers::start_guest(txn, keys, policy, None).await?;
    Ok(Caller {
        token: s.token,
        name: s.identity.name,
    })
}

/// A fresh signing key: (`kid:secret` for `DOMAINCALL_SESSION_KEYS`, the keyring that
/// signs with it for `issuer`).
///
/// # Errors
/// When the keyring refuses the key.
pub fn signing_key(issuer: &str) -> anyhow::Result<(String, Keyring)> {
    use base64::Engine;
    use rand::RngCore;
    let mut secret = vec![0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&secret);
    let keys = Keyring::new(
        issuer,
        vec![SigningKey {
            kid: "bench".to_owned(),
            secret,
        }],
    )?;
    Ok((format!("bench:{encoded}"), keys))
}
