//! The dashboard as a first-time owner meets it, in real Chromium, on a 1280×800 laptop
//! and a 390×844 phone: the softphone leaves the navigation readable, the Calls table fits,
//! no page scrolls sideways on the phone (the invite page included), a failed submit puts
//! focus on the field to fix, removing a member asks first, and resending an invitation
//! mails a new link while the old one stops working.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use anyhow::{ensure, Context};
use e2e::graphql::Api;
use e2e::tab::Tab;
use e2e::{Driver, Server};
use sea_orm::{ActiveModelTrait, Database, Set};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
const BUSINESS: &str = "Acme Plumbing";

/// Every `/invite/…` link mailed to `email`.
fn invite_links(server: &Server, email: &str) -> Vec<String> {
    server
        .outbox()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {email}")))
        .filter_map(|m| {
            let flat = m
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=");
            let start = flat.find("/invite/")?;
            Some(
                flat[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
                    .collect(),
            )
        })
        .collect()
}

/// Waits until `count` invitation links went to `email`; returns them.
async fn wait_invite_links(
    server: &Server,
    email: &str,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    e2e::eventually(
        &format!("{count} invitation emails to {email}"),
        Duration::from_secs(30),
        || async {
            let links = invite_links(server, email);
            (links.len() >= count).then_some(links)
        },
    )
    .await
}

/// An owner (sign-up and the emailed link, through the API): (session token, user id,
/// business id).
async fn owner(
    api: &Api,
    server: &Server,
    email: &str,
) -> anyhow::Result<(String, String, String)> {
    let o = api.sign_up(server, email, PASSWORD, BUSINESS).await?;
    Ok((o.token, o.user_id, o.business_id))
}

/// An agent who accepted an invitation and chose a display name; returns their user id.
async fn agent(
    api: &Api,
    server: &Server,
    token: &str,
    email: &str,
    name: &str,
) -> anyhow::Result<String> {
    api.call(
        token,
        "mutation($e: String!) { inviteMember(email: $e, role: AGENT) { id } }",
        json!({ "e": email }),
    )
    .await?;
    let link = wait_invite_links(server, email, 1).await?.remove(0);
    let data = api
        .call(
            "",
            "mutation($t: String!) { acceptInvitation(token: $t, password: \"agent password 1\") { token userId } }",
            json!({ "t": link.trim_start_matches("/invite/") }),
        )
        .await?;
    let agent_token = data["acceptInvitation"]["token"]
        .as_str()
        .context("accept")?;
    api.call(
        agent_token,
        "mutation($n: String!) { setDisplayName(name: $n) }",
        json!({ "n": name }),
    )
    .await?;
    data["acceptInvitation"]["userId"]
        .as_str()
        .map(str::to_owned)
        .context("userId")
}

/// Writes a few finished calls with long names straight into the server's database (the
/// call log only reads them), answered by `agent`.
async fn seed_calls(server: &Server, business: &str, agent: &str) -> anyhow::Result<()> {
    use entity::entities::call;
    let url = format!(
        "sqlite://{}?mode=rwc",
        server.data_dir.join("domaincall.db").display()
    );
    let db = Database::connect(&url).await?;
    let business = uuid::Uuid::parse_str(business)?;
    let agent = uuid::Uuid::parse_str(agent)?;
    let now = chrono::Utc::now();
    for (i, (end, answered)) in [
        ("hung_up_by_caller", true),
        ("missed", false),
        ("unavailable", false),
    ]
    .into_iter()
    .enumerate()
    {
        let at = now - chrono::Duration::minutes(i64::try_from(i)? * 7 + 3);
        call::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            business_id: Set(business),
            domain: Set("customer-service.acme-plumbing-and-heating.example".to_owned()),
            intent: Set(None),
            mode: Set("video".to_owned()),
            caller_name: Set(format!(
                "guest-x7k2q{i}.guest.callers.acme-plumbing.example"
            )),
            caller_verified: Set(i == 0),
            state: Set("ended".to_owned()),
            end_reason: Set(Some(end.to_owned())),
            unavailable_reason: Set((end == "unavailable").then(|| "no_agents_online".to_owned())),
            requested_at: Set(at),
            answered_at: Set(answered.then(|| at + chrono::Duration::seconds(4))),
            ended_at: Set(Some(at + chrono::Duration::seconds(95))),
            answered_by: Set(answered.then_some(agent)),
            wait_ms: Set(answered.then_some(4210)),
            notes: Set(
                answered.then(|| "Wants a quote for a new boiler; call back Tuesday.".to_owned())
            ),
            contact_id: Set(None),
            callback_id: Set(None),
        }
        .insert(&db)
        .await?;
    }
    db.close().await?;
    Ok(())
}

/// Emulates a screen of `width`×`height` CSS pixels (a phone with `mobile`).
/// A 1×1 PNG, the logo the owner uploads.
const LOGO_PNG: &[u8] = b"\x89PNG\x0d\x0a\x1a\x0a\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0dIDATx\x9cc\xd0\x8a\xbe\xf1\x1f\x00\x04m\x02]\xb5\xfd\x1ev\x00\x00\x00\x00IEND\xaeB`\x82";

async fn screen(tab: &Tab, width: u32, height: u32, mobile: bool) -> anyhow::Result<()> {
    tab.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
    )
    .await
    .map(drop)
}

/// How far the page is wider than the screen (0: nothing scrolls sideways), and the
/// widest culprit's description. Measured against the emulated width itself: a phone's
/// layout viewport may grow to fit what is too wide.
async fn sideways(tab: &Tab, width: u32) -> anyhow::Result<(i64, String)> {
    const MEASURE: &str = "
        const over = Math.max(document.documentElement.scrollWidth, window.innerWidth) - width;
        let worst = '';
        if (over > 0) {
          // The innermost elements reaching past the screen's edge.
          worst = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 0.5))
            .slice(0, 5)
            .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
            .join(', ');
        }
        if (over > 0 && !worst) {
          worst = 'sw=' + document.documentElement.scrollWidth + ' iw=' + window.innerWidth
            + ' cw=' + document.documentElement.clientWidth + ' bodysw=' + document.body.scrollWidth + ' '
            + [...document.querySelectorAll('body *')].filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')
              .slice(0, 6).map(e => e.tagName + '.' + e.className + ':' + e.scrollWidth + '/' + e.clientWidth).join(', ');
        }
        return [over, worst];";
    tab.js(&format!("const width = {width};{MEASURE}")).await
}

#[tokio::test]
async fn the_dashboard_fits_asks_first_and_points_at_what_to_fix() -> anyhow::Result<()> {
    let server = Server::start(&[])?;
    let driver = Driver::start().await?;
    let api = Api::new(&server.base);
    let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
    let (token, _, business) = owner(&api, &server, &email).await?;
    let sam_email = format!("sam-{}@example.com", uuid::Uuid::new_v4().simple());
    let sam = agent(&api, &server, &token, &sam_email, "Sam Lee").await?;
    seed_calls(&server, &business, &sam).await?;
    let tab = Tab::open(&driver, "owner", false).await?;
    let result = scenario(&tab, &server, &api, &token, &email, &sam, &sam_email).await;
    if result.is_err() {
        tab.report("ui").await;
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn scenario(
    tab: &Tab,
    server: &Server,
    api: &Api,
    token: &str,
    email: &str,
    sam: &str,
    sam_email: &str,
) -> anyhow::Result<()> {
    let base = &server.base;
    screen(tab, 1280, 800, false).await?;
    tab.goto_hydrated(&format!("{base}/signin")).await?;
    tab.type_into("#email", email).await?;
    tab.type_into("#password", PASSWORD).await?;
    tab.click("Sign in", "#signin-submit").await?;
    tab.wait_for("the dashboard", "#current-business").await?;

    println!("== 1280×800: the docked softphone leaves the last nav link alone; Calls fits");
    tab.goto_hydrated(&format!("{base}/app/calls")).await?;
    tab.wait_for("the softphone", "#softphone").await?;
    tab.wait_for("the calls", "#calls-table").await?;
    let overlap: bool = tab
        .js("const a = document.querySelector('.sidenav li:last-child a').getBoundingClientRect();
             const s = document.querySelector('#softphone').getBoundingClientRect();
             return !(a.bottom <= s.top || s.bottom <= a.top || a.right <= s.left || s.right <= a.left);")
        .await?;
    ensure!(
        !overlap,
        "the softphone covers the last navigation link at 1280×800"
    );
    let last: String = tab
        .js("return document.querySelector('.sidenav li:last-child a').textContent;")
        .await?;
    ensure!(last == "Settings", "the last link is {last}");
    let (over, worst) = sideways(tab, 1280).await?;
    ensure!(
        over <= 0,
        "/app/calls is {over}px too wide at 1280 px ({worst})"
    );
    let fits: (bool, f64, f64) = tab
        .js("const t = document.querySelector('#calls-table');
             const w = t.closest('.table-wrap');
             const head = getComputedStyle(t.querySelector('thead')).position !== 'absolute';
             return [head, t.getBoundingClientRect().right, w.getBoundingClientRect().right];")
        .await?;
    ensure!(fits.0, "the calls list is not a table at 1280 px");
    ensure!(
        fits.1 <= fits.2 + 0.5,
        "the calls table sticks out: {fits:?}"
    );
    let page = tab.text("#calls-table").await.unwrap_or_default();
    ensure!(
        page.contains("Sam Lee"),
        "the agent is named by display name: {page}"
    );
    ensure!(
        !page.contains(sam_email),
        "the agent's email shown instead of the name: {page}"
    );
    tab.shot("ui-01-calls-1280").await?;

    println!("== a failed submit puts focus on the field to fix, announced");
    tab.goto_hydrated(&format!("{base}/app/settings")).await?;
    tab.click("Create business", "#create-business-submit")
        .await?;
    tab.until("focus on the empty business name", || async {
        let id: String = tab
            .js("return document.activeElement.id;")
            .await
            .map_err(|e| e.to_string())?;
        (id == "new-business-name").then_some(()).ok_or(id)
    })
    .await?;
    let alert = tab
        .text("form .error-summary[role=alert]")
        .await
        .unwrap_or_default();
    ensure!(
        alert.contains("cannot be empty"),
        "the error summary says {alert:?}"
    );
    tab.shot("ui-02-focus-on-error").await?;
    tab.type_into("#new-password", "aaaaaaaaaa").await?;
    tab.type_into("#current-password", PASSWORD).await?;
    tab.click("Change password", "#change-password-submit")
        .await?;
    tab.until("focus on the weak password", || async {
        let id: String = tab
            .js("return document.activeElement.id;")
            .await
            .map_err(|e| e.to_string())?;
        (id == "new-password").then_some(()).ok_or(id)
    })
    .await?;
    tab.wait_text("#new-password-error", "too easy to guess")
        .await?;
    tab.shot("ui-03-weak-password").await?;
    // A display name replaces the email in the top bar.
    tab.type_into("#display-name", "Ann Owner").await?;
    tab.click("Save name", "#display-name-submit").await?;
    tab.wait_text("#user-email", "Ann Owner").await?;

    println!("== the business profile: a greeting for callers and a logo");
    tab.type_into("#profile-greeting", "Hello! We answer within a minute.")
        .await?;
    tab.click("Save the profile", "#profile-submit").await?;
    tab.wait_text("#profile-saved", "Saved").await?;
    // A real file through the file picker: the plain form posts it, the page comes back
    // saying so and shows the logo.
    let png = std::env::temp_dir().join(format!("logo-{}.png", uuid::Uuid::new_v4().simple()));
    std::fs::write(&png, LOGO_PNG)?;
    let picker = tab.wait_for("the logo file input", "#logo-file").await?;
    picker.send_keys(&png.to_string_lossy()).await?;
    tab.click("Upload logo", "#logo-upload").await?;
    tab.wait_text("#logo-outcome", "Your logo is on your call page")
        .await?;
    tab.until("the logo to load", || async {
        let width: i64 = tab
            .js("const i = document.getElementById('profile-logo'); return i && i.complete ? i.naturalWidth : 0;")
            .await
            .map_err(|e| e.to_string())?;
        (width == 1).then_some(()).ok_or(format!("naturalWidth {width}"))
    })
    .await?;
    let greeting: String = tab
        .js("return document.getElementById('profile-greeting').value;")
        .await?;
    ensure!(
        greeting == "Hello! We answer within a minute.",
        "greeting after reload: {greeting:?}"
    );
    tab.shot("ui-03b-profile").await?;
    std::fs::remove_file(&png).ok();

    println!("== removing a member asks first");
    tab.goto_hydrated(&format!("{base}/app/members")).await?;
    tab.click("Remove Sam", &format!("#remove-{sam}")).await?;
    tab.wait_text(
        &format!("#confirm-remove-{sam}-text"),
        &format!("Remove Sam Lee from {BUSINESS}?"),
    )
    .await?;
    let members = api.call(token, "{ members { userId } }", json!({})).await?;
    ensure!(
        members["members"].as_array().map(Vec::len) == Some(2),
        "removed before confirming"
    );
    tab.shot("ui-04-remove-asks-first").await?;
    tab.click("Yes, remove", &format!("#confirm-remove-{sam}"))
        .await?;
    tab.until("Sam gone from the list", || async {
        let text = tab.text("#members-table").await.unwrap_or_default();
        (!text.contains("Sam Lee")).then_some(()).ok_or(text)
    })
    .await?;
    let members = api.call(token, "{ members { userId } }", json!({})).await?;
    ensure!(
        members["members"].as_array().map(Vec::len) == Some(1),
        "not removed: {members}"
    );

    println!("== resending an invitation mails a new link and kills the old one");
    let invitee = format!("pat-{}@example.com", uuid::Uuid::new_v4().simple());
    tab.type_into("#invite-email", &invitee).await?;
    tab.click("Send invitation", "#invite-submit").await?;
    let old = wait_invite_links(server, &invitee, 1).await?.remove(0);
    tab.click(
        "Resend",
        &format!("button[aria-label=\"Send the invitation of {invitee} again\"]"),
    )
    .await?;
    tab.wait_text(
        "section[aria-labelledby=pending-title] .alert-success",
        "no longer works",
    )
    .await?;
    let links = wait_invite_links(server, &invitee, 2).await?;
    let new = links
        .into_iter()
        .find(|l| *l != old)
        .context("a new link")?;
    tab.shot("ui-05-resent").await?;

    println!("== a 390×844 phone: no page scrolls sideways");
    screen(tab, 390, 844, true).await?;
    for path in [
        "/app",
        "/app/domains",
        "/app/intents",
        "/app/teams",
        "/app/calls",
        "/app/members",
        "/app/api-keys",
        "/app/settings",
    ] {
        tab.goto_hydrated(&format!("{base}{path}")).await?;
        let (over, worst) = sideways(tab, 390).await?;
        ensure!(
            over <= 0,
            "{path} is {over}px wider than a 390 px phone ({worst})"
        );
        let hidden_tabs: i64 = tab
            .js("return [...document.querySelectorAll('.sidenav a')]
                   .filter(a => a.getBoundingClientRect().right > window.innerWidth).length;")
            .await?;
        ensure!(
            hidden_tabs == 0,
            "{path}: {hidden_tabs} section tabs off-screen"
        );
        tab.shot(&format!("ui-06-phone{}", path.replace('/', "-")))
            .await?;
    }
    // The invite page, as the invitee opens it on their phone; and the dead old link.
    tab.goto_hydrated(&format!("{base}{new}")).await?;
    tab.wait_text("#invite-business", BUSINESS).await?;
    let (over, worst) = sideways(tab, 390).await?;
    ensure!(
        over <= 0,
        "the invite page is {over}px wider than a 390 px phone ({worst})"
    );
    tab.shot("ui-07-phone-invite").await?;
    tab.goto_hydrated(&format!("{base}{old}")).await?;
    tab.wait_for("the dead old link", "#invitation-invalid")
        .await?;
    let errors = tab.console_errors().await?;
    // The refusals this test provoked (422, the dead link's 404) are expected.
    let real: Vec<&String> = errors
        .iter()
        .filter(|e| !e.contains("status of 4"))
        .collect();
    ensure!(real.is_empty(), "browser console errors: {real:#?}");

    println!("== webhooks: register (the secret once), send a test, find it in the log");
    screen(tab, 1280, 800, false).await?;
    tab.goto_hydrated(&format!("{base}/app/webhooks")).await?;
    tab.wait_for("the empty list", "#no-webhooks").await?;
    tab.type_into("#webhook-url", "https://hooks.example.com/in")
        .await?;
    tab.click("call.ended", "#webhook-event-call-ended").await?;
    tab.click("Register endpoint", "#create-webhook").await?;
    let secret = tab.wait_text("#webhook-secret-value", "whsec_").await?;
    tab.wait_text("#webhooks-table", "https://hooks.example.com/in")
        .await?;
    tab.shot("ui-08-webhooks").await?;
    tab.click(
        "Send test",
        "#webhooks-table button[aria-label^='Send a test event']",
    )
    .await?;
    tab.click("Deliveries", "#webhooks-table a[aria-label^='Deliveries']")
        .await?;
    tab.wait_text("#deliveries-table", "webhook.test").await?;
    tab.shot("ui-09-webhook-log").await?;
    tab.goto_hydrated(&format!("{base}/app/webhooks")).await?;
    tab.wait_for("the endpoint", "#webhooks-table").await?;
    let page: String = tab.js("return document.body.innerHTML;").await?;
    ensure!(
        !page.contains(secret.trim()),
        "the secret is shown again after a reload"
    );

    // The home page's charts: the three seeded calls, drawn as SVG whose accessible title
    // stays an SVG <title> after the period switch re-renders it in the browser.
    tab.goto_hydrated(&format!("{base}/app")).await?;
    tab.wait_text("#figure-total", "3").await?;
    for days in ["7", "30"] {
        tab.click("the period", &format!("#period-{days}")).await?;
        tab.wait_attr(&format!("#period-{days}"), "aria-current", &["page"])
            .await?;
        tab.wait_for("the calls-per-day chart", "#chart-calls-per-day")
            .await?;
        let svg_title: bool = tab
            .js(
                "const t = document.querySelector('#chart-calls-per-day-title'); \
                 return !!t && t.namespaceURI === 'http://www.w3.org/2000/svg';",
            )
            .await?;
        ensure!(
            svg_title,
            "the chart's <title> is not an SVG title after {days} days"
        );
    }
    tab.wait_text("#figure-total", "3").await?;
    tab.shot("ui-10-home-charts").await?;
    Ok(())
}
