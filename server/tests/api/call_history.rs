//! The call history behind `/app/calls` and the home page: filters that narrow the log,
//! keyset pagination past 100 calls, the CSV export (content, formula neutralisation, who
//! may download it), the figures of `callStats` for a known set of calls, and GraphQL's
//! `callHistory` connection — each within one business only.
//!
//! Calls are written straight through the record writer's domain function
//! (`entity::calls::records::write_batch`): a hundred and more real calls over `/ws`
//! would test the hub, not the log.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use entity::calls::records::{write_batch, Job, NewCall};
use entity::calls::{AgentDevice, CallId, CallMode, ConnectionId, EndReason, Milestone};
use entity::calls::{Party, UnavailableReason};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::both_dbs;
use crate::helpers::{error_code, Auth, Db, Owner, TestApp, OWN_ORIGIN};

/// How one seeded call went.
#[derive(Clone, Copy)]
enum How {
    Answered(u64),
    Missed,
    Cancelled,
    Unavailable,
}

struct Seed<'a> {
    at: DateTime<Utc>,
    domain: &'a str,
    intent: Option<Uuid>,
    caller: &'a str,
    how: How,
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

/// Writes `calls` for `owner`'s business (answered ones by `owner`).
async fn seed(app: &TestApp, owner: &Owner, calls: &[Seed<'_>]) {
    let business_id = uuid(&owner.business_id);
    let agent = AgentDevice {
        user: uuid(&owner.user_id),
        connection: ConnectionId::from_random_bytes(*Uuid::new_v4().as_bytes()),
    };
    let mut jobs = Vec::new();
    for s in calls {
        let call = NewCall {
            id: CallId::from_uuid(Uuid::new_v4()),
            business_id,
            domain: s.domain.to_owned(),
            intent: s.intent,
            mode: CallMode::Voice,
            caller_name: s.caller.to_owned(),
            caller_verified: false,
            requested_at: s.at,
            callback_id: None,
        };
        let milestone = |ms: u64, m: Milestone| Job::Milestone {
            business_id,
            call_id: call.id,
            at: s.at + chrono::Duration::milliseconds(i64::try_from(ms).unwrap()),
            milestone: m,
        };
        let ended = |reason, unavailable| Milestone::Ended {
            reason,
            by: None,
            unavailable,
            answered: false,
        };
        jobs.push(Job::Call(call.clone()));
        match s.how {
            How::Answered(wait) => {
                jobs.push(milestone(
                    wait,
                    Milestone::Accepted {
                        by: agent,
                        wait: Duration::from_millis(wait),
                    },
                ));
                jobs.push(Job::Milestone {
                    business_id,
                    call_id: call.id,
                    at: s.at + chrono::Duration::seconds(60),
                    milestone: Milestone::Ended {
                        reason: EndReason::HungUpByCaller,
                        by: Some(Party::Agent(agent)),
                        unavailable: None,
                        answered: true,
                    },
                });
            }
            How::Missed => jobs.push(milestone(30_000, ended(EndReason::Missed, None))),
            How::Cancelled => jobs.push(milestone(5_000, ended(EndReason::Cancelled, None))),
            How::Unavailable => jobs.push(milestone(
                0,
                ended(
                    EndReason::Unavailable,
                    Some(UnavailableReason::NoAgentsOnline),
                ),
            )),
        }
    }
    for chunk in jobs.chunks(200) {
        write_batch(&app.services.db, chunk).await.unwrap();
    }
}

async fn create_intent(app: &TestApp, owner: &Owner, label: &str) -> String {
    let res = app
        .gql(
            &owner.auth(),
            "mutation($l: String!) { createIntent(label: $l, target: { kind: EVERYONE }) { id } }",
            json!({ "l": label }),
        )
        .await;
    res["data"]["createIntent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createIntent: {res}"))
        .to_owned()
}

/// A team "Sales" whose only member is `owner`.
async fn sales_team(app: &TestApp, owner: &Owner) -> String {
    let res = app
        .gql(
            &owner.auth(),
            "mutation { createTeam(input: { name: \"Sales\" }) { id } }",
            json!({}),
        )
        .await;
    let id = res["data"]["createTeam"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createTeam: {res}"))
        .to_owned();
    let res = app
        .gql(
            &owner.auth(),
            "mutation($t: ID!, $u: [ID!]!) { setTeamMembers(id: $t, userIds: $u) { id } }",
            json!({ "t": id, "u": [owner.user_id] }),
        )
        .await;
    assert!(res["errors"].is_null(), "setTeamMembers: {res}");
    id
}

/// Every call `call_history` lists for `filters`, walking the pages; also the page sizes.
async fn walk(app: &TestApp, token: &str, filters: &[(&str, &str)]) -> (Vec<Value>, Vec<usize>) {
    let mut calls = Vec::new();
    let mut sizes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut form: Vec<(&str, &str)> = filters.to_vec();
        if let Some(a) = after.as_deref() {
            form.push(("after", a));
        }
        let (status, page) = app.server_fn_as(token, "call_history", &form).await;
        assert_eq!(status, 200, "{page}");
        let list = page["calls"].as_array().unwrap().clone();
        sizes.push(list.len());
        calls.extend(list);
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return (calls, sizes),
        }
        assert!(sizes.len() < 20, "pagination does not end");
    }
}

/// 130 recent calls (pairs share an instant, so ties are broken by id) and 3 old ones;
/// returns (intent id, team id, the recent calls' base instant).
async fn seed_log(app: &TestApp, owner: &Owner) -> (String, String) {
    let intent = create_intent(app, owner, "Billing").await;
    let team = sales_team(app, owner).await;
    let base = Utc::now() - chrono::Duration::days(2);
    let recent: Vec<Seed<'_>> = (0..130_u64)
        .map(|i| Seed {
            at: base + chrono::Duration::seconds(i64::try_from(i / 2).unwrap()),
            domain: if i % 3 == 0 {
                "sales.alpha.test"
            } else {
                "alpha.test"
            },
            intent: (i % 5 == 0).then(|| uuid(&intent)),
            caller: "guest-1",
            how: match i % 4 {
                0 => How::Answered(1000 + i),
                1 => How::Missed,
                2 => How::Cancelled,
                _ => How::Unavailable,
            },
        })
        .collect();
    seed(app, owner, &recent).await;
    let old = Utc.with_ymd_and_hms(2024, 1, 10, 12, 0, 0).unwrap();
    let old: Vec<Seed<'_>> = [
        "=HYPERLINK(\"http://evil.test\")",
        "+1 555 0100",
        "plain, with comma",
    ]
    .into_iter()
    .map(|caller| Seed {
        at: old,
        domain: "alpha.test",
        intent: None,
        caller,
        how: How::Missed,
    })
    .collect();
    seed(app, owner, &old).await;
    (intent, team)
}

async fn filters_narrow_and_pages_walk_the_whole_log(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let (intent, team) = seed_log(&app, &a).await;

    // Everything: 100 then 33, newest first, no duplicate, no gap.
    let (all, sizes) = walk(&app, &a.token, &[]).await;
    assert_eq!(sizes, [100, 33]);
    let ids: HashSet<&str> = all.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids.len(), 133, "no call twice");
    let keys: Vec<(DateTime<Utc>, String)> = all
        .iter()
        .map(|c| {
            let at: DateTime<Utc> = c["requested_at"].as_str().unwrap().parse().unwrap();
            (at, c["id"].as_str().unwrap().replace('-', ""))
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "strictly newest first, ties by id"
    );

    let count = |filters: &'static [(&'static str, &'static str)]| {
        let app = &app;
        let token = a.token.clone();
        async move { walk(app, &token, filters).await.0 }
    };
    // i % 4 == 1 of 0..130 (33) and the 3 old ones.
    let missed = count(&[("outcome", "missed")]).await;
    assert_eq!(missed.len(), 36);
    assert!(missed.iter().all(|c| c["end_reason"] == "missed"));
    assert_eq!(count(&[("outcome", "answered")]).await.len(), 33);
    assert_eq!(count(&[("outcome", "cancelled")]).await.len(), 32);
    assert_eq!(count(&[("outcome", "unavailable")]).await.len(), 32);
    assert_eq!(count(&[("outcome", "ongoing")]).await.len(), 0);
    // i % 3 == 0: 44.
    let sales = count(&[("domain", "Sales.Alpha.test")]).await;
    assert_eq!(sales.len(), 44);
    assert!(sales.iter().all(|c| c["domain"] == "sales.alpha.test"));
    let (by_intent, _) = walk(&app, &a.token, &[("intent", &intent)]).await;
    assert_eq!(by_intent.len(), 26);
    assert!(by_intent.iter().all(|c| c["intent_label"] == "Billing"));
    let (by_member, _) = walk(&app, &a.token, &[("member", &a.user_id)]).await;
    assert_eq!(by_member.len(), 33);
    // The team: answered by its member (33); no intent rings it.
    let (by_team, _) = walk(&app, &a.token, &[("team", &team)]).await;
    assert_eq!(by_team.len(), 33);
    // Combined: answered, to sales., about Billing — i % 60 == 0 → 0, 60, 120.
    let (combined, _) = walk(
        &app,
        &a.token,
        &[
            ("outcome", "answered"),
            ("domain", "sales.alpha.test"),
            ("intent", &intent),
        ],
    )
    .await;
    assert_eq!(combined.len(), 3);
    let (old, _) = walk(
        &app,
        &a.token,
        &[("from", "2024-01-10"), ("to", "2024-01-10")],
    )
    .await;
    assert_eq!(old.len(), 3);
    let (none, _) = walk(
        &app,
        &a.token,
        &[("from", "2024-01-11"), ("to", "2024-01-31")],
    )
    .await;
    assert!(none.is_empty());

    // Bad input: refused field by field, in sentences.
    let (status, body) = app
        .server_fn_as(
            &a.token,
            "call_history",
            &[
                ("from", "yesterday"),
                ("outcome", "great"),
                ("to", "2024-01-01"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["from", "outcome"], "{body}");
    let (status, body) = app
        .server_fn_as(&a.token, "call_history", &[("after", "not-a-cursor")])
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "after");

    // The page, rendered on the server from its address: the filters filled in, the
    // export link carrying them, 100 rows and a "Load more" link to the next page.
    let page = app
        .http
        .get(format!(
            "{}/app/calls?outcome=answered&domain=alpha.test",
            app.base
        ))
        .header("cookie", format!("dc_session={}", a.token))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"calls-filters\""), "{page:.300}");
    assert!(
        page.contains("href=\"/app/calls/export.csv?domain=alpha.test&amp;outcome=answered\""),
        "the export keeps the filters"
    );
    let (everything, _) = walk(&app, &a.token, &[]).await;
    assert_eq!(everything.len(), 133);
    let first = app
        .http
        .get(format!("{}/app/calls", app.base))
        .header("cookie", format!("dc_session={}", a.token))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(first.matches("class=\"call-open\"").count(), 100);
    assert!(first.contains("id=\"load-more\""));

    // The filters' choices.
    let (status, options) = app.server_fn_as(&a.token, "call_filter_options", &[]).await;
    assert_eq!(status, 200, "{options}");
    assert_eq!(
        options["domains"],
        json!(["alpha.test", "sales.alpha.test"])
    );
    assert_eq!(options["intents"][0]["label"], "Billing");
    assert_eq!(options["teams"][0]["id"], team.as_str());
    app.finish().await;
}

/// `GET /app/calls/export.csv` with a session cookie (and our own page's fetch metadata).
async fn export(app: &TestApp, token: Option<&str>, query: &str, site: &str) -> reqwest::Response {
    let mut req = app
        .http
        .get(format!("{}/app/calls/export.csv{query}", app.base))
        .header("sec-fetch-site", site);
    if let Some(t) = token {
        req = req.header("cookie", format!("dc_session={t}"));
    }
    req.send().await.unwrap()
}

async fn the_csv_export_is_filtered_neutralised_and_private(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    seed_log(&app, &a).await;

    let res = export(
        &app,
        Some(&a.token),
        "?from=2024-01-10&to=2024-01-10",
        "same-origin",
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        disposition,
        "attachment; filename=\"calls-2024-01-10-to-2024-01-10.csv\""
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("call_id,requested_at,domain,intent,"));
    // Formulas neutralised with a quote; RFC 4180 quoting of quotes and commas.
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http://evil.test\"\")\","),
        "{text}"
    );
    assert!(text.contains(",'+1 555 0100,"), "{text}");
    assert!(text.contains(",\"plain, with comma\","), "{text}");
    assert!(
        lines[1..].iter().all(|l| l.contains(",missed,Missed,")),
        "{text}"
    );

    // Every filtered call, past any page size.
    let all = export(&app, Some(&a.token), "?outcome=answered", "same-origin").await;
    let all = all.text().await.unwrap();
    assert_eq!(all.split_terminator("\r\n").count(), 1 + 33);
    // A typed-in address (no fetch metadata at all) is fine too.
    let typed = app
        .http
        .get(format!("{}/app/calls/export.csv", app.base))
        .header("cookie", format!("dc_session={}", a.token))
        .send()
        .await
        .unwrap();
    assert_eq!(typed.status(), 200);
    assert_eq!(
        typed.text().await.unwrap().split_terminator("\r\n").count(),
        134
    );

    // Bad filters: 400 with the reason.
    let bad = export(&app, Some(&a.token), "?from=31.12.2024", "same-origin").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("2025-03-31"));
    // No session: 401. Another site's page (or a business's domain): 403.
    assert_eq!(export(&app, None, "", "same-origin").await.status(), 401);
    let cross = export(&app, Some(&a.token), "", "cross-site").await;
    assert_eq!(cross.status(), 403);
    let foreign = app
        .http
        .get(format!("{}/app/calls/export.csv", app.base))
        .header("cookie", format!("dc_session={}", a.token))
        .header("origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    // An API key is not a session.
    let (_, key) = app.api_key(&a, "exporter").await;
    let keyed = app
        .http
        .get(format!("{}/app/calls/export.csv", app.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(keyed.status(), 401);

    // Another business: its own (empty) log, none of A's calls.
    let b = app.sign_up("Beta").await;
    let theirs = export(&app, Some(&b.token), "", "same-origin").await;
    assert_eq!(theirs.status(), 200);
    let theirs = theirs.text().await.unwrap();
    assert_eq!(theirs.split_terminator("\r\n").count(), 1, "{theirs}");
    app.finish().await;
}

const STATS: &str = "query($d: Int) { callStats(days: $d) { days timeZone firstDay lastDay total \
     answered answerRate medianWaitMs p90WaitMs perDay { day answered missed cancelled \
     unavailable ongoing } waitByIntent { label calls answered medianMs p90Ms } \
     waitByDomain { label calls medianMs p90Ms } missedByHour truncated } }";

async fn stats_add_up_for_a_known_set_of_calls(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let billing = uuid(&create_intent(&app, &a, "Billing").await);
    let at = Utc::now() - chrono::Duration::minutes(5);
    let s = |how, intent, domain| Seed {
        at,
        domain,
        intent,
        caller: "guest",
        how,
    };
    seed(
        &app,
        &a,
        &[
            s(How::Answered(1000), Some(billing), "alpha.test"),
            s(How::Answered(3000), Some(billing), "alpha.test"),
            s(How::Answered(2000), None, "sales.alpha.test"),
            s(How::Answered(10_000), None, "sales.alpha.test"),
            s(How::Missed, None, "alpha.test"),
            s(How::Cancelled, Some(billing), "alpha.test"),
            // Older than the period: not counted.
        ],
    )
    .await;
    seed(
        &app,
        &a,
        &[Seed {
            at: Utc::now() - chrono::Duration::days(40),
            domain: "alpha.test",
            intent: None,
            caller: "guest",
            how: How::Missed,
        }],
    )
    .await;

    let (status, web) = app
        .server_fn_as(&a.token, "call_stats", &[("days", "7")])
        .await;
    assert_eq!(status, 200, "{web}");
    assert_eq!(web["time_zone"], "UTC");
    assert_eq!(web["total"], 6);
    assert_eq!(web["answered"], 4);
    let rate = web["answer_rate"].as_f64().unwrap();
    assert!((rate - 4.0 / 6.0).abs() < 1e-9, "{rate}");
    // Waits 1000, 2000, 3000, 10000 (nearest rank): median 2000, p90 10000.
    assert_eq!(web["median_wait_ms"], 2000);
    assert_eq!(web["p90_wait_ms"], 10_000);
    assert_eq!(web["per_day"].as_array().unwrap().len(), 7);
    let today = web["per_day"][6].clone();
    assert_eq!(
        (
            today["answered"].clone(),
            today["missed"].clone(),
            today["cancelled"].clone()
        ),
        (json!(4), json!(1), json!(1))
    );
    let missed: u64 = web["missed_by_hour"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter().filter_map(Value::as_u64))
        .sum();
    assert_eq!(missed, 1);

    // GraphQL with an API key gives the same figures.
    let (_, key) = app.api_key(&a, "reports").await;
    let res = app.gql(&Auth::Bearer(key), STATS, json!({ "d": 7 })).await;
    let g = &res["data"]["callStats"];
    assert_eq!(g["total"], 6, "{res}");
    assert_eq!(g["answerRate"].as_f64(), web["answer_rate"].as_f64());
    assert_eq!(
        (g["medianWaitMs"].clone(), g["p90WaitMs"].clone()),
        (json!(2000), json!(10_000))
    );
    let intents = g["waitByIntent"].as_array().unwrap();
    let b = intents.iter().find(|w| w["label"] == "Billing").unwrap();
    assert_eq!(
        (
            b["calls"].clone(),
            b["answered"].clone(),
            b["medianMs"].clone(),
            b["p90Ms"].clone()
        ),
        (json!(3), json!(2), json!(1000), json!(3000))
    );
    let domains = g["waitByDomain"].as_array().unwrap();
    let sales = domains
        .iter()
        .find(|w| w["label"] == "sales.alpha.test")
        .unwrap();
    assert_eq!(
        (sales["medianMs"].clone(), sales["p90Ms"].clone()),
        (json!(2000), json!(10_000))
    );
    assert_eq!(g["perDay"][6]["day"], g["lastDay"]);
    // 30 days still leave out the 40-day-old call; a bad period is refused.
    let month = app.gql(&a.auth(), STATS, json!({ "d": 30 })).await;
    assert_eq!(month["data"]["callStats"]["total"], 6, "{month}");
    let bad = app.gql(&a.auth(), STATS, json!({ "d": 0 })).await;
    assert_eq!(error_code(&bad), Some("VALIDATION"), "{bad}");

    // Another business sees none of it.
    let other = app.sign_up("Beta").await;
    let (_, b_key) = app.api_key(&other, "beta").await;
    let theirs = app
        .gql(&Auth::Bearer(b_key), STATS, json!({ "d": 30 }))
        .await;
    assert_eq!(theirs["data"]["callStats"]["total"], 0, "{theirs}");
    assert_eq!(theirs["data"]["callStats"]["waitByIntent"], json!([]));
    let (_, web_b) = app
        .server_fn_as(&other.token, "call_stats", &[("days", "30")])
        .await;
    assert_eq!(web_b["total"], 0, "{web_b}");

    // The home page draws it without JavaScript: SVG charts with accessible names, and
    // the figures as text.
    let page = app
        .http
        .get(format!("{}/app?days=30", app.base))
        .header("cookie", format!("dc_session={}", a.token))
        .header("origin", OWN_ORIGIN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"chart-calls-per-day\""), "{page:.400}");
    assert!(page.contains("role=\"img\""));
    assert!(page.contains("id=\"chart-missed-by-hour\""));
    assert!(page.contains("67%"), "the answer rate in words");
    assert!(!page.contains(" style=\""), "no inline styles (CSP)");
    app.finish().await;
}

const HISTORY: &str = "query($f: Int, $a: String, $filter: CallFilter) { \
     callHistory(first: $f, after: $a, filter: $filter) { \
     pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id outcome \
     endReason domain } } } }";

async fn graphql_pages_the_filtered_log_for_api_keys_only_of_its_business(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let (intent, _) = seed_log(&app, &a).await;
    let (_, key) = app.api_key(&a, "crm").await;
    let auth = Auth::Bearer(key);

    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let res = app
            .gql(
                &auth,
                HISTORY,
                json!({ "f": 40, "a": after, "filter": null }),
            )
            .await;
        let conn = &res["data"]["callHistory"];
        let edges = conn["edges"].as_array().unwrap_or_else(|| panic!("{res}"));
        for e in edges {
            assert!(
                seen.insert(e["node"]["id"].as_str().unwrap().to_owned()),
                "twice"
            );
        }
        pages += 1;
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], after.is_some());
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert_eq!(
            after.as_deref(),
            edges.last().and_then(|e| e["cursor"].as_str())
        );
    }
    assert_eq!((seen.len(), pages), (133, 4));

    let res = app
        .gql(
            &auth,
            HISTORY,
            json!({ "f": 100, "filter": { "outcome": "MISSED", "domain": "sales.alpha.test", "intent": intent } }),
        )
        .await;
    let edges = res["data"]["callHistory"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    // i % 4 == 1, i % 3 == 0, i % 5 == 0 → i % 60 == 45: 45 and 105.
    assert_eq!(edges.len(), 2, "{res}");
    assert!(edges.iter().all(|e| e["node"]["endReason"] == "missed"));

    let bad = app
        .gql(&auth, HISTORY, json!({ "filter": { "from": "soon" } }))
        .await;
    assert_eq!(error_code(&bad), Some("VALIDATION"), "{bad}");
    assert_eq!(
        bad["errors"][0]["extensions"]["fields"][0]["field"], "from",
        "{bad}"
    );
    let too_many = app.gql(&auth, HISTORY, json!({ "f": 101 })).await;
    assert_eq!(error_code(&too_many), Some("VALIDATION"));
    // The old list still answers.
    let old = app
        .gql(&auth, "{ calls(limit: 5) { id } }", json!({}))
        .await;
    assert_eq!(
        old["data"]["calls"].as_array().map(Vec::len),
        Some(5),
        "{old}"
    );

    // Business B: nothing of A's, by key, session, filter on A's ids, or A's cursor.
    let b = app.sign_up("Beta").await;
    let (_, b_key) = app.api_key(&b, "beta").await;
    let theirs = app
        .gql(&Auth::Bearer(b_key.clone()), HISTORY, json!({ "f": 100 }))
        .await;
    assert_eq!(
        theirs["data"]["callHistory"]["edges"],
        json!([]),
        "{theirs}"
    );
    let with_a_ids = app
        .gql(
            &Auth::Bearer(b_key),
            HISTORY,
            json!({ "f": 100, "a": after, "filter": { "intent": intent, "member": a.user_id } }),
        )
        .await;
    assert_eq!(
        with_a_ids["data"]["callHistory"]["edges"],
        json!([]),
        "{with_a_ids}"
    );
    let (all_b, _) = walk(&app, &b.token, &[]).await;
    assert!(all_b.is_empty());
    let (status, opts) = app.server_fn_as(&b.token, "call_filter_options", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(opts["domains"], json!([]), "{opts}");
    // Server functions honour only the session.
    let res = app
        .server_fn(
            "call_history",
            &[("authorization", format!("Bearer {}", a.token))],
            &[("outcome", "missed")],
        )
        .await;
    let status = res.status().as_u16();
    assert_eq!(status, 401);
    app.finish().await;
}

both_dbs!(
    filters_narrow_and_pages_walk_the_whole_log,
    the_csv_export_is_filtered_neutralised_and_private,
    stats_add_up_for_a_known_set_of_calls,
    graphql_pages_the_filtered_log_for_api_keys_only_of_its_business,
);
