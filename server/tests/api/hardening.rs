//! The smaller doors: `/graphql/ws` limits (message size, `connection_init` timeout),
//! `/metrics` behind its token, the data directory private to its user, introspection
//! as configured and a GraphQL console with no third-party script.

use std::path::Path;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::both_dbs;
use crate::helpers::{error_code, Auth, Db, TestApp};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_graphql_ws(app: &TestApp) -> Socket {
    let mut req = format!("ws://{}/graphql/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// The next message that is not a ping or pong, as JSON.
async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] != "ping" && v["type"] != "pong" {
                return v;
            }
        }
    }
}

/// Reads until the close frame; its code.
async fn close_code(ws: &mut Socket) -> u16 {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a close in time");
        match msg {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) => panic!("a close without a code"),
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
}

async fn init(ws: &mut Socket) {
    let init = json!({ "type": "connection_init", "payload": {} });
    ws.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(next_json(ws).await["type"], "connection_ack");
}

/// A `subscribe` message of exactly `len` bytes running `{ __typename }`.
fn subscribe_of_len(len: usize) -> String {
    let head = r#"{"id":"1","type":"subscribe","payload":{"query":"{ __typename } #"#;
    let tail = r#""}}"#;
    format!("{head}{}{tail}", "x".repeat(len - head.len() - tail.len()))
}

async fn graphql_ws_limits_hold(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.signaling.hello_timeout = Duration::from_millis(400);
    })
    .await;
    // No connection_init in time: closed with 4408.
    let mut silent = open_graphql_ws(&app).await;
    let started = std::time::Instant::now();
    assert_eq!(close_code(&mut silent).await, 4408);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Initialised in time: the timeout no longer applies.
    let mut ws = open_graphql_ws(&app).await;
    init(&mut ws).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    // Exactly the POST body limit fits...
    let fits = subscribe_of_len(64 * 1024);
    assert_eq!(fits.len(), 65_536);
    ws.send(Message::text(fits)).await.unwrap();
    let got = next_json(&mut ws).await;
    assert_eq!(got["payload"]["data"]["__typename"], "Query", "{got}");
    // ...one byte more closes the socket with 1009 (a 1 MB query used to run).
    ws.send(Message::text(subscribe_of_len(64 * 1024 + 1)))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, 1009);
    app.finish().await;
}

async fn metrics_need_the_token(db: Db) {
    let app = TestApp::spawn(db).await;
    let get = |app: &TestApp, auth: Option<&str>| {
        let mut req = app.http.get(format!("{}/metrics", app.base));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    assert_eq!(
        get(&app, None).await.unwrap().status(),
        404,
        "no token: no route"
    );
    app.finish().await;

    let token = "metrics-token-0123456789";
    let app = TestApp::spawn_with(db, |s| s.metrics_token = Some(token.to_owned().into())).await;
    let none = get(&app, None).await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers().get("www-authenticate").is_some());
    let wrong = get(&app, Some("Bearer metrics-token-0123456788"))
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let prefix = get(&app, Some("Bearer metrics-token")).await.unwrap();
    assert_eq!(prefix.status(), 401);
    let ok = get(&app, Some(&format!("Bearer {token}"))).await.unwrap();
    assert_eq!(ok.status(), 200);
    let text = ok.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    app.finish().await;
}

/// Every path under `dir` whose mode is not 0700 (directories) or 0600 (files).
fn loose_paths(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut loose = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(path) = todo.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        let wanted = if meta.is_dir() { 0o700 } else { 0o600 };
        if mode != wanted {
            loose.push(format!("{} {mode:o}", path.display()));
        }
        if meta.is_dir() {
            todo.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        }
    }
    loose
}

async fn the_data_directory_is_private(db: Db) {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn_with(db, |s| {
        // What an earlier version left behind: an open directory and readable mail.
        let outbox = s.data_dir.join("outbox");
        std::fs::create_dir_all(&outbox).unwrap();
        std::fs::write(outbox.join("old.eml"), "To: someone\n").unwrap();
        for (path, mode) in [(&s.data_dir, 0o755), (&outbox, 0o755)] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        std::fs::set_permissions(
            outbox.join("old.eml"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    })
    .await;
    assert_eq!(
        loose_paths(&app.data_dir),
        Vec::<String>::new(),
        "after start"
    );
    // An invitation writes a mail with a live link into the outbox.
    let owner = app.sign_up("Acme").await;
    let email = format!("invitee-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .gql(
            &owner.auth(),
            "mutation($e: String!) { inviteMember(email: $e, role: AGENT) { id } }",
            json!({ "e": email }),
        )
        .await;
    assert!(res["data"]["inviteMember"]["id"].is_string(), "{res}");
    let mail = app.wait_for_mail(&email).await;
    assert!(mail.contains("/invite/"));
    assert_eq!(
        loose_paths(&app.data_dir),
        Vec::<String>::new(),
        "after a mail"
    );
    app.finish().await;
}

const SCHEMA_QUERY: &str = "{ __schema { queryType { name } } }";

async fn introspection_and_the_console_follow_the_settings(db: Db) {
    // Defaults on an http public URL: both on; the console is ours alone.
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let res = app.gql(&owner.auth(), SCHEMA_QUERY, json!({})).await;
    assert_eq!(
        res["data"]["__schema"]["queryType"]["name"], "Query",
        "{res}"
    );
    let page = app
        .http
        .get(format!("{}/graphql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = page.text().await.unwrap().to_lowercase();
    assert!(
        html.contains(r#"<script src="/graphql/console.js""#),
        "{html}"
    );
    for foreign in [
        "https://", "http://", "//cdn", "unpkg", "jsdelivr", "<script>",
    ] {
        assert!(!html.contains(foreign), "{foreign} in {html}");
    }
    for (asset, kind) in [("console.js", "javascript"), ("console.css", "css")] {
        let res = app
            .http
            .get(format!("{}/graphql/{asset}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.contains(kind), "{asset}: {content_type}");
    }
    let sdl = app
        .http
        .get(format!("{}/graphql/schema.graphql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(sdl.status(), 200);
    app.finish().await;

    // Both off (the default introspection for an https public URL is off too).
    let app = TestApp::spawn_with(db, |s| {
        s.graphql_introspection = false;
        s.graphql_console = false;
    })
    .await;
    let owner = app.sign_up("Acme").await;
    for query in [SCHEMA_QUERY, r#"{ __type(name: "Query") { name } }"#] {
        let res = app.gql(&owner.auth(), query, json!({})).await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
        assert!(res["data"].is_null(), "{res}");
    }
    let res = app.gql(&Auth::None, "{ __typename }", json!({})).await;
    assert_eq!(
        res["data"]["__typename"], "Query",
        "ordinary queries still run"
    );
    for path in ["/graphql", "/graphql/console.js", "/graphql/schema.graphql"] {
        let res = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    app.finish().await;
}

both_dbs!(
    graphql_ws_limits_hold,
    metrics_need_the_token,
    the_data_directory_is_private,
    introspection_and_the_console_follow_the_settings,
);
