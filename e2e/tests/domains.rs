//! A new user proves a domain in real Chromium against a real DNS server on loopback:
//! add it, publish the record the page shows, press Verify, open its call page (by path and
//! by Host header), then remove the record and watch it revoked with an email to the owner.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../entity/tests/support/dns_server.rs"]
mod dns_server;

use std::net::Ipv4Addr;
use std::sync::OnceLock;
use std::time::Duration;

use dns_server::TestDnsServer;
use e2e::{console_errors, eventually, screenshot, Driver, Server};
use fantoccini::{Client, Locator};
use hickory_server::proto::rr::RecordType;

const WAIT: Duration = Duration::from_secs(45);
const BUSINESS: &str = "Corner Shop";

/// chromedriver's address, for reading the console when a wait fails.
static DRIVER_URL: OnceLock<String> = OnceLock::new();

/// The text of the first element matching `css`, if there is one.
async fn text(c: &Client, css: &str) -> Option<String> {
    c.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

/// Waits until the element matching `css` contains `needle`; returns its text.
/// On failure, `target/e2e/domains-failure.png` shows the page as it was.
async fn wait_for_text(c: &Client, css: &str, needle: &str) -> String {
    let found = eventually(&format!("`{needle}` in {css}"), WAIT, || async {
        text(c, css).await.filter(|t| t.contains(needle))
    })
    .await;
    if found.is_err() {
        let _ = screenshot(c, "domains-failure").await;
        if let Some(url) = DRIVER_URL.get() {
            println!("console errors: {:?}", console_errors(url, c).await);
        }
        let body = text(c, "body").await.unwrap_or_default();
        println!("page text at failure:\n{body}");
    }
    found.unwrap()
}

/// Waits until the page is hydrated (event handlers attached; no panic on the way).
async fn wait_hydrated(c: &Client) {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("body[data-hydrated]"))
        .await
        .unwrap();
}

async fn scroll_to(c: &Client, css: &str) {
    let el = c.find(Locator::Css(css)).await.unwrap();
    c.execute(
        "arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -76);",
        vec![serde_json::to_value(el).unwrap()],
    )
    .await
    .unwrap();
}

async fn sign_up(c: &Client, server: &Server, email: &str) {
    let base = &server.base;
    c.goto(&format!("{base}/signup")).await.unwrap();
    wait_hydrated(c).await;
    for (css, value) in [
        ("#email", email),
        ("#password", "correct horse battery"),
        ("#business-name", BUSINESS),
    ] {
        c.find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    c.find(Locator::Css("#signup-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let link = eventually("the sign-up email", WAIT, || async {
        server.sign_up_link(email)
    })
    .await
    .unwrap();
    c.goto(&format!("{base}{link}")).await.unwrap();
    wait_hydrated(c).await;
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    c.find(Locator::Css("#confirm-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    eventually("the dashboard", WAIT, || async {
        let url = c.current_url().await.ok()?;
        url.path().starts_with("/app").then_some(())
    })
    .await
    .unwrap();
}

async fn type_domain_and_add(c: &Client, name: &str) {
    let input = c.find(Locator::Css("#domain-name")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(name).await.unwrap();
    c.find(Locator::Css("#add-domain"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn prove_a_domain_open_its_call_page_and_see_it_revoked() {
    let dns = TestDnsServer::start(&["com"]).await;
    let dns_addr = dns.addr().to_string();
    let server = Server::start(&[
        ("DOMAINCALL_DNS_SERVERS", dns_addr.as_str()),
        ("DOMAINCALL_DNS_TIMEOUT", "2s"),
        ("DOMAINCALL_REVERIFY_INTERVAL", "1s"),
        ("DOMAINCALL_SWEEP_INTERVAL", "200ms"),
        ("DOMAINCALL_REVOKE_AFTER_CHECKS", "3"),
    ])
    .expect("server");
    let base = server.base.clone();
    let driver = Driver::start().await.expect("chromedriver");
    let _ = DRIVER_URL.set(driver.url.clone());
    let c = driver.browser(false).await.expect("browser");
    let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
    let domain = format!(
        "shop-{}.com",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    );
    dns.add_a(&domain, Ipv4Addr::new(192, 0, 2, 10)).await;

    sign_up(&c, &server, &email).await;

    // The domains page, empty.
    c.goto(&format!("{base}/app/domains")).await.unwrap();
    wait_hydrated(&c).await;
    wait_for_text(&c, "#no-domains", "No domains yet").await;

    // The browser refuses what the server would, with the same message.
    type_domain_and_add(&c, "https://example.com/contact").await;
    wait_for_text(&c, "#domain-name-error", "looks like a web address").await;
    type_domain_and_add(&c, "co.uk").await;
    wait_for_text(&c, "#domain-name-error", "is a public suffix").await;

    // Add it: the page opens onto the record to publish.
    type_domain_and_add(&c, &domain.to_uppercase()).await;
    let record_name = wait_for_text(&c, "#record-name", "_domaincall.").await;
    assert_eq!(record_name, format!("_domaincall.{domain}"));
    let record_value = text(&c, "#record-value").await.unwrap();
    assert!(
        record_value.starts_with("domaincall-verify="),
        "{record_value}"
    );
    let line = text(&c, "#record-line").await.unwrap();
    assert_eq!(line, format!("{record_name} TXT \"{record_value}\""));
    let url = c.current_url().await.unwrap();
    let domain_page = url.to_string();
    assert!(
        url.query().is_some_and(|q| q.starts_with("domain=")),
        "{url}"
    );
    wait_for_text(&c, "#domains-table", "Pending").await;

    // Verify before publishing: told precisely that the record is missing.
    c.find(Locator::Css("#verify-domain"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let result = wait_for_text(&c, "#verify-result", "Not verified.").await;
    assert!(result.contains("TXT"), "{result}");
    wait_for_text(&c, "#check-history", "No TXT record").await;
    c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    screenshot(&c, "domains-01-pending").await.unwrap();
    scroll_to(&c, "#domain-detail").await;
    screenshot(&c, "domains-02-pending-detail").await.unwrap();

    // Publish the record shown, press Verify: verified.
    dns.add_txt(&record_name, &[&record_value]).await;
    c.find(Locator::Css("#verify-domain"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "#verify-result", "Verified: ").await;
    wait_for_text(&c, "#domain-detail .domain-status", "Verified").await;
    wait_for_text(&c, "#domains-table", "Verified").await;
    wait_for_text(&c, "#check-history", "Record found").await;
    // Once verified, the page says how to share it: the address, a QR code, the snippet.
    wait_for_text(&c, "#share-url", &format!("/call/{domain}")).await;
    wait_for_text(&c, "#share-snippet", &format!("data-domain=\"{domain}\"")).await;
    let qr = c
        .find(Locator::Css("#share-call-page .share-qr svg path"))
        .await;
    assert!(qr.is_ok(), "no QR code drawn on the share card");
    scroll_to(&c, "#domain-detail").await;
    screenshot(&c, "domains-03-verified").await.unwrap();

    // Its call page on our host.
    c.goto(&format!("{base}/call/{domain}")).await.unwrap();
    wait_hydrated(&c).await;
    assert_eq!(text(&c, "#call-business").await.unwrap(), BUSINESS);
    assert_eq!(text(&c, "#call-domain").await.unwrap(), domain);
    wait_for_text(&c, "#call-start", "Call").await;
    screenshot(&c, "domains-04-call-page").await.unwrap();

    // `/call` on our own host asks whom to call; the form checks, then navigates.
    c.goto(&format!("{base}/call")).await.unwrap();
    wait_hydrated(&c).await;
    wait_for_text(&c, "h1", "Who do you want to call?").await;
    let input = c.find(Locator::Css("#call-domain-input")).await.unwrap();
    input.send_keys("not a domain").await.unwrap();
    c.find(Locator::Css("#call-search-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "#call-domain-error", "contains").await;
    screenshot(&c, "domains-05-call-search").await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(&domain).await.unwrap();
    c.find(Locator::Css("#call-search-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "#call-business", BUSINESS).await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/call/{domain}")
    );

    // Unknown domains: a friendly page, and a real 404.
    c.goto(&format!("{base}/call/nobody-here.com"))
        .await
        .unwrap();
    wait_hydrated(&c).await;
    wait_for_text(&c, "#call-not-found", "nobody-here.com").await;
    screenshot(&c, "domains-06-call-not-found").await.unwrap();

    let http = reqwest::Client::new();
    let get = |path: &str, host: Option<&str>| {
        let mut req = http.get(format!("{base}{path}"));
        if let Some(host) = host {
            req = req.header(reqwest::header::HOST, host);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    for host in [
        domain.clone(),
        format!("call.{domain}"),
        format!("{domain}:443"),
    ] {
        let (status, body) = get("/call", Some(&host)).await;
        assert_eq!(status, 200, "Host: {host}");
        assert!(body.contains(BUSINESS), "Host: {host}: {body}");
    }
    let (status, body) = get("/call", Some("nobody-here.com")).await;
    assert_eq!(status, 404);
    assert!(body.contains("No call page here"), "{body}");
    let (status, body) = get("/call", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("Who do you want to call?"), "{body}");
    assert_eq!(get("/call/nobody-here.com", None).await.0, 404);
    assert_eq!(get(&format!("/call/{domain}"), None).await.0, 200);

    // The record goes away: after the grace checks the domain is revoked, its call page
    // is gone and the owner is told by email.
    dns.remove(&record_name, RecordType::TXT).await;
    eventually("the domain revoked", Duration::from_secs(60), || async {
        c.goto(&domain_page).await.ok()?;
        let status = text(&c, "#domain-detail .domain-status").await?;
        (status == "Revoked").then_some(())
    })
    .await
    .unwrap();
    wait_hydrated(&c).await;
    wait_for_text(&c, "#check-history", "Periodic re-check").await;
    wait_for_text(&c, "#domain-record", &record_value).await;
    scroll_to(&c, "#domain-detail").await;
    screenshot(&c, "domains-07-revoked").await.unwrap();
    c.set_window_size(390, 844).await.unwrap();
    scroll_to(&c, "#domain-record").await;
    screenshot(&c, "domains-08-narrow").await.unwrap();
    c.set_window_size(1280, 900).await.unwrap();
    let mail = eventually("the revocation email", WAIT, || async {
        server
            .outbox()
            .into_iter()
            .find(|m| m.contains(&email) && m.contains(&domain))
    })
    .await
    .unwrap();
    // The body may be quoted-printable: undo its soft line breaks and `=` escapes.
    let body = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let link = domain_page.trim_start_matches(&base);
    assert!(body.contains(link), "{link} not in {mail}");
    assert_eq!(get(&format!("/call/{domain}"), None).await.0, 404);
    assert_eq!(get("/call", Some(&domain)).await.0, 404);

    // Remove it, after confirming.
    c.find(Locator::Css("#remove-domain"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "#confirm-remove-text", &format!("Remove {domain}?")).await;
    c.find(Locator::Css("#confirm-remove"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "#no-domains", "No domains yet").await;

    // No panic or failed request in the browser along the way (the not-found pages' 404s
    // are expected).
    let errors: Vec<String> = console_errors(&driver.url, &c)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| !e.contains("status of 404"))
        .collect();
    assert!(errors.is_empty(), "browser console errors: {errors:#?}");
    c.close().await.unwrap();
}
