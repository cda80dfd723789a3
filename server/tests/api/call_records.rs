//! The call log behind `/app/calls`: real calls over `/ws` (one about an intent, answered,
//! chatted and hung up; one missed), then what `calls`, `call(id:)` and the dashboard's
//! server functions say about them — resolved within the business only.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, Auth, Db, Owner, TestApp};
use crate::ws::{caller_token, greeted, next_call, next_json, send, verified_domain};

const LIST: &str = "{ calls { id domain intent intentLabel mode callerName callerVerified state \
     endReason unavailableReason outcome requestedAt answeredAt endedAt answeredBy \
     answeredByEmail waitMs durationMs notes events { kind } } }";

const DETAIL: &str = "query($id: ID!) { call(id: $id) { id intentLabel answeredByEmail outcome \
     waitMs durationMs notes events { at kind actor actorUserId actorEmail summary text } } }";

/// The calls GraphQL lists once `count` of them have ended (records are written just
/// after the events).
async fn ended_calls(app: &TestApp, owner: &Owner, count: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let res = app.gql(&owner.auth(), LIST, json!({})).await;
        let calls = res["data"]["calls"]
            .as_array()
            .unwrap_or_else(|| panic!("calls: {res}"))
            .clone();
        if calls.len() == count && calls.iter().all(|c| !c["endReason"].is_null()) {
            return calls;
        }
        assert!(std::time::Instant::now() < deadline, "calls: {res}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Calls server function `endpoint` with a form, as the dashboard does without JavaScript
/// (but asking for JSON); returns the status and the body.
async fn server_fn(
    app: &TestApp,
    endpoint: &str,
    (header, value): (&str, String),
    form: &[(&str, &str)],
) -> (u16, String) {
    let res = app.server_fn(endpoint, &[(header, value)], form).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

fn cookie(owner: &Owner) -> (&'static str, String) {
    ("cookie", format!("dc_session={}", owner.token))
}

/// An answered call about "Billing" with a chat, then a missed one; returns
/// `(answered id, missed id, intent id)`.
async fn two_calls(app: &TestApp, owner: &Owner, domain: &str) -> (String, String, String) {
    let res = app
        .gql(
            &owner.auth(),
            "mutation { createIntent(label: \"Billing\", target: { kind: EVERYONE }) { id } }",
            json!({}),
        )
        .await;
    let intent = res["data"]["createIntent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createIntent: {res}"))
        .to_owned();
    let mut agent = greeted(app, &owner.token).await;

    let mut c = greeted(app, &caller_token(app).await).await;
    send(
        &mut c,
        json!({ "type": "call_request", "domain": domain, "intent": intent, "mode": "chat" }),
    )
    .await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    let incoming = next_call(&mut agent).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    let answered = incoming["call_id"].as_str().unwrap().to_owned();
    send(&mut agent, json!({ "type": "accept", "call_id": answered })).await;
    assert_eq!(next_call(&mut agent).await["type"], "accepted");
    assert_eq!(next_json(&mut c).await["type"], "accepted");
    send(
        &mut c,
        json!({ "type": "chat", "text": "A question about my invoice" }),
    )
    .await;
    for ws in [&mut agent, &mut c] {
        assert_eq!(next_call(ws).await["from"], "caller");
    }
    send(
        &mut agent,
        json!({ "type": "chat", "call_id": answered, "text": "Happy to help" }),
    )
    .await;
    for ws in [&mut agent, &mut c] {
        assert_eq!(next_call(ws).await["from"], "agent");
    }
    send(&mut c, json!({ "type": "hangup" })).await;
    for ws in [&mut agent, &mut c] {
        let ended = next_call(ws).await;
        assert_eq!(ended["reason"], "hung_up_by_caller", "{ended}");
    }

    let mut c2 = greeted(app, &caller_token(app).await).await;
    send(
        &mut c2,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut c2).await["type"], "ringing");
    let missed = next_call(&mut agent).await["call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ended = next_call(&mut agent).await;
    assert_eq!(ended["reason"], "missed", "{ended}");
    assert_eq!(next_json(&mut c2).await, json!({ "type": "missed" }));
    (answered, missed, intent)
}

async fn the_call_log_resolves_and_describes_calls(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.signaling.ring_timeout = Duration::from_millis(1500);
    })
    .await;
    let a = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &a).await;
    let (answered, missed, intent) = two_calls(&app, &a, &domain).await;

    // The agent's notes (written through the softphone's server function).
    let (status, body) = server_fn(
        &app,
        "save_call_notes",
        cookie(&a),
        &[("call_id", &answered), ("notes", "Resent invoice 42")],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The list: newest first, resolved and in words.
    let calls = ended_calls(&app, &a, 2).await;
    let (m, c) = (&calls[0], &calls[1]);
    assert_eq!(m["id"], missed.as_str());
    assert_eq!(m["outcome"], "Missed");
    assert_eq!(m["endReason"], "missed");
    assert!(
        m["answeredBy"].is_null() && m["answeredByEmail"].is_null(),
        "{m}"
    );
    assert!(m["waitMs"].is_null() && m["durationMs"].is_null(), "{m}");
    assert!(m["intent"].is_null() && m["intentLabel"].is_null(), "{m}");
    assert!(m["notes"].is_null(), "{m}");
    assert_eq!(c["id"], answered.as_str());
    assert_eq!(c["domain"], domain.as_str());
    assert_eq!(c["mode"], "chat");
    assert_eq!(c["intent"], intent.as_str());
    assert_eq!(c["intentLabel"], "Billing");
    assert_eq!(c["callerVerified"], false);
    assert_eq!(c["answeredBy"], a.user_id.as_str());
    assert_eq!(c["answeredByEmail"], a.email.as_str());
    assert!(c["waitMs"].as_i64().unwrap() >= 0, "{c}");
    assert!(c["durationMs"].as_i64().unwrap() >= 0, "{c}");
    assert_eq!(c["outcome"], "Hung up by caller");
    assert_eq!(c["notes"], "Resent invoice 42");
    assert_eq!(c["events"], json!([]), "events only on call(id:)");

    // The detail: the timeline, with the chat and who did what.
    let res = app.gql(&a.auth(), DETAIL, json!({ "id": answered })).await;
    let call = &res["data"]["call"];
    assert_eq!(call["intentLabel"], "Billing", "{res}");
    assert_eq!(call["notes"], "Resent invoice 42");
    let events = call["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["requested", "offered", "accepted", "chat", "chat", "ended"],
        "{res}"
    );
    assert_eq!(events[2]["actorUserId"], a.user_id.as_str());
    assert_eq!(events[2]["actorEmail"], a.email.as_str());
    assert!(
        events[2]["summary"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Answered by {} after ", a.email)),
        "{res}"
    );
    assert_eq!(events[3]["actor"], "caller");
    assert_eq!(events[3]["text"], "A question about my invoice");
    assert_eq!(events[4]["actor"], "agent");
    assert_eq!(events[4]["actorEmail"], a.email.as_str());
    assert_eq!(events[4]["text"], "Happy to help");
    assert_eq!(events[5]["actor"], "caller");
    assert_eq!(events[5]["summary"], "Ended: Hung up by caller");
    let res = app.gql(&a.auth(), DETAIL, json!({ "id": missed })).await;
    let kinds: Vec<&str> = res["data"]["call"]["events"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["requested", "offered", "ended"], "{res}");
    assert_eq!(res["data"]["call"]["outcome"], "Missed");

    // A deleted intent keeps its id on the call but no label.
    let res = app
        .gql(
            &a.auth(),
            "mutation($id: ID!) { deleteIntent(id: $id) }",
            json!({ "id": intent }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let calls = ended_calls(&app, &a, 2).await;
    assert_eq!(calls[1]["intent"], intent.as_str());
    assert!(calls[1]["intentLabel"].is_null(), "{}", calls[1]);

    // The dashboard's server functions say the same.
    let (status, body) = server_fn(&app, "list_call_records", cookie(&a), &[]).await;
    assert_eq!(status, 200, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list[0]["id"], missed.as_str());
    assert_eq!(list[0]["outcome"], "Missed");
    assert_eq!(list[1]["answered_by_email"], a.email.as_str());
    assert_eq!(list[1]["notes"], "Resent invoice 42");
    let (status, body) = server_fn(&app, "call_record", cookie(&a), &[("id", &answered)]).await;
    assert_eq!(status, 200, "{body}");
    let detail: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(detail["call"]["id"], answered.as_str());
    assert_eq!(detail["events"][3]["text"], "A question about my invoice");
    assert_eq!(detail["events"][5]["kind"], "ended");
    app.finish().await;
}

const SAVE_NOTES: &str = "mutation($id: ID!, $notes: String!) { \
     saveCallNotes(callId: $id, notes: $notes) { id notes } }";

async fn an_integration_keeps_notes_on_a_call(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.signaling.ring_timeout = Duration::from_millis(1500);
    })
    .await;
    let a = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &a).await;
    let (answered, _, _) = two_calls(&app, &a, &domain).await;
    let (_, key) = app.api_key(&a, "crm").await;
    let key = Auth::Bearer(key);

    let res = app
        .gql(
            &key,
            SAVE_NOTES,
            json!({ "id": answered, "notes": "  Sent the quote  " }),
        )
        .await;
    assert_eq!(
        res["data"]["saveCallNotes"]["id"],
        answered.as_str(),
        "{res}"
    );
    assert_eq!(
        res["data"]["saveCallNotes"]["notes"], "Sent the quote",
        "{res}"
    );
    let res = app.gql(&a.auth(), DETAIL, json!({ "id": answered })).await;
    assert_eq!(res["data"]["call"]["notes"], "Sent the quote", "{res}");

    let long = "x".repeat(5001);
    let res = app
        .gql(&key, SAVE_NOTES, json!({ "id": answered, "notes": long }))
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    for id in ["not-a-call-id", "00000000-0000-4000-8000-000000000000"] {
        let res = app
            .gql(&key, SAVE_NOTES, json!({ "id": id, "notes": "x" }))
            .await;
        assert_eq!(error_code(&res), Some("NOT_FOUND"), "{id}: {res}");
    }
    // Blank clears them.
    let res = app
        .gql(&key, SAVE_NOTES, json!({ "id": answered, "notes": " " }))
        .await;
    assert!(res["data"]["saveCallNotes"]["notes"].is_null(), "{res}");
    app.finish().await;
}

async fn another_business_sees_none_of_the_calls(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.signaling.ring_timeout = Duration::from_millis(1500);
    })
    .await;
    let a = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &a).await;
    let (answered, missed, _) = two_calls(&app, &a, &domain).await;
    ended_calls(&app, &a, 2).await;

    let b = app.sign_up("Beta").await;
    let (_, b_key) = app.api_key(&b, "beta key").await;
    let leaks = |text: &str| {
        text.contains(&domain)
            || text.contains("Billing")
            || text.contains("invoice")
            || text.contains(&a.email)
    };
    for auth in [b.auth(), Auth::Bearer(b_key.clone())] {
        for id in [&answered, &missed, &"not-a-call-id".to_owned()] {
            let res = app.gql(&auth, DETAIL, json!({ "id": id })).await;
            assert_eq!(error_code(&res), Some("NOT_FOUND"), "{auth:?}: {res}");
            assert!(res["data"].is_null(), "{res}");
            assert!(!leaks(&res.to_string()), "{res}");
        }
        let res = app.gql(&auth, LIST, json!({})).await;
        assert_eq!(res["data"]["calls"], json!([]), "{auth:?}: {res}");
    }
    // The server functions: B's session finds nothing; B's API key is not a session.
    let (status, body) = server_fn(&app, "list_call_records", cookie(&b), &[]).await;
    assert_eq!((status, body.as_str()), (200, "[]"));
    for id in [&answered, &missed] {
        let (status, body) = server_fn(&app, "call_record", cookie(&b), &[("id", id)]).await;
        assert_eq!(status, 404, "{body}");
        assert!(!leaks(&body), "{body}");
        let api_key = ("authorization", format!("Bearer {b_key}"));
        let (status, body) = server_fn(&app, "call_record", api_key, &[("id", id)]).await;
        assert_eq!(status, 401, "{body}");
        assert!(!leaks(&body), "{body}");
    }
    let api_key = ("authorization", format!("Bearer {b_key}"));
    let (status, _) = server_fn(&app, "list_call_records", api_key, &[]).await;
    assert_eq!(status, 401);
    // B cannot write notes on A's calls, by session or key; A's notes stay as they were.
    for auth in [b.auth(), Auth::Bearer(b_key.clone())] {
        let res = app
            .gql(
                &auth,
                SAVE_NOTES,
                json!({ "id": answered, "notes": "Overwritten by Beta" }),
            )
            .await;
        assert_eq!(error_code(&res), Some("NOT_FOUND"), "{auth:?}: {res}");
        assert!(!leaks(&res.to_string()), "{res}");
    }
    let res = app.gql(&a.auth(), DETAIL, json!({ "id": answered })).await;
    assert!(res["data"]["call"]["notes"].is_null(), "{res}");
    // Signed out, nothing at all.
    let res = app.gql(&Auth::None, LIST, json!({})).await;
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
    app.finish().await;
}

both_dbs!(
    the_call_log_resolves_and_describes_calls,
    an_integration_keeps_notes_on_a_call,
    another_business_sees_none_of_the_calls,
);
