//! Signed tokens (JWT, HS256 pinned) with a key ring for rotation.
//!
//! Every token names the key that signed it (`kid`); verification looks the key up in
//! the ring, so old keys can keep verifying while a new one signs. The algorithm is fixed
//! server-side: a token claiming `none` or any other algorithm is refused, and `exp`,
//! `iss`, `aud` and `sub` are required.

use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::DomainError;

/// The audience of dashboard session tokens.
pub const AUD_SESSION: &str = "domaincall-session";
/// The audience of device tokens (remember a browser that signed in successfully).
pub const AUD_DEVICE: &str = "domaincall-device";

const ALG: Algorithm = Algorithm::HS256;

/// One signing key.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.kid)
    }
}

/// The keys that verify tokens; the first one signs.
#[derive(Clone, Debug)]
pub struct Keyring {
    issuer: String,
    keys: Vec<SigningKey>,
}

/// Registered claims every token carries, plus the caller's own.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope<C> {
    sub: String,
    iss: String,
    aud: String,
    exp: i64,
    iat: i64,
    #[serde(flatten)]
    claims: C,
}

/// A verified token: its subject and its own claims.
#[derive(Debug)]
pub struct Verified<C> {
    pub subject: String,
    pub claims: C,
}

impl Keyring {
    /// A ring whose first key signs and all verify.
    ///
    /// # Errors
    /// `Internal` when `keys` is empty.
    pub fn new(issuer: impl Into<String>, keys: Vec<SigningKey>) -> Result<Self, DomainError> {
        if keys.is_empty() {
            return Err(DomainError::Internal(
                "a key ring needs at least one key".into(),
            ));
        }
        Ok(Self {
            issuer: issuer.into(),
            keys,
        })
    }

    /// The issuer written into and required from every token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs `claims` for `subject` and `audience`, valid for `ttl`.
    ///
    /// # Errors
    /// `Internal` if serialisation fails.
    pub fn sign<C: Serialize>(
        &self,
        audience: &str,
        subject: &str,
        ttl: chrono::Duration,
        claims: C,
    ) -> Result<String, DomainError> {
        let key = &self.keys[0];
        let now = chrono::Utc::now();
        let mut header = Header::new(ALG);
        header.kid = Some(key.kid.clone());
        let envelope = Envelope {
            sub: subject.to_owned(),
            iss: self.issuer.clone(),
            aud: audience.to_owned(),
            exp: (now + ttl).timestamp(),
            iat: now.timestamp(),
            claims,
        };
        encode(&header, &envelope, &EncodingKey::from_secret(&key.secret))
            .map_err(|e| DomainError::Internal(format!("signing a token: {e}")))
    }

    /// Verifies a token for `audience`: known `kid`, HS256, signature, `exp`, `iss`, `aud`.
    ///
    /// # Errors
    /// `Unauthenticated` for every kind of bad token (the reason is logged at debug).
    pub fn verify<C: DeserializeOwned>(
        &self,
        audience: &str,
        token: &str,
    ) -> Result<Verified<C>, DomainError> {
        let refuse = |why: String| {
            tracing::debug!(%why, "token refused");
            DomainError::Unauthenticated(
                "Your session is invalid or has expired; sign in again.".into(),
            )
        };
        let header = decode_header(token).map_err(|e| refuse(format!("header: {e}")))?;
        if header.alg != ALG {
            return Err(refuse(format!("algorithm {:?}", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| refuse("no kid".into()))?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| refuse(format!("unknown kid {kid}")))?;
        let mut validation = Validation::new(ALG);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        let data =
            decode::<Envelope<C>>(token, &DecodingKey::from_secret(&key.secret), &validation)
                .map_err(|e| refuse(format!("{e}")))?;
        Ok(Verified {
            subject: data.claims.sub,
            claims: data.claims.claims,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ring(kid: &str, secret: &[u8]) -> Keyring {
        Keyring::new(
            "test",
            vec![SigningKey {
                kid: kid.into(),
                secret: secret.to_vec(),
            }],
        )
        .unwrap()
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct C {
        sid: String,
    }

    #[test]
    fn round_trip_and_rotation() {
        let old = ring("k1", b"old-secret-old-secret-old-secret");
        let token = old
            .sign(
                AUD_SESSION,
                "u1",
                chrono::Duration::minutes(5),
                C { sid: "s".into() },
            )
            .unwrap();
        let v: Verified<C> = old.verify(AUD_SESSION, &token).unwrap();
        assert_eq!((v.subject.as_str(), v.claims.sid.as_str()), ("u1", "s"));
        // A rotated ring signs with k2 but still verifies k1.
        let rotated = Keyring::new(
            "test",
            vec![
                SigningKey {
                    kid: "k2".into(),
                    secret: b"new-secret-new-secret-new-secret".to_vec(),
                },
                SigningKey {
                    kid: "k1".into(),
                    secret: b"old-secret-old-secret-old-secret".to_vec(),
                },
            ],
        )
        .unwrap();
        assert!(rotated.verify::<C>(AUD_SESSION, &token).is_ok());
        // Wrong audience and expiry are refused.
        assert!(old.verify::<C>(AUD_DEVICE, &token).is_err());
        let expired = old
            .sign(
                AUD_SESSION,
                "u1",
                chrono::Duration::seconds(-5),
                C { sid: "s".into() },
            )
            .unwrap();
        assert!(old.verify::<C>(AUD_SESSION, &expired).is_err());
    }
}
