//! The dashboard's Webhooks page, through its server functions as the page calls them:
//! an owner registers an endpoint and sees its signing secret once, sends a test event and
//! finds it in the delivery log, switches the endpoint off, rotates the secret (the old one
//! keeps signing for a day) and deletes it; an agent is refused. (Business B's reach is in
//! the isolation table.)

use crate::both_dbs;
use crate::helpers::{Db, TestApp};
use crate::ws::colleague;

const URL: &str = "https://hooks.alpha-shop.example/in";

/// Calls a server function as the owner with `(name, value)` pairs.
macro_rules! run {
    ($app:expr, $owner:expr, $endpoint:expr, $form:expr $(,)?) => {{
        let form: Vec<(&str, String)> = $form;
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        $app.server_fn_as(&$owner.token, $endpoint, &form).await
    }};
}

async fn an_owner_manages_webhooks_from_the_dashboard(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;

    let (status, created) = run!(
        app,
        owner,
        "create_webhook",
        vec![
            ("url", URL.to_owned()),
            ("events[0]", "call.ended".to_owned()),
            ("events[1]", "call.missed".to_owned()),
            ("description", "CRM <sync>".to_owned()),
        ],
    );
    assert_eq!(status, 200, "{created}");
    let secret = created["secret"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    let id = created["endpoint"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        created["endpoint"]["events"],
        serde_json::json!(["call.ended", "call.missed"])
    );

    // Listed, never with its secret.
    let (status, list) = run!(app, owner, "list_webhooks", vec![]);
    assert_eq!(status, 200);
    assert_eq!(list[0]["url"], URL, "{list}");
    assert_eq!(list[0]["enabled"], true);
    assert!(
        !list.to_string().contains(&secret),
        "the list shows the secret: {list}"
    );

    // A form without its description is bad input (400), not a server failure.
    let (status, refused) = run!(
        app,
        owner,
        "create_webhook",
        vec![
            ("url", URL.to_owned()),
            ("events[0]", "call.ended".to_owned())
        ]
    );
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["code"], "VALIDATION", "{refused}");
    // A bad URL is refused with a sentence naming the field.
    let (status, refused) = run!(
        app,
        owner,
        "create_webhook",
        vec![
            ("url", "ftp://x".to_owned()),
            ("events[0]", "call.ended".to_owned()),
            ("description", String::new()),
        ],
    );
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["fields"][0]["field"], "url", "{refused}");

    // A test event lands in the log.
    let (status, test) = run!(app, owner, "send_test_webhook", vec![("id", id.clone())]);
    assert_eq!(status, 200, "{test}");
    assert_eq!(test["event_type"], "webhook.test");
    let (status, log) = run!(app, owner, "webhook_deliveries", vec![("id", id.clone())]);
    assert_eq!(status, 200, "{log}");
    assert_eq!(log[0]["id"], test["id"], "{log}");
    let (status, again) = run!(
        app,
        owner,
        "resend_webhook_delivery",
        vec![("id", test["id"].as_str().unwrap_or_default().to_owned())],
    );
    assert!(matches!(status, 200 | 409), "{again}");

    // Off, then a new secret (the old one still signs for a day).
    let (status, off) = run!(
        app,
        owner,
        "set_webhook_enabled",
        vec![("id", id.clone()), ("enabled", "false".to_owned())],
    );
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["enabled"], false);
    let (status, rotated) = run!(
        app,
        owner,
        "rotate_webhook_secret",
        vec![("id", id.clone())]
    );
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap_or_default();
    assert!(
        new_secret.starts_with("whsec_") && new_secret != secret,
        "{rotated}"
    );
    assert!(
        rotated["endpoint"]["previous_secret_expires_at"].is_string(),
        "{rotated}"
    );

    // An agent sees none of it and changes nothing.
    let (agent_token, _) = colleague(&app, &owner).await;
    let (status, body) = app.server_fn_as(&agent_token, "list_webhooks", &[]).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = app
        .server_fn_as(&agent_token, "delete_webhook", &[("id", id.as_str())])
        .await;
    assert_eq!(status, 403, "{body}");

    // Deleted: gone from the list.
    let (status, _) = run!(app, owner, "delete_webhook", vec![("id", id.clone())]);
    assert_eq!(status, 200);
    let (_, list) = run!(app, owner, "list_webhooks", vec![]);
    assert_eq!(list, serde_json::json!([]));

    // The page itself is in the dashboard's navigation.
    let res = app
        .http
        .get(format!("{}/app/webhooks", app.base))
        .header("cookie", format!("dc_session={}", owner.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap_or_default();
    assert!(
        html.contains("href=\"/app/webhooks\""),
        "no navigation link"
    );
    app.finish().await;
}

both_dbs!(an_owner_manages_webhooks_from_the_dashboard);
