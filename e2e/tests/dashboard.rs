//! A new user in real Chromium: sign up, follow the emailed link, land in the dashboard,
//! invite a member, create an API key (a hydrated-only action) and use it against GraphQL.
//! Also: SIGTERM stops the binary cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::{eventually, screenshot, Driver, Server};
use fantoccini::Locator;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(45);

#[tokio::test]
async fn sign_up_invite_and_api_key_in_a_real_browser() {
    let server = Server::start(&[]).expect("server");
    let driver = Driver::start().await.expect("chromedriver");
    let c = driver.browser(false).await.expect("browser");
    let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());

    c.goto(&format!("{}/", server.base)).await.unwrap();
    screenshot(&c, "01-landing").await.unwrap();
    c.goto(&format!("{}/signup", server.base)).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(&email)
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    c.find(Locator::Css("#business-name"))
        .await
        .unwrap()
        .send_keys("Acme Plumbing")
        .await
        .unwrap();
    c.find(Locator::Css("#signup-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // "Check your inbox"; the emailed link opens the confirm page, whose button creates
    // the business and signs in.
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#signup-sent"))
        .await
        .unwrap();
    screenshot(&c, "02-check-your-inbox").await.unwrap();
    let link = eventually("the sign-up email", WAIT, || async {
        server.sign_up_link(&email)
    })
    .await
    .unwrap();
    c.goto(&format!("{}{link}", server.base)).await.unwrap();
    eventually("the confirm page", WAIT, || async {
        let text = c
            .find(Locator::Css("#confirm-business"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (text == "Acme Plumbing").then_some(())
    })
    .await
    .unwrap();
    // Only whoever chose the password can finish the sign-up.
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    screenshot(&c, "02b-confirm").await.unwrap();
    c.find(Locator::Css("#confirm-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Lands in the dashboard showing the business.
    eventually("the dashboard", WAIT, || async {
        let url = c.current_url().await.ok()?;
        let body = c.find(Locator::Css("body")).await.ok()?.text().await.ok()?;
        (url.path().starts_with("/app") && body.contains("Acme Plumbing")).then_some(())
    })
    .await
    .unwrap();
    screenshot(&c, "03-dashboard").await.unwrap();

    // Invite a member: the email lands in the outbox.
    c.goto(&format!("{}/app/members", server.base))
        .await
        .unwrap();
    let invitee = format!("agent-{}@example.com", uuid::Uuid::new_v4().simple());
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#invite-email"))
        .await
        .unwrap()
        .send_keys(&invitee)
        .await
        .unwrap();
    c.find(Locator::Css("#invite-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mail = eventually("the invitation email", WAIT, || async {
        server.outbox().into_iter().find(|m| m.contains(&invitee))
    })
    .await
    .unwrap();
    assert!(mail.contains("/invite/"), "{mail}");
    eventually("the pending invitation listed", WAIT, || async {
        let body = c.find(Locator::Css("body")).await.ok()?.text().await.ok()?;
        body.contains(&invitee).then_some(())
    })
    .await
    .unwrap();
    screenshot(&c, "04-members").await.unwrap();

    // Create an API key: the button works only once the page is hydrated.
    c.goto(&format!("{}/app/api-keys", server.base))
        .await
        .unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#create-key-name"))
        .await
        .unwrap()
        .send_keys("CRM sync")
        .await
        .unwrap();
    // The create button has no form to fall back on: it works only in the hydrated page.
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("body[data-hydrated]"))
        .await
        .unwrap();
    c.find(Locator::Css("#create-key"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let secret = eventually("the new key's secret", WAIT, || async {
        let text = c
            .find(Locator::Css("#new-key-secret"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.trim()
            .starts_with("dck_")
            .then(|| text.trim().to_owned())
    })
    .await
    .unwrap();
    let page = c
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("This key is shown only once"), "{page}");
    screenshot(&c, "05-api-key").await.unwrap();

    // The key works against GraphQL.
    let res: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/graphql", server.base))
        .bearer_auth(&secret)
        .json(&json!({ "query": "{ me { email } business { name } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["data"]["me"]["email"], email.as_str(), "{res}");
    assert_eq!(res["data"]["business"]["name"], "Acme Plumbing");
    c.close().await.unwrap();
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start(&[]).expect("server");
    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    server.terminate(Duration::from_secs(15)).unwrap();
}
