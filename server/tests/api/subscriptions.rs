//! GraphQL subscriptions over WebSocket (graphql-transport-ws): a business sees its own
//! events, and only its own.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::both_dbs;
use crate::helpers::{Db, TestApp};
use crate::ws::{greeted, send, verified_domain};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribe(app: &TestApp, token: &str) -> Socket {
    subscribe_to(
        app,
        Some(token),
        "subscription { businessEvents { kind subjectId } }",
    )
    .await
}

async fn subscribe_to(app: &TestApp, token: Option<&str>, query: &str) -> Socket {
    let mut req = format!("ws://{}/graphql/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let payload = token.map_or_else(
        || json!({}),
        |t| json!({ "authorization": format!("Bearer {t}") }),
    );
    let init = json!({ "type": "connection_init", "payload": payload });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query": query } });
    ws.send(Message::text(sub.to_string())).await.unwrap();
    ws
}

async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] != "ping" && v["type"] != "pong" {
                return v;
            }
        }
    }
}

async fn business_events_are_scoped(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Beta").await;
    let mut a_ws = subscribe(&app, &a.token).await;
    let mut b_ws = subscribe(&app, &b.token).await;
    // Give the subscriptions a moment to be registered before publishing.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (a_key, _) = app.api_key(&a, "alpha key").await;
    let (b_key, _) = app.api_key(&b, "beta key").await;
    let got = next_json(&mut a_ws).await;
    assert_eq!(
        got["payload"]["data"]["businessEvents"],
        json!({ "kind": "API_KEY_CREATED", "subjectId": a_key }),
        "{got}"
    );
    // B's first event is its own key, not A's.
    let got = next_json(&mut b_ws).await;
    assert_eq!(
        got["payload"]["data"]["businessEvents"]["subjectId"],
        b_key.as_str(),
        "{got}"
    );
    app.finish().await;
}

async fn subscriptions_need_credentials(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut ws = subscribe(&app, "not-a-token").await;
    let got = next_json(&mut ws).await;
    assert_eq!(
        got["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{got}"
    );
    assert!(got["payload"]["data"].is_null(), "{got}");
    app.finish().await;
}

/// The next `businessEvents` item of `ws`: (kind, subject).
async fn next_event(ws: &mut Socket) -> (String, String) {
    let got = next_json(ws).await;
    let event = &got["payload"]["data"]["businessEvents"];
    let kind = event["kind"].as_str().unwrap_or_else(|| panic!("{got}"));
    (
        kind.to_owned(),
        event["subjectId"].as_str().unwrap().to_owned(),
    )
}

/// An integration following `businessEvents` hears each call requested, answered and
/// ended, and a call nobody answered as missed — once its record is written, so the call
/// can be read at once. Another business hears none of it.
async fn business_events_carry_calls(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Beta").await;
    let domain = verified_domain(&app, &a).await;
    let mut agent = greeted(&app, &a.token).await;
    let mut a_ws = subscribe(&app, &a.token).await;
    let mut b_ws = subscribe(&app, &b.token).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // Answered, then hung up.
    let mut caller = greeted(&app, &crate::ws::caller_token(&app).await).await;
    let request = json!({ "type": "call_request", "domain": domain, "mode": "chat" });
    send(&mut caller, request.clone()).await;
    let ring = crate::ws::next_call(&mut agent).await;
    let call_id = ring["call_id"].as_str().unwrap().to_owned();
    let (kind, subject) = next_event(&mut a_ws).await;
    assert_eq!(
        (kind.as_str(), subject.as_str()),
        ("CALL_REQUESTED", call_id.as_str())
    );
    let read = "query($id: ID!) { call(id: $id) { id state } }";
    let res = app.gql(&a.auth(), read, json!({ "id": call_id })).await;
    assert_eq!(
        res["data"]["call"]["id"],
        call_id.as_str(),
        "readable at once: {res}"
    );
    send(&mut agent, json!({ "type": "accept", "call_id": call_id })).await;
    assert_eq!(
        next_event(&mut a_ws).await,
        ("CALL_ANSWERED".to_owned(), call_id.clone())
    );
    send(&mut caller, json!({ "type": "hangup" })).await;
    assert_eq!(
        next_event(&mut a_ws).await,
        ("CALL_ENDED".to_owned(), call_id.clone())
    );

    // Cancelled while it rang: missed.
    loop {
        if crate::ws::next_call(&mut agent).await["type"] == "ended" {
            break;
        }
    }
    send(&mut caller, request).await;
    let ring = crate::ws::next_call(&mut agent).await;
    let missed = ring["call_id"].as_str().unwrap().to_owned();
    assert_eq!(
        next_event(&mut a_ws).await,
        ("CALL_REQUESTED".to_owned(), missed.clone())
    );
    send(&mut caller, json!({ "type": "cancel" })).await;
    assert_eq!(
        next_event(&mut a_ws).await,
        ("CALL_MISSED".to_owned(), missed)
    );

    // Beta heard nothing of Alpha's calls: its first event is its own key.
    let (b_key, _) = app.api_key(&b, "beta key").await;
    assert_eq!(
        next_event(&mut b_ws).await,
        ("API_KEY_CREATED".to_owned(), b_key)
    );
    app.finish().await;
}

both_dbs!(
    business_events_are_scoped,
    subscriptions_need_credentials,
    business_events_carry_calls
);

/// The next `onlineDomains` list the subscription sends.
async fn online_list(ws: &mut Socket) -> Vec<String> {
    let v = next_json(ws).await;
    assert_eq!(v["type"], "next", "{v}");
    serde_json::from_value(v["payload"]["data"]["onlineDomains"].clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_domains_follow_presence() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let a = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &a).await;
    // No credentials needed: callers' pages use it.
    let mut sub = subscribe_to(&app, None, "subscription { onlineDomains }").await;
    assert!(!online_list(&mut sub).await.contains(&domain));
    let mut agent = greeted(&app, &a.token).await;
    assert!(online_list(&mut sub).await.contains(&domain));
    send(
        &mut agent,
        serde_json::json!({ "type": "set_availability", "availability": "away" }),
    )
    .await;
    assert!(
        !online_list(&mut sub).await.contains(&domain),
        "away is not online"
    );
    send(
        &mut agent,
        serde_json::json!({ "type": "set_availability", "availability": "available" }),
    )
    .await;
    assert!(online_list(&mut sub).await.contains(&domain));
    drop(agent);
    assert!(
        !online_list(&mut sub).await.contains(&domain),
        "gone is not online"
    );
    app.finish().await;
}
