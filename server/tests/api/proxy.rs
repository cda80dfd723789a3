//! Limits behind a reverse proxy: the client address comes from `X-Forwarded-For` only
//! through a proxy listed in `DOMAINCALL_TRUSTED_PROXIES`, so two clients behind it are
//! limited separately and a header sent straight to us buys nothing; and the owner's
//! known browser (device cookie) signs in while an attacker has exhausted the windows.

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, Db, TestApp};

const SIGN_IN: &str =
    "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }";
const GUEST: &str = "mutation { startCallerSession { identity { name } } }";

/// A GraphQL request as a browser behind the proxy sends it: `X-Forwarded-For` as the
/// proxy appends it, and optionally cookies.
async fn gql_via(
    app: &TestApp,
    forwarded_for: Option<&str>,
    cookie: Option<&str>,
    query: &str,
    variables: Value,
) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.unwrap()
}

/// A failed sign-in's error code (or `None` when it signed in); `from` is the
/// `X-Forwarded-For` sent, if any.
async fn sign_in_code(
    app: &TestApp,
    from: Option<&str>,
    cookie: Option<&str>,
    email: &str,
    password: &str,
) -> Option<String> {
    let res: Value = gql_via(
        app,
        from,
        cookie,
        SIGN_IN,
        json!({ "e": email, "p": password }),
    )
    .await
    .json()
    .await
    .unwrap();
    error_code(&res).map(str::to_owned)
}

/// Fails `n` sign-ins from `from(i)`, each on a fresh unknown account.
async fn fail_sign_ins(app: &TestApp, from: impl Fn(usize) -> Option<String>, n: usize) {
    for i in 0..n {
        let email = format!("nobody-{i}-{}@example.com", uuid::Uuid::new_v4().simple());
        let code = sign_in_code(app, from(i).as_deref(), None, &email, "wrong password!").await;
        assert_eq!(code.as_deref(), Some("UNAUTHENTICATED"), "attempt {i}");
    }
}

async fn guest_code(app: &TestApp, from: &str) -> Option<String> {
    let res: Value = gql_via(app, Some(from), None, GUEST, json!({}))
        .await
        .json()
        .await
        .unwrap();
    error_code(&res).map(str::to_owned)
}

async fn clients_behind_a_trusted_proxy_are_limited_separately(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    // Client A, behind the proxy, uses up its sign-in window (30 failures)...
    let a = "198.51.100.1";
    fail_sign_ins(&app, |_| Some(a.to_owned()), 30).await;
    let fresh = format!("fresh-{}@example.com", uuid::Uuid::new_v4().simple());
    assert_eq!(
        sign_in_code(&app, Some(a), None, &fresh, "wrong password!")
            .await
            .as_deref(),
        Some("RATE_LIMITED")
    );
    // ...a forged entry before the proxy's own does not help it...
    let forged = format!("203.0.113.9, {a}");
    assert_eq!(
        sign_in_code(&app, Some(&forged), None, &fresh, "wrong password!")
            .await
            .as_deref(),
        Some("RATE_LIMITED")
    );
    // ...and client B behind the same proxy is not affected.
    let b = "198.51.100.2";
    assert_eq!(
        sign_in_code(&app, Some(b), None, &fresh, "wrong password!")
            .await
            .as_deref(),
        Some("UNAUTHENTICATED")
    );

    // Guest identities: 30 per client address, per client.
    for i in 0..30 {
        assert_eq!(guest_code(&app, a).await, None, "guest {i}");
    }
    assert_eq!(guest_code(&app, a).await.as_deref(), Some("RATE_LIMITED"));
    assert_eq!(guest_code(&app, b).await, None);
    // The call page's server function keys on the same address.
    let from_a = app
        .server_fn(
            "start_caller",
            &[("x-forwarded-for", a.to_owned())],
            &[] as &[(&str, &str)],
        )
        .await;
    assert_eq!(from_a.status(), 429);
    let from_b = app
        .server_fn(
            "start_caller",
            &[("x-forwarded-for", b.to_owned())],
            &[] as &[(&str, &str)],
        )
        .await;
    assert_eq!(from_b.status(), 200);
    app.finish().await;
}

async fn an_untrusted_forwarded_header_is_ignored(db: Db) {
    // No trusted proxy: whatever X-Forwarded-For says, the TCP peer is the client.
    let app = TestApp::spawn(db).await;
    let spoofed = |i: usize| format!("198.51.100.{}", i + 1);
    fail_sign_ins(&app, |i| Some(spoofed(i)), 30).await;
    let fresh = format!("fresh-{}@example.com", uuid::Uuid::new_v4().simple());
    assert_eq!(
        sign_in_code(&app, Some("203.0.113.77"), None, &fresh, "wrong password!")
            .await
            .as_deref(),
        Some("RATE_LIMITED"),
        "a new X-Forwarded-For buys no new attempts"
    );
    for i in 0..30 {
        assert_eq!(guest_code(&app, &spoofed(i)).await, None, "guest {i}");
    }
    assert_eq!(
        guest_code(&app, "203.0.113.78").await.as_deref(),
        Some("RATE_LIMITED")
    );
    app.finish().await;
}

async fn the_owners_known_browser_signs_in_during_an_attack(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let password = "correct horse battery";
    // The owner signed in on this browser before: it holds the device cookie.
    let res = gql_via(
        &app,
        None,
        None,
        SIGN_IN,
        json!({ "e": owner.email, "p": password }),
    )
    .await;
    let device = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("dc_device="))
        .and_then(|v| v.split(';').next())
        .expect("a device cookie")
        .to_owned();
    // The attacker, from the owner's own address (a NAT, an unlisted proxy), guesses the
    // owner's password until the account's window is full...
    for i in 0..10 {
        let guess = format!("guess number {i}");
        let code = sign_in_code(&app, None, None, &owner.email, &guess).await;
        assert_eq!(code.as_deref(), Some("UNAUTHENTICATED"), "guess {i}");
    }
    assert_eq!(
        sign_in_code(&app, None, None, &owner.email, "one more")
            .await
            .as_deref(),
        Some("RATE_LIMITED")
    );
    // ...and fills the address's window with other accounts.
    fail_sign_ins(&app, |_| None, 20).await;
    let fresh = format!("fresh-{}@example.com", uuid::Uuid::new_v4().simple());
    assert_eq!(
        sign_in_code(&app, None, None, &fresh, "x").await.as_deref(),
        Some("RATE_LIMITED")
    );
    // Without the device cookie even the right password waits...
    assert_eq!(
        sign_in_code(&app, None, None, &owner.email, password)
            .await
            .as_deref(),
        Some("RATE_LIMITED")
    );
    // ...but the owner's known browser signs in.
    assert_eq!(
        sign_in_code(&app, None, Some(&device), &owner.email, password).await,
        None
    );
    app.finish().await;
}

both_dbs!(
    clients_behind_a_trusted_proxy_are_limited_separately,
    an_untrusted_forwarded_header_is_ignored,
    the_owners_known_browser_signs_in_during_an_attack,
);
