//! Opening hours and out-of-office through the API, on both databases: weekly hours in a
//! time zone with overnight intervals, date overrides (one by one, pasted, ICS), refusals
//! with their fields, teams with their own hours (and the business's holidays), the
//! out-of-office switches and who may flip them — and what the signaling hub gets: one
//! snapshot loaded with `load_snapshot`, `SchedulesChanged` events, and answers from it
//! (`availability`, `plan_ring` through `Scheduled`).

use chrono::{DateTime, Utc};
use entity::calls::routing::{plan_ring, AgentSnapshot, RosterSnapshot};
use entity::events::BusinessEventKind;
use entity::routing_setup::route_for;
use entity::schedules::{availability, load_snapshot, CallAvailability, Scheduled};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::both_dbs;
use crate::helpers::{error_code, Auth, Db, Owner, TestApp};
use crate::ws::{colleague, verified_domain};

const SCHEDULE: &str = "id teamId timeZone monday tuesday wednesday thursday friday \
     saturday sunday overrides { id date name closed hours }";
const STATUS: &str = "state at closesAt nextOpening message until hasHours timeZone \
     atLocal dayHours dayOpenings { opens closes }";

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn fields(res: &Value) -> Vec<&str> {
    res["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default()
}

/// Weekdays 09:00-17:00 in Berlin, Friday also 22:00-02:00.
async fn office_hours(app: &TestApp, auth: &Auth, team: Option<&str>) -> Value {
    app.gql(
        auth,
        &format!(
            "mutation($i: OpeningHoursInput!) {{ setOpeningHours(input: $i) {{ {SCHEDULE} }} }}"
        ),
        json!({ "i": {
            "teamId": team,
            "timeZone": "europe/berlin",
            "monday": "9-17", "tuesday": "09:00-17:00", "wednesday": "09:00 - 17:00",
            "thursday": "09:00-17:00", "friday": "22:00-02:00, 09:00-17:00",
        } }),
    )
    .await
}

async fn set_date(app: &TestApp, auth: &Auth, date: &str, hours: &str, name: &str) -> Value {
    app.gql(
        auth,
        "mutation($i: DateOverrideInput!) { setDateOverride(input: $i) { id date name closed hours } }",
        json!({ "i": { "date": date, "hours": hours, "name": name } }),
    )
    .await
}

async fn status(app: &TestApp, auth: &Auth, team: Option<&str>, when: Value) -> Value {
    let mut vars = when;
    vars["t"] = json!(team);
    let res = app
        .gql(
            auth,
            &format!(
                "query($t: ID, $at: DateTime, $l: String) {{ openingStatus(teamId: $t, at: $at, localTime: $l) {{ {STATUS} }} }}"
            ),
            vars,
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["openingStatus"].clone()
}

async fn weekly_hours_and_dates_through_graphql(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Corner Bakery").await;
    let auth = owner.auth();
    let res = office_hours(&app, &auth, None).await;
    let s = &res["data"]["setOpeningHours"];
    assert_eq!(s["timeZone"], "Europe/Berlin", "{res}");
    assert_eq!(s["monday"], "09:00-17:00");
    assert_eq!(s["friday"], "09:00-17:00,22:00-02:00");
    assert_eq!(s["saturday"], "");
    assert!(s["teamId"].is_null());

    // Refusals name their fields.
    let res = app
        .gql(
            &auth,
            "mutation { setOpeningHours(input: { timeZone: \"Mars/Olympus\", wednesday: \"9am-5pm\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    assert_eq!(fields(&res), vec!["time_zone", "wed"], "{res}");
    let res = set_date(&app, &auth, "2030-02-30", "", "").await;
    assert_eq!(fields(&res), vec!["date"], "{res}");
    let res = set_date(&app, &auth, "2030-12-24", "10:00-14:00, 13:00-15:00", "").await;
    assert_eq!(fields(&res), vec!["hours"], "{res}");

    // Christmas Day closed, Christmas Eve short (2030-12-24 is a Tuesday; CET is UTC+1).
    let res = set_date(&app, &auth, "2030-12-25", "", "Christmas Day").await;
    assert_eq!(res["data"]["setDateOverride"]["closed"], true, "{res}");
    let res = set_date(&app, &auth, "2030-12-24", "10:00-14:00", "Christmas Eve").await;
    let eve = res["data"]["setDateOverride"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(res["data"]["setDateOverride"]["hours"], "10:00-14:00");
    let s = status(&app, &auth, None, json!({ "l": "2030-12-24T11:00" })).await;
    assert_eq!(s["state"], "OPEN", "{s}");
    assert_eq!(s["closesAt"], "2030-12-24T13:00:00+00:00");
    assert_eq!(s["dayHours"], "10:00\u{2013}14:00 (Christmas Eve)");
    let s = status(&app, &auth, None, json!({ "l": "2030-12-24T15:00" })).await;
    assert_eq!(s["state"], "CLOSED", "{s}");
    assert_eq!(s["nextOpening"], "2030-12-26T08:00:00+00:00", "{s}");
    // Friday night runs into Saturday.
    let s = status(&app, &auth, None, json!({ "at": "2030-12-27T22:30:00Z" })).await;
    assert_eq!(s["state"], "OPEN", "{s}");
    assert_eq!(s["closesAt"], "2030-12-28T01:00:00+00:00");
    assert_eq!(s["atLocal"], "2030-12-27 23:30");

    // A pasted list, then a calendar file; garbage names its line.
    let res = app
        .gql(
            &auth,
            "mutation($t: String!) { importHolidays(text: $t) { added replaced skippedTimed recurring } }",
            json!({ "t": "2030-12-26 St Stephen's Day\n2030-12-31 New Year's Eve\n" }),
        )
        .await;
    assert_eq!(
        res["data"]["importHolidays"],
        json!({ "added": 2, "replaced": 0, "skippedTimed": 0, "recurring": 0 }),
        "{res}"
    );
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20301226\r\n\
DTEND;VALUE=DATE:20301227\r\nSUMMARY:Boxing Day\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n\
DTSTART:20301223T120000Z\r\nSUMMARY:Lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let res = app
        .gql(
            &auth,
            "mutation($t: String!) { importHolidays(text: $t) { added replaced skippedTimed recurring } }",
            json!({ "t": ics }),
        )
        .await;
    assert_eq!(
        res["data"]["importHolidays"],
        json!({ "added": 0, "replaced": 1, "skippedTimed": 1, "recurring": 0 }),
        "{res}"
    );
    let res = app
        .gql(
            &auth,
            "mutation { importHolidays(text: \"BEGIN:VCALENDAR\\r\\nnot a calendar\\r\\nEND:VCALENDAR\") { added } }",
            json!({}),
        )
        .await;
    assert_eq!(fields(&res), vec!["holidays"], "{res}");
    assert!(
        res["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Line 2"),
        "{res}"
    );
    let s = status(&app, &auth, None, json!({ "l": "2030-12-24T15:00" })).await;
    assert_eq!(s["nextOpening"], "2030-12-27T08:00:00+00:00", "{s}");

    // Removing Christmas Eve's override brings the weekly hours back for that day.
    let res = app
        .gql(
            &auth,
            "mutation($id: ID!) { removeDateOverride(id: $id) }",
            json!({ "id": eve }),
        )
        .await;
    assert_eq!(res["data"]["removeDateOverride"], true, "{res}");
    let s = status(&app, &auth, None, json!({ "l": "2030-12-24T15:00" })).await;
    assert_eq!(s["state"], "OPEN", "{s}");
    let res = app
        .gql(
            &auth,
            "mutation($id: ID!) { removeDateOverride(id: $id) }",
            json!({ "id": eve }),
        )
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");

    let res = app
        .gql(
            &auth,
            &format!("{{ schedules {{ business {{ {SCHEDULE} }} }} timeZones }}"),
            json!({}),
        )
        .await;
    let dates: Vec<&str> = res["data"]["schedules"]["business"]["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        vec!["2030-12-25", "2030-12-26", "2030-12-31"],
        "{res}"
    );
    let zones = res["data"]["timeZones"].as_array().unwrap();
    assert!(zones.iter().any(|z| z == "Australia/Lord_Howe"));
    app.finish().await;
}

async fn teams_follow_or_override_the_business_hours(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Night Owls").await;
    let auth = owner.auth();
    // A team's dates need hours; the business's too.
    let res = set_date(&app, &auth, "2030-12-31", "", "New Year's Eve").await;
    assert_eq!(fields(&res), vec!["date"], "{res}");
    office_hours(&app, &auth, None).await;
    set_date(&app, &auth, "2030-12-31", "", "New Year's Eve").await;
    let res = app
        .gql(
            &auth,
            "mutation { createTeam(input: { name: \"Evening desk\" }) { id } }",
            json!({}),
        )
        .await;
    let team = res["data"]["createTeam"]["id"].as_str().unwrap().to_owned();
    // Without hours of its own it follows the business's.
    let s = status(&app, &auth, Some(&team), json!({ "l": "2030-12-27T19:00" })).await;
    assert_eq!(
        (s["state"].as_str(), s["timeZone"].as_str()),
        (Some("CLOSED"), Some("Europe/Berlin")),
        "{s}"
    );
    let res = app
        .gql(
            &auth,
            &format!("mutation($i: OpeningHoursInput!) {{ setOpeningHours(input: $i) {{ {SCHEDULE} }} }}"),
            json!({ "i": { "teamId": team, "timeZone": "America/New_York",
                "monday": "18:00-23:00", "tuesday": "18:00-23:00", "wednesday": "18:00-23:00",
                "thursday": "18:00-23:00", "friday": "18:00-23:00" } }),
        )
        .await;
    assert_eq!(
        res["data"]["setOpeningHours"]["teamId"],
        team.as_str(),
        "{res}"
    );
    let s = status(&app, &auth, Some(&team), json!({ "l": "2030-12-27T19:00" })).await;
    assert_eq!(s["state"], "OPEN", "{s}");
    assert_eq!(s["closesAt"], "2030-12-28T04:00:00+00:00", "{s}");
    // The business's holiday applies to the team as well (a Tuesday).
    let s = status(&app, &auth, Some(&team), json!({ "l": "2030-12-31T19:00" })).await;
    assert_eq!(s["state"], "CLOSED", "{s}");
    // The team's own date beats the business's.
    let res = app
        .gql(
            &auth,
            "mutation($t: ID!) { setDateOverride(input: { teamId: $t, date: \"2030-12-31\", hours: \"18:00-20:00\" }) { closed } }",
            json!({ "t": team }),
        )
        .await;
    assert_eq!(res["data"]["setDateOverride"]["closed"], false, "{res}");
    let s = status(&app, &auth, Some(&team), json!({ "l": "2030-12-31T19:00" })).await;
    assert_eq!(s["state"], "OPEN", "{s}");
    let res = app
        .gql(
            &auth,
            "mutation($t: ID!) { clearTeamOpeningHours(teamId: $t) }",
            json!({ "t": team }),
        )
        .await;
    assert_eq!(res["data"]["clearTeamOpeningHours"], true, "{res}");
    let res = app
        .gql(
            &auth,
            "{ schedules { teams { teamName schedule { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["schedules"]["teams"],
        json!([{ "teamName": "Evening desk", "schedule": null }]),
        "{res}"
    );
    // Deleting a team takes its hours with it.
    app.gql(
        &auth,
        "mutation($i: OpeningHoursInput!) { setOpeningHours(input: $i) { id } }",
        json!({ "i": { "teamId": team, "timeZone": "UTC", "monday": "00:00-24:00" } }),
    )
    .await;
    let res = app
        .gql(
            &auth,
            "mutation($t: ID!) { deleteTeam(id: $t) }",
            json!({ "t": team }),
        )
        .await;
    assert_eq!(res["data"]["deleteTeam"], true, "{res}");
    let res = app
        .gql(&auth, "{ schedules { teams { teamName } } }", json!({}))
        .await;
    assert_eq!(res["data"]["schedules"]["teams"], json!([]), "{res}");
    app.finish().await;
}

async fn out_of_office_switches_and_who_may_flip_them(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Quiet Shop").await;
    let (agent_token, agent_id) = colleague(&app, &owner).await;
    let agent = Auth::Bearer(agent_token);
    let set = "mutation($i: OutOfOfficeInput!) { setOutOfOffice(input: $i) { userId enabled active message until } }";
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    // An agent neither changes hours nor the business's switch nor a colleague's.
    let res = office_hours(&app, &agent, None).await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    for user in [Value::Null, json!(owner.user_id)] {
        let res = app
            .gql(
                &agent,
                set,
                json!({ "i": { "userId": user, "enabled": true } }),
            )
            .await;
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    }
    // Their own, yes.
    let res = app
        .gql(
            &agent,
            set,
            json!({ "i": { "userId": agent_id, "enabled": true, "message": "On holiday", "until": tomorrow } }),
        )
        .await;
    let o = &res["data"]["setOutOfOffice"];
    assert_eq!(
        (o["enabled"].as_bool(), o["active"].as_bool()),
        (Some(true), Some(true)),
        "{res}"
    );
    // An end in the past is refused; a message over 500 characters too.
    let res = app
        .gql(
            &owner.auth(),
            set,
            json!({ "i": { "enabled": true, "until": "2020-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(fields(&res), vec!["until"], "{res}");
    let res = app
        .gql(
            &owner.auth(),
            set,
            json!({ "i": { "enabled": true, "message": "x".repeat(501) } }),
        )
        .await;
    assert_eq!(fields(&res), vec!["message"], "{res}");
    let res = app
        .gql(
            &owner.auth(),
            set,
            json!({ "i": { "enabled": true, "message": "Moving to <b>new premises</b>", "until": tomorrow } }),
        )
        .await;
    assert_eq!(res["data"]["setOutOfOffice"]["active"], true, "{res}");
    let res = app
        .gql(
            &owner.auth(),
            &format!("{{ schedules {{ now {{ {STATUS} }} businessOutOfOffice {{ active message }} membersOutOfOffice {{ userId email active message }} }} }}"),
            json!({}),
        )
        .await;
    let s = &res["data"]["schedules"];
    assert_eq!(s["now"]["state"], "OUT_OF_OFFICE", "{res}");
    assert_eq!(s["now"]["message"], "Moving to <b>new premises</b>");
    let members = s["membersOutOfOffice"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{res}");
    let theirs = members
        .iter()
        .find(|m| m["userId"] == agent_id.as_str())
        .unwrap();
    assert_eq!(
        (theirs["active"].as_bool(), theirs["message"].as_str()),
        (Some(true), Some("On holiday"))
    );
    // The call page tells callers, before they call.
    let domain = verified_domain(&app, &owner).await;
    let res = app
        .gql(
            &Auth::None,
            "query($d: String!) { callPage(domain: $d) { opening { state message until } } }",
            json!({ "d": domain }),
        )
        .await;
    assert_eq!(
        res["data"]["callPage"]["opening"]["state"], "OUT_OF_OFFICE",
        "{res}"
    );
    assert_eq!(
        res["data"]["callPage"]["opening"]["message"],
        "Moving to <b>new premises</b>"
    );
    // Switched off, the page has nothing to say (no hours either).
    app.gql(&owner.auth(), set, json!({ "i": { "enabled": false } }))
        .await;
    let res = app
        .gql(
            &Auth::None,
            "query($d: String!) { callPage(domain: $d) { opening { state } } }",
            json!({ "d": domain }),
        )
        .await;
    assert!(res["data"]["callPage"]["opening"].is_null(), "{res}");
    app.finish().await;
}

/// What the hub does with schedules, against the real database: load once, answer many.
async fn the_hub_reads_one_snapshot_and_answers_from_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut events = app.services.events.subscribe();
    let owner: Owner = app.sign_up("Snapshot Co").await;
    let (_, agent_id) = colleague(&app, &owner).await;
    let business = Uuid::parse_str(&owner.business_id).unwrap();
    let (owner_id, agent) = (
        Uuid::parse_str(&owner.user_id).unwrap(),
        Uuid::parse_str(&agent_id).unwrap(),
    );
    office_hours(&app, &owner.auth(), None).await;
    set_date(&app, &owner.auth(), "2030-12-26", "", "St Stephen's Day").await;
    let route = route_for(&app.services.db, business, None).await.unwrap();

    let snapshot = load_snapshot(&app.services.db, business).await.unwrap();
    // Wednesday 2030-12-25 11:00 CET: open; Thursday the 26th closed; so from Wednesday
    // evening the next opening is Friday 09:00 CET.
    assert_eq!(
        availability(&snapshot, &route, utc("2030-12-25T10:00:00Z")),
        CallAvailability::Open
    );
    assert_eq!(
        availability(&snapshot, &route, utc("2030-12-25T18:00:00Z")),
        CallAvailability::Closed {
            next_opening: Some(utc("2030-12-27T08:00:00Z"))
        }
    );

    // The agent goes out of office: the hub is told, reloads, and never rings them.
    app.gql(
        &owner.auth(),
        "mutation($u: ID!) { setOutOfOffice(input: { userId: $u, enabled: true, message: \"Away\" }) { active } }",
        json!({ "u": agent_id }),
    )
    .await;
    let snapshot = load_snapshot(&app.services.db, business).await.unwrap();
    let roster = route.teams.values().fold(
        RosterSnapshot::default()
            .with_agent(AgentSnapshot::available(owner_id))
            .with_agent(AgentSnapshot::available(agent)),
        |r, t| r.with_team(t.clone()),
    );
    let scheduled = Scheduled {
        roster: &roster,
        schedule: &snapshot,
        at: utc("2030-12-25T10:00:00Z"),
    };
    let plan = plan_ring(route.target, &scheduled).unwrap();
    assert_eq!(plan.members().collect::<Vec<_>>(), vec![owner_id]);

    // The business's switch beats the hours, with its message.
    app.gql(
        &owner.auth(),
        "mutation { setOutOfOffice(input: { enabled: true, message: \"Stocktaking\" }) { active } }",
        json!({}),
    )
    .await;
    let snapshot = load_snapshot(&app.services.db, business).await.unwrap();
    assert_eq!(
        availability(&snapshot, &route, Utc::now()),
        CallAvailability::OutOfOffice {
            message: "Stocktaking",
            until: None
        }
    );

    // Every change was announced, naming the business or the member.
    let mut seen = Vec::new();
    while let Some(entity::events::Received::Item(e)) = entity::events::ready(&mut events) {
        if e.kind == BusinessEventKind::SchedulesChanged {
            assert_eq!(e.business_id, business);
            seen.push(e.subject_id);
        }
    }
    assert_eq!(seen, vec![business, business, agent, business], "{seen:?}");
    app.finish().await;
}

both_dbs!(
    weekly_hours_and_dates_through_graphql,
    teams_follow_or_override_the_business_hours,
    out_of_office_switches_and_who_may_flip_them,
    the_hub_reads_one_snapshot_and_answers_from_it,
);
