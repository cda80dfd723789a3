//! Security headers on every response, and the endpoint browsers report CSP violations to.
//!
//! Escaping is the first defence against injected markup; this is the second, for the day
//! an escape is missed. Every HTML page gets a Content-Security-Policy that lets scripts
//! run only from our own origin, plus the one inline bootstrap script Leptos writes for
//! hydration and the resource data of server rendering, both carrying a nonce made fresh
//! for each response ([`CspNonce`]). Inline event handlers (`onerror=`, `onload=`) and
//! `javascript:` URLs never run under it, so a payload that slips into a page is inert —
//! and the browser reports it to `POST /csp-report`, which counts it in
//! `csp_violations_total` and logs it, so a missed escape shows up instead of hiding.
//!
//! Every response also says `nosniff` (a JSON body or an upload is never run as a script
//! or rendered as a page), a conservative `Referrer-Policy` (invitation and call links
//! never leak to other sites), that no other site may frame us (clickjacking of the
//! dashboard), and — when the public URL is https — HSTS. A handler that sets one of these
//! headers itself keeps its own value (`/widget.js` is loaded by every site).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use base64::Engine;
use serde_json::Value;

use crate::state::AppState;

/// Where browsers send CSP violation reports.
pub const REPORT_PATH: &str = "/csp-report";

/// The largest report body read (a browser's report is well under 4 KiB).
const MAX_REPORT_BYTES: usize = 16 * 1024;

/// What a page may load and run. `{nonce}` is this response's [`CspNonce`].
///
/// - scripts: our origin, the nonce (Leptos' hydration bootstrap and the resource data
///   of server rendering) and `'wasm-unsafe-eval'` to compile the app's WebAssembly —
///   never `'unsafe-inline'` or `'unsafe-eval'`;
/// - styles: our stylesheet only (no inline `<style>` or `style=""`); scripts may still
///   set element styles through the CSSOM, as the microphone level bar does;
/// - images: ours and `data:` (the inline site icon);
/// - connections: our origin, which covers `ws:`/`wss:` to the same host — also when
///   the call page is served on a business's own host;
/// - media: ours, and `blob:` — a voice message the caller just recorded plays back from
///   a blob its own page made (another page's blobs are not reachable);
/// - nothing may frame our pages, no plugins, no `<base>`, forms post only to us.
const PAGE_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
     style-src 'self'; \
     img-src 'self' data:; \
     font-src 'self'; \
     connect-src 'self'; \
     media-src 'self' blob:; \
     worker-src 'self'; \
     manifest-src 'self'; \
     frame-src 'none'; \
     object-src 'none'; \
     base-uri 'none'; \
     form-action 'self'; \
     frame-ancestors 'none'; \
     report-uri /csp-report";

/// Everything that is not a page (JSON, scripts, images, files): if a browser is ever
/// made to open one as a document, it may load and run nothing.
const RESOURCE_POLICY: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A random value, new for every response, that marks the inline scripts we wrote
/// ourselves. Put on the request's extensions before any handler runs: Leptos renders
/// it into its scripts ([`provide_leptos_nonce`]), any other handler that writes an
/// inline script can read it with `Extension<CspNonce>`, and the same value goes into
/// the response's Content-Security-Policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspNonce(Arc<str>);

impl CspNonce {
    /// 128 random bits from the thread's CSPRNG, base64url without padding (22 characters
    /// that need no escaping in an attribute or a header).
    #[must_use]
    pub fn generate() -> Self {
        let bytes: [u8; 16] = rand::random();
        Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(bytes)
                .into(),
        )
    }

    /// The nonce as written in `nonce="…"` and `'nonce-…'`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The Content-Security-Policy of an HTML page carrying `nonce`.
#[must_use]
pub fn page_policy(nonce: &CspNonce) -> String {
    PAGE_POLICY.replace("{nonce}", nonce.as_str())
}

/// For the Leptos context of each rendered page: uses this request's [`CspNonce`] as the
/// nonce of the scripts Leptos writes (`HydrationScripts`, streamed resources), so they
/// match the response's policy. Without it Leptos would draw a nonce of its own that
/// the header does not name, and the page would not hydrate.
pub fn provide_leptos_nonce() {
    let nonce = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(nonce) = nonce {
        leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

/// What the middleware adds besides the policy.
#[derive(Clone, Copy, Debug)]
pub struct SecurityHeaders {
    /// Send `Strict-Transport-Security` (the public URL is https).
    pub hsts: bool,
}

/// Middleware: gives the request a fresh [`CspNonce`], then puts the security headers on
/// its response (keeping any the handler set itself).
pub async fn security_headers(
    State(config): State<SecurityHeaders>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = CspNonce::generate();
    req.extensions_mut().insert(nonce.clone());
    let mut res = next.run(req).await;
    add_headers(res.headers_mut(), &nonce, config);
    res
}

fn add_headers(headers: &mut HeaderMap, nonce: &CspNonce, config: SecurityHeaders) {
    let page = is_html(headers);
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if page {
            HeaderValue::from_str(&page_policy(nonce))
                .unwrap_or_else(|_| HeaderValue::from_static(RESOURCE_POLICY))
        } else {
            HeaderValue::from_static(RESOURCE_POLICY)
        };
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if page {
        // Our pages never need a handle on a window another site opened, nor give one.
        headers
            .entry(HeaderName::from_static("cross-origin-opener-policy"))
            .or_insert(HeaderValue::from_static("same-origin"));
    }
    if config.hsts {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static("max-age=31536000"));
    }
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .get(..9)
                .is_some_and(|t| t.eq_ignore_ascii_case("text/html"))
        })
}

/// One violation, as much of it as is worth a log line.
#[derive(Debug, Default, PartialEq, Eq)]
struct Violation {
    directive: String,
    blocked: String,
    document: String,
    source: String,
    sample: String,
}

/// The directives a violation is counted under; anything else is `other`, so a forged
/// report cannot mint new metric series.
const DIRECTIVES: &[&str] = &[
    "script-src",
    "script-src-elem",
    "script-src-attr",
    "style-src",
    "style-src-elem",
    "style-src-attr",
    "img-src",
    "font-src",
    "connect-src",
    "media-src",
    "worker-src",
    "manifest-src",
    "frame-src",
    "object-src",
    "base-uri",
    "form-action",
    "frame-ancestors",
    "default-src",
    "trusted-types",
    "require-trusted-types-for",
];

impl Violation {
    fn directive_label(&self) -> &'static str {
        DIRECTIVES
            .iter()
            .find(|d| **d == self.directive)
            .copied()
            .unwrap_or("other")
    }
}

/// The violations in a report body: the `report-uri` format (`{"csp-report": {…}}`) or
/// the Reporting API's (`[{"type": "csp-violation", "body": {…}}]`).
fn parse_report(body: &[u8]) -> Vec<Violation> {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let field = |v: &Value, names: &[&str]| -> String {
        let text = names
            .iter()
            .find_map(|n| match &v[*n] {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .unwrap_or_default();
        truncate(&text, 200)
    };
    let one = |v: &Value| {
        let directive = field(v, &["effective-directive", "effectiveDirective"]);
        let directive = if directive.is_empty() {
            // Older reports name only the whole violated directive (`script-src 'self' …`).
            field(v, &["violated-directive", "violatedDirective"])
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        } else {
            directive
        };
        Violation {
            directive,
            blocked: field(v, &["blocked-uri", "blockedURL"]),
            document: field(v, &["document-uri", "documentURL"]),
            source: match (
                field(v, &["source-file", "sourceFile"]),
                field(v, &["line-number", "lineNumber"]),
            ) {
                (file, line) if file.is_empty() || line.is_empty() => file,
                (file, line) => format!("{file}:{line}"),
            },
            sample: field(v, &["script-sample", "sample"]),
        }
    };
    match &json {
        Value::Object(_) if json["csp-report"].is_object() => vec![one(&json["csp-report"])],
        Value::Array(reports) => reports
            .iter()
            .filter(|r| r["type"] == "csp-violation" && r["body"].is_object())
            .take(32)
            .map(|r| one(&r["body"]))
            .collect(),
        _ => Vec::new(),
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// At most [`LogThrottle::PER_MINUTE`] report lines a minute: anyone can post reports,
/// and they must not be able to flood the log. What is held back is counted and said.
struct LogThrottle {
    window: Mutex<(Instant, u32, u64)>,
}

impl LogThrottle {
    const PER_MINUTE: u32 = 20;

    /// Whether to log one more line now; also returns how many were held back in the
    /// window that just ended, to say so once.
    fn admit(&self) -> (bool, u64) {
        let Ok(mut w) = self.window.lock() else {
            return (false, 0);
        };
        let (started, logged, held) = &mut *w;
        let mut ended_held = 0;
        if started.elapsed() >= Duration::from_secs(60) {
            ended_held = *held;
            *started = Instant::now();
            *logged = 0;
            *held = 0;
        }
        if *logged < Self::PER_MINUTE {
            *logged += 1;
            (true, ended_held)
        } else {
            *held += 1;
            (false, ended_held)
        }
    }
}

static LOG_THROTTLE: std::sync::LazyLock<LogThrottle> = std::sync::LazyLock::new(|| LogThrottle {
    window: Mutex::new((Instant::now(), 0, 0)),
});

/// `POST /csp-report`: counts each violation in `csp_violations_total{directive}` and
/// logs it (briefly, and at most [`LogThrottle::PER_MINUTE`] a minute). Answers 204, or
/// 400 when the body holds no violation.
async fn csp_report(body: Bytes) -> StatusCode {
    let violations = parse_report(&body);
    if violations.is_empty() {
        return StatusCode::BAD_REQUEST;
    }
    for v in violations {
        metrics::counter!("csp_violations_total", "directive" => v.directive_label()).increment(1);
        let (log, held) = LOG_THROTTLE.admit();
        if held > 0 {
            tracing::warn!(held, "CSP violation reports not logged in the last minute");
        }
        if log {
            tracing::warn!(
                directive = %v.directive,
                blocked = %v.blocked,
                document = %v.document,
                source = %v.source,
                sample = %v.sample,
                "content security policy violation"
            );
        }
    }
    StatusCode::NO_CONTENT
}

/// `POST /csp-report`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(REPORT_PATH, post(csp_report))
        .layer(DefaultBodyLimit::max(MAX_REPORT_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_fresh_and_need_no_escaping() {
        let a = CspNonce::generate();
        let b = CspNonce::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert!(a
            .as_str()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn the_page_policy_allows_no_inline_script_but_the_nonce() {
        let nonce = CspNonce::generate();
        let policy = page_policy(&nonce);
        assert!(policy.contains(&format!("'nonce-{}'", nonce.as_str())));
        for banned in ["'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"] {
            assert!(!policy.contains(banned), "{banned} in {policy}");
        }
        for needed in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "report-uri /csp-report",
        ] {
            assert!(policy.contains(needed), "{needed} not in {policy}");
        }
        assert!(HeaderValue::from_str(&policy).is_ok());
    }

    #[test]
    fn pages_get_the_nonce_policy_and_handlers_keep_their_headers() {
        let nonce = CspNonce::generate();
        let mut page = HeaderMap::new();
        page.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        add_headers(&mut page, &nonce, SecurityHeaders { hsts: true });
        assert_eq!(
            page[header::CONTENT_SECURITY_POLICY].to_str().ok(),
            Some(page_policy(&nonce).as_str())
        );
        assert_eq!(page[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(page["cross-origin-opener-policy"], "same-origin");
        assert!(page.contains_key(header::STRICT_TRANSPORT_SECURITY));

        let mut script = HeaderMap::new();
        script.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/javascript"),
        );
        script.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
        add_headers(&mut script, &nonce, SecurityHeaders { hsts: false });
        assert_eq!(script["cross-origin-resource-policy"], "cross-origin");
        assert_eq!(script[header::CONTENT_SECURITY_POLICY], RESOURCE_POLICY);
        assert_eq!(script[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(!script.contains_key(header::STRICT_TRANSPORT_SECURITY));
    }

    #[test]
    fn reports_of_both_formats_are_read() {
        let legacy = br#"{"csp-report": {"document-uri": "http://h/call/x",
            "violated-directive": "script-src-attr", "effective-directive": "script-src-attr",
            "blocked-uri": "inline", "line-number": 3, "source-file": "http://h/call/x"}}"#;
        let v = parse_report(legacy);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].directive, "script-src-attr");
        assert_eq!(v[0].blocked, "inline");
        assert_eq!(v[0].source, "http://h/call/x:3");

        let api = br#"[{"type": "csp-violation", "body": {"effectiveDirective": "img-src",
            "blockedURL": "https://evil.example/x.png", "documentURL": "http://h/"}},
            {"type": "deprecation", "body": {}}]"#;
        let v = parse_report(api);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].directive_label(), "img-src");

        let old = br#"{"csp-report": {"violated-directive": "script-src 'self'"}}"#;
        assert_eq!(parse_report(old)[0].directive, "script-src");

        assert!(parse_report(b"not json").is_empty());
        assert!(parse_report(br#"{"hello": 1}"#).is_empty());
    }

    #[test]
    fn forged_directives_do_not_mint_metric_series() {
        let v = Violation {
            directive: "x".repeat(50),
            ..Violation::default()
        };
        assert_eq!(v.directive_label(), "other");
        assert_eq!(truncate(&"é".repeat(300), 200).chars().count(), 201);
    }
}
