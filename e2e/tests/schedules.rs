//! Opening hours in real Chromium: an owner sets the week on `/app/schedules`, adds a
//! holiday, imports another, previews a date, switches the business out of office; a
//! caller whose browser is in Kathmandu (CDP `Emulation.setTimezoneOverride`) sees the
//! message before calling, and once the switch is off, the business's Berlin hours in
//! their own time (Berlin's whole hours are Kathmandu's quarter-to hours). Screenshots:
//! `target/e2e/schedules-NN-*.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../entity/tests/support/dns_server.rs"]
mod dns_server;

use std::net::Ipv4Addr;

use anyhow::Context;
use dns_server::TestDnsServer;
use e2e::graphql::Api;
use e2e::tab::Tab;
use e2e::{Driver, Server};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
const MESSAGE: &str = "Back on Monday \u{2014} thanks for your patience";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sets_hours_and_a_caller_sees_them_in_their_own_time_zone() {
    let dns = TestDnsServer::start(&["com"]).await;
    let dns_addr = dns.addr().to_string();
    let server = Server::start(&[
        ("DOMAINCALL_DNS_SERVERS", dns_addr.as_str()),
        ("DOMAINCALL_DNS_TIMEOUT", "2s"),
    ])
    .expect("server");
    let driver = Driver::start().await.expect("chromedriver");
    let owner = Tab::open(&driver, "owner", false)
        .await
        .expect("owner's browser");
    let caller = Tab::open(&driver, "caller", false)
        .await
        .expect("caller's browser");
    if let Err(e) = scenario(&server, &dns, &owner, &caller).await {
        owner.report("schedules").await;
        caller.report("schedules").await;
        panic!("{e:#}");
    }
}

/// Sets an input's value as the browser's own pickers would (date inputs take keys in
/// the locale's order), then lets the page know.
/// The email the caller leaves on the call page.
const CALLER_EMAIL: &str = "kiran@example.org";

async fn set_value(t: &Tab, css: &str, value: &str) -> anyhow::Result<()> {
    t.wait_for("a field", css).await?;
    t.c.execute(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
         e.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![json!(css), json!(value)],
    )
    .await
    .with_context(|| format!("setting {css}"))?;
    Ok(())
}

async fn scenario(
    server: &Server,
    dns: &TestDnsServer,
    owner: &Tab,
    caller: &Tab,
) -> anyhow::Result<()> {
    let base = server.base.clone();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let domain = format!("hours-{}.com", &suffix[..10]);
    let email = format!("owner-{}@example.com", &suffix[..8]);
    dns.add_a(&domain, Ipv4Addr::new(192, 0, 2, 10)).await;

    // The owner signs up, and proves the domain through the API.
    let token = owner
        .sign_up(server, &email, PASSWORD, "Kathmandu Coffee")
        .await?;
    let api = Api::new(&base);
    let added = api
        .call(
            &token,
            "mutation($n: String!) { addDomain(name: $n) { id recordName recordValue } }",
            json!({ "n": domain }),
        )
        .await?;
    let d = &added["addDomain"];
    dns.add_txt(
        d["recordName"].as_str().context("record name")?,
        &[d["recordValue"].as_str().context("record value")?],
    )
    .await;
    api.call(
        &token,
        "mutation($id: ID!) { verifyDomain(id: $id) { verified } }",
        json!({ "id": d["id"] }),
    )
    .await?;

    // 1. The week: every day 09:00-17:00 in Berlin.
    owner
        .goto_hydrated(&format!("{base}/app/schedules"))
        .await?;
    owner.wait_text("#hours-card", "No hours are set").await?;
    owner.shot("schedules-01-empty").await?;
    owner.type_into("#hours-zone", "Europe/Berlin").await?;
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        owner
            .type_into(&format!("#hours-{day}"), "09:00-17:00")
            .await?;
    }
    owner.click("Save hours", "#save-hours").await?;
    owner.wait_text("#schedule-now", "Europe/Berlin").await?;
    owner
        .wait_text("#hours-card", "Callers outside these hours")
        .await?;
    owner.shot("schedules-02-hours-saved").await?;

    // 2. A holiday, an imported one, and the preview of Christmas Day.
    set_value(owner, "#date-day", "2030-12-25").await?;
    owner.type_into("#date-name", "Christmas Day").await?;
    owner.click("Add date", "#add-date").await?;
    owner.wait_text("#dates-table", "Christmas Day").await?;
    owner
        .type_into("#holidays-text", "2030-12-26 Boxing Day")
        .await?;
    owner.click("Import", "#import-holidays").await?;
    owner
        .wait_text("#dates-card", "Imported: 1 new closed days")
        .await?;
    owner.wait_text("#dates-table", "Boxing Day").await?;
    set_value(owner, "#preview-at", "2030-12-25T10:00").await?;
    owner.click("Check", "#preview-submit").await?;
    owner
        .wait_attr("#preview-answer", "data-state", &["closed"])
        .await?;
    owner
        .wait_text("#preview-answer", "opens 2030-12-27 09:00")
        .await?;
    owner.shot("schedules-03-holidays-and-preview").await?;

    // 3. Out of office, with a message for callers.
    owner
        .click("the business's switch", "#away-business-on")
        .await?;
    owner.type_into("#away-business-message", MESSAGE).await?;
    owner.click("Save", "#away-business-save").await?;
    owner
        .wait_attr("#away-business [data-away]", "data-away", &["on"])
        .await?;
    owner
        .wait_attr("#schedule-now", "data-state", &["out_of_office"])
        .await?;
    owner.c.execute("window.scrollTo(0, 0);", vec![]).await?;
    owner.shot("schedules-04-out-of-office").await?;

    // 4. A caller in Kathmandu sees the message before calling.
    caller
        .cdp(
            "Emulation.setTimezoneOverride",
            json!({ "timezoneId": "Asia/Kathmandu" }),
        )
        .await?;
    let zone: String = caller
        .js("return Intl.DateTimeFormat().resolvedOptions().timeZone;")
        .await?;
    anyhow::ensure!(
        // ICU may name it by its older spelling; both are the same tz database zone.
        zone == "Asia/Kathmandu" || zone == "Asia/Katmandu",
        "the override did not take: {zone}"
    );
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller
        .wait_attr("#call-hours", "data-state", &["out_of_office"])
        .await?;
    caller.wait_text("#call-hours-message", MESSAGE).await?;
    // Nothing on the page says someone can answer.
    caller
        .wait_text("#call-online", "Nobody is taking calls right now")
        .await?;
    // Calling anyway (chat: no devices needed), with an email left for the business: the
    // hub answers with the message.
    caller
        .click("the chat mode", "input[name=call-mode][value=chat]")
        .await?;
    caller.type_into("#call-email", CALLER_EMAIL).await?;
    caller.click("Call", "button#call-start").await?;
    caller
        .wait_attr("#call-state", "data-state", &["unavailable"])
        .await?;
    caller.wait_text(".call-result", MESSAGE).await?;
    caller
        .shot("schedules-05-caller-told-out-of-office")
        .await?;
    caller
        .wait_attr("#call-hours", "data-zone", &[zone.as_str()])
        .await?;
    caller.shot("schedules-05-caller-out-of-office").await?;

    // 5. Switched off: the hours, in the caller's time (09:00 Berlin is 13:45 or 12:45).
    owner
        .click("the business's switch", "#away-business-on")
        .await?;
    owner.click("Save", "#away-business-save").await?;
    owner
        .wait_attr("#away-business [data-away]", "data-away", &["off"])
        .await?;
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller
        .wait_attr("#call-hours", "data-zone", &[zone.as_str()])
        .await?;
    caller
        .wait_attr("#call-hours", "data-state", &["open", "closed"])
        .await?;
    let today = caller
        .until("today's hours in Kathmandu time", || async {
            match caller.text("#call-hours-today-hours").await {
                Some(t) if t == "13:45\u{2013}21:45" || t == "12:45\u{2013}20:45" => Ok(t),
                other => Err(format!("{other:?}")),
            }
        })
        .await?;
    let headline = caller.text("#call-hours-state").await.unwrap_or_default();
    anyhow::ensure!(
        headline.contains(":45"),
        "not in the caller's time: {headline}"
    );
    caller
        .wait_text("#call-hours-zone", &format!("your time ({zone})"))
        .await?;
    println!("caller sees today's hours as {today}; {headline}");
    caller.shot("schedules-06-caller-hours").await?;

    // 6. The caller left an email last time: the business's page greets them by it (and
    // fills it in) until they say "forget me".
    caller.wait_text("#call-remembered", CALLER_EMAIL).await?;
    let prefilled: String = caller
        .js("return document.getElementById('call-email').value;")
        .await?;
    anyhow::ensure!(prefilled == CALLER_EMAIL, "email field: {prefilled:?}");
    caller.shot("schedules-07-caller-remembered").await?;
    caller.click("Forget me", "#call-forget").await?;
    caller
        .until("the greeting to go", || async {
            let gone: bool = caller
                .js("return !document.getElementById('call-remembered') && document.getElementById('call-email').value === '';")
                .await
                .map_err(|e| e.to_string())?;
            if gone { Ok(()) } else { Err("still greeted".to_owned()) }
        })
        .await?;
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller.wait_for("the call form", "#call-email").await?;
    let greeted: bool = caller
        .js("return !!document.getElementById('call-remembered');")
        .await?;
    anyhow::ensure!(!greeted, "still remembered after forget me");

    // 7. On a phone: the Call button is in reach without scrolling (the sticky call bar
    // over compact mode choices), and nothing scrolls sideways.
    caller
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
        )
        .await?;
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller.wait_for("the call button", "#call-start").await?;
    let (top, bottom, height, over): (f64, f64, f64, f64) = caller
        .js(
            "const r = document.getElementById('call-start').getBoundingClientRect(); \
             return [r.top, r.bottom, window.innerHeight, \
                     document.documentElement.scrollWidth - window.innerWidth];",
        )
        .await?;
    anyhow::ensure!(
        top >= 0.0 && bottom <= height,
        "the Call button is out of reach on a phone: {top}..{bottom} of {height}"
    );
    anyhow::ensure!(
        over <= 0.0,
        "the call page is {over}px wider than the phone"
    );
    caller.shot("schedules-08-phone-call-page").await?;
    // The page as the server sent it spoke Berlin time.
    let html = reqwest::get(format!("{base}/call/{domain}"))
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        html.contains("data-zone=\"Europe/Berlin\""),
        "server rendering"
    );
    anyhow::ensure!(html.contains("09:00\u{2013}17:00"), "server rendering");
    let errors = caller.console_errors().await?;
    anyhow::ensure!(errors.is_empty(), "console errors: {errors:?}");
    Ok(())
}
