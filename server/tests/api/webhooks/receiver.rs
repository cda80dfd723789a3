//! A real HTTP receiver for the webhook tests, and a signature verifier written from the
//! Standard Webhooks specification (not by calling our signer).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
    pub at: Instant,
}

impl Received {
    /// A header's value ("" when missing).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

struct Inner {
    got: Vec<Received>,
    script: VecDeque<u16>,
    then: u16,
}

/// Records every request and answers with the scripted statuses, then `then`.
pub struct Receiver {
    pub port: u16,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let mut inner = inner.lock().unwrap();
    inner.got.push(Received {
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    });
    let status = inner.script.pop_front().unwrap_or(inner.then);
    (
        StatusCode::from_u16(status).unwrap(),
        "a receiver's own words, which must never reach the log",
    )
}

impl Receiver {
    /// Listens on a random loopback port.
    pub async fn start(script: &[u16], then: u16) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            got: Vec::new(),
            script: script.iter().copied().collect(),
            then,
        }));
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { port, inner, task }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What it got so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().got.clone()
    }

    /// Answers `status` from now on.
    pub fn answer(&self, status: u16) {
        let mut inner = self.inner.lock().unwrap();
        inner.script.clear();
        inner.then = status;
    }

    /// Waits (up to 20 s) until it got `n` requests.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got {} requests, not {n}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Verifies a request as a receiver following the specification would: the key is the
/// base64 after `whsec_`; the signed content is `{webhook-id}.{webhook-timestamp}.{body}`;
/// `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>` of which one
/// must match (compared in constant time); the timestamp must be within 5 minutes.
pub fn verify(secret: &str, request: &Received) -> Result<(), String> {
    let id = request.header("webhook-id");
    let timestamp: i64 = request
        .header("webhook-timestamp")
        .parse()
        .map_err(|_| "no integer webhook-timestamp".to_owned())?;
    let now = chrono::Utc::now().timestamp();
    if (now - timestamp).abs() > 300 {
        return Err(format!(
            "timestamp {timestamp} is not within 5 minutes of {now}"
        ));
    }
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").ok_or("no whsec_ prefix")?)
        .map_err(|e| e.to_string())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.{}", request.body).as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    let matches = request
        .header("webhook-signature")
        .split(' ')
        .filter_map(|s| s.split_once(','))
        .any(|(version, signature)| {
            version == "v1"
                && signature.len() == expected.len()
                && signature
                    .bytes()
                    .zip(expected.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
    if matches {
        Ok(())
    } else {
        Err(format!(
            "no signature in `{}` matches",
            request.header("webhook-signature")
        ))
    }
}
