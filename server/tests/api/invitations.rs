//! Inviting members by email: single use, expiring, new or existing accounts, roles; a
//! daily limit per business, the business name escaped in the email, and API keys unable
//! to accept one.

use base64::Engine;
use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, link_in, unfolded, Auth, Db, TestApp};

const INVITE: &str =
    "mutation($e: String!, $r: Role!) { inviteMember(email: $e, role: $r) { id email role } }";
const ACCEPT: &str = "mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) { token businessId } }";

async fn invite_accept_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let invitee = format!("agent-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .gql(&owner.auth(), INVITE, json!({ "e": invitee, "r": "AGENT" }))
        .await;
    assert_eq!(res["data"]["inviteMember"]["role"], "AGENT", "{res}");
    // The email lands in the outbox with a link.
    let mail = app.wait_for_mail(&invitee).await;
    assert!(mail.contains("Acme"), "{mail}");
    let link = link_in(&mail, "/invite/");
    let token = link.trim_start_matches("/invite/");
    // A short password is refused and does not use the invitation up.
    let res = app
        .gql(&Auth::None, ACCEPT, json!({ "t": token, "p": "short" }))
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"));
    let res = app
        .gql(
            &Auth::None,
            ACCEPT,
            json!({ "t": token, "p": "agent password 1" }),
        )
        .await;
    let agent = Auth::Bearer(
        res["data"]["acceptInvitation"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    assert_eq!(
        res["data"]["acceptInvitation"]["businessId"],
        owner.business_id.as_str()
    );
    // Single use.
    let res = app
        .gql(
            &Auth::None,
            ACCEPT,
            json!({ "t": token, "p": "agent password 1" }),
        )
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"));
    // The member is listed; agents cannot invite or see keys.
    let res = app
        .gql(&owner.auth(), "{ members { email role } }", json!({}))
        .await;
    let members = res["data"]["members"].as_array().unwrap();
    assert!(
        members
            .iter()
            .any(|m| m["email"] == invitee.as_str() && m["role"] == "AGENT"),
        "{res}"
    );
    let res = app
        .gql(
            &agent,
            INVITE,
            json!({ "e": "x@example.com", "r": "AGENT" }),
        )
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"));
    assert_eq!(
        error_code(&app.gql(&agent, "{ apiKeys { id } }", json!({})).await),
        Some("FORBIDDEN")
    );
    // Inviting an existing member conflicts.
    let res = app
        .gql(&owner.auth(), INVITE, json!({ "e": invitee, "r": "ADMIN" }))
        .await;
    assert_eq!(error_code(&res), Some("CONFLICT"));
    app.finish().await;
}

async fn existing_account_joins_second_business_and_switches(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Beta").await;
    app.gql(&a.auth(), INVITE, json!({ "e": b.email, "r": "ADMIN" }))
        .await;
    let token = link_in(&app.wait_for_mail(&b.email).await, "/invite/")
        .trim_start_matches("/invite/")
        .to_owned();
    // The existing account must prove itself with its own password.
    let res = app
        .gql(
            &Auth::None,
            ACCEPT,
            json!({ "t": token, "p": "not the password" }),
        )
        .await;
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"));
    let res = app
        .gql(&b.auth(), ACCEPT, json!({ "t": token, "p": "" }))
        .await;
    assert_eq!(
        res["data"]["acceptInvitation"]["businessId"],
        a.business_id.as_str(),
        "{res}"
    );
    let res = app
        .gql(
            &b.auth(),
            "{ me { businesses { name role } } business { name } }",
            json!({}),
        )
        .await;
    let names: Vec<&str> = res["data"]["me"]["businesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Beta", "Alpha"]);
    assert_eq!(res["data"]["business"]["name"], "Beta");
    let res = app
        .gql(
            &b.auth(),
            "mutation($id: ID!) { switchBusiness(businessId: $id) { name role } }",
            json!({ "id": a.business_id }),
        )
        .await;
    assert_eq!(
        res["data"]["switchBusiness"],
        json!({ "name": "Alpha", "role": "ADMIN" })
    );
    let res = app.gql(&b.auth(), "{ business { name } }", json!({})).await;
    assert_eq!(res["data"]["business"]["name"], "Alpha");
    app.finish().await;
}

async fn expired_and_revoked_invitations_are_refused(db: Db) {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let (e1, e2) = ("late@example.com", "revoked@example.com");
    app.gql(&owner.auth(), INVITE, json!({ "e": e1, "r": "AGENT" }))
        .await;
    let res = app
        .gql(&owner.auth(), INVITE, json!({ "e": e2, "r": "AGENT" }))
        .await;
    let revoked_id = res["data"]["inviteMember"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t1 = link_in(&app.wait_for_mail(e1).await, "/invite/")
        .trim_start_matches("/invite/")
        .to_owned();
    let t2 = link_in(&app.wait_for_mail(e2).await, "/invite/")
        .trim_start_matches("/invite/")
        .to_owned();
    let backend = app.services.db.get_database_backend();
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "UPDATE invitations SET expires_at = $1 WHERE email = $2"
        }
        _ => "UPDATE invitations SET expires_at = ? WHERE email = ?",
    };
    app.services
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [past.into(), e1.into()],
        ))
        .await
        .unwrap();
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { revokeInvitation(id: $id) }",
            json!({ "id": revoked_id }),
        )
        .await;
    assert_eq!(res["data"]["revokeInvitation"], true);
    for t in [t1, t2] {
        let res = app
            .gql(
                &Auth::None,
                ACCEPT,
                json!({ "t": t, "p": "long enough password" }),
            )
            .await;
        assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    }
    let res = app
        .gql(&owner.auth(), "{ invitations { email } }", json!({}))
        .await;
    assert_eq!(res["data"]["invitations"], json!([]));
    app.finish().await;
}

/// The decoded HTML part of a raw email.
fn html_part(mail: &str) -> String {
    let start = mail
        .find("Content-Type: text/html")
        .unwrap_or_else(|| panic!("no HTML part in {mail}"));
    let part = &mail[start..];
    let body_at = part.find("\r\n\r\n").unwrap() + 4;
    let (headers, body) = part.split_at(body_at);
    let body = body.split("\r\n--").next().unwrap();
    if headers.contains("base64") {
        let compact: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap(),
        )
        .unwrap()
    } else {
        unfolded(body)
    }
}

async fn the_invitation_email_escapes_the_business_name(db: Db) {
    let app = TestApp::spawn(db).await;
    let hostile = "X</title><img src=x onerror=alert(1)><a href=\"javascript:alert(2)\">";
    let owner = app.sign_up(hostile).await;
    let invitee = format!("bob-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .gql(&owner.auth(), INVITE, json!({ "e": invitee, "r": "AGENT" }))
        .await;
    assert!(res["data"]["inviteMember"]["id"].is_string(), "{res}");
    let mail = app.wait_for_mail(&invitee).await;
    let html = html_part(&mail);
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("</title>"), "{html}");
    assert!(!html.contains("href=\"javascript:"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the name is shown, escaped: {html}"
    );
    assert!(html.contains("/invite/"), "{html}");
    // Headers: one Subject line, no header of the inviter's making.
    let headers = &mail[..mail.find("\r\n\r\n").unwrap()];
    assert_eq!(headers.matches("Subject:").count(), 1, "{headers}");
    assert!(!headers.contains("Bcc:"), "{headers}");
    app.finish().await;
}

async fn invitations_are_limited_per_business_per_day(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let other = app.sign_up("Other").await;
    // The documented 50 a day (a re-invitation counts: it sends another email)...
    for i in 0..49 {
        let res = app
            .gql(
                &owner.auth(),
                INVITE,
                json!({ "e": format!("person{i}@example.com"), "r": "AGENT" }),
            )
            .await;
        assert!(res["data"]["inviteMember"]["id"].is_string(), "{i}: {res}");
    }
    let res = app
        .gql(
            &owner.auth(),
            INVITE,
            json!({ "e": "person0@example.com", "r": "ADMIN" }),
        )
        .await;
    assert!(res["data"]["inviteMember"]["id"].is_string(), "{res}");
    // ...then RATE_LIMITED with the time until the first leaves the 24-hour window.
    let res = app
        .gql(
            &owner.auth(),
            INVITE,
            json!({ "e": "one-more@example.com", "r": "AGENT" }),
        )
        .await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    let retry = res["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap();
    assert!((86_000..=86_400).contains(&retry), "{retry}");
    // Another business is not held up by it.
    let res = app
        .gql(
            &other.auth(),
            INVITE,
            json!({ "e": "one-more@example.com", "r": "AGENT" }),
        )
        .await;
    assert!(res["data"]["inviteMember"]["id"].is_string(), "{res}");
    app.finish().await;
}

async fn an_api_key_cannot_accept_an_invitation(db: Db) {
    let app = TestApp::spawn(db).await;
    let alpha = app.sign_up("Alpha").await;
    let beta = app.sign_up("Beta").await;
    let (_, key) = app.api_key(&beta, "CRM").await;
    app.gql(
        &alpha.auth(),
        INVITE,
        json!({ "e": beta.email, "r": "ADMIN" }),
    )
    .await;
    let token = link_in(&app.wait_for_mail(&beta.email).await, "/invite/")
        .trim_start_matches("/invite/")
        .to_owned();
    // Beta's key would be taken as Beta "signed in": refused, with no session.
    let res = app
        .gql_raw(&Auth::Bearer(key), ACCEPT, json!({ "t": token, "p": "" }))
        .await;
    assert!(!res.headers().contains_key("set-cookie"));
    let res: Value = res.json().await.unwrap();
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    assert!(res["data"].is_null(), "{res}");
    assert!(
        res["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("API key")),
        "{res}"
    );
    // Nothing happened: still invited, not a member; Beta's session can accept.
    let res = app
        .gql(
            &alpha.auth(),
            "{ invitations { email } members { email } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["invitations"][0]["email"],
        beta.email.as_str(),
        "{res}"
    );
    assert_eq!(res["data"]["members"].as_array().unwrap().len(), 1, "{res}");
    let res = app
        .gql(&beta.auth(), ACCEPT, json!({ "t": token, "p": "" }))
        .await;
    assert_eq!(
        res["data"]["acceptInvitation"]["businessId"],
        alpha.business_id.as_str(),
        "{res}"
    );
    app.finish().await;
}

both_dbs!(
    invite_accept_once,
    the_invitation_email_escapes_the_business_name,
    invitations_are_limited_per_business_per_day,
    an_api_key_cannot_accept_an_invitation,
    existing_account_joins_second_business_and_switches,
    expired_and_revoked_invitations_are_refused
);
