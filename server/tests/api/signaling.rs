//! The signaling hub at `/ws` with raw WebSocket clients: who may connect (credentials,
//! `Origin`), the greeting and its limits (timeouts, heartbeats, frame size, bad input,
//! rate), presence within a business and `onlineDomains`, and shutdown.

use std::time::Duration;

use entity::entities::caller_identity;
use futures::{SinkExt, StreamExt};
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::both_dbs;
use crate::helpers::{Auth, Db, TestApp};
use crate::ws::{caller_token, next_json, send, verified_domain, Socket};

/// How a test client proves who it is.
#[derive(Clone, Debug)]
enum Cred {
    None,
    SessionCookie(String),
    Bearer(String),
    CallerCookie(String),
}

async fn try_connect(app: &TestApp, cred: &Cred, origin: Option<&str>) -> Result<Socket, u16> {
    let mut req = format!("ws://{}/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    let headers = req.headers_mut();
    match cred {
        Cred::None => {}
        Cred::SessionCookie(t) => {
            headers.insert("cookie", format!("dc_session={t}").parse().unwrap());
        }
        Cred::CallerCookie(t) => {
            headers.insert("cookie", format!("dc_caller={t}").parse().unwrap());
        }
        Cred::Bearer(t) => {
            headers.insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
    }
    if let Some(o) = origin {
        headers.insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("connecting failed: {e}"),
    }
}

async fn connect(app: &TestApp, cred: &Cred) -> Socket {
    try_connect(app, cred, None).await.expect("an upgrade")
}

/// The next message of type `kind`, skipping others.
async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let v = next_json(ws).await;
        if v["type"] == kind {
            return v;
        }
    }
}

/// Reads until the close frame and returns its code (text messages before it are skipped).
async fn close_code(ws: &mut Socket) -> u16 {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a close in time");
        match msg {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) => panic!("a close without a code"),
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
}

/// Says hello and returns the welcome.
async fn hello(ws: &mut Socket) -> Value {
    send(ws, json!({ "type": "hello", "version": 1 })).await;
    let welcome = next_json(ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    welcome
}

async fn greeted(app: &TestApp, cred: &Cred) -> Socket {
    let mut ws = connect(app, cred).await;
    hello(&mut ws).await;
    ws
}

async fn online_domains(app: &TestApp) -> Vec<String> {
    let res = app.gql(&Auth::None, "{ onlineDomains }", json!({})).await;
    serde_json::from_value(res["data"]["onlineDomains"].clone())
        .unwrap_or_else(|_| panic!("onlineDomains: {res}"))
}

/// Polls `onlineDomains` until `domain` is (or is not) listed.
async fn wait_online(app: &TestApp, domain: &str, online: bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let listed = online_domains(app).await.iter().any(|d| d == domain);
        if listed == online {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{domain} online should be {online}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn agents_connect_with_their_session(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    for cred in [
        Cred::SessionCookie(owner.token.clone()),
        Cred::Bearer(owner.token.clone()),
    ] {
        let mut ws = connect(&app, &cred).await;
        // A newer client is answered with the version both speak.
        send(&mut ws, json!({ "type": "hello", "version": 7 })).await;
        let welcome = next_json(&mut ws).await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        assert_eq!(welcome["version"], 1);
        assert_eq!(welcome["role"], "agent");
        assert_eq!(welcome["heartbeat_interval_ms"], 25_000);
        assert_eq!(welcome["max_message_bytes"], 65_536);
        assert_eq!(welcome["resumed"], false);
        assert!(welcome["connection_id"].as_str().unwrap().len() == 36);
        let me = next_of(&mut ws, "presence").await;
        assert_eq!(me["user_id"], owner.user_id.as_str());
        assert_eq!(me["status"], "available");
        send(&mut ws, json!({ "type": "ping", "nonce": 42 })).await;
        assert_eq!(
            next_of(&mut ws, "pong").await,
            json!({ "type": "pong", "nonce": 42 })
        );
        ws.close(None).await.unwrap();
    }
    app.finish().await;
}

async fn callers_connect_with_a_caller_token(db: Db) {
    let app = TestApp::spawn(db).await;
    let token = caller_token(&app).await;
    for cred in [
        Cred::Bearer(token.clone()),
        Cred::CallerCookie(token.clone()),
    ] {
        let mut ws = connect(&app, &cred).await;
        let welcome = hello(&mut ws).await;
        assert_eq!(welcome["role"], "caller", "{welcome}");
        // Agents' messages are forbidden to callers.
        send(
            &mut ws,
            json!({ "type": "set_availability", "availability": "away" }),
        )
        .await;
        let err = next_json(&mut ws).await;
        assert_eq!(err["code"], "forbidden", "{err}");
        // `transfer` is not served yet, and says so (callers get `forbidden` first; the
        // call lifecycle itself is tested in `calls.rs`).
        send(&mut ws, json!({ "type": "cancel" })).await;
        let err = next_json(&mut ws).await;
        assert_eq!(err["code"], "not_in_call", "{err}");
        ws.close(None).await.unwrap();
    }
    // An expired identity's token is refused at the door.
    let claims = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims).unwrap(),
    )
    .unwrap();
    let id = uuid::Uuid::parse_str(claims["sub"].as_str().unwrap()).unwrap();
    caller_identity::Entity::update_many()
        .col_expr(
            caller_identity::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(caller_identity::Column::Id.eq(id))
        .exec(&app.services.db)
        .await
        .unwrap();
    assert_eq!(
        try_connect(&app, &Cred::Bearer(token), None).await.err(),
        Some(401)
    );
    app.finish().await;
}

async fn sockets_need_credentials(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    for cred in [
        Cred::None,
        Cred::Bearer("garbage".into()),
        Cred::CallerCookie("garbage.garbage.garbage".into()),
        Cred::SessionCookie("not-a-session".into()),
    ] {
        assert_eq!(
            try_connect(&app, &cred, None).await.err(),
            Some(401),
            "{cred:?}"
        );
    }
    // API keys are for servers, not devices.
    let (_, key) = app.api_key(&owner, "server").await;
    assert_eq!(
        try_connect(&app, &Cred::Bearer(key), None).await.err(),
        Some(401)
    );
    // Tokens in the URL are ignored.
    let req = format!(
        "ws://{}/ws?token={}",
        app.base.trim_start_matches("http://"),
        owner.token
    );
    match tokio_tungstenite::connect_async(req).await {
        Err(WsError::Http(res)) => assert_eq!(res.status().as_u16(), 401),
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
    app.finish().await;
}

async fn origins_are_checked(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.allowed_origins = vec!["https://app.example.net".into()];
    })
    .await;
    let owner = app.sign_up("Acme").await;
    let cred = Cred::SessionCookie(owner.token.clone());
    assert_eq!(
        try_connect(&app, &cred, Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        try_connect(&app, &cred, Some("null")).await.err(),
        Some(403)
    );
    assert!(try_connect(&app, &cred, Some("https://app.example.net"))
        .await
        .is_ok());
    // A business's verified domain hosts call pages: its origin may connect a caller.
    let name = verified_domain(&app, &owner).await;
    let caller = Cred::Bearer(caller_token(&app).await);
    for origin in [format!("https://{name}"), format!("https://call.{name}")] {
        let mut ws = try_connect(&app, &caller, Some(&origin))
            .await
            .unwrap_or_else(|s| panic!("{origin}: {s}"));
        hello(&mut ws).await;
    }
    // From a business's site the dashboard cookie does not count (an explicit bearer does).
    let origin = format!("https://{name}");
    assert_eq!(
        try_connect(&app, &cred, Some(&origin)).await.err(),
        Some(401)
    );
    let mut ws = try_connect(&app, &Cred::Bearer(owner.token.clone()), Some(&origin))
        .await
        .unwrap();
    assert_eq!(hello(&mut ws).await["role"], "agent");
    assert_eq!(
        try_connect(&app, &caller, Some("https://not-verified-here.com"))
            .await
            .err(),
        Some(403)
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_comes_first_and_in_time() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.signaling.hello_timeout = Duration::from_millis(300);
    })
    .await;
    let token = caller_token(&app).await;
    let cred = Cred::Bearer(token);
    let mut ws = connect(&app, &cred).await;
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(next_json(&mut ws).await["code"], "hello_required");
    assert_eq!(close_code(&mut ws).await, 4003);
    // Too old a version.
    let mut ws = connect(&app, &cred).await;
    send(&mut ws, json!({ "type": "hello", "version": 0 })).await;
    assert_eq!(next_json(&mut ws).await["code"], "version_unsupported");
    assert_eq!(close_code(&mut ws).await, 4002);
    // A second hello.
    let mut ws = greeted(&app, &cred).await;
    send(&mut ws, json!({ "type": "hello", "version": 1 })).await;
    assert_eq!(next_json(&mut ws).await["code"], "already_greeted");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_clients_are_closed() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.signaling.heartbeat_interval = Duration::from_millis(200);
    })
    .await;
    let cred = Cred::Bearer(caller_token(&app).await);
    let mut ws = connect(&app, &cred).await;
    assert_eq!(hello(&mut ws).await["heartbeat_interval_ms"], 200);
    // Pinging keeps it open past two intervals…
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        send(&mut ws, json!({ "type": "ping" })).await;
        assert_eq!(next_json(&mut ws).await["type"], "pong");
    }
    // …silence closes it.
    let started = std::time::Instant::now();
    assert_eq!(close_code(&mut ws).await, 4004);
    assert!(started.elapsed() >= Duration::from_millis(300));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_frames_close_with_1009() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let cred = Cred::Bearer(caller_token(&app).await);
    let mut ws = greeted(&app, &cred).await;
    // Exactly the limit is fine (unknown fields are ignored).
    let padding = "x".repeat(65_536 - 40);
    let fits = format!(r#"{{"type":"ping","pad":"{padding}"}}"#);
    let fits = format!("{fits}{}", " ".repeat(65_536 - fits.len()));
    assert_eq!(fits.len(), 65_536);
    send_text(&mut ws, fits).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");
    send_text(&mut ws, "x".repeat(70_000)).await;
    assert_eq!(close_code(&mut ws).await, 1009);
    app.finish().await;
}

async fn send_text(ws: &mut Socket, text: String) {
    ws.send(Message::text(text)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_get_errors_and_the_socket_lives() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let cred = Cred::Bearer(caller_token(&app).await);
    let mut ws = greeted(&app, &cred).await;
    for (frame, code) in [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        (r#"{"type": "teleport"}"#, "unknown_type"),
        (r#"{"no_type": 1}"#, "unknown_type"),
        (r#"{"type": "hello"}"#, "invalid_message"),
    ] {
        send_text(&mut ws, frame.to_owned()).await;
        let err = next_json(&mut ws).await;
        assert_eq!(err["type"], "error", "{frame}: {err}");
        assert_eq!(err["code"], code, "{frame}: {err}");
    }
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(next_json(&mut ws).await["code"], "bad_json");
    send(&mut ws, json!({ "type": "ping", "nonce": 1 })).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");
    // Many invalid messages: policy violation.
    for _ in 0..30 {
        if ws.send(Message::text("{oops")).await.is_err() {
            break;
        }
    }
    assert_eq!(close_code(&mut ws).await, 1008);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_are_rate_limited_then_closed() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.signaling.rate_per_sec = 5.0;
        s.signaling.burst = 5.0;
        s.signaling.rate_abuse_limit = 10.0;
    })
    .await;
    let cred = Cred::Bearer(caller_token(&app).await);
    let mut ws = connect(&app, &cred).await;
    hello(&mut ws).await;
    for _ in 0..40 {
        if ws
            .send(Message::text(json!({ "type": "ping" }).to_string()))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut pongs = 0;
    let mut limited = 0;
    let code = loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("in time");
        match msg {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "pong" {
                    pongs += 1;
                } else {
                    assert_eq!(v["code"], "rate_limited", "{v}");
                    limited += 1;
                }
            }
            Some(Ok(Message::Close(Some(frame)))) => break u16::from(frame.code),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(code, 4008);
    assert!((4..=8).contains(&pongs), "{pongs} pongs");
    assert!(limited >= 5, "{limited} rate_limited");
    app.finish().await;
}

async fn presence_is_shared_within_a_business(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Beta").await;
    let a_domain = verified_domain(&app, &a).await;
    assert!(!online_domains(&app).await.contains(&a_domain));

    let mut b1 = greeted(&app, &Cred::Bearer(b.token.clone())).await;
    assert_eq!(
        next_of(&mut b1, "presence").await["user_id"],
        b.user_id.as_str()
    );

    let mut a1 = greeted(&app, &Cred::SessionCookie(a.token.clone())).await;
    let p = next_of(&mut a1, "presence").await;
    assert_eq!(
        p,
        json!({ "type": "presence", "user_id": a.user_id, "status": "available", "devices": 1 })
    );
    wait_online(&app, &a_domain, true).await;

    let mut a2 = greeted(&app, &Cred::Bearer(a.token.clone())).await;
    let p = next_of(&mut a2, "presence").await;
    assert_eq!(p["devices"], 2, "{p}");
    let p = next_of(&mut a1, "presence").await;
    assert_eq!(
        p,
        json!({ "type": "presence", "user_id": a.user_id, "status": "available", "devices": 2 })
    );

    // Away on one device is away on all, and the business's domains go offline.
    send(
        &mut a2,
        json!({ "type": "set_availability", "availability": "away" }),
    )
    .await;
    let p = next_of(&mut a1, "presence").await;
    assert_eq!(
        p,
        json!({ "type": "presence", "user_id": a.user_id, "status": "away", "devices": 2 })
    );
    assert_eq!(next_of(&mut a2, "presence").await["status"], "away");
    wait_online(&app, &a_domain, false).await;
    send(
        &mut a1,
        json!({ "type": "set_availability", "availability": "available" }),
    )
    .await;
    assert_eq!(next_of(&mut a1, "presence").await["status"], "available");
    assert_eq!(next_of(&mut a2, "presence").await["status"], "available");
    wait_online(&app, &a_domain, true).await;

    // Business B heard nothing of A: its next message answers its own ping.
    send(&mut b1, json!({ "type": "ping", "nonce": 9 })).await;
    let next = next_json(&mut b1).await;
    assert_eq!(next, json!({ "type": "pong", "nonce": 9 }));

    // Devices leaving: the other device hears it; the last one takes the domain offline.
    a2.close(None).await.unwrap();
    let p = next_of(&mut a1, "presence").await;
    assert_eq!(p["devices"], 1, "{p}");
    a1.close(None).await.unwrap();
    wait_online(&app, &a_domain, false).await;
    send(&mut b1, json!({ "type": "ping", "nonce": 10 })).await;
    assert_eq!(next_json(&mut b1).await["type"], "pong");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_asks_sockets_to_reconnect_then_closes_them() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let owner = app.sign_up("Acme").await;
    let mut agent = greeted(&app, &Cred::SessionCookie(owner.token.clone())).await;
    let mut caller = greeted(&app, &Cred::Bearer(caller_token(&app).await)).await;
    // A socket that has not said hello yet is told too.
    let mut fresh = connect(&app, &Cred::Bearer(owner.token.clone())).await;
    let finishing = tokio::spawn(app.finish());
    for ws in [&mut agent, &mut caller, &mut fresh] {
        let reconnect = next_of(ws, "reconnect").await;
        let after = reconnect["after_ms"].as_u64().unwrap();
        assert!((500..5_000).contains(&after), "{reconnect}");
        assert_eq!(close_code(ws).await, u16::from(CloseCode::Away));
    }
    finishing.await.unwrap();
}

both_dbs!(
    agents_connect_with_their_session,
    callers_connect_with_a_caller_token,
    origins_are_checked,
    presence_is_shared_within_a_business,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_need_credentials_sqlite() {
    sockets_need_credentials(Db::Sqlite).await;
}
