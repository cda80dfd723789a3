//! What the hub does beyond one ringing team: intents routed to their team, transfers to
//! a colleague or a team, a dropped socket resuming its session (`hello.resume`,
//! `peer_back`), a session taken over by a second socket (4005), and per-call TURN
//! credentials.

use std::time::Duration;

use base64::Engine;
use futures::StreamExt;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;
use tokio_tungstenite::tungstenite::Message;

use crate::both_dbs;
use crate::helpers::{Db, Owner, TestApp};
use crate::ws::{
    caller_token, colleague, greeted, hello, next_call, next_json, open, send, silent,
    verified_domain, Socket,
};

/// Sets member `user_id`'s availability from their socket `ws` and waits until the
/// server confirms it (a `presence` with the new status).
async fn set_availability(ws: &mut Socket, user_id: &str, availability: &str) {
    send(
        ws,
        json!({ "type": "set_availability", "availability": availability }),
    )
    .await;
    loop {
        let v = next_json(ws).await;
        if v["type"] == "presence" && v["user_id"] == user_id && v["status"] == availability {
            return;
        }
    }
}

/// The owner creates team `name` with `members`; returns its id.
pub(crate) async fn team_of(app: &TestApp, owner: &Owner, name: &str, members: &[&str]) -> Value {
    let res = app
        .gql(
            &owner.auth(),
            "mutation($n: String!) { createTeam(input: { name: $n }) { id } }",
            json!({ "n": name }),
        )
        .await;
    let team = res["data"]["createTeam"]["id"].clone();
    assert!(team.is_string(), "{res}");
    let res = app
        .gql(
            &owner.auth(),
            "mutation($t: ID!, $u: [ID!]!) { setTeamMembers(id: $t, userIds: $u) { id } }",
            json!({ "t": team, "u": members }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    team
}

/// A socket that greeted with `hello.resume`; returns it with its `welcome`.
async fn resumed(app: &TestApp, token: &str, previous: &Value) -> (Socket, Value) {
    let mut ws = open(app, token).await;
    let welcome = hello(&mut ws, Some(previous)).await;
    (ws, welcome)
}

/// A greeted socket and its `connection_id`.
async fn greeted_with_id(app: &TestApp, token: &str) -> (Socket, Value) {
    let mut ws = open(app, token).await;
    let welcome = hello(&mut ws, None).await;
    (ws, welcome["connection_id"].clone())
}

/// Caller `c` calls `domain` (optionally about `intent`); agent `a` accepts. Returns the
/// call id after both heard `accepted`.
async fn connect(c: &mut Socket, a: &mut Socket, domain: &str) -> Value {
    send(
        c,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(c).await["type"], "ringing");
    let incoming = next_call(a).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    let call_id = incoming["call_id"].clone();
    send(a, json!({ "type": "accept", "call_id": call_id })).await;
    assert_eq!(next_json(c).await["type"], "accepted");
    assert_eq!(next_call(a).await["type"], "accepted");
    call_id
}

async fn intents_ring_their_own_team(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    let team = team_of(&app, &owner, "Sales", &[&b_id]).await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation($t: ID!) { createIntent(label: \"New order\", target: { kind: TEAM, teamId: $t }) { id } }",
            json!({ "t": team }),
        )
        .await;
    let intent = res["data"]["createIntent"]["id"].clone();
    assert!(intent.is_string(), "{res}");
    let mut owner_ws = greeted(&app, &owner.token).await;
    let mut b = greeted(&app, &b_token).await;
    let mut c = greeted(&app, &caller_token(&app).await).await;
    send(
        &mut c,
        json!({ "type": "call_request", "domain": domain, "intent": intent, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    // Only the Sales team rings, and it sees what the call is about.
    let incoming = next_call(&mut b).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    assert_eq!(incoming["intent"]["label"], "New order", "{incoming}");
    assert_eq!(incoming["intent"]["id"], intent);
    silent(&mut owner_ws).await;
    send(&mut c, json!({ "type": "cancel" })).await;
    assert_eq!(next_call(&mut b).await["type"], "ended");
    // An intent that is not this business's is refused without ringing anyone.
    let mut c2 = greeted(&app, &caller_token(&app).await).await;
    send(
        &mut c2,
        json!({ "type": "call_request", "domain": domain, "intent": uuid::Uuid::new_v4(), "mode": "voice" }),
    )
    .await;
    let refused = next_json(&mut c2).await;
    assert_eq!(refused["type"], "unavailable", "{refused}");
    assert_eq!(refused["reason"], "unknown_intent");
    silent(&mut b).await;
    silent(&mut owner_ws).await;
    app.finish().await;
}

/// The routing trap of a first-time owner: an intent routed to a team nobody is in yet,
/// or whose members are all offline, while the owner sits Available. The caller is not
/// told "nobody is online": whoever of the business is available rings instead.
async fn an_intent_whose_team_has_nobody_rings_whoever_is_available(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (_b_token, b_id) = colleague(&app, &owner).await;
    let empty = team_of(&app, &owner, "Support", &[]).await;
    let offline = team_of(&app, &owner, "Sales", &[&b_id]).await;
    let mut owner_ws = greeted(&app, &owner.token).await;
    for (label, team) in [("Help", empty), ("New order", offline)] {
        let res = app
            .gql(
                &owner.auth(),
                "mutation($l: String!, $t: ID!) { createIntent(label: $l, target: { kind: TEAM, teamId: $t }) { id } }",
                json!({ "l": label, "t": team }),
            )
            .await;
        let intent = res["data"]["createIntent"]["id"].clone();
        assert!(intent.is_string(), "{res}");
        let mut c = greeted(&app, &caller_token(&app).await).await;
        send(
            &mut c,
            json!({ "type": "call_request", "domain": domain, "intent": intent, "mode": "voice" }),
        )
        .await;
        assert_eq!(next_json(&mut c).await["type"], "ringing", "{label}");
        let incoming = next_call(&mut owner_ws).await;
        assert_eq!(incoming["type"], "incoming", "{label}: {incoming}");
        assert_eq!(incoming["intent"]["label"], label);
        send(&mut c, json!({ "type": "cancel" })).await;
        assert_eq!(next_call(&mut owner_ws).await["type"], "ended");
    }
    app.finish().await;
}

async fn a_call_is_transferred_to_a_colleague(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    let mut b = greeted(&app, &b_token).await;
    // Only the owner takes the call at first: B is away.
    set_availability(&mut b, &b_id, "away").await;
    let mut a = greeted(&app, &owner.token).await;
    let mut c = greeted(&app, &caller_token(&app).await).await;
    let call_id = connect(&mut c, &mut a, &domain).await;
    // A transfer to someone away finds nobody; the call stays with A.
    send(
        &mut a,
        json!({ "type": "transfer", "to": { "kind": "member", "id": b_id } }),
    )
    .await;
    let failed = next_call(&mut a).await;
    assert_eq!(failed["type"], "transfer_failed", "{failed}");
    assert_eq!(failed["reason"], "unavailable");
    set_availability(&mut b, &b_id, "available").await;
    send(
        &mut a,
        json!({ "type": "transfer", "to": { "kind": "member", "id": b_id } }),
    )
    .await;
    let incoming = next_call(&mut b).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    assert_eq!(incoming["call_id"], call_id);
    assert_eq!(incoming["transferred_by"], owner.user_id.as_str());
    // While it rings, A and the caller still talk.
    send(&mut c, json!({ "type": "chat", "text": "still there?" })).await;
    assert_eq!(next_call(&mut a).await["text"], "still there?");
    assert_eq!(next_json(&mut c).await["type"], "chat");
    send(&mut b, json!({ "type": "accept", "call_id": call_id })).await;
    let handed = next_call(&mut a).await;
    assert_eq!(handed["type"], "transferred", "{handed}");
    assert_eq!(handed["to"], b_id.as_str());
    let again = next_json(&mut c).await;
    assert_eq!(again["type"], "accepted", "{again}");
    assert_eq!(next_call(&mut b).await["type"], "accepted");
    // The caller renegotiates with B; A no longer gets anything of the call.
    send(&mut c, json!({ "type": "offer", "sdp": "v=0 new" })).await;
    let offer = next_call(&mut b).await;
    assert_eq!(offer["sdp"], "v=0 new", "{offer}");
    send(&mut a, json!({ "type": "offer", "sdp": "v=0 old" })).await;
    assert_eq!(next_call(&mut a).await["code"], "not_in_call");
    silent(&mut c).await;
    send(&mut b, json!({ "type": "hangup" })).await;
    let ended = next_json(&mut c).await;
    assert_eq!(ended["reason"], "hung_up_by_agent", "{ended}");
    app.finish().await;
}

async fn a_call_is_transferred_to_a_team(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    // The owner is in the team too: a transfer never rings the transferring agent.
    let team = team_of(&app, &owner, "Support", &[&owner.user_id, &b_id]).await;
    let mut b = greeted(&app, &b_token).await;
    set_availability(&mut b, &b_id, "away").await;
    let mut a = greeted(&app, &owner.token).await;
    let mut c = greeted(&app, &caller_token(&app).await).await;
    let call_id = connect(&mut c, &mut a, &domain).await;
    let to_team = json!({ "type": "transfer", "to": { "kind": "team", "id": team } });
    // A team of no business of A's is refused; so is one with nobody free (B is away).
    let stranger = uuid::Uuid::new_v4();
    send(
        &mut a,
        json!({ "type": "transfer", "to": { "kind": "team", "id": stranger } }),
    )
    .await;
    let refused = next_call(&mut a).await;
    assert_eq!(refused["code"], "invalid_message", "{refused}");
    send(&mut a, to_team.clone()).await;
    let failed = next_call(&mut a).await;
    assert_eq!(failed["type"], "transfer_failed", "{failed}");
    assert_eq!(failed["reason"], "unavailable");
    // B is back: the team rings on B only; B declines, the call stays with A.
    set_availability(&mut b, &b_id, "available").await;
    send(&mut a, to_team.clone()).await;
    let incoming = next_call(&mut b).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    assert_eq!(incoming["call_id"], call_id);
    assert_eq!(incoming["transferred_by"], owner.user_id.as_str());
    send(&mut b, json!({ "type": "reject", "call_id": call_id })).await;
    let declined = next_call(&mut a).await;
    assert_eq!(declined["type"], "transfer_failed", "{declined}");
    assert_eq!(declined["reason"], "rejected");
    // Asked again, B takes over and the caller is accepted anew.
    send(&mut a, to_team).await;
    assert_eq!(next_call(&mut b).await["type"], "incoming");
    send(&mut b, json!({ "type": "accept", "call_id": call_id })).await;
    let handed = next_call(&mut a).await;
    assert_eq!(handed["type"], "transferred", "{handed}");
    assert_eq!(handed["to"], b_id.as_str());
    assert_eq!(next_json(&mut c).await["type"], "accepted");
    assert_eq!(next_call(&mut b).await["type"], "accepted");
    send(&mut b, json!({ "type": "hangup" })).await;
    assert_eq!(next_json(&mut c).await["reason"], "hung_up_by_agent");
    app.finish().await;
}

async fn a_dropped_caller_resumes_its_call(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.signaling.reconnect_grace = Duration::from_secs(5);
    })
    .await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let token = caller_token(&app).await;
    let mut a = greeted(&app, &owner.token).await;
    let (mut c, id) = greeted_with_id(&app, &token).await;
    connect(&mut c, &mut a, &domain).await;
    drop(c);
    let lost = next_call(&mut a).await;
    assert_eq!(lost["type"], "peer_lost", "{lost}");
    assert_eq!(lost["grace_ms"].as_u64().map(|ms| ms > 3_000), Some(true));
    // Another caller cannot take the session over: it gets a fresh one.
    let (_other, welcome) = resumed(&app, &caller_token(&app).await, &id).await;
    assert_eq!(welcome["resumed"], false);
    assert_ne!(welcome["connection_id"], id);
    // The caller itself can, within the grace.
    let (mut c, welcome) = resumed(&app, &token, &id).await;
    assert_eq!(welcome["resumed"], true, "{welcome}");
    assert_eq!(welcome["connection_id"], id);
    assert_eq!(next_call(&mut a).await["type"], "peer_back");
    send(&mut c, json!({ "type": "chat", "text": "back again" })).await;
    assert_eq!(next_call(&mut a).await["text"], "back again");
    send(&mut c, json!({ "type": "hangup" })).await;
    assert_eq!(next_call(&mut a).await["reason"], "hung_up_by_caller");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_socket_takes_over_a_live_session() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let token = caller_token(&app).await;
    let mut a = greeted(&app, &owner.token).await;
    let (mut old, id) = greeted_with_id(&app, &token).await;
    connect(&mut old, &mut a, &domain).await;
    // The client gave up on a socket the server still thinks open.
    let (mut new, welcome) = resumed(&app, &token, &id).await;
    assert_eq!(welcome["resumed"], true, "{welcome}");
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match old.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .expect("the old socket is closed");
    assert_eq!(closed, Some(4005));
    // The call goes on over the new socket, without a peer_lost.
    send(&mut a, json!({ "type": "chat", "text": "hello?" })).await;
    let chat = next_json(&mut new).await;
    assert_eq!(chat["text"], "hello?", "{chat}");
    assert_eq!(
        next_call(&mut a).await["text"],
        "hello?",
        "the sender's copy"
    );
    send(&mut new, json!({ "type": "hangup" })).await;
    let ended = next_call(&mut a).await;
    assert_eq!(ended["reason"], "hung_up_by_caller", "{ended}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_carries_stun_and_per_call_turn_credentials() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.ice = entity::calls::ice::IceConfig {
            stun_urls: vec!["stun:stun.test:3478".into()],
            turn_urls: vec!["turn:turn.test:3478?transport=udp".into()],
            turn_secret: Some("turn shared secret".to_owned().into()),
            turn_ttl: Duration::from_secs(600),
        };
    })
    .await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let mut a = greeted(&app, &owner.token).await;
    let mut c = greeted(&app, &caller_token(&app).await).await;
    send(
        &mut c,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    let call_id = next_call(&mut a).await["call_id"].clone();
    send(&mut a, json!({ "type": "accept", "call_id": call_id })).await;
    let to_caller = next_json(&mut c).await;
    let to_agent = next_call(&mut a).await;
    assert_eq!(to_caller["ice_servers"], to_agent["ice_servers"]);
    let servers = to_caller["ice_servers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(servers.len(), 2, "{to_caller}");
    assert_eq!(servers[0]["urls"], json!(["stun:stun.test:3478"]));
    let username = servers[1]["username"].as_str().unwrap_or_default();
    let (expiry, named) = username.split_once(':').unwrap_or_default();
    assert_eq!(named, call_id.as_str().unwrap_or_default(), "{username}");
    let expiry: i64 = expiry.parse().unwrap_or_default();
    let in_ten_minutes = chrono::Utc::now().timestamp() + 600;
    assert!(
        (in_ten_minutes - 5..=in_ten_minutes).contains(&expiry),
        "{username}"
    );
    let mut mac = Hmac::<Sha1>::new_from_slice(b"turn shared secret").unwrap();
    mac.update(username.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(servers[1]["credential"], expected.as_str());
    assert!(!to_caller.to_string().contains("turn shared secret"));
    app.finish().await;
}

both_dbs!(
    intents_ring_their_own_team,
    an_intent_whose_team_has_nobody_rings_whoever_is_available,
    a_call_is_transferred_to_a_colleague,
    a_call_is_transferred_to_a_team,
    a_dropped_caller_resumes_its_call
);
