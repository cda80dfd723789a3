//! Caller identities: evanescent guests (issued without an account, expiring, refused the
//! moment they expire, removed by the job), emails left later, and members calling as
//! their verified domain.

use std::time::Duration;

use entity::entities::caller_identity;
use hickory_server::proto::rr::RecordType;
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::both_dbs;
use crate::dns_server::TestDnsServer;
use crate::helpers::{error_code, Auth, Db, TestApp};

const SESSION: &str = "token identity { id name kind verified label email expiresAt }";

async fn guests_get_expiring_identities(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.caller_zone = "guest.calls.test".into();
        s.sweep_interval = Duration::from_millis(100);
    })
    .await;
    let res = app
        .gql(
            &Auth::None,
            &format!("mutation {{ startCallerSession {{ {SESSION} }} }}"),
            json!({}),
        )
        .await;
    let s = &res["data"]["startCallerSession"];
    let name = s["identity"]["name"].as_str().unwrap().to_owned();
    let random = name
        .strip_prefix("guest-")
        .and_then(|r| r.strip_suffix(".guest.calls.test"))
        .unwrap_or_else(|| panic!("guest name under the zone: {name}"));
    assert_eq!(random.len(), 10, "{name}");
    assert_eq!(s["identity"]["kind"], "GUEST");
    assert_eq!(s["identity"]["verified"], false);
    assert!(s["identity"]["email"].is_null());
    let expires: chrono::DateTime<chrono::Utc> = s["identity"]["expiresAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ttl = expires - chrono::Utc::now();
    assert!(
        ttl > chrono::Duration::minutes(59) && ttl <= chrono::Duration::hours(1),
        "default lifetime 1 h: {ttl}"
    );
    let token = s["token"].as_str().unwrap().to_owned();
    let caller = Auth::Bearer(token.clone());

    // The token proves the identity; an email can be left later.
    let res = app
        .gql(&caller, "{ caller { name email } }", json!({}))
        .await;
    assert_eq!(res["data"]["caller"]["name"], name.as_str(), "{res}");
    let res = app
        .gql(
            &caller,
            "mutation { attachCallerEmail(email: \"not-an-email\") { email } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let res = app
        .gql(
            &caller,
            "mutation { attachCallerEmail(email: \"Pat@Example.com\") { email } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["attachCallerEmail"]["email"], "pat@example.com",
        "{res}"
    );

    // A caller token is not a dashboard session, and a session is not a caller token.
    let res = app.gql(&caller, "{ me { email } }", json!({})).await;
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
    let owner = app.sign_up("Not a caller").await;
    let res = app
        .gql(&owner.auth(), "{ caller { name } }", json!({}))
        .await;
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");

    // Past its lifetime the token is refused at once, before the job removes the row…
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    let id = uuid::Uuid::parse_str(s["identity"]["id"].as_str().unwrap()).unwrap();
    let updated = caller_identity::Entity::update_many()
        .col_expr(caller_identity::Column::ExpiresAt, Expr::value(past))
        .filter(caller_identity::Column::Id.eq(id))
        .exec(&app.services.db)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected, 1);
    let res = app.gql(&caller, "{ caller { name } }", json!({})).await;
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
    // …and the job removes it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = caller_identity::Entity::find_by_id(id)
            .one(&app.services.db)
            .await
            .unwrap();
        if left.is_none() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "expired identity still there"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A fresh identity with an email from the start.
    let res = app
        .gql(
            &Auth::None,
            "mutation { startCallerSession(email: \"caller@example.org\") { identity { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["startCallerSession"]["identity"]["email"],
        "caller@example.org"
    );
    app.finish().await;
}

async fn members_call_as_their_verified_domain(db: Db) {
    let dns = TestDnsServer::start(&["com"]).await;
    let addr = dns.addr();
    let app = TestApp::spawn_with(db, move |s| s.dns_servers = vec![addr]).await;
    let owner = app.sign_up("Acme").await;
    let name = format!(
        "acme-{}.com",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let res = app
        .gql(
            &owner.auth(),
            "mutation($n: String!) { addDomain(name: $n) { id recordValue } }",
            json!({ "n": name }),
        )
        .await;
    let id = res["data"]["addDomain"]["id"].as_str().unwrap().to_owned();
    let value = res["data"]["addDomain"]["recordValue"]
        .as_str()
        .unwrap()
        .to_owned();
    let call_as = "mutation($id: ID!) { callAsDomain(domainId: $id) { token identity { name kind verified label } } }";

    // Not verified yet: refused.
    let res = app.gql(&owner.auth(), call_as, json!({ "id": id })).await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");

    let record = format!("_domaincall.{name}");
    dns.add_txt(&record, &[&value]).await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { verifyDomain(id: $id) { verified } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(res["data"]["verifyDomain"]["verified"], true, "{res}");
    let res = app.gql(&owner.auth(), call_as, json!({ "id": id })).await;
    let s = &res["data"]["callAsDomain"];
    assert_eq!(s["identity"]["name"], name.as_str(), "{res}");
    assert_eq!(s["identity"]["kind"], "DOMAIN");
    assert_eq!(s["identity"]["verified"], true);
    assert_eq!(s["identity"]["label"], format!("verified: {name}"));
    let caller = Auth::Bearer(s["token"].as_str().unwrap().to_owned());
    let res = app.gql(&caller, "{ caller { label } }", json!({})).await;
    assert_eq!(res["data"]["caller"]["label"], format!("verified: {name}"));

    // Another business cannot call as it.
    let other = app.sign_up("Other").await;
    let res = app.gql(&other.auth(), call_as, json!({ "id": id })).await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");

    // Once the domain is gone, so is the right to call as it.
    dns.remove(&record, RecordType::TXT).await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { removeDomain(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(res["data"]["removeDomain"], true, "{res}");
    let res = app.gql(&caller, "{ caller { label } }", json!({})).await;
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
    app.finish().await;
}

/// Anonymous identities are cheap to ask for, so one address may ask only so often.
async fn guest_identities_are_rate_limited_per_address(db: Db) {
    let app = TestApp::spawn(db).await;
    let from = |ip: &str| {
        reqwest::Client::builder()
            .local_address(ip.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap()
    };
    let ask = |client: reqwest::Client| {
        let url = format!("{}/graphql", app.base);
        async move {
            client
                .post(url)
                .json(&json!({ "query": "mutation { startCallerSession { identity { name } } }" }))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let busy = from("127.0.0.7");
    for i in 0..entity::callers::GUESTS_PER_CLIENT {
        let res = ask(busy.clone()).await;
        assert!(
            res["data"]["startCallerSession"]["identity"]["name"].is_string(),
            "request {i}: {res}"
        );
    }
    let res = ask(busy).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    assert!(
        res["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            > 0
    );
    // Another address is not affected.
    let res = ask(from("127.0.0.8")).await;
    assert!(res["data"]["startCallerSession"].is_object(), "{res}");
    app.finish().await;
}

both_dbs!(
    guests_get_expiring_identities,
    guest_identities_are_rate_limited_per_address,
    members_call_as_their_verified_domain
);
