//! The business profile: a greeting and a logo on the call page. Owners and admins change
//! them (not agents, not another business); the greeting is escaped wherever it lands;
//! the logo upload is a cookie door from our own pages only, takes PNG, JPEG or WebP by
//! their bytes (an SVG or HTML file named `.png` is refused) up to 256 KB, and the logo
//! is served with its type and `nosniff`.

use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, Db, Owner, TestApp};
use crate::ws::{colleague, verified_domain};

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\x0d\x0a\x1a\x0a\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0dIDATx\x9cc\xd0\x8a\xbe\xf1\x1f\x00\x04m\x02]\xb5\xfd\x1ev\x00\x00\x00\x00IEND\xaeB`\x82";

const PROFILE: &str = "{ businessProfile { name greeting logoUrl } }";

/// Posts `bytes` as the logo form's file from `origin` with session `token`; the status
/// and where it sends the browser.
async fn upload(app: &TestApp, token: &str, origin: &str, bytes: &[u8]) -> (u16, String) {
    let boundary = "----domaincall-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client
        .post(format!("{}/app/profile/logo", app.base))
        .header("cookie", format!("dc_session={token}"))
        .header("origin", origin)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), crate::helpers::location_of(&res))
}

async fn profile(app: &TestApp, owner: &Owner) -> Value {
    let res = app.gql(&owner.auth(), PROFILE, json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["businessProfile"].clone()
}

async fn a_greeting_and_a_logo_reach_the_call_page(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let other = app.sign_up("Beta").await;
    let domain = verified_domain(&app, &owner).await;
    let (agent, _) = colleague(&app, &owner).await;

    // The greeting: hostile text lands escaped in the page, and on the call page's data.
    let greeting = "Hi! <script>alert(1)</script> \"quoted\" & more\nSecond line";
    let set = "mutation($n: String!, $g: String) { setBusinessProfile(name: $n, greeting: $g) { name greeting } }";
    let res = app
        .gql(
            &owner.auth(),
            set,
            json!({ "n": "Alpha <b>Bakery</b>", "g": greeting }),
        )
        .await;
    assert_eq!(
        res["data"]["setBusinessProfile"]["greeting"], greeting,
        "{res}"
    );
    let page = app.page(&format!("/call/{domain}")).await;
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "unescaped greeting"
    );
    assert!(!page.contains("<b>Bakery</b>"), "unescaped name");
    assert!(
        page.contains("id=\"call-greeting\""),
        "no greeting on the page"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "greeting text missing"
    );

    // Refusals: an agent, a greeting too long, a blank name; Beta never sees Alpha's.
    let res = app
        .gql(
            &crate::helpers::Auth::Bearer(agent.clone()),
            set,
            json!({ "n": "Agent's", "g": null }),
        )
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let long = "x".repeat(281);
    let res = app
        .gql(&owner.auth(), set, json!({ "n": "Alpha", "g": long }))
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let res = app
        .gql(&owner.auth(), set, json!({ "n": "  ", "g": null }))
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    assert_eq!(profile(&app, &other).await["greeting"], Value::Null);
    assert_eq!(profile(&app, &owner).await["name"], "Alpha <b>Bakery</b>");

    // The logo: from our own page, a PNG by its bytes.
    let own = crate::helpers::OWN_ORIGIN.to_owned();
    assert_eq!(
        upload(&app, &owner.token, &own, PNG).await,
        (303, "/app/settings?logo=saved#profile-title".to_owned())
    );
    let url = profile(&app, &owner).await["logoUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .http
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    let page = app.page(&format!("/call/{domain}")).await;
    assert!(
        page.contains(&url.replace('&', "&amp;")) || page.contains(&url),
        "no logo on the page"
    );

    // Refused: not an image (an SVG with script, HTML named .png), too large, an agent,
    // another site's form, Beta's call for Alpha's logo.
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let html = b"<!doctype html><script>alert(1)</script>";
    for bad in [&svg[..], &html[..]] {
        let (status, to) = upload(&app, &owner.token, &own, bad).await;
        assert_eq!(
            (status, to.as_str()),
            (303, "/app/settings?logo=not_image#profile-title")
        );
    }
    let mut big = PNG.to_vec();
    big.resize(entity::profile::MAX_LOGO_BYTES + 1, 0);
    let (_, to) = upload(&app, &owner.token, &own, &big).await;
    assert!(to.contains("logo=too_big"), "{to}");
    let mut huge = PNG.to_vec();
    huge.resize(2 * 1024 * 1024, 0);
    let (_, to) = upload(&app, &owner.token, &own, &huge).await;
    assert!(to.contains("logo=too_big"), "{to}");
    let (_, to) = upload(&app, &agent, &own, PNG).await;
    assert!(to.contains("logo=forbidden"), "{to}");
    let (status, _) = upload(&app, &owner.token, "https://evil.example", PNG).await;
    assert_eq!(status, 403);
    let (status, _) = upload(&app, &owner.token, &format!("http://{domain}"), PNG).await;
    assert_eq!(status, 403, "a business domain's page is not ours");
    assert_eq!(profile(&app, &other).await["logoUrl"], Value::Null);

    // Through GraphQL too; removing it takes it off the page and the address.
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(PNG);
    let res = app
        .gql(
            &other.auth(),
            "mutation($i: String!) { setBusinessLogo(imageBase64: $i) { logoUrl } }",
            json!({ "i": encoded }),
        )
        .await;
    assert!(
        res["data"]["setBusinessLogo"]["logoUrl"].is_string(),
        "{res}"
    );
    let res = app
        .gql(
            &other.auth(),
            "mutation { setBusinessLogo(imageBase64: \"PHN2Zz4=\") { logoUrl } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "an SVG: {res}");
    let res = app
        .gql(
            &owner.auth(),
            "mutation { removeBusinessLogo { logoUrl } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["removeBusinessLogo"]["logoUrl"],
        Value::Null,
        "{res}"
    );
    let res = app
        .http
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(
        profile(&app, &other).await["logoUrl"].is_string(),
        "Beta's logo stays"
    );
    app.finish().await;
}

both_dbs!(a_greeting_and_a_logo_reach_the_call_page);
