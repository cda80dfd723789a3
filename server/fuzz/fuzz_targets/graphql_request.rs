//! The GraphQL door, through the real router and all its middleware: any body, with any
//! of the content types and origins a browser or a client may send, anonymous or with a
//! session cookie or an API key.
//!
//! Checked for every input: no panic, no 5xx, and when the answer is GraphQL (JSON), every
//! error carries a stable `extensions.code` — the API's promise for bad input.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, Request};
use libfuzzer_sys::fuzz_target;
use server::{Application, Settings};
use tower::ServiceExt;

struct World {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    session: String,
    api_key: String,
}

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/graphql",
    "",
];
const ORIGINS: &[&str] = &["", "http://127.0.0.1:0", "https://evil.example", "null"];

/// One application on a fresh SQLite database, with an owner (session cookie) and an API
/// key, made through the API itself.
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("dc-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let vars = [
            ("DOMAINCALL_ADDR", "127.0.0.1:0".to_owned()),
            ("DOMAINCALL_DATA_DIR", dir.display().to_string()),
            ("DOMAINCALL_WORKERS", "false".to_owned()),
            ("DOMAINCALL_LOG", "off".to_owned()),
        ];
        let settings = Settings::from_lookup(|k| {
            vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        })
        .expect("settings");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let app = rt.block_on(Application::build(settings)).expect("the app");
        let router = app.router();
        let (session, api_key) = rt.block_on(owner(app.services()));
        World {
            rt,
            router,
            session,
            api_key,
        }
    })
}

/// An owner of a business: their session token and an API key of the business.
async fn owner(services: &entity::Services) -> (String, String) {
    use entity::auth::{accounts, api_keys, passwords, sessions};
    use sea_orm::{ActiveModelTrait, Set};
    let db = &services.db;
    let now = chrono::Utc::now();
    let user = entity::entities::user::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        email: Set("fuzz@example.com".to_owned()),
        password_hash: Set(passwords::dummy_hash().to_owned()),
        display_name: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("a user");
    let business = accounts::create_business(db, user.id, "Fuzz Co")
        .await
        .expect("a business");
    let ttl = chrono::Duration::hours(24);
    let session = sessions::start(db, &services.keys, user.id, business.id, ttl)
        .await
        .expect("a session");
    let principal = entity::auth::authenticate(services, Some(&session), None)
        .await
        .expect("the session works");
    let key = api_keys::create(db, &services.events, &principal, "fuzz")
        .await
        .expect("an API key");
    (session, key.secret)
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let w = world();
    let mut req = Request::post("/graphql");
    let content_type = CONTENT_TYPES[usize::from(choice & 7) % CONTENT_TYPES.len()];
    if !content_type.is_empty() {
        req = req.header(header::CONTENT_TYPE, content_type);
    }
    let origin = ORIGINS[usize::from((choice >> 3) & 3)];
    if !origin.is_empty() {
        req = req.header(header::ORIGIN, origin);
    }
    match choice >> 5 {
        1 | 2 => req = req.header(header::COOKIE, format!("dc_session={}", w.session)),
        3 | 4 => req = req.header(header::AUTHORIZATION, format!("Bearer {}", w.api_key)),
        5 => req = req.header(header::AUTHORIZATION, format!("Bearer {}", w.session)),
        _ => {}
    }
    let req = req.body(Body::from(body.to_vec())).expect("a request");
    let (status, bytes) = w.rt.block_on(async {
        let res = w.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("a body");
        (status, bytes)
    });
    assert!(
        !status.is_server_error(),
        "{status} for {content_type:?} {:?}: {}",
        String::from_utf8_lossy(body),
        String::from_utf8_lossy(&bytes)
    );
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return;
    };
    for error in answer["errors"].as_array().into_iter().flatten() {
        assert!(
            error["extensions"]["code"].is_string(),
            "an error without a code ({status}) for {:?}: {error}",
            String::from_utf8_lossy(body)
        );
    }
});
