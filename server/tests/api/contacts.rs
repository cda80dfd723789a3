//! CRM contacts: matched on every call request (verified domain, else email), counted off
//! the call path, shown to the ringing agent inside `incoming` (the screen pop);
//! purchases idempotent on their reference (also under concurrent identical requests);
//! the default client tiers and a tier chosen by hand; merging keeps every call, note and
//! purchase; search and filters.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, Auth, Db, Owner, TestApp};
use crate::ws::{
    caller_token, greeted, next_call, next_json, send, silent, verified_domain,
    verified_domain_with_id, Socket,
};

const RECORD_PURCHASE: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) \
    { created purchase { id contactId product amountMinor currency externalRef } } }";

const CONTACT: &str = "query($id: ID!) { contact(id: $id) { id name email phone callerDomain \
    tags clientType clientTypeOverride callCount lastContactAt purchaseTotal { amountMinor currency } \
    timeline { __typename ... on ContactCall { id } ... on ContactNote { text } \
    ... on Purchase { product externalRef } } } }";

/// Every contact of `owner`'s business (first page of 100).
pub(crate) async fn contacts(app: &TestApp, auth: &Auth, filter: Value) -> Vec<Value> {
    let res = app
        .gql(
            auth,
            "query($f: ContactFilterInput) { contacts(first: 100, filter: $f) { edges { node { \
             id name email callerDomain callCount clientType tags } } } }",
            json!({ "f": filter }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["contacts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Waits until the business has exactly one contact with `calls` calls (the records
/// writer counts calls a few milliseconds after the request); returns it.
pub(crate) async fn the_contact_with(app: &TestApp, owner: &Owner, calls: i64) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let all = contacts(app, &owner.auth(), Value::Null).await;
        if all.len() == 1 && all[0]["callCount"] == calls {
            return all[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "expected one contact with {calls} calls: {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A caller token calling as `customer`'s verified domain (a new identity each time).
async fn domain_caller(app: &TestApp, customer: &Owner, domain_id: uuid::Uuid) -> String {
    let res = app
        .gql(
            &customer.auth(),
            "mutation($id: ID!) { callAsDomain(domainId: $id) { token } }",
            json!({ "id": domain_id }),
        )
        .await;
    res["data"]["callAsDomain"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("callAsDomain: {res}"))
        .to_owned()
}

/// A guest caller token that left `email`.
pub(crate) async fn email_caller(app: &TestApp, email: &str) -> String {
    let res = app
        .gql(
            &Auth::None,
            "mutation($e: String) { startCallerSession(email: $e) { token } }",
            json!({ "e": email }),
        )
        .await;
    res["data"]["startCallerSession"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("startCallerSession: {res}"))
        .to_owned()
}

/// Caller `c` calls `domain`; returns the `incoming` agent `a` sees, after the caller
/// cancelled and both heard the end.
pub(crate) async fn rung_then_cancelled(c: &mut Socket, a: &mut Socket, domain: &str) -> Value {
    send(
        c,
        json!({ "type": "call_request", "domain": domain, "mode": "voice" }),
    )
    .await;
    assert_eq!(next_json(c).await["type"], "ringing");
    let incoming = next_call(a).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    send(c, json!({ "type": "cancel" })).await;
    assert_eq!(next_call(a).await["type"], "ended");
    assert_eq!(next_call(c).await["type"], "ended");
    incoming
}

async fn record(app: &TestApp, auth: &Auth, input: Value) -> Value {
    let res = app.gql(auth, RECORD_PURCHASE, json!({ "i": input })).await;
    assert!(res["errors"].is_null(), "recordPurchase: {res}");
    res["data"]["recordPurchase"].clone()
}

async fn a_verified_domain_calling_twice_is_one_contact_with_a_screen_pop(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let customer = app.sign_up("Customer").await;
    let (customer_domain, customer_domain_id) = verified_domain_with_id(&app, &customer).await;
    let mut agent = greeted(&app, &owner.token).await;

    // First call: nobody knows them yet — no card.
    let mut c1 = greeted(
        &app,
        &domain_caller(&app, &customer, customer_domain_id).await,
    )
    .await;
    let first = rung_then_cancelled(&mut c1, &mut agent, &domain).await;
    assert!(first.get("contact").is_none(), "{first}");
    assert_eq!(first["caller"]["verified"], true);
    let contact = the_contact_with(&app, &owner, 1).await;
    assert_eq!(contact["callerDomain"], customer_domain.as_str());
    assert_eq!(contact["name"], customer_domain.as_str());
    assert_eq!(contact["clientType"], "NEW");
    let id = contact["id"].as_str().unwrap().to_owned();

    // The business writes a note and records a purchase.
    let res = app
        .gql(
            &owner.auth(),
            "mutation($c: ID!) { addContactNote(contactId: $c, text: \"Wants the blue model\") { id } }",
            json!({ "c": id }),
        )
        .await;
    let note = res["data"]["addContactNote"]["id"].clone();
    assert!(note.is_string(), "{res}");
    record(
        &app,
        &owner.auth(),
        json!({ "contact": { "contactId": id }, "product": "Blue model", "amountMinor": 4999,
            "currency": "eur", "purchasedAt": "2026-12-01T10:00:00Z", "externalRef": "order-1" }),
    )
    .await;

    // Second call, from a new identity of the same domain: the agent sees the card as it
    // was before this call.
    let mut c2 = greeted(
        &app,
        &domain_caller(&app, &customer, customer_domain_id).await,
    )
    .await;
    let second = rung_then_cancelled(&mut c2, &mut agent, &domain).await;
    let card = &second["contact"];
    assert_eq!(card["id"], id.as_str(), "{second}");
    assert_eq!(card["name"], customer_domain.as_str());
    assert_eq!(card["call_count"], 1, "{second}");
    assert_eq!(
        card["client_type"], "repeat",
        "one call and a purchase: {second}"
    );
    assert!(card["last_contact_at"].is_string(), "{second}");
    assert_eq!(
        card["purchase_total"],
        json!({ "amount_minor": 4999, "currency": "EUR" })
    );
    assert_eq!(card["latest_purchase"]["product"], "Blue model");
    assert_eq!(card["latest_purchase"]["amount_minor"], 4999);
    assert_eq!(card["latest_note"], "Wants the blue model");
    // The caller card is unchanged beside it.
    assert_eq!(second["caller"]["name"], customer_domain.as_str());
    let contact = the_contact_with(&app, &owner, 2).await;
    assert_eq!(contact["id"], id.as_str());

    // Third call from the same identity (the directory's cached card, counted in memory).
    let third = rung_then_cancelled(&mut c2, &mut agent, &domain).await;
    assert_eq!(third["contact"]["call_count"], 2, "{third}");
    the_contact_with(&app, &owner, 3).await;

    // The timeline holds the three calls, the note and the purchase, newest first.
    let res = app.gql(&owner.auth(), CONTACT, json!({ "id": id })).await;
    let timeline = res["data"]["contact"]["timeline"]
        .as_array()
        .unwrap()
        .clone();
    let kinds: Vec<&str> = timeline
        .iter()
        .filter_map(|e| e["__typename"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "ContactCall").count(),
        3,
        "{res}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "ContactNote").count(),
        1,
        "{res}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "Purchase").count(),
        1,
        "{res}"
    );
    assert_eq!(
        kinds[0], "ContactCall",
        "the latest call comes first: {res}"
    );
    // The call log names the contact too.
    let res = app
        .gql(&owner.auth(), "{ calls { contactId } }", json!({}))
        .await;
    let linked: Vec<&Value> = res["data"]["calls"].as_array().unwrap().iter().collect();
    assert_eq!(linked.len(), 3, "{res}");
    assert!(
        linked.iter().all(|c| c["contactId"] == id.as_str()),
        "{res}"
    );

    // A rewritten note shows on the next pop at once (the cached card is dropped)…
    let res = app
        .gql(
            &owner.auth(),
            "mutation($n: ID!) { updateContactNote(id: $n, text: \"Ordered the blue model\") { text } }",
            json!({ "n": note }),
        )
        .await;
    assert_eq!(
        res["data"]["updateContactNote"]["text"], "Ordered the blue model",
        "{res}"
    );
    let fourth = rung_then_cancelled(&mut c2, &mut agent, &domain).await;
    assert_eq!(
        fourth["contact"]["latest_note"], "Ordered the blue model",
        "{fourth}"
    );
    assert_eq!(fourth["contact"]["call_count"], 3, "{fourth}");
    // …and so does a deleted one, which a colleague may not delete for its author.
    let (agent_token, _) = crate::ws::colleague(&app, &owner).await;
    let delete = "mutation($n: ID!) { deleteContactNote(id: $n) }";
    let res = app
        .gql(&Auth::Bearer(agent_token), delete, json!({ "n": note }))
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let res = app.gql(&owner.auth(), delete, json!({ "n": note })).await;
    assert_eq!(res["data"]["deleteContactNote"], true, "{res}");
    the_contact_with(&app, &owner, 4).await;
    let fifth = rung_then_cancelled(&mut c2, &mut agent, &domain).await;
    assert!(fifth["contact"].get("latest_note").is_none(), "{fifth}");
    assert_eq!(fifth["contact"]["call_count"], 4, "{fifth}");
    // Notes written after a call (the softphone's) are the latest note from then on.
    let res = app
        .gql(
            &owner.auth(),
            "mutation($c: ID!) { saveCallNotes(callId: $c, notes: \"Call back on Monday\") { id } }",
            json!({ "c": fifth["call_id"] }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let sixth = rung_then_cancelled(&mut c2, &mut agent, &domain).await;
    assert_eq!(
        sixth["contact"]["latest_note"], "Call back on Monday",
        "{sixth}"
    );
    silent(&mut agent).await;
    app.finish().await;
}

async fn a_guest_is_matched_by_email_and_a_guest_without_one_is_nobody(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent = greeted(&app, &owner.token).await;
    // No email: no contact.
    let mut anonymous = greeted(&app, &caller_token(&app).await).await;
    let incoming = rung_then_cancelled(&mut anonymous, &mut agent, &domain).await;
    assert!(incoming.get("contact").is_none(), "{incoming}");
    // The same email from two guest identities (an hour apart, say): one contact.
    let mut first = greeted(&app, &email_caller(&app, "Pat@Example.org").await).await;
    rung_then_cancelled(&mut first, &mut agent, &domain).await;
    the_contact_with(&app, &owner, 1).await;
    let mut c = greeted(&app, &email_caller(&app, "pat@example.org").await).await;
    let second = rung_then_cancelled(&mut c, &mut agent, &domain).await;
    assert_eq!(second["contact"]["call_count"], 1, "{second}");
    let contact = the_contact_with(&app, &owner, 2).await;
    assert_eq!(contact["email"], "pat@example.org");
    assert_eq!(contact["clientType"], "REPEAT");

    // The business's own thresholds: premium from two calls. The card the directory holds
    // for this caller follows at once.
    let rules = "mutation($i: ClientTypeRulesInput!) { setClientTypeRules(input: $i) { repeatCalls premiumCalls premiumTotalMinor } }";
    let res = app
        .gql(
            &owner.auth(),
            rules,
            json!({ "i": { "repeatCalls": 1, "premiumCalls": 2, "premiumTotalMinor": 5000 } }),
        )
        .await;
    assert_eq!(
        res["data"]["setClientTypeRules"]["premiumCalls"], 2,
        "{res}"
    );
    let third = rung_then_cancelled(&mut c, &mut agent, &domain).await;
    assert_eq!(third["contact"]["client_type"], "premium", "{third}");
    assert_eq!(third["contact"]["call_count"], 2, "{third}");
    let contact = the_contact_with(&app, &owner, 3).await;
    assert_eq!(contact["clientType"], "PREMIUM");
    let res = app
        .gql(
            &owner.auth(),
            "{ clientTypeRules { repeatCalls premiumCalls premiumTotalMinor } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["clientTypeRules"],
        json!({ "repeatCalls": 1, "premiumCalls": 2, "premiumTotalMinor": 5000 })
    );
    let res = app
        .gql(
            &owner.auth(),
            rules,
            json!({ "i": { "repeatCalls": 3, "premiumCalls": 2, "premiumTotalMinor": 5000 } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    // The anonymous caller left nothing behind, even after calling again.
    let incoming = rung_then_cancelled(&mut anonymous, &mut agent, &domain).await;
    assert!(incoming.get("contact").is_none(), "{incoming}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(contacts(&app, &owner.auth(), Value::Null).await.len(), 1);
    silent(&mut agent).await;
    app.finish().await;
}

async fn recording_a_purchase_twice_returns_the_first(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let (_, key) = app.api_key(&owner, "shop").await;
    let api = Auth::Bearer(key);
    let input = |amount: i64, reference: &str| {
        json!({ "contact": { "email": "buyer@example.org" }, "product": "Boiler service",
            "amountMinor": amount, "currency": "EUR", "purchasedAt": "2026-12-01T10:00:00Z",
            "externalRef": reference })
    };
    let first = record(&app, &api, input(15000, "inv-1")).await;
    assert_eq!(first["created"], true);
    // Again, even with other details: the first purchase, nothing changed.
    let again = record(&app, &api, input(99, "inv-1")).await;
    assert_eq!(again["created"], false);
    assert_eq!(again["purchase"], first["purchase"]);

    // Identical requests at once: one purchase, and every answer is that purchase.
    let racing = input(2500, "inv-2");
    let (r1, r2, r3, r4, r5) = tokio::join!(
        record(&app, &api, racing.clone()),
        record(&app, &api, racing.clone()),
        record(&app, &api, racing.clone()),
        record(&app, &api, racing.clone()),
        record(&app, &api, racing.clone()),
    );
    let all = [r1, r2, r3, r4, r5];
    assert_eq!(
        all.iter().filter(|r| r["created"] == true).count(),
        1,
        "{all:?}"
    );
    assert!(
        all.iter().all(|r| r["purchase"] == all[0]["purchase"]),
        "{all:?}"
    );
    // Racing purchases for a new email make one contact, too.
    let new_buyer = |n: i64| {
        json!({ "contact": { "email": "new@example.org" }, "product": "Filter",
            "amountMinor": n, "currency": "EUR", "purchasedAt": "2026-12-02T10:00:00Z",
            "externalRef": "inv-3" })
    };
    let (n1, n2, n3) = tokio::join!(
        record(&app, &api, new_buyer(1)),
        record(&app, &api, new_buyer(1)),
        record(&app, &api, new_buyer(1)),
    );
    assert_eq!(n1["purchase"], n2["purchase"]);
    assert_eq!(n2["purchase"], n3["purchase"]);

    let list = contacts(&app, &api, Value::Null).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let buyer = first["purchase"]["contactId"].clone();
    let res = app.gql(&api, CONTACT, json!({ "id": buyer })).await;
    let c = &res["data"]["contact"];
    assert_eq!(
        c["purchaseTotal"],
        json!({ "amountMinor": 17500, "currency": "EUR" }),
        "{res}"
    );
    assert_eq!(c["timeline"].as_array().map(Vec::len), Some(2), "{res}");

    // Refusals carry codes and fields.
    let res = app
        .gql(
            &api,
            RECORD_PURCHASE,
            json!({ "i": { "contact": { "email": "buyer@example.org" }, "product": " ",
                "amountMinor": -5, "currency": "EURO", "purchasedAt": "2026-12-01T10:00:00Z",
                "externalRef": "inv-9" } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let fields: Vec<&str> = res["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["product", "currency", "amountMinor"], "{res}");
    let res = app
        .gql(
            &api,
            RECORD_PURCHASE,
            json!({ "i": { "contact": { "contactId": uuid::Uuid::new_v4() }, "product": "x",
                "amountMinor": 1, "currency": "EUR", "purchasedAt": "2026-12-01T10:00:00Z",
                "externalRef": "inv-10" } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    app.finish().await;
}

async fn client_types_follow_the_rules_unless_chosen(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let auth = owner.auth();
    let small = record(
        &app,
        &auth,
        json!({ "contact": { "email": "pat@example.org" }, "product": "Filter",
            "amountMinor": 900, "currency": "EUR", "purchasedAt": "2026-12-01T10:00:00Z",
            "externalRef": "a" }),
    )
    .await;
    let id = small["purchase"]["contactId"].clone();
    let tier = |res: &Value| res["data"]["contact"]["clientType"].clone();
    let res = app.gql(&auth, CONTACT, json!({ "id": id })).await;
    assert_eq!(tier(&res), "REPEAT", "a purchase: {res}");
    // Purchases in another currency do not add up to premium…
    record(
        &app,
        &auth,
        json!({ "contact": { "contactId": id }, "product": "Boiler", "amountMinor": 99_500,
            "currency": "USD", "purchasedAt": "2026-12-02T10:00:00Z", "externalRef": "b" }),
    )
    .await;
    let res = app.gql(&auth, CONTACT, json!({ "id": id })).await;
    assert_eq!(tier(&res), "REPEAT", "{res}");
    // …the main currency's total does.
    record(
        &app,
        &auth,
        json!({ "contact": { "contactId": id }, "product": "Boiler", "amountMinor": 99_100,
            "currency": "EUR", "purchasedAt": "2026-12-03T10:00:00Z", "externalRef": "c" }),
    )
    .await;
    let res = app.gql(&auth, CONTACT, json!({ "id": id })).await;
    assert_eq!(tier(&res), "PREMIUM", "{res}");
    assert_eq!(
        res["data"]["contact"]["purchaseTotal"],
        json!({ "amountMinor": 100_000, "currency": "EUR" })
    );
    // Chosen by hand, and back to the rules.
    let update = "mutation($i: UpdateContactInput!) { updateContact(input: $i) { clientType clientTypeOverride tags phone } }";
    let res = app
        .gql(
            &auth,
            update,
            json!({ "i": { "id": id, "clientType": "NEW", "tags": ["VIP", " wholesale ", "vip"], "phone": "+49 30 1234" } }),
        )
        .await;
    let c = &res["data"]["updateContact"];
    assert_eq!(c["clientType"], "NEW", "{res}");
    assert_eq!(c["clientTypeOverride"], "NEW");
    assert_eq!(c["tags"], json!(["vip", "wholesale"]));
    let by_type = contacts(&app, &auth, json!({ "clientType": "NEW" })).await;
    assert_eq!(by_type.len(), 1);
    assert!(contacts(&app, &auth, json!({ "clientType": "PREMIUM" }))
        .await
        .is_empty());
    let res = app
        .gql(
            &auth,
            update,
            json!({ "i": { "id": id, "clearClientType": true } }),
        )
        .await;
    assert_eq!(
        res["data"]["updateContact"]["clientType"], "PREMIUM",
        "{res}"
    );
    assert!(res["data"]["updateContact"]["clientTypeOverride"].is_null());
    // Search by tag, email part and case; filters by last contact.
    for search in ["VIP", "PAT@", "example.ORG"] {
        let found = contacts(&app, &auth, json!({ "search": search })).await;
        assert_eq!(found.len(), 1, "{search}");
    }
    assert!(
        contacts(&app, &auth, json!({ "search": "vi" }))
            .await
            .is_empty(),
        "tags match whole"
    );
    assert!(
        contacts(&app, &auth, json!({ "search": "%" }))
            .await
            .is_empty(),
        "% is literal"
    );
    assert_eq!(
        contacts(&app, &auth, json!({ "tag": "Wholesale" }))
            .await
            .len(),
        1
    );
    assert!(
        contacts(
            &app,
            &auth,
            json!({ "lastContactAfter": "2020-01-01T00:00:00Z" })
        )
        .await
        .is_empty(),
        "never called"
    );
    // An agent may not choose a tier.
    let (agent_token, _) = crate::ws::colleague(&app, &owner).await;
    let agent = Auth::Bearer(agent_token);
    let res = app
        .gql(
            &agent,
            update,
            json!({ "i": { "id": id, "clientType": "PREMIUM" } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let res = app
        .gql(
            &agent,
            "mutation { setClientTypeRules(input: { repeatCalls: 1, premiumCalls: 1, premiumTotalMinor: 1 }) { premiumCalls } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    // …but may edit the rest.
    let res = app
        .gql(&agent, update, json!({ "i": { "id": id, "phone": "" } }))
        .await;
    assert!(res["data"]["updateContact"]["phone"].is_null(), "{res}");
    app.finish().await;
}

async fn merging_keeps_every_call_note_and_purchase(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let auth = owner.auth();
    let domain = verified_domain(&app, &owner).await;
    let mut agent = greeted(&app, &owner.token).await;
    // Two contacts, each with a call, a note and a purchase.
    let mut ids = Vec::new();
    for (n, email) in ["one@example.org", "two@example.org"].iter().enumerate() {
        let mut c = greeted(&app, &email_caller(&app, email).await).await;
        rung_then_cancelled(&mut c, &mut agent, &domain).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let id = loop {
            let found = contacts(&app, &auth, json!({ "search": email })).await;
            if let Some(c) = found.first().filter(|c| c["callCount"] == 1) {
                break c["id"].clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{email} never counted"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        app.gql(
            &auth,
            "mutation($c: ID!, $t: String!) { addContactNote(contactId: $c, text: $t) { id } }",
            json!({ "c": id, "t": format!("note {n}") }),
        )
        .await;
        record(
            &app,
            &auth,
            json!({ "contact": { "contactId": id }, "product": format!("product {n}"),
                "amountMinor": 100, "currency": "EUR", "purchasedAt": "2026-12-01T10:00:00Z",
                "externalRef": format!("ref-{n}") }),
        )
        .await;
        ids.push(id);
    }
    app.gql(
        &auth,
        "mutation($i: UpdateContactInput!) { updateContact(input: $i) { id } }",
        json!({ "i": { "id": ids[1], "phone": "+1 555 0100", "tags": ["late"] } }),
    )
    .await;
    // Two contacts cannot share an email: merge them instead.
    let res = app
        .gql(
            &auth,
            "mutation($i: UpdateContactInput!) { updateContact(input: $i) { id } }",
            json!({ "i": { "id": ids[1], "email": "ONE@example.org" } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");
    let res = app
        .gql(
            &auth,
            "mutation($a: ID!, $b: ID!) { mergeContacts(into: $a, from: $b) { id email phone tags callCount } }",
            json!({ "a": ids[0], "b": ids[1] }),
        )
        .await;
    let merged = &res["data"]["mergeContacts"];
    assert_eq!(merged["email"], "one@example.org", "{res}");
    assert_eq!(merged["phone"], "+1 555 0100", "blank filled: {res}");
    assert_eq!(merged["tags"], json!(["late"]));
    assert_eq!(merged["callCount"], 2);
    let res = app.gql(&auth, CONTACT, json!({ "id": ids[0] })).await;
    let timeline = res["data"]["contact"]["timeline"].as_array().unwrap();
    let count = |kind: &str| timeline.iter().filter(|e| e["__typename"] == kind).count();
    assert_eq!(
        (
            count("ContactCall"),
            count("ContactNote"),
            count("Purchase")
        ),
        (2, 2, 2),
        "{res}"
    );
    let res = app.gql(&auth, CONTACT, json!({ "id": ids[1] })).await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    assert_eq!(contacts(&app, &auth, Value::Null).await.len(), 1);
    // The next call from the kept email shows the merged card.
    let mut c = greeted(&app, &email_caller(&app, "one@example.org").await).await;
    let incoming = rung_then_cancelled(&mut c, &mut agent, &domain).await;
    assert_eq!(incoming["contact"]["id"], ids[0], "{incoming}");
    assert_eq!(incoming["contact"]["call_count"], 2, "{incoming}");
    // Merging a contact with itself is refused.
    let res = app
        .gql(
            &auth,
            "mutation($a: ID!) { mergeContacts(into: $a, from: $a) { id } }",
            json!({ "a": ids[0] }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    app.finish().await;
}

async fn contacts_page_with_cursors(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    for n in 0..5 {
        record(
            &app,
            &owner.auth(),
            json!({ "contact": { "email": format!("c{n}@example.org") }, "product": "x",
                "amountMinor": 1, "currency": "EUR", "purchasedAt": "2026-12-01T10:00:00Z",
                "externalRef": format!("r{n}") }),
        )
        .await;
    }
    let page =
        "query($a: String) { contacts(first: 2, after: $a) { edges { cursor node { email } } \
        pageInfo { hasNextPage endCursor } } }";
    let mut after = Value::Null;
    let mut seen = Vec::new();
    loop {
        let res = app.gql(&owner.auth(), page, json!({ "a": after })).await;
        let c = &res["data"]["contacts"];
        for e in c["edges"].as_array().unwrap() {
            seen.push(e["node"]["email"].as_str().unwrap().to_owned());
        }
        if c["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    // Newest first, each once.
    assert_eq!(
        seen,
        ["c4", "c3", "c2", "c1", "c0"].map(|c| format!("{c}@example.org"))
    );
    let res = app
        .gql(
            &owner.auth(),
            "{ contacts(first: 101) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    app.finish().await;
}

both_dbs!(
    a_verified_domain_calling_twice_is_one_contact_with_a_screen_pop,
    a_guest_is_matched_by_email_and_a_guest_without_one_is_nobody,
    recording_a_purchase_twice_returns_the_first,
    client_types_follow_the_rules_unless_chosen,
    merging_keeps_every_call_note_and_purchase,
    contacts_page_with_cursors,
);

async fn crm_changes_reach_webhooks(db: Db) {
    use crate::webhooks::receiver::{verify, Receiver};
    let app = TestApp::spawn_with(db, crate::webhooks::to_loopback).await;
    let owner = app.sign_up("Alpha").await;
    let hook = Receiver::start(&[], 200).await;
    let (_, secret) = crate::webhooks::create_endpoint(
        &app,
        &owner,
        &hook.url("/crm"),
        &["contact.created", "contact.updated", "purchase.recorded"],
    )
    .await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent = greeted(&app, &owner.token).await;
    let mut c = greeted(&app, &email_caller(&app, "pat@example.org").await).await;
    rung_then_cancelled(&mut c, &mut agent, &domain).await;
    let got = hook.wait_for(1).await;
    verify(&secret, &got[0]).unwrap();
    let created = got[0].json();
    assert_eq!(created["type"], "contact.created", "{created}");
    assert_eq!(created["data"]["email"], "pat@example.org", "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_owned();

    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { updateContact(input: { id: $id, name: \"Pat Kim\" }) { name } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(res["data"]["updateContact"]["name"], "Pat Kim", "{res}");
    let purchase = json!({ "contact": { "contactId": id }, "product": "Filter",
        "amountMinor": 900, "currency": "EUR", "purchasedAt": "2026-12-01T10:00:00Z",
        "externalRef": "inv-7" });
    record(&app, &owner.auth(), purchase.clone()).await;
    // Recorded again: nothing new happened, so nothing is announced.
    assert_eq!(
        record(&app, &owner.auth(), purchase).await["created"],
        false
    );
    let got = hook.wait_for(3).await;
    let types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(types.contains(&"contact.updated".to_owned()), "{types:?}");
    assert!(types.contains(&"purchase.recorded".to_owned()), "{types:?}");
    let recorded = got
        .iter()
        .map(|r| r.json())
        .find(|b| b["type"] == "purchase.recorded")
        .unwrap();
    assert_eq!(recorded["data"]["external_ref"], "inv-7", "{recorded}");
    assert_eq!(recorded["data"]["contact_id"], id.as_str());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hook.received().len(), 3, "one delivery per change");
    app.finish().await;
}

both_dbs!(crm_changes_reach_webhooks);
