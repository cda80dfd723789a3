//! Schedules in the pages, rendered on the server: the call page's opening line (today's
//! hours, or the out-of-office message — escaped) before any JavaScript runs, and the
//! `/app/schedules` page driven by plain form posts and a GET preview, as a browser
//! without JavaScript would, with the roles enforced.

use serde_json::json;

use crate::both_dbs;
use crate::helpers::{Db, Owner, TestApp, OWN_ORIGIN};
use crate::ws::{colleague, verified_domain};

async fn page(app: &TestApp, path: &str, session: Option<&str>) -> String {
    let mut req = app.http.get(format!("{}{path}", app.base));
    if let Some(token) = session {
        req = req.header("cookie", format!("dc_session={token}"));
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

/// The same post from the hydrated page (asking for JSON): (status, body).
async fn fetch_post(
    app: &TestApp,
    token: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let headers = [
        ("cookie", format!("dc_session={token}")),
        ("origin", OWN_ORIGIN.to_owned()),
    ];
    let res = app.server_fn(endpoint, &headers, form).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A plain HTML form post from our own page: (status, body).
async fn form_post(
    app: &TestApp,
    token: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let res = app
        .http
        .post(format!("{}/api/{endpoint}", app.base))
        .header("accept", "text/html")
        .header("origin", OWN_ORIGIN)
        .header("referer", format!("{}/app/schedules", app.base))
        .header("cookie", format!("dc_session={token}"))
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn set_hours(app: &TestApp, owner: &Owner, day: &str) {
    let res = app
        .gql(
            &owner.auth(),
            "mutation($d: String!) { setOpeningHours(input: { timeZone: \"UTC\", monday: $d, \
             tuesday: $d, wednesday: $d, thursday: $d, friday: $d, saturday: $d, sunday: $d }) { id } }",
            json!({ "d": day }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
}

async fn the_call_page_shows_todays_hours_or_the_out_of_office_message(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Hours Cafe").await;
    let domain = verified_domain(&app, &owner).await;
    let path = format!("/call/{domain}");
    // No hours, no switch: nothing about hours (open around the clock, as before).
    assert!(!page(&app, &path, None).await.contains("id=\"call-hours\""));
    set_hours(&app, &owner, "08:00-20:00").await;
    let html = page(&app, &path, None).await;
    assert!(html.contains("id=\"call-hours\""), "{html}");
    assert!(html.contains("data-zone=\"UTC\""), "{html}");
    assert!(html.contains("Today\u{2019}s hours"), "{html}");
    assert!(html.contains("08:00\u{2013}20:00"), "{html}");
    assert!(
        html.contains("Open now") || html.contains("Closed now"),
        "{html}"
    );
    // Out of office: the message instead, escaped like any text a business typed.
    let res = app
        .gql(
            &owner.auth(),
            "mutation { setOutOfOffice(input: { enabled: true, message: \"Back on <b>Monday</b> & later\" }) { active } }",
            json!({}),
        )
        .await;
    assert_eq!(res["data"]["setOutOfOffice"]["active"], true, "{res}");
    let html = page(&app, &path, None).await;
    assert!(html.contains("data-state=\"out_of_office\""), "{html}");
    assert!(
        html.contains("Back on &lt;b&gt;Monday&lt;/b&gt; &amp; later"),
        "{html}"
    );
    assert!(!html.contains("<b>Monday</b>"), "{html}");
    app.finish().await;
}

async fn the_schedules_page_works_without_javascript(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Form Bakery").await;
    let (agent, agent_id) = colleague(&app, &owner).await;
    let html = page(&app, "/app/schedules", Some(&owner.token)).await;
    assert!(html.contains("No hours are set"), "{html}");
    assert!(html.contains("id=\"hours-grid\""), "{html}");

    // Save the week as the form posts it: a redirect back, and the page shows it.
    let week = [
        ("team_id", ""),
        ("time_zone", "Europe/Berlin"),
        ("mon", "09:00-17:00"),
        ("tue", "09:00-17:00"),
        ("wed", "09:00-17:00"),
        ("thu", "09:00-17:00"),
        ("fri", "09:00-17:00, 22:00-02:00"),
        ("sat", ""),
        ("sun", ""),
    ];
    let (status, _) = form_post(&app, &owner.token, "set_opening_hours", &week).await;
    assert!(matches!(status, 302 | 303), "{status}");
    let (status, _) = form_post(
        &app,
        &owner.token,
        "set_date_override",
        &[
            ("team_id", ""),
            ("date", "2030-12-25"),
            ("hours", ""),
            ("name", "Christmas Day"),
        ],
    )
    .await;
    assert!(matches!(status, 302 | 303), "{status}");
    let html = page(&app, "/app/schedules", Some(&owner.token)).await;
    assert!(html.contains("value=\"09:00-17:00,22:00-02:00\""), "{html}");
    assert!(html.contains("value=\"Europe/Berlin\""), "{html}");
    assert!(html.contains("Christmas Day"), "{html}");

    // The preview is a GET form: Christmas Day is closed, the next opening the 26th.
    let html = page(
        &app,
        "/app/schedules?at=2030-12-25T10%3A00",
        Some(&owner.token),
    )
    .await;
    assert!(html.contains("id=\"preview-answer\""), "{html}");
    assert!(html.contains("data-state=\"closed\""), "{html}");
    assert!(html.contains("opens 2030-12-26 09:00"), "{html}");

    // An agent may switch only their own out-of-office; hours stay the managers'.
    let (status, body) = fetch_post(&app, &agent, "set_opening_hours", &week).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = form_post(
        &app,
        &agent,
        "set_out_of_office",
        &[
            ("user_id", &agent_id),
            ("enabled", "on"),
            ("message", "Off sick"),
            ("until", ""),
        ],
    )
    .await;
    assert!(matches!(status, 302 | 303), "{status}");
    let (status, body) = fetch_post(
        &app,
        &agent,
        "set_out_of_office",
        &[("user_id", ""), ("enabled", "on"), ("message", "Closed")],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let html = page(&app, "/app/schedules", Some(&agent)).await;
    assert!(
        html.contains("Only owners and admins change hours"),
        "{html}"
    );
    assert!(html.contains("Off sick"), "{html}");
    app.finish().await;
}

both_dbs!(
    the_call_page_shows_todays_hours_or_the_out_of_office_message,
    the_schedules_page_works_without_javascript,
);
