//! People, as a first-time owner meets them: members named by the name they chose (not
//! their email) everywhere one is named, weak passwords refused with the reason,
//! invitations sent again (a new link; the old one dead; still counted), and refusals that
//! read as sentences. Through GraphQL and the dashboard's server functions.

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, link_in, Auth, Db, Owner, TestApp};

const INVITE: &str = "mutation($e: String!) { inviteMember(email: $e, role: AGENT) { id } }";
const RESEND: &str = "mutation($id: ID!) { resendInvitation(id: $id) { id email } }";
const ACCEPT: &str = "mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) { token userId } }";
const SET_NAME: &str = "mutation($n: String!) { setDisplayName(name: $n) }";

/// The first error's message for `field`, if the refusal named it.
fn field_message<'a>(res: &'a Value, field: &str) -> Option<&'a str> {
    res["errors"][0]["extensions"]["fields"]
        .as_array()?
        .iter()
        .find(|f| f["field"] == field)?["message"]
        .as_str()
}

/// The tokens of the invitation links mailed to `email`, once `count` mails arrived (in
/// no particular order).
async fn invite_tokens(app: &TestApp, email: &str, count: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mails = app.mails_to(email);
        if mails.len() >= count {
            return mails
                .iter()
                .map(|m| {
                    link_in(m, "/invite/")
                        .trim_start_matches("/invite/")
                        .to_owned()
                })
                .collect();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{count} mails to {email}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The token of the one invitation link mailed to `email`.
async fn invite_token(app: &TestApp, email: &str) -> String {
    invite_tokens(app, email, 1).await.remove(0)
}

async fn a_resent_invitation_has_a_new_link_and_the_old_one_dies(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let invitee = format!("sam-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .gql(&owner.auth(), INVITE, json!({ "e": invitee }))
        .await;
    let first_id = res["data"]["inviteMember"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let old = invite_token(&app, &invitee).await;

    // The dashboard's button: the server function, with the session cookie.
    let cookie = ("cookie", format!("dc_session={}", owner.token));
    let res = app
        .server_fn("resend_invitation", &[cookie], &[("id", first_id.as_str())])
        .await;
    assert_eq!(res.status(), 200);
    let resent: Value = res.json().await.unwrap();
    assert_eq!(resent["email"], invitee.as_str(), "{resent}");
    assert_ne!(
        resent["id"],
        first_id.as_str(),
        "a resend is a new invitation"
    );
    let new = invite_tokens(&app, &invitee, 2)
        .await
        .into_iter()
        .find(|t| *t != old)
        .expect("a second, different link");

    // The old link is dead, the new one works; only one invitation is pending meanwhile.
    let res = app
        .gql(&owner.auth(), "{ invitations { id email } }", json!({}))
        .await;
    assert_eq!(
        res["data"]["invitations"].as_array().unwrap().len(),
        1,
        "{res}"
    );
    let res = app
        .gql(
            &Auth::None,
            ACCEPT,
            json!({ "t": old, "p": "agent password 1" }),
        )
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let res = app
        .gql(
            &Auth::None,
            ACCEPT,
            json!({ "t": new, "p": "agent password 1" }),
        )
        .await;
    assert!(
        res["data"]["acceptInvitation"]["token"].is_string(),
        "{res}"
    );

    // An accepted invitation cannot be resent; agents cannot resend at all.
    let res = app
        .gql(&owner.auth(), RESEND, json!({ "id": resent["id"] }))
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let agent = Auth::Bearer(agent_session(&app, &owner).await);
    let res = app.gql(&agent, RESEND, json!({ "id": first_id })).await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    app.finish().await;
}

/// Invites another agent, who accepts; returns their session token.
async fn agent_session(app: &TestApp, owner: &Owner) -> String {
    let email = format!("agent-{}@example.com", uuid::Uuid::new_v4().simple());
    app.gql(&owner.auth(), INVITE, json!({ "e": email })).await;
    let token = invite_token(app, &email).await;
    let res = app
        .gql(
            &Auth::None,
            ACCEPT,
            json!({ "t": token, "p": "agent password 1" }),
        )
        .await;
    res["data"]["acceptInvitation"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("accept: {res}"))
        .to_owned()
}

async fn resends_count_toward_the_daily_invitation_limit(db: Db) {
    let app = TestApp::spawn_with(db, |s| s.invitations_per_day = 2).await;
    let owner = app.sign_up("Acme").await;
    let res = app
        .gql(&owner.auth(), INVITE, json!({ "e": "pat@example.com" }))
        .await;
    let id = res["data"]["inviteMember"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app.gql(&owner.auth(), RESEND, json!({ "id": id })).await;
    let id = res["data"]["resendInvitation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("first resend: {res}"))
        .to_owned();
    // Two emails went out today: a third, even a resend, waits.
    let res = app.gql(&owner.auth(), RESEND, json!({ "id": id })).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    let sent = invite_tokens(&app, "pat@example.com", 2).await;
    assert_eq!(sent.len(), 2, "the refused resend sent nothing");
    app.finish().await;
}

async fn display_names_name_members_everywhere(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let email = format!("sam-{}@example.com", uuid::Uuid::new_v4().simple());
    app.gql(&owner.auth(), INVITE, json!({ "e": email })).await;
    let token = invite_token(&app, &email).await;
    let res = app
        .gql(
            &Auth::None,
            ACCEPT,
            json!({ "t": token, "p": "agent password 1" }),
        )
        .await;
    let sam = Auth::Bearer(
        res["data"]["acceptInvitation"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let sam_id = res["data"]["acceptInvitation"]["userId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Sam names himself through the dashboard (a session cookie), the owner through GraphQL.
    let Auth::Bearer(sam_token) = &sam else {
        unreachable!()
    };
    let res = app
        .server_fn(
            "set_display_name",
            &[("cookie", format!("dc_session={sam_token}"))],
            &[("display_name", "  Sam Lee ")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["display_name"], "Sam Lee", "{me}");
    let res = app
        .gql(&owner.auth(), SET_NAME, json!({ "n": "Ann Owner" }))
        .await;
    assert_eq!(res["data"]["setDisplayName"], "Ann Owner", "{res}");

    // The members list, a team, an intent routed to him: all say "Sam Lee".
    let team = app
        .gql(
            &owner.auth(),
            "mutation { createTeam(input: { name: \"Desk\" }) { id } }",
            json!({}),
        )
        .await;
    let team_id = team["data"]["createTeam"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.gql(
        &owner.auth(),
        "mutation($t: ID!, $u: [ID!]!) { setTeamMembers(id: $t, userIds: $u) { id } }",
        json!({ "t": team_id, "u": [sam_id] }),
    )
    .await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation($u: ID!) { createIntent(label: \"Billing\", target: { kind: MEMBER, userId: $u }) { targetName } }",
            json!({ "u": sam_id }),
        )
        .await;
    assert_eq!(
        res["data"]["createIntent"]["targetName"], "Sam Lee",
        "{res}"
    );
    let res = app
        .gql(
            &owner.auth(),
            "{ me { displayName } members { email displayName } teams { members { email displayName } } }",
            json!({}),
        )
        .await;
    assert_eq!(res["data"]["me"]["displayName"], "Ann Owner", "{res}");
    let members = res["data"]["members"].as_array().unwrap();
    assert!(
        members
            .iter()
            .any(|m| m["email"] == email.as_str() && m["displayName"] == "Sam Lee"),
        "{res}"
    );
    assert_eq!(
        res["data"]["teams"][0]["members"][0]["displayName"],
        "Sam Lee"
    );

    // Too long, or with direction controls: refused with the field; blank: cleared.
    let res = app
        .gql(&sam, SET_NAME, json!({ "n": "x".repeat(61) }))
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"));
    assert!(field_message(&res, "displayName").is_some(), "{res}");
    let res = app
        .gql(&sam, SET_NAME, json!({ "n": "Sam\u{202e}nimda" }))
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let res = app.gql(&sam, SET_NAME, json!({ "n": "   " })).await;
    assert!(
        res["data"]["setDisplayName"].is_null() && res["errors"].is_null(),
        "{res}"
    );
    let res = app
        .gql(
            &owner.auth(),
            "{ members { email displayName } }",
            json!({}),
        )
        .await;
    assert!(res["data"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["email"] == email.as_str() && m["displayName"].is_null()));
    // An API key speaks for an integration, not a person: it names nobody.
    let (_, key) = app.api_key(&owner, "crm").await;
    let res = app
        .gql(&Auth::Bearer(key), SET_NAME, json!({ "n": "Bot" }))
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    app.finish().await;
}

async fn weak_passwords_are_refused_with_the_reason(db: Db) {
    let app = TestApp::spawn(db).await;
    // Ten identical characters at sign-up: refused, and the message says why.
    let res = app
        .gql(
            &Auth::None,
            crate::helpers::SIGN_UP,
            json!({ "i": { "email": "weak@example.com", "password": "aaaaaaaaaa", "businessName": "Weak Co" } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let why = field_message(&res, "password").unwrap_or_default();
    assert!(
        why.starts_with("This password is too easy to guess."),
        "{res}"
    );
    assert!(why.contains("Repeats like"), "{why}");
    assert!(
        app.mails_to("weak@example.com").is_empty(),
        "nothing was sent"
    );
    // The account's own email as its password.
    let res = app
        .gql(
            &Auth::None,
            crate::helpers::SIGN_UP,
            json!({ "i": { "email": "me.myself@example.com", "password": "me.myself@example.com", "businessName": "Me Co" } }),
        )
        .await;
    assert!(field_message(&res, "password").is_some(), "{res}");

    // A password change, in GraphQL and in the dashboard.
    let owner = app.sign_up("Acme").await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation { changePassword(currentPassword: \"correct horse battery\", newPassword: \"password123\") { token } }",
            json!({}),
        )
        .await;
    let why = field_message(&res, "newPassword").unwrap_or_default();
    assert!(why.contains("common password"), "{res}");
    let res = app
        .server_fn(
            "change_password",
            &[("cookie", format!("dc_session={}", owner.token))],
            &[
                ("current_password", "correct horse battery"),
                ("new_password", "1234567890"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("too easy to guess"), "{body}");
    // The old password still works: nothing changed.
    let res = app
        .gql(
            &Auth::None,
            "mutation($e: String!) { signIn(email: $e, password: \"correct horse battery\") { token } }",
            json!({ "e": owner.email }),
        )
        .await;
    assert!(res["data"]["signIn"]["token"].is_string(), "{res}");

    // A new account made by accepting an invitation.
    app.gql(&owner.auth(), INVITE, json!({ "e": "new@example.com" }))
        .await;
    let token = invite_token(&app, "new@example.com").await;
    let res = app
        .gql(
            &Auth::None,
            ACCEPT,
            json!({ "t": token, "p": "qwertyuiop" }),
        )
        .await;
    assert!(field_message(&res, "password").is_some(), "{res}");
    app.finish().await;
}

async fn not_found_reads_as_a_sentence(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let missing = uuid::Uuid::new_v4().to_string();
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { updateTeam(id: $id, input: { name: \"X\" }) { id } }",
            json!({ "id": missing }),
        )
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"));
    assert_eq!(
        res["errors"][0]["message"], "This team does not exist (any more).",
        "{res}"
    );
    // The dashboard says the same for a malformed id.
    let res = app
        .server_fn(
            "delete_team",
            &[("cookie", format!("dc_session={}", owner.token))],
            &[("id", "not-an-id")],
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["message"], "This team does not exist (any more).",
        "{body}"
    );
    app.finish().await;
}

both_dbs!(
    a_resent_invitation_has_a_new_link_and_the_old_one_dies,
    resends_count_toward_the_daily_invitation_limit,
    display_names_name_members_everywhere,
    weak_passwords_are_refused_with_the_reason,
    not_found_reads_as_a_sentence
);
