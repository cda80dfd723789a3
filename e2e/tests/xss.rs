//! The XSS attack suite: hostile text in every field people can fill — the business name
//! (the stored XSS of issue 15), team names and intent labels, member and invitation
//! emails, API key names, domain display names, call notes, chat messages and the names of
//! files sent during a call — written through the real API and the real call UI, then
//! rendered on every page that shows it, in real Chromium with the Content-Security-Policy
//! on: the call page by path and by Host header, the dashboard's overview, members, API
//! keys, settings, domains (list and detail), intents, teams, calls (list and detail with
//! notes, chat and timeline), and the softphone's incoming card and in-call screen.
//!
//! Every payload, if it ran, sets `window.__xss`. The suite fails when one does, when a
//! page holds anything that could run (an `on…` attribute, a `javascript:` URL, a frame,
//! an SVG or image, a script without our nonce), when the browser logs a CSP refusal, or
//! when the server counted any CSP violation report. It first proves the alarm works (a
//! handler injected into a clean page is refused and reported) and that clean pages
//! hydrate under the policy with no violation. Received files are checked to be saved,
//! typed `application/octet-stream`, never opened.
//!
//! A call needs WebRTC, which must stay on loopback: like `calls.rs`, the test re-runs
//! itself in a network namespace with only `lo`. Screenshots: `target/e2e/xss-*.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "xss/call.rs"]
mod call;
#[path = "../../entity/tests/support/dns_server.rs"]
mod dns_server;
#[path = "xss/setup.rs"]
mod setup;

use std::time::Duration;

use anyhow::{ensure, Context};
use call::{data_call, notes_text};
use dns_server::TestDnsServer;
use e2e::attack::{assert_inert, hostile_email, Metrics, PAYLOADS};
use e2e::graphql::Api;
use e2e::tab::Tab;
use e2e::{netns, Driver, Server};
use serde_json::json;
use setup::{create_account, hostile_businesses, hostile_routing, sign_in_browser};

const TEST: &str = "hostile_text_in_every_field_never_runs_in_a_real_browser";
const PASSWORD: &str = "correct horse battery";
/// The business name of the confirmed attack.
const HEADLINE: &str = "X</title><img src=x onerror=__xss=1><title>";
const METRICS_TOKEN: &str = "xss-suite-metrics-token-0123456789";

#[test]
fn hostile_text_in_every_field_never_runs_in_a_real_browser() {
    netns::run_isolated(TEST, scenario);
}

/// What the scenario runs against.
struct World {
    dns: TestDnsServer,
    server: Server,
    api: Api,
    metrics: Metrics,
    port: u16,
}

/// The businesses made for the attack, each with a verified domain.
struct Business {
    name: String,
    domain: String,
}

async fn scenario() {
    let dns = TestDnsServer::start(&["com"]).await;
    let dns_addr = dns.addr().to_string();
    let server = Server::start(&[
        ("DOMAINCALL_DNS_SERVERS", dns_addr.as_str()),
        ("DOMAINCALL_DNS_TIMEOUT", "2s"),
        ("DOMAINCALL_METRICS_TOKEN", METRICS_TOKEN),
    ])
    .expect("the domaincall binary on SQLite");
    let driver = Driver::start().await.expect("chromedriver");
    let port = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the server's port");
    let world = World {
        api: Api::new(&server.base),
        metrics: Metrics::new(&server.base, METRICS_TOKEN),
        dns,
        server,
        port,
    };
    // Business domains resolve to the server (the call page by Host header).
    let resolve = vec!["--host-resolver-rules=MAP *.com 127.0.0.1".to_owned()];
    let mut tabs = Vec::new();
    tabs.push(Tab::open(&driver, "member", true).await.expect("browser"));
    tabs.push(
        Tab::open_with(&driver, "caller", true, &resolve)
            .await
            .expect("browser"),
    );
    let result = run(&world, &tabs[0], &tabs[1]).await;
    if result.is_err() {
        for tab in &tabs {
            tab.report("xss").await;
        }
    }
    for tab in tabs {
        tab.c.close().await.ok();
    }
    if let Err(e) = result {
        panic!("the XSS suite failed: {e:#}");
    }
}

async fn run(w: &World, member: &Tab, caller: &Tab) -> anyhow::Result<()> {
    let base = w.server.base.clone();
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();

    println!("== the policy holds on clean pages, and the alarm works");
    caller.goto_hydrated(&format!("{base}/")).await?;
    assert_inert(caller, "the landing page").await?;
    caller.shot("xss-01-landing").await?;
    let _: bool = caller
        .js("document.getElementById('how-title').scrollIntoView(); return true;")
        .await?;
    caller.shot("xss-01-landing-features").await?;
    caller.goto_hydrated(&format!("{base}/signin")).await?;
    assert_inert(caller, "the sign-in page").await?;
    settle().await;
    ensure!(
        w.metrics.csp_violations().await? == 0.0,
        "clean pages caused CSP violations"
    );
    let _: bool = caller
        .js("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__xss=1\">');
             return true;")
        .await?;
    caller
        .until("the injected handler reported", || async {
            match w.metrics.csp_violations().await {
                Ok(n) if n >= 1.0 => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await?;
    let ran: Option<i64> = caller
        .js("return window.__xss === undefined ? null : 1;")
        .await?;
    ensure!(ran.is_none(), "an inline handler ran under the CSP");
    caller.console_errors().await?; // the refusal just provoked
    let baseline = w.metrics.csp_violations().await?;

    println!("== an owner with hostile text in every field (through the API)");
    let email = hostile_email(0, &tag);
    let token = create_account(&w.api, &w.server, &email, HEADLINE).await?;
    // Signed in while the business is the only one: the browser's session acts for it.
    sign_in_browser(member, &base, &email).await?;
    let businesses = hostile_businesses(w, &token, &tag).await?;
    let routing = hostile_routing(w, &token, &tag).await?;

    println!("== the dashboard shows every field as text");
    let names: Vec<String> = businesses.iter().map(|b| b.name.clone()).collect();
    for (path, shows) in [
        ("/app", names),
        ("/app/members", routing.emails.clone()),
        ("/app/api-keys", routing.key_names.clone()),
        ("/app/settings", vec![HEADLINE.to_owned()]),
        ("/app/domains", vec![businesses[0].domain.clone()]),
        (
            "/app/intents",
            routing.intents.iter().map(|(_, l)| l.clone()).collect(),
        ),
        ("/app/teams", routing.teams.clone()),
        (
            routing.domain_detail.as_str(),
            vec![routing.idn_display.clone()],
        ),
    ] {
        member.goto_hydrated(&format!("{base}{path}")).await?;
        shows_text(member, path, &shows).await?;
        assert_inert(member, path).await?;
        member
            .shot(&format!(
                "xss-02-dashboard{}",
                path.replace(['/', '?', '='], "-")
            ))
            .await?;
    }

    println!("== the call pages, by path and by Host header");
    for (i, b) in businesses.iter().enumerate() {
        let by_host = format!("http://{}:{}/call", b.domain, w.port);
        for url in [format!("{base}/call/{}", b.domain), by_host] {
            // Inert as served, before hydration could tidy anything away; then hydrated.
            caller.c.goto(&url).await?;
            assert_inert(caller, &url).await?;
            caller
                .wait_for("the page to hydrate", "body[data-hydrated]")
                .await?;
            let title: String = caller.js("return document.title;").await?;
            ensure!(
                title == format!("Call {} · domaincall", b.name),
                "{url}: the title reads {title:?}"
            );
            let heading: String = caller
                .js("return document.querySelector('#call-business').textContent;")
                .await?;
            ensure!(heading == b.name, "{url}: the heading reads {heading:?}");
            assert_inert(caller, &url).await?;
        }
        caller.shot(&format!("xss-03-call-page-{i}")).await?;
    }
    caller.goto_hydrated(&format!("{base}/call")).await?;
    assert_inert(caller, "/call on our host").await?;

    println!("== a data call: the incoming card, chat and files both ways");
    let main = &businesses[0];
    let (intent_id, intent_label) = &routing.intents[0];
    member.goto_hydrated(&format!("{base}/app")).await?;
    member
        .wait_attr("#softphone", "data-state", &["idle"])
        .await?;
    data_call(w, member, caller, &main.domain, intent_id, intent_label).await?;

    println!("== the call's records: list and detail with notes, chat and timeline");
    let calls = w
        .api
        .call(&token, "{ calls { id domain } }", json!({}))
        .await?;
    let call_id = calls["calls"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["domain"] == main.domain.as_str()))
        .and_then(|c| c["id"].as_str())
        .with_context(|| format!("no call to {} in {calls}", main.domain))?
        .to_owned();
    member.goto_hydrated(&format!("{base}/app/calls")).await?;
    shows_text(member, "/app/calls", std::slice::from_ref(intent_label)).await?;
    assert_inert(member, "/app/calls").await?;
    member.shot("xss-05-calls").await?;
    let detail = format!("/app/calls?call={call_id}");
    member.goto_hydrated(&format!("{base}{detail}")).await?;
    let mut shown: Vec<String> = PAYLOADS.iter().map(|p| (*p).to_owned()).collect();
    shown.push(notes_text());
    shows_text(member, &detail, &shown).await?;
    assert_inert(member, &detail).await?;
    member.shot("xss-06-call-detail").await?;

    println!("== a message with hostile text: the members' list");
    leave_hostile_message(&base, &main.domain).await?;
    member
        .goto_hydrated(&format!("{base}/app/messages"))
        .await?;
    let shown: Vec<String> = PAYLOADS.iter().map(|p| (*p).to_owned()).collect();
    shows_text(member, "/app/messages", &shown).await?;
    assert_inert(member, "/app/messages").await?;
    member.shot("xss-07-messages").await?;

    println!("== nothing ran and no browser reported a violation");
    settle().await;
    let total = w.metrics.csp_violations().await?;
    ensure!(
        total == baseline,
        "{} CSP violation(s) reported while rendering hostile text",
        total - baseline
    );
    Ok(())
}

/// Leaves a message on `domain`'s call page as a new caller would (the page's multipart
/// form): the first payload as the name, every payload on its own line as the text.
async fn leave_hostile_message(base: &str, domain: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let session: serde_json::Value = http
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "mutation { startCallerSession { token } }" }))
        .send()
        .await?
        .json()
        .await?;
    let token = session["data"]["startCallerSession"]["token"]
        .as_str()
        .with_context(|| format!("no caller token: {session}"))?;
    let boundary = "----domaincall-xss-boundary";
    let mut body = String::new();
    for (name, value) in [
        ("domain", domain.to_owned()),
        ("name", PAYLOADS[0].to_owned()),
        ("text", PAYLOADS.join("\n")),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let res = http
        .post(format!("{base}/call/message"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("cookie", format!("dc_caller={token}"))
        .body(body)
        .send()
        .await?;
    ensure!(
        res.status().as_u16() == 201,
        "the message: {}",
        res.text().await?
    );
    Ok(())
}

/// Lets reports the browsers send in the background arrive.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(2)).await;
}

/// Waits until the page's text (`textContent`, so invisible characters count) holds
/// every one of `texts`.
async fn shows_text(tab: &Tab, page: &str, texts: &[String]) -> anyhow::Result<()> {
    let script = format!(
        "const body = document.body.textContent;
         return {}.filter(t => !body.includes(t));",
        serde_json::to_string(texts)?
    );
    tab.until(&format!("{page} to show every hostile text"), || async {
        let missing: Vec<String> = tab.js(&script).await.map_err(|e| e.to_string())?;
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing {missing:?}"))
        }
    })
    .await
}
