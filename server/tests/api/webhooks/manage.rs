//! Managing endpoints over GraphQL: who may, what is refused (with which code), the log's
//! pagination, the test-event limit, and an endpoint that answers 410 Gone.

use serde_json::json;

use super::{create_endpoint, log, send_test, to_loopback, wait_status, CREATE};
use crate::both_dbs;
use crate::helpers::{error_code, Auth, Db, TestApp};
use crate::webhooks::receiver::Receiver;
use crate::ws::colleague;

async fn owners_manage_endpoints_and_agents_cannot(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[], 200).await;
    let (id, _) = create_endpoint(
        &app,
        &owner,
        &hook.url("/a"),
        &["call.missed", "call.requested"],
    )
    .await;

    let res = app
        .gql(
            &owner.auth(),
            "{ webhookEndpoints { id url events enabled description } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["webhookEndpoints"],
        json!([{ "id": id, "url": hook.url("/a"), "events": ["CALL_REQUESTED", "CALL_MISSED"],
                 "enabled": true, "description": "" }]),
        "{res}"
    );
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false, \
             description: \"CRM\", events: [CALL_ENDED] }) { enabled description events url } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        res["data"]["updateWebhookEndpoint"],
        json!({ "enabled": false, "description": "CRM", "events": ["CALL_ENDED"], "url": hook.url("/a") }),
        "{res}"
    );

    // Agents neither read nor change endpoints.
    let (agent, _) = colleague(&app, &owner).await;
    let agent = Auth::Bearer(agent);
    for (query, vars) in [
        ("{ webhookEndpoints { id } }", json!({})),
        (
            "query($id: ID!) { webhookEndpoint(id: $id) { url } }",
            json!({ "id": id }),
        ),
        (
            CREATE,
            json!({ "i": { "url": hook.url("/b"), "events": ["CALL_ENDED"] } }),
        ),
        (
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { sendTestWebhook(id: $id) { id } }",
            json!({ "id": id }),
        ),
    ] {
        let res = app.gql(&agent, query, vars).await;
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{query}: {res}");
    }

    // Refusals say which field, with a stable code.
    for (input, field) in [
        (
            json!({ "url": "ftp://example.com/", "events": ["CALL_ENDED"] }),
            "url",
        ),
        (
            json!({ "url": "https://user:pw@example.com/", "events": ["CALL_ENDED"] }),
            "url",
        ),
        (
            json!({ "url": "https://example.com/", "events": [] }),
            "events",
        ),
        (
            json!({ "url": "https://example.com/", "events": ["CALL_ENDED"], "description": "x".repeat(201) }),
            "description",
        ),
    ] {
        let res = app.gql(&owner.auth(), CREATE, json!({ "i": input })).await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
        assert_eq!(
            res["errors"][0]["extensions"]["fields"][0]["field"], field,
            "{res}"
        );
    }
    for (query, vars) in [
        (
            "query($id: ID!) { webhookEndpoint(id: $id) { url } }",
            json!({ "id": uuid::Uuid::new_v4() }),
        ),
        (
            "query($id: ID!) { webhookEndpoint(id: $id) { url } }",
            json!({ "id": "not-an-id" }),
        ),
        (
            "mutation($id: ID!) { resendWebhookDelivery(id: $id) { id } }",
            json!({ "id": "msg_0000" }),
        ),
    ] {
        let res = app.gql(&owner.auth(), query, vars).await;
        assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    }

    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(res["data"]["deleteWebhookEndpoint"], true, "{res}");
    let res = app
        .gql(
            &owner.auth(),
            "query($id: ID!) { webhookEndpoint(id: $id) { url } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    app.finish().await;
}

async fn the_log_pages_by_cursor_and_tests_are_limited(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[], 200).await;
    // Disabled: test events still go (to try an endpoint before turning it on).
    let res = app
        .gql(
            &owner.auth(),
            CREATE,
            json!({ "i": { "url": hook.url("/in"), "events": ["CALL_ENDED"], "enabled": false } }),
        )
        .await;
    let id = res["data"]["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut sent = Vec::new();
    for _ in 0..entity::webhooks::deliveries::TESTS_PER_HOUR {
        sent.push(send_test(&app, &owner, &id).await);
    }
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { sendTestWebhook(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    assert!(
        res["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            > 0,
        "{res}"
    );
    hook.wait_for(sent.len()).await;

    const PAGE: &str = "query($id: ID!, $after: String) { webhookEndpoint(id: $id) { \
        deliveries(first: 8, after: $after) { pageInfo { hasNextPage hasPreviousPage endCursor } \
        edges { cursor node { id } } } } }";
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let res = app
            .gql(&owner.auth(), PAGE, json!({ "id": id, "after": after }))
            .await;
        let page = &res["data"]["webhookEndpoint"]["deliveries"];
        let edges = page["edges"].as_array().unwrap_or_else(|| panic!("{res}"));
        assert!(edges.len() <= 8);
        seen.extend(
            edges
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
        );
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let newest_first: Vec<String> = sent.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first, "every delivery once, newest first");
    let res = app
        .gql(
            &owner.auth(),
            PAGE.replace("first: 8", "first: 500").as_str(),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let res = app
        .gql(&owner.auth(), PAGE, json!({ "id": id, "after": "garbage" }))
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    app.finish().await;
}

async fn an_endpoint_that_answers_410_is_disabled(db: Db) {
    let app = TestApp::spawn_with(db, to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[410], 200).await;
    let (id, _) = create_endpoint(&app, &owner, &hook.url("/gone"), &["call.ended"]).await;
    let delivery = send_test(&app, &owner, &id).await;
    let d = wait_status(&app, &owner, &id, &delivery, "FAILED").await;
    assert_eq!(d["attempts"], 1, "no retry after 410: {d}");
    let res = app
        .gql(
            &owner.auth(),
            "query($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason } }",
            json!({ "id": id }),
        )
        .await;
    let endpoint = &res["data"]["webhookEndpoint"];
    assert_eq!(endpoint["enabled"], false, "{res}");
    assert!(
        endpoint["disabledReason"].as_str().unwrap().contains("410"),
        "{res}"
    );
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: true }) { enabled disabledReason } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        res["data"]["updateWebhookEndpoint"],
        json!({ "enabled": true, "disabledReason": null }),
        "{res}"
    );
    assert_eq!(log(&app, &owner, &id).await.len(), 1);
    app.finish().await;
}

both_dbs!(
    owners_manage_endpoints_and_agents_cannot,
    the_log_pages_by_cursor_and_tests_are_limited,
    an_endpoint_that_answers_410_is_disabled,
);
