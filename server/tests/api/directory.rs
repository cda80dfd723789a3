//! The hub answers call requests from its in-memory directory; these prove a change made
//! through the API is seen by the very next call: a removed domain, a removed caller
//! domain, an intent pointed at another team or deleted, a team's new members.

use futures::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::both_dbs;
use crate::helpers::{Db, Owner, TestApp};
use crate::ws::{
    caller_token, colleague, greeted, next_call, next_json, send, silent, verified_domain,
    verified_domain_with_id, Socket,
};

/// Caller `c` asks to call `domain`, about `intent` if given; returns the first reply.
async fn request(c: &mut Socket, domain: &str, intent: Option<&Value>) -> Value {
    let mut request = json!({ "type": "call_request", "domain": domain, "mode": "voice" });
    if let Some(intent) = intent {
        request["intent"] = intent.clone();
    }
    send(c, request).await;
    next_json(c).await
}

/// A new guest asks to call `domain` (about `intent`); returns its socket and the reply.
async fn call(app: &TestApp, domain: &str, intent: Option<&Value>) -> (Socket, Value) {
    let mut c = greeted(app, &caller_token(app).await).await;
    let reply = request(&mut c, domain, intent).await;
    (c, reply)
}

/// Caller `c`'s call rings every socket of `ringing` and none of `quiet`; the caller then
/// cancels. Returns the first `incoming` frame.
async fn rings(c: &mut Socket, ringing: &mut [&mut Socket], quiet: &mut [&mut Socket]) -> Value {
    let mut first = None;
    for r in ringing.iter_mut() {
        let incoming = next_call(r).await;
        assert_eq!(incoming["type"], "incoming", "{incoming}");
        first.get_or_insert(incoming);
    }
    for q in quiet.iter_mut() {
        silent(q).await;
    }
    send(c, json!({ "type": "cancel" })).await;
    assert_eq!(next_json(c).await["type"], "ended");
    for r in ringing.iter_mut() {
        assert_eq!(next_call(r).await["type"], "ended");
    }
    first.unwrap_or_default()
}

/// As [`rings`], for one ringing socket.
async fn rings_only(c: &mut Socket, ringing: &mut Socket, quiet: &mut [&mut Socket]) -> Value {
    rings(c, &mut [ringing], quiet).await
}

/// Runs a GraphQL mutation as `owner` and returns `data.<field>`, failing on errors.
async fn mutate(app: &TestApp, owner: &Owner, query: &str, vars: Value, field: &str) -> Value {
    let res = app.gql(&owner.auth(), query, vars).await;
    assert!(res["errors"].is_null(), "{query}: {res}");
    res["data"][field].clone()
}

async fn create_team(app: &TestApp, owner: &Owner, name: &str, members: &[&str]) -> Value {
    let team = mutate(
        app,
        owner,
        "mutation($n: String!) { createTeam(input: { name: $n }) { id } }",
        json!({ "n": name }),
        "createTeam",
    )
    .await["id"]
        .clone();
    set_members(app, owner, &team, members).await;
    team
}

async fn set_members(app: &TestApp, owner: &Owner, team: &Value, members: &[&str]) {
    mutate(
        app,
        owner,
        "mutation($t: ID!, $u: [ID!]!) { setTeamMembers(id: $t, userIds: $u) { id } }",
        json!({ "t": team, "u": members }),
        "setTeamMembers",
    )
    .await;
}

async fn intent_to(app: &TestApp, owner: &Owner, label: &str, team: &Value) -> Value {
    mutate(
        app,
        owner,
        "mutation($l: String!, $t: ID!) { createIntent(label: $l, target: { kind: TEAM, teamId: $t }) { id } }",
        json!({ "l": label, "t": team }),
        "createIntent",
    )
    .await["id"]
        .clone()
}

async fn a_removed_domain_is_not_called_again(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let (domain, domain_id) = verified_domain_with_id(&app, &owner).await;
    // A caller who calls as another business's verified domain.
    let other = app.sign_up("Beta").await;
    let (other_domain, other_id) = verified_domain_with_id(&app, &other).await;
    let res = app
        .gql(
            &other.auth(),
            "mutation($id: ID!) { callAsDomain(domainId: $id) { token } }",
            json!({ "id": other_id.to_string() }),
        )
        .await;
    let as_domain = res["data"]["callAsDomain"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    let mut a = greeted(&app, &owner.token).await;
    // Both callers get through, filling the directory.
    let (mut guest, reply) = call(&app, &domain, None).await;
    assert_eq!(reply["type"], "ringing", "{reply}");
    rings_only(&mut guest, &mut a, &mut []).await;
    let mut as_other = greeted(&app, &as_domain).await;
    assert_eq!(
        request(&mut as_other, &domain, None).await["type"],
        "ringing"
    );
    let incoming = rings_only(&mut as_other, &mut a, &mut []).await;
    assert_eq!(incoming["caller"]["verified"], true, "{incoming}");
    assert_eq!(incoming["caller"]["domain"], other_domain.as_str());

    // The caller's domain goes, and its identity with it: refused on the open socket.
    mutate(
        &app,
        &other,
        "mutation($id: ID!) { removeDomain(id: $id) }",
        json!({ "id": other_id.to_string() }),
        "removeDomain",
    )
    .await;
    let reply = request(&mut as_other, &domain, None).await;
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(reply["code"], "forbidden", "{reply}");
    silent(&mut a).await;

    // The called domain goes: the very next request finds it unverified.
    mutate(
        &app,
        &owner,
        "mutation($id: ID!) { removeDomain(id: $id) }",
        json!({ "id": domain_id.to_string() }),
        "removeDomain",
    )
    .await;
    let reply = request(&mut guest, &domain, None).await;
    assert_eq!(reply["type"], "unavailable", "{reply}");
    assert_eq!(reply["reason"], "domain_not_verified", "{reply}");
    silent(&mut a).await;
    app.finish().await;
}

async fn an_intent_retargeted_or_deleted_routes_the_next_call_anew(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    let (c_token, c_id) = colleague(&app, &owner).await;
    let first = create_team(&app, &owner, "First", &[&b_id]).await;
    let second = create_team(&app, &owner, "Second", &[&c_id]).await;
    let intent = intent_to(&app, &owner, "Orders", &first).await;
    let mut owner_ws = greeted(&app, &owner.token).await;
    let mut b = greeted(&app, &b_token).await;
    let mut c = greeted(&app, &c_token).await;

    let (mut caller, reply) = call(&app, &domain, Some(&intent)).await;
    assert_eq!(reply["type"], "ringing", "{reply}");
    rings_only(&mut caller, &mut b, &mut [&mut c, &mut owner_ws]).await;

    // Pointed at the second team: the next call rings its member only.
    mutate(
        &app,
        &owner,
        "mutation($i: ID!, $t: ID!) { updateIntent(id: $i, target: { kind: TEAM, teamId: $t }) { id } }",
        json!({ "i": intent, "t": second }),
        "updateIntent",
    )
    .await;
    let (mut caller, reply) = call(&app, &domain, Some(&intent)).await;
    assert_eq!(reply["type"], "ringing", "{reply}");
    rings_only(&mut caller, &mut c, &mut [&mut b, &mut owner_ws]).await;

    // Renamed: agents see the new label on the next call.
    mutate(
        &app,
        &owner,
        "mutation($i: ID!) { updateIntent(id: $i, label: \"Big orders\") { id } }",
        json!({ "i": intent }),
        "updateIntent",
    )
    .await;
    let (mut caller, _) = call(&app, &domain, Some(&intent)).await;
    let incoming = rings_only(&mut caller, &mut c, &mut [&mut b, &mut owner_ws]).await;
    assert_eq!(incoming["intent"]["label"], "Big orders", "{incoming}");

    // Deleted: the next call about it is refused without ringing anyone.
    mutate(
        &app,
        &owner,
        "mutation($i: ID!) { deleteIntent(id: $i) }",
        json!({ "i": intent }),
        "deleteIntent",
    )
    .await;
    let (_caller, reply) = call(&app, &domain, Some(&intent)).await;
    assert_eq!(reply["type"], "unavailable", "{reply}");
    assert_eq!(reply["reason"], "unknown_intent", "{reply}");
    silent(&mut b).await;
    silent(&mut c).await;
    silent(&mut owner_ws).await;
    app.finish().await;
}

async fn new_team_members_ring_on_the_next_call(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    let (c_token, c_id) = colleague(&app, &owner).await;
    let team = create_team(&app, &owner, "Support", &[&b_id]).await;
    let intent = intent_to(&app, &owner, "Help", &team).await;
    let mut owner_ws = greeted(&app, &owner.token).await;
    let mut b = greeted(&app, &b_token).await;
    let mut c = greeted(&app, &c_token).await;

    let (mut caller, reply) = call(&app, &domain, Some(&intent)).await;
    assert_eq!(reply["type"], "ringing", "{reply}");
    rings_only(&mut caller, &mut b, &mut [&mut c, &mut owner_ws]).await;

    set_members(&app, &owner, &team, &[&c_id]).await;
    let (mut caller, reply) = call(&app, &domain, Some(&intent)).await;
    assert_eq!(reply["type"], "ringing", "{reply}");
    rings_only(&mut caller, &mut c, &mut [&mut b, &mut owner_ws]).await;

    // Without an intent everyone rings; a member who leaves no longer does.
    let (mut caller, _) = call(&app, &domain, None).await;
    rings(&mut caller, &mut [&mut owner_ws, &mut b, &mut c], &mut []).await;
    mutate(
        &app,
        &owner,
        "mutation($u: ID!) { removeMember(userId: $u) }",
        json!({ "u": b_id }),
        "removeMember",
    )
    .await;
    // Their socket is closed (4001) by the removal itself.
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), b.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                assert_eq!(u16::from(frame.code), 4001);
                break;
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
    let (mut caller, _) = call(&app, &domain, None).await;
    rings(&mut caller, &mut [&mut owner_ws, &mut c], &mut []).await;
    app.finish().await;
}

both_dbs!(
    a_removed_domain_is_not_called_again,
    an_intent_retargeted_or_deleted_routes_the_next_call_anew,
    new_team_members_ring_on_the_next_call
);

/// Two nodes on one PostgreSQL database joined by NATS: a domain removed through node A
/// is refused by node B's very next call request (B's directory had it cached).
#[tokio::test]
async fn a_domain_removed_on_one_node_is_refused_by_another_at_once() {
    let (node_a, node_b) = TestApp::two_nodes().await;
    let owner = node_a.sign_up("Two Node Bakery").await;
    let (domain, domain_id) = verified_domain_with_id(&node_a, &owner).await;
    let mut agent = greeted(&node_b, &owner.token).await;
    let (mut guest, reply) = call(&node_b, &domain, None).await;
    assert_eq!(reply["type"], "ringing", "{reply}");
    rings_only(&mut guest, &mut agent, &mut []).await;

    mutate(
        &node_a,
        &owner,
        "mutation($id: ID!) { removeDomain(id: $id) }",
        json!({ "id": domain_id.to_string() }),
        "removeDomain",
    )
    .await;
    // The event crosses NATS asynchronously: B refuses within a moment, never rings.
    let mut refused = None;
    for _ in 0..3 {
        let reply = request(&mut guest, &domain, None).await;
        if reply["type"] == "unavailable" {
            refused = Some(reply);
            break;
        }
        assert_eq!(
            reply["type"], "ringing",
            "neither refused nor rung: {reply}"
        );
        rings_only(&mut guest, &mut agent, &mut []).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let refused = refused.expect("node B kept ringing a removed domain");
    assert_eq!(refused["reason"], "domain_not_verified", "{refused}");
    silent(&mut agent).await;
    node_b.finish().await;
    node_a.finish().await;
}
