//! Request-level protections: batching off, limits, body cap, codes on engine errors,
//! and the committed schema.

use serde_json::json;

use crate::helpers::{error_code, Auth, Db, TestApp};

#[tokio::test]
async fn request_edges() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let owner = app.sign_up("Acme").await;
    // Batching is off.
    let res = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&owner.token)
        .json(&json!([{ "query": "{ me { email } }" }, { "query": "{ me { email } }" }]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Engine errors carry a code too.
    let res = app.gql(&owner.auth(), "{ me { nope } }", json!({})).await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let res = app.gql(&owner.auth(), "{ me { email ", json!({})).await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    // Depth is limited.
    let mut q = String::from("__typename");
    for _ in 0..20 {
        q = format!("__schema {{ types {{ fields {{ type {{ {q} }} }} }} }}");
    }
    let res = app
        .gql(&owner.auth(), &format!("{{ {q} }}"), json!({}))
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    // The body is capped.
    let huge = "x".repeat(200 * 1024);
    let res = app
        .gql_raw(
            &Auth::None,
            &format!("{{ me {{ email }} }} # {huge}"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 413);
    // The GraphQL console is served (ours: see hardening.rs).
    let page = app
        .http
        .get(format!("{}/graphql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("GraphQL console"));
    app.finish().await;
}

#[test]
fn schema_is_committed() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let live = server::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &live).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == live,
        "schema.graphql differs from the schema the server serves; run `UPDATE_SCHEMA=1 cargo test -p server --test api schema_is_committed` and commit it"
    );
}
