//! Tenants are walls: business B's user and B's API key, handed business A's ids, get
//! NOT_FOUND or FORBIDDEN from every field and leak nothing. Table-driven: every new
//! field joins `cases`.

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, link_in, Auth, Db, TestApp};

const RECORD_PURCHASE: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) \
    { created purchase { id contactId product externalRef } } }";

struct Case {
    name: &'static str,
    query: &'static str,
    vars: Value,
}

async fn business_b_cannot_touch_business_a(db: Db) {
    let app = TestApp::spawn(db).await;
    // Business A: an owner, an agent, an API key, a pending invitation.
    let a = app.sign_up("Alpha").await;
    let agent_email = format!("a-agent-{}@example.com", uuid::Uuid::new_v4().simple());
    app.gql(
        &a.auth(),
        "mutation($e: String!) { inviteMember(email: $e, role: AGENT) { id } }",
        json!({ "e": agent_email }),
    )
    .await;
    let t = link_in(&app.wait_for_mail(&agent_email).await, "/invite/")
        .trim_start_matches("/invite/")
        .to_owned();
    let res = app.gql(&Auth::None, "mutation($t: String!) { acceptInvitation(token: $t, password: \"agent password 1\") { userId } }", json!({ "t": t })).await;
    let a_agent = res["data"]["acceptInvitation"]["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (a_key_id, _) = app.api_key(&a, "alpha key").await;
    let res = app
        .gql(
            &a.auth(),
            "mutation { inviteMember(email: \"pending@alpha.test\", role: ADMIN) { id } }",
            json!({}),
        )
        .await;
    let a_invitation = res["data"]["inviteMember"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = app
        .gql(
            &a.auth(),
            "mutation { addDomain(name: \"alpha-shop.example\") { id } }",
            json!({}),
        )
        .await;
    let a_domain = res["data"]["addDomain"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("addDomain: {res}"))
        .to_owned();

    // Routing setup of A: a team with the agent, an intent routed to it.
    let res = app
        .gql(
            &a.auth(),
            "mutation { createTeam(input: { name: \"Alpha desk\" }) { id } }",
            json!({}),
        )
        .await;
    let a_team = res["data"]["createTeam"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createTeam: {res}"))
        .to_owned();
    app.gql(
        &a.auth(),
        "mutation($id: ID!, $u: [ID!]!) { setTeamMembers(id: $id, userIds: $u) { id } }",
        json!({ "id": a_team, "u": [a_agent] }),
    )
    .await;
    let res = app
        .gql(
            &a.auth(),
            "mutation($t: ID!) { createIntent(label: \"Alpha order\", target: { kind: TEAM, teamId: $t }) { id } }",
            json!({ "t": a_team }),
        )
        .await;
    let a_intent = res["data"]["createIntent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createIntent: {res}"))
        .to_owned();

    // A webhook endpoint of A and a delivery in its log.
    let res = app
        .gql(
            &a.auth(),
            "mutation { createWebhookEndpoint(input: { url: \"https://hooks.alpha-shop.example/in\", \
             events: [CALL_ENDED] }) { endpoint { id } } }",
            json!({}),
        )
        .await;
    let a_endpoint = res["data"]["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createWebhookEndpoint: {res}"))
        .to_owned();
    let res = app
        .gql(
            &a.auth(),
            "mutation($id: ID!) { sendTestWebhook(id: $id) { id } }",
            json!({ "id": a_endpoint }),
        )
        .await;
    let a_delivery = res["data"]["sendTestWebhook"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("sendTestWebhook: {res}"))
        .to_owned();
    // Schedules of A: business hours, the team's own, a holiday, both out-of-office switches.
    for input in [
        json!({ "timeZone": "Europe/Berlin", "monday": "09:00-17:00" }),
        json!({ "teamId": a_team, "timeZone": "America/New_York", "monday": "18:00-23:00" }),
    ] {
        let res = app
            .gql(
                &a.auth(),
                "mutation($i: OpeningHoursInput!) { setOpeningHours(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        assert!(res["errors"].is_null(), "setOpeningHours: {res}");
    }
    let res = app
        .gql(
            &a.auth(),
            "mutation { setDateOverride(input: { date: \"2030-12-25\", name: \"Alpha Christmas\" }) { id } }",
            json!({}),
        )
        .await;
    let a_override = res["data"]["setDateOverride"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("setDateOverride: {res}"))
        .to_owned();
    for user in [Value::Null, json!(a_agent)] {
        let res = app
            .gql(
                &a.auth(),
                "mutation($u: ID) { setOutOfOffice(input: { userId: $u, enabled: true, message: \"Alpha is away\" }) { active } }",
                json!({ "u": user }),
            )
            .await;
        assert_eq!(res["data"]["setOutOfOffice"]["active"], true, "{res}");
    }

    // Contacts of A: two, each with a purchase, one with a note.
    let mut a_contacts = Vec::new();
    for (email, reference) in [
        ("buyer@alpha-shop.example", "alpha-order-1"),
        ("other@alpha-shop.example", "alpha-order-2"),
    ] {
        let res = app
            .gql(
                &a.auth(),
                RECORD_PURCHASE,
                json!({ "i": { "contact": { "email": email }, "product": "Alpha widget",
                    "amountMinor": 1200, "currency": "EUR",
                    "purchasedAt": "2026-12-01T10:00:00Z", "externalRef": reference } }),
            )
            .await;
        let contact = res["data"]["recordPurchase"]["purchase"]["contactId"]
            .as_str()
            .unwrap_or_else(|| panic!("recordPurchase: {res}"))
            .to_owned();
        a_contacts.push(contact);
    }
    let a_contact = a_contacts[0].clone();
    let res = app
        .gql(
            &a.auth(),
            "mutation($c: ID!) { addContactNote(contactId: $c, text: \"Alpha note\") { id } }",
            json!({ "c": a_contact }),
        )
        .await;
    let a_note = res["data"]["addContactNote"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("addContactNote: {res}"))
        .to_owned();

    // Business B: an owner and an API key, and a contact of its own.
    let b = app.sign_up("Beta").await;
    let (_, b_key) = app.api_key(&b, "beta key").await;
    let res = app
        .gql(
            &b.auth(),
            RECORD_PURCHASE,
            json!({ "i": { "contact": { "email": "buyer@beta.example" }, "product": "Beta thing",
                "amountMinor": 100, "currency": "USD",
                "purchasedAt": "2026-12-01T10:00:00Z", "externalRef": "beta-order-1" } }),
        )
        .await;
    let b_contact = res["data"]["recordPurchase"]["purchase"]["contactId"]
        .as_str()
        .unwrap_or_else(|| panic!("recordPurchase: {res}"))
        .to_owned();

    let cases = [
        Case {
            name: "revokeApiKey",
            query: "mutation($id: ID!) { revokeApiKey(id: $id) { id revoked } }",
            vars: json!({ "id": a_key_id }),
        },
        Case {
            name: "revokeInvitation",
            query: "mutation($id: ID!) { revokeInvitation(id: $id) }",
            vars: json!({ "id": a_invitation }),
        },
        Case {
            name: "resendInvitation",
            query: "mutation($id: ID!) { resendInvitation(id: $id) { id email } }",
            vars: json!({ "id": a_invitation }),
        },
        Case {
            name: "removeMember",
            query: "mutation($id: ID!) { removeMember(userId: $id) }",
            vars: json!({ "id": a_agent }),
        },
        Case {
            name: "removeMember(owner)",
            query: "mutation($id: ID!) { removeMember(userId: $id) }",
            vars: json!({ "id": a.user_id }),
        },
        Case {
            name: "setMemberRole",
            query: "mutation($id: ID!) { setMemberRole(userId: $id, role: OWNER) { email } }",
            vars: json!({ "id": a_agent }),
        },
        Case {
            name: "verifyDomain",
            query: "mutation($id: ID!) { verifyDomain(id: $id) { verified domain { name } } }",
            vars: json!({ "id": a_domain }),
        },
        Case {
            name: "removeDomain",
            query: "mutation($id: ID!) { removeDomain(id: $id) }",
            vars: json!({ "id": a_domain }),
        },
        Case {
            name: "callAsDomain",
            query: "mutation($id: ID!) { callAsDomain(domainId: $id) { token } }",
            vars: json!({ "id": a_domain }),
        },
        Case {
            name: "updateIntent",
            query: "mutation($id: ID!) { updateIntent(id: $id, label: \"Mine\") { label } }",
            vars: json!({ "id": a_intent }),
        },
        Case {
            name: "deleteIntent",
            query: "mutation($id: ID!) { deleteIntent(id: $id) }",
            vars: json!({ "id": a_intent }),
        },
        Case {
            name: "callbackSlots(A's intent)",
            query: "query($id: ID!) { callbackSlots(intentId: $id) { date slots { start } } }",
            vars: json!({ "id": a_intent }),
        },
        Case {
            name: "reorderIntents",
            query: "mutation($id: ID!) { reorderIntents(ids: [$id]) { label } }",
            vars: json!({ "id": a_intent }),
        },
        Case {
            name: "createIntent(A's team)",
            query: "mutation($t: ID!) { createIntent(label: \"Mine\", target: { kind: TEAM, teamId: $t }) { id } }",
            vars: json!({ "t": a_team }),
        },
        Case {
            name: "createIntent(A's agent)",
            query: "mutation($u: ID!) { createIntent(label: \"Mine\", target: { kind: MEMBER, userId: $u }) { id } }",
            vars: json!({ "u": a_agent }),
        },
        Case {
            name: "updateTeam",
            query: "mutation($id: ID!) { updateTeam(id: $id, input: { name: \"Mine\" }) { name } }",
            vars: json!({ "id": a_team }),
        },
        Case {
            name: "deleteTeam",
            query: "mutation($id: ID!) { deleteTeam(id: $id) }",
            vars: json!({ "id": a_team }),
        },
        Case {
            name: "setTeamMembers",
            query: "mutation($id: ID!) { setTeamMembers(id: $id, userIds: []) { name } }",
            vars: json!({ "id": a_team }),
        },
        Case {
            name: "createTeam(A's fallback)",
            query: "mutation($f: ID!) { createTeam(input: { name: \"Mine\", fallbackTeamId: $f }) { id } }",
            vars: json!({ "f": a_team }),
        },
        Case {
            name: "webhookEndpoint",
            query: "query($id: ID!) { webhookEndpoint(id: $id) { url } }",
            vars: json!({ "id": a_endpoint }),
        },
        Case {
            name: "webhookEndpoint.deliveries",
            query: "query($id: ID!) { webhookEndpoint(id: $id) { deliveries { edges { node { payload } } } } }",
            vars: json!({ "id": a_endpoint }),
        },
        Case {
            name: "updateWebhookEndpoint",
            query: "mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { url: \"https://beta.example/\", enabled: false }) { url } }",
            vars: json!({ "id": a_endpoint }),
        },
        Case {
            name: "deleteWebhookEndpoint",
            query: "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            vars: json!({ "id": a_endpoint }),
        },
        Case {
            name: "rotateWebhookSecret",
            query: "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
            vars: json!({ "id": a_endpoint }),
        },
        Case {
            name: "sendTestWebhook",
            query: "mutation($id: ID!) { sendTestWebhook(id: $id) { id } }",
            vars: json!({ "id": a_endpoint }),
        },
        Case {
            name: "resendWebhookDelivery",
            query: "mutation($id: ID!) { resendWebhookDelivery(id: $id) { id payload } }",
            vars: json!({ "id": a_delivery }),
        },
        Case {
            name: "setOpeningHours(A's team)",
            query: "mutation($t: ID!) { setOpeningHours(input: { teamId: $t, timeZone: \"UTC\" }) { id } }",
            vars: json!({ "t": a_team }),
        },
        Case {
            name: "clearTeamOpeningHours",
            query: "mutation($t: ID!) { clearTeamOpeningHours(teamId: $t) }",
            vars: json!({ "t": a_team }),
        },
        Case {
            name: "setDateOverride(A's team)",
            query: "mutation($t: ID!) { setDateOverride(input: { teamId: $t, date: \"2030-12-26\" }) { id } }",
            vars: json!({ "t": a_team }),
        },
        Case {
            name: "removeDateOverride",
            query: "mutation($id: ID!) { removeDateOverride(id: $id) }",
            vars: json!({ "id": a_override }),
        },
        Case {
            name: "importHolidays(A's team)",
            query: "mutation($t: ID!) { importHolidays(teamId: $t, text: \"2030-12-26 Mine\") { added } }",
            vars: json!({ "t": a_team }),
        },
        Case {
            name: "setOutOfOffice(A's agent)",
            query: "mutation($u: ID!) { setOutOfOffice(input: { userId: $u, enabled: false }) { message } }",
            vars: json!({ "u": a_agent }),
        },
        Case {
            name: "openingStatus(A's team)",
            query: "query($t: ID!) { openingStatus(teamId: $t) { state timeZone } }",
            vars: json!({ "t": a_team }),
        },
        Case {
            name: "contact",
            query: "query($id: ID!) { contact(id: $id) { name email } }",
            vars: json!({ "id": a_contact }),
        },
        Case {
            name: "contact.timeline",
            query: "query($id: ID!) { contact(id: $id) { timeline { __typename } notes { text } purchases { product } } }",
            vars: json!({ "id": a_contact }),
        },
        Case {
            name: "updateContact",
            query: "mutation($id: ID!) { updateContact(input: { id: $id, name: \"Mine\" }) { name } }",
            vars: json!({ "id": a_contact }),
        },
        Case {
            name: "mergeContacts(A's into A's)",
            query: "mutation($a: ID!, $b: ID!) { mergeContacts(into: $a, from: $b) { name } }",
            vars: json!({ "a": a_contact, "b": a_contacts[1] }),
        },
        Case {
            name: "mergeContacts(A's into B's)",
            query: "mutation($a: ID!, $b: ID!) { mergeContacts(into: $b, from: $a) { name } }",
            vars: json!({ "a": a_contact, "b": b_contact }),
        },
        Case {
            name: "addContactNote",
            query: "mutation($id: ID!) { addContactNote(contactId: $id, text: \"Mine\") { id } }",
            vars: json!({ "id": a_contact }),
        },
        Case {
            name: "updateContactNote",
            query: "mutation($id: ID!) { updateContactNote(id: $id, text: \"Mine\") { text } }",
            vars: json!({ "id": a_note }),
        },
        Case {
            name: "deleteContactNote",
            query: "mutation($id: ID!) { deleteContactNote(id: $id) }",
            vars: json!({ "id": a_note }),
        },
        Case {
            name: "recordPurchase(A's contact)",
            query: RECORD_PURCHASE,
            vars: json!({ "i": { "contact": { "contactId": a_contact }, "product": "Mine",
                "amountMinor": 1, "currency": "EUR", "purchasedAt": "2026-12-02T10:00:00Z",
                "externalRef": "beta-into-alpha" } }),
        },
        Case {
            name: "switchBusiness",
            query: "mutation($id: ID!) { switchBusiness(businessId: $id) { name } }",
            vars: json!({ "id": a.business_id }),
        },
    ];
    let b_session = b.auth();
    let b_api = Auth::Bearer(b_key);
    for auth in [&b_session, &b_api] {
        for case in &cases {
            let res = app.gql(auth, case.query, case.vars.clone()).await;
            let code = error_code(&res);
            assert!(
                matches!(code, Some("NOT_FOUND" | "FORBIDDEN")),
                "{} via {auth:?}: {res}",
                case.name
            );
            assert!(res["data"].is_null(), "{} leaked: {res}", case.name);
            let text = res.to_string();
            assert!(
                !text.contains("Alpha") && !text.contains(&agent_email),
                "{} leaked: {res}",
                case.name
            );
        }
        // Lists only ever show B's own rows.
        let res = app
            .gql(
                auth,
                "query($d: ID!) { business { name } members { email } invitations { email } \
                 apiKeys { name } domains { name } domain(id: $d) { name } \
                 intents { label } teams { name members { email } } webhookEndpoints { url } }",
                json!({ "d": a_domain }),
            )
            .await;
        assert_eq!(res["data"]["business"]["name"], "Beta", "{res}");
        assert_eq!(res["data"]["webhookEndpoints"], json!([]), "{res}");
        assert_eq!(res["data"]["domains"], json!([]), "{res}");
        assert_eq!(res["data"]["intents"], json!([]), "{res}");
        assert_eq!(res["data"]["teams"], json!([]), "{res}");
        assert!(res["data"]["domain"].is_null(), "{res}");
        let text = res.to_string();
        assert!(
            !text.contains("Alpha") && !text.contains("alpha") && !text.contains(&agent_email),
            "{res}"
        );
        let res = app
            .gql(
                auth,
                "{ schedules { business { id timeZone overrides { name } } teams { teamName } \
                 businessOutOfOffice { active message } membersOutOfOffice { email message } \
                 now { state timeZone } } }",
                json!({}),
            )
            .await;
        let s = &res["data"]["schedules"];
        assert!(s["business"].is_null(), "{res}");
        // Contacts, notes and purchases: B sees only its own, by search or not, and A's
        // purchase references are not B's (recording one creates B's own purchase).
        for search in [Value::Null, json!("alpha"), json!("buyer")] {
            let res = app
                .gql(
                    auth,
                    "query($s: String) { contacts(filter: { search: $s }) { edges { node { id name email \
                     notes { text } purchases { product externalRef } } } } }",
                    json!({ "s": search }),
                )
                .await;
            let edges = res["data"]["contacts"]["edges"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(res["errors"].is_null(), "{res}");
            assert!(
                edges.iter().all(|e| e["node"]["id"] == json!(b_contact)),
                "{res}"
            );
            let text = res.to_string();
            assert!(!text.contains("Alpha") && !text.contains("alpha"), "{res}");
        }

        assert_eq!(s["teams"], json!([]), "{res}");
        assert_eq!(
            s["businessOutOfOffice"],
            json!({ "active": false, "message": "" }),
            "{res}"
        );
        assert_eq!(
            s["now"],
            json!({ "state": "OPEN", "timeZone": "UTC" }),
            "{res}"
        );
        let text = res.to_string();
        assert!(
            !text.contains("Alpha")
                && !text.contains("alpha")
                && !text.contains(&agent_email)
                && !text.contains(&a.email),
            "{res}"
        );
    }
    // A's purchase reference means nothing to B: B records its own purchase.
    let res = app
        .gql(
            &b.auth(),
            RECORD_PURCHASE,
            json!({ "i": { "contact": { "contactId": b_contact }, "product": "Beta gadget",
                "amountMinor": 5, "currency": "USD", "purchasedAt": "2026-12-02T10:00:00Z",
                "externalRef": "alpha-order-1" } }),
        )
        .await;
    let recorded = &res["data"]["recordPurchase"];
    assert_eq!(recorded["created"], true, "{res}");
    assert_eq!(recorded["purchase"]["product"], "Beta gadget", "{res}");
    assert_eq!(recorded["purchase"]["contactId"], json!(b_contact), "{res}");
    // B's tier thresholds are B's alone.
    let res = app
        .gql(
            &b_api,
            "mutation { setClientTypeRules(input: { repeatCalls: 1, premiumCalls: 1, premiumTotalMinor: 1 }) { premiumCalls } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["setClientTypeRules"]["premiumCalls"], 1,
        "{res}"
    );
    let res = app
        .gql(&a.auth(), "{ clientTypeRules { premiumCalls } }", json!({}))
        .await;
    assert_eq!(res["data"]["clientTypeRules"]["premiumCalls"], 10, "{res}");
    // And A's contacts are as A left them.
    for (id, purchases) in [(&a_contact, 1), (&a_contacts[1], 1)] {
        let res = app
            .gql(
                &a.auth(),
                "query($id: ID!) { contact(id: $id) { name purchases { product } notes { text } } }",
                json!({ "id": id }),
            )
            .await;
        let c = &res["data"]["contact"];
        assert!(
            c["name"].as_str().is_some_and(|n| n.contains("alpha-shop")),
            "{res}"
        );
        assert_eq!(
            c["purchases"].as_array().map(Vec::len),
            Some(purchases),
            "{res}"
        );
    }
    let res = app
        .gql(
            &a.auth(),
            "query($id: ID!) { contact(id: $id) { notes { text } } }",
            json!({ "id": a_contact }),
        )
        .await;
    assert_eq!(
        res["data"]["contact"]["notes"],
        json!([{ "text": "Alpha note" }]),
        "{res}"
    );

    // The dashboard's server functions refuse the same ids (B's session cookie), and
    // refuse B's API key outright (they accept only sessions).
    let server_fns = [
        ("revoke_api_key", vec![("id", a_key_id.clone())]),
        ("revoke_invitation", vec![("id", a_invitation.clone())]),
        ("resend_invitation", vec![("id", a_invitation.clone())]),
        ("remove_member", vec![("user_id", a_agent.clone())]),
        ("remove_member", vec![("user_id", a.user_id.clone())]),
        (
            "set_member_role",
            vec![("user_id", a_agent.clone()), ("role", "owner".to_owned())],
        ),
        (
            "switch_business",
            vec![("business_id", a.business_id.clone())],
        ),
        ("domain_detail", vec![("id", a_domain.clone())]),
        ("share_call_page", vec![("id", a_domain.clone())]),
        ("verify_domain", vec![("id", a_domain.clone())]),
        ("remove_domain", vec![("id", a_domain.clone())]),
        (
            "update_intent",
            vec![("id", a_intent.clone()), ("label", "Mine".to_owned())],
        ),
        ("delete_intent", vec![("id", a_intent.clone())]),
        (
            "create_intent",
            vec![
                ("label", "Mine".to_owned()),
                ("target", format!("team:{a_team}")),
            ],
        ),
        (
            "create_intent",
            vec![
                ("label", "Mine".to_owned()),
                ("target", format!("member:{a_agent}")),
            ],
        ),
        (
            "update_team",
            vec![
                ("id", a_team.clone()),
                ("name", "Mine".to_owned()),
                ("strategy", "simultaneous".to_owned()),
                ("ring_timeout_secs", "30".to_owned()),
            ],
        ),
        ("delete_team", vec![("id", a_team.clone())]),
        ("set_team_members", vec![("id", a_team.clone())]),
        (
            "set_opening_hours",
            vec![
                ("team_id", a_team.clone()),
                ("time_zone", "UTC".to_owned()),
                ("mon", String::new()),
                ("tue", String::new()),
                ("wed", String::new()),
                ("thu", String::new()),
                ("fri", String::new()),
                ("sat", String::new()),
                ("sun", String::new()),
            ],
        ),
        ("clear_team_hours", vec![("team_id", a_team.clone())]),
        (
            "set_date_override",
            vec![
                ("team_id", a_team.clone()),
                ("date", "2030-12-26".to_owned()),
            ],
        ),
        ("remove_date_override", vec![("id", a_override.clone())]),
        (
            "import_holidays",
            vec![
                ("team_id", a_team.clone()),
                ("text", "2030-12-26 Mine".to_owned()),
            ],
        ),
        (
            "set_out_of_office",
            vec![("user_id", a_agent.clone()), ("message", "Mine".to_owned())],
        ),
        ("preview_opening", vec![("team_id", a_team.clone())]),
        (
            "set_webhook_enabled",
            vec![("id", a_endpoint.clone()), ("enabled", "false".to_owned())],
        ),
        ("delete_webhook", vec![("id", a_endpoint.clone())]),
        ("rotate_webhook_secret", vec![("id", a_endpoint.clone())]),
        ("send_test_webhook", vec![("id", a_endpoint.clone())]),
        ("webhook_deliveries", vec![("id", a_endpoint.clone())]),
        ("resend_webhook_delivery", vec![("id", a_delivery.clone())]),
        ("contact", vec![("id", a_contact.clone())]),
        ("contact_timeline", vec![("id", a_contact.clone())]),
        (
            "update_contact",
            vec![
                ("id", a_contact.clone()),
                ("name", "Mine".to_owned()),
                ("email", String::new()),
                ("phone", String::new()),
                ("address", String::new()),
                ("tags", String::new()),
            ],
        ),
        (
            "add_contact_note",
            vec![
                ("contact_id", a_contact.clone()),
                ("text", "Mine".to_owned()),
            ],
        ),
        (
            "merge_contacts",
            vec![("id", a_contact.clone()), ("from", a_contacts[1].clone())],
        ),
        (
            "merge_contacts",
            vec![("id", b_contact.clone()), ("from", a_contact.clone())],
        ),
    ];
    for (endpoint, form) in &server_fns {
        for (label, header, value) in [
            ("cookie", "cookie", format!("dc_session={}", b.token)),
            (
                "api key",
                "authorization",
                format!(
                    "Bearer {}",
                    match &b_api {
                        Auth::Bearer(k) => k,
                        _ => unreachable!(),
                    }
                ),
            ),
        ] {
            let res = app.server_fn(endpoint, &[(header, value)], form).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            assert!(
                matches!(status, 401 | 403 | 404),
                "{endpoint} via {label}: {status} {body}"
            );
            assert!(
                !body.contains("Alpha")
                    && !body.contains("alpha-shop")
                    && !body.contains(&agent_email),
                "{endpoint} leaked: {body}"
            );
        }
    }
    for (endpoint, _) in [
        ("list_members", ()),
        ("list_invitations", ()),
        ("list_api_keys", ()),
        ("list_domains", ()),
        ("list_intents", ()),
        ("list_teams", ()),
        ("get_schedules", ()),
        ("list_webhooks", ()),
        ("list_contacts", ()),
        ("me", ()),
    ] {
        let cookie = ("cookie", format!("dc_session={}", b.token));
        let no_form: &[(&str, &str)] = &[];
        let res = app.server_fn(endpoint, &[cookie], no_form).await;
        assert_eq!(res.status(), 200, "{endpoint}");
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("Alpha")
                && !body.contains("alpha-shop")
                && !body.contains(&agent_email)
                && !body.contains(&a.email),
            "{endpoint} leaked: {body}"
        );
    }

    // B's session exports only B's contacts.
    let res = app
        .http
        .get(format!("{}/app/contacts.csv", app.base))
        .header("cookie", format!("dc_session={}", b.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("buyer@beta.example"), "{body}");
    assert!(
        !body.contains("Alpha") && !body.contains("alpha-shop"),
        "the export leaked: {body}"
    );
    // B's server functions changed none of A's contacts: both still there, as they were.
    for id in [&a_contact, &a_contacts[1]] {
        let res = app
            .gql(
                &a.auth(),
                "query($id: ID!) { contact(id: $id) { name notes { text } } }",
                json!({ "id": id }),
            )
            .await;
        let c = &res["data"]["contact"];
        assert!(
            c["name"].as_str().is_some_and(|n| n.contains("alpha-shop")),
            "{res}"
        );
        assert!(!res.to_string().contains("Mine"), "{res}");
    }

    // Nothing of A changed.
    let res = app
        .gql(
            &a.auth(),
            "{ members { email role } invitations { id } apiKeys { id revoked } domains { id } \
             intents { id label targetTeamId } teams { id name members { userId } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["intents"],
        json!([{ "id": a_intent, "label": "Alpha order", "targetTeamId": a_team }]),
        "{res}"
    );
    assert_eq!(
        res["data"]["teams"],
        json!([{ "id": a_team, "name": "Alpha desk", "members": [{ "userId": a_agent }] }]),
        "{res}"
    );
    assert_eq!(res["data"]["members"].as_array().unwrap().len(), 2, "{res}");
    assert!(res["data"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["role"] == "AGENT"));
    assert_eq!(res["data"]["invitations"][0]["id"], a_invitation.as_str());
    // B's resends sent A's invitee nothing: the one email is A's own.
    assert_eq!(app.mails_to("pending@alpha.test").len(), 1);
    assert_eq!(res["data"]["apiKeys"][0]["revoked"], false);
    assert_eq!(res["data"]["domains"][0]["id"], a_domain.as_str());
    let res = app
        .gql(
            &a.auth(),
            "{ webhookEndpoints { id url enabled previousSecretExpiresAt \
             deliveries { edges { node { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["webhookEndpoints"],
        json!([{ "id": a_endpoint, "url": "https://hooks.alpha-shop.example/in", "enabled": true,
                 "previousSecretExpiresAt": null,
                 "deliveries": { "edges": [{ "node": { "id": a_delivery } }] } }]),
        "{res}"
    );
    let res = app
        .gql(
            &a.auth(),
            "{ schedules { business { timeZone overrides { id name } } teams { schedule { timeZone } } \
             businessOutOfOffice { active message } membersOutOfOffice { userId active message } } }",
            json!({}),
        )
        .await;
    let s = &res["data"]["schedules"];
    assert_eq!(s["business"]["timeZone"], "Europe/Berlin", "{res}");
    assert_eq!(
        s["business"]["overrides"],
        json!([{ "id": a_override, "name": "Alpha Christmas" }]),
        "{res}"
    );
    assert_eq!(
        s["teams"],
        json!([{ "schedule": { "timeZone": "America/New_York" } }]),
        "{res}"
    );
    assert_eq!(
        s["businessOutOfOffice"],
        json!({ "active": true, "message": "Alpha is away" })
    );
    let agent_switch = s["membersOutOfOffice"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userId"] == a_agent.as_str())
        .cloned();
    assert_eq!(
        agent_switch,
        Some(json!({ "userId": a_agent, "active": true, "message": "Alpha is away" })),
        "{res}"
    );
    app.finish().await;
}

both_dbs!(business_b_cannot_touch_business_a);
