//! Typed configuration from `DOMAINCALL_*` environment variables.
//!
//! Zero configuration works: everything lives under `./data` (SQLite database, generated
//! secrets, mail outbox) and the server listens on 127.0.0.1:3000. Domain code never reads
//! the environment; it receives what it needs from here.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use secrecy::SecretString;

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines with key=value fields.
    Text,
    /// One JSON object per event.
    Json,
}

/// Every setting of the server.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `DOMAINCALL_ADDR`: where to listen (default `127.0.0.1:3000`; port 0 picks one).
    pub addr: SocketAddr,
    /// `DOMAINCALL_DATA_DIR`: database, secrets and outbox (default `./data`).
    pub data_dir: PathBuf,
    /// `DOMAINCALL_DATABASE_URL`: `sqlite://…` or `postgres://…`
    /// (default `sqlite://<data dir>/domaincall.db?mode=rwc`).
    pub database_url: SecretString,
    /// `DOMAINCALL_PUBLIC_URL`: the URL people reach us at, used in emails and to decide
    /// whether cookies are `Secure` (default `http://<addr>`).
    pub public_url: String,
    /// `DOMAINCALL_SMTP_URL`: `smtp://user:pass@host:587` or `smtps://…`; unset writes
    /// mail to `<data dir>/outbox` instead.
    pub smtp_url: Option<SecretString>,
    /// `DOMAINCALL_MAIL_FROM`: sender of our emails (default `domaincall <no-reply@localhost>`).
    pub mail_from: String,
    /// `DOMAINCALL_SESSION_KEYS`: `kid:secret,kid:secret…` signing keys for session
    /// tokens, the first signs; unset generates one and keeps it in `<data dir>/secrets.json`.
    pub session_keys: Option<SecretString>,
    /// `DOMAINCALL_SESSION_TTL_HOURS`: dashboard session lifetime (default 336 = 14 days).
    pub session_ttl: chrono::Duration,
    /// `DOMAINCALL_WORKERS`: run the background job workers in `serve` (default `true`).
    pub run_workers: bool,
    /// `DOMAINCALL_SITE_ROOT`: the built site (wasm, JS, CSS) (default `LEPTOS_SITE_ROOT`
    /// or `target/site`).
    pub site_root: String,
    /// `DOMAINCALL_LOG`: tracing filter (default `info`).
    pub log_filter: String,
    /// `DOMAINCALL_LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Settings {
    /// Reads the settings from the process environment.
    ///
    /// # Errors
    /// A message naming the variable whose value is invalid.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(var)
    }

    /// Reads the settings through `get` (the environment, or a map in tests).
    ///
    /// # Errors
    /// A message naming the variable whose value is invalid.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let addr: SocketAddr = get("DOMAINCALL_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("DOMAINCALL_ADDR must be an address like 127.0.0.1:3000")?;
        let data_dir = PathBuf::from(get("DOMAINCALL_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = get("DOMAINCALL_DATABASE_URL").unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("domaincall.db").display()
            )
        });
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            bail!("DOMAINCALL_DATABASE_URL must start with sqlite:// or postgres://");
        }
        let public_url = get("DOMAINCALL_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("DOMAINCALL_PUBLIC_URL must start with http:// or https://");
        }
        let smtp_url = get("DOMAINCALL_SMTP_URL");
        if let Some(u) = &smtp_url {
            if !(u.starts_with("smtp://") || u.starts_with("smtps://")) {
                bail!("DOMAINCALL_SMTP_URL must start with smtp:// or smtps://");
            }
        }
        let ttl_hours: i64 = match get("DOMAINCALL_SESSION_TTL_HOURS") {
            Some(v) => v
                .parse()
                .ok()
                .filter(|h| (1..=24 * 365).contains(h))
                .context(
                    "DOMAINCALL_SESSION_TTL_HOURS must be a whole number of hours from 1 to 8760",
                )?,
            None => 24 * 14,
        };
        let run_workers = match get("DOMAINCALL_WORKERS").as_deref() {
            None | Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(_) => bail!("DOMAINCALL_WORKERS must be true or false"),
        };
        let log_format = match get("DOMAINCALL_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => bail!("DOMAINCALL_LOG_FORMAT must be text or json"),
        };
        Ok(Self {
            addr,
            data_dir,
            database_url: database_url.into(),
            public_url,
            smtp_url: smtp_url.map(Into::into),
            mail_from: get("DOMAINCALL_MAIL_FROM")
                .unwrap_or_else(|| "domaincall <no-reply@localhost>".into()),
            session_keys: get("DOMAINCALL_SESSION_KEYS").map(Into::into),
            session_ttl: chrono::Duration::hours(ttl_hours),
            run_workers,
            site_root: get("DOMAINCALL_SITE_ROOT")
                .or_else(|| get("LEPTOS_SITE_ROOT"))
                .unwrap_or_else(|| "target/site".into()),
            log_filter: get("DOMAINCALL_LOG").unwrap_or_else(|| "info".into()),
            log_format,
        })
    }

    /// Whether the public URL is https (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn zero_configuration_defaults() {
        let s = from(&[]).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(
            s.database_url.expose_secret(),
            "sqlite://data/domaincall.db?mode=rwc"
        );
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert!(s.smtp_url.is_none() && s.run_workers && !s.is_https());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (k, v) in [
            ("DOMAINCALL_ADDR", "nowhere"),
            ("DOMAINCALL_DATABASE_URL", "mysql://x"),
            ("DOMAINCALL_PUBLIC_URL", "example.com"),
            ("DOMAINCALL_SMTP_URL", "http://mail"),
            ("DOMAINCALL_SESSION_TTL_HOURS", "0"),
            ("DOMAINCALL_WORKERS", "maybe"),
            ("DOMAINCALL_LOG_FORMAT", "xml"),
        ] {
            let err = from(&[(k, v)]).unwrap_err().to_string();
            assert!(err.contains(k), "{k}: {err}");
        }
    }
}
