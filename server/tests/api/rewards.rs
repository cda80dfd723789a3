//! Rewards for waiting (claim 16): a caller who waited past the business's threshold earns
//! points and a coupon once the call ends — judged once per call however often the job
//! runs; the caller sees it (their own calls only) and gets a mail; the business sees it on
//! the ledger and the contact, and redeems it once per idempotency key. Another business
//! can neither read nor redeem it.

use std::time::Duration;

use reqwest::header::COOKIE;
use serde_json::{json, Value};

use crate::both_dbs;
use crate::contacts::email_caller;
use crate::helpers::{error_code, Auth, Db, Owner, TestApp};
use crate::webhooks::create_endpoint;
use crate::webhooks::receiver::{verify, Receiver};
use crate::ws::{caller_token, colleague, greeted, next_call, next_json, send, verified_domain};

const SET_POLICY: &str = "mutation($i: RewardPolicyInput!) { setRewardPolicy(input: $i) \
    { enabled thresholdSecs pointsPerMinute capPoints couponTemplate } }";
const REWARDS: &str = "query($c: ID) { rewards(contactId: $c) { id callId contactId contactName \
    callerName waitMs points couponCode redeemedAt redeemedByName } \
    rewardTotals(contactId: $c) { rewards pointsIssued pointsRedeemed pointsOpen coupons redeemed } }";
const REDEEM: &str =
    "mutation($id: ID!, $k: String!) { redeemReward(id: $id, key: $k) { id redeemedAt redeemedByName } }";

async fn set_policy(app: &TestApp, auth: &Auth, input: Value) -> Value {
    app.gql(auth, SET_POLICY, json!({ "i": input })).await
}

/// Caller `token` calls `domain`; the agent answers after `wait`; the caller hangs up.
/// Returns the call id.
async fn answered_call(
    app: &TestApp,
    token: &str,
    agent: &mut crate::ws::Socket,
    domain: &str,
    wait: Duration,
) -> String {
    let mut c = greeted(app, token).await;
    send(
        &mut c,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(&mut c).await["type"], "ringing");
    let incoming = next_call(agent).await;
    let call_id = incoming["call_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(wait).await;
    send(agent, json!({ "type": "accept", "call_id": call_id })).await;
    assert_eq!(next_call(agent).await["type"], "accepted");
    assert_eq!(next_json(&mut c).await["type"], "accepted");
    send(&mut c, json!({ "type": "hangup", "call_id": call_id })).await;
    assert_eq!(next_call(agent).await["type"], "ended");
    call_id
}

/// `GET /call/reward/{call}` with caller cookie `token` (none: no cookie).
async fn caller_reward(app: &TestApp, call_id: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = app.http.get(format!("{}/call/reward/{call_id}", app.base));
    if let Some(t) = token {
        req = req.header(COOKIE, format!("dc_caller={t}"));
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// What the caller is told once the call is judged (asks while it is `pending`).
async fn judged(app: &TestApp, call_id: &str, token: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = caller_reward(app, call_id, Some(token)).await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "pending" {
            return body;
        }
        assert!(std::time::Instant::now() < deadline, "never judged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn ledger(app: &TestApp, owner: &Owner, contact: Option<&str>) -> Value {
    let res = app
        .gql(&owner.auth(), REWARDS, json!({ "c": contact }))
        .await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"].clone()
}

async fn a_caller_who_waited_earns_once_and_the_business_redeems_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let alpha = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &alpha).await;
    let mut agent = greeted(&app, &alpha.token).await;

    // Rewards on: any wait past 0 s earns 7 points per started minute and a coupon.
    let res = set_policy(
        &app,
        &alpha.auth(),
        json!({ "enabled": true, "thresholdSecs": 0, "pointsPerMinute": 7, "capPoints": 100,
                "couponTemplate": " THANKS-{code} " }),
    )
    .await;
    assert_eq!(
        res["data"]["setRewardPolicy"],
        json!({ "enabled": true, "thresholdSecs": 0, "pointsPerMinute": 7, "capPoints": 100,
                "couponTemplate": "THANKS-{code}" }),
        "{res}"
    );

    let email = format!("pat-{}@example.org", uuid::Uuid::new_v4().simple());
    let token = email_caller(&app, &email).await;
    let call_id = answered_call(&app, &token, &mut agent, &domain, Duration::from_millis(30)).await;

    // The caller sees it on the ended screen…
    let told = judged(&app, &call_id, &token).await;
    assert_eq!(told["status"], "issued", "{told}");
    assert_eq!(told["points"], 7);
    assert_eq!(told["business"], "Alpha");
    let code = told["couponCode"].as_str().unwrap().to_owned();
    assert!(code.starts_with("THANKS-") && code.len() == 15, "{code}");
    // …and by mail.
    let mail = app.wait_for_mail_with(&email, &code).await;
    assert!(mail.contains("7 points"), "{mail}");
    assert!(mail.contains("Subject: Your reward from Alpha"), "{mail}");

    // Only the call's own caller reads it.
    let stranger = caller_token(&app).await;
    assert_eq!(caller_reward(&app, &call_id, Some(&stranger)).await.0, 404);
    assert_eq!(caller_reward(&app, &call_id, None).await.0, 401);
    assert_eq!(caller_reward(&app, "not-a-call", Some(&token)).await.0, 404);

    // The ledger has it, on the contact too.
    let data = ledger(&app, &alpha, None).await;
    let rewards = data["rewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 1, "{data}");
    let reward = &rewards[0];
    assert_eq!(reward["callId"], call_id.as_str());
    assert_eq!(reward["points"], 7);
    assert_eq!(reward["couponCode"], code.as_str());
    assert!(reward["waitMs"].as_i64().unwrap() >= 30, "{reward}");
    let contact = reward["contactId"]
        .as_str()
        .expect("the caller's contact")
        .to_owned();
    assert_eq!(
        data["rewardTotals"],
        json!({ "rewards": 1, "pointsIssued": 7, "pointsRedeemed": 0, "pointsOpen": 7,
                "coupons": 1, "redeemed": 0 })
    );
    let (status, page) = app
        .server_fn_as(
            &alpha.token,
            "list_rewards",
            &[("contact", contact.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["rewards"][0]["id"], reward["id"], "{page}");

    // Judging the call again — the job retried, the sweep later — issues nothing more.
    let (db, outbox) = (&app.services.db, app.services.outbox.as_ref());
    let call_uuid = uuid::Uuid::parse_str(&call_id).unwrap();
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    for _ in 0..2 {
        let again = entity::rewards::issue::judge(db, outbox, call_uuid, later)
            .await
            .unwrap();
        assert_eq!(again, entity::rewards::issue::Judged::AlreadyJudged);
    }
    assert_eq!(
        entity::rewards::issue::judge_due(db, outbox, later)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        ledger(&app, &alpha, None).await["rewardTotals"]["rewards"],
        1
    );
    assert_eq!(app.mails_to(&email).len(), 1, "one reward mail");

    // Redeemed once: the same key again is the same redemption; another key is refused.
    let id = reward["id"].as_str().unwrap();
    let first = app
        .gql(&alpha.auth(), REDEEM, json!({ "id": id, "k": "till-1" }))
        .await;
    let redeemed = &first["data"]["redeemReward"];
    assert!(redeemed["redeemedAt"].is_string(), "{first}");
    let again = app
        .gql(&alpha.auth(), REDEEM, json!({ "id": id, "k": "till-1" }))
        .await;
    assert_eq!(&again["data"]["redeemReward"], redeemed, "{again}");
    let other = app
        .gql(&alpha.auth(), REDEEM, json!({ "id": id, "k": "till-2" }))
        .await;
    assert_eq!(error_code(&other), Some("CONFLICT"), "{other}");
    let blank = app
        .gql(&alpha.auth(), REDEEM, json!({ "id": id, "k": " " }))
        .await;
    assert_eq!(error_code(&blank), Some("VALIDATION"), "{blank}");

    // A second wait, a second reward; a key that redeemed the first cannot redeem it.
    let second = answered_call(&app, &token, &mut agent, &domain, Duration::from_millis(30)).await;
    assert_eq!(judged(&app, &second, &token).await["status"], "issued");
    let data = ledger(&app, &alpha, Some(&contact)).await;
    assert_eq!(data["rewardTotals"]["rewards"], 2, "{data}");
    assert_eq!(data["rewardTotals"]["pointsRedeemed"], 7);
    assert_eq!(data["rewardTotals"]["pointsOpen"], 7);
    let second_id = data["rewards"][0]["id"].as_str().unwrap().to_owned();
    assert_ne!(second_id, id);
    let reused = app
        .gql(
            &alpha.auth(),
            REDEEM,
            json!({ "id": second_id, "k": "till-1" }),
        )
        .await;
    assert_eq!(error_code(&reused), Some("CONFLICT"), "{reused}");

    // The dashboard shows the ledger and redeems with its own key.
    let page = app
        .http
        .get(format!("{}/app/rewards", app.base))
        .header(COOKIE, format!("dc_session={}", alpha.token))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&code), "the ledger lists the coupon");
    let (status, res) = app
        .server_fn_as(
            &alpha.token,
            "redeem_reward",
            &[("id", second_id.as_str()), ("key", "dashboard-x")],
        )
        .await;
    assert_eq!(status, 200, "{res}");
    assert!(res["redeemedAt"].is_string(), "{res}");
    app.finish().await;
}

async fn short_waits_and_calls_before_the_policy_earn_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let alpha = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &alpha).await;
    let mut agent = greeted(&app, &alpha.token).await;
    let token = caller_token(&app).await;

    // Rewards off: nothing to wait for.
    let before = answered_call(&app, &token, &mut agent, &domain, Duration::ZERO).await;
    assert_eq!(judged(&app, &before, &token).await["status"], "none");

    // On, with a minute's threshold: a quick answer earns nothing, once judged.
    let res = set_policy(
        &app,
        &alpha.auth(),
        json!({ "enabled": true, "thresholdSecs": 60, "pointsPerMinute": 10 }),
    )
    .await;
    assert!(res["errors"].is_null(), "{res}");
    let quick = answered_call(&app, &token, &mut agent, &domain, Duration::ZERO).await;
    assert_eq!(judged(&app, &quick, &token).await["status"], "none");

    // The sweep does not reach back to calls made before rewards were on.
    let (db, outbox) = (&app.services.db, app.services.outbox.as_ref());
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    assert_eq!(
        entity::rewards::issue::judge_due(db, outbox, later)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        ledger(&app, &alpha, None).await["rewardTotals"]["rewards"],
        0
    );

    // A bad policy is refused field by field; agents cannot set one.
    let res = set_policy(
        &app,
        &alpha.auth(),
        json!({ "enabled": true, "thresholdSecs": 7200, "pointsPerMinute": 1,
                "couponTemplate": "<b>{code}</b>" }),
    )
    .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let fields = res["errors"][0]["extensions"]["fields"].to_string();
    assert!(
        fields.contains("thresholdSecs") && fields.contains("couponTemplate"),
        "{res}"
    );
    let (agent_token, _) = colleague(&app, &alpha).await;
    let res = set_policy(
        &app,
        &Auth::Cookie(agent_token),
        json!({ "enabled": false, "thresholdSecs": 0, "pointsPerMinute": 0 }),
    )
    .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let res = app
        .gql(
            &alpha.auth(),
            "{ rewardPolicy { enabled thresholdSecs } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["rewardPolicy"],
        json!({ "enabled": true, "thresholdSecs": 60 })
    );
    app.finish().await;
}

async fn another_business_cannot_read_or_redeem_a_reward(db: Db) {
    let app = TestApp::spawn_with(db, crate::webhooks::to_loopback).await;
    let alpha = app.sign_up("Alpha").await;
    let beta = app.sign_up("Beta").await;
    let domain = verified_domain(&app, &alpha).await;
    let hook = Receiver::start(&[], 200).await;
    let url = hook.url("/rewards");
    let (_, secret) = create_endpoint(&app, &alpha, &url, &["reward.issued"]).await;
    let beta_hook = Receiver::start(&[], 200).await;
    create_endpoint(&app, &beta, &beta_hook.url("/b"), &["reward.issued"]).await;
    let mut agent = greeted(&app, &alpha.token).await;
    set_policy(
        &app,
        &alpha.auth(),
        json!({ "enabled": true, "thresholdSecs": 0, "pointsPerMinute": 5 }),
    )
    .await;
    let token = email_caller(&app, "iso@example.org").await;
    let call_id = answered_call(&app, &token, &mut agent, &domain, Duration::from_millis(20)).await;
    assert_eq!(judged(&app, &call_id, &token).await["status"], "issued");
    let data = ledger(&app, &alpha, None).await;
    let id = data["rewards"][0]["id"].as_str().unwrap().to_owned();
    let contact = data["rewards"][0]["contactId"].as_str().unwrap().to_owned();

    // Alpha's receiver hears of it, signed; Beta's hears nothing.
    let got = hook.wait_for(1).await;
    verify(&secret, &got[0]).unwrap();
    let body = got[0].json();
    assert_eq!(body["type"], "reward.issued", "{body}");
    assert_eq!(body["data"]["id"], id.as_str());
    assert_eq!(body["data"]["points"], 5);
    assert_eq!(body["data"]["callId"], call_id.as_str());

    let (_, beta_key) = app.api_key(&beta, "beta key").await;
    for auth in [beta.auth(), Auth::Bearer(beta_key)] {
        let res = app.gql(&auth, REWARDS, json!({ "c": null })).await;
        assert_eq!(res["data"]["rewards"], json!([]), "{res}");
        assert_eq!(res["data"]["rewardTotals"]["rewards"], 0, "{res}");
        let res = app.gql(&auth, REWARDS, json!({ "c": contact })).await;
        assert_eq!(res["data"]["rewards"], json!([]), "{res}");
        let res = app
            .gql(
                &auth,
                "query($id: ID!) { reward(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
        let res = app
            .gql(&auth, REDEEM, json!({ "id": id, "k": "beta" }))
            .await;
        assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
        let res = set_policy(
            &app,
            &auth,
            json!({ "enabled": false, "thresholdSecs": 0, "pointsPerMinute": 0 }),
        )
        .await;
        assert!(res["errors"].is_null(), "Beta sets its own policy: {res}");
    }
    let (status, res) = app
        .server_fn_as(
            &beta.token,
            "redeem_reward",
            &[("id", id.as_str()), ("key", "k")],
        )
        .await;
    assert_eq!(status, 404, "{res}");
    // Alpha's reward is untouched, its policy still on.
    let data = ledger(&app, &alpha, None).await;
    assert!(data["rewards"][0]["redeemedAt"].is_null(), "{data}");
    let res = app
        .gql(&alpha.auth(), "{ rewardPolicy { enabled } }", json!({}))
        .await;
    assert_eq!(res["data"]["rewardPolicy"]["enabled"], true);
    assert!(
        beta_hook.received().is_empty(),
        "Beta heard of Alpha's reward"
    );

    // A lost job (the reward and its claim gone): the workers' sweep judges the call.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let call = uuid::Uuid::parse_str(&call_id).unwrap();
    let db = &app.services.db;
    entity::entities::reward::Entity::delete_many()
        .filter(entity::entities::reward::Column::CallId.eq(call))
        .exec(db)
        .await
        .unwrap();
    entity::entities::reward_check::Entity::delete_by_id(call)
        .exec(db)
        .await
        .unwrap();
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    let outbox = app.services.outbox.as_ref();
    assert_eq!(
        entity::rewards::issue::judge_due(db, outbox, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        entity::rewards::issue::judge_due(db, outbox, later)
            .await
            .unwrap(),
        0
    );
    let data = ledger(&app, &alpha, None).await;
    assert_eq!(data["rewardTotals"]["rewards"], 1, "{data}");
    assert_eq!(data["rewards"][0]["callId"], call_id.as_str());
    app.finish().await;
}

both_dbs!(
    a_caller_who_waited_earns_once_and_the_business_redeems_once,
    short_waits_and_calls_before_the_policy_earn_nothing,
    another_business_cannot_read_or_redeem_a_reward
);
