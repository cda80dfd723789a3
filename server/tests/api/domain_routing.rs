//! Routing by called domain (issue 16 §4): a call without an intent to a domain routed to a
//! team rings that team; an intent still wins; a change applies to the next call at once;
//! a deleted team's domains ring everyone; only owners and admins of the domain's own
//! business route it, and only to their own teams.

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, Auth, Db, Owner, TestApp};
use crate::ws::{
    caller_token, colleague, greeted, next_call, next_json, send, silent, verified_domain_with_id,
    Socket,
};

const SET_ROUTE: &str = "mutation($d: ID!, $t: ID) { setDomainRoute(domainId: $d, teamId: $t) \
    { id routeTeamId } }";

/// The owner creates team `name` with `members`; returns its id.
async fn team_of(app: &TestApp, owner: &Owner, name: &str, members: &[&str]) -> String {
    let res = app
        .gql(
            &owner.auth(),
            "mutation($n: String!) { createTeam(input: { name: $n }) { id } }",
            json!({ "n": name }),
        )
        .await;
    let team = res["data"]["createTeam"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
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

/// `auth` routes domain `domain` to `team` (`None`: everyone); the GraphQL answer.
async fn set_route(app: &TestApp, auth: &Auth, domain: uuid::Uuid, team: Option<&str>) -> Value {
    app.gql(
        auth,
        SET_ROUTE,
        json!({ "d": domain.to_string(), "t": team }),
    )
    .await
}

/// A new caller calls `domain` (about `intent`, if any) and hears `ringing`.
async fn call(app: &TestApp, domain: &str, intent: Option<&str>) -> Socket {
    let mut c = greeted(app, &caller_token(app).await).await;
    let mut request = json!({ "type": "call_request", "domain": domain, "mode": "voice" });
    if let Some(intent) = intent {
        request["intent"] = json!(intent);
    }
    send(&mut c, request).await;
    let ringing = next_json(&mut c).await;
    assert_eq!(ringing["type"], "ringing", "{ringing}");
    c
}

/// Each of `rung` is offered the call, the others hear nothing; then the caller cancels
/// and the rung agents hear it end.
async fn rings_only(mut c: Socket, rung: &mut [&mut Socket], quiet: &mut [&mut Socket]) {
    for agent in rung.iter_mut() {
        let incoming = next_call(agent).await;
        assert_eq!(incoming["type"], "incoming", "{incoming}");
    }
    for agent in quiet.iter_mut() {
        silent(agent).await;
    }
    send(&mut c, json!({ "type": "cancel" })).await;
    for agent in rung.iter_mut() {
        assert_eq!(next_call(agent).await["type"], "ended");
    }
}

async fn a_domain_routed_to_a_team_rings_that_team(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let (a, a_id) = verified_domain_with_id(&app, &owner).await;
    let (b, _) = verified_domain_with_id(&app, &owner).await;
    let (s_token, s_id) = colleague(&app, &owner).await;
    let sales = team_of(&app, &owner, "Sales", &[&s_id]).await;
    let support = team_of(&app, &owner, "Support", &[&owner.user_id]).await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation($t: ID!) { createIntent(label: \"Help\", target: { kind: TEAM, teamId: $t }) { id } }",
            json!({ "t": support }),
        )
        .await;
    let help = res["data"]["createIntent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    let res = set_route(&app, &owner.auth(), a_id, Some(&sales)).await;
    assert_eq!(res["data"]["setDomainRoute"]["routeTeamId"], sales, "{res}");
    let mut o = greeted(&app, &owner.token).await;
    let mut s = greeted(&app, &s_token).await;

    // Without an intent: `a` rings only Sales, `b` everyone.
    rings_only(call(&app, &a, None).await, &mut [&mut s], &mut [&mut o]).await;
    rings_only(call(&app, &b, None).await, &mut [&mut o, &mut s], &mut []).await;
    // An intent wins, even through `a`.
    let c = call(&app, &a, Some(&help)).await;
    rings_only(c, &mut [&mut o], &mut [&mut s]).await;

    // A change applies to the next call at once (the cached domain is dropped).
    let res = set_route(&app, &owner.auth(), a_id, Some(&support)).await;
    assert!(res["errors"].is_null(), "{res}");
    rings_only(call(&app, &a, None).await, &mut [&mut o], &mut [&mut s]).await;
    let res = set_route(&app, &owner.auth(), a_id, None).await;
    assert!(
        res["data"]["setDomainRoute"]["routeTeamId"].is_null(),
        "{res}"
    );
    rings_only(call(&app, &a, None).await, &mut [&mut o, &mut s], &mut []).await;

    // The dashboard's server function does the same.
    let form = [("id", a_id.to_string()), ("team_id", sales.clone())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = app
        .server_fn_as(&owner.token, "set_domain_route", &form)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["route_team_id"], sales.as_str(), "{body}");
    rings_only(call(&app, &a, None).await, &mut [&mut s], &mut [&mut o]).await;

    // Deleting Sales clears the route: `a` rings everyone again.
    let res = app
        .gql(
            &owner.auth(),
            "mutation($t: ID!) { deleteTeam(id: $t) }",
            json!({ "t": sales }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    rings_only(call(&app, &a, None).await, &mut [&mut o, &mut s], &mut []).await;
    let res = app
        .gql(
            &owner.auth(),
            "query($d: ID!) { domain(id: $d) { routeTeamId } }",
            json!({ "d": a_id.to_string() }),
        )
        .await;
    assert!(res["data"]["domain"]["routeTeamId"].is_null(), "{res}");
    app.finish().await;
}

async fn a_route_to_a_team_that_is_gone_rings_everyone(db: Db) {
    use entity::entities::domain;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let (a, a_id) = verified_domain_with_id(&app, &owner).await;
    let (s_token, _) = colleague(&app, &owner).await;
    // A team that no longer exists (written behind the domain code's back).
    let row = domain::Entity::find_by_id(a_id)
        .one(&app.services.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: domain::ActiveModel = row.into();
    row.route_team_id = Set(Some(uuid::Uuid::new_v4()));
    row.update(&app.services.db).await.unwrap();
    let mut o = greeted(&app, &owner.token).await;
    let mut s = greeted(&app, &s_token).await;
    rings_only(call(&app, &a, None).await, &mut [&mut o, &mut s], &mut []).await;
    app.finish().await;
}

async fn only_managers_route_only_their_own_domains_to_their_own_teams(db: Db) {
    let app = TestApp::spawn(db).await;
    let alpha = app.sign_up("Alpha").await;
    let beta = app.sign_up("Beta").await;
    let (_, alpha_domain) = verified_domain_with_id(&app, &alpha).await;
    let (_, beta_domain) = verified_domain_with_id(&app, &beta).await;
    let (agent_token, agent_id) = colleague(&app, &alpha).await;
    let alpha_team = team_of(&app, &alpha, "Sales", &[&agent_id]).await;
    let beta_team = team_of(&app, &beta, "Sales", &[&beta.user_id]).await;

    // B cannot route its domain to A's team, nor touch A's domain.
    let res = set_route(&app, &beta.auth(), beta_domain, Some(&alpha_team)).await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let res = set_route(&app, &beta.auth(), alpha_domain, Some(&beta_team)).await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let res = set_route(&app, &beta.auth(), alpha_domain, None).await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    // An agent cannot route at all, through GraphQL or the dashboard.
    let agent = Auth::Bearer(agent_token.clone());
    let res = set_route(&app, &agent, alpha_domain, Some(&alpha_team)).await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let id = alpha_domain.to_string();
    let form = [("id", id.as_str()), ("team_id", alpha_team.as_str())];
    let (status, body) = app
        .server_fn_as(&agent_token, "set_domain_route", &form)
        .await;
    assert_eq!(status, 403, "{body}");
    // Nothing changed.
    let res = app
        .gql(
            &alpha.auth(),
            "query($d: ID!) { domain(id: $d) { routeTeamId } }",
            json!({ "d": id }),
        )
        .await;
    assert!(res["data"]["domain"]["routeTeamId"].is_null(), "{res}");
    // The owner can.
    let res = set_route(&app, &alpha.auth(), alpha_domain, Some(&alpha_team)).await;
    assert_eq!(
        res["data"]["setDomainRoute"]["routeTeamId"], alpha_team,
        "{res}"
    );
    app.finish().await;
}

/// The dashboard page `path` rendered on the server for session `token`.
async fn page(app: &TestApp, path: &str, token: &str) -> String {
    let res = app
        .http
        .get(format!("{}{path}", app.base))
        .header("cookie", format!("dc_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

async fn the_domains_page_shows_what_calls_ring(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let (_, id) = verified_domain_with_id(&app, &owner).await;
    let (agent, _) = colleague(&app, &owner).await;
    let sales = team_of(&app, &owner, "Sales", &[&owner.user_id]).await;
    let path = format!("/app/domains?domain={id}");
    // Owners choose: Everyone, or one of the teams.
    let html = page(&app, &path, &owner.token).await;
    assert!(
        html.contains(r#"id="domain-route-team""#),
        "no route select"
    );
    assert!(html.contains(r#"name="team_id""#));
    assert!(
        html.contains(&format!(r#"value="{sales}""#)),
        "no Sales option"
    );
    assert!(html.contains("Everyone"));
    let res = set_route(&app, &owner.auth(), id, Some(&sales)).await;
    assert!(res["errors"].is_null(), "{res}");
    let html = page(&app, &path, &owner.token).await;
    let option = html
        .split("<option")
        .find(|o| o.contains(&sales))
        .unwrap_or_default();
    assert!(option.contains("selected"), "Sales not selected: {option}");
    // Agents read it.
    let html = page(&app, &path, &agent).await;
    assert!(
        !html.contains(r#"id="domain-route-team""#),
        "agents get no select"
    );
    let text = html
        .split(r#"id="domain-route-text""#)
        .nth(1)
        .unwrap_or_default();
    assert!(text.starts_with(">Team Sales<"), "{:.80}", text);
    app.finish().await;
}

both_dbs!(
    the_domains_page_shows_what_calls_ring,
    a_domain_routed_to_a_team_rings_that_team,
    a_route_to_a_team_that_is_gone_rings_everyone,
    only_managers_route_only_their_own_domains_to_their_own_teams
);
