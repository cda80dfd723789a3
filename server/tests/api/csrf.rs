//! Cross-site request forgery and cross-site WebSocket: a page on another site, in a
//! browser signed in to the dashboard, must not be able to use that session — through
//! `POST /graphql` (form, multipart, `text/plain` bodies; foreign `Origin`), through
//! `/graphql/ws`, or through the server functions under `/api/*` — nor sign the browser in
//! to another account. Our own pages, and the call page on a business's own domain, still
//! work.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::Message;

use crate::both_dbs;
use crate::helpers::{error_code, Db, Owner, TestApp};
use crate::ws::verified_domain;

const EVIL: &str = "https://evil.example";
/// Our dashboard's origin in these tests (`DOMAINCALL_ALLOWED_ORIGINS`; the public URL
/// of a test app names port 0).
const OURS: &str = crate::helpers::OWN_ORIGIN;

async fn spawn(db: Db) -> TestApp {
    TestApp::spawn(db).await
}
const CREATE_KEY: &str = r#"mutation { createApiKey(name: "planted") { secret } }"#;

/// How many API keys `owner`'s business has (asked with its bearer token).
async fn key_count(app: &TestApp, owner: &Owner) -> usize {
    let res = app
        .gql(&owner.auth(), "{ apiKeys { id } }", json!({}))
        .await;
    res["data"]["apiKeys"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .len()
}

/// `POST /graphql` with a raw body, its content type and extra headers.
async fn post_graphql(
    app: &TestApp,
    content_type: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, String)],
) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/graphql", app.base))
        .header("content-type", content_type)
        .body(body);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req.send().await.unwrap()
}

async fn graphql_cookie_posts_must_be_json_from_our_pages(db: Db) {
    let app = spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let cookie = ("cookie", format!("dc_session={}", owner.token));
    let json_body = json!({ "query": CREATE_KEY }).to_string();

    // What a form on another site can send, with the victim's cookie.
    let text = post_graphql(
        &app,
        "text/plain",
        json_body.clone(),
        std::slice::from_ref(&cookie),
    )
    .await;
    assert_eq!(text.status(), 415);
    let text: Value = text.json().await.unwrap();
    assert_eq!(error_code(&text), Some("VALIDATION"), "{text}");
    let form = format!("query={}", urlencode(CREATE_KEY));
    let form = post_graphql(
        &app,
        "application/x-www-form-urlencoded",
        form,
        std::slice::from_ref(&cookie),
    )
    .await;
    assert_eq!(form.status(), 415);
    let multipart = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{json_body}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{}}\r\n--XyZ--\r\n"
    );
    let multipart = post_graphql(
        &app,
        "multipart/form-data; boundary=XyZ",
        multipart,
        std::slice::from_ref(&cookie),
    )
    .await;
    assert_eq!(multipart.status(), 415);
    // JSON from another site's page (a preflight we never answer would stop a browser,
    // but the server must not rely on that).
    let foreign = post_graphql(
        &app,
        "application/json",
        json_body.clone(),
        &[cookie.clone(), ("origin", EVIL.to_owned())],
    )
    .await;
    assert_eq!(foreign.status(), 403);
    let foreign: Value = foreign.json().await.unwrap();
    assert_eq!(error_code(&foreign), Some("FORBIDDEN"), "{foreign}");
    let cross_site = post_graphql(
        &app,
        "application/json",
        json_body.clone(),
        &[cookie.clone(), ("sec-fetch-site", "cross-site".to_owned())],
    )
    .await;
    assert_eq!(cross_site.status(), 403);
    assert_eq!(key_count(&app, &owner).await, 0, "nothing was created");

    // An anonymous text/plain `signIn` would plant a session cookie: refused too.
    let sign_in = json!({ "query": format!(
        r#"mutation {{ signIn(email: "{}", password: "correct horse battery") {{ token }} }}"#,
        owner.email
    ) })
    .to_string();
    let planted = post_graphql(&app, "text/plain", sign_in.clone(), &[]).await;
    assert_eq!(planted.status(), 415);
    assert!(planted.headers().get("set-cookie").is_none());

    // Our own page: JSON with our origin works.
    let own = post_graphql(
        &app,
        "application/json",
        json_body.clone(),
        &[cookie.clone(), ("origin", OURS.to_owned())],
    )
    .await;
    assert_eq!(own.status(), 200);
    let own: Value = own.json().await.unwrap();
    assert!(own["data"]["createApiKey"]["secret"].is_string(), "{own}");
    assert_eq!(key_count(&app, &owner).await, 1);

    // Integrations with a bearer are unaffected, whatever the body type.
    let bearer = post_graphql(
        &app,
        "text/plain",
        json!({ "query": "{ me { email } }" }).to_string(),
        &[("authorization", format!("Bearer {}", owner.token))],
    )
    .await;
    assert_eq!(bearer.status(), 200);
    let bearer: Value = bearer.json().await.unwrap();
    assert_eq!(
        bearer["data"]["me"]["email"],
        owner.email.as_str(),
        "{bearer}"
    );
    app.finish().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/graphql/ws` with the session cookie and `origin`; the HTTP status when refused.
async fn open_graphql_ws(app: &TestApp, cookie: &str, origin: &str) -> Result<Socket, u16> {
    let mut req = format!("ws://{}/graphql/ws", app.base.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    let h = req.headers_mut();
    h.insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    h.insert("cookie", format!("dc_session={cookie}").parse().unwrap());
    h.insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("connecting failed: {e}"),
    }
}

/// Inits with `payload` and runs `{ me { email } }`; the `next` or `error` message.
async fn who_am_i(ws: &mut Socket, payload: Value) -> Value {
    let init = json!({ "type": "connection_init", "payload": payload });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let query =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ me { email } }" } });
    ws.send(Message::text(query.to_string())).await.unwrap();
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "next" || v["type"] == "error" {
                return v;
            }
        }
    }
}

async fn graphql_ws_checks_the_origin(db: Db) {
    let app = spawn(db).await;
    let owner = app.sign_up("Acme").await;
    // Another site's page, with the victim's cookie: refused before the upgrade.
    assert_eq!(
        open_graphql_ws(&app, &owner.token, EVIL).await.err(),
        Some(403)
    );
    assert_eq!(
        open_graphql_ws(&app, &owner.token, "null").await.err(),
        Some(403)
    );
    // Our own page: the cookie counts.
    let mut ws = open_graphql_ws(&app, &owner.token, OURS)
        .await
        .expect("our origin connects");
    let got = who_am_i(&mut ws, json!({})).await;
    assert_eq!(
        got["payload"]["data"]["me"]["email"],
        owner.email.as_str(),
        "{got}"
    );
    // A business's verified domain (anyone can verify one) connects, but the dashboard
    // cookie does not count there; an explicit token does.
    let domain = verified_domain(&app, &owner).await;
    let business = format!("http://{domain}");
    let mut ws = open_graphql_ws(&app, &owner.token, &business)
        .await
        .expect("a business domain connects");
    let got = who_am_i(&mut ws, json!({})).await;
    let errors = got["payload"]["errors"][0]["extensions"]["code"].clone();
    assert_eq!(errors, "UNAUTHENTICATED", "{got}");
    let mut ws = open_graphql_ws(&app, "", &business)
        .await
        .expect("connects");
    let got = who_am_i(
        &mut ws,
        json!({ "authorization": format!("Bearer {}", owner.token) }),
    )
    .await;
    assert_eq!(
        got["payload"]["data"]["me"]["email"],
        owner.email.as_str(),
        "{got}"
    );
    app.finish().await;
}

/// Calls a server function with a form body and `headers`; (status, set-cookie present).
async fn call(
    app: &TestApp,
    endpoint: &str,
    headers: &[(&str, String)],
    form: &[(&str, &str)],
) -> (u16, bool) {
    let res = app.server_fn(endpoint, headers, form).await;
    (
        res.status().as_u16(),
        res.headers().get("set-cookie").is_some(),
    )
}

async fn server_functions_check_the_origin(db: Db) {
    let app = spawn(db).await;
    let owner = app.sign_up("Acme").await;
    let cookie = ("cookie", format!("dc_session={}", owner.token));
    let sign_in = [
        ("email", owner.email.as_str()),
        ("password", "correct horse battery"),
    ];
    // Another site's form post, with the victim's cookie: refused, nothing created.
    let evil = ("origin", EVIL.to_owned());
    let (status, _) = call(
        &app,
        "create_api_key",
        &[cookie.clone(), evil.clone()],
        &[("name", "planted")],
    )
    .await;
    assert_eq!(status, 403);
    let cross_site = ("sec-fetch-site", "cross-site".to_owned());
    let (status, _) = call(
        &app,
        "create_api_key",
        &[cookie.clone(), cross_site.clone()],
        &[("name", "planted")],
    )
    .await;
    assert_eq!(status, 403, "no Origin, but the browser says cross-site");
    assert_eq!(key_count(&app, &owner).await, 0);
    // Signing a browser in to the attacker's account from another site: refused.
    for h in [evil.clone(), cross_site, ("origin", "null".to_owned())] {
        let (status, set_cookie) = call(&app, "sign_in", std::slice::from_ref(&h), &sign_in).await;
        assert_eq!((status, set_cookie), (403, false), "{h:?}");
    }

    // Our own pages work.
    let own = ("origin", OURS.to_owned());
    let (status, _) = call(
        &app,
        "create_api_key",
        &[cookie.clone(), own.clone()],
        &[("name", "mine")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(key_count(&app, &owner).await, 1);
    let (status, set_cookie) = call(
        &app,
        "sign_in",
        &[own, ("sec-fetch-site", "same-origin".to_owned())],
        &sign_in,
    )
    .await;
    assert!(status < 400 && set_cookie, "signed in: {status}");

    // A business's own domain serves its call page: the call page's functions work from
    // there, the dashboard's do not (not even signing in).
    let domain = verified_domain(&app, &owner).await;
    for origin in [format!("http://{domain}"), format!("http://call.{domain}")] {
        let biz = ("origin", origin.clone());
        let (status, set_cookie) =
            call(&app, "start_caller", std::slice::from_ref(&biz), &[]).await;
        assert_eq!((status, set_cookie), (200, true), "{origin}: start_caller");
        let (status, _) = call(
            &app,
            "call_page_info",
            std::slice::from_ref(&biz),
            &[("domain", domain.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{origin}: call_page_info");
        let (status, _) = call(&app, "online_domains", std::slice::from_ref(&biz), &[]).await;
        assert_eq!(status, 200, "{origin}: online_domains");
        let (status, _) = call(
            &app,
            "request_callback",
            std::slice::from_ref(&biz),
            &[("domain", domain.as_str()), ("email", "caller@example.net")],
        )
        .await;
        assert_eq!(status, 200, "{origin}: request_callback");
        let (status, _) = call(
            &app,
            "create_api_key",
            &[cookie.clone(), biz.clone()],
            &[("name", "planted")],
        )
        .await;
        assert_eq!(status, 403, "{origin}: create_api_key");
        let (status, set_cookie) = call(&app, "sign_in", &[biz], &sign_in).await;
        assert_eq!((status, set_cookie), (403, false), "{origin}: sign_in");
    }
    assert_eq!(key_count(&app, &owner).await, 1);
    app.finish().await;
}

both_dbs!(
    graphql_cookie_posts_must_be_json_from_our_pages,
    graphql_ws_checks_the_origin,
    server_functions_check_the_origin,
);
