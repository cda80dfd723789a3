//! Inviting members by email: single use, expiring, new or existing accounts, roles.

use serde_json::json;

use crate::both_dbs;
use crate::helpers::{error_code, link_in, Auth, Db, TestApp};

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

both_dbs!(
    invite_accept_once,
    existing_account_joins_second_business_and_switches,
    expired_and_revoked_invitations_are_refused
);
