//! Sign-up by email confirmation, and its limits.
//!
//! A sign-up that created the account at once had to say "this email is taken" — which
//! tells anyone who has an account. So every valid sign-up now answers the same ("check
//! your inbox") and costs the same (one argon2 hash), and the difference goes by email to
//! the address's owner: a new address gets a single-use link (valid
//! [`CONFIRM_TTL_HOURS`], stored only as a digest) that creates the account and its
//! business and signs in; an address that already has an account gets a note that someone
//! tried, with no link that changes anything. The password is hashed once, at sign-up, and
//! the hash waits with the request.
//!
//! Sign-ups are counted in sliding windows per client address (an IPv6 client by its /64)
//! and per target email, so neither our CPU nor one inbox can be flooded; validation errors
//! are answered at once and not counted.

use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, TransactionSession, TransactionTrait};

use super::accounts::{find_by_email, insert_business, insert_user_with_hash, MAX_BUSINESS_NAME};
use super::rate_limit::HitLimiter;
use super::{emails, passwords, secrets};
use crate::entities::{business, sign_up_request, user};
use crate::outbox::Outbox;
use crate::types::{SignUpPreview, SignUpStarted};
use crate::validate::{EmailAddress, Label, NewPassword};
use crate::DomainError;

/// How long a sign-up link stays valid.
pub const CONFIRM_TTL_HOURS: i64 = 24;

/// How long used and expired requests are kept (to say why a link no longer works).
const KEEP_EXPIRED_DAYS: i64 = 7;

/// How many sign-ups are accepted in each sliding window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignUpLimits {
    /// Sign-ups per client address (`DOMAINCALL_SIGNUPS_PER_CLIENT`, default 5).
    pub per_client: usize,
    /// Sign-ups naming one email (`DOMAINCALL_SIGNUPS_PER_EMAIL`, default 3): each sends
    /// that address an email.
    pub per_email: usize,
    /// The window (one hour).
    pub window: Duration,
}

impl Default for SignUpLimits {
    fn default() -> Self {
        Self {
            per_client: 5,
            per_email: 3,
            window: Duration::from_secs(3600),
        }
    }
}

/// The sliding windows of [`SignUpLimits`]; per process.
#[derive(Debug)]
pub struct SignUpLimiter {
    clients: HitLimiter,
    emails: HitLimiter,
}

impl SignUpLimiter {
    /// A limiter enforcing `limits`.
    #[must_use]
    pub fn new(limits: SignUpLimits) -> Self {
        Self {
            clients: HitLimiter::new(limits.per_client, limits.window),
            emails: HitLimiter::new(limits.per_email, limits.window),
        }
    }

    /// Counts a sign-up from `client` for `email`, or refuses it.
    ///
    /// # Errors
    /// `RateLimited` when either window is full.
    pub fn hit(&self, client: &str, email: &EmailAddress) -> Result<(), DomainError> {
        self.clients.hit(&client_key(client))?;
        self.emails.hit(email.as_ref())
    }
}

impl Default for SignUpLimiter {
    fn default() -> Self {
        Self::new(SignUpLimits::default())
    }
}

/// The key a client address is counted under: an IPv6 address by its /64 (one customer's
/// network, whose other addresses cost nothing to use), anything else as it is.
fn client_key(client: &str) -> String {
    match client.parse::<IpAddr>().map(crate::net::canonical) {
        Ok(IpAddr::V6(v6)) => {
            let net = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(net))
        }
        Ok(v4) => v4.to_string(),
        Err(_) => client.to_owned(),
    }
}

/// What the sign-up form sends.
#[derive(Clone, Copy, Debug)]
pub struct SignUpForm<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub business_name: &'a str,
}

impl SignUpForm<'_> {
    fn parse(&self) -> Result<(EmailAddress, NewPassword, Label), DomainError> {
        match (
            EmailAddress::parse("email", self.email),
            NewPassword::parse_for("password", self.password, &[self.email, self.business_name]),
            Label::parse("businessName", self.business_name, MAX_BUSINESS_NAME),
        ) {
            (Ok(e), Ok(p), Ok(n)) => Ok((e, p, n)),
            (e, p, n) => Err(DomainError::Validation(
                [e.err(), p.err(), n.err()].into_iter().flatten().collect(),
            )),
        }
    }
}

/// Where sign-up emails go out and what their links point at.
#[derive(Clone, Copy)]
pub struct SignUpMail<'a> {
    pub outbox: &'a dyn Outbox,
    /// The public base URL (links are `<url>/signup/confirm/<token>` and `<url>/signin`).
    pub public_url: &'a str,
}

/// Starts a sign-up: checks the form, counts it against `client`'s and the email's limits,
/// hashes the password and emails the address — a confirmation link when it has no account,
/// a "someone tried" note when it has one. The answer is the same either way.
///
/// # Errors
/// `Validation` listing every bad field; `RateLimited` beyond the limits.
pub async fn request(
    db: &DatabaseConnection,
    mail: SignUpMail<'_>,
    limiter: &SignUpLimiter,
    client: &str,
    form: SignUpForm<'_>,
) -> Result<SignUpStarted, DomainError> {
    let (email, password, business_name) = form.parse()?;
    limiter.hit(client, &email)?;
    // Hashed whichever way it goes, so a taken email answers as slowly as a new one.
    let password_hash = passwords::hash(&password)?;
    let now = Utc::now();
    let txn = crate::tx::begin_write(db).await?;
    sign_up_request::Entity::delete_many()
        .filter(
            sign_up_request::Column::ExpiresAt.lt(now - chrono::Duration::days(KEEP_EXPIRED_DAYS)),
        )
        .exec(&txn)
        .await?;
    let base = mail.public_url.trim_end_matches('/');
    let message = if find_by_email(&txn, &email).await?.is_some() {
        emails::sign_up_attempt(email.as_ref(), &format!("{base}/signin"))
    } else {
        let token = secrets::random_token(32);
        sign_up_request::ActiveModel {
            id: Set(Uuid::new_v4()),
            email: Set(email.to_string()),
            password_hash: Set(password_hash),
            business_name: Set(business_name.as_ref().to_owned()),
            token_hash: Set(secrets::digest(&token)),
            created_at: Set(now),
            expires_at: Set(now + chrono::Duration::hours(CONFIRM_TTL_HOURS)),
            confirmed_at: Set(None),
        }
        .insert(&txn)
        .await?;
        emails::confirm_sign_up(
            email.as_ref(),
            &format!("{base}/signup/confirm/{token}"),
            CONFIRM_TTL_HOURS,
        )
    };
    let written = crate::mail_outbox::write(&txn, message, now).await?;
    txn.commit().await?;
    crate::mail_outbox::hand_over(db, mail.outbox, vec![written]).await;
    tracing::info!("sign-up requested");
    Ok(SignUpStarted {
        email: email.to_string(),
    })
}

fn link_refused(message: &str) -> DomainError {
    DomainError::invalid("token", message)
}

/// The request behind a link that still works.
///
/// # Errors
/// `Validation` on `token` saying whether the link is unknown, used or expired.
async fn usable(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<sign_up_request::Model, DomainError> {
    let row = sign_up_request::Entity::find()
        .filter(sign_up_request::Column::TokenHash.eq(secrets::digest(token.trim())))
        .one(db)
        .await?
        .ok_or_else(|| {
            link_refused(
                "This sign-up link is not valid. Open the whole link from the email, or sign up again.",
            )
        })?;
    if row.confirmed_at.is_some() {
        return Err(link_refused(
            "This sign-up link was already used. Sign in instead.",
        ));
    }
    if row.expires_at <= Utc::now() {
        return Err(link_refused(
            "This sign-up link has expired. Sign up again to get a new one.",
        ));
    }
    Ok(row)
}

/// What a sign-up link shows before it is used.
///
/// # Errors
/// `Validation` on `token` when the link is unknown, used or expired.
pub async fn preview(db: &impl ConnectionTrait, token: &str) -> Result<SignUpPreview, DomainError> {
    let row = usable(db, token).await?;
    Ok(SignUpPreview {
        email: row.email,
        business_name: row.business_name,
    })
}

/// Uses a sign-up link: creates the account (with the password hashed at sign-up) and its
/// business, once. The person confirming must know that password: whoever asked for the
/// link may not own the address, and its owner must not be led into finishing an account
/// whose password a stranger chose.
///
/// # Errors
/// `Validation` on `token` when the link is unknown, used or expired, on `password` when
/// it is not the one chosen at sign-up; `Conflict` when the email got an account in the
/// meantime.
pub async fn confirm<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    token: &str,
    password: &str,
) -> Result<(user::Model, business::Model), DomainError> {
    // Checked before the write transaction: a hash takes a while, and a wrong password
    // leaves the link usable.
    let pending = usable(db, token).await?;
    if !crate::auth::passwords::verify(password, &pending.password_hash) {
        return Err(DomainError::invalid(
            "password",
            "That is not the password chosen when signing up: enter that one.",
        ));
    }
    let txn = crate::tx::begin_write(db).await?;
    let row = usable(&txn, token).await?;
    // Single use: only the first confirmation flips the row.
    let flipped = sign_up_request::Entity::update_many()
        .col_expr(
            sign_up_request::Column::ConfirmedAt,
            Expr::value(Utc::now()),
        )
        .filter(sign_up_request::Column::Id.eq(row.id))
        .filter(sign_up_request::Column::ConfirmedAt.is_null())
        .exec(&txn)
        .await?;
    if flipped.rows_affected != 1 {
        return Err(link_refused(
            "This sign-up link was already used. Sign in instead.",
        ));
    }
    let email = EmailAddress::parse("email", &row.email).map_err(|e| {
        DomainError::Internal(format!(
            "stored sign-up email no longer parses: {}",
            e.message
        ))
    })?;
    let name = Label::parse("businessName", &row.business_name, MAX_BUSINESS_NAME)
        .map_err(|e| DomainError::Validation(vec![e]))?;
    if find_by_email(&txn, &email).await?.is_some() {
        return Err(DomainError::Conflict(super::accounts::EMAIL_TAKEN.into()));
    }
    let user = insert_user_with_hash(&txn, &email, row.password_hash).await?;
    let biz = insert_business(&txn, &name, user.id).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.id, business_id = %biz.id, "signed up");
    Ok((user, biz))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_network() {
        assert_eq!(client_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            client_key("2001:db8:1:2:bbbb::9"),
            client_key("2001:db8:1:2:aaaa::1")
        );
        assert_eq!(client_key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(client_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(client_key("unknown"), "unknown");
    }

    #[test]
    fn limits_per_client_and_per_email() {
        let limiter = SignUpLimiter::new(SignUpLimits {
            per_client: 2,
            per_email: 1,
            window: Duration::from_secs(60),
        });
        let ann = EmailAddress::parse("email", "ann@example.com").expect("valid");
        let bob = EmailAddress::parse("email", "bob@example.com").expect("valid");
        let cat = EmailAddress::parse("email", "cat@example.com").expect("valid");
        assert!(limiter.hit("192.0.2.1", &ann).is_ok());
        assert!(matches!(
            limiter.hit("192.0.2.2", &ann),
            Err(DomainError::RateLimited { .. })
        ));
        assert!(limiter.hit("192.0.2.1", &bob).is_ok());
        assert!(matches!(
            limiter.hit("192.0.2.1", &cat),
            Err(DomainError::RateLimited { .. })
        ));
    }
}
