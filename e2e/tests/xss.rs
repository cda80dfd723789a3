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

#[path = "../../entity/tests/support/dns_server.rs"]
mod dns_server;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{ensure, Context};
use dns_server::TestDnsServer;
use e2e::attack::{assert_inert, choose_file, hostile_email, watch_object_urls, Metrics, PAYLOADS};
use e2e::graphql::Api;
use e2e::tab::Tab;
use e2e::{netns, Driver, Server};
use serde_json::json;

const TEST: &str = "hostile_text_in_every_field_never_runs_in_a_real_browser";
const PASSWORD: &str = "correct horse battery";
/// The business name of the confirmed attack.
const HEADLINE: &str = "X</title><img src=x onerror=__xss=1><title>";
const METRICS_TOKEN: &str = "xss-suite-metrics-token-0123456789";

#[test]
fn hostile_text_in_every_field_never_runs_in_a_real_browser() {
    if !netns::inside() {
        if let Err(e) = netns::rerun_isolated(TEST) {
            println!("{e:#}");
            std::panic::resume_unwind(Box::new(e.to_string()));
        }
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(scenario());
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
    let token = create_account(&w.api, &email, HEADLINE).await?;
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

/// Lets reports the browsers send in the background arrive.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(2)).await;
}

/// Creates an account owning a new business named `business`; returns a session token.
/// The one place accounts are made, so a change to sign-up is adapted here only.
async fn create_account(api: &Api, email: &str, business: &str) -> anyhow::Result<String> {
    api.string(
        "",
        "mutation($i: SignUpInput!) { signUp(input: $i) { token } }",
        json!({ "i": { "email": email, "password": PASSWORD, "businessName": business } }),
        "/signUp/token",
    )
    .await
    .context("signing up")
}

/// Signs `email` in in the browser: the sign-in form's server function, posted from our
/// own page (a hostile address is no valid `type=email` to type into the form).
async fn sign_in_browser(tab: &Tab, base: &str, email: &str) -> anyhow::Result<()> {
    tab.goto_hydrated(&format!("{base}/signin")).await?;
    let script = format!(
        "return fetch('/api/sign_in', {{
             method: 'POST',
             headers: {{ 'Accept': 'application/json' }},
             body: new URLSearchParams({{ email: {}, password: {} }}),
         }}).then(r => r.status);",
        serde_json::to_string(email)?,
        serde_json::to_string(PASSWORD)?
    );
    let status: u16 = tab.js(&script).await?;
    ensure!(status == 200, "{}: signing in answered {status}", tab.who);
    Ok(())
}

/// The headline business plus one per hostile name, each with a verified domain.
async fn hostile_businesses(w: &World, token: &str, tag: &str) -> anyhow::Result<Vec<Business>> {
    let first = w
        .api
        .string(token, "{ business { id } }", json!({}), "/business/id")
        .await?;
    let mut out = vec![Business {
        name: HEADLINE.to_owned(),
        domain: verified_domain(w, token, &format!("xss-{tag}-0.com")).await?,
    }];
    for (i, name) in [PAYLOADS[1], PAYLOADS[3], PAYLOADS[9], PAYLOADS[11]]
        .into_iter()
        .enumerate()
    {
        let id = w
            .api
            .string(
                token,
                "mutation($n: String!) { createBusiness(name: $n) { id } }",
                json!({ "n": name }),
                "/createBusiness/id",
            )
            .await?;
        switch(w, token, &id).await?;
        let domain = verified_domain(w, token, &format!("xss-{tag}-{}.com", i + 1)).await?;
        out.push(Business {
            name: name.to_owned(),
            domain,
        });
    }
    switch(w, token, &first).await?;
    Ok(out)
}

async fn switch(w: &World, token: &str, business: &str) -> anyhow::Result<()> {
    w.api
        .call(
            token,
            "mutation($b: ID!) { switchBusiness(businessId: $b) { id } }",
            json!({ "b": business }),
        )
        .await
        .map(drop)
}

/// Adds `name` to the current business and verifies it against the test DNS server.
async fn verified_domain(w: &World, token: &str, name: &str) -> anyhow::Result<String> {
    let d = w
        .api
        .call(
            token,
            "mutation($n: String!) { addDomain(name: $n) { id name recordName recordValue } }",
            json!({ "n": name }),
        )
        .await?;
    let d = &d["addDomain"];
    let domain = d["name"].as_str().context("the domain's name")?.to_owned();
    w.dns.add_a(&domain, Ipv4Addr::LOCALHOST).await;
    w.dns
        .add_txt(
            d["recordName"].as_str().context("recordName")?,
            &[d["recordValue"].as_str().context("recordValue")?],
        )
        .await;
    let v = w
        .api
        .call(
            token,
            "mutation($id: ID!) { verifyDomain(id: $id) { verified message } }",
            json!({ "id": d["id"] }),
        )
        .await?;
    ensure!(v["verifyDomain"]["verified"] == true, "{domain}: {v}");
    Ok(domain)
}

/// What [`hostile_routing`] made.
struct Routing {
    /// `(id, label)` of each intent.
    intents: Vec<(String, String)>,
    teams: Vec<String>,
    key_names: Vec<String>,
    emails: Vec<String>,
    /// The path of an internationalised domain's detail page, and its display name.
    domain_detail: String,
    idn_display: String,
}

/// Intents, teams and API keys named with every payload, invitations to hostile
/// addresses, an internationalised domain, and hostile domain names refused.
async fn hostile_routing(w: &World, token: &str, tag: &str) -> anyhow::Result<Routing> {
    let mut teams = Vec::new();
    let mut team_ids = Vec::new();
    for p in PAYLOADS {
        let id = w
            .api
            .string(
                token,
                "mutation($n: String!) { createTeam(input: { name: $n }) { id } }",
                json!({ "n": p }),
                "/createTeam/id",
            )
            .await?;
        teams.push((*p).to_owned());
        team_ids.push(id);
    }
    let mut intents = Vec::new();
    for (i, p) in PAYLOADS.iter().enumerate() {
        // Every other intent rings a hostile team (its name shows as the target).
        let target = if i % 2 == 1 {
            json!({ "kind": "TEAM", "teamId": team_ids[i] })
        } else {
            json!({ "kind": "EVERYONE" })
        };
        let id = w
            .api
            .string(
                token,
                "mutation($l: String!, $t: IntentTargetInput!) { createIntent(label: $l, target: $t) { id } }",
                json!({ "l": p, "t": target }),
                "/createIntent/id",
            )
            .await?;
        intents.push((id, (*p).to_owned()));
    }
    let mut key_names = Vec::new();
    for p in &PAYLOADS[..5] {
        w.api
            .call(
                token,
                "mutation($n: String!) { createApiKey(name: $n) { secret } }",
                json!({ "n": p }),
            )
            .await?;
        key_names.push((*p).to_owned());
    }
    let mut emails = vec![hostile_email(0, tag)];
    for i in 1..3 {
        let email = hostile_email(i, &format!("{tag}i{i}"));
        w.api
            .call(
                token,
                "mutation($e: String!) { inviteMember(email: $e, role: AGENT) { id } }",
                json!({ "e": email }),
            )
            .await?;
        emails.push(email);
    }
    for hostile in [
        "<img src=x onerror=__xss=1>.com",
        "javascript:__xss=1",
        "\"><svg>.com",
    ] {
        let res = w
            .api
            .raw(
                token,
                "mutation($n: String!) { addDomain(name: $n) { id } }",
                json!({ "n": hostile }),
            )
            .await?;
        ensure!(
            res["errors"][0]["extensions"]["code"] == "VALIDATION",
            "the domain name {hostile:?} was not refused: {res}"
        );
    }
    let idn = w
        .api
        .call(
            token,
            "mutation($n: String!) { addDomain(name: $n) { id displayName } }",
            json!({ "n": format!("bücher-{tag}.com") }),
        )
        .await?;
    Ok(Routing {
        intents,
        teams,
        key_names,
        emails,
        domain_detail: format!(
            "/app/domains?domain={}",
            idn["addDomain"]["id"].as_str().context("the IDN's id")?
        ),
        idn_display: idn["addDomain"]["displayName"]
            .as_str()
            .context("the IDN's display name")?
            .to_owned(),
    })
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

/// The notes the member keeps: every ASCII payload, typed.
fn notes_text() -> String {
    PAYLOADS
        .iter()
        .filter(|p| p.is_ascii())
        .copied()
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The file names sent (as a sender may name a file) and the names shown on receipt.
const FILES: &[(&str, &str)] = &[
    (
        "\"><img src=x onerror=__xss=1>.html",
        "\"><img src=x onerror=__xss=1>.html",
    ),
    (
        "</title><svg onload=__xss=1>.svg",
        "<_title><svg onload=__xss=1>.svg",
    ),
    ("..\u{202E}lmth.exe", "_lmth.exe"),
];

/// The caller calls about the hostile intent in the data mode; the member's softphone
/// rings showing it; they chat every payload both ways and send hostile file names both
/// ways; each received file is saved (typed for download, never opened); the caller
/// hangs up and the member keeps hostile notes.
async fn data_call(
    w: &World,
    member: &Tab,
    caller: &Tab,
    domain: &str,
    intent_id: &str,
    intent_label: &str,
) -> anyhow::Result<()> {
    let base = &w.server.base;
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller
        .wait_for("the intent picker", "select#call-intent")
        .await?
        .select_by_value(intent_id)
        .await
        .context("choosing the intent")?;
    caller
        .click("the data mode", "input[name=call-mode][value=data]")
        .await?;
    caller.click("Call", "button#call-start").await?;
    member
        .wait_attr("#softphone", "data-state", &["ringing"])
        .await?;
    member
        .wait_for("the incoming call", "#incoming-call")
        .await?;
    let shown: String = member
        .js("return document.querySelector('#incoming-call .call-intent').textContent;")
        .await?;
    ensure!(
        shown.contains(intent_label),
        "the incoming card shows {shown:?}"
    );
    assert_inert(member, "the softphone's incoming card").await?;
    member.shot("xss-04-incoming").await?;
    member.click("Accept", "button#call-accept").await?;
    caller
        .wait_attr("#call-state", "data-state", &["connected"])
        .await?;
    member
        .wait_attr("#softphone", "data-state", &["connected"])
        .await?;

    for p in PAYLOADS {
        chat(caller, "chat-input", "chat-send", p).await?;
        chat(member, "softphone-chat-input", "softphone-chat-send", p).await?;
    }
    let texts: Vec<String> = PAYLOADS.iter().map(|p| (*p).to_owned()).collect();
    for (t, log) in [(caller, "#chat-log"), (member, "#softphone-chat-log")] {
        chat_shows(t, log, &texts, 2).await?;
        assert_inert(t, "the in-call chat").await?;
    }

    let downloads = download_dir("member");
    let caller_downloads = download_dir("caller");
    for (t, dir) in [(member, &downloads), (caller, &caller_downloads)] {
        t.cdp(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": dir }),
        )
        .await?;
        watch_object_urls(t).await?;
    }
    for (sent, shown) in FILES {
        send_file(caller, "#call-file", sent).await?;
        receive_file(member, shown, &downloads).await?;
        send_file(member, "#softphone-file", sent).await?;
        receive_file(caller, shown, &caller_downloads).await?;
    }
    member.shot("xss-04-files-member").await?;
    caller.shot("xss-04-files-caller").await?;

    caller.click("Hang up", "button#call-hangup").await?;
    member
        .wait_attr("#softphone", "data-state", &["ended"])
        .await?;
    member
        .type_into("textarea#call-notes", &notes_text())
        .await?;
    member.click("Save notes", "button#call-notes-save").await?;
    member.wait_text("#softphone .notes-saved", "Saved").await?;
    assert_inert(member, "the softphone after the call").await?;
    assert_inert(caller, "the call page after the call").await?;
    Ok(())
}

/// Sends `text` as a chat message from `tab` (set as the field's value: typing would
/// turn U+2028 into a key press).
async fn chat(tab: &Tab, input: &str, send: &str, text: &str) -> anyhow::Result<()> {
    let script = format!(
        "const f = document.getElementById({}); if (!f) return false; f.value = {}; return true;",
        serde_json::to_string(input)?,
        serde_json::to_string(text)?
    );
    let ok: bool = tab.js(&script).await?;
    ensure!(ok, "{}: no #{input}", tab.who);
    tab.click("Send", &format!("button#{send}")).await
}

/// Waits until the chat log `log` holds each of `texts` `times` times (as text).
async fn chat_shows(tab: &Tab, log: &str, texts: &[String], times: usize) -> anyhow::Result<()> {
    let script = format!(
        "const lines = Array.from(document.querySelectorAll({} + ' .chat-body')).map(e => e.textContent);
         return {}.filter(t => lines.filter(l => l === t).length < {times});",
        serde_json::to_string(log)?,
        serde_json::to_string(texts)?
    );
    tab.until("every chat message, as sent", || async {
        let missing: Vec<String> = tab.js(&script).await.map_err(|e| e.to_string())?;
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing {missing:?}"))
        }
    })
    .await
}

fn download_dir(who: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dc-xss-downloads-{who}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("a download directory");
    dir
}

/// Sends a file named `name` (holding a script) from `tab`'s file input `input`.
async fn send_file(tab: &Tab, input: &str, name: &str) -> anyhow::Result<()> {
    choose_file(tab, input, name, FILE_BODY).await?;
    tab.click(
        "Send file",
        &format!(".file-panel:has({input}) button[type=submit]:not([disabled])"),
    )
    .await
}

/// What every sent file holds: a page that would run script if it were ever rendered.
const FILE_BODY: &str = "<!doctype html><script>parent.__xss=1;top.__xss=1</script>";

/// Waits for the file shown as `shown` in `tab`, saves it, and checks: it is listed under
/// its cleaned-up name, as a button (no link to the blob), its blob is typed
/// `application/octet-stream`, saving it downloads the bytes into `dir` and neither
/// navigates nor opens a window, and nothing ran.
async fn receive_file(tab: &Tab, shown: &str, dir: &PathBuf) -> anyhow::Result<()> {
    let find = format!(
        "const items = Array.from(document.querySelectorAll('.received-file'));
         const i = items.findIndex(li => li.querySelector('.file-name').textContent === {});
         return i < 0 ? null : i;",
        serde_json::to_string(shown)?
    );
    let index: usize = tab
        .until(&format!("the file {shown:?} received"), || async {
            let i: Option<usize> = tab.js(&find).await.map_err(|e| e.to_string())?;
            i.ok_or_else(|| "not listed".to_owned())
        })
        .await?;
    let links: usize = tab
        .js("return document.querySelectorAll('a[href^=\"blob:\"]').length;")
        .await?;
    ensure!(links == 0, "{}: a link to a received blob", tab.who);
    let types: Vec<Option<String>> = tab.js("return window.__blobTypes;").await?;
    ensure!(
        !types.is_empty()
            && types
                .iter()
                .all(|t| t.as_deref() == Some("application/octet-stream")),
        "{}: received blobs typed {types:?}",
        tab.who
    );
    let before = std::fs::read_dir(dir)?.count();
    let url = tab.c.current_url().await?;
    let windows = tab.c.windows().await?.len();
    tab.click(
        "Save",
        &format!(".received-file:nth-child({}) button.file-save", index + 1),
    )
    .await?;
    tab.until("the file saved", || async {
        let done: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_none_or(|e| e != "crdownload"))
            .collect();
        let saved = done
            .iter()
            .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t == FILE_BODY))
            .count();
        if saved > before {
            Ok(())
        } else {
            Err(format!("{done:?}"))
        }
    })
    .await?;
    ensure!(
        tab.c.current_url().await? == url && tab.c.windows().await?.len() == windows,
        "{}: saving a file navigated or opened a window",
        tab.who
    );
    assert_inert(tab, "the received files").await
}
