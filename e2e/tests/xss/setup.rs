//! Setting the attack up through the public API: an account, businesses with verified
//! domains, intents, teams, API keys and invitations, all named with hostile text.

use std::net::Ipv4Addr;

use anyhow::{ensure, Context};
use e2e::attack::{hostile_email, PAYLOADS};
use e2e::graphql::Api;
use e2e::tab::Tab;
use e2e::Server;
use serde_json::json;

use super::{Business, World, HEADLINE, PASSWORD};

/// Creates an account owning a new business named `business` (sign up, then the emailed
/// link); returns a session token. The one place accounts are made.
pub(super) async fn create_account(
    api: &Api,
    server: &Server,
    email: &str,
    business: &str,
) -> anyhow::Result<String> {
    api.string(
        "",
        "mutation($i: SignUpInput!) { signUp(input: $i) { status } }",
        json!({ "i": { "email": email, "password": PASSWORD, "businessName": business } }),
        "/signUp/status",
    )
    .await
    .context("signing up")?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let link = loop {
        if let Some(link) = server.sign_up_link(email) {
            break link;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "no sign-up email to {email}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let token = link.trim_start_matches("/signup/confirm/");
    api.string(
        "",
        "mutation($t: String!, $p: String!) { confirmSignUp(token: $t, password: $p) { token } }",
        json!({ "t": token, "p": PASSWORD }),
        "/confirmSignUp/token",
    )
    .await
    .context("confirming the sign-up")
}

/// Signs `email` in in the browser: the sign-in form's server function, posted from our
/// own page (a hostile address is no valid `type=email` to type into the form).
pub(super) async fn sign_in_browser(tab: &Tab, base: &str, email: &str) -> anyhow::Result<()> {
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
pub(super) async fn hostile_businesses(
    w: &World,
    token: &str,
    tag: &str,
) -> anyhow::Result<Vec<Business>> {
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
        // The same text is the greeting its call page shows callers.
        w.api
            .string(
                token,
                "mutation($n: String!) { setBusinessProfile(name: $n, greeting: $n) { name } }",
                json!({ "n": name }),
                "/setBusinessProfile/name",
            )
            .await?;
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
pub(super) struct Routing {
    /// `(id, label)` of each intent.
    pub(super) intents: Vec<(String, String)>,
    pub(super) teams: Vec<String>,
    pub(super) key_names: Vec<String>,
    pub(super) emails: Vec<String>,
    /// The path of an internationalised domain's detail page, and its display name.
    pub(super) domain_detail: String,
    pub(super) idn_display: String,
}

/// Intents, teams and API keys named with every payload, invitations to hostile
/// addresses, an internationalised domain, and hostile domain names refused.
pub(super) async fn hostile_routing(w: &World, token: &str, tag: &str) -> anyhow::Result<Routing> {
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
