//! Callbacks in real Chromium: a business is out of office; a caller calls anyway, is told
//! why and asks to be called back; the owner sees the request on `/app/callbacks` and
//! presses "call back now"; the caller opens the link from the email, presses Call, the
//! owner's dashboard rings, and they talk (audio flowing both ways). Then the business is
//! closed and another caller books a free time (a confirmation with a calendar file; the
//! owner sees it scheduled). Another records a voice message with a note; the owner plays
//! it. A last caller asks for a callback and stays on the page: "call back now" rings that
//! page at once, the caller answers there and they talk. Runs inside a
//! loopback-only network namespace like the call test (`e2e::netns`). Screenshots:
//! `target/e2e/callbacks-NN-*.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../entity/tests/support/dns_server.rs"]
mod dns_server;

use std::net::Ipv4Addr;

use anyhow::{ensure, Context};
use dns_server::TestDnsServer;
use e2e::graphql::Api;
use e2e::tab::Tab;
use e2e::{netns, Driver, Server};
use serde_json::json;

const TEST: &str = "a_member_calls_back_a_caller_nobody_could_answer";
const PASSWORD: &str = "correct horse battery";
const AWAY: &str = "We are at a trade fair today";

#[test]
fn a_member_calls_back_a_caller_nobody_could_answer() {
    netns::run_isolated(TEST, || async {
        let dns = TestDnsServer::start(&["com"]).await;
        let dns_addr = dns.addr().to_string();
        let server = Server::start(&[
            ("DOMAINCALL_DNS_SERVERS", dns_addr.as_str()),
            ("DOMAINCALL_DNS_TIMEOUT", "2s"),
        ])
        .expect("server");
        let driver = Driver::start().await.expect("chromedriver");
        let owner = Tab::open(&driver, "owner", true).await.expect("owner");
        let caller = Tab::open(&driver, "caller", true).await.expect("caller");
        if let Err(e) = scenario(&server, &dns, &owner, &caller).await {
            owner.report("callbacks").await;
            caller.report("callbacks").await;
            panic!("{e:#}");
        }
    });
}

/// The path (`/l/<token>`) of the link in the mail to `to` holding `needle`.
fn mailed_link(server: &Server, to: &str, needle: &str) -> Option<String> {
    server.outbox().into_iter().find_map(|mail| {
        let flat = mail
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=");
        if !mail.contains(&format!("To: {to}")) || !flat.contains(needle) {
            return None;
        }
        let start = flat.find("/l/")?;
        let link: String = flat[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
            .collect();
        (link.len() > 3).then_some(link)
    })
}

async fn signed_up_owner(
    server: &Server,
    dns: &TestDnsServer,
    owner: &Tab,
) -> anyhow::Result<(String, String)> {
    let base = &server.base;
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let domain = format!("back-{}.com", &suffix[..10]);
    let email = format!("owner-{}@example.com", &suffix[..8]);
    dns.add_a(&domain, Ipv4Addr::new(192, 0, 2, 10)).await;
    let token = owner
        .sign_up(server, &email, PASSWORD, "Harbour Bikes")
        .await?;
    let api = Api::new(base);
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
    Ok((domain, token))
}

async fn away(server: &Server, token: &str, on: bool) -> anyhow::Result<()> {
    Api::new(&server.base)
        .call(
            token,
            "mutation($e: Boolean!, $m: String!) { setOutOfOffice(input: { userId: null, enabled: $e, message: $m }) { active } }",
            json!({ "e": on, "m": AWAY }),
        )
        .await?;
    Ok(())
}

async fn scenario(
    server: &Server,
    dns: &TestDnsServer,
    owner: &Tab,
    caller: &Tab,
) -> anyhow::Result<()> {
    let base = server.base.clone();
    let (domain, token) = signed_up_owner(server, dns, owner).await?;
    let email = format!(
        "carol-{}@example.net",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );

    // 1. Out of office: the caller calls anyway, is told why, and asks for a callback.
    away(server, &token, true).await?;
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller
        .wait_for("the early callback offer", "#callback-before summary")
        .await?;
    nobody_answers(caller, &email, "Carol").await?;
    caller.wait_text(".call-result", AWAY).await?;
    caller
        .type_into("#callback-note", "My bike's gears, please")
        .await?;
    caller.shot("callbacks-01-caller-asks").await?;
    caller.click("Call me back", "#callback-send").await?;
    caller
        .wait_text("#callback-done", "will call you back")
        .await?;
    caller.wait_text("#callback-done", &email).await?;
    caller.shot("callbacks-02-caller-confirmed").await?;

    // 2. Back in the office, the owner sees the request and calls back.
    away(server, &token, false).await?;
    owner.goto_hydrated(&format!("{base}/app")).await?;
    owner
        .click(
            "Callbacks in the navigation",
            "nav a[href='/app/callbacks']",
        )
        .await?;
    owner.wait_text("#callbacks-table", "Carol").await?;
    owner
        .wait_text("#callbacks-table", "My bike's gears, please")
        .await?;
    owner.shot("callbacks-03-owner-list").await?;
    owner
        .click("Call back now", "button[aria-label='Call Carol back now']")
        .await?;
    owner.wait_text("#callback-called", &email).await?;
    owner.wait_text("#callbacks-table", "Calling back").await?;
    owner.shot("callbacks-04-owner-called-back").await?;

    // 3. The caller opens the emailed link and calls: the owner's dashboard rings.
    let link = owner
        .until("the join link in the caller's mail", || async {
            mailed_link(server, &email, "is calling you back").ok_or_else(|| "not yet".to_owned())
        })
        .await?;
    caller.goto_hydrated(&format!("{base}{link}")).await?;
    caller
        .wait_text("#callback-join", "is calling you back")
        .await?;
    ensure!(
        caller.text("#call-hours").await.is_none(),
        "a call back page should not show the opening hours"
    );
    caller
        .click("the voice mode", "input[name=call-mode][value=voice]")
        .await?;
    caller.shot("callbacks-05-caller-join-page").await?;
    caller.click("Call", "button#call-start").await?;
    caller
        .wait_attr("#call-state", "data-state", &["ringing"])
        .await?;
    owner
        .wait_for("the incoming call", "#incoming-call[role=alertdialog]")
        .await?;
    owner.wait_text("#incoming-call", "Carol").await?;
    owner.shot("callbacks-06-owner-rung").await?;
    owner.click("Accept", "button#call-accept").await?;
    owner
        .wait_attr("#softphone", "data-state", &["connected"])
        .await?;
    caller
        .wait_attr("#call-state", "data-state", &["connected"])
        .await?;
    for t in [owner, caller] {
        t.peer_connected().await?;
    }
    for t in [owner, caller] {
        t.audio_flows().await?;
    }
    owner.shot("callbacks-07-owner-talking").await?;
    caller.shot("callbacks-07-caller-talking").await?;
    // The caller hangs up, so the owner is free for the next callers (a call left by
    // navigating away would keep them busy until its grace runs out).
    caller.click("Hang up", "button#call-hangup").await?;
    caller
        .wait_attr("#call-state", "data-state", &["ended"])
        .await?;
    owner
        .wait_attr("#softphone", "data-state", &["ended", "idle"])
        .await?;
    let errors = caller.console_errors().await?;
    ensure!(errors.is_empty(), "caller console errors: {errors:?}");
    book_a_time(server, &token, &domain, owner, caller).await
}

/// Step 4: the business is closed now; another caller books a time from the early offer
/// and gets a confirmation with a calendar file; the owner sees it scheduled.
async fn book_a_time(
    server: &Server,
    token: &str,
    domain: &str,
    owner: &Tab,
    caller: &Tab,
) -> anyhow::Result<()> {
    let base = &server.base;
    let opens = (chrono::Utc::now() + chrono::Duration::hours(3)).format("%H:00");
    let closes = (chrono::Utc::now() + chrono::Duration::hours(7)).format("%H:00");
    let hours = format!("{opens}-{closes}");
    let mut input = json!({ "teamId": null, "timeZone": "UTC" });
    for day in [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ] {
        input[day] = json!(hours);
    }
    Api::new(base)
        .call(
            token,
            "mutation($i: OpeningHoursInput!) { setOpeningHours(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await?;
    let email = format!(
        "dora-{}@example.net",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller
        .click("the early callback offer", "#callback-before summary")
        .await?;
    caller
        .click("At a time that suits me", "#callback-early-at")
        .await?;
    caller
        .wait_for("the free times", "#callback-times label.slot")
        .await?;
    caller.shot("callbacks-08-caller-picks-a-time").await?;
    caller
        .click("the first free time", "#callback-times label.slot")
        .await?;
    caller.type_into("#callback-email", &email).await?;
    caller.click("Call me back", "#callback-send").await?;
    caller
        .wait_text("#callback-early-done", "will call you back on")
        .await?;
    caller
        .wait_text("#callback-early-done", "calendar file")
        .await?;
    caller.shot("callbacks-09-caller-booked").await?;
    let mail = owner
        .until("the confirmation with a calendar file", || async {
            server
                .outbox()
                .into_iter()
                .find(|m| m.contains(&format!("To: {email}")) && m.contains("invite.ics"))
                .ok_or_else(|| "not yet".to_owned())
        })
        .await?;
    ensure!(mail.contains("text/calendar"), "no calendar part: {mail}");
    owner
        .goto_hydrated(&format!("{base}/app/callbacks"))
        .await?;
    owner.wait_text("#callbacks-table", &email).await?;
    owner.wait_text("#callbacks-table", "Scheduled").await?;
    owner.shot("callbacks-10-owner-sees-the-booking").await?;
    // The owner takes it: assigned to them, the row says so.
    owner
        .js::<serde_json::Value>(
            "const s = document.querySelector('#callbacks-table tbody tr:first-child select[name=member]'); \
             s.value = s.options[1].value; return null;",
        )
        .await?;
    owner
        .click(
            "Assign",
            "#callbacks-table tbody tr:first-child .assign-form button",
        )
        .await?;
    owner
        .wait_text("#callbacks-table tbody tr:first-child", "by ")
        .await?;
    // The owner moves it to another free time; the caller is told.
    owner
        .click(
            "Move…",
            "#callbacks-table tbody tr:first-child button[aria-label^='Move the callback']",
        )
        .await?;
    owner
        .wait_for("the free times", ".move-form #callback-times label.slot")
        .await?;
    owner
        .click(
            "the second free time",
            ".move-form #callback-times label.slot:nth-of-type(2)",
        )
        .await?;
    owner.shot("callbacks-10b-owner-moves-the-booking").await?;
    owner
        .click("Move here", ".move-form button[type=submit]")
        .await?;
    owner
        .until("the caller to be told of the new time", || async {
            server
                .outbox()
                .into_iter()
                .find(|m| {
                    let flat = m.replace("=\r\n", "").replace("=\n", "");
                    m.contains(&format!("To: {email}")) && flat.contains("has a new time")
                })
                .ok_or_else(|| "not yet".to_owned())
        })
        .await?;
    owner
        .until("the picker to close", || async {
            match owner.text(".move-form").await {
                None => Ok(()),
                Some(_) => Err("still open".to_owned()),
            }
        })
        .await?;
    // The caller opens the link of that mail and moves the callback to a time that suits
    // them better; the link is spent and a new time is mailed.
    let link = mailed_link(server, &email, "has a new time").context("a link to change it")?;
    caller.goto_hydrated(&format!("{base}{link}")).await?;
    caller.wait_text("#link-when", "It is booked for").await?;
    caller
        .wait_for(
            "the free times",
            "#callback-move-form #callback-times label.slot",
        )
        .await?;
    caller
        .click(
            "the third free time",
            "#callback-move-form #callback-times label.slot:nth-of-type(3)",
        )
        .await?;
    caller
        .shot("callbacks-10c-caller-moves-the-booking")
        .await?;
    caller.click("Move my callback", "#callback-move").await?;
    caller.wait_text("#link-title", "Callback moved").await?;
    caller
        .wait_text("#link-message", "will call you back on")
        .await?;
    owner
        .until("the caller's own move to be mailed", || async {
            let moved = server
                .outbox()
                .into_iter()
                .filter(|m| {
                    let flat = m.replace("=\r\n", "").replace("=\n", "");
                    m.contains(&format!("To: {email}")) && flat.contains("has a new time")
                })
                .count();
            (moved >= 2)
                .then_some(())
                .ok_or_else(|| format!("{moved} mails"))
        })
        .await?;
    // The owner subscribes their own calendar: the address is shown once and serves the
    // booking without cookies.
    owner
        .click(
            "Make my calendar address",
            "#feed-status + .row-actions button",
        )
        .await?;
    let url = owner.wait_text("#feed-url", "/feeds/").await?;
    owner.shot("callbacks-11-owner-calendar-address").await?;
    let path = url
        .split_once("/feeds/")
        .map(|(_, p)| p.trim())
        .unwrap_or_default();
    let feed = reqwest::get(format!("{base}/feeds/{path}"))
        .await?
        .text()
        .await?
        .replace("\r\n ", "");
    ensure!(
        feed.contains(&format!("<{email}>")),
        "the feed lacks the booking: {feed}"
    );
    // The week view shows it on its day.
    let listed = Api::new(base)
        .call(
            token,
            "{ callbacks(status: SCHEDULED) { slotAt } }",
            json!({}),
        )
        .await?;
    let day = listed["callbacks"][0]["slotAt"]
        .as_str()
        .context("a booked time")?
        .get(..10)
        .context("a date")?
        .to_owned();
    owner
        .goto_hydrated(&format!("{base}/app/callbacks?view=week&week={day}"))
        .await?;
    owner
        .wait_text(&format!("#callback-week li[data-date='{day}']"), &email)
        .await?;
    owner.shot("callbacks-12-owner-week").await?;
    let errors = caller.console_errors().await?;
    ensure!(errors.is_empty(), "caller console errors: {errors:?}");
    leave_a_voice_message(server, token, domain, owner, caller).await
}

/// Step 5: the business is still closed; a caller records a voice message in the browser
/// (the fake microphone's tone), listens to it and leaves it with a note; the owner plays
/// it on `/app/messages`.
async fn leave_a_voice_message(
    server: &Server,
    token: &str,
    domain: &str,
    owner: &Tab,
    caller: &Tab,
) -> anyhow::Result<()> {
    let base = &server.base;
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller
        .click("the early message offer", "#message-before summary")
        .await?;
    caller
        .type_into("#message-text", "Is the tandem free on Saturday?")
        .await?;
    caller
        .click("Record a voice message", "#message-record")
        .await?;
    caller
        .wait_text(".recording-clock", "Recording 0:02")
        .await?;
    caller.shot("callbacks-13-caller-recording").await?;
    caller.click("Stop recording", "#message-stop").await?;
    caller
        .wait_for("the recording to listen to", "audio#message-preview")
        .await?;
    caller.type_into("#message-name", "Ezra").await?;
    caller.shot("callbacks-14-caller-recorded").await?;
    caller.click("Leave the message", "#message-send").await?;
    caller
        .wait_text("#message-early-done", "Your message was left")
        .await?;
    caller
        .wait_text("#message-early-done", "voice message")
        .await?;
    caller.shot("callbacks-15-caller-message-left").await?;
    let listed = Api::new(base)
        .call(
            token,
            "{ messages { name audioType audioDurationMs } }",
            json!({}),
        )
        .await?;
    let message = &listed["messages"][0];
    ensure!(message["name"] == "Ezra", "the message: {listed}");
    let ms = message["audioDurationMs"].as_i64().unwrap_or_default();
    ensure!(ms >= 1_500, "the recording is {ms} ms long: {listed}");

    owner.goto_hydrated(&format!("{base}/app")).await?;
    owner
        .click("Messages in the navigation", "nav a[href='/app/messages']")
        .await?;
    owner
        .wait_text("#messages-table", "Is the tandem free on Saturday?")
        .await?;
    owner
        .wait_for("the player", "#messages-table audio")
        .await?;
    // A click on the page lets it play sound; then the player plays the recording.
    owner
        .click("the message", "#messages-table .message-text")
        .await?;
    owner
        .js::<serde_json::Value>(
            "document.querySelector('#messages-table audio').play(); return null;",
        )
        .await?;
    owner
        .until("the recording to play", || async {
            let at: f64 = owner
                .js("return document.querySelector('#messages-table audio').currentTime;")
                .await
                .map_err(|e| e.to_string())?;
            if at > 0.5 {
                Ok(at)
            } else {
                Err(format!("at {at} s"))
            }
        })
        .await?;
    owner.shot("callbacks-16-owner-plays-the-message").await?;
    rung_on_the_page(server, domain, owner, caller).await
}

/// The caller on the call page calls by voice, nobody can answer, and they fill in the
/// callback form with `email` and `name`.
async fn nobody_answers(caller: &Tab, email: &str, name: &str) -> anyhow::Result<()> {
    caller
        .click("the voice mode", "input[name=call-mode][value=voice]")
        .await?;
    caller.click("Call", "button#call-start").await?;
    caller
        .wait_attr("#call-state", "data-state", &["unavailable"])
        .await?;
    caller.type_into("#callback-email", email).await?;
    caller.type_into("#callback-name", name).await?;
    Ok(())
}

/// Step 6: a caller nobody could answer asks for a callback and stays on the call page;
/// the owner presses "call back now" and the page rings at once: the caller answers there
/// and they talk.
async fn rung_on_the_page(
    server: &Server,
    domain: &str,
    owner: &Tab,
    caller: &Tab,
) -> anyhow::Result<()> {
    let base = &server.base;
    let email = format!(
        "erin-{}@example.net",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    // A new caller: the earlier caller's call (left by navigating away) may still be
    // resumable for their identity, which allows one call at a time.
    caller.c.delete_all_cookies().await?;
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    nobody_answers(caller, &email, "Erin").await?;
    caller.click("Call me back", "#callback-send").await?;
    caller
        .wait_text("#callback-done", "will call you back")
        .await?;

    owner
        .goto_hydrated(&format!("{base}/app/callbacks"))
        .await?;
    owner.wait_text("#callbacks-table", "Erin").await?;
    owner
        .click("Call back now", "button[aria-label='Call Erin back now']")
        .await?;
    owner.wait_text("#callback-called", &email).await?;
    caller
        .wait_text("#calling-back", "is calling you back")
        .await?;
    // The offer comes into view with Answer focused, wherever the caller had scrolled.
    caller
        .until("Answer to have the focus", || async {
            let id: String = caller
                .js("return document.activeElement ? document.activeElement.id : '';")
                .await
                .map_err(|e| e.to_string())?;
            if id == "calling-back-answer" {
                Ok(())
            } else {
                Err(format!("the focus is on {id:?}"))
            }
        })
        .await?;
    caller.shot("callbacks-17-caller-rung-on-the-page").await?;
    caller.click("Answer", "button#calling-back-answer").await?;
    owner
        .wait_for("the incoming call", "#incoming-call[role=alertdialog]")
        .await?;
    owner.wait_text("#incoming-call", "Erin").await?;
    owner.click("Accept", "button#call-accept").await?;
    for t in [owner, caller] {
        t.peer_connected().await?;
    }
    caller
        .wait_attr("#call-state", "data-state", &["connected"])
        .await?;
    for t in [owner, caller] {
        t.audio_flows().await?;
    }
    owner.shot("callbacks-18-owner-talking").await?;
    caller.shot("callbacks-18-caller-talking").await?;
    ensure!(
        caller.text("#calling-back").await.is_none(),
        "the call-back offer stayed after answering"
    );
    let errors = caller.console_errors().await?;
    ensure!(errors.is_empty(), "caller console errors: {errors:?}");
    let errors = owner.console_errors().await?;
    ensure!(errors.is_empty(), "owner console errors: {errors:?}");
    Ok(())
}
