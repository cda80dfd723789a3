//! Domains through the API, against a real DNS server on loopback that each test controls:
//! adding (normalised, refused with reasons, conflicts), verifying (every failure told
//! apart), inheritance by subdomains, automatic re-checks, re-verification and revocation
//! with an email to the owner, call pages, and timeouts.

use std::net::Ipv4Addr;
use std::time::Duration;

use entity::entities::domain;
use hickory_server::proto::rr::RecordType;
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::both_dbs;
use crate::dns_server::{silent_udp_socket, TestDnsServer};
use crate::helpers::{error_code, unfolded, Auth, Db, Owner, TestApp};

const DOMAIN_FIELDS: &str = "id name displayName status record recordName recordValue \
     inheritedFrom failedChecks verifiedAt revokedAt lastCheckedAt nextCheckAt";

fn unique_domain() -> String {
    format!(
        "shop-{}.com",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

/// An app whose verifier asks `dns`, re-verifying every second and sweeping often.
async fn app_with_dns(db: Db, dns: &TestDnsServer) -> TestApp {
    let addr = dns.addr();
    TestApp::spawn_with(db, move |s| {
        s.dns_servers = vec![addr];
        s.dns_timeout = Duration::from_secs(2);
        s.reverify_interval = Duration::from_secs(1);
        s.sweep_interval = Duration::from_millis(100);
        s.revoke_after = 3;
    })
    .await
}

async fn add(app: &TestApp, owner: &Owner, name: &str) -> Value {
    let res = app
        .gql(
            &owner.auth(),
            &format!("mutation($n: String!) {{ addDomain(name: $n) {{ {DOMAIN_FIELDS} }} }}"),
            json!({ "n": name }),
        )
        .await;
    res["data"]["addDomain"].clone()
}

async fn verify(app: &TestApp, auth: &Auth, id: &str) -> Value {
    app.gql(
        auth,
        &format!(
            "mutation($id: ID!) {{ verifyDomain(id: $id) {{ verified outcome message \
             domain {{ {DOMAIN_FIELDS} }} }} }}"
        ),
        json!({ "id": id }),
    )
    .await
}

async fn detail(app: &TestApp, owner: &Owner, id: &str) -> Value {
    let res = app
        .gql(
            &owner.auth(),
            &format!(
                "query($id: ID!) {{ domain(id: $id) {{ {DOMAIN_FIELDS} \
                 checks {{ checkedAt trigger outcome message }} }} }}"
            ),
            json!({ "id": id }),
        )
        .await;
    res["data"]["domain"].clone()
}

async fn call_page(app: &TestApp, domain: &str) -> Value {
    let res = app
        .gql(
            &Auth::None,
            "query($d: String!) { callPage(domain: $d) { businessName domain displayDomain } }",
            json!({ "d": domain }),
        )
        .await;
    res["data"]["callPage"].clone()
}

/// Waits up to `secs` for `done` to hold for the domain's detail; returns the last detail.
async fn wait_for(
    app: &TestApp,
    owner: &Owner,
    id: &str,
    secs: u64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let d = detail(app, owner, id).await;
        if done(&d) {
            return d;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "condition not reached in {secs} s: {d}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn verification_lifecycle(db: Db) {
    let dns = TestDnsServer::start(&["com"]).await;
    let app = app_with_dns(db, &dns).await;
    let owner = app.sign_up("Shop").await;
    let name = unique_domain();

    // Typed sloppily, stored normalised, with the exact record to publish.
    let d = add(&app, &owner, &format!("  {}. ", name.to_uppercase())).await;
    assert_eq!(d["name"], name.as_str(), "{d}");
    assert_eq!(d["status"], "PENDING");
    let id = d["id"].as_str().unwrap().to_owned();
    let value = d["recordValue"].as_str().unwrap().to_owned();
    let code = value.strip_prefix("domaincall-verify=").unwrap().to_owned();
    assert!(
        uuid::Uuid::parse_str(&code).is_ok(),
        "code is a UUID: {code}"
    );
    assert_eq!(d["recordName"], format!("_domaincall.{name}"));
    assert_eq!(
        d["record"],
        format!("_domaincall.{name} TXT \"domaincall-verify={code}\"")
    );
    assert!(
        call_page(&app, &name).await.is_null(),
        "pending: no call page"
    );

    // Each failure is told apart, with what to do next.
    let res = verify(&app, &owner.auth(), &id).await;
    assert_eq!(
        res["data"]["verifyDomain"]["outcome"], "no_such_domain",
        "{res}"
    );
    assert!(res["data"]["verifyDomain"]["message"]
        .as_str()
        .unwrap()
        .contains("does not exist"));
    dns.add_a(&name, Ipv4Addr::new(192, 0, 2, 10)).await;
    let res = verify(&app, &owner.auth(), &id).await;
    assert_eq!(
        res["data"]["verifyDomain"]["outcome"], "no_txt_record",
        "{res}"
    );
    let record = format!("_domaincall.{name}");
    dns.add_txt(&record, &["domaincall-verify=", "not-the-code"])
        .await;
    let res = verify(&app, &owner.auth(), &id).await;
    assert_eq!(
        res["data"]["verifyDomain"]["outcome"], "code_mismatch",
        "{res}"
    );
    assert!(res["data"]["verifyDomain"]["message"]
        .as_str()
        .unwrap()
        .contains("domaincall-verify=not-the-code"));
    assert_eq!(res["data"]["verifyDomain"]["domain"]["status"], "PENDING");

    // The right code verifies.
    dns.remove(&record, RecordType::TXT).await;
    dns.add_txt(&record, &[&value]).await;
    let res = verify(&app, &owner.auth(), &id).await;
    let v = &res["data"]["verifyDomain"];
    assert_eq!(v["verified"], true, "{res}");
    assert_eq!(v["domain"]["status"], "VERIFIED");
    assert!(v["domain"]["verifiedAt"].is_string());
    let history = detail(&app, &owner, &id).await;
    let outcomes: Vec<&str> = history["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes[..4],
        [
            "verified",
            "code_mismatch",
            "no_txt_record",
            "no_such_domain"
        ],
        "newest first: {history}"
    );
    let page = call_page(&app, &name).await;
    assert_eq!(page["businessName"], "Shop", "{page}");
    assert_eq!(
        call_page(&app, &format!("call.{name}")).await["domain"],
        name.as_str()
    );

    // A subdomain is verified through it; another business cannot have the name.
    let sub = add(&app, &owner, &format!("sales.{name}")).await;
    assert_eq!(sub["status"], "VERIFIED", "{sub}");
    assert_eq!(sub["inheritedFrom"], name.as_str());
    let other = app.sign_up("Copycat").await;
    let res = app
        .gql(
            &other.auth(),
            "mutation($n: String!) { addDomain(name: $n) { id } }",
            json!({ "n": name }),
        )
        .await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");
    let res = app
        .gql(
            &owner.auth(),
            "mutation($n: String!) { addDomain(name: $n) { id } }",
            json!({ "n": name }),
        )
        .await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "already listed: {res}");

    // The record disappears: after 3 re-checks the domain is revoked, with its subdomain,
    // the call page goes offline and the owner is told.
    dns.remove(&record, RecordType::TXT).await;
    let d = wait_for(&app, &owner, &id, 20, |d| d["status"] == "REVOKED").await;
    assert_eq!(d["failedChecks"], 3, "{d}");
    assert!(d["revokedAt"].is_string());
    let reverify_misses = d["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["trigger"] == "reverify" && c["outcome"] == "no_txt_record")
        .count();
    assert_eq!(reverify_misses, 3, "{d}");
    let sub = detail(&app, &owner, sub["id"].as_str().unwrap()).await;
    assert_eq!(sub["status"], "REVOKED", "{sub}");
    assert!(call_page(&app, &name).await.is_null());
    let mail = unfolded(&app.wait_for_mail(&owner.email).await);
    assert!(
        mail.contains(&format!("{name} is no longer verified")),
        "{mail}"
    );
    assert!(mail.contains(&value), "the email shows the record: {mail}");

    // Publishing it again and pressing Verify brings it back.
    dns.add_txt(&record, &[&value]).await;
    let res = verify(&app, &owner.auth(), &id).await;
    assert_eq!(
        res["data"]["verifyDomain"]["domain"]["status"], "VERIFIED",
        "{res}"
    );
    assert_eq!(call_page(&app, &name).await["businessName"], "Shop");

    // Removing it takes the call page offline and the subdomain back to pending.
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { removeDomain(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(res["data"]["removeDomain"], true, "{res}");
    assert!(call_page(&app, &name).await.is_null());
    assert!(detail(&app, &owner, &id).await.is_null());
    let res = app
        .gql(
            &owner.auth(),
            "{ domains { name status inheritedFrom } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["domains"],
        json!([{ "name": format!("sales.{name}"), "status": "PENDING", "inheritedFrom": null }])
    );
    app.finish().await;
}

async fn pending_domains_are_rechecked_automatically(db: Db) {
    let dns = TestDnsServer::start(&["com"]).await;
    let addr = dns.addr();
    let app = TestApp::spawn_with(db, move |s| {
        s.dns_servers = vec![addr];
        s.pending_interval = Duration::from_secs(1);
        s.sweep_interval = Duration::from_millis(100);
    })
    .await;
    let owner = app.sign_up("Patient").await;
    let name = unique_domain();
    let d = add(&app, &owner, &name).await;
    let id = d["id"].as_str().unwrap().to_owned();
    // Published, never pressed "Verify": the background check finds it.
    dns.add_txt(
        &format!("_domaincall.{name}"),
        &[d["recordValue"].as_str().unwrap()],
    )
    .await;
    let d = wait_for(&app, &owner, &id, 15, |d| d["status"] == "VERIFIED").await;
    assert_eq!(d["checks"][0]["trigger"], "pending", "{d}");
    assert_eq!(d["checks"][0]["outcome"], "verified");
    app.finish().await;
}

async fn bad_names_are_refused_with_reasons(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Careful").await;
    for (input, says) in [
        ("com", "public suffix"),
        ("co.uk", "public suffix"),
        ("github.io", "public suffix"),
        ("192.0.2.1", "IP address"),
        ("https://example.com/call", "web address"),
        ("exa mple.com", "`exa mple`"),
        ("a..com", "empty"),
        ("", "Enter"),
    ] {
        let res = app
            .gql(
                &owner.auth(),
                "mutation($n: String!) { addDomain(name: $n) { id } }",
                json!({ "n": input }),
            )
            .await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{input}: {res}");
        let message = res["errors"][0]["extensions"]["fields"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.to_lowercase().contains(&says.to_lowercase()),
            "{input}: {message}"
        );
    }
    // Nothing was added.
    let res = app
        .gql(&owner.auth(), "{ domains { id } }", json!({}))
        .await;
    assert_eq!(res["data"]["domains"], json!([]));
    app.finish().await;
}

/// A DNS server that never answers: the check says so instead of hanging.
async fn a_silent_dns_server_is_a_timeout(db: Db) {
    let silent = silent_udp_socket().await;
    let addr = silent.local_addr().unwrap();
    let app = TestApp::spawn_with(db, move |s| {
        s.dns_servers = vec![addr];
        s.dns_timeout = Duration::from_millis(600);
    })
    .await;
    let owner = app.sign_up("Unlucky").await;
    let d = add(&app, &owner, &unique_domain()).await;
    let started = std::time::Instant::now();
    let res = verify(&app, &owner.auth(), d["id"].as_str().unwrap()).await;
    assert_eq!(res["data"]["verifyDomain"]["outcome"], "timeout", "{res}");
    assert!(res["data"]["verifyDomain"]["message"]
        .as_str()
        .unwrap()
        .contains("did not answer in time"));
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(silent);
    app.finish().await;
}

/// A revocation whose email could not be queued at the time (the flag was committed with
/// the revocation) is told by the next sweep.
async fn an_untold_revocation_is_told_by_the_next_sweep(db: Db) {
    let app = TestApp::spawn_with(db, |s| s.sweep_interval = Duration::from_millis(100)).await;
    let owner = app.sign_up("Forgetful").await;
    let name = unique_domain();
    let d = add(&app, &owner, &name).await;
    let id = uuid::Uuid::parse_str(d["id"].as_str().unwrap()).unwrap();
    // As the revocation transaction leaves it when queueing the email then fails.
    domain::Entity::update_many()
        .col_expr(domain::Column::Status, Expr::value("revoked"))
        .col_expr(domain::Column::FailedChecks, Expr::value(3))
        .col_expr(
            domain::Column::NextCheckAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(domain::Column::RevocationNoticeDue, Expr::value(true))
        .filter(domain::Column::Id.eq(id))
        .exec(&app.services.db)
        .await
        .unwrap();
    let mail = unfolded(&app.wait_for_mail(&owner.email).await);
    assert!(
        mail.contains(&format!("{name} is no longer verified")),
        "{mail}"
    );
    let row = domain::Entity::find_by_id(id)
        .one(&app.services.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!row.revocation_notice_due, "told once, flag cleared");
    app.finish().await;
}

/// Two businesses that both published a record for the same name and press Verify at the
/// same moment: exactly one gets it, the other is told it is taken.
async fn one_name_one_business_even_in_a_race(db: Db) {
    let dns = TestDnsServer::start(&["com"]).await;
    let app = app_with_dns(db, &dns).await;
    let name = unique_domain();
    let record = format!("_domaincall.{name}");
    let mut contenders = Vec::new();
    for business in ["First", "Second", "Third"] {
        let owner = app.sign_up(business).await;
        let d = add(&app, &owner, &name).await;
        dns.add_txt(&record, &[d["recordValue"].as_str().unwrap()])
            .await;
        contenders.push((owner.auth(), d["id"].as_str().unwrap().to_owned()));
    }
    let results =
        futures::future::join_all(contenders.iter().map(|(auth, id)| verify(&app, auth, id))).await;
    let winners = results
        .iter()
        .filter(|r| r["data"]["verifyDomain"]["verified"] == true)
        .count();
    let refused = results
        .iter()
        .filter(|r| error_code(r) == Some("CONFLICT"))
        .count();
    assert_eq!((winners, refused), (1, 2), "{results:?}");
    app.finish().await;
}

both_dbs!(
    one_name_one_business_even_in_a_race,
    an_untold_revocation_is_told_by_the_next_sweep,
    verification_lifecycle,
    pending_domains_are_rechecked_automatically,
    bad_names_are_refused_with_reasons,
    a_silent_dns_server_is_a_timeout,
);
