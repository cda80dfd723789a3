//! `GET /widget.js`: the click-to-call script other sites embed. What a site owner relies
//! on: it loads cross-site as JavaScript, is cached, and renders a labelled button that
//! opens the call page on the host the script came from.

use crate::helpers::{Db, TestApp};

/// A static route: one database is enough.
#[tokio::test]
async fn widget_is_served_as_cacheable_cross_site_javascript() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let res = app
        .http
        .get(format!("{}/widget.js", app.base))
        .header("origin", "https://shop.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        header("content-type").starts_with("application/javascript"),
        "{}",
        header("content-type")
    );
    let cache = header("cache-control");
    assert!(
        cache.contains("public") && cache.contains("max-age="),
        "{cache}"
    );
    assert_eq!(header("access-control-allow-origin"), "*");
    assert_eq!(header("cross-origin-resource-policy"), "cross-origin");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let body = res.text().await.unwrap();
    // Small, self-contained, and built from its own `<script>` tag.
    assert!(body.len() < 8 * 1024, "{} bytes", body.len());
    for needle in [
        "document.currentScript",
        "data-domain",
        "data-target",
        "\"/call/\"",
        "aria-label",
        "attachShadow",
        "focus-visible",
        "window.open",
    ] {
        assert!(body.contains(needle), "`{needle}` not in the widget");
    }
    assert!(
        !body.contains("import "),
        "no module syntax: it loads as a classic script"
    );

    // HEAD works too (link checkers, CDNs).
    let head = app
        .http
        .head(format!("{}/widget.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    app.finish().await;
}
