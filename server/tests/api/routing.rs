//! Routing setup through the API: intents (create, rename, re-route, reorder, delete,
//! refusals with their codes), teams (settings, members, fallback loops refused, deletion
//! refused while an intent routes to it), agents reading but not changing, what
//! `route_for` hands the signaling hub, and the call page's intents in order.

use entity::calls::{RingStrategy, RingTarget};
use entity::routing_setup::{route_for, RouteError};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use crate::both_dbs;
use crate::helpers::{error_code, link_in, Auth, Db, Owner, TestApp};
use crate::ws::verified_domain;

const INTENT: &str = "id label position targetKind targetTeamId targetUserId targetName";
const TEAM: &str = "id name strategy ringTimeoutSecs fallbackTeamId fallbackTeamName \
     members { userId email }";

/// Invites an agent into `owner`'s business; returns (user id, session token, email).
async fn add_agent(app: &TestApp, owner: &Owner) -> (String, String, String) {
    let email = format!("agent-{}@example.com", Uuid::new_v4().simple());
    let res = app
        .gql(
            &owner.auth(),
            "mutation($e: String!) { inviteMember(email: $e, role: AGENT) { id } }",
            json!({ "e": email }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
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
    let p = &res["data"]["acceptInvitation"];
    (
        p["userId"].as_str().unwrap().to_owned(),
        p["token"].as_str().unwrap().to_owned(),
        email,
    )
}

pub async fn create_intent(app: &TestApp, auth: &Auth, label: &str, target: Value) -> Value {
    app.gql(
        auth,
        &format!(
            "mutation($l: String!, $t: IntentTargetInput!) {{ createIntent(label: $l, target: $t) {{ {INTENT} }} }}"
        ),
        json!({ "l": label, "t": target }),
    )
    .await
}

pub async fn create_team(app: &TestApp, auth: &Auth, input: Value) -> Value {
    app.gql(
        auth,
        &format!("mutation($i: TeamInput!) {{ createTeam(input: $i) {{ {TEAM} }} }}"),
        json!({ "i": input }),
    )
    .await
}

fn id_of(res: &Value, field: &str) -> String {
    res["data"][field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} failed: {res}"))
        .to_owned()
}

fn first_field(res: &Value) -> Option<&str> {
    res["errors"][0]["extensions"]["fields"][0]["field"].as_str()
}

async fn intents_crud_and_refusals(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Intents Inc").await;
    let auth = owner.auth();
    let everyone = json!({ "kind": "EVERYONE" });

    let order = create_intent(&app, &auth, "  New order ", everyone.clone()).await;
    assert_eq!(
        order["data"]["createIntent"]["label"], "New order",
        "{order}"
    );
    assert_eq!(order["data"]["createIntent"]["targetKind"], "EVERYONE");
    let order = id_of(&order, "createIntent");
    let complaint = id_of(
        &create_intent(&app, &auth, "Complaint", everyone.clone()).await,
        "createIntent",
    );

    // Refusals: empty label, duplicate label in another case, foreign / unknown targets.
    let res = create_intent(&app, &auth, "   ", everyone.clone()).await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    assert_eq!(first_field(&res), Some("label"), "{res}");
    let res = create_intent(&app, &auth, "NEW ORDER", everyone.clone()).await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");
    assert!(res["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("New order"));
    let res = create_intent(&app, &auth, "x", json!({ "kind": "TEAM" })).await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let nobody = Uuid::new_v4().to_string();
    let res = create_intent(
        &app,
        &auth,
        "x",
        json!({ "kind": "TEAM", "teamId": nobody }),
    )
    .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let res = create_intent(
        &app,
        &auth,
        "x",
        json!({ "kind": "MEMBER", "userId": nobody }),
    )
    .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");

    // Rename (a rename to its own label in another case is fine), re-route to the owner.
    let res = app
        .gql(
            &auth,
            &format!(
                "mutation($id: ID!, $t: IntentTargetInput) {{ updateIntent(id: $id, label: \"new ORDER\", target: $t) {{ {INTENT} }} }}"
            ),
            json!({ "id": order, "t": { "kind": "MEMBER", "userId": owner.user_id } }),
        )
        .await;
    let updated = &res["data"]["updateIntent"];
    assert_eq!(updated["label"], "new ORDER", "{res}");
    assert_eq!(updated["targetKind"], "MEMBER");
    assert_eq!(updated["targetUserId"], owner.user_id.as_str());
    assert_eq!(updated["targetName"], owner.email.as_str());
    let res = app
        .gql(
            &auth,
            "mutation($id: ID!) { updateIntent(id: $id, label: \"complaint\") { id } }",
            json!({ "id": order }),
        )
        .await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");

    // Reorder: every intent once, or refused.
    let res = app
        .gql(
            &auth,
            "mutation($ids: [ID!]!) { reorderIntents(ids: $ids) { id position } }",
            json!({ "ids": [complaint, order] }),
        )
        .await;
    let list = res["data"]["reorderIntents"].as_array().unwrap();
    assert_eq!(list[0]["id"], complaint.as_str(), "{res}");
    assert_eq!(list[1]["id"], order.as_str(), "{res}");
    for ids in [json!([complaint]), json!([complaint, complaint, order])] {
        let res = app
            .gql(
                &auth,
                "mutation($ids: [ID!]!) { reorderIntents(ids: $ids) { id } }",
                json!({ "ids": ids }),
            )
            .await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
        assert_eq!(first_field(&res), Some("ids"), "{res}");
    }
    let res = app
        .gql(
            &auth,
            "mutation($ids: [ID!]!) { reorderIntents(ids: $ids) { id } }",
            json!({ "ids": [complaint, order, nobody] }),
        )
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");

    // The call page lists them in that order.
    let domain = verified_domain(&app, &owner).await;
    let res = app
        .gql(
            &Auth::None,
            "query($d: String!) { callPage(domain: $d) { intents { id label } } }",
            json!({ "d": domain }),
        )
        .await;
    assert_eq!(
        res["data"]["callPage"]["intents"],
        json!([{ "id": complaint, "label": "Complaint" }, { "id": order, "label": "new ORDER" }]),
        "{res}"
    );

    // Delete, then it is gone (and deleting again is NOT_FOUND).
    for expected in [None, Some("NOT_FOUND")] {
        let res = app
            .gql(
                &auth,
                "mutation($id: ID!) { deleteIntent(id: $id) }",
                json!({ "id": complaint }),
            )
            .await;
        assert_eq!(error_code(&res), expected, "{res}");
    }
    let res = app.gql(&auth, "{ intents { id } }", json!({})).await;
    assert_eq!(res["data"]["intents"], json!([{ "id": order }]), "{res}");
    app.finish().await;
}

async fn teams_settings_members_and_fallbacks(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Teams Inc").await;
    let auth = owner.auth();
    let (agent_id, _, agent_email) = add_agent(&app, &owner).await;

    // Defaults, then every bad field reported at once.
    let sales = create_team(&app, &auth, json!({ "name": "Sales" })).await;
    let t = &sales["data"]["createTeam"];
    assert_eq!(t["strategy"], "SIMULTANEOUS", "{sales}");
    assert_eq!(t["ringTimeoutSecs"], 30);
    assert_eq!(t["members"], json!([]));
    let sales = id_of(&sales, "createTeam");
    let res = create_team(&app, &auth, json!({ "name": " ", "ringTimeoutSecs": 4 })).await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let fields: Vec<&str> = res["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "ring_timeout_secs"], "{res}");
    let res = create_team(&app, &auth, json!({ "name": "x", "ringTimeoutSecs": 301 })).await;
    assert_eq!(first_field(&res), Some("ring_timeout_secs"), "{res}");
    let res = create_team(&app, &auth, json!({ "name": "SALES" })).await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");
    let res = create_team(
        &app,
        &auth,
        json!({ "name": "x", "fallbackTeamId": Uuid::new_v4().to_string() }),
    )
    .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");

    // Support falls back to Sales; Sales falling back to Support (or itself) is a loop.
    let support = create_team(
        &app,
        &auth,
        json!({ "name": "Support", "strategy": "ROUND_ROBIN", "ringTimeoutSecs": 15, "fallbackTeamId": sales }),
    )
    .await;
    assert_eq!(
        support["data"]["createTeam"]["fallbackTeamName"], "Sales",
        "{support}"
    );
    let support = id_of(&support, "createTeam");
    let update = format!(
        "mutation($id: ID!, $i: TeamInput!) {{ updateTeam(id: $id, input: $i) {{ {TEAM} }} }}"
    );
    for fallback in [&support, &sales] {
        let res = app
            .gql(
                &auth,
                &update,
                json!({ "id": sales, "i": { "name": "Sales", "fallbackTeamId": fallback } }),
            )
            .await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
        assert_eq!(first_field(&res), Some("fallback_team_id"), "{res}");
    }
    let res = app
        .gql(
            &auth,
            &update,
            json!({ "id": sales, "i": { "name": "Sales team", "strategy": "LONGEST_IDLE", "ringTimeoutSecs": 45 } }),
        )
        .await;
    let t = &res["data"]["updateTeam"];
    assert_eq!(t["name"], "Sales team", "{res}");
    assert_eq!(t["strategy"], "LONGEST_IDLE");
    assert_eq!(t["ringTimeoutSecs"], 45);

    // Members: of this business only, in the order given.
    let set = format!(
        "mutation($id: ID!, $u: [ID!]!) {{ setTeamMembers(id: $id, userIds: $u) {{ {TEAM} }} }}"
    );
    let res = app
        .gql(
            &auth,
            &set,
            json!({ "id": support, "u": [agent_id, owner.user_id] }),
        )
        .await;
    assert_eq!(
        res["data"]["setTeamMembers"]["members"],
        json!([{ "userId": agent_id, "email": agent_email }, { "userId": owner.user_id, "email": owner.email }]),
        "{res}"
    );
    let stranger = app.sign_up("Elsewhere").await;
    let res = app
        .gql(
            &auth,
            &set,
            json!({ "id": support, "u": [stranger.user_id] }),
        )
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let res = app
        .gql(
            &auth,
            &set,
            json!({ "id": support, "u": [agent_id, agent_id] }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");

    // An intent routes to Sales: deleting Sales is refused, naming the intent.
    let intent = create_intent(
        &app,
        &auth,
        "Quotes",
        json!({ "kind": "TEAM", "teamId": sales }),
    )
    .await;
    assert_eq!(
        intent["data"]["createIntent"]["targetName"], "Sales team",
        "{intent}"
    );
    let intent = id_of(&intent, "createIntent");
    let delete = "mutation($id: ID!) { deleteTeam(id: $id) }";
    let res = app.gql(&auth, delete, json!({ "id": sales })).await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");
    assert!(
        res["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Quotes"),
        "{res}"
    );

    // Re-routed, Sales goes; Support no longer falls back to it.
    app.gql(
        &auth,
        "mutation($id: ID!) { updateIntent(id: $id, target: { kind: EVERYONE }) { id } }",
        json!({ "id": intent }),
    )
    .await;
    let res = app.gql(&auth, delete, json!({ "id": sales })).await;
    assert_eq!(res["data"]["deleteTeam"], true, "{res}");
    let res = app
        .gql(&auth, &format!("{{ teams {{ {TEAM} }} }}"), json!({}))
        .await;
    let teams = res["data"]["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 1, "{res}");
    assert!(teams[0]["fallbackTeamId"].is_null(), "{res}");

    // A member who leaves leaves the team too.
    app.gql(
        &auth,
        "mutation($id: ID!) { removeMember(userId: $id) }",
        json!({ "id": agent_id }),
    )
    .await;
    let res = app
        .gql(&auth, "{ teams { members { userId } } }", json!({}))
        .await;
    assert_eq!(
        res["data"]["teams"][0]["members"],
        json!([{ "userId": owner.user_id }]),
        "{res}"
    );
    app.finish().await;
}

async fn agents_read_but_cannot_change(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Roles Inc").await;
    let team = id_of(
        &create_team(&app, &owner.auth(), json!({ "name": "Desk" })).await,
        "createTeam",
    );
    let intent = id_of(
        &create_intent(&app, &owner.auth(), "Hello", json!({ "kind": "EVERYONE" })).await,
        "createIntent",
    );
    let (agent_id, token, _) = add_agent(&app, &owner).await;
    let agent = Auth::Bearer(token);
    let res = app
        .gql(&agent, "{ intents { label } teams { name } }", json!({}))
        .await;
    assert_eq!(res["data"]["intents"][0]["label"], "Hello", "{res}");
    assert_eq!(res["data"]["teams"][0]["name"], "Desk", "{res}");
    let attempts = [
        (
            "mutation { createIntent(label: \"Mine\", target: { kind: EVERYONE }) { id } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { updateIntent(id: $id, label: \"Bye\") { id } }",
            json!({ "id": intent }),
        ),
        (
            "mutation($id: ID!) { deleteIntent(id: $id) }",
            json!({ "id": intent }),
        ),
        (
            "mutation($id: ID!) { reorderIntents(ids: [$id]) { id } }",
            json!({ "id": intent }),
        ),
        (
            "mutation { createTeam(input: { name: \"Mine\" }) { id } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { updateTeam(id: $id, input: { name: \"X\" }) { id } }",
            json!({ "id": team }),
        ),
        (
            "mutation($id: ID!) { deleteTeam(id: $id) }",
            json!({ "id": team }),
        ),
        (
            "mutation($id: ID!, $u: ID!) { setTeamMembers(id: $id, userIds: [$u]) { id } }",
            json!({ "id": team, "u": agent_id }),
        ),
    ];
    for (query, vars) in attempts {
        let res = app.gql(&agent, query, vars).await;
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{query}: {res}");
    }
    app.finish().await;
}

async fn route_for_follows_the_setup(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Route Inc").await;
    let auth = owner.auth();
    let (agent_id, _, _) = add_agent(&app, &owner).await;
    let db = &app.services.db;
    let business = Uuid::parse_str(&owner.business_id).unwrap();
    let owner_id = Uuid::parse_str(&owner.user_id).unwrap();
    let agent = Uuid::parse_str(&agent_id).unwrap();

    // No intent: everyone, in join order, simultaneous, 30 s.
    let route = route_for(db, business, None).await.unwrap();
    assert_eq!(route.intent, None);
    assert_eq!(route.target, RingTarget::Team(business));
    let everyone = &route.teams[&business];
    assert_eq!(everyone.members, vec![owner_id, agent]);
    assert_eq!(everyone.strategy, RingStrategy::Simultaneous);
    assert_eq!(everyone.ring_timeout, Duration::from_secs(30));
    assert_eq!(everyone.fallback, None);

    // A team with a two-step fallback chain (and a team outside it).
    let last = id_of(
        &create_team(&app, &auth, json!({ "name": "Last" })).await,
        "createTeam",
    );
    let second = id_of(
        &create_team(
            &app,
            &auth,
            json!({ "name": "Second", "fallbackTeamId": last }),
        )
        .await,
        "createTeam",
    );
    let first = id_of(
        &create_team(
            &app,
            &auth,
            json!({ "name": "First", "strategy": "ROUND_ROBIN", "ringTimeoutSecs": 12, "fallbackTeamId": second }),
        )
        .await,
        "createTeam",
    );
    create_team(&app, &auth, json!({ "name": "Unrelated" })).await;
    app.gql(
        &auth,
        "mutation($id: ID!, $u: [ID!]!) { setTeamMembers(id: $id, userIds: $u) { id } }",
        json!({ "id": first, "u": [agent_id, owner.user_id] }),
    )
    .await;
    let to_team = id_of(
        &create_intent(
            &app,
            &auth,
            "Team",
            json!({ "kind": "TEAM", "teamId": first }),
        )
        .await,
        "createIntent",
    );
    let to_member = id_of(
        &create_intent(
            &app,
            &auth,
            "Member",
            json!({ "kind": "MEMBER", "userId": agent_id }),
        )
        .await,
        "createIntent",
    );
    let to_all = id_of(
        &create_intent(&app, &auth, "All", json!({ "kind": "EVERYONE" })).await,
        "createIntent",
    );
    let uuid = |s: &str| Uuid::parse_str(s).unwrap();

    let route = route_for(db, business, Some(uuid(&to_team))).await.unwrap();
    assert_eq!(
        route.intent.as_ref().map(|i| i.label.as_str()),
        Some("Team")
    );
    assert_eq!(route.target, RingTarget::Team(uuid(&first)));
    let mut chain: Vec<Uuid> = route.teams.keys().copied().collect();
    chain.sort();
    // The chain, and "everyone" as the last resort when the chain has nobody online.
    let mut expected = vec![uuid(&first), uuid(&second), uuid(&last), business];
    expected.sort();
    assert_eq!(chain, expected);
    assert_eq!(route.teams[&business].members, vec![owner_id, agent]);
    let t = &route.teams[&uuid(&first)];
    assert_eq!(t.members, vec![agent, owner_id]);
    assert_eq!(t.strategy, RingStrategy::RoundRobin);
    assert_eq!(t.ring_timeout, Duration::from_secs(12));
    assert_eq!(t.fallback, Some(uuid(&second)));
    assert_eq!(route.teams[&uuid(&second)].fallback, Some(uuid(&last)));

    let route = route_for(db, business, Some(uuid(&to_member)))
        .await
        .unwrap();
    assert_eq!(route.target, RingTarget::Member(agent));
    let teams: Vec<Uuid> = route.teams.keys().copied().collect();
    assert_eq!(teams, vec![business], "only the last resort");

    let route = route_for(db, business, Some(uuid(&to_all))).await.unwrap();
    assert_eq!(route.target, RingTarget::Team(business));
    assert_eq!(route.teams[&business].members, vec![owner_id, agent]);

    // Unknown intents: made up, or another business's.
    let other = app.sign_up("Other Inc").await;
    let foreign = id_of(
        &create_intent(&app, &other.auth(), "Theirs", json!({ "kind": "EVERYONE" })).await,
        "createIntent",
    );
    for id in [Uuid::new_v4(), uuid(&foreign)] {
        let res = route_for(db, business, Some(id)).await;
        assert!(matches!(res, Err(RouteError::UnknownIntent)), "{res:?}");
    }

    // The agent leaves: the member intent rings everyone, the team loses them.
    app.gql(
        &auth,
        "mutation($id: ID!) { removeMember(userId: $id) }",
        json!({ "id": agent_id }),
    )
    .await;
    let route = route_for(db, business, Some(uuid(&to_member)))
        .await
        .unwrap();
    assert_eq!(route.target, RingTarget::Team(business));
    assert_eq!(route.teams[&business].members, vec![owner_id]);
    let route = route_for(db, business, Some(uuid(&to_team))).await.unwrap();
    assert_eq!(route.teams[&uuid(&first)].members, vec![owner_id]);
    app.finish().await;
}

both_dbs!(
    intents_crud_and_refusals,
    teams_settings_members_and_fallbacks,
    agents_read_but_cannot_change,
    route_for_follows_the_setup,
);
