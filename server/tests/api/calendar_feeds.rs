//! Calendar feeds: each member's private address of an iCalendar feed of their business's
//! booked callbacks (read with a real parser), fetched without cookies as calendar apps
//! do; a new address replaces the old, revoking ends it, a member who left gets nothing,
//! another business's member sees none of them.

use std::str::FromStr;

use chrono::DateTime;
use icalendar::{CalendarComponent, Component};
use serde_json::json;

use crate::both_dbs;
use crate::callback_slots::{berlin_hours, book, slots, starts};
use crate::helpers::{Db, TestApp};
use crate::ws::{colleague, verified_domain};

/// Fetches a calendar feed address (no cookies, as a calendar app does): status and body.
async fn fetch_feed(app: &TestApp, url: &str) -> (u16, String) {
    let path = url
        .split_once("/feeds/")
        .map(|(_, p)| p)
        .unwrap_or_default();
    let res = app
        .http
        .get(format!("{}/feeds/{path}", app.base))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

async fn create_feed(app: &TestApp, auth: &crate::helpers::Auth) -> String {
    let res = app
        .gql(auth, "mutation { createCalendarFeed { url } }", json!({}))
        .await;
    res["data"]["createCalendarFeed"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned()
}

fn summaries(ics: &str) -> Vec<String> {
    let calendar = icalendar::Calendar::from_str(ics).unwrap_or_else(|e| panic!("{e}: {ics}"));
    calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => e.get_summary().map(str::to_owned),
            _ => None,
        })
        .collect()
}

async fn members_subscribe_to_booked_callbacks_until_they_revoke_or_leave(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Feed Bakery").await;
    let domain = verified_domain(&app, &owner).await;
    berlin_hours(&app, &owner).await;
    let (agent_token, agent_id) = colleague(&app, &owner).await;
    let agent = crate::helpers::Auth::Bearer(agent_token);
    let first = slots(&app, &domain, "", "Europe/Berlin").await;
    let slot = starts(&first)[1].clone();
    let (status, asked) = book(&app, &domain, "erin@example.net", &slot).await;
    assert_eq!(status, 200, "{asked}");

    // Each member's own address shows the business's booked callbacks.
    let owners = create_feed(&app, &owner.auth()).await;
    let agents = create_feed(&app, &agent).await;
    for url in [&owners, &agents] {
        let (status, ics) = fetch_feed(&app, url).await;
        assert_eq!(status, 200, "{ics}");
        assert_eq!(summaries(&ics), ["Call back Dana"], "{ics}");
        assert!(
            ics.contains(&format!(
                "DTSTART:{}",
                DateTime::parse_from_rfc3339(&slot)
                    .unwrap()
                    .format("%Y%m%dT%H%M%SZ")
            )),
            "{ics}"
        );
    }
    // Assigned to the owner, it leaves the agent's feed and stays in the owner's.
    let id = app
        .gql(&owner.auth(), "{ callbacks { id } }", json!({}))
        .await["data"]["callbacks"][0]["id"]
        .clone();
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!, $m: ID) { assignCallback(id: $id, memberId: $m) { memberName } }",
            json!({ "id": id, "m": owner.user_id }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let (_, ics) = fetch_feed(&app, &agents).await;
    assert!(summaries(&ics).is_empty(), "{ics}");
    let (_, ics) = fetch_feed(&app, &owners).await;
    assert_eq!(summaries(&ics), ["Call back Dana"], "{ics}");
    // Another business's member sees none of them; a tampered address nothing at all.
    let other = app.sign_up("Other Feed Co").await;
    let theirs = create_feed(&app, &other.auth()).await;
    let (status, ics) = fetch_feed(&app, &theirs).await;
    assert_eq!(status, 200);
    assert!(summaries(&ics).is_empty(), "{ics}");
    let (status, _) = fetch_feed(&app, &owners.replace("/feeds/", "/feeds/x")).await;
    assert_eq!(status, 404);

    // A new address replaces the old; revoking ends it.
    let renewed = create_feed(&app, &owner.auth()).await;
    assert_eq!(fetch_feed(&app, &owners).await.0, 404);
    assert_eq!(fetch_feed(&app, &renewed).await.0, 200);
    let res = app
        .gql(&owner.auth(), "mutation { revokeCalendarFeed }", json!({}))
        .await;
    assert_eq!(res["data"]["revokeCalendarFeed"], true, "{res}");
    assert_eq!(fetch_feed(&app, &renewed).await.0, 404);
    let res = app
        .gql(&owner.auth(), "{ calendarFeedCreatedAt }", json!({}))
        .await;
    assert!(res["data"]["calendarFeedCreatedAt"].is_null(), "{res}");

    // A member who leaves the business gets nothing from their address.
    let res = app
        .gql(
            &owner.auth(),
            "mutation($u: ID!) { removeMember(userId: $u) }",
            json!({ "u": agent_id }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(fetch_feed(&app, &agents).await.0, 404);
    app.finish().await;
}

both_dbs!(members_subscribe_to_booked_callbacks_until_they_revoke_or_leave);
