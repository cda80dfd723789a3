//! Returning browsers: a caller who left an email on a business's call page is remembered
//! by that business, in that browser, until they say "forget me".
//!
//! The memory is a cookie per business (`dc_known_<business id>`, HttpOnly, long-lived)
//! holding a signed token (the key ring's, audience [`AUD_REMEMBERED`]) whose subject is the
//! business and whose claim is the email. It is per business so that calling one business
//! never tells another who the caller is; signed so that nobody can claim to be someone
//! else's email by writing a cookie. The next visit's caller identity carries the email,
//! so the call is matched to the same contact ([`super::matching`]).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::tokens::Keyring;
use crate::DomainError;

/// The audience of remembered-caller tokens.
pub const AUD_REMEMBERED: &str = "domaincall-remembered";
/// How long a browser stays remembered (renewed on every call that leaves the email).
pub const REMEMBER_FOR: chrono::Duration = chrono::Duration::days(365);
const PREFIX: &str = "dc_known_";

#[derive(Serialize, Deserialize)]
struct Remembered {
    email: String,
}

/// The cookie that remembers the caller for `business_id`.
#[must_use]
pub fn cookie_name(business_id: Uuid) -> String {
    format!("{PREFIX}{}", business_id.simple())
}

/// The signed token remembering `email` as this browser's caller for `business_id`.
///
/// # Errors
/// `Internal` if signing fails.
pub fn remember(keys: &Keyring, business_id: Uuid, email: &str) -> Result<String, DomainError> {
    let email = email.trim().to_lowercase();
    keys.sign(
        AUD_REMEMBERED,
        &business_id.to_string(),
        REMEMBER_FOR,
        Remembered { email },
    )
}

/// The email `token` remembers for `business_id`; `None` for a token that is tampered,
/// expired, or made for another business.
#[must_use]
pub fn recall(keys: &Keyring, business_id: Uuid, token: &str) -> Option<String> {
    let verified = keys.verify::<Remembered>(AUD_REMEMBERED, token).ok()?;
    (verified.subject == business_id.to_string()).then_some(verified.claims.email)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tokens::SigningKey;

    fn ring(secret: &[u8]) -> Keyring {
        let key = SigningKey {
            kid: "k1".into(),
            secret: secret.to_vec(),
        };
        Keyring::new("test", vec![key]).expect("a ring")
    }

    #[test]
    fn a_remembered_email_is_recalled_for_its_business_only() {
        let keys = ring(b"0123456789abcdef0123456789abcdef");
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let token = remember(&keys, a, " Alice@Example.com ").expect("signed");
        assert_eq!(
            recall(&keys, a, &token).as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(
            recall(&keys, b, &token),
            None,
            "another business learns nothing"
        );
        assert_ne!(cookie_name(a), cookie_name(b));
    }

    #[test]
    fn a_tampered_or_foreign_token_is_nobody() {
        let keys = ring(b"0123456789abcdef0123456789abcdef");
        let other = ring(b"fedcba9876543210fedcba9876543210");
        let a = Uuid::new_v4();
        let token = remember(&other, a, "mallory@example.com").expect("signed");
        assert_eq!(recall(&keys, a, &token), None);
        let token = remember(&keys, a, "alice@example.com").expect("signed");
        // A character well inside the signature (the last one has bits base64 ignores).
        let at = token.len() - 10;
        let swapped = if &token[at..=at] == "A" { "B" } else { "A" };
        let forged = format!("{}{swapped}{}", &token[..at], &token[at + 1..]);
        assert_eq!(recall(&keys, a, &forged), None);
        assert_eq!(recall(&keys, a, "not a token"), None);
    }
}
