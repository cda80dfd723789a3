//! Call spam (issue 15, item 6): one call at a time per caller identity over all its
//! sockets, call requests limited per identity (6 a minute), per client address (20 a
//! minute) and per business, each refusal `rate_limited` with `retry_after_ms` and
//! nothing rung or recorded; sockets capped per caller identity (3) and per agent (20).

use std::time::Duration;

use entity::calls::limits::Rate;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::both_dbs;
use crate::helpers::{Db, Owner, TestApp};
use crate::ws::{
    caller_token, greeted, hello, next_call, next_json, send, silent, verified_domain, Socket,
};

/// Upgrades `/ws` with `token`, as client `forwarded_for` behind the trusted local proxy
/// when given; the HTTP status when refused.
async fn try_open(app: &TestApp, token: &str, forwarded_for: Option<&str>) -> Result<Socket, u16> {
    let mut req = format!("ws://{}/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    let headers = req.headers_mut();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    if let Some(ip) = forwarded_for {
        headers.insert("x-forwarded-for", ip.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("connecting failed: {e}"),
    }
}

/// A greeted caller socket from `forwarded_for` (see [`try_open`]).
async fn caller_from(app: &TestApp, token: &str, forwarded_for: &str) -> Socket {
    let mut ws = try_open(app, token, Some(forwarded_for)).await.unwrap();
    hello(&mut ws, None).await;
    ws
}

async fn request(c: &mut Socket, domain: &str) {
    send(
        c,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
}

/// One request/cancel cycle that rings `agent`.
async fn rings(c: &mut Socket, agent: &mut Socket, domain: &str) {
    request(c, domain).await;
    assert_eq!(next_json(c).await, json!({ "type": "ringing" }));
    assert_eq!(next_call(agent).await["type"], "incoming");
    send(c, json!({ "type": "cancel" })).await;
    assert_eq!(next_json(c).await["reason"], "cancelled");
    assert_eq!(next_call(agent).await["reason"], "cancelled");
}

/// A request refused by a call limit: nothing rings; returns `retry_after_ms`.
async fn limited(c: &mut Socket, agent: &mut Socket, domain: &str) -> u64 {
    request(c, domain).await;
    let refused = next_json(c).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    silent(agent).await;
    refused["retry_after_ms"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retry time: {refused}"))
}

/// How many calls the business's records hold once the writer caught up.
async fn recorded_calls(app: &TestApp, owner: &Owner) -> usize {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let res = app.gql(&owner.auth(), "{ calls { id } }", json!({})).await;
    res["data"]["calls"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .len()
}

async fn one_guest_token_on_many_sockets_rings_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent = greeted(&app, &owner.token).await;
    let token = caller_token(&app).await;
    let mut sockets = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..5 {
        match try_open(&app, &token, None).await {
            Ok(mut ws) => {
                hello(&mut ws, None).await;
                sockets.push(ws);
            }
            Err(status) => refused.push(status),
        }
    }
    assert_eq!(sockets.len(), 3, "three sockets per caller identity");
    assert_eq!(refused, vec![429, 429]);
    for ws in &mut sockets {
        request(ws, &domain).await;
    }
    let mut answers = Vec::new();
    for ws in &mut sockets {
        answers.push(next_json(ws).await);
    }
    let rang = answers.iter().filter(|a| a["type"] == "ringing").count();
    assert_eq!(rang, 1, "{answers:?}");
    for a in answers.iter().filter(|a| a["type"] != "ringing") {
        assert_eq!(a["code"], "already_in_call", "{a}");
    }
    assert_eq!(next_call(&mut agent).await["type"], "incoming");
    silent(&mut agent).await;
    assert_eq!(recorded_calls(&app, &owner).await, 1);
    // Another identity still gets through (it is not the business's limit).
    let mut other = greeted(&app, &caller_token(&app).await).await;
    request(&mut other, &domain).await;
    assert_eq!(next_json(&mut other).await["type"], "ringing");
    app.finish().await;
}

async fn request_cancel_cycles_stop_ringing_at_six_a_minute(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent = greeted(&app, &owner.token).await;
    let mut c = greeted(&app, &caller_token(&app).await).await;
    for _ in 0..6 {
        rings(&mut c, &mut agent, &domain).await;
    }
    // Six at once, then one every ten seconds: the next is due ten seconds after the
    // first (less the time the cycles took).
    let retry = limited(&mut c, &mut agent, &domain).await;
    assert!((5_000..=10_000).contains(&retry), "{retry}");
    // Retrying at once is refused again, and the socket stays usable.
    let again = limited(&mut c, &mut agent, &domain).await;
    assert!(again <= retry, "{again} > {retry}");
    send(&mut c, json!({ "type": "ping", "nonce": 1 })).await;
    assert_eq!(next_json(&mut c).await["type"], "pong");
    assert_eq!(
        recorded_calls(&app, &owner).await,
        6,
        "refusals are not recorded"
    );
    app.finish().await;
}

async fn an_address_gets_twenty_calls_a_minute_whatever_the_identities(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent = greeted(&app, &owner.token).await;
    let spammer = "198.51.100.7";
    let mut made = 0;
    let mut last = None;
    while made < 20 {
        let mut c = caller_from(&app, &caller_token(&app).await, spammer).await;
        for _ in 0..6 {
            if made == 20 {
                break;
            }
            rings(&mut c, &mut agent, &domain).await;
            made += 1;
        }
        last = Some(c);
    }
    // A fresh identity from the same address is refused: it is the address's limit.
    let mut fresh = caller_from(&app, &caller_token(&app).await, spammer).await;
    let retry = limited(&mut fresh, &mut agent, &domain).await;
    assert!(
        (1..=3_000).contains(&retry),
        "one every three seconds: {retry}"
    );
    if let Some(mut c) = last {
        limited(&mut c, &mut agent, &domain).await;
    }
    // Another client behind the same proxy is not.
    let mut neighbour = caller_from(&app, &caller_token(&app).await, "198.51.100.8").await;
    rings(&mut neighbour, &mut agent, &domain).await;
    app.finish().await;
}

async fn a_business_is_limited_and_others_are_not(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.signaling.limits.per_business = Rate::per_minute(5);
        s.signaling.limits.per_address = Rate::per_minute(1000);
    })
    .await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent = greeted(&app, &owner.token).await;
    for _ in 0..5 {
        let mut c = greeted(&app, &caller_token(&app).await).await;
        rings(&mut c, &mut agent, &domain).await;
    }
    let mut sixth = greeted(&app, &caller_token(&app).await).await;
    let retry = limited(&mut sixth, &mut agent, &domain).await;
    assert!(
        (6_000..=12_000).contains(&retry),
        "one every twelve seconds: {retry}"
    );
    let other = app.sign_up("Beta").await;
    let other_domain = verified_domain(&app, &other).await;
    let mut other_agent = greeted(&app, &other.token).await;
    rings(&mut sixth, &mut other_agent, &other_domain).await;
    app.finish().await;
}

async fn agents_hold_twenty_sockets(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let mut devices = Vec::new();
    for _ in 0..20 {
        devices.push(try_open(&app, &owner.token, None).await.unwrap());
    }
    assert_eq!(try_open(&app, &owner.token, None).await.err(), Some(429));
    // Closing one frees its place.
    let mut closing = devices.pop().unwrap();
    closing.close(None).await.unwrap();
    drop(closing);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut reopened: Option<Value> = None;
    while reopened.is_none() {
        match try_open(&app, &owner.token, None).await {
            Ok(mut ws) => reopened = Some(hello(&mut ws, None).await),
            Err(status) => {
                assert_eq!(status, 429);
                assert!(tokio::time::Instant::now() < deadline, "never freed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    app.finish().await;
}

both_dbs!(
    one_guest_token_on_many_sockets_rings_once,
    request_cancel_cycles_stop_ringing_at_six_a_minute,
    an_address_gets_twenty_calls_a_minute_whatever_the_identities,
    a_business_is_limited_and_others_are_not,
    agents_hold_twenty_sockets,
);
