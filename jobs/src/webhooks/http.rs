//! One delivery attempt over HTTP: a POST to exactly the checked addresses.
//!
//! The client is built for the attempt: the URL's host maps to the addresses the target
//! check passed (so `Host` and TLS name the URL's host while the connection goes where was
//! checked), any other name fails to resolve, proxies from the environment are ignored,
//! redirects are not followed, the whole attempt has a deadline, and at most a fixed number
//! of response bytes are read — the body is never kept.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::webhooks::{AttemptOutcome, TargetUrl};
use reqwest::dns::{Name, Resolve, Resolving};

/// Who we say we are.
const USER_AGENT: &str = "domaincall-webhooks/1";

/// One signed attempt.
pub struct Request<'a> {
    pub target: &'a TargetUrl,
    /// Where to connect: checked addresses of the target.
    pub addresses: &'a [SocketAddr],
    pub webhook_id: &'a str,
    pub timestamp: i64,
    /// The `webhook-signature` value.
    pub signature: String,
    pub body: String,
}

/// Resolves nothing: every name but the target's (mapped to its checked addresses) fails.
struct NoOtherNames;

impl Resolve for NoOtherNames {
    fn resolve(&self, name: Name) -> Resolving {
        let error: Box<dyn std::error::Error + Send + Sync> =
            format!("{} was not checked", name.as_str()).into();
        Box::pin(std::future::ready(Err(error)))
    }
}

/// Sends `request` and says how it went.
pub async fn post(request: &Request<'_>, timeout: Duration, max_bytes: usize) -> AttemptOutcome {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(USER_AGENT)
        .dns_resolver(Arc::new(NoOtherNames));
    if let Some(host) = request.target.url().host_str() {
        builder = builder.resolve_to_addrs(host, request.addresses);
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => {
            return AttemptOutcome::Failed {
                reason: format!("Could not prepare the request ({}).", chain(&e)),
                elapsed_ms: None,
            }
        }
    };
    let started = Instant::now();
    let sent = client
        .post(request.target.url().clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", request.webhook_id)
        .header("webhook-timestamp", request.timestamp.to_string())
        .header("webhook-signature", &request.signature)
        .body(request.body.clone())
        .send()
        .await;
    let elapsed_ms = || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let mut response = match sent {
        Ok(response) => response,
        Err(e) => {
            let reason = if e.is_timeout() {
                format!("No answer within {} s.", timeout.as_secs_f32())
            } else if e.is_connect() {
                format!("Could not connect ({}).", chain(&e))
            } else {
                format!("The request failed ({}).", chain(&e))
            };
            return AttemptOutcome::Failed {
                reason,
                elapsed_ms: Some(elapsed_ms()),
            };
        }
    };
    let elapsed = elapsed_ms();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    // Read a little of the body so a well-behaved receiver finishes its answer, and stop
    // there: the body is neither kept nor allowed to hold the worker.
    let mut read = 0;
    while read < max_bytes {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            Ok(None) | Err(_) => break,
        }
    }
    AttemptOutcome::Answered {
        status,
        elapsed_ms: elapsed,
        retry_after,
    }
}

/// An error and its causes, without the URL (it may carry the receiver's token).
fn chain(error: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut current: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(e) = current {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&e.to_string());
        current = e.source();
    }
    if text.is_empty() {
        "no detail".to_owned()
    } else {
        text
    }
}
