//! The embedded TURN server grants allocations to the credentials the hub hands the two
//! parties of a call in `accepted`, and to nothing else: not a forged password, not a
//! credential past its expiry, not a username that names no call. A TURN client from
//! webrtc-rs' `turn` crate speaks to it over loopback UDP.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::net::UdpSocket;
use turn::client::{Client, ClientConfig};

use crate::helpers::{embedded_turn, Db, TestApp};
use crate::ws::{caller_token, greeted, next_call, send, verified_domain};

const SECRET: &str = "turn-test-secret";

async fn app_with_turn() -> TestApp {
    let app = TestApp::spawn_with(Db::Sqlite, |s| embedded_turn(s, SECRET)).await;
    assert!(app.turn.is_some(), "the embedded TURN server runs");
    app
}

/// Asks `turn` for an allocation as `username`/`password`; the relayed address if granted.
async fn allocate(turn: SocketAddr, username: &str, password: &str) -> Result<SocketAddr, String> {
    let conn = UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let client = Client::new(ClientConfig {
        stun_serv_addr: turn.to_string(),
        turn_serv_addr: turn.to_string(),
        username: username.to_owned(),
        password: password.to_owned(),
        realm: String::new(),
        software: String::new(),
        rto_in_ms: 0,
        conn: Arc::new(conn),
        vnet: None,
    })
    .await
    .map_err(|e| e.to_string())?;
    client.listen().await.map_err(|e| e.to_string())?;
    let granted = client.allocate().await.map_err(|e| e.to_string());
    let relayed = match granted {
        Ok(relay) => webrtc_util::Conn::local_addr(&relay).map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    let _ = client.close().await;
    relayed
}

/// Rings and accepts one call; the caller's `accepted`.
async fn accepted_call(app: &TestApp) -> Value {
    let owner = app.sign_up("Relay Co").await;
    let domain = verified_domain(app, &owner).await;
    let mut agent = greeted(app, &owner.token).await;
    let mut caller = greeted(app, &caller_token(app).await).await;
    send(
        &mut caller,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    let incoming = next_call(&mut agent).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    let call_id = incoming["call_id"].clone();
    send(&mut agent, json!({ "type": "accept", "call_id": call_id })).await;
    loop {
        let v = next_call(&mut caller).await;
        if v["type"] == "accepted" {
            return v;
        }
        assert_eq!(v["type"], "ringing", "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_turn_server_relays_for_a_calls_parties_only() {
    let app = app_with_turn().await;
    let turn = app.turn.expect("the embedded TURN server runs");
    let accepted = accepted_call(&app).await;
    let server = accepted["ice_servers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["username"].is_string())
        .unwrap_or_else(|| panic!("a TURN server with credentials in {accepted}"));
    assert_eq!(
        server["urls"],
        json!([format!("turn:{turn}?transport=udp")]),
        "{server}"
    );
    let username = server["username"].as_str().expect("a username");
    let password = server["credential"].as_str().expect("a credential");

    let relayed = allocate(turn, username, password)
        .await
        .unwrap_or_else(|e| panic!("the call's own credentials are refused: {e}"));
    assert_eq!(relayed.ip().to_string(), "127.0.0.1", "relayed on loopback");
    assert_ne!(relayed.port(), turn.port(), "a relay port of its own");

    assert!(
        allocate(turn, username, "forged").await.is_err(),
        "a forged password is refused"
    );
    let (_, call_id) = username.split_once(':').expect("expiry:callid");
    let past = chrono::Utc::now().timestamp() - 60;
    let expired = format!("{past}:{call_id}");
    let expired_password = entity::calls::ice::turn_credential(SECRET, &expired);
    assert!(
        allocate(turn, &expired, &expired_password).await.is_err(),
        "an expired credential is refused"
    );
    let future = chrono::Utc::now().timestamp() + 600;
    let not_a_call = format!("{future}:alice");
    let signed = entity::calls::ice::turn_credential(SECRET, &not_a_call);
    assert!(
        allocate(turn, &not_a_call, &signed).await.is_err(),
        "a username naming no call is refused"
    );
    app.finish().await;
}
