//! The call lifecycle over `/ws` with raw WebSocket clients: request, ring on every device,
//! first accept wins, relay only between the two parties (injections from third
//! connections are dropped), hang-up, reject, cancel, ring timeout, dropped sockets,
//! unavailable reasons, shutdown, and the call records behind the `calls` query.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{Db, Owner, TestApp};
use crate::ws::{
    add_domain, caller_token, greeted, next_call, next_json, send, silent, verified_domain, Socket,
};

async fn caller(app: &TestApp) -> Socket {
    greeted(app, &caller_token(app).await).await
}

async fn request(ws: &mut Socket, domain: &str, mode: &str) {
    send(
        ws,
        json!({ "type": "call_request", "domain": domain, "mode": mode }),
    )
    .await;
}

/// The calls of a business as GraphQL lists them, once all of them have ended.
async fn ended_calls(app: &TestApp, owner: &Owner) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let res = app
            .gql(
                &owner.auth(),
                "{ calls { id domain mode callerName callerVerified state endReason waitMs answeredBy } }",
                json!({}),
            )
            .await;
        let calls = res["data"]["calls"]
            .as_array()
            .unwrap_or_else(|| panic!("calls: {res}"))
            .clone();
        if !calls.is_empty() && calls.iter().all(|c| !c["endReason"].is_null()) {
            return calls;
        }
        assert!(std::time::Instant::now() < deadline, "no ended call: {res}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_call_rings_connects_relays_and_hangs_up(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Beta").await;
    let domain = verified_domain(&app, &a).await;
    let mut a1 = greeted(&app, &a.token).await;
    let mut a2 = greeted(&app, &a.token).await;
    let mut intruder_agent = greeted(&app, &b.token).await;
    let mut intruder_caller = caller(&app).await;
    let mut c = caller(&app).await;

    request(&mut c, &domain.to_uppercase(), "video").await;
    assert_eq!(next_json(&mut c).await, json!({ "type": "ringing" }));
    let ring1 = next_call(&mut a1).await;
    let ring2 = next_call(&mut a2).await;
    assert_eq!(ring1["type"], "incoming", "{ring1}");
    assert_eq!(ring1, ring2);
    assert_eq!(ring1["domain"], domain.as_str());
    assert_eq!(ring1["mode"], "video");
    assert_eq!(ring1["caller"]["verified"], false);
    assert!(!ring1["caller"]["name"].as_str().unwrap().is_empty());
    let call_id = ring1["call_id"].as_str().unwrap().to_owned();

    // First accept wins; the other device is told `taken`, even when it accepts late.
    send(&mut a2, json!({ "type": "accept", "call_id": call_id })).await;
    let accepted = next_call(&mut a2).await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    assert_eq!(accepted["call_id"], call_id.as_str());
    assert_eq!(
        next_call(&mut a1).await,
        json!({ "type": "taken", "call_id": call_id })
    );
    let accepted = next_json(&mut c).await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    assert_eq!(accepted["call_id"], call_id.as_str());
    send(&mut a1, json!({ "type": "accept", "call_id": call_id })).await;
    assert_eq!(next_call(&mut a1).await["type"], "taken");

    // Relayed between the two parties only.
    send(&mut c, json!({ "type": "offer", "sdp": "v=0 offer" })).await;
    assert_eq!(
        next_call(&mut a2).await,
        json!({ "type": "offer", "call_id": call_id, "sdp": "v=0 offer" })
    );
    send(
        &mut a2,
        json!({ "type": "answer", "sdp": "v=0 answer", "call_id": call_id }),
    )
    .await;
    assert_eq!(
        next_json(&mut c).await,
        json!({ "type": "answer", "call_id": call_id, "sdp": "v=0 answer" })
    );
    let candidate = json!({ "candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host" });
    send(&mut c, json!({ "type": "ice", "candidate": candidate })).await;
    let ice = next_call(&mut a2).await;
    assert_eq!(ice["type"], "ice", "{ice}");
    assert_eq!(ice["candidate"]["candidate"], candidate["candidate"]);
    send(&mut a2, json!({ "type": "chat", "text": "Hello!" })).await;
    for ws in [&mut a2, &mut c] {
        let chat = next_call(ws).await;
        assert_eq!(chat["type"], "chat", "{chat}");
        assert_eq!(chat["from"], "agent");
        assert_eq!(chat["text"], "Hello!");
    }

    // Third connections naming the call are refused and nothing reaches the parties.
    let forged_ice = json!({ "type": "ice", "call_id": call_id, "candidate": candidate });
    let forged_offer = json!({ "type": "offer", "call_id": call_id, "sdp": "evil" });
    for ws in [&mut intruder_agent, &mut intruder_caller, &mut a1] {
        for forged in [&forged_ice, &forged_offer] {
            send(ws, forged.clone()).await;
            let err = next_call(ws).await;
            assert_eq!(err["code"], "not_in_call", "{err}");
        }
        send(ws, json!({ "type": "hangup", "call_id": call_id })).await;
        assert_eq!(next_call(ws).await["code"], "not_in_call");
    }
    // A party naming another call id is refused too.
    let other = uuid::Uuid::new_v4().to_string();
    send(
        &mut c,
        json!({ "type": "offer", "call_id": other, "sdp": "x" }),
    )
    .await;
    assert_eq!(next_json(&mut c).await["code"], "not_in_call");
    silent(&mut a2).await;
    silent(&mut c).await;

    // A busy member is not rung: a second caller finds everyone busy.
    let mut c2 = caller(&app).await;
    request(&mut c2, &domain, "voice").await;
    assert_eq!(
        next_json(&mut c2).await,
        json!({ "type": "unavailable", "reason": "all_busy" })
    );
    silent(&mut a1).await;
    // A caller has one call at a time.
    request(&mut c, &domain, "voice").await;
    assert_eq!(next_json(&mut c).await["code"], "already_in_call");

    send(&mut c, json!({ "type": "hangup" })).await;
    for ws in [&mut c, &mut a2] {
        let ended = next_call(ws).await;
        assert_eq!(ended["type"], "ended", "{ended}");
        assert_eq!(ended["call_id"], call_id.as_str());
        assert_eq!(ended["reason"], "hung_up_by_caller");
        assert_eq!(ended["by"], "caller");
    }

    // The record: newest first, with the wait and the end reason; business B sees none.
    let calls = ended_calls(&app, &a).await;
    let call = calls
        .iter()
        .find(|x| x["id"] == call_id.as_str())
        .unwrap_or_else(|| panic!("{calls:?}"));
    assert_eq!(call["endReason"], "hung_up_by_caller");
    assert_eq!(call["state"], "ended");
    assert_eq!(call["mode"], "video");
    assert_eq!(call["domain"], domain.as_str());
    assert_eq!(call["answeredBy"], a.user_id.as_str());
    assert!(call["waitMs"].as_i64().unwrap() >= 0, "{call}");
    let events = entity::calls::records::events(
        &app.services.db,
        uuid::Uuid::parse_str(&a.business_id).unwrap(),
        entity::calls::CallId::from_uuid(uuid::Uuid::parse_str(&call_id).unwrap()),
    )
    .await
    .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["requested", "offered", "accepted", "chat", "ended"]);
    assert_eq!(events[3].actor, "agent");
    assert_eq!(events[3].detail.as_deref(), Some("Hello!"));
    let busy = &calls[0];
    assert_eq!(busy["endReason"], "unavailable");
    assert!(busy["waitMs"].is_null());
    let res = app.gql(&b.auth(), "{ calls { id } }", json!({})).await;
    assert_eq!(res["data"]["calls"], json!([]), "{res}");
    app.finish().await;
}

async fn rejected_by_everyone_is_missed(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &a).await;
    let mut a1 = greeted(&app, &a.token).await;
    let mut a2 = greeted(&app, &a.token).await;
    let mut c = caller(&app).await;
    request(&mut c, &domain, "voice").await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    let call_id = next_call(&mut a1).await["call_id"].clone();
    assert_eq!(next_call(&mut a2).await["call_id"], call_id);
    send(&mut a1, json!({ "type": "reject", "call_id": call_id })).await;
    let ended = next_call(&mut a2).await;
    assert_eq!(ended["type"], "ended", "{ended}");
    assert_eq!(ended["reason"], "rejected");
    assert_eq!(next_json(&mut c).await, json!({ "type": "missed" }));
    let calls = ended_calls(&app, &a).await;
    assert_eq!(calls[0]["endReason"], "rejected");
    assert!(calls[0]["waitMs"].is_null());
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_cancels_while_it_rings() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let a = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &a).await;
    let mut a1 = greeted(&app, &a.token).await;
    let mut c = caller(&app).await;
    request(&mut c, &domain, "chat").await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    let ring = next_call(&mut a1).await;
    assert_eq!(ring["mode"], "chat");
    send(&mut c, json!({ "type": "cancel" })).await;
    let ended = next_call(&mut a1).await;
    assert_eq!(ended["reason"], "cancelled", "{ended}");
    assert_eq!(ended["call_id"], ring["call_id"]);
    let ended = next_json(&mut c).await;
    assert_eq!(ended["type"], "ended", "{ended}");
    assert_eq!(ended["reason"], "cancelled");
    // Accepting a call that ended is refused.
    send(
        &mut a1,
        json!({ "type": "accept", "call_id": ring["call_id"] }),
    )
    .await;
    assert_eq!(next_call(&mut a1).await["code"], "unknown_call");
    assert_eq!(ended_calls(&app, &a).await[0]["endReason"], "cancelled");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_call_times_out_missed() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.signaling.ring_timeout = Duration::from_millis(400);
    })
    .await;
    let a = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &a).await;
    let mut a1 = greeted(&app, &a.token).await;
    let mut c = caller(&app).await;
    request(&mut c, &domain, "voice").await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    assert_eq!(next_call(&mut a1).await["type"], "incoming");
    let ended = next_call(&mut a1).await;
    assert_eq!(ended["type"], "ended", "{ended}");
    assert_eq!(ended["reason"], "missed");
    assert_eq!(next_json(&mut c).await, json!({ "type": "missed" }));
    assert_eq!(ended_calls(&app, &a).await[0]["endReason"], "missed");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_party_ends_the_call_after_the_grace() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.signaling.reconnect_grace = Duration::from_millis(300);
    })
    .await;
    let a = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &a).await;
    let mut a1 = greeted(&app, &a.token).await;
    let mut c = caller(&app).await;
    request(&mut c, &domain, "voice").await;
    let call_id = next_call(&mut a1).await["call_id"].clone();
    send(&mut a1, json!({ "type": "accept", "call_id": call_id })).await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    assert_eq!(next_json(&mut c).await["type"], "accepted");
    a1.close(None).await.unwrap();
    let lost = next_json(&mut c).await;
    assert_eq!(lost["type"], "peer_lost", "{lost}");
    let ended = next_json(&mut c).await;
    assert_eq!(ended["reason"], "dropped", "{ended}");
    assert_eq!(ended["by"], "agent");
    assert_eq!(ended_calls(&app, &a).await[0]["endReason"], "dropped");
    app.finish().await;
}

async fn nobody_to_ring_is_unavailable(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let (unverified, _) = add_domain(&app, &a).await;
    let domain = verified_domain(&app, &a).await;
    let mut c = caller(&app).await;
    request(&mut c, &unverified, "voice").await;
    assert_eq!(
        next_json(&mut c).await,
        json!({ "type": "unavailable", "reason": "domain_not_verified" })
    );
    request(&mut c, "nobody-here.example", "voice").await;
    assert_eq!(next_json(&mut c).await["reason"], "domain_not_verified");
    request(&mut c, &domain, "voice").await;
    assert_eq!(
        next_json(&mut c).await,
        json!({ "type": "unavailable", "reason": "no_agents_online" })
    );
    // An away member is not rung.
    let mut a1 = greeted(&app, &a.token).await;
    send(
        &mut a1,
        json!({ "type": "set_availability", "availability": "away" }),
    )
    .await;
    loop {
        let p = next_json(&mut a1).await;
        if p["status"] == "away" {
            break;
        }
    }
    request(&mut c, &domain, "voice").await;
    assert_eq!(
        next_json(&mut c).await,
        json!({ "type": "unavailable", "reason": "away" })
    );
    silent(&mut a1).await;
    let calls = ended_calls(&app, &a).await;
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.iter().all(|c| c["endReason"] == "unavailable"));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_calls_before_asking_to_reconnect() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let a = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &a).await;
    let mut a1 = greeted(&app, &a.token).await;
    let mut c = caller(&app).await;
    request(&mut c, &domain, "voice").await;
    let call_id = next_call(&mut a1).await["call_id"].clone();
    send(&mut a1, json!({ "type": "accept", "call_id": call_id })).await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    assert_eq!(next_json(&mut c).await["type"], "accepted");
    assert_eq!(next_call(&mut a1).await["type"], "accepted");
    let finishing = tokio::spawn(app.finish());
    for ws in [&mut c, &mut a1] {
        let ended = next_call(ws).await;
        assert_eq!(ended["type"], "ended", "{ended}");
        assert_eq!(ended["reason"], "server_shutdown");
        assert_eq!(next_call(ws).await["type"], "reconnect");
    }
    finishing.await.unwrap();
}

both_dbs!(
    a_call_rings_connects_relays_and_hangs_up,
    rejected_by_everyone_is_missed,
    nobody_to_ring_is_unavailable,
);
