//! GraphQL subscriptions over WebSocket (graphql-transport-ws): a business sees its own
//! events, and only its own.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::both_dbs;
use crate::helpers::{Db, TestApp};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribe(app: &TestApp, token: &str) -> Socket {
    let mut req = format!("ws://{}/graphql/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { businessEvents { kind subjectId } }" } });
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

both_dbs!(business_events_are_scoped, subscriptions_need_credentials);
