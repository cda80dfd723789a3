//! Sign in, sign out, password changes, rate limits, API keys never becoming sessions,
//! health and metrics. (Sign-up itself: `sign_up.rs`.)

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, Auth, Db, TestApp, CONFIRM_SIGN_UP};
use crate::sign_up::{sign_up_from, unique_email, PASSWORD};

const ME: &str = "{ me { email businesses { name role } } business { name role } }";

async fn sign_up_then_me(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.metrics_token = Some("test-metrics-token-0123".to_owned().into());
    })
    .await;
    let owner = app.sign_up("Acme Plumbing").await;
    let res = app.gql(&owner.auth(), ME, json!({})).await;
    assert_eq!(res["data"]["me"]["email"], owner.email.as_str());
    assert_eq!(
        res["data"]["business"],
        json!({ "name": "Acme Plumbing", "role": "OWNER" })
    );
    // The same token works as the session cookie.
    let res = app
        .gql(&Auth::Cookie(owner.token.clone()), ME, json!({}))
        .await;
    assert_eq!(res["data"]["me"]["email"], owner.email.as_str());
    // Health and metrics answer.
    let health = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .bearer_auth("test-metrics-token-0123")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    app.finish().await;
}

async fn sign_out_and_password_change_end_sessions(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let sign_in =
        "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }";
    let second = app
        .gql(
            &Auth::None,
            sign_in,
            json!({ "e": owner.email, "p": "correct horse battery" }),
        )
        .await;
    let second = Auth::Bearer(
        second["data"]["signIn"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    // Signing out ends that session only.
    let res = app.gql(&second, "mutation { signOut }", json!({})).await;
    assert_eq!(res["data"]["signOut"], true);
    assert_eq!(
        error_code(&app.gql(&second, ME, json!({})).await),
        Some("UNAUTHENTICATED")
    );
    assert!(app.gql(&owner.auth(), ME, json!({})).await["data"]["me"].is_object());
    // A wrong current password is a field error; a right one ends every old session.
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }";
    let res = app
        .gql(
            &owner.auth(),
            change,
            json!({ "c": "wrong password!", "n": "brand new password" }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"));
    let res = app
        .gql(
            &owner.auth(),
            change,
            json!({ "c": "correct horse battery", "n": "brand new password" }),
        )
        .await;
    let fresh = Auth::Bearer(
        res["data"]["changePassword"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    assert_eq!(
        error_code(&app.gql(&owner.auth(), ME, json!({})).await),
        Some("UNAUTHENTICATED")
    );
    assert!(app.gql(&fresh, ME, json!({})).await["data"]["me"].is_object());
    let old = app
        .gql(
            &Auth::None,
            sign_in,
            json!({ "e": owner.email, "p": "correct horse battery" }),
        )
        .await;
    assert_eq!(error_code(&old), Some("UNAUTHENTICATED"));
    let new = app
        .gql(
            &Auth::None,
            sign_in,
            json!({ "e": owner.email, "p": "brand new password" }),
        )
        .await;
    assert!(new["data"]["signIn"]["token"].is_string(), "{new}");
    app.finish().await;
}

/// Sign-in from `local` (a loopback address) with an optional device cookie.
async fn sign_in_from(
    app: &TestApp,
    local: &str,
    email: &str,
    password: &str,
    device: Option<&str>,
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .local_address(local.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut req = client.post(format!("{}/graphql", app.base)).json(&json!({
        "query": "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
        "variables": { "e": email, "p": password },
    }));
    if let Some(d) = device {
        req = req.header("cookie", format!("dc_device={d}"));
    }
    req.send().await.unwrap()
}

async fn sign_in_is_rate_limited_without_locking_out_the_owner(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    // The owner signs in once from their browser and keeps its device cookie.
    let ok = sign_in_from(
        &app,
        "127.0.0.1",
        &owner.email,
        "correct horse battery",
        None,
    )
    .await;
    let device = ok
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("dc_device="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("a device cookie");
    // An attacker elsewhere guesses until refused, even with the right password.
    let mut limited = false;
    for _ in 0..12 {
        let res: serde_json::Value =
            sign_in_from(&app, "127.0.0.2", &owner.email, "guess guess guess", None)
                .await
                .json()
                .await
                .unwrap();
        if error_code(&res) == Some("RATE_LIMITED") {
            limited = true;
            assert!(
                res["errors"][0]["extensions"]["retryAfterSeconds"]
                    .as_u64()
                    .unwrap()
                    > 0
            );
            break;
        }
        assert_eq!(error_code(&res), Some("UNAUTHENTICATED"));
    }
    assert!(limited, "ten wrong passwords must be rate limited");
    let res: serde_json::Value = sign_in_from(
        &app,
        "127.0.0.2",
        &owner.email,
        "correct horse battery",
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(error_code(&res), Some("RATE_LIMITED"));
    // A new browser elsewhere is refused too (per account)…
    let res: serde_json::Value = sign_in_from(
        &app,
        "127.0.0.3",
        &owner.email,
        "correct horse battery",
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(error_code(&res), Some("RATE_LIMITED"));
    // …but the owner's known browser still gets in.
    let res: serde_json::Value = sign_in_from(
        &app,
        "127.0.0.3",
        &owner.email,
        "correct horse battery",
        Some(&device),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(res["data"]["signIn"]["token"].is_string(), "{res}");
    app.finish().await;
}

async fn api_keys_never_get_a_session(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let (_, key) = app.api_key(&owner, "CRM").await;
    let key = Auth::Bearer(key);
    let email = unique_email("k");
    sign_up_from(&app, "127.0.0.1", &email).await;
    let token = app.sign_up_token(&email).await;
    for (query, vars) in [
        (
            "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
            json!({ "e": owner.email, "p": PASSWORD }),
        ),
        (
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }",
            json!({ "c": PASSWORD, "n": "another long password" }),
        ),
        (CONFIRM_SIGN_UP, json!({ "t": token, "p": PASSWORD })),
    ] {
        let res = app.gql_raw(&key, query, vars).await;
        assert!(!res.headers().contains_key("set-cookie"));
        let res: Value = res.json().await.unwrap();
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{query}: {res}");
        assert!(res["data"].is_null(), "{res}");
        assert!(
            res["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("API key")),
            "{res}"
        );
    }
    // Nothing happened: the password is unchanged and the sign-up link still works.
    let res = app
        .gql(
            &Auth::None,
            CONFIRM_SIGN_UP,
            json!({ "t": token, "p": PASSWORD }),
        )
        .await;
    assert!(res["data"]["confirmSignUp"]["token"].is_string(), "{res}");
    let res = app
        .gql(
            &Auth::None,
            "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
            json!({ "e": owner.email, "p": PASSWORD }),
        )
        .await;
    assert!(res["data"]["signIn"]["token"].is_string(), "{res}");
    app.finish().await;
}

both_dbs!(
    sign_up_then_me,
    sign_out_and_password_change_end_sessions,
    sign_in_is_rate_limited_without_locking_out_the_owner,
    api_keys_never_get_a_session,
);
