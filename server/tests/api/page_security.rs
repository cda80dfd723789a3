//! What the server sends to browsers, read as an attacker reads it: text people chose
//! (a business's name, the Host header) arrives in the call page's HTML as text, never as
//! markup, and every page carries the Content-Security-Policy (with a nonce on each of
//! our own scripts and on nothing else) and the other security headers. Violation reports
//! are counted. The browser half of the story is `e2e/tests/xss.rs`.

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{Auth, Db, TestApp};
use crate::ws::verified_domain;

/// The confirmed attack: a business name that closes `<title>` and opens an image whose
/// error handler runs script. The other lines break out of attributes and scripts.
const HOSTILE_NAMES: &[&str] = &[
    "X</title><img src=x onerror=alert(1)><title>",
    "Y\"><svg onload=alert(2)>'><img src=x onerror=alert(3)>",
    "Z</script><script>alert(4)</script><!--",
];

/// Markup that must never appear in a page as markup.
const INJECTED: &[&str] = &["<img src=x", "<svg onload", "<script>alert", "</title><img"];

/// `GET path` (with `host` as the Host header, when given): (status, headers, body).
async fn get(
    app: &TestApp,
    path: &str,
    host: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = app.http.get(format!("{}{path}", app.base));
    if let Some(host) = host {
        req = req.header(reqwest::header::HOST, host);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The nonce the page's CSP names.
fn policy_nonce(policy: &str) -> String {
    let start = policy
        .find("'nonce-")
        .unwrap_or_else(|| panic!("no nonce in the policy {policy}"))
        + "'nonce-".len();
    policy[start..]
        .split('\'')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Every `<script` tag of `html` carries `nonce`; how many there are.
fn scripts_all_carry(html: &str, nonce: &str) -> usize {
    let mut count = 0;
    for (at, _) in html.match_indices("<script") {
        let tag_end = html[at..].find('>').map_or(html.len(), |e| at + e);
        let tag = &html[at..tag_end];
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "a script without this response's nonce: {tag}"
        );
        count += 1;
    }
    count
}

/// The checks every HTML page passes: policy, nonce on each script, the other headers.
fn assert_secure_page(what: &str, headers: &reqwest::header::HeaderMap, body: &str) {
    assert!(
        header(headers, "content-type").starts_with("text/html"),
        "{what}: {}",
        header(headers, "content-type")
    );
    let policy = header(headers, "content-security-policy");
    for needed in [
        "script-src 'self' 'nonce-",
        "'wasm-unsafe-eval'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "connect-src 'self'",
        "report-uri /csp-report",
    ] {
        assert!(policy.contains(needed), "{what}: {needed} not in {policy}");
    }
    assert!(
        !policy.contains("'unsafe-inline'") && !policy.contains("'unsafe-eval'"),
        "{what}: {policy}"
    );
    let nonce = policy_nonce(policy);
    assert!(nonce.len() >= 22, "{what}: nonce {nonce}");
    // The hydration bootstrap at least; streamed resources add more.
    assert!(scripts_all_carry(body, &nonce) >= 1, "{what}: no script");
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(headers, "x-frame-options"), "DENY", "{what}");
    assert_eq!(
        header(headers, "referrer-policy"),
        "strict-origin-when-cross-origin",
        "{what}"
    );
    assert_eq!(
        header(headers, "cross-origin-opener-policy"),
        "same-origin",
        "{what}"
    );
}

fn assert_no_markup_from(what: &str, body: &str) {
    for needle in INJECTED {
        assert!(
            !body.contains(needle),
            "{what}: `{needle}` reached the page as markup:\n{body}"
        );
    }
}

/// The stored XSS of issue 15: a verified business's hostile name on its call page, by
/// path and by Host header (the domain, `call.` + it, with a port). The name is shown
/// (escaped) in the title, the heading and the hydration data; never as markup.
async fn call_page_shows_a_hostile_business_name_as_text(db: Db) {
    let app = TestApp::spawn(db).await;
    for name in HOSTILE_NAMES {
        let owner = app.sign_up(name).await;
        let domain = verified_domain(&app, &owner).await;
        let host_with_port = format!("{domain}:8080");
        let call_host = format!("call.{domain}");
        for (path, host) in [
            (format!("/call/{domain}"), None),
            ("/call".to_owned(), Some(domain.as_str())),
            ("/call".to_owned(), Some(call_host.as_str())),
            ("/call".to_owned(), Some(host_with_port.as_str())),
        ] {
            let what = format!("{path} (Host {host:?}) of {name:?}");
            let (status, headers, body) = get(&app, &path, host).await;
            assert_eq!(status, 200, "{what}: {body}");
            assert_no_markup_from(&what, &body);
            assert_secure_page(&what, &headers, &body);
            // One title, holding the whole name as text.
            assert_eq!(body.matches("<title>").count(), 1, "{what}: {body}");
            let escaped = name
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            assert!(
                body.contains(&format!("<title>Call {escaped} · domaincall</title>")),
                "{what}: the title is not the escaped name:\n{body}"
            );
        }
    }
    app.finish().await;
}

/// A Host header is the attacker's to choose: the not-found page shows it as text.
async fn a_hostile_host_header_is_shown_as_text(db: Db) {
    let app = TestApp::spawn(db).await;
    for host in [
        "x\"><img src=x onerror=alert(1)>.example",
        "</title><img src=x onerror=alert(1)>",
        "<svg onload=alert(2)>.com",
    ] {
        let (status, headers, body) = get(&app, "/call", Some(host)).await;
        let what = format!("Host {host:?}");
        assert!(status == 404 || status == 400, "{what}: {status}");
        assert_no_markup_from(&what, &body);
        if status == 404 {
            assert_secure_page(&what, &headers, &body);
        }
    }
    app.finish().await;
}

both_dbs!(
    call_page_shows_a_hostile_business_name_as_text,
    a_hostile_host_header_is_shown_as_text
);

/// Every kind of page — public, account, call, dashboard redirect, not found — carries
/// the policy with a fresh nonce on each of its scripts; other responses carry the
/// resource policy and the same headers. Pages only: one database is enough.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut nonces = Vec::new();
    for path in [
        "/",
        "/signin",
        "/signup",
        "/call",
        "/call/nobody-here.example",
        "/no/such/page",
    ] {
        let (status, headers, body) = get(&app, path, None).await;
        assert!(status == 200 || status == 404, "{path}: {status}");
        assert_secure_page(path, &headers, &body);
        assert!(
            !headers.contains_key("strict-transport-security"),
            "{path}: HSTS over plain http"
        );
        nonces.push(policy_nonce(header(&headers, "content-security-policy")));
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 6, "a nonce was used twice: {nonces:?}");

    // Not pages: JSON, plain text, the widget (still loadable by any site).
    let res = app.gql_raw(&Auth::None, "{ __typename }", json!({})).await;
    let headers = res.headers().clone();
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "x-frame-options"), "DENY");
    let policy = header(&headers, "content-security-policy");
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    for path in ["/healthz", "/widget.js"] {
        let (_, headers, _) = get(&app, path, None).await;
        assert_eq!(
            header(&headers, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            header(&headers, "referrer-policy"),
            "strict-origin-when-cross-origin"
        );
    }
    let (_, widget, _) = get(&app, "/widget.js", None).await;
    assert_eq!(
        header(&widget, "cross-origin-resource-policy"),
        "cross-origin"
    );
    assert_eq!(header(&widget, "access-control-allow-origin"), "*");
    app.finish().await;
}

/// With an https public URL every response also pins https (HSTS).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_deployments_send_hsts() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.public_url = "https://calls.example.net".to_owned();
    })
    .await;
    for path in ["/", "/healthz"] {
        let (_, headers, _) = get(&app, path, None).await;
        assert_eq!(
            header(&headers, "strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }
    app.finish().await;
}

/// The sum of `csp_violations_total` for `directive` in this process's metrics.
fn violations(directive: &str) -> f64 {
    let text = server::telemetry::metrics_handle().render();
    text.lines()
        .filter(|l| {
            l.starts_with("csp_violations_total{")
                && l.contains(&format!("directive=\"{directive}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// What a browser posts when a payload's inline handler is blocked is counted (and what
/// is not a report is refused, and a flood of bytes is cut off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csp_violation_reports_are_counted() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let post = |body: String, kind: &'static str| {
        app.http
            .post(format!("{}/csp-report", app.base))
            .header("content-type", kind)
            .body(body)
            .send()
    };
    let before = violations("script-src-attr");
    let report: Value = json!({ "csp-report": {
        "document-uri": format!("{}/call/shop.example", app.base),
        "violated-directive": "script-src-attr",
        "effective-directive": "script-src-attr",
        "blocked-uri": "inline",
        "source-file": format!("{}/call/shop.example", app.base),
        "line-number": 1,
    }});
    let res = post(report.to_string(), "application/csp-report")
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let batch = json!([
        { "type": "csp-violation", "body": { "effectiveDirective": "script-src-attr", "blockedURL": "inline" } },
        { "type": "csp-violation", "body": { "effectiveDirective": "made-up-directive" } }
    ]);
    let res = post(batch.to_string(), "application/reports+json")
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(
        violations("script-src-attr") - before >= 2.0,
        "{}",
        server::telemetry::metrics_handle().render()
    );
    assert!(violations("other") >= 1.0);

    let res = post("hello".to_owned(), "text/plain").await.unwrap();
    assert_eq!(res.status(), 400);
    let res = post("x".repeat(64 * 1024), "application/csp-report")
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    app.finish().await;
}
