//! The Contacts pages as an owner uses them, in real Chromium: the list, a search by
//! domain (the CSV link follows the filter), "Load more" absent for a short list, one
//! contact's page, a note that appears on the timeline, an edit with a bad email that puts
//! focus on the email field with the error announced, and merging a second contact in
//! (found by search, confirmed). Screenshots:
//! `target/e2e/contacts-*.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::{ensure, Context};
use e2e::graphql::Api;
use e2e::tab::Tab;
use e2e::{Driver, Server};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// An owner (sign-up and the emailed link, through the API); returns the session token.
async fn owner(api: &Api, server: &Server, email: &str) -> anyhow::Result<String> {
    Ok(api
        .sign_up(server, email, PASSWORD, "Acme Plumbing")
        .await?
        .token)
}

/// A contact made by an integration recording a purchase for `email`; returns its id.
async fn buyer(api: &Api, token: &str, email: &str, reference: &str) -> anyhow::Result<String> {
    let data = api
        .call(
            token,
            "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { contactId } } }",
            json!({ "i": { "contact": { "email": email }, "product": "Boiler service",
                "amountMinor": 12900, "currency": "EUR",
                "purchasedAt": "2026-11-20T09:00:00Z", "externalRef": reference } }),
        )
        .await?;
    data["recordPurchase"]["purchase"]["contactId"]
        .as_str()
        .map(str::to_owned)
        .context("recordPurchase")
}

#[tokio::test]
async fn an_owner_finds_a_contact_writes_a_note_and_fixes_an_email() -> anyhow::Result<()> {
    let server = Server::start(&[])?;
    let driver = Driver::start().await?;
    let api = Api::new(&server.base);
    let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
    let token = owner(&api, &server, &email).await?;
    let ann = buyer(&api, &token, "ann@acme-homes.example", "inv-1").await?;
    let bob = buyer(&api, &token, "bob@bobs.example", "inv-2").await?;
    let tab = Tab::open(&driver, "owner", false).await?;
    let result = scenario(&tab, &server, &email, &ann, &bob).await;
    if result.is_err() {
        tab.report("contacts").await;
    }
    result
}

async fn scenario(
    tab: &Tab,
    server: &Server,
    email: &str,
    ann: &str,
    bob: &str,
) -> anyhow::Result<()> {
    let base = &server.base;
    tab.goto_hydrated(&format!("{base}/signin")).await?;
    tab.type_into("#email", email).await?;
    tab.type_into("#password", PASSWORD).await?;
    tab.click("Sign in", "#signin-submit").await?;
    tab.wait_for("the dashboard", "#current-business").await?;

    println!("== the list, and a search by domain");
    tab.goto_hydrated(&format!("{base}/app/contacts")).await?;
    tab.wait_for("the contacts", "#contacts-table").await?;
    let rows: i64 = tab
        .js("return document.querySelectorAll('#contacts-table tr[data-contact]').length;")
        .await?;
    ensure!(rows == 2, "{rows} contacts listed");
    ensure!(
        tab.text("#load-more-contacts").await.is_none(),
        "a short list offers more"
    );
    tab.shot("contacts-01-list").await?;
    tab.type_into("#contacts-search", "acme-homes").await?;
    tab.click("Search", "#search-contacts").await?;
    tab.until("one contact found", || async {
        let rows: i64 = tab
            .js("return document.querySelectorAll('#contacts-table tr[data-contact]').length;")
            .await
            .map_err(|e| e.to_string())?;
        (rows == 1).then_some(()).ok_or(format!("{rows} rows"))
    })
    .await?;
    tab.wait_attr(
        "#export-contacts",
        "href",
        &["/app/contacts.csv?q=acme-homes"],
    )
    .await?;

    println!("== the contact: a note lands on the timeline");
    tab.click("the contact", "#contacts-table .contact-link")
        .await?;
    tab.wait_for(
        "the contact card",
        &format!("#contact-card[data-contact=\"{ann}\"]"),
    )
    .await?;
    tab.wait_for("the timeline", "#contact-timeline").await?;
    tab.type_into("#contact-note-text", "Prefers morning visits")
        .await?;
    tab.click("Add note", "#add-contact-note").await?;
    tab.wait_text("#contact-timeline", "Prefers morning visits")
        .await?;
    let kept: String = tab
        .js("return document.querySelector('#contact-note-text').value;")
        .await?;
    ensure!(kept.is_empty(), "the note form kept {kept:?}");
    tab.shot("contacts-02-note").await?;

    println!("== a bad email: focus on the field, the error announced");
    tab.type_into("#contact-email", "not-an-email").await?;
    tab.click("Save", "#save-contact").await?;
    tab.until("focus on the email field", || async {
        let id: String = tab
            .js("return document.activeElement ? document.activeElement.id : '';")
            .await
            .map_err(|e| e.to_string())?;
        (id == "contact-email").then_some(()).ok_or(id)
    })
    .await?;
    tab.wait_for("the error summary", ".error-summary[role=\"alert\"]")
        .await?;
    tab.wait_attr("#contact-email", "aria-invalid", &["true"])
        .await?;
    ensure!(
        tab.text("#contact-email-value").await.as_deref() == Some("ann@acme-homes.example"),
        "the refused email was saved"
    );
    tab.shot("contacts-03-bad-email").await?;

    println!("== merging Bob into Ann: found by search, confirmed");
    tab.type_into("#merge-search", "bobs").await?;
    tab.click("Find", "#merge-search-submit").await?;
    let candidate = format!("#merge-candidates li[data-contact=\"{bob}\"]");
    tab.wait_for("Bob as a candidate", &candidate).await?;
    tab.click("Merge…", &format!("{candidate} summary")).await?;
    tab.click("Yes, merge", &format!("#confirm-merge-{bob}"))
        .await?;
    tab.wait_text("#contact-timeline", "inv-2").await?;
    tab.wait_for("no candidate left", "#no-merge-candidates")
        .await?;
    tab.until("the old refusal gone from the reloaded form", || async {
        match tab.text(".error-summary").await {
            None => Ok(()),
            Some(t) => Err(t),
        }
    })
    .await?;
    tab.shot("contacts-04-merged").await?;
    tab.goto_hydrated(&format!("{base}/app/contacts")).await?;
    tab.wait_for("the contacts", "#contacts-table").await?;
    let rows: i64 = tab
        .js("return document.querySelectorAll('#contacts-table tr[data-contact]').length;")
        .await?;
    ensure!(rows == 1, "{rows} contacts after the merge");

    let errors = tab.console_errors().await?;
    let real: Vec<&String> = errors.iter().filter(|e| !e.contains("422")).collect();
    ensure!(real.is_empty(), "console errors: {real:?}");
    Ok(())
}
