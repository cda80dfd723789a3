//! The callback events: a receiver learns of every callback asked for, booked, done and
//! cancelled, and of the contact a new caller's request creates — signed like every other
//! event, and only the business's own.

use serde_json::{json, Value};

use super::receiver::{verify, Receiver};
use super::{create_endpoint, to_loopback};
use crate::both_dbs;
use crate::callback_slots::{berlin_hours, book, slots, starts};
use crate::helpers::{Db, Owner, TestApp};
use crate::ws::{caller_token, verified_domain};

const EVENTS: [&str; 5] = [
    "contact.created",
    "callback.requested",
    "callback.scheduled",
    "callback.done",
    "callback.cancelled",
];

async fn set_status(app: &TestApp, owner: &Owner, id: &str, status: &str) {
    let res = app
        .gql(
            &owner.auth(),
            &format!("mutation($id: ID!) {{ setCallbackStatus(id: $id, status: {status}) {{ status }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
}

async fn callback_events_reach_the_business_receiver(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    berlin_hours(&app, &owner).await;
    let hook = Receiver::start(&[], 200).await;
    let (_, secret) = create_endpoint(&app, &owner, &hook.url("/callbacks"), &EVENTS).await;
    // Another business listens to the same events and hears nothing of Alpha's.
    let other = app.sign_up("Beta").await;
    let other_hook = Receiver::start(&[], 200).await;
    create_endpoint(&app, &other, &other_hook.url("/b"), &EVENTS).await;

    // "As soon as possible": requested.
    let caller = caller_token(&app).await;
    let (status, asked) = app
        .server_fn_json(
            "request_callback",
            &[("cookie", format!("dc_caller={caller}"))],
            &[
                ("domain", domain.as_str()),
                ("email", "asap@example.net"),
                ("name", "Ada"),
                ("when", "asap"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{asked}");
    // "At a time": requested and scheduled, with the time.
    let first = slots(&app, &domain, "", "Europe/Berlin").await;
    let slot = starts(&first)[0].clone();
    let (status, booked) = book(&app, &domain, "slot@example.net", &slot).await;
    assert_eq!(status, 200, "{booked}");

    let got = hook.wait_for(5).await;
    let bodies = verified_bodies(&secret, &got);
    let types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "contact.created",
            "callback.requested",
            "contact.created",
            "callback.requested",
            "callback.scheduled"
        ],
        "{bodies:?}"
    );
    assert_eq!(bodies[0]["data"]["email"], "asap@example.net");
    let asap = &bodies[1]["data"];
    assert_eq!(asap["email"], "asap@example.net", "{asap}");
    assert_eq!(asap["name"], "Ada", "{asap}");
    assert_eq!(asap["status"], "pending", "{asap}");
    assert_eq!(asap["called_domain"], domain.as_str(), "{asap}");
    assert_eq!(asap["contact_id"], bodies[0]["data"]["id"], "{asap}");
    let (requested, scheduled) = (&bodies[3]["data"], &bodies[4]["data"]);
    assert_eq!(requested["id"], scheduled["id"], "one callback");
    assert_eq!(scheduled["status"], "scheduled", "{scheduled}");
    let at = scheduled["slot_at"].as_str().unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(at).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&slot).unwrap(),
        "{scheduled}"
    );

    // A member closes one and cancels the other.
    set_status(&app, &owner, asap["id"].as_str().unwrap(), "DONE").await;
    set_status(&app, &owner, scheduled["id"].as_str().unwrap(), "CANCELLED").await;
    let got = hook.wait_for(7).await;
    let bodies = verified_bodies(&secret, &got);
    let last: Vec<(&str, &Value)> = bodies[5..]
        .iter()
        .map(|b| (b["type"].as_str().unwrap(), &b["data"]["id"]))
        .collect();
    assert_eq!(
        last,
        [
            ("callback.done", &asap["id"]),
            ("callback.cancelled", &scheduled["id"])
        ]
    );
    assert_eq!(
        bodies[6]["data"]["slot_at"],
        Value::Null,
        "the seat is free"
    );
    assert!(
        other_hook.received().is_empty(),
        "another business heard Alpha's callbacks"
    );
    app.finish().await;
}

/// The bodies received, each verified, oldest first.
fn verified_bodies(secret: &str, got: &[super::receiver::Received]) -> Vec<Value> {
    let mut bodies: Vec<Value> = got
        .iter()
        .map(|r| {
            verify(secret, r).unwrap();
            r.json()
        })
        .collect();
    // One change's events share its time; they are listed in the order of `EVENTS`.
    bodies.sort_by_key(|b| {
        let kind = b["type"].as_str().unwrap();
        let rank = EVENTS.iter().position(|e| *e == kind);
        (b["timestamp"].as_str().unwrap().to_owned(), rank)
    });
    bodies
}

both_dbs!(callback_events_reach_the_business_receiver);
