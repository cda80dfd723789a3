//! WebSocket and setup helpers shared by the signaling and call tests.

use std::time::Duration;

use entity::entities::domain;
use futures::{SinkExt, StreamExt};
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{link_in, Auth, Owner, TestApp};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn send(ws: &mut Socket, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next text message within `wait`, if any.
pub async fn next_within(ws: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()?;
        match msg.expect("the socket open").expect("no socket error") {
            Message::Text(t) => return Some(serde_json::from_str(&t).unwrap()),
            Message::Close(c) => panic!("closed instead: {c:?}"),
            _ => {}
        }
    }
}

/// An upgraded (not yet greeted) socket to `/ws`, authenticated by
/// `Authorization: Bearer <token>` (a session or a caller token).
pub async fn open(app: &TestApp, token: &str) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{}/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// Sends `hello` (resuming session `resume`, if given) and returns the `welcome`.
pub async fn hello(ws: &mut Socket, resume: Option<&Value>) -> Value {
    let mut hello = json!({ "type": "hello", "version": 1 });
    if let Some(previous) = resume {
        hello["resume"] = previous.clone();
    }
    send(ws, hello).await;
    let welcome = next_json(ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    welcome
}

/// A socket to `/ws` authenticated by `Authorization: Bearer <token>` (a session or a
/// caller token) that has sent `hello` and read `welcome`.
pub async fn greeted(app: &TestApp, token: &str) -> Socket {
    let mut ws = open(app, token).await;
    hello(&mut ws, None).await;
    ws
}

/// The next message that is not `presence` (agents hear colleagues come and go).
pub async fn next_call(ws: &mut Socket) -> Value {
    loop {
        let v = next_json(ws).await;
        if v["type"] != "presence" {
            return v;
        }
    }
}

/// Asserts nothing but `presence` arrives for a short while.
pub async fn silent(ws: &mut Socket) {
    while let Some(v) = next_within(ws, Duration::from_millis(300)).await {
        assert_eq!(v["type"], "presence", "unexpected {v}");
    }
}

pub async fn next_json(ws: &mut Socket) -> Value {
    next_within(ws, Duration::from_secs(10))
        .await
        .expect("a message in time")
}

pub async fn caller_token(app: &TestApp) -> String {
    let res = app
        .gql(
            &Auth::None,
            "mutation { startCallerSession { token } }",
            json!({}),
        )
        .await;
    res["data"]["startCallerSession"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no caller token: {res}"))
        .to_owned()
}

pub async fn add_domain(app: &TestApp, owner: &Owner) -> (String, uuid::Uuid) {
    let name = format!(
        "shop-{}.com",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    );
    let res = app
        .gql(
            &owner.auth(),
            "mutation($n: String!) { addDomain(name: $n) { id } }",
            json!({ "n": name }),
        )
        .await;
    let id = res["data"]["addDomain"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("addDomain failed: {res}"));
    (name, uuid::Uuid::parse_str(id).unwrap())
}

pub async fn verified_domain(app: &TestApp, owner: &Owner) -> String {
    verified_domain_with_id(app, owner).await.0
}

/// A new domain of `owner`'s business, marked verified in the database: `(name, id)`.
pub async fn verified_domain_with_id(app: &TestApp, owner: &Owner) -> (String, uuid::Uuid) {
    let (name, id) = add_domain(app, owner).await;
    domain::Entity::update_many()
        .col_expr(domain::Column::Status, Expr::value("verified"))
        .filter(domain::Column::Id.eq(id))
        .exec(&app.services.db)
        .await
        .unwrap();
    (name, id)
}

/// A colleague of `owner`'s business, signed in: `(session token, user id)`.
pub async fn colleague(app: &TestApp, owner: &Owner) -> (String, String) {
    let email = format!("agent-{}@example.com", uuid::Uuid::new_v4().simple());
    app.gql(
        &owner.auth(),
        "mutation($e: String!) { inviteMember(email: $e, role: AGENT) { id } }",
        json!({ "e": email }),
    )
    .await;
    let t = link_in(&app.wait_for_mail(&email).await, "/invite/")
        .trim_start_matches("/invite/")
        .to_owned();
    let res = app
        .gql(
            &Auth::None,
            "mutation($t: String!) { acceptInvitation(token: $t, password: \"agent password 1\") { token userId } }",
            json!({ "t": t }),
        )
        .await;
    let accepted = &res["data"]["acceptInvitation"];
    (
        accepted["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{res}"))
            .to_owned(),
        accepted["userId"]
            .as_str()
            .unwrap_or_else(|| panic!("{res}"))
            .to_owned(),
    )
}
