//! The embedded TURN server grants allocations to the credentials the hub hands the two
//! parties of a call in `accepted`, and to nothing else: not a forged password, not a
//! credential past its expiry, not a username that names no call, not the credential of
//! a call that has ended (its relays close with it), and not more than the cap of
//! allocations per credential. A TURN client from webrtc-rs' `turn` crate speaks to it
//! over loopback UDP. (Which peers a relay may reach: `turn_peers.rs`.)

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use entity::calls::ice::TURN_ALLOCATIONS_PER_CREDENTIAL;
use serde_json::{json, Value};
use tokio::net::UdpSocket;
use turn::client::{Client, ClientConfig};
use webrtc_util::Conn;

use crate::helpers::{embedded_turn, Db, TestApp};
use crate::ws::{caller_token, greeted, next_call, send, verified_domain, Socket};

pub const SECRET: &str = "turn-test-secret";

/// An app with the embedded TURN server relaying to `allowed` ranges (none: public peers
/// only) and a one-second grace after a call.
pub async fn app_with_turn(db: Db, allowed: &str) -> TestApp {
    let allowed = allowed.parse().expect("CIDR ranges");
    let app = TestApp::spawn_with(db, |s| {
        embedded_turn(s, SECRET);
        let turn = s.turn_server.as_mut().expect("the TURN settings");
        turn.allowed_peers = allowed;
        turn.grace = Duration::from_secs(1);
    })
    .await;
    assert!(app.turn.is_some(), "the embedded TURN server runs");
    app
}

/// A TURN client with one allocation; keep it to keep the allocation.
pub struct Allocation {
    pub client: Client,
    pub relay: Box<dyn Conn + Send + Sync>,
}

impl Allocation {
    /// The relayed address.
    pub fn relayed(&self) -> SocketAddr {
        self.relay.local_addr().expect("a relayed address")
    }

    /// Releases the allocation (Refresh with lifetime 0) and stops the client.
    pub async fn release(self) {
        let _ = self.relay.close().await;
        let _ = self.client.close().await;
    }
}

/// Asks `turn` for an allocation as `username`/`password`.
pub async fn allocate(
    turn: SocketAddr,
    username: &str,
    password: &str,
) -> Result<Allocation, String> {
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
    match client.allocate().await {
        Ok(relay) => Ok(Allocation {
            client,
            relay: Box::new(relay),
        }),
        Err(e) => {
            let _ = client.close().await;
            Err(e.to_string())
        }
    }
}

/// A call rung and accepted: both parties' sockets and the caller's `accepted`.
pub struct AcceptedCall {
    pub caller: Socket,
    pub agent: Socket,
    pub accepted: Value,
}

impl AcceptedCall {
    /// The TURN username and credential handed out for the call.
    pub fn credentials(&self) -> (String, String) {
        let server = self.accepted["ice_servers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["username"].is_string())
            .unwrap_or_else(|| panic!("a TURN server with credentials in {}", self.accepted));
        (
            server["username"].as_str().expect("a username").to_owned(),
            server["credential"]
                .as_str()
                .expect("a credential")
                .to_owned(),
        )
    }

    /// The caller hangs up; returns once the agent is told the call ended.
    pub async fn hang_up(&mut self) {
        let call_id = self.accepted["call_id"].clone();
        send(
            &mut self.caller,
            json!({ "type": "hangup", "call_id": call_id }),
        )
        .await;
        loop {
            let v = next_call(&mut self.agent).await;
            if v["type"] == "ended" {
                return;
            }
        }
    }
}

/// Rings and accepts one call.
pub async fn accepted_call(app: &TestApp) -> AcceptedCall {
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
            return AcceptedCall {
                caller,
                agent,
                accepted: v,
            };
        }
        assert_eq!(v["type"], "ringing", "{v}");
    }
}

/// A UDP echo on `ip` that counts what it received: (its address, the count).
pub async fn udp_echo(ip: &str) -> (SocketAddr, Arc<AtomicUsize>) {
    let socket = UdpSocket::bind((ip, 0)).await.expect("an echo socket");
    let addr = socket.local_addr().expect("its address");
    let received = Arc::new(AtomicUsize::new(0));
    let count = received.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = socket.send_to(&buf[..n], from).await;
        }
    });
    (addr, received)
}

/// Sends `payload` to `peer` through the relay; what comes back within `wait`.
pub async fn round_trip(
    relay: &(dyn Conn + Send + Sync),
    peer: SocketAddr,
    payload: &[u8],
    wait: Duration,
) -> Option<Vec<u8>> {
    relay.send_to(payload, peer).await.ok()?;
    let mut buf = [0u8; 1500];
    let (n, from) = tokio::time::timeout(wait, relay.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    assert_eq!(from, peer, "the answer comes from the peer");
    Some(buf[..n].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_turn_server_relays_for_a_calls_parties_only() {
    let app = app_with_turn(Db::Sqlite, "").await;
    let turn = app.turn.expect("the embedded TURN server runs");
    let call = accepted_call(&app).await;
    let server = call.accepted["ice_servers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["username"].is_string())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        server["urls"],
        json!([format!("turn:{turn}?transport=udp")]),
        "{server}"
    );
    let (username, password) = call.credentials();

    let granted = allocate(turn, &username, &password)
        .await
        .unwrap_or_else(|e| panic!("the call's own credentials are refused: {e}"));
    let relayed = granted.relayed();
    assert_eq!(relayed.ip().to_string(), "127.0.0.1", "relayed on loopback");
    assert_ne!(relayed.port(), turn.port(), "a relay port of its own");

    assert!(
        allocate(turn, &username, "forged").await.is_err(),
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
    let unknown = format!("{future}:{}", uuid::Uuid::new_v4());
    let signed = entity::calls::ice::turn_credential(SECRET, &unknown);
    assert!(
        allocate(turn, &unknown, &signed).await.is_err(),
        "a well-signed credential of a call this server never had is refused"
    );
    granted.release().await;
    app.finish().await;
}

/// A credential holds at most the cap of allocations at once: the next Allocate is refused
/// with 486, and a released allocation frees its place.
async fn one_credential_holds_at_most_the_cap_of_allocations(db: Db) {
    let app = app_with_turn(db, "").await;
    let turn = app.turn.expect("the embedded TURN server runs");
    let call = accepted_call(&app).await;
    let (username, password) = call.credentials();
    let mut held = Vec::new();
    for n in 0..TURN_ALLOCATIONS_PER_CREDENTIAL {
        held.push(
            allocate(turn, &username, &password)
                .await
                .unwrap_or_else(|e| panic!("allocation {n} within the cap refused: {e}")),
        );
    }
    let refused = allocate(turn, &username, &password).await.err();
    assert!(
        refused.as_deref().is_some_and(|e| e.contains("486")),
        "allocation {} is refused with 486 Allocation Quota Reached: {refused:?}",
        TURN_ALLOCATIONS_PER_CREDENTIAL + 1
    );
    if let Some(first) = held.pop() {
        first.release().await;
    }
    let mut again = Err(String::new());
    for _ in 0..20 {
        again = allocate(turn, &username, &password).await;
        if again.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = again.unwrap_or_else(|e| panic!("a released place is free again: {e}"));
    again.release().await;
    for allocation in held {
        allocation.release().await;
    }
    app.finish().await;
}

/// When a call ends its relays stop at once, no new allocation is granted for it, and
/// after the grace its credential does not even authenticate.
async fn an_ended_calls_credentials_and_relays_stop_working(db: Db) {
    let app = app_with_turn(db, "127.0.0.0/8").await;
    let turn = app.turn.expect("the embedded TURN server runs");
    let mut call = accepted_call(&app).await;
    let (username, password) = call.credentials();
    let (echo, received) = udp_echo("127.0.0.2").await;
    let during = allocate(turn, &username, &password)
        .await
        .unwrap_or_else(|e| panic!("a live call's credentials are refused: {e}"));
    let wait = Duration::from_secs(2);
    assert_eq!(
        round_trip(during.relay.as_ref(), echo, b"during the call", wait).await,
        Some(b"during the call".to_vec()),
        "the relay works while the call is live"
    );

    call.hang_up().await;
    let in_grace = allocate(turn, &username, &password).await.err();
    assert!(
        in_grace.as_deref().is_some_and(|e| e.contains("403")),
        "no new allocation for an ended call, even in the grace: {in_grace:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = received.load(Ordering::SeqCst);
    assert_eq!(
        round_trip(during.relay.as_ref(), echo, b"after the call", wait).await,
        None,
        "the allocation made during the call relays nothing once it ended"
    );
    assert_eq!(
        received.load(Ordering::SeqCst),
        before,
        "nothing reached the peer"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        allocate(turn, &username, &password).await.is_err(),
        "after the grace the credential is refused"
    );
    during.release().await;
    app.finish().await;
}

crate::both_dbs!(
    one_credential_holds_at_most_the_cap_of_allocations,
    an_ended_calls_credentials_and_relays_stop_working,
);
