//! The overview's "getting live" checklist ticks as a business sets itself up, step by
//! step, and counts only its own things; an agent's view counts the week's missed calls.

use serde_json::{json, Value};

use crate::both_dbs;
use crate::call_routing::team_of;
use crate::helpers::{Db, Owner, TestApp};
use crate::ws::{caller_token, colleague, greeted, next_json, send, verified_domain};

async fn progress(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.server_fn_as(token, "setup_progress", &[]).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn intent(app: &TestApp, owner: &Owner, team: &Value) {
    let res = app
        .gql(
            &owner.auth(),
            "mutation($t: ID!) { createIntent(label: \"Sales\", target: { kind: TEAM, teamId: $t }) { id } }",
            json!({ "t": team }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
}

async fn the_checklist_ticks_step_by_step(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let other = app.sign_up("Beta").await;
    let fresh = progress(&app, &owner.token).await;
    assert_eq!(fresh["domain_verified"], false, "{fresh}");
    assert_eq!(
        (fresh["intents"].clone(), fresh["members"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(fresh["hours_set"], false);

    // Beta sets everything up: Alpha's list does not move.
    let domain = verified_domain(&app, &other).await;
    let (_, beta_agent) = colleague(&app, &other).await;
    let beta_team = team_of(&app, &other, "Beta sales", &[&beta_agent]).await;
    intent(&app, &other, &beta_team).await;
    assert_eq!(progress(&app, &owner.token).await, fresh);
    let beta = progress(&app, &other.token).await;
    assert_eq!(beta["domain_verified"], true, "{beta}");
    assert_eq!(
        (beta["intents"].clone(), beta["staffed_teams"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(beta["members"], 2);

    // Alpha: a team without people does not tick "routing"; with its owner in it, it does.
    let (agent_token, agent) = colleague(&app, &owner).await;
    let empty = team_of(&app, &owner, "Empty", &[]).await;
    intent(&app, &owner, &empty).await;
    let p = progress(&app, &owner.token).await;
    assert_eq!(
        (p["intents"].clone(), p["staffed_teams"].clone()),
        (json!(1), json!(0))
    );
    team_of(&app, &owner, "Support", &[&agent]).await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation { setOpeningHours(input: { timeZone: \"Europe/Berlin\", monday: \"9-17\" }) { id } }",
            json!({}),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let p = progress(&app, &owner.token).await;
    assert_eq!(p["staffed_teams"], 1, "{p}");
    assert_eq!(p["hours_set"], true, "{p}");
    assert_eq!(p["members"], 2, "{p}");

    // A call to Beta nobody could take counts as missed for Beta's agents, not Alpha's.
    let mut c = greeted(&app, &caller_token(&app).await).await;
    send(
        &mut c,
        json!({ "type": "call_request", "domain": domain, "mode": "chat" }),
    )
    .await;
    assert_eq!(next_json(&mut c).await["type"], "unavailable");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while progress(&app, &other.token).await["missed_this_week"] != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the missed call was never counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(progress(&app, &agent_token).await["missed_this_week"], 0);
    app.finish().await;
}

both_dbs!(the_checklist_ticks_step_by_step);
