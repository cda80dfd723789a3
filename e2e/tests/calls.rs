//! The product, tried as people would, in real Chromium with fake camera and microphone:
//! a business member sits in the dashboard (and a colleague in theirs), a caller sees the
//! domain among those online on `/call`, opens `/call/{domain}`, picks an intent and
//! voice, both dashboards ring showing that intent, the first member accepts (the
//! colleague's stops ringing), they talk peer to peer (audio bytes flow both ways), ride
//! out a network blip (UDP dropped until the caller's page restarts ICE; the same call
//! carries on), chat, the caller hangs up (and sees the reward their wait earned), and the
//! call is in the records with its wait time. A ringing call takes the keyboard focus (Accept) and Escape rejects it:
//! on a second call the colleague rejects that way, the first member answers and transfers
//! the call to the colleague's team, the colleague takes it over and the caller's browser
//! renegotiates with theirs. Then the click-to-call button on the business's own site opens
//! that call page.
//!
//! WebRTC must stay on loopback: the test re-runs itself inside a network namespace with
//! only `lo` (see `e2e::netns`), where it starts a DNS server, the real binary on SQLite,
//! chromedriver and the browsers. Screenshots: `target/e2e/calls-NN-*.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../entity/tests/support/dns_server.rs"]
mod dns_server;

use std::net::Ipv4Addr;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, ensure, Context};
use dns_server::TestDnsServer;
use e2e::site::StaticSite;
use e2e::tab::Tab;
use e2e::{netns, Driver, Server};
use fantoccini::key::Key;
use serde_json::{json, Value};

/// The test's own name, for re-running exactly it inside the namespace.
const TEST: &str = "a_caller_reaches_a_member_and_they_talk_in_real_browsers";
const BUSINESS: &str = "Corner Bakery";
const INTENT: &str = "New order";
const PASSWORD: &str = "correct horse battery";

#[test]
fn a_caller_reaches_a_member_and_they_talk_in_real_browsers() {
    netns::run_isolated(TEST, scenario);
}

/// Names the step in progress, so a failure says where the scenario stopped.
#[derive(Default)]
struct Steps(Mutex<(u32, String)>);

impl Steps {
    /// Starts step `n`; returns the screenshot prefix `calls-NN`.
    fn start(&self, name: &str) -> String {
        let mut s = self.0.lock().unwrap();
        s.0 += 1;
        s.1 = name.to_owned();
        println!("== step {}: {name}", s.0);
        format!("calls-{:02}", s.0)
    }

    fn current(&self) -> String {
        let s = self.0.lock().unwrap();
        format!("step {} ({})", s.0, s.1)
    }
}

/// Everything the scenario runs against, started inside the namespace.
struct World {
    dns: TestDnsServer,
    server: Server,
    driver: Driver,
}

async fn scenario() {
    let wasm = e2e::workspace().join("target/site/pkg/domaincall.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: build the site first (`cargo leptos build --frontend-only`)",
        wasm.display()
    );
    let dns = TestDnsServer::start(&["com"]).await;
    let dns_addr = dns.addr().to_string();
    // The browser's origin must be the public URL (the `/ws` Origin allowlist):
    // `Server::start` makes it the server's own origin.
    let server = Server::start(&[
        ("DOMAINCALL_DNS_SERVERS", dns_addr.as_str()),
        ("DOMAINCALL_DNS_TIMEOUT", "2s"),
    ])
    .expect("the domaincall binary on SQLite");
    let driver = Driver::start().await.expect("chromedriver");
    let steps = Steps::default();
    let mut tabs: Vec<Tab> = Vec::new();
    let world = World {
        dns,
        server,
        driver,
    };
    let result = run(&world, &steps, &mut tabs).await;
    if result.is_err() {
        for tab in &tabs {
            tab.report("calls").await;
        }
    }
    for tab in tabs {
        tab.c.close().await.ok();
    }
    if let Err(e) = result {
        panic!("the call scenario failed at {}: {e:#}", steps.current());
    }
}

async fn run(w: &World, steps: &Steps, tabs: &mut Vec<Tab>) -> anyhow::Result<()> {
    let base = w.server.base.clone();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let domain = format!("bakery-{}.com", &suffix[..10]);
    let email_a = format!("alice-{}@example.com", &suffix[..8]);
    let email_b = format!("bob-{}@example.com", &suffix[..8]);
    w.dns.add_a(&domain, Ipv4Addr::new(192, 0, 2, 10)).await;

    tabs.push(Tab::open(&w.driver, "member-a", true).await?);
    tabs.push(Tab::open(&w.driver, "member-b", true).await?);
    tabs.push(Tab::open(&w.driver, "caller", true).await?);
    let [a, b, caller] = &tabs[..] else {
        bail!("three browsers")
    };

    // 1. Member A signs up and lands in the dashboard.
    let shot = steps.start("member A signs up");
    a.goto_hydrated(&format!("{base}/signup")).await?;
    a.type_into("#email", &email_a).await?;
    a.type_into("#password", PASSWORD).await?;
    a.type_into("#business-name", BUSINESS).await?;
    a.click("the sign-up button", "#signup-submit").await?;
    let link = a
        .until("the sign-up email", || async {
            w.server
                .sign_up_link(&email_a)
                .ok_or_else(|| "not in the outbox yet".to_owned())
        })
        .await?;
    a.goto_hydrated(&format!("{base}{link}")).await?;
    a.type_into("#password", PASSWORD).await?;
    a.click("the confirm button", "#confirm-submit").await?;
    a.until("the dashboard", || async {
        let url = a.c.current_url().await.map_err(|e| e.to_string())?;
        if url.path().starts_with("/app") {
            Ok(())
        } else {
            Err(url.to_string())
        }
    })
    .await?;
    a.wait_text("body", BUSINESS).await?;
    a.shot(&format!("{shot}-signed-up")).await?;
    let token_a =
        a.c.get_named_cookie("dc_session")
            .await
            .context("A's session cookie")?
            .value()
            .to_owned();
    let api = Api::new(&base);
    let me = api.call(&token_a, "{ me { id } }", json!({})).await?;
    let user_a = me["me"]["id"].as_str().context("A's user id")?.to_owned();

    // 2. A adds the domain and proves it with the TXT record the page shows.
    let shot = steps.start("A adds and verifies the domain");
    a.goto_hydrated(&format!("{base}/app/domains")).await?;
    a.type_into("#domain-name", &domain).await?;
    a.click("Add domain", "#add-domain").await?;
    let record_name = a.wait_text("#record-name", "_domaincall.").await?;
    let record_value = a.text("#record-value").await.context("the record value")?;
    w.dns.add_txt(&record_name, &[&record_value]).await;
    a.click("Verify", "#verify-domain").await?;
    a.wait_text("#domain-detail .domain-status", "Verified")
        .await?;
    a.shot(&format!("{shot}-domain-verified")).await?;

    // 3. A creates the intent callers will pick.
    steps.start("A creates the intent \"New order\"");
    let intent_id = create_intent(&api, &token_a).await?;

    // A thanks callers who wait: any wait earns 10 points a started minute and a coupon.
    api.call(
        &token_a,
        "mutation { setRewardPolicy(input: { enabled: true, thresholdSecs: 0, \
         pointsPerMinute: 10, couponTemplate: \"BAKERY-{code}\" }) { enabled } }",
        json!({}),
    )
    .await?;

    // 4. A sits in the dashboard, available.
    let shot = steps.start("A opens the dashboard; the softphone is idle");
    a.goto_hydrated(&format!("{base}/app")).await?;
    a.wait_attr("#softphone", "data-state", &["idle"]).await?;
    a.shot(&format!("{shot}-dashboard-a")).await?;

    // 5. A invites B; B accepts and opens the dashboard too.
    let shot = steps.start("A invites B; B accepts from the email and opens the dashboard");
    let link = invite(&api, &w.server, &token_a, &email_b).await?;
    b.goto_hydrated(&format!("{base}{link}")).await?;
    b.wait_text("#invite-business", BUSINESS).await?;
    b.type_into("#password", PASSWORD).await?;
    b.click("Accept the invitation", "#accept-submit").await?;
    b.until("the dashboard", || async {
        let url = b.c.current_url().await.map_err(|e| e.to_string())?;
        if url.path().starts_with("/app") {
            Ok(())
        } else {
            Err(url.to_string())
        }
    })
    .await?;
    b.wait_for("the page to hydrate", "body[data-hydrated]")
        .await?;
    b.wait_text("body", BUSINESS).await?;
    b.wait_attr("#softphone", "data-state", &["idle"]).await?;
    b.shot(&format!("{shot}-dashboard-b")).await?;
    let token_b =
        b.c.get_named_cookie("dc_session")
            .await
            .context("B's session cookie")?
            .value()
            .to_owned();
    let me = api.call(&token_b, "{ me { id } }", json!({})).await?;
    let user_b = me["me"]["id"].as_str().context("B's user id")?.to_owned();

    // 6. The caller sees the bakery among the domains online on /call, opens its call
    // page, picks the intent and voice, and calls.
    let shot = steps.start("the caller sees the domain online on /call, opens its page, picks");
    caller.goto_hydrated(&format!("{base}/call")).await?;
    caller.wait_text("#call-online-domains", &domain).await?;
    place_call(caller, &base, &domain, &intent_id, &shot).await?;

    // 7. Both members' softphones ring, showing the intent, in a dialog that has the
    // keyboard focus on Accept.
    let shot = steps.start("A's and B's softphones ring showing the intent; Accept has focus");
    for m in [a, b] {
        m.wait_attr("#softphone", "data-state", &["ringing"])
            .await?;
        m.wait_for(
            "the incoming call dialog",
            "#incoming-call[role=alertdialog]",
        )
        .await?;
        m.wait_text("#incoming-call .call-intent", INTENT).await?;
        m.wait_for("the caller's name", "#incoming-call .caller-name")
            .await?;
        // The heading is shown in capitals (CSS); its text is what a screen reader says.
        let title = m.text("#incoming-call #incoming-title").await;
        let labelled = m.attr("#incoming-call", "aria-labelledby").await;
        ensure!(
            labelled.as_deref() == Some("incoming-title")
                && title
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("Incoming voice call")),
            "{}: the dialog is labelled {labelled:?} by {title:?}",
            m.who
        );
        accept_has_focus(m).await?;
    }
    let caller_name = a
        .text("#incoming-call .caller-name")
        .await
        .unwrap_or_default();
    a.shot(&format!("{shot}-a-ringing")).await?;
    b.shot(&format!("{shot}-b-ringing")).await?;

    // 8. A accepts; B's stops ringing; everyone is connected.
    let shot = steps.start("A accepts; B stops ringing; both peers connect");
    a.click("Accept", "button#call-accept").await?;
    a.wait_attr("#softphone", "data-state", &["connected"])
        .await?;
    b.wait_attr("#softphone", "data-state", &["idle"]).await?;
    incoming_gone(b).await?;
    caller
        .wait_attr("#call-state", "data-state", &["connected"])
        .await?;
    for t in [a, caller] {
        t.peer_connected().await?;
    }
    a.shot(&format!("{shot}-a-connected")).await?;
    b.shot(&format!("{shot}-b-not-ringing")).await?;
    caller.shot(&format!("{shot}-caller-connected")).await?;

    // 9. They hear each other: inbound audio bytes grow on both sides.
    steps.start("audio flows both ways (inbound-rtp bytesReceived grows)");
    for t in [a, caller] {
        t.audio_flows().await?;
    }

    // 10. A network blip: the browsers' UDP (all the media) is dropped for a while, the
    // caller's page restarts ICE on the same call, and the call carries on when the
    // network comes back.
    let shot = steps.start("a network blip: ICE restarts and the same call carries on");
    network_blip(a, caller, &shot).await?;

    // 11. Chat, both ways.
    let shot = steps.start("a chat message each way");
    let hello = "Hi! I'd like to order a birthday cake.";
    caller.type_into("input#chat-input", hello).await?;
    caller.click("Send", "button#chat-send").await?;
    a.wait_text("#softphone-chat-log", hello).await?;
    caller.wait_text("#chat-log", hello).await?;
    let reply = "Happy to help: for which day?";
    a.type_into("input#softphone-chat-input", reply).await?;
    a.click("Send", "button#softphone-chat-send").await?;
    caller.wait_text("#chat-log", reply).await?;
    a.wait_text("#softphone-chat-log", reply).await?;
    ensure!(
        last_li(caller, "#chat-log li").await.contains(reply),
        "the caller's chat log does not end with the reply"
    );
    a.shot(&format!("{shot}-a-chat")).await?;
    caller.shot(&format!("{shot}-caller-chat")).await?;

    // 12. The caller hangs up: both see the call ended.
    let shot = steps.start("the caller hangs up; both see it ended");
    caller_hangs_up(caller, a).await?;
    caller.shot(&format!("{shot}-caller-ended")).await?;
    a.shot(&format!("{shot}-a-ended")).await?;
    // Both end screens' durations stopped with the call, and the caller's page no longer
    // says whether anyone is online (its own call made the agent busy).
    let durations = || async {
        (
            caller.text(".call-result .muted").await.unwrap_or_default(),
            a.text(".softphone-summary").await.unwrap_or_default(),
        )
    };
    let first = durations().await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let later = durations().await;
    ensure!(
        first.0.contains("Duration") && first.1.contains("Duration") && first == later,
        "a duration kept counting after the hang-up: {first:?} then {later:?}"
    );
    let online_hidden: bool = caller
        .js("return document.querySelector('#call-online').hidden;")
        .await?;
    ensure!(online_hidden, "the end screen still shows the online line");
    // The wait earned a reward: the end screen says what, once the job has judged it.
    caller.wait_text("#call-reward", "points").await?;
    caller.wait_text("#call-reward .coupon", "BAKERY-").await?;
    caller.shot(&format!("{shot}-caller-reward")).await?;

    // 13. A notes what was agreed.
    let shot = steps.start("A saves notes on the call");
    let notes = "Birthday cake for Saturday, chocolate, 12 people.";
    a.type_into("textarea#call-notes", notes).await?;
    a.click("Save notes", "button#call-notes-save").await?;
    a.wait_text("#softphone .notes-saved", "Saved").await?;
    a.shot(&format!("{shot}-a-notes")).await?;

    // 14. The call is in the records, with its intent and wait time.
    steps.start("GraphQL `calls` lists it with its wait time and intent");
    let res = api
        .call(
            &token_a,
            "{ calls { domain intent mode state endReason waitMs answeredBy notes callerName } }",
            json!({}),
        )
        .await?;
    let call = res["calls"]
        .as_array()
        .and_then(|calls| calls.iter().find(|c| c["domain"] == domain.as_str()))
        .with_context(|| format!("no call to {domain} in {res}"))?;
    ensure!(call["intent"] == intent_id.as_str(), "intent: {call}");
    ensure!(call["mode"] == "voice", "mode: {call}");
    ensure!(call["state"] == "ended", "state: {call}");
    ensure!(call["endReason"] == "hung_up_by_caller", "end: {call}");
    ensure!(call["answeredBy"] == user_a.as_str(), "answered by: {call}");
    ensure!(call["notes"] == notes, "notes: {call}");
    ensure!(
        !caller_name.is_empty() && call["callerName"] == caller_name.trim(),
        "the softphone showed the caller as {caller_name:?}: {call}"
    );
    ensure!(
        call["waitMs"].as_i64().is_some_and(|ms| ms > 0),
        "wait time: {call}"
    );

    // The reward is on the business's ledger: B opens Rewards (the softphone comes along).
    let shot = steps.start("B sees the caller's reward under Rewards");
    b.goto_hydrated(&format!("{base}/app/rewards")).await?;
    b.wait_text("#rewards-table", "BAKERY-").await?;
    b.wait_text("#total-rewards", "1").await?;
    b.wait_attr("#softphone", "data-state", &["idle"]).await?;
    b.shot(&format!("{shot}-b-rewards")).await?;

    // 15-20. A second call: Escape rejects it on B, A answers and transfers it to B's team.
    let second = SecondCall {
        base: &base,
        domain: &domain,
        intent_id: &intent_id,
        token_a: &token_a,
        email_a: &email_a,
        email_b: &email_b,
        user_b: &user_b,
    };
    second.run(steps, &api, [a, b, caller]).await?;

    // 21. The click-to-call button on the business's own site opens the call page.
    widget(steps, caller, &base, &domain).await?;

    // 22. Nothing went wrong in any browser along the way.
    steps.start("no console errors");
    let mut errors = Vec::new();
    for t in [a, b, caller] {
        for e in t.console_errors().await? {
            errors.push(format!("{}: {e}", t.who));
        }
    }
    ensure!(errors.is_empty(), "browser console errors: {errors:#?}");
    Ok(())
}

/// The second call, where the keyboard rejects and the call is transferred to a team.
struct SecondCall<'a> {
    base: &'a str,
    domain: &'a str,
    intent_id: &'a str,
    token_a: &'a str,
    email_a: &'a str,
    email_b: &'a str,
    user_b: &'a str,
}

impl SecondCall<'_> {
    async fn run(&self, steps: &Steps, api: &Api, [a, b, caller]: [&Tab; 3]) -> anyhow::Result<()> {
        steps.start("A puts B in a team \"Support\"");
        let team = create_team(api, self.token_a, "Support", self.user_b).await?;

        let shot = steps.start("the caller calls again; B rejects with Escape, A still rings");
        a.click("Done", "button#call-done").await?;
        a.wait_attr("#softphone", "data-state", &["idle"]).await?;
        place_call(caller, self.base, self.domain, self.intent_id, &shot).await?;
        for m in [a, b] {
            m.wait_attr("#softphone", "data-state", &["ringing"])
                .await?;
            accept_has_focus(m).await?;
        }
        b.shot(&format!("{shot}-b-ringing-focused")).await?;
        b.press(Key::Escape).await?;
        b.wait_attr("#softphone", "data-state", &["idle"]).await?;
        incoming_gone(b).await?;
        a.wait_for("the call still ringing on A", "#incoming-call #call-accept")
            .await?;
        caller
            .wait_attr("#call-state", "data-state", &["ringing"])
            .await?;
        b.shot(&format!("{shot}-b-rejected")).await?;

        steps.start("A accepts the second call; A and the caller connect");
        a.click("Accept", "button#call-accept").await?;
        a.wait_attr("#softphone", "data-state", &["connected"])
            .await?;
        caller
            .wait_attr("#call-state", "data-state", &["connected"])
            .await?;
        for t in [a, caller] {
            t.peer_connected().await?;
        }

        let shot = steps.start("A transfers the call to the team \"Support\"");
        // B, available, can be chosen alone or as the team's one free member.
        option_offered(
            a,
            &format!("#transfer-to optgroup[label=Teams] option[value='team:{team}']"),
            "Support (1 available)",
        )
        .await?;
        option_offered(
            a,
            &format!(
                "#transfer-to optgroup[label=Colleagues] option[value='member:{}']",
                self.user_b
            ),
            &format!("{} (available)", self.email_b),
        )
        .await?;
        // The caller's browser must make a new peer connection for the new agent.
        let _: bool = caller
            .js("window.__dcPeer.__dcBeforeTransfer = true; return true;")
            .await?;
        a.wait_for("the transfer select", "select#transfer-to")
            .await?
            .select_by_value(&format!("team:{team}"))
            .await
            .context("A: choosing the team")?;
        a.shot(&format!("{shot}-a-team-chosen")).await?;
        a.click("Transfer", "button#call-transfer").await?;
        a.wait_text("button#call-transfer", "Ringing…").await?;
        a.wait_text("#softphone .call-notice", "Ringing the Support team")
            .await?;
        a.shot(&format!("{shot}-a-transfer-ringing")).await?;

        let shot = steps
            .start("B's softphone rings \"Transferred by\" A; B accepts; the caller renegotiates");
        b.wait_attr("#softphone", "data-state", &["ringing"])
            .await?;
        b.wait_text("#incoming-call .transferred-by", self.email_a)
            .await?;
        accept_has_focus(b).await?;
        b.shot(&format!("{shot}-b-transfer-ringing")).await?;
        b.click("Accept", "button#call-accept").await?;
        b.wait_attr("#softphone", "data-state", &["connected"])
            .await?;
        a.wait_attr("#softphone", "data-state", &["ended"]).await?;
        a.wait_text(
            "#softphone .softphone-summary",
            &format!("Transferred to {} (Support).", self.email_b),
        )
        .await?;
        caller
            .until("a new RTCPeerConnection connected", || async {
                let state: Option<String> = caller
                    .js("const pc = window.__dcPeer;
                     return pc && !pc.__dcBeforeTransfer ? pc.connectionState : null;")
                    .await
                    .map_err(|e| e.to_string())?;
                match state.as_deref() {
                    Some("connected") => Ok(()),
                    other => Err(format!("the new __dcPeer.connectionState = {other:?}")),
                }
            })
            .await?;
        b.peer_connected().await?;
        for t in [b, caller] {
            t.audio_flows().await?;
        }
        a.shot(&format!("{shot}-a-transferred")).await?;
        b.shot(&format!("{shot}-b-connected")).await?;

        let shot = steps.start("the caller hangs up on B");
        caller_hangs_up(caller, b).await?;
        b.shot(&format!("{shot}-b-ended")).await?;
        Ok(())
    }
}

/// On the call page of `domain`: picks the intent and voice, calls, and waits for the ring.
async fn place_call(
    caller: &Tab,
    base: &str,
    domain: &str,
    intent_id: &str,
    shot: &str,
) -> anyhow::Result<()> {
    caller
        .goto_hydrated(&format!("{base}/call/{domain}"))
        .await?;
    caller.wait_text("#call-business", BUSINESS).await?;
    caller
        .wait_attr("#call-state", "data-state", &["idle"])
        .await?;
    let select = caller
        .wait_for("the intent picker", "select#call-intent")
        .await?;
    select
        .select_by_value(intent_id)
        .await
        .context("caller: choosing the intent")?;
    caller
        .click("the voice mode", "input[name=call-mode][value=voice]")
        .await?;
    caller.shot(&format!("{shot}-call-page")).await?;
    caller.click("Call", "button#call-start").await?;
    caller
        .wait_attr("#call-state", "data-state", &["ringing"])
        .await?;
    caller.shot(&format!("{shot}-caller-ringing")).await?;
    Ok(())
}

/// Keyboard focus is on the ringing call's Accept button.
async fn accept_has_focus(t: &Tab) -> anyhow::Result<()> {
    t.until("the keyboard focus on Accept", || async {
        let id: String = t
            .js("const a = document.activeElement; return a && a.id ? a.id : String(a && a.tagName);")
            .await
            .map_err(|e| e.to_string())?;
        if id == "call-accept" {
            Ok(())
        } else {
            Err(format!("document.activeElement is {id}"))
        }
    })
    .await
}

/// The select option `css` reads `label` and can be chosen.
async fn option_offered(t: &Tab, css: &str, label: &str) -> anyhow::Result<()> {
    let script = format!(
        "const o = document.querySelector({css:?});
         return o ? (o.disabled ? 'disabled: ' : '') + o.textContent.trim() : 'no option';"
    );
    t.until(&format!("the option {label:?}"), || async {
        let seen: String = t.js(&script).await.map_err(|e| e.to_string())?;
        if seen == label {
            Ok(())
        } else {
            Err(seen)
        }
    })
    .await
}

/// The incoming-call overlay is gone (or hidden).
async fn incoming_gone(t: &Tab) -> anyhow::Result<()> {
    t.until("the incoming call gone", || async {
        match t.c.find(fantoccini::Locator::Css("#incoming-call")).await {
            Err(_) => Ok(()),
            Ok(el) if !el.is_displayed().await.unwrap_or(false) => Ok(()),
            Ok(_) => Err("#incoming-call still shown".to_owned()),
        }
    })
    .await
}

/// The caller hangs up; the call page and the agent's softphone both show it ended.
async fn caller_hangs_up(caller: &Tab, agent: &Tab) -> anyhow::Result<()> {
    caller.click("Hang up", "button#call-hangup").await?;
    both_show(caller, agent, "ended").await
}

/// The call page and the agent's softphone both show the call in `state`.
async fn both_show(caller: &Tab, agent: &Tab, state: &str) -> anyhow::Result<()> {
    caller
        .wait_attr("#call-state", "data-state", &[state])
        .await?;
    agent
        .wait_attr("#softphone", "data-state", &[state])
        .await?;
    Ok(())
}

/// Drops every UDP datagram in this network namespace (the media and its ICE checks; the
/// pages' WebSockets and WebDriver are TCP) until [`UdpBlocked`] is dropped.
struct UdpBlocked;

impl UdpBlocked {
    fn start() -> anyhow::Result<Self> {
        nft(&["add", "table", "inet", "blip"])?;
        nft(&[
            "add",
            "chain",
            "inet",
            "blip",
            "in",
            // On input, as a real blip: senders see no error, datagrams just vanish.
            "{ type filter hook input priority 0; }",
        ])?;
        nft(&[
            "add", "rule", "inet", "blip", "in", "meta", "l4proto", "udp", "drop",
        ])?;
        Ok(Self)
    }
}

impl Drop for UdpBlocked {
    fn drop(&mut self) {
        if let Err(e) = nft(&["delete", "table", "inet", "blip"]) {
            eprintln!("could not lift the UDP block: {e:#}");
        }
    }
}

fn nft(args: &[&str]) -> anyhow::Result<()> {
    let out = std::process::Command::new("nft")
        .args(args)
        .output()
        .context("running nft (Debian's nftables; e2e/setup.sh installs it)")?;
    ensure!(
        out.status.success(),
        "nft {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// The ICE username fragment of the page's current local description.
async fn local_ufrag(t: &Tab) -> anyhow::Result<String> {
    let ufrag: Option<String> = t
        .js(
            "const d = window.__dcPeer && window.__dcPeer.localDescription;
             const m = d && d.sdp.match(/a=ice-ufrag:(\\S+)/);
             return m ? m[1] : null;",
        )
        .await?;
    ufrag.with_context(|| format!("{}: no ice-ufrag in the local description", t.who))
}

/// The page's `RTCPeerConnection` state, and whether it is still the one marked before.
async fn peer_state(t: &Tab) -> Result<String, String> {
    let state: Option<String> = t
        .js("const pc = window.__dcPeer;
             return pc && pc.__dcBeforeBlip ? pc.connectionState : null;")
        .await
        .map_err(|e| e.to_string())?;
    state.ok_or_else(|| "not the same RTCPeerConnection as before the blip".to_owned())
}

/// Cuts the media for a while: the caller's connection leaves `connected`, the page
/// restarts ICE (a new ufrag), and once the network is back both peers are connected
/// again — the same `RTCPeerConnection`s, the same call on both screens, audio flowing.
async fn network_blip(agent: &Tab, caller: &Tab, shot: &str) -> anyhow::Result<()> {
    for t in [agent, caller] {
        t.js::<bool>("window.__dcPeer.__dcBeforeBlip = true; return true;")
            .await?;
    }
    let before = local_ufrag(caller).await?;
    let started = std::time::Instant::now();
    {
        let _blocked = UdpBlocked::start()?;
        caller
            .until("the caller's connection to notice the blip", || async {
                match peer_state(caller).await?.as_str() {
                    "connected" => Err("still connected".to_owned()),
                    other => Ok(other.to_owned()),
                }
            })
            .await?;
        for t in [agent, caller] {
            t.wait_text(".in-call-status .peer-state", "reconnecting")
                .await?;
        }
        caller
            .until("the caller's page to restart ICE", || async {
                let now = local_ufrag(caller).await.map_err(|e| e.to_string())?;
                if now == before {
                    Err(format!("ice-ufrag still {now}"))
                } else {
                    Ok(())
                }
            })
            .await?;
        caller.shot(&format!("{shot}-caller-during")).await?;
        agent.shot(&format!("{shot}-a-during")).await?;
        println!(
            "UDP dropped for {:?}, until ICE restarted",
            started.elapsed()
        );
    }
    for t in [agent, caller] {
        t.until("the same RTCPeerConnection connected again", || async {
            match peer_state(t).await?.as_str() {
                "connected" => Ok(()),
                other => Err(format!("connectionState {other}")),
            }
        })
        .await?;
    }
    both_show(caller, agent, "connected").await?;
    for t in [agent, caller] {
        t.audio_flows().await?;
        t.until("the reconnecting note gone", || async {
            match t.text(".in-call-status .peer-state").await {
                None => Ok(()),
                Some(text) => Err(text),
            }
        })
        .await?;
    }
    caller.shot(&format!("{shot}-caller-after")).await?;
    println!("media back {:?} after the blip began", started.elapsed());
    Ok(())
}

/// The business's own site embeds the widget; a visitor tabs to the button and presses
/// Enter: a window opens on the call page.
async fn widget(steps: &Steps, t: &Tab, base: &str, domain: &str) -> anyhow::Result<()> {
    let shot = steps.start("the click-to-call button on another site opens the call page");
    // Hostile page styles: the button lives in a shadow root and must survive them.
    let site = StaticSite::start(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Corner Bakery</title>
<style>
  body {{ font: 18px Georgia, serif; margin: 40px; color: #333; }}
  button {{ display: none !important; }}
  * {{ color: red; font-size: 9px; }}
</style></head><body>
<h1>Corner Bakery</h1><p>Fresh bread every morning. Questions? Call us right from this page:</p>
<script src="{base}/widget.js" data-domain="{domain}" async></script>
<p>Open 7am to 7pm.</p>
</body></html>"#
    ))
    .await?;
    t.c.goto(&site.base).await?;
    let host = t.wait_for("the widget", "domaincall-button").await?;
    let root = host
        .shadow_root()
        .await
        .context("the widget's shadow root")?;
    let button = root
        .find(fantoccini::Locator::Css("button"))
        .await
        .context("the widget's button")?;
    let label = button.attr("aria-label").await?.unwrap_or_default();
    ensure!(label == format!("Call {domain}"), "aria-label {label:?}");
    let text = button.text().await?;
    ensure!(
        text.contains(&format!("Call {domain}")),
        "button text {text:?}"
    );
    ensure!(
        button.is_displayed().await?,
        "the page's styles hid the button"
    );
    let size = button.css_value("font-size").await?;
    ensure!(
        size == "16px",
        "the page's styles changed the font size: {size}"
    );
    // Keyboard: Tab reaches the button (its host is the active element), Enter opens.
    let before = t.c.windows().await?;
    t.press(Key::Tab).await?;
    let active: String = t
        .js("return document.activeElement ? document.activeElement.tagName.toLowerCase() : '';")
        .await?;
    ensure!(active == "domaincall-button", "Tab focused {active:?}");
    t.shot(&format!("{shot}-widget-focused")).await?;
    t.press(Key::Enter).await?;
    call_page_opened(
        t,
        &before,
        base,
        domain,
        &format!("{shot}-widget-by-keyboard"),
    )
    .await?;
    // And with the mouse.
    button.click().await.context("clicking the widget")?;
    call_page_opened(t, &before, base, domain, &format!("{shot}-widget-by-click")).await?;
    Ok(())
}

/// A window beyond `before` opened on the call page of `domain`: checks it, saves a
/// screenshot, closes it and comes back.
async fn call_page_opened(
    t: &Tab,
    before: &[fantoccini::wd::WindowHandle],
    base: &str,
    domain: &str,
    shot: &str,
) -> anyhow::Result<()> {
    let popup = t
        .until("a new window", || async {
            let now = t.c.windows().await.map_err(|e| e.to_string())?;
            now.into_iter()
                .find(|w| !before.contains(w))
                .ok_or_else(|| "no new window".to_owned())
        })
        .await?;
    let home = t.c.window().await?;
    t.c.switch_to_window(popup).await?;
    t.wait_for("the call page to hydrate", "body[data-hydrated]")
        .await?;
    let url = t.c.current_url().await?;
    ensure!(
        url.as_str() == format!("{base}/call/{domain}"),
        "the widget opened {url}"
    );
    t.wait_text("#call-business", BUSINESS).await?;
    t.shot(shot).await?;
    t.c.close_window().await?;
    t.c.switch_to_window(home).await?;
    Ok(())
}

/// The text of the last element matching `css`.
async fn last_li(t: &Tab, css: &str) -> String {
    match t.c.find_all(fantoccini::Locator::Css(css)).await {
        Ok(items) => match items.last() {
            Some(li) => li.text().await.unwrap_or_default(),
            None => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// Creates the intent "New order", ringing everyone (so both members ring); returns its id.
async fn create_intent(api: &Api, token: &str) -> anyhow::Result<String> {
    let res = api
        .call(
            token,
            "mutation($label: String!) {
               createIntent(label: $label, target: { kind: EVERYONE }) { id label }
             }",
            json!({ "label": INTENT }),
        )
        .await
        .context("GraphQL createIntent")?;
    let intent = &res["createIntent"];
    ensure!(intent["label"] == INTENT, "createIntent answered {res}");
    intent["id"]
        .as_str()
        .map(str::to_owned)
        .context("the new intent's id")
}

/// Creates the team `name` with the one member `user`; returns its id.
async fn create_team(api: &Api, token: &str, name: &str, user: &str) -> anyhow::Result<String> {
    let res = api
        .call(
            token,
            "mutation($name: String!) { createTeam(input: { name: $name }) { id } }",
            json!({ "name": name }),
        )
        .await
        .context("GraphQL createTeam")?;
    let team = res["createTeam"]["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("createTeam answered {res}"))?;
    api.call(
        token,
        "mutation($t: ID!, $u: [ID!]!) { setTeamMembers(id: $t, userIds: $u) { id } }",
        json!({ "t": team, "u": [user] }),
    )
    .await
    .context("GraphQL setTeamMembers")?;
    Ok(team)
}

/// A invites `email` as an agent; returns the path of the link in the invitation email.
async fn invite(api: &Api, server: &Server, token_a: &str, email: &str) -> anyhow::Result<String> {
    api.call(
        token_a,
        "mutation($e: String!) { inviteMember(email: $e, role: AGENT) { id } }",
        json!({ "e": email }),
    )
    .await?;
    let deadline = std::time::Instant::now() + e2e::tab::STEP;
    let mail = loop {
        if let Some(m) = server.outbox().into_iter().find(|m| m.contains(email)) {
            break m;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "no invitation email to {email}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Undo quoted-printable soft line breaks and `=` escapes.
    let flat = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = flat
        .find("/invite/")
        .context("no /invite/ link in the email")?;
    Ok(flat[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap_or_default()
        .to_owned())
}

/// A small GraphQL client (bearer session tokens).
struct Api {
    url: String,
    http: reqwest::Client,
}

impl Api {
    fn new(base: &str) -> Self {
        Self {
            url: format!("{base}/graphql"),
            http: reqwest::Client::new(),
        }
    }

    /// Runs `query`; returns `data`, or fails with the errors.
    async fn call(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        let mut req = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        let res: Value = req.send().await?.json().await?;
        if res["errors"].is_array() {
            bail!("GraphQL errors: {}", res["errors"]);
        }
        Ok(res["data"].clone())
    }
}
