//! Random secrets and their one-way digests (for tokens stored hashed).

use rand::{distributions::Alphanumeric, Rng};
use sha2::{Digest, Sha256};

/// A random URL-safe token of `bytes` bytes of entropy (base64url, no padding).
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill(&mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A random alphanumeric string of `len` characters.
pub fn random_alnum(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// The hex SHA-256 of a high-entropy secret (safe for random tokens, not for passwords).
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of two digests.
pub fn digests_match(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
