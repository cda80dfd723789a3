//! Revocation reaches live sockets (issue 15, item 3): signing out, changing the password,
//! removing a member, changing their role, switching business and revoking an API key
//! close the affected `/ws` sockets with 4001 and end the affected `businessEvents`
//! subscriptions, and nothing else; a removed member's calls end, they leave presence, a
//! transfer to them fails and their suspended session cannot be resumed.

use std::time::Duration;

use entity::entities::membership;
use entity::events::BusinessEventKind;
use futures::{SinkExt, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::both_dbs;
use crate::helpers::{Auth, Db, Owner, TestApp};
use crate::ws::{
    caller_token, colleague, greeted, hello, next_call, next_json, next_within, open, send,
    verified_domain, Socket,
};

const PASSWORD: &str = "correct horse battery";

/// Reads until the close frame and returns its code (messages before it are skipped).
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

/// The socket still answers: `ping` gets `pong` (presence skipped).
async fn alive(ws: &mut Socket) {
    send(ws, json!({ "type": "ping", "nonce": 7 })).await;
    assert_eq!(next_call(ws).await, json!({ "type": "pong", "nonce": 7 }));
}

/// The HTTP status of a refused upgrade with `token` (panics if it upgrades).
async fn refused_upgrade(app: &TestApp, token: &str) -> u16 {
    let mut req = format!("ws://{}/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(WsError::Http(res)) => res.status().as_u16(),
        other => panic!("upgraded or failed otherwise: {:?}", other.map(|_| ())),
    }
}

/// A graphql-transport-ws connection authenticated by `token`, acknowledged.
async fn graphql_ws(app: &TestApp, token: &str) -> Socket {
    let mut req = format!("ws://{}/graphql/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let payload = json!({ "authorization": format!("Bearer {token}") });
    let init = json!({ "type": "connection_init", "payload": payload });
    ws.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    ws
}

/// Starts subscription `id` to `businessEvents` on `ws`.
async fn subscribe(ws: &mut Socket, id: &str) {
    let query = "subscription { businessEvents { kind subjectId } }";
    let sub = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
    ws.send(Message::text(sub.to_string())).await.unwrap();
}

/// A `businessEvents` subscription of `token`, proven live: it delivered the event of an
/// API key `owner` created after it started.
async fn live_subscription(app: &TestApp, token: &str, owner: &Owner) -> Socket {
    live_subscription_across(app, app, token, owner).await
}

/// A `businessEvents` subscription of `token` on node `at`, proven live by the event of an
/// API key `owner` created on node `change_on`.
async fn live_subscription_across(
    at: &TestApp,
    change_on: &TestApp,
    token: &str,
    owner: &Owner,
) -> Socket {
    let mut ws = graphql_ws(at, token).await;
    subscribe(&mut ws, "1").await;
    for _ in 0..40 {
        let (key, _) = change_on.api_key(owner, "probe").await;
        let got = next_within(&mut ws, Duration::from_millis(500)).await;
        if let Some(got) = got {
            assert_eq!(got["type"], "next", "{got}");
            if got["payload"]["data"]["businessEvents"]["subjectId"] == key.as_str() {
                return ws;
            }
        }
    }
    panic!("the subscription never heard of a key made (on the other node)")
}

/// The subscription `id` on `ws` completes (events published just before the revocation,
/// such as `MEMBER_REMOVED` itself, may still come first).
async fn completed(ws: &mut Socket, id: &str) {
    loop {
        let got = next_json(ws).await;
        if got["type"] != "next" {
            assert_eq!(got, json!({ "type": "complete", "id": id }), "{got}");
            return;
        }
    }
}

/// The first result (`next` or `error`) of operation `id` on `ws`.
async fn result_of(ws: &mut Socket, id: &str) -> Value {
    loop {
        let got = next_json(ws).await;
        if got["id"] == id && got["type"] != "complete" {
            return got;
        }
    }
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let res = app
        .gql(
            &Auth::None,
            "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
            json!({ "e": email, "p": password }),
        )
        .await;
    res["data"]["signIn"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned()
}

async fn mutate(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let res = app
        .gql(&Auth::Bearer(token.to_owned()), query, variables)
        .await;
    assert!(res["errors"].is_null(), "{query}: {res}");
    res["data"].clone()
}

async fn sign_out_closes_that_sessions_sockets_and_subscriptions(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let laptop = owner.token.clone();
    let phone = sign_in(&app, &owner.email, PASSWORD).await;
    let mut laptop_ws = greeted(&app, &laptop).await;
    let mut phone_ws = greeted(&app, &phone).await;
    let mut laptop_sub = live_subscription(&app, &laptop, &owner).await;
    let mut phone_sub = live_subscription(&app, &phone, &owner).await;

    mutate(&app, &laptop, "mutation { signOut }", json!({})).await;
    assert_eq!(close_code(&mut laptop_ws).await, 4001);
    completed(&mut laptop_sub, "1").await;
    // The connection's credentials were read once; a new subscription on it is refused.
    subscribe(&mut laptop_sub, "2").await;
    let refused = result_of(&mut laptop_sub, "2").await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    // So is any other operation on it (no API key made with a signed-out session).
    let mutation = "mutation { createApiKey(name: \"late\") { secret } }";
    let op = json!({ "id": "3", "type": "subscribe", "payload": { "query": mutation } });
    laptop_sub
        .send(Message::text(op.to_string()))
        .await
        .unwrap();
    let refused = result_of(&mut laptop_sub, "3").await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    assert_eq!(refused_upgrade(&app, &laptop).await, 401);

    // The other device, with its own session, is untouched.
    alive(&mut phone_ws).await;
    let on_phone = Owner {
        token: phone.clone(),
        ..owner.clone()
    };
    let (key, _) = app.api_key(&on_phone, "after").await;
    let got = next_json(&mut phone_sub).await;
    assert_eq!(
        got["payload"]["data"]["businessEvents"]["subjectId"],
        key.as_str()
    );
    app.finish().await;
}

async fn a_password_change_closes_every_other_session(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let (stolen, mine) = (
        owner.token.clone(),
        sign_in(&app, &owner.email, PASSWORD).await,
    );
    let mut stolen_ws = greeted(&app, &stolen).await;
    let mut stolen_sub = live_subscription(&app, &stolen, &owner).await;
    let mut mine_ws = open(&app, &mine).await;
    let connection_id = hello(&mut mine_ws, None).await["connection_id"].clone();

    let data = mutate(
        &app,
        &mine,
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }",
        json!({ "c": PASSWORD, "n": "a brand new passphrase" }),
    )
    .await;
    let renewed = data["changePassword"]["token"].as_str().unwrap().to_owned();
    assert_eq!(close_code(&mut stolen_ws).await, 4001);
    completed(&mut stolen_sub, "1").await;
    assert_eq!(refused_upgrade(&app, &stolen).await, 401);
    // The device that changed it gets a fresh session: its socket reconnects with it and
    // takes its signaling session back.
    assert_eq!(close_code(&mut mine_ws).await, 4001);
    let mut again = open(&app, &renewed).await;
    let welcome = hello(&mut again, Some(&connection_id)).await;
    assert_eq!(welcome["resumed"], true, "{welcome}");
    alive(&mut again).await;
    app.finish().await;
}

async fn a_removed_member_is_cut_off(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    // B has a business of their own, so their session stays valid after the removal.
    mutate(
        &app,
        &b_token,
        "mutation { createBusiness(name: \"B's shop\") { id } }",
        json!({}),
    )
    .await;
    let mut owner_ws = greeted(&app, &owner.token).await;
    let mut b_desk = greeted(&app, &b_token).await;
    let mut b_phone = open(&app, &b_token).await;
    let phone_id = hello(&mut b_phone, None).await["connection_id"].clone();
    let mut b_sub = live_subscription(&app, &b_token, &owner).await;

    // B answers a caller on the phone, whose socket then drops: the caller waits.
    let mut c1 = greeted(&app, &caller_token(&app).await).await;
    send(
        &mut c1,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut c1).await["type"], "ringing");
    let call_id = next_call(&mut b_phone).await["call_id"].clone();
    send(
        &mut b_phone,
        json!({ "type": "accept", "call_id": call_id }),
    )
    .await;
    assert_eq!(next_json(&mut c1).await["type"], "accepted");
    assert_eq!(next_call(&mut owner_ws).await["type"], "incoming");
    assert_eq!(next_call(&mut owner_ws).await["type"], "taken");
    drop(b_phone);
    assert_eq!(next_json(&mut c1).await["type"], "peer_lost");
    // The owner is in a call with another caller.
    let mut c2 = greeted(&app, &caller_token(&app).await).await;
    send(
        &mut c2,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut c2).await["type"], "ringing");
    let call2 = next_call(&mut owner_ws).await["call_id"].clone();
    send(&mut owner_ws, json!({ "type": "accept", "call_id": call2 })).await;
    assert_eq!(next_call(&mut owner_ws).await["type"], "accepted");

    mutate(
        &app,
        &owner.token,
        "mutation($u: ID!) { removeMember(userId: $u) }",
        json!({ "u": b_id }),
    )
    .await;
    assert_eq!(close_code(&mut b_desk).await, 4001);
    completed(&mut b_sub, "1").await;
    // The caller does not wait out the 15-second grace for someone who cannot come back.
    let ended = next_within(&mut c1, Duration::from_secs(5))
        .await
        .expect("the call ended at once");
    assert_eq!(
        ended,
        json!({ "type": "ended", "call_id": call_id, "reason": "dropped", "by": "agent" })
    );
    // B leaves presence.
    loop {
        let p = next_json(&mut owner_ws).await;
        assert_eq!(p["type"], "presence", "{p}");
        if p["user_id"] == b_id.as_str() && p["status"] == "offline" {
            break;
        }
    }
    // A transfer to B fails with a clear error; the call stays with the owner.
    send(
        &mut owner_ws,
        json!({ "type": "transfer", "to": { "kind": "member", "id": b_id } }),
    )
    .await;
    let refused = next_call(&mut owner_ws).await;
    assert_eq!(refused["code"], "invalid_message", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("not a member"),
        "{refused}"
    );
    send(&mut c2, json!({ "type": "chat", "text": "still there?" })).await;
    assert_eq!(next_call(&mut owner_ws).await["type"], "chat");
    // B's session is still valid (for B's own business) but cannot take the phone's
    // suspended session back.
    let mut b_again = open(&app, &b_token).await;
    let welcome = hello(&mut b_again, Some(&phone_id)).await;
    assert_eq!(welcome["resumed"], false, "{welcome}");
    app.finish().await;
}

async fn an_accept_after_a_removal_is_refused_before_the_revocation_arrives(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    let mut owner_ws = greeted(&app, &owner.token).await;
    let mut b = greeted(&app, &b_token).await;
    let mut c = greeted(&app, &caller_token(&app).await).await;
    send(
        &mut c,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    let call_id = next_call(&mut b).await["call_id"].clone();
    assert_eq!(next_call(&mut owner_ws).await["call_id"], call_id);
    // B is removed the way another process would remove them: the row goes and only the
    // business event reaches this process; the revocation (which would close B's socket)
    // has not arrived.
    let (business, user) = (
        uuid::Uuid::parse_str(&owner.business_id).unwrap(),
        uuid::Uuid::parse_str(&b_id).unwrap(),
    );
    membership::Entity::delete_many()
        .filter(membership::Column::BusinessId.eq(business))
        .filter(membership::Column::UserId.eq(user))
        .exec(&app.services.db)
        .await
        .unwrap();
    app.services
        .events
        .publish(business, BusinessEventKind::MemberRemoved, user);
    send(&mut b, json!({ "type": "accept", "call_id": call_id })).await;
    let refused = next_call(&mut b).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    // The call still rings for the members.
    send(
        &mut owner_ws,
        json!({ "type": "accept", "call_id": call_id }),
    )
    .await;
    assert_eq!(next_call(&mut owner_ws).await["type"], "accepted");
    assert_eq!(next_json(&mut c).await["type"], "accepted");
    // Nor can B (still connected) be handed the call.
    send(
        &mut owner_ws,
        json!({ "type": "transfer", "to": { "kind": "member", "id": b_id } }),
    )
    .await;
    assert_eq!(next_call(&mut owner_ws).await["code"], "invalid_message");
    app.finish().await;
}

async fn a_role_change_reconnects_the_member(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    let mut b = open(&app, &b_token).await;
    let connection_id = hello(&mut b, None).await["connection_id"].clone();
    let mut b_sub = live_subscription(&app, &b_token, &owner).await;
    let mut c = greeted(&app, &caller_token(&app).await).await;
    send(
        &mut c,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    let call_id = next_call(&mut b).await["call_id"].clone();
    send(&mut b, json!({ "type": "accept", "call_id": call_id })).await;
    assert_eq!(next_json(&mut c).await["type"], "accepted");

    mutate(
        &app,
        &owner.token,
        "mutation($u: ID!) { setMemberRole(userId: $u, role: ADMIN) { role } }",
        json!({ "u": b_id }),
    )
    .await;
    assert_eq!(close_code(&mut b).await, 4001);
    completed(&mut b_sub, "1").await;
    assert_eq!(next_json(&mut c).await["type"], "peer_lost");
    // Reconnecting with the same session works and the call goes on.
    let mut b = open(&app, &b_token).await;
    let welcome = hello(&mut b, Some(&connection_id)).await;
    assert_eq!(welcome["resumed"], true, "{welcome}");
    assert_eq!(next_json(&mut c).await["type"], "peer_back");
    send(&mut c, json!({ "type": "chat", "text": "hello again" })).await;
    assert_eq!(next_call(&mut b).await["type"], "chat");
    app.finish().await;
}

async fn switching_business_and_revoking_a_key_end_what_they_opened(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let (key_id, key) = app.api_key(&owner, "integration").await;
    let mut key_sub = live_subscription(&app, &key, &owner).await;
    let mut ws = greeted(&app, &owner.token).await;
    let data = mutate(
        &app,
        &owner.token,
        "mutation { createBusiness(name: \"Beta\") { id } }",
        json!({}),
    )
    .await;
    // Creating a business changes nothing for open sockets.
    alive(&mut ws).await;
    mutate(
        &app,
        &owner.token,
        "mutation($b: ID!) { switchBusiness(businessId: $b) { id } }",
        json!({ "b": data["createBusiness"]["id"] }),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 4001);
    // The session now acts for Beta: a new socket is Beta's.
    greeted(&app, &owner.token).await;

    mutate(
        &app,
        &owner.token,
        "mutation($b: ID!) { switchBusiness(businessId: $b) { id } }",
        json!({ "b": owner.business_id }),
    )
    .await;
    mutate(
        &app,
        &owner.token,
        "mutation($k: ID!) { revokeApiKey(id: $k) { revoked } }",
        json!({ "k": key_id }),
    )
    .await;
    completed(&mut key_sub, "1").await;
    app.finish().await;
}

both_dbs!(
    sign_out_closes_that_sessions_sockets_and_subscriptions,
    a_password_change_closes_every_other_session,
    a_removed_member_is_cut_off,
    an_accept_after_a_removal_is_refused_before_the_revocation_arrives,
    a_role_change_reconnects_the_member,
    switching_business_and_revoking_a_key_end_what_they_opened,
);

/// Two nodes on one PostgreSQL database, joined by NATS (this machine serves it at
/// 127.0.0.1:4222): a business event made on node A reaches a `businessEvents` subscriber
/// on node B, and a sign-out on A closes that session's socket and subscription on B —
/// and nothing else.
#[tokio::test]
async fn a_change_on_one_node_reaches_sockets_on_another() {
    let (a, b) = TestApp::two_nodes().await;
    let owner = a.sign_up("Two Nodes").await;
    let laptop = owner.token.clone();
    let phone = sign_in(&a, &owner.email, PASSWORD).await;
    let mut laptop_ws = greeted(&b, &laptop).await;
    let mut phone_ws = greeted(&b, &phone).await;
    let mut laptop_sub = live_subscription_across(&b, &a, &laptop, &owner).await;

    mutate(&a, &laptop, "mutation { signOut }", json!({})).await;
    assert_eq!(close_code(&mut laptop_ws).await, 4001);
    completed(&mut laptop_sub, "1").await;
    alive(&mut phone_ws).await;
    b.finish().await;
    a.finish().await;
}
