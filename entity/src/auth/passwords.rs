//! Password hashing with argon2id (PHC strings, parameters stored with each hash).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::validate::NewPassword;
use crate::DomainError;

/// Hashes a new password with argon2id and a random salt.
///
/// # Errors
/// `Internal` if the hasher fails (it does not for valid input).
pub fn hash(password: &NewPassword) -> Result<String, DomainError> {
    hash_bytes(password.expose().as_bytes())
}

fn hash_bytes(password: &[u8]) -> Result<String, DomainError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::Internal(format!("hashing a password: {e}")))
}

/// Whether `candidate` matches the stored PHC `hash`. A malformed hash never matches.
pub fn verify(candidate: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid hash of a random password, verified against when an account does not exist
/// so that "no such account" takes as long as "wrong password".
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_bytes(crate::auth::secrets::random_token(24).as_bytes()).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hash_and_verify() {
        let pw = NewPassword::parse("p", "correct horse battery").unwrap();
        let h = hash(&pw).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("anything", "not a hash"));
        assert!(!verify("anything", dummy_hash()));
    }
}
