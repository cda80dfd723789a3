//! Returning browsers: a caller who left an email on a business's call page is recognised
//! there next time (a long-lived signed cookie per business), is nobody to any other
//! business, and "forget me" ends it. A forged or foreign cookie recognises nobody.

use serde_json::Value;

use crate::both_dbs;
use crate::contacts::{rung_then_cancelled, the_contact_with};
use crate::helpers::{Db, TestApp};
use crate::ws::{greeted, verified_domain};

/// A server function call from a browser holding `cookies`: status, the cookies it set
/// (`name=value` pairs, and each whole header), and the body.
async fn call(
    app: &TestApp,
    endpoint: &str,
    cookies: &[String],
    form: &[(&str, &str)],
) -> (u16, Vec<String>, Value) {
    let headers: Vec<(&str, String)> = if cookies.is_empty() {
        Vec::new()
    } else {
        vec![("cookie", cookies.join("; "))]
    };
    let res = app.server_fn(endpoint, &headers, form).await;
    let status = res.status().as_u16();
    let set: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let text = res.text().await.unwrap();
    (
        status,
        set,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The `name=value` of the cookie called `prefix…` among `set`.
fn pair(set: &[String], prefix: &str) -> Option<String> {
    set.iter()
        .find(|c| c.starts_with(prefix))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// What the call page of `domain` says this browser is remembered as.
async fn remembered(app: &TestApp, domain: &str, cookies: &[String]) -> Value {
    let (status, _, page) = call(app, "call_page_info", cookies, &[("domain", domain)]).await;
    assert_eq!(status, 200, "{page}");
    page["Found"]["remembered"].clone()
}

async fn a_returning_browser_is_recognised_until_it_says_forget_me(db: Db) {
    let app = TestApp::spawn(db).await;
    let alpha = app.sign_up("Alpha").await;
    let beta = app.sign_up("Beta").await;
    let (a, b) = (
        verified_domain(&app, &alpha).await,
        verified_domain(&app, &beta).await,
    );
    let mut agent = greeted(&app, &alpha.token).await;

    // First visit: the caller leaves an email on Alpha's page and calls.
    let form = [("email", "Pat@Example.org"), ("domain", a.as_str())];
    let (status, set, first) = call(&app, "start_caller", &[], &form).await;
    assert_eq!(status, 200, "{first}");
    let caller = pair(&set, "dc_caller=").expect("a caller cookie");
    let known = pair(&set, "dc_known_").expect("Alpha remembers the browser");
    let header = set.iter().find(|c| c.starts_with("dc_known_")).unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=31536000"] {
        assert!(header.contains(attribute), "{header}");
    }
    let token = caller.trim_start_matches("dc_caller=");
    let mut c = greeted(&app, token).await;
    rung_then_cancelled(&mut c, &mut agent, &a).await;
    the_contact_with(&app, &alpha, 1).await;

    // Next visit, the guest identity long gone: only Alpha's cookie is left. The page
    // greets the caller, and the call is the same contact's second.
    let browser = vec![known.clone()];
    assert_eq!(remembered(&app, &a, &browser).await, "pat@example.org");
    let (status, set, second) = call(&app, "start_caller", &browser, &[("domain", &a)]).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["id"], first["id"], "a new evanescent identity");
    assert_eq!(second["email"], "pat@example.org", "{second}");
    let caller = pair(&set, "dc_caller=").expect("a caller cookie");
    let mut c = greeted(&app, caller.trim_start_matches("dc_caller=")).await;
    let incoming = rung_then_cancelled(&mut c, &mut agent, &a).await;
    assert_eq!(
        incoming["contact"]["call_count"], 1,
        "the screen pop: {incoming}"
    );
    the_contact_with(&app, &alpha, 2).await;
    // The call log names the contact, not the guest names it called as.
    let res = app
        .gql(
            &alpha.auth(),
            "{ calls { callerName contactName callback } }",
            serde_json::json!({}),
        )
        .await;
    let calls = res["data"]["calls"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"));
    assert_eq!(calls.len(), 2, "{res}");
    for call in calls {
        assert_eq!(call["contactName"], "pat@example.org", "{call}");
        assert!(
            call["callerName"].as_str().unwrap().starts_with("guest-"),
            "{call}"
        );
        assert_eq!(call["callback"], false);
    }

    // Beta's page knows nothing of it, and the identity does not carry Alpha's email there.
    let both = vec![known.clone(), caller.clone()];
    assert_eq!(remembered(&app, &b, &both).await, Value::Null);
    let (status, set, at_beta) = call(&app, "start_caller", &both, &[("domain", &b)]).await;
    assert_eq!(status, 200, "{at_beta}");
    assert_eq!(at_beta["email"], Value::Null, "{at_beta}");
    assert!(pair(&set, "dc_known_").is_none(), "{set:?}");

    // A forged cookie (Alpha's name, the signature changed) and Alpha's cookie renamed for
    // Beta recognise nobody.
    let (name, value) = known.split_once('=').unwrap();
    // A character well inside the signature (the last one has bits base64 ignores).
    let at = value.len() - 10;
    let swapped = if &value[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{swapped}{}", &value[..at], &value[at + 1..]);
    assert_eq!(
        remembered(&app, &a, &[format!("{name}={forged}")]).await,
        Value::Null
    );
    let beta_id = uuid::Uuid::parse_str(&beta.business_id).unwrap();
    let renamed = format!("dc_known_{}={value}", beta_id.simple());
    assert_eq!(remembered(&app, &b, &[renamed]).await, Value::Null);

    // "Forget me" on Alpha's page: the cookie is removed and the live identity forgets the
    // email; the next start is nobody's.
    let both = vec![known.clone(), caller.clone()];
    let (status, set, _) = call(&app, "forget_caller", &both, &[("domain", &a)]).await;
    assert_eq!(status, 200);
    let removed = set.iter().find(|c| c.starts_with(name)).expect("removed");
    assert!(removed.contains("Max-Age=0"), "{removed}");
    let (_, _, after) = call(&app, "start_caller", &[caller], &[("domain", &a)]).await;
    assert_eq!(after["email"], Value::Null, "{after}");
    assert_eq!(remembered(&app, &a, &[]).await, Value::Null);
    app.finish().await;
}

both_dbs!(a_returning_browser_is_recognised_until_it_says_forget_me);
