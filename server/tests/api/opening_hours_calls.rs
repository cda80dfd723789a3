//! Opening hours and out-of-office reach the hub: a closed business answers a call
//! request with `unavailable {closed}` and its next opening, an out-of-office business with
//! its message, a member out of office is not rung, a closed team hands its calls to its
//! fallback — and a change of hours applies to the next call at once (the hub caches the
//! schedule and drops it on `SchedulesChanged`, never the answer).

use chrono::{Days, Utc};
use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{Db, Owner, TestApp};
use crate::ws::{
    caller_token, colleague, greeted, next_call, next_json, send, silent, verified_domain, Socket,
};

/// Sets hours (UTC) for the business (`team` null) or a team: `hours` on every day.
async fn set_hours(app: &TestApp, owner: &Owner, team: Value, hours: &str) {
    crate::helpers::set_daily_hours(app, owner, team, "UTC", hours).await;
}

/// Closes the business on `date` (a holiday); returns the override's id.
async fn closed_on(app: &TestApp, owner: &Owner, date: &str) -> Value {
    let res = app
        .gql(
            &owner.auth(),
            "mutation($d: String!) { setDateOverride(input: { date: $d, name: \"Holiday\" }) { id closed } }",
            json!({ "d": date }),
        )
        .await;
    assert_eq!(res["data"]["setDateOverride"]["closed"], true, "{res}");
    res["data"]["setDateOverride"]["id"].clone()
}

async fn out_of_office(app: &TestApp, owner: &Owner, user: Value, enabled: bool, message: &str) {
    let res = app
        .gql(
            &owner.auth(),
            "mutation($u: ID, $e: Boolean!, $m: String!) { setOutOfOffice(input: { userId: $u, enabled: $e, message: $m }) { active } }",
            json!({ "u": user, "e": enabled, "m": message }),
        )
        .await;
    assert_eq!(res["data"]["setOutOfOffice"]["active"], enabled, "{res}");
}

/// A new caller asks for a voice call to `domain`; returns the caller's socket and the
/// first frame it hears.
async fn call(app: &TestApp, domain: &str, intent: Option<&Value>) -> (Socket, Value) {
    let mut c = greeted(app, &caller_token(app).await).await;
    let mut request = json!({ "type": "call_request", "domain": domain, "mode": "voice" });
    if let Some(intent) = intent {
        request["intent"] = intent.clone();
    }
    send(&mut c, request).await;
    let first = next_json(&mut c).await;
    (c, first)
}

async fn a_closed_business_says_when_it_opens(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent = greeted(&app, &owner.token).await;
    // Open 09:00–17:00 UTC every day, but closed today and tomorrow: whenever this runs
    // (even across midnight), the next opening is 09:00 the day after tomorrow or later.
    set_hours(&app, &owner, Value::Null, "09:00-17:00").await;
    let today = Utc::now().date_naive();
    let mut holidays = Vec::new();
    for day in [today, today + Days::new(1)] {
        holidays.push(closed_on(&app, &owner, &day.to_string()).await);
    }
    let (_c, first) = call(&app, &domain, None).await;
    assert_eq!(first["type"], "unavailable", "{first}");
    assert_eq!(first["reason"], "closed", "{first}");
    let next: chrono::DateTime<Utc> = first["next_opening"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no next opening: {first}"));
    let earliest = (today + Days::new(2))
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    assert!(next >= earliest, "opens {next}, before {earliest}");
    assert_eq!(next.format("%H:%M").to_string(), "09:00", "{first}");
    // Nobody was rung.
    silent(&mut agent).await;
    // The missed call is on the record, with why (records are written just after).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let res = app
            .gql(
                &owner.auth(),
                "{ calls { endReason unavailableReason } }",
                json!({}),
            )
            .await;
        if res["data"]["calls"][0]["unavailableReason"] == "closed" {
            assert_eq!(res["data"]["calls"][0]["endReason"], "unavailable", "{res}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "calls: {res}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Open around the clock now: the next call rings at once (no stale schedule).
    set_hours(&app, &owner, Value::Null, "00:00-24:00").await;
    for id in holidays {
        let res = app
            .gql(
                &owner.auth(),
                "mutation($id: ID!) { removeDateOverride(id: $id) }",
                json!({ "id": id }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
    }
    let (mut c, first) = call(&app, &domain, None).await;
    assert_eq!(first["type"], "ringing", "{first}");
    assert_eq!(next_call(&mut agent).await["type"], "incoming");
    send(&mut c, json!({ "type": "cancel" })).await;
    assert_eq!(next_call(&mut agent).await["type"], "ended");
    app.finish().await;
}

async fn out_of_office_business_and_members(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    let mut a = greeted(&app, &owner.token).await;
    let mut b = greeted(&app, &b_token).await;

    // The business is out of office: the caller hears the message, nobody rings.
    out_of_office(&app, &owner, Value::Null, true, "Back on Monday <3").await;
    let (_c, first) = call(&app, &domain, None).await;
    assert_eq!(first["type"], "unavailable", "{first}");
    assert_eq!(first["reason"], "out_of_office", "{first}");
    assert_eq!(first["message"], "Back on Monday <3", "{first}");
    silent(&mut a).await;
    silent(&mut b).await;
    out_of_office(&app, &owner, Value::Null, false, "").await;

    // B is out of office: a call to everyone rings the owner only.
    out_of_office(&app, &owner, json!(b_id), true, "On leave").await;
    let (mut c, first) = call(&app, &domain, None).await;
    assert_eq!(first["type"], "ringing", "{first}");
    assert_eq!(next_call(&mut a).await["type"], "incoming");
    silent(&mut b).await;
    send(&mut c, json!({ "type": "cancel" })).await;
    assert_eq!(next_call(&mut a).await["type"], "ended");

    // An intent routed to B alone tells the caller B's message.
    let res = app
        .gql(
            &owner.auth(),
            "mutation($u: ID!) { createIntent(label: \"Ask B\", target: { kind: MEMBER, userId: $u }) { id } }",
            json!({ "u": b_id }),
        )
        .await;
    let intent = res["data"]["createIntent"]["id"].clone();
    assert!(intent.is_string(), "{res}");
    let (_c, first) = call(&app, &domain, Some(&intent)).await;
    assert_eq!(first["reason"], "out_of_office", "{first}");
    assert_eq!(first["message"], "On leave", "{first}");
    silent(&mut b).await;

    // Back: B rings again.
    out_of_office(&app, &owner, json!(b_id), false, "").await;
    let (mut c, first) = call(&app, &domain, Some(&intent)).await;
    assert_eq!(first["type"], "ringing", "{first}");
    assert_eq!(next_call(&mut b).await["type"], "incoming");
    send(&mut c, json!({ "type": "cancel" })).await;
    assert_eq!(next_call(&mut b).await["type"], "ended");
    app.finish().await;
}

async fn a_closed_team_hands_calls_to_its_fallback(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let (b_token, b_id) = colleague(&app, &owner).await;
    let team = |name: &'static str, members: Vec<String>, fallback: Value| {
        let app = &app;
        let owner = &owner;
        async move {
            let res = app
                .gql(
                    &owner.auth(),
                    "mutation($n: String!, $f: ID) { createTeam(input: { name: $n, fallbackTeamId: $f }) { id } }",
                    json!({ "n": name, "f": fallback }),
                )
                .await;
            let id = res["data"]["createTeam"]["id"].clone();
            assert!(id.is_string(), "{res}");
            let res = app
                .gql(
                    &owner.auth(),
                    "mutation($t: ID!, $u: [ID!]!) { setTeamMembers(id: $t, userIds: $u) { id } }",
                    json!({ "t": id, "u": members }),
                )
                .await;
            assert!(res["errors"].is_null(), "{res}");
            id
        }
    };
    let support = team("Support", vec![owner.user_id.clone()], Value::Null).await;
    let sales = team("Sales", vec![b_id.clone()], support).await;
    // Sales keeps hours of its own and none of them today or ever: always closed.
    set_hours(&app, &owner, sales.clone(), "").await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation($t: ID!) { createIntent(label: \"New order\", target: { kind: TEAM, teamId: $t }) { id } }",
            json!({ "t": sales }),
        )
        .await;
    let intent = res["data"]["createIntent"]["id"].clone();
    let mut a = greeted(&app, &owner.token).await;
    let mut b = greeted(&app, &b_token).await;
    let (mut c, first) = call(&app, &domain, Some(&intent)).await;
    assert_eq!(first["type"], "ringing", "{first}");
    let incoming = next_call(&mut a).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    silent(&mut b).await;
    send(&mut c, json!({ "type": "cancel" })).await;
    assert_eq!(next_call(&mut a).await["type"], "ended");
    app.finish().await;
}

both_dbs!(
    a_closed_business_says_when_it_opens,
    out_of_office_business_and_members,
    a_closed_team_hands_calls_to_its_fallback,
);
