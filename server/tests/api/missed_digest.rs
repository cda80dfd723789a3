//! Missed calls nobody returned: every member gets a summary by mail, at most one per
//! interval, listing the calls nobody answered since their last one — not those whose
//! caller has since been talked to.

use std::time::Duration;

use entity::callbacks::missed_digest::send_due;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;

use crate::both_dbs;
use crate::contacts::email_caller;
use crate::helpers::{unfolded, Db, TestApp};
use crate::ws::{caller_token, greeted, next_call, next_json, send, verified_domain};

/// The summaries in `to`'s mailbox.
fn summaries(app: &TestApp, to: &str) -> Vec<String> {
    app.mails_to(to)
        .into_iter()
        .map(|m| unfolded(&m))
        .filter(|m| m.contains("nobody answered or returned"))
        .collect()
}

async fn members_get_one_summary_of_missed_calls_per_interval(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.sweep_interval = Duration::from_millis(100);
        s.missed_digest_interval = Duration::from_secs(60);
    })
    .await;
    let owner = app.sign_up("Alpha").await;
    let other = app.sign_up("Beta").await;
    let domain = verified_domain(&app, &owner).await;
    // Nobody is online: the call cannot be answered.
    let token = caller_token(&app).await;
    let mut caller = greeted(&app, &token).await;
    send(
        &mut caller,
        json!({ "type": "call_request", "domain": domain, "mode": "chat" }),
    )
    .await;
    assert_eq!(next_json(&mut caller).await["type"], "unavailable");

    let mail = unfolded(
        &app.wait_for_mail_with(&owner.email, "nobody answered or returned")
            .await,
    );
    assert!(mail.contains("1 missed call"), "{mail}");
    assert!(mail.contains(&format!("(called {domain})")), "{mail}");
    assert!(mail.contains("/app/calls"), "{mail}");

    // A second missed call within the interval: no second mail yet.
    send(
        &mut caller,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut caller).await["type"], "unavailable");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(summaries(&app, &owner.email).len(), 1, "one per interval");
    assert!(
        summaries(&app, &other.email).is_empty(),
        "Beta missed nothing"
    );
    app.finish().await;
}

async fn a_call_returned_since_is_left_out(db: Db) {
    // The sweep runs once at start (whenever a loaded machine gets to it), then not for an
    // hour; the owner was just mailed a summary, so it has nothing to send. The test runs
    // the summary itself, an hour and a minute later.
    let app = TestApp::spawn_with(db, |s| s.sweep_interval = Duration::from_secs(3600)).await;
    let owner = app.sign_up("Alpha").await;
    let every = chrono::Duration::hours(1);
    entity::entities::missed_digest::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        business_id: Set(owner.business_id.parse().unwrap()),
        user_id: Set(owner.user_id.parse().unwrap()),
        sent_at: Set(chrono::Utc::now()),
    }
    .insert(&app.services.db)
    .await
    .unwrap();
    let domain = verified_domain(&app, &owner).await;
    let returned = format!("back-{}@example.net", uuid::Uuid::new_v4().simple());
    let mut known = greeted(&app, &email_caller(&app, &returned).await).await;
    let mut guest = greeted(&app, &caller_token(&app).await).await;
    for ws in [&mut known, &mut guest] {
        send(
            ws,
            json!({ "type": "call_request", "domain": domain, "mode": "chat" }),
        )
        .await;
        assert_eq!(next_json(ws).await["type"], "unavailable");
    }
    // The owner comes online and talks to the caller who left an email: returned.
    let mut agent = greeted(&app, &owner.token).await;
    send(
        &mut known,
        json!({ "type": "call_request", "domain": domain, "mode": "chat" }),
    )
    .await;
    assert_eq!(next_json(&mut known).await["type"], "ringing");
    let call_id = next_call(&mut agent).await["call_id"].clone();
    send(&mut agent, json!({ "type": "accept", "call_id": call_id })).await;
    assert_eq!(next_json(&mut known).await["type"], "accepted");
    // The records are written in the background: wait for the answered one.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while entity::entities::call::Entity::find()
        .filter(entity::entities::call::Column::AnsweredBy.is_not_null())
        .count(&app.services.db)
        .await
        .unwrap()
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the answered call was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let now = chrono::Utc::now() + every + chrono::Duration::minutes(1);
    let outbox = app.services.outbox.as_ref();
    let sent = send_due(&app.services.db, outbox, "http://x.test", every, now)
        .await
        .unwrap();
    assert_eq!(sent, 1, "one member, one summary");
    let mail = unfolded(
        &app.wait_for_mail_with(&owner.email, "nobody answered or returned")
            .await,
    );
    assert!(mail.contains("1 missed call"), "{mail}");
    assert!(
        !mail.contains(&returned),
        "a returned call is not listed: {mail}"
    );
    // Nothing new to say within the interval, whatever runs the summary.
    let again = send_due(&app.services.db, outbox, "http://x.test", every, now).await;
    assert_eq!(again.unwrap(), 0);
    app.finish().await;
}

both_dbs!(
    members_get_one_summary_of_missed_calls_per_interval,
    a_call_returned_since_is_left_out
);
