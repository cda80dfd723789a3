//! Signed webhooks against a real HTTP receiver started by each test: signatures that an
//! independent verifier accepts, retries with backoff then failure, no second send of an
//! accepted delivery, loopback targets refused at delivery time unless allowed, nothing
//! sent for a rolled-back change, a real call's events, and secret rotation.

mod callbacks;
mod manage;
pub mod receiver;

use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use server::Settings;

use crate::both_dbs;
use crate::dns_server::TestDnsServer;
use crate::helpers::{error_code, Db, Owner, TestApp};
use crate::ws::{caller_token, greeted, next_call, next_json, send, verified_domain};
use receiver::{verify, Receiver};

/// Deliveries may go to loopback (the receiver), and retry quickly.
pub fn to_loopback(settings: &mut Settings) {
    settings.webhooks.allowed_nets = "127.0.0.0/8".parse().unwrap();
    settings.webhooks.schedule = entity::webhooks::RetrySchedule {
        attempts: 3,
        first_delay: Duration::from_millis(200),
    };
}

pub const CREATE: &str = "mutation($i: WebhookEndpointInput!) { createWebhookEndpoint(input: $i) \
    { secret endpoint { id url events enabled } } }";

/// Registers an endpoint for `events` (wire names); returns `(id, secret)`.
pub async fn create_endpoint(
    app: &TestApp,
    owner: &Owner,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let events: Vec<String> = events
        .iter()
        .map(|e| e.replace('.', "_").to_uppercase())
        .collect();
    let res = app
        .gql(
            &owner.auth(),
            CREATE,
            json!({ "i": { "url": url, "events": events } }),
        )
        .await;
    let created = &res["data"]["createWebhookEndpoint"];
    assert!(
        created["secret"].is_string(),
        "createWebhookEndpoint: {res}"
    );
    (
        created["endpoint"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// Queues a test event; returns the delivery's id (`msg_…`).
pub async fn send_test(app: &TestApp, owner: &Owner, endpoint: &str) -> String {
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { sendTestWebhook(id: $id) { id status eventType } }",
            json!({ "id": endpoint }),
        )
        .await;
    let d = &res["data"]["sendTestWebhook"];
    assert_eq!(d["status"], "PENDING", "{res}");
    assert_eq!(d["eventType"], "webhook.test", "{res}");
    d["id"].as_str().unwrap().to_owned()
}

const LOG: &str = "query($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason \
    deliveries(first: 100) { edges { node { id eventType status attempts httpStatus \
    responseTimeMs lastError lastAttemptAt nextAttemptAt deliveredAt payload } } } } }";

/// The endpoint's log, newest first.
pub async fn log(app: &TestApp, owner: &Owner, endpoint: &str) -> Vec<Value> {
    let res = app.gql(&owner.auth(), LOG, json!({ "id": endpoint })).await;
    res["data"]["webhookEndpoint"]["deliveries"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("log: {res}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Waits (up to 20 s) until delivery `id` is in `status`; returns it.
pub async fn wait_status(
    app: &TestApp,
    owner: &Owner,
    endpoint: &str,
    id: &str,
    status: &str,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let entries = log(app, owner, endpoint).await;
        if let Some(d) = entries
            .iter()
            .find(|d| d["id"] == id && d["status"] == status)
        {
            return d.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{id} never {status}: {entries:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn deliveries_are_signed_and_verify_independently(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[], 204).await;
    let (endpoint, secret) =
        create_endpoint(&app, &owner, &hook.url("/in?src=dc"), &["call.ended"]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = send_test(&app, &owner, &endpoint).await;

    let got = hook.wait_for(1).await;
    let request = &got[0];
    assert_eq!(request.path, "/in");
    assert_eq!(request.header("webhook-id"), id);
    assert_eq!(request.header("content-type"), "application/json");
    verify(&secret, request).unwrap();
    let (_, other) = create_endpoint(&app, &owner, &hook.url("/other"), &["call.ended"]).await;
    assert!(
        verify(&other, request).is_err(),
        "another endpoint's secret must not verify"
    );
    let mut tampered = request.clone();
    tampered.body = tampered.body.replace("test", "tesT");
    assert!(
        verify(&secret, &tampered).is_err(),
        "a changed body must not verify"
    );

    let body = request.json();
    assert_eq!(body["type"], "webhook.test");
    assert_eq!(body["data"]["endpoint_id"], endpoint.as_str());
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());

    let d = wait_status(&app, &owner, &endpoint, &id, "DELIVERED").await;
    assert_eq!(d["attempts"], 1, "{d}");
    assert_eq!(d["httpStatus"], 204, "{d}");
    assert!(d["responseTimeMs"].as_i64().is_some(), "{d}");
    assert!(
        d["lastError"].is_null() && d["nextAttemptAt"].is_null(),
        "{d}"
    );
    assert_eq!(
        d["payload"].as_str().unwrap(),
        request.body,
        "the log keeps the exact body"
    );
    app.finish().await;
}

async fn a_500_is_retried_with_backoff_then_failed_and_resent(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[], 500).await;
    let (endpoint, secret) = create_endpoint(&app, &owner, &hook.url("/in"), &["call.ended"]).await;
    let id = send_test(&app, &owner, &endpoint).await;

    let d = wait_status(&app, &owner, &endpoint, &id, "FAILED").await;
    let got = hook.received();
    assert_eq!(got.len(), 3, "three attempts, then no more");
    assert!(
        got.iter().all(|r| r.header("webhook-id") == id),
        "the same id on every retry"
    );
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "the same body on every retry"
    );
    for r in &got {
        verify(&secret, r).unwrap();
    }
    // Exponential: 200 ms then 800 ms (each ±20 %), plus polling.
    let first = got[1].at - got[0].at;
    let second = got[2].at - got[1].at;
    assert!(first >= Duration::from_millis(160), "{first:?}");
    assert!(second >= Duration::from_millis(640), "{second:?}");
    assert!(second > first, "{first:?} then {second:?}");
    assert_eq!(d["attempts"], 3, "{d}");
    assert_eq!(d["httpStatus"], 500, "{d}");
    assert!(d["nextAttemptAt"].is_null(), "{d}");
    let error = d["lastError"].as_str().unwrap();
    assert!(error.contains("500"), "{error}");
    assert!(
        !error.contains("receiver's own words"),
        "never the receiver's body: {error}"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        hook.received().len(),
        3,
        "a failed delivery is not tried again"
    );

    // Resent once the receiver is fixed: one more attempt, the same id.
    hook.answer(200);
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { resendWebhookDelivery(id: $id) { id status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        res["data"]["resendWebhookDelivery"]["status"], "PENDING",
        "{res}"
    );
    let d = wait_status(&app, &owner, &endpoint, &id, "DELIVERED").await;
    assert_eq!(d["attempts"], 4, "{d}");
    let got = hook.wait_for(4).await;
    assert_eq!(got[3].header("webhook-id"), id);
    verify(&secret, &got[3]).unwrap();
    app.finish().await;
}

/// `(status, count)` of the stored `deliver_webhook` jobs that finished.
async fn finished_jobs(app: &TestApp, db: Db) -> i64 {
    let sql = match db {
        Db::Sqlite => "SELECT COUNT(*) FROM Jobs WHERE job_type = 'deliver_webhook' AND status = 'Done'",
        Db::Postgres => "SELECT COUNT(*)::bigint FROM apalis.jobs WHERE job_type = 'deliver_webhook' AND status::text = 'Done'",
    };
    let row: (i64,) = match db {
        Db::Sqlite => sea_orm::sqlx::query_as(sql)
            .fetch_one(app.services.db.get_sqlite_connection_pool())
            .await
            .unwrap(),
        Db::Postgres => sea_orm::sqlx::query_as(sql)
            .fetch_one(app.services.db.get_postgres_connection_pool())
            .await
            .unwrap(),
    };
    row.0
}

async fn an_accepted_delivery_is_never_sent_again(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[], 200).await;
    let (endpoint, _) = create_endpoint(&app, &owner, &hook.url("/in"), &["call.ended"]).await;
    let id = send_test(&app, &owner, &endpoint).await;
    wait_status(&app, &owner, &endpoint, &id, "DELIVERED").await;
    hook.wait_for(1).await;

    // The job runs again (a crash before its acknowledgement, a duplicate): twice more.
    let delivery_id = entity::webhooks::parse_webhook_id(&id).unwrap();
    let queue = jobs::Queue::connect(&app.services.db).await.unwrap();
    let before = finished_jobs(&app, db).await;
    for _ in 0..2 {
        queue
            .push(jobs::DeliverWebhook {
                delivery_id,
                round: 0,
            })
            .await
            .unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while finished_jobs(&app, db).await < before + 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the repeated jobs never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        hook.received().len(),
        1,
        "an accepted delivery is not sent again"
    );
    let entries = log(&app, &owner, &endpoint).await;
    assert_eq!(entries[0]["attempts"], 1, "{entries:?}");
    app.finish().await;
}

async fn loopback_targets_are_refused_unless_allowed(db: Db) {
    // A name that resolves to loopback: accepted at registration (DNS may change), refused
    // at delivery, when its address is what would be connected to.
    let dns = TestDnsServer::start(&["hooks.test"]).await;
    dns.add_a("rebind.hooks.test", std::net::Ipv4Addr::LOCALHOST)
        .await;
    let hook = Receiver::start(&[], 200).await;
    let url = format!("http://rebind.hooks.test:{}/in", hook.port);

    let strict = TestApp::spawn_with(db, |s| {
        s.dns_servers = vec![dns.addr()];
        s.webhooks.schedule = entity::webhooks::RetrySchedule {
            attempts: 2,
            first_delay: Duration::from_millis(50),
        };
    })
    .await;
    let owner = strict.sign_up("Alpha").await;
    for target in [
        hook.url("/in"),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::1]:8080/".to_owned(),
    ] {
        let res = strict
            .gql(
                &owner.auth(),
                CREATE,
                json!({ "i": { "url": target, "events": ["CALL_ENDED"] } }),
            )
            .await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{target}: {res}");
        assert_eq!(
            res["errors"][0]["extensions"]["fields"][0]["field"], "url",
            "{res}"
        );
    }
    let (endpoint, _) = create_endpoint(&strict, &owner, &url, &["call.ended"]).await;
    let id = send_test(&strict, &owner, &endpoint).await;
    let d = wait_status(&strict, &owner, &endpoint, &id, "FAILED").await;
    let error = d["lastError"].as_str().unwrap();
    assert!(
        error.contains("127.0.0.1") && error.contains("loopback"),
        "{error}"
    );
    assert!(d["httpStatus"].is_null(), "{d}");
    assert!(
        hook.received().is_empty(),
        "nothing reached the loopback receiver"
    );
    strict.finish().await;

    let open = TestApp::spawn_with(db, |s| {
        s.dns_servers = vec![dns.addr()];
        to_loopback(s);
    })
    .await;
    let owner = open.sign_up("Alpha").await;
    let (endpoint, secret) = create_endpoint(&open, &owner, &url, &["call.ended"]).await;
    let id = send_test(&open, &owner, &endpoint).await;
    wait_status(&open, &owner, &endpoint, &id, "DELIVERED").await;
    let got = hook.wait_for(1).await;
    // Connected to the checked address, with the URL's host.
    assert_eq!(
        got[0].header("host"),
        format!("rebind.hooks.test:{}", hook.port)
    );
    verify(&secret, &got[0]).unwrap();
    // A listed range does not open the metadata service.
    let res = open
        .gql(
            &owner.auth(),
            CREATE,
            json!({ "i": { "url": "http://169.254.169.254/", "events": ["CALL_ENDED"] } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    open.finish().await;
}

async fn a_rolled_back_change_sends_nothing(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[], 200).await;
    let (endpoint, _) = create_endpoint(&app, &owner, &hook.url("/in"), &["contact.created"]).await;
    let business = uuid::Uuid::parse_str(&owner.business_id).unwrap();
    let event = |name: &str| {
        entity::webhooks::Event::new(
            entity::webhooks::EventType::ContactCreated,
            chrono::Utc::now(),
            &json!({ "name": name }),
        )
    };
    let db_conn = &app.services.db;
    let txn = entity::tx::begin_write(db_conn).await.unwrap();
    let written = entity::webhooks::emit(&txn, business, event("rolled back"))
        .await
        .unwrap();
    assert_eq!(written, 1, "one subscribed endpoint");
    txn.rollback().await.unwrap();
    let txn = entity::tx::begin_write(db_conn).await.unwrap();
    entity::webhooks::emit(&txn, business, event("committed"))
        .await
        .unwrap();
    txn.commit().await.unwrap();

    let got = hook.wait_for(1).await;
    assert_eq!(got[0].json()["data"]["name"], "committed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        hook.received().len(),
        1,
        "the rolled-back event was never sent"
    );
    let entries = log(&app, &owner, &endpoint).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["eventType"], "contact.created");
    app.finish().await;
}

async fn a_real_call_sends_signed_call_events_in_order(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[], 200).await;
    let events = [
        "call.requested",
        "call.answered",
        "call.ended",
        "call.missed",
    ];
    let (_, secret) = create_endpoint(&app, &owner, &hook.url("/calls"), &events).await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent = greeted(&app, &owner.token).await;
    let mut caller = greeted(&app, &caller_token(&app).await).await;

    send(
        &mut caller,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut caller).await["type"], "ringing");
    let call_id = next_call(&mut agent).await["call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(30)).await;
    send(&mut agent, json!({ "type": "accept", "call_id": call_id })).await;
    assert_eq!(next_call(&mut agent).await["type"], "accepted");
    assert_eq!(next_json(&mut caller).await["type"], "accepted");
    tokio::time::sleep(Duration::from_millis(30)).await;
    send(&mut caller, json!({ "type": "hangup" })).await;
    assert_eq!(next_call(&mut agent).await["type"], "ended");
    assert_eq!(next_json(&mut caller).await["type"], "ended");

    let got = hook.wait_for(3).await;
    let mut bodies: Vec<Value> = got
        .iter()
        .map(|r| {
            verify(&secret, r).unwrap();
            r.json()
        })
        .collect();
    bodies.sort_by_key(|b| b["timestamp"].as_str().unwrap().to_owned());
    let types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["call.requested", "call.answered", "call.ended"]);
    let ids: std::collections::HashSet<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), 3, "one webhook-id per event");
    for b in &bodies {
        assert_eq!(b["data"]["call_id"], call_id.as_str(), "{b}");
        assert_eq!(b["data"]["domain"], domain.as_str(), "{b}");
        assert_eq!(b["data"]["mode"], "voice", "{b}");
        assert_eq!(b["data"]["caller"]["verified"], false, "{b}");
    }
    let (answered, ended) = (&bodies[1]["data"], &bodies[2]["data"]);
    assert_eq!(
        answered["answered_by"],
        owner.user_id.as_str(),
        "{answered}"
    );
    assert!(answered["wait_ms"].as_i64().unwrap() >= 0, "{answered}");
    assert_eq!(ended["end_reason"], "hung_up_by_caller", "{ended}");
    assert!(ended["duration_ms"].as_i64().unwrap() >= 0, "{ended}");

    // A call nobody answers ends with call.missed (and no call.ended).
    send(
        &mut caller,
        json!({ "type": "call_request", "domain": domain, "mode": "chat" }),
    )
    .await;
    assert_eq!(next_json(&mut caller).await["type"], "ringing");
    let second = next_call(&mut agent).await["call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    send(&mut agent, json!({ "type": "reject", "call_id": second })).await;
    let got = hook.wait_for(5).await;
    let later: Vec<Value> = got[3..].iter().map(|r| r.json()).collect();
    let missed = later
        .iter()
        .find(|b| b["type"] == "call.missed")
        .unwrap_or_else(|| panic!("{later:?}"));
    assert_eq!(missed["data"]["call_id"], second.as_str());
    assert_eq!(missed["data"]["end_reason"], "rejected");
    assert!(missed["data"].get("answered_at").is_none(), "{missed}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        hook.received().len(),
        5,
        "requested + missed for the second call"
    );
    app.finish().await;
}

async fn a_rotated_secret_signs_alongside_the_old_one_for_a_day(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[], 200).await;
    let (endpoint, old) = create_endpoint(&app, &owner, &hook.url("/in"), &["call.ended"]).await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { previousSecretExpiresAt } } }",
            json!({ "id": endpoint }),
        )
        .await;
    let rotated = &res["data"]["rotateWebhookSecret"];
    let new = rotated["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    assert_ne!(new, old);
    let until = chrono::DateTime::parse_from_rfc3339(
        rotated["endpoint"]["previousSecretExpiresAt"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let in_a_day = chrono::Utc::now() + chrono::Duration::hours(24);
    assert!(
        (until.timestamp() - in_a_day.timestamp()).abs() < 60,
        "{until}"
    );

    send_test(&app, &owner, &endpoint).await;
    let got = hook.wait_for(1).await;
    let signatures: Vec<&str> = got[0].header("webhook-signature").split(' ').collect();
    assert_eq!(signatures.len(), 2, "both secrets sign during the window");
    verify(&new, &got[0]).unwrap();
    verify(&old, &got[0]).unwrap();
    for (secret, signature) in [(&new, signatures[0]), (&old, signatures[1])] {
        let mut alone = got[0].clone();
        alone
            .headers
            .insert("webhook-signature", signature.parse().unwrap());
        verify(secret, &alone).unwrap();
    }

    // After the window only the new secret signs.
    entity::entities::webhook_endpoint::Entity::update_many()
        .col_expr(
            entity::entities::webhook_endpoint::Column::PreviousSecretExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(
            entity::entities::webhook_endpoint::Column::Id
                .eq(uuid::Uuid::parse_str(&endpoint).unwrap()),
        )
        .exec(&app.services.db)
        .await
        .unwrap();
    send_test(&app, &owner, &endpoint).await;
    let got = hook.wait_for(2).await;
    assert_eq!(got[1].header("webhook-signature").split(' ').count(), 1);
    verify(&new, &got[1]).unwrap();
    assert!(
        verify(&old, &got[1]).is_err(),
        "the old secret no longer signs"
    );
    app.finish().await;
}

both_dbs!(
    deliveries_are_signed_and_verify_independently,
    a_500_is_retried_with_backoff_then_failed_and_resent,
    an_accepted_delivery_is_never_sent_again,
    loopback_targets_are_refused_unless_allowed,
    a_rolled_back_change_sends_nothing,
    a_real_call_sends_signed_call_events_in_order,
    a_rotated_secret_signs_alongside_the_old_one_for_a_day,
);
