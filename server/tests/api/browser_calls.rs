//! The server functions behind the browser's calls: the caller cookie the call page's
//! socket authenticates with, the call pages' online state from the hub's presence (one
//! business's line, and the domains `/call` suggests), and the notes an agent keeps after
//! a call.

use entity::entities::call;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Db, TestApp};
use crate::ws::{greeted, next_call, next_json, send, verified_domain};

/// Calls a server function with a form body and optional cookie; (status, set-cookie, body).
async fn server_fn(
    app: &TestApp,
    endpoint: &str,
    cookie: Option<String>,
    form: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let headers: Vec<(&str, String)> = cookie.into_iter().map(|c| ("cookie", c)).collect();
    let res = app.server_fn(endpoint, &headers, form).await;
    let status = res.status().as_u16();
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = res.text().await.unwrap();
    (
        status,
        set_cookie,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_cookie_is_set_once_and_opens_the_socket() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let (status, cookie, first) = server_fn(&app, "start_caller", None, &[]).await;
    assert_eq!(status, 200, "{first}");
    let cookie = cookie.expect("a caller cookie");
    assert!(cookie.starts_with("dc_caller="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let max_age: i64 = cookie
        .split("Max-Age=")
        .nth(1)
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.parse().ok())
        .expect("Max-Age");
    assert!((3500..=3600).contains(&max_age), "{cookie}");
    assert!(
        first["name"].as_str().unwrap().starts_with("guest-"),
        "{first}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();

    // A still-valid cookie is reused: same identity, no new cookie; an email is attached.
    let (status, again, second) = server_fn(
        &app,
        "start_caller",
        Some(pair.clone()),
        &[("email", "caller@example.com")],
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert!(again.is_none(), "{again:?}");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["email"], "caller@example.com");

    // The cookie authenticates the WebSocket upgrade as a caller.
    let mut req = format!("ws://{}/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("cookie", pair.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    send(&mut ws, json!({ "type": "hello", "version": 1 })).await;
    let welcome = next_json(&mut ws).await;
    assert_eq!(welcome["role"], "caller", "{welcome}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_page_is_online_and_notes_stay_with_the_call() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Beta").await;
    let domain = verified_domain(&app, &a).await;
    let online = |app: &TestApp, domain: String| {
        let app_base = app.base.clone();
        let http = app.http.clone();
        async move {
            let res: Value = http
                .post(format!("{app_base}/api/call_page_info"))
                .header("accept", "application/json")
                .form(&[("domain", domain.as_str())])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            res["Found"]["online"].clone()
        }
    };
    assert_eq!(online(&app, domain.clone()).await, false);
    let mut agent = greeted(&app, &a.token).await;
    assert_eq!(online(&app, domain.clone()).await, true);

    // A call: caller (cookie), agent accepts, caller hangs up.
    let (_, cookie, _) = server_fn(&app, "start_caller", None, &[]).await;
    let pair = cookie.unwrap().split(';').next().unwrap().to_owned();
    let mut req = format!("ws://{}/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("cookie", pair.parse().unwrap());
    let (mut caller, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    send(&mut caller, json!({ "type": "hello", "version": 1 })).await;
    next_json(&mut caller).await;
    send(
        &mut caller,
        json!({ "type": "call_request", "domain": domain, "mode": "chat" }),
    )
    .await;
    let ring = next_call(&mut agent).await;
    let call_id = ring["call_id"].as_str().unwrap().to_owned();
    send(&mut agent, json!({ "type": "accept", "call_id": call_id })).await;
    send(&mut caller, json!({ "type": "hangup" })).await;
    loop {
        if next_call(&mut agent).await["type"] == "ended" {
            break;
        }
    }

    let session = |token: &str| Some(format!("dc_session={token}"));
    let (status, _, body) = server_fn(
        &app,
        "save_call_notes",
        session(&a.token),
        &[("call_id", &call_id), ("notes", "  Wants a quote.  ")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let model = call::Entity::find_by_id(uuid::Uuid::parse_str(&call_id).unwrap())
        .one(&app.services.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(model.notes.as_deref(), Some("Wants a quote."));

    // Another business cannot see or write it; too long is refused.
    let (status, _, _) = server_fn(
        &app,
        "save_call_notes",
        session(&b.token),
        &[("call_id", &call_id), ("notes", "mine")],
    )
    .await;
    assert_eq!(status, 404);
    let long = "x".repeat(5001);
    let (status, _, _) = server_fn(
        &app,
        "save_call_notes",
        session(&a.token),
        &[("call_id", &call_id), ("notes", &long)],
    )
    .await;
    assert_eq!(status, 422);
    let (status, _, _) = server_fn(
        &app,
        "save_call_notes",
        None,
        &[("call_id", &call_id), ("notes", "anon")],
    )
    .await;
    assert_eq!(status, 401);
    app.finish().await;
}

/// `GET path` on the server's own host (an IP address): the rendered page.
async fn page(app: &TestApp, path: &str) -> String {
    let res = app
        .http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

/// Renders `/call` until `domain` is (or is not) among its suggestions; returns that page.
async fn suggested(app: &TestApp, domain: &str, online: bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let html = page(app, "/call").await;
        let listed = html.contains(&format!("<option value=\"{domain}\""))
            && html.contains(&format!("href=\"/call/{domain}\""));
        if listed == online {
            return html;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{domain} suggested should be {online}: {html}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_call_page_suggests_the_domains_online() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Beta").await;
    let alpha = verified_domain(&app, &a).await;
    let beta = verified_domain(&app, &b).await;

    // Nobody online: the form, and no suggestion.
    let html = suggested(&app, &alpha, false).await;
    assert!(html.contains("Who do you want to call?"), "{html}");
    assert!(html.contains("id=\"call-online-empty\""), "{html}");
    assert!(html.contains("list=\"call-online-list\""), "{html}");

    // An available agent of Alpha: Alpha is suggested, offline Beta is not.
    let mut agent = greeted(&app, &a.token).await;
    let html = suggested(&app, &alpha, true).await;
    assert!(!html.contains(&beta), "{html}");
    assert!(html.contains("Online now"), "{html}");
    let business = page(&app, &format!("/call/{alpha}")).await;
    assert!(business.contains("call-online is-online"), "{business}");

    // Away is not online.
    send(
        &mut agent,
        json!({ "type": "set_availability", "availability": "away" }),
    )
    .await;
    let html = suggested(&app, &alpha, false).await;
    assert!(!html.contains(&beta), "{html}");
    app.finish().await;
}
