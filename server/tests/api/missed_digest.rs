//! Missed calls nobody returned: every member gets a summary by mail, at most one per
//! interval, listing the calls nobody answered since their last one.

use std::time::Duration;

use serde_json::json;

use crate::both_dbs;
use crate::helpers::{unfolded, Db, TestApp};
use crate::ws::{caller_token, greeted, next_json, send, verified_domain};

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

both_dbs!(members_get_one_summary_of_missed_calls_per_interval);
