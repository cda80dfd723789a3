//! The share card of a verified domain (`share_call_page`): the call page's full address
//! on the public URL, a QR code of it as SVG (nothing but drawing in it), and the widget
//! snippet; nothing for a domain not verified yet or of another business.

use serde_json::Value;

use crate::both_dbs;
use crate::helpers::{Db, TestApp};
use crate::ws::{add_domain, verified_domain_with_id};

async fn share(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    app.server_fn_as(token, "share_call_page", &[("id", id)])
        .await
}

async fn a_verified_domain_has_a_share_card(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let (name, id) = verified_domain_with_id(&app, &owner).await;
    let (status, card) = share(&app, &owner.token, &id.to_string()).await;
    assert_eq!(status, 200, "{card}");
    let base = app.services.public_url.trim_end_matches('/');
    assert_eq!(card["url"], format!("{base}/call/{name}"), "{card}");
    assert_eq!(
        card["snippet"],
        format!(r#"<script src="{base}/widget.js" data-domain="{name}" async></script>"#)
    );
    let svg = card["qr_svg"].as_str().unwrap_or_default();
    assert!(
        svg.starts_with("<svg") && svg.ends_with("</svg>"),
        "{svg:.80}"
    );
    let handler = svg
        .split(|c: char| c.is_whitespace() || c == '<')
        .any(|w| w.starts_with("on") && w.contains('='));
    assert!(
        !svg.contains("<script") && !handler,
        "active content in the QR: {svg:.200}"
    );

    // Not verified yet: no card.
    let (_, pending) = add_domain(&app, &owner).await;
    let (status, body) = share(&app, &owner.token, &pending.to_string()).await;
    assert_eq!(status, 404, "{body}");
    // Another business's domain: no card either.
    let other = app.sign_up("Beta").await;
    let (status, body) = share(&app, &other.token, &id.to_string()).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.to_string().contains(&name), "{body}");
    app.finish().await;
}

both_dbs!(a_verified_domain_has_a_share_card);
