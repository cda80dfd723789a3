//! Session signing keys: from `DOMAINCALL_SESSION_KEYS`, or generated once and kept in
//! `<data dir>/secrets.json` so sessions survive restarts.

use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;
use entity::auth::tokens::SigningKey;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    secret: String,
}

#[derive(Serialize, Deserialize)]
struct SecretsFile {
    session_keys: Vec<StoredKey>,
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn decode(kid: &str, secret: &str) -> anyhow::Result<SigningKey> {
    let bytes = B64
        .decode(secret)
        .with_context(|| format!("key {kid}: secret is not base64url"))?;
    if bytes.len() < 32 {
        bail!("key {kid}: a signing secret needs at least 32 bytes");
    }
    Ok(SigningKey {
        kid: kid.to_owned(),
        secret: bytes,
    })
}

/// Loads the signing keys (first one signs).
///
/// # Errors
/// A malformed `DOMAINCALL_SESSION_KEYS`, or an unreadable / unwritable secrets file.
pub fn load_session_keys(
    configured: Option<&SecretString>,
    data_dir: &Path,
) -> anyhow::Result<Vec<SigningKey>> {
    if let Some(list) = configured {
        return list
            .expose_secret()
            .split(',')
            .map(|pair| {
                let (kid, secret) = pair
                    .trim()
                    .split_once(':')
                    .context("DOMAINCALL_SESSION_KEYS must look like kid:secret,kid:secret")?;
                decode(kid, secret).context("DOMAINCALL_SESSION_KEYS")
            })
            .collect();
    }
    let path = data_dir.join("secrets.json");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let file: SecretsFile =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let keys = file
            .session_keys
            .iter()
            .map(|k| decode(&k.kid, &k.secret))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if keys.is_empty() {
            bail!("{} holds no session keys", path.display());
        }
        return Ok(keys);
    }
    let kid = format!("k{}", chrono::Utc::now().format("%Y%m%d%H%M%S"));
    let secret = entity::auth::secrets::random_token(32);
    let file = SecretsFile {
        session_keys: vec![StoredKey {
            kid: kid.clone(),
            secret: secret.clone(),
        }],
    };
    crate::data_dir::create_private_dir(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    write_private(&path, &serde_json::to_string_pretty(&file)?)?;
    tracing::info!(path = %path.display(), "generated session signing key");
    decode(&kid, &secret).map(|k| vec![k])
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("creating {}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn generated_keys_persist() {
        let dir = std::env::temp_dir().join(format!("dc-secrets-{}", uuid::Uuid::new_v4()));
        let first = load_session_keys(None, &dir).unwrap();
        let again = load_session_keys(None, &dir).unwrap();
        assert_eq!(first[0].kid, again[0].kid);
        assert_eq!(first[0].secret, again[0].secret);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn configured_keys_are_checked() {
        let short: SecretString = "k1:c2hvcnQ".into();
        assert!(load_session_keys(Some(&short), Path::new("/nonexistent")).is_err());
        let (a, b) = (B64.encode([7u8; 32]), B64.encode([9u8; 40]));
        let good: SecretString = format!("k2:{a}, k1:{b}").into();
        let keys = load_session_keys(Some(&good), Path::new("/nonexistent")).unwrap();
        assert_eq!(
            keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
            ["k2", "k1"]
        );
    }
}
