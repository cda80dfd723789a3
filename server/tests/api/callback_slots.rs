//! Callback slots: "call me back at…" a time cut from the business's opening hours, shown
//! in the caller's time zone; the confirmation carries a calendar file (read with a real
//! iCalendar parser); a slot is never booked past its capacity, even by concurrent
//! callers; cancelling gives the seat back; the policy is validated and only owners and
//! admins set it.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, Db, Owner, TestApp};
use crate::ws::{caller_token, colleague, verified_domain};

/// Opens the business 09:00-17:00 Berlin time every day.
pub(crate) async fn berlin_hours(app: &TestApp, owner: &Owner) {
    crate::helpers::set_daily_hours(app, owner, Value::Null, "Europe/Berlin", "09:00-17:00").await;
}

async fn set_policy(app: &TestApp, token_auth: &crate::helpers::Auth, capacity: i32) -> Value {
    app.gql(
        token_auth,
        "mutation($i: CallbackSlotPolicyInput!) { setCallbackSlotPolicy(input: $i) { slotMinutes capacity } }",
        json!({ "i": { "slotMinutes": 30, "bufferMinutes": 0, "noticeMinutes": 60, "windowDays": 7, "capacity": capacity, "reminderMinutes": 0 } }),
    )
    .await
}

/// The free slots `domain` offers on `date` (none: the first free date) in `zone`.
pub(crate) async fn slots(app: &TestApp, domain: &str, date: &str, zone: &str) -> Value {
    let (status, day) = app
        .server_fn_json(
            "callback_slots",
            &[],
            &[("domain", domain), ("date", date), ("zone", zone)],
        )
        .await;
    assert_eq!(status, 200, "{day}");
    day
}

/// Books `slot` as a new caller with `email`: the status and the answer.
pub(crate) async fn book(app: &TestApp, domain: &str, email: &str, slot: &str) -> (u16, Value) {
    let caller = caller_token(app).await;
    let cookie = ("cookie", format!("dc_caller={caller}"));
    app.server_fn_json(
        "request_callback",
        &[cookie],
        &[
            ("domain", domain),
            ("email", email),
            ("name", "Dana"),
            ("when", "slot"),
            ("slot", slot),
            ("zone", "America/New_York"),
        ],
    )
    .await
}

pub(crate) fn starts(day: &Value) -> Vec<String> {
    day["slots"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|x| x["start"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The `text/calendar` part of a raw mail, decoded.
fn calendar_part(mail: &str) -> String {
    let at = mail
        .find("Content-Type: text/calendar")
        .expect("a calendar part");
    let part = &mail[at..];
    let (headers, body) = part
        .split_once("\r\n\r\n")
        .or_else(|| part.split_once("\n\n"))
        .expect("a part body");
    let body = body.split("\n--").next().unwrap_or(body).trim_end();
    if headers.contains("base64") {
        use base64::Engine;
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("base64"),
        )
        .expect("utf-8")
    } else {
        format!("{}\r\n", crate::helpers::unfolded(body))
    }
}

async fn a_booked_time_is_confirmed_in_the_callers_zone_with_a_calendar_file(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Slot Bakery").await;
    let domain = verified_domain(&app, &owner).await;
    berlin_hours(&app, &owner).await;
    let res = set_policy(&app, &owner.auth(), 1).await;
    assert!(res["errors"].is_null(), "{res}");

    // The first free date, and a full day after it, in New York time.
    let first = slots(&app, &domain, "", "America/New_York").await;
    assert_eq!(first["zone"], "America/New_York", "{first}");
    let dates = first["dates"].as_array().cloned().unwrap_or_default();
    assert!(dates.len() >= 6, "a week of dates: {first}");
    let day = slots(
        &app,
        &domain,
        dates[2].as_str().unwrap(),
        "America/New_York",
    )
    .await;
    // Berlin 09:00-17:00 in December is 08:00-16:00 UTC, 03:00-11:00 in New York: 16 slots.
    let list = starts(&day);
    assert_eq!(list.len(), 16, "{day}");
    let start = DateTime::parse_from_rfc3339(&list[5])
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(start.format("%H:%M").to_string(), "10:30", "{day}");
    assert_eq!(day["slots"][5]["label"], "05:30", "{day}");

    // A time nobody offers is refused with a clear field error.
    let odd = (start + Duration::minutes(7)).to_rfc3339();
    let (status, bad) = book(&app, &domain, "odd@example.net", &odd).await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["fields"][0]["field"], "slot", "{bad}");

    let email = format!("dana-{}@example.net", uuid::Uuid::new_v4().simple());
    let (status, asked) = book(&app, &domain, &email, &list[5]).await;
    assert_eq!(status, 200, "{asked}");
    let when = asked["slot"].as_str().unwrap_or_default();
    assert!(when.contains("05:30 (America/New_York)"), "{asked}");

    // The confirmation says the time in the caller's zone and carries the event.
    let mail = app
        .wait_for_mail_with(&email, "will call you back on")
        .await;
    assert!(
        crate::helpers::unfolded(&mail).contains("05:30 (America/New_York)"),
        "{mail}"
    );
    let ics = calendar_part(&mail);
    let calendar = icalendar::Calendar::from_str(&ics).unwrap_or_else(|e| panic!("{e}: {ics}"));
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 1, "{ics}");
    let event = events[0];
    assert_eq!(
        event.get_start(),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(start))),
        "{ics}"
    );
    assert_eq!(
        event.get_end(),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(
            start + Duration::minutes(30)
        ))),
        "{ics}"
    );
    assert!(
        event
            .get_summary()
            .unwrap_or_default()
            .contains("Slot Bakery"),
        "{ics}"
    );
    assert!(event.get_url().unwrap_or_default().contains("/l/"), "{ics}");

    // The business sees it scheduled for that time; its members were told when.
    let res = app
        .gql(
            &owner.auth(),
            "{ callbacks { status slotAt email } }",
            json!({}),
        )
        .await;
    assert_eq!(res["data"]["callbacks"][0]["status"], "SCHEDULED", "{res}");
    let slot_at = res["data"]["callbacks"][0]["slotAt"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        DateTime::parse_from_rfc3339(slot_at).map(|t| t.with_timezone(&Utc)),
        Ok(start),
        "{res}"
    );
    let note = app
        .wait_for_mail_with(&owner.email, "Callback booked")
        .await;
    assert!(
        crate::helpers::unfolded(&note).contains("11:30 (Europe/Berlin)"),
        "{note}"
    );

    // "Add to calendar": the member downloads the event from our pages; another
    // business's member gets 404, another site's page 403.
    let id = app
        .gql(&owner.auth(), "{ callbacks { id slotEnd } }", json!({}))
        .await["data"]["callbacks"][0]
        .clone();
    assert!(id["slotEnd"].is_string(), "{id}");
    let url = format!(
        "{}/app/callbacks/{}/invite.ics",
        app.base,
        id["id"].as_str().unwrap_or_default()
    );
    let invite = |token: String, site: &'static str| {
        let req = app
            .http
            .get(url.clone())
            .header("cookie", format!("dc_session={token}"))
            .header("sec-fetch-site", site);
        async move { req.send().await.unwrap() }
    };
    let res = invite(owner.token.clone(), "same-origin").await;
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(kind.starts_with("text/calendar"), "{kind}");
    let ics = res.text().await.unwrap();
    let parsed = icalendar::Calendar::from_str(&ics).unwrap_or_else(|e| panic!("{e}: {ics}"));
    let summary = parsed
        .components
        .iter()
        .find_map(|c| match c {
            CalendarComponent::Event(e) => e.get_summary().map(str::to_owned),
            _ => None,
        })
        .unwrap_or_default();
    assert!(summary.contains("Call back Dana"), "{ics}");
    assert_eq!(
        invite(owner.token.clone(), "cross-site").await.status(),
        403
    );
    let stranger = app.sign_up("Stranger Co").await;
    assert_eq!(
        invite(stranger.token.clone(), "same-origin").await.status(),
        404
    );

    // The week view shows it on its day, at its time in the business's zone; another
    // business's week is empty.
    let date = dates[2].as_str().unwrap_or_default();
    let (status, week) = app
        .server_fn_as(&owner.token, "callback_week", &[("date", date)])
        .await;
    assert_eq!(status, 200, "{week}");
    assert_eq!(week["zone"], "Europe/Berlin", "{week}");
    let entries: Vec<&Value> = week["days"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["entries"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(entries.len(), 1, "{week}");
    assert_eq!(entries[0]["time"], "11:30", "{week}");
    assert_eq!(entries[0]["who"], "Dana", "{week}");
    let (_, theirs) = app
        .server_fn_as(&stranger.token, "callback_week", &[("date", date)])
        .await;
    assert!(!theirs.to_string().contains("Dana"), "{theirs}");
    app.finish().await;
}

async fn a_slot_never_takes_more_than_its_capacity(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Busy Shop").await;
    let domain = verified_domain(&app, &owner).await;
    berlin_hours(&app, &owner).await;
    let res = set_policy(&app, &owner.auth(), 2).await;
    assert_eq!(res["data"]["setCallbackSlotPolicy"]["capacity"], 2, "{res}");
    let first = slots(&app, &domain, "", "Europe/Berlin").await;
    let date = first["dates"][1].as_str().unwrap().to_owned();
    let day = slots(&app, &domain, &date, "Europe/Berlin").await;
    let slot = starts(&day)[3].clone();
    assert_eq!(day["slots"][3]["free"], 2, "{day}");

    // Six callers book the same time at once: two get it, four are told it was taken.
    let bookings = (0..6).map(|i| {
        let (app, domain, slot) = (&app, &domain, &slot);
        async move {
            book(
                app,
                domain,
                &format!("c{i}-{}@example.net", uuid::Uuid::new_v4().simple()),
                slot,
            )
            .await
        }
    });
    let results = futures::future::join_all(bookings).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let taken: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 409)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(ok, 2, "{results:?}");
    assert_eq!(taken.len(), 4, "{results:?}");
    assert_eq!(taken[0]["code"], "CONFLICT", "{:?}", taken[0]);
    assert!(
        taken[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("just taken"),
        "{:?}",
        taken[0]
    );
    // Full: the time is no longer offered.
    let day = slots(&app, &domain, &date, "Europe/Berlin").await;
    assert!(!starts(&day).contains(&slot), "{day}");

    // Cancelling one gives its seat back.
    let res = app
        .gql(
            &owner.auth(),
            "{ callbacks(status: SCHEDULED) { id } }",
            json!({}),
        )
        .await;
    let id = res["data"]["callbacks"][0]["id"].clone();
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { setCallbackStatus(id: $id, status: CANCELLED) { status slotAt } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        res["data"]["setCallbackStatus"]["status"], "CANCELLED",
        "{res}"
    );
    let day = slots(&app, &domain, &date, "Europe/Berlin").await;
    let again = day["slots"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["start"] == slot.as_str()).cloned());
    assert_eq!(again.map(|s| s["free"].clone()), Some(json!(1)), "{day}");
    app.finish().await;
}

async fn the_caller_is_reminded_once_before_the_booked_time(db: Db) {
    use entity::entities::callback;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let app = TestApp::spawn_with(db, |s| {
        s.sweep_interval = std::time::Duration::from_millis(100);
    })
    .await;
    let owner = app.sign_up("Slow Bikes").await;
    let domain = verified_domain(&app, &owner).await;
    berlin_hours(&app, &owner).await;
    let res = app
        .gql(
            &owner.auth(),
            "mutation { setCallbackSlotPolicy(input: { slotMinutes: 30, bufferMinutes: 0, noticeMinutes: 60, windowDays: 7, capacity: 1, reminderMinutes: 1440 }) { reminderMinutes } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res["data"]["setCallbackSlotPolicy"]["reminderMinutes"], 1440,
        "{res}"
    );
    // The first free time is within a day: inside the reminder period already.
    let first = slots(&app, &domain, "", "Asia/Tokyo").await;
    let slot = starts(&first)[0].clone();
    let label = first["slots"][0]["label"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let email = format!("rita-{}@example.net", uuid::Uuid::new_v4().simple());
    let caller = caller_token(&app).await;
    let (status, asked) = app
        .server_fn_json(
            "request_callback",
            &[("cookie", format!("dc_caller={caller}"))],
            &[
                ("domain", domain.as_str()),
                ("email", email.as_str()),
                ("when", "slot"),
                ("slot", slot.as_str()),
                ("zone", "Asia/Tokyo"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{asked}");
    app.wait_for_mail_with(&email, "will call you back on")
        .await;
    let reminders = |app: &TestApp| {
        app.mails_to(&email)
            .iter()
            .filter(|m| m.contains("A reminder"))
            .count()
    };
    // Booked inside its reminder period: the confirmation said it; no reminder.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(reminders(&app), 0, "{:?}", app.mails_to(&email));

    // The same booking made two days ago is reminded — once, in the caller's zone.
    callback::Entity::update_many()
        .col_expr(
            callback::Column::UpdatedAt,
            Expr::value(Utc::now() - Duration::days(2)),
        )
        .col_expr(
            callback::Column::RemindedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(callback::Column::Email.eq(email.as_str()))
        .exec(&app.services.db)
        .await
        .unwrap();
    let mail = app.wait_for_mail_with(&email, "A reminder").await;
    let text = crate::helpers::unfolded(&mail);
    assert!(text.contains(&format!("{label} (Asia/Tokyo)")), "{text}");
    assert!(text.contains("/l/"), "a cancel link: {text}");
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(reminders(&app), 1, "reminded once");
    app.finish().await;
}

async fn only_managers_set_the_policy_and_it_is_validated(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Policy Co").await;
    let other = app.sign_up("Other Co").await;
    let (agent_token, _) = colleague(&app, &owner).await;
    let agent = crate::helpers::Auth::Bearer(agent_token);
    let res = set_policy(&app, &agent, 3).await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let res = app
        .gql(
            &owner.auth(),
            "mutation { setCallbackSlotPolicy(input: { slotMinutes: 2, bufferMinutes: 0, noticeMinutes: 0, windowDays: 400, capacity: 1, reminderMinutes: 15 }) { capacity } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let fields = res["errors"][0]["extensions"]["fields"].to_string();
    assert!(
        fields.contains("slot_minutes") && fields.contains("window_days"),
        "{res}"
    );
    // The owner's policy is theirs alone.
    let res = set_policy(&app, &owner.auth(), 5).await;
    assert!(res["errors"].is_null(), "{res}");
    let theirs = app
        .gql(
            &other.auth(),
            "{ callbackSlotPolicy { capacity slotMinutes } }",
            json!({}),
        )
        .await;
    assert_eq!(
        theirs["data"]["callbackSlotPolicy"]["capacity"], 1,
        "{theirs}"
    );
    app.finish().await;
}

/// The start of the one event of the calendar file in `mail`.
fn event_start(mail: &str) -> Option<DatePerhapsTime> {
    let ics = calendar_part(mail);
    let calendar = icalendar::Calendar::from_str(&ics).unwrap_or_else(|e| panic!("{e}: {ics}"));
    calendar.components.iter().find_map(|c| match c {
        CalendarComponent::Event(e) => e.get_start(),
        _ => None,
    })
}

/// A business with one seat per slot and two bookings on tomorrow's grid: `email`'s at
/// its third time, another caller's at its fifth.
struct TwoBookings {
    owner: Owner,
    domain: String,
    date: String,
    /// Tomorrow's times as the business offered them before the bookings.
    list: Vec<String>,
    email: String,
}

async fn two_bookings(app: &TestApp, business: &str, who: &str) -> TwoBookings {
    let owner = app.sign_up(business).await;
    let domain = verified_domain(app, &owner).await;
    berlin_hours(app, &owner).await;
    let res = set_policy(app, &owner.auth(), 1).await;
    assert!(res["errors"].is_null(), "{res}");
    let first = slots(app, &domain, "", "Europe/Berlin").await;
    let date = first["dates"][1].as_str().unwrap().to_owned();
    let list = starts(&slots(app, &domain, &date, "Europe/Berlin").await);
    let email = format!("{who}-{}@example.net", uuid::Uuid::new_v4().simple());
    let (status, asked) = book(app, &domain, &email, &list[2]).await;
    assert_eq!(status, 200, "{asked}");
    let (status, asked) = book(app, &domain, "other@example.net", &list[4]).await;
    assert_eq!(status, 200, "{asked}");
    TwoBookings {
        owner,
        domain,
        date,
        list,
        email,
    }
}

/// The scheduled callback of `email`, as the business lists it.
async fn scheduled(app: &TestApp, owner: &Owner, email: &str) -> Value {
    let res = app
        .gql(
            &owner.auth(),
            "{ callbacks(status: SCHEDULED) { id email slotAt } }",
            json!({}),
        )
        .await;
    res["data"]["callbacks"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["email"] == email))
        .cloned()
        .unwrap_or_else(|| panic!("{res}"))
}

async fn a_member_moves_a_booking_and_the_caller_is_told(db: Db) {
    let app = TestApp::spawn(db).await;
    let TwoBookings {
        owner,
        domain,
        date,
        list,
        email,
    } = two_bookings(&app, "Moving Bakery", "moe").await;
    let id = scheduled(&app, &owner, &email).await["id"].clone();
    const MOVE: &str = "mutation($id: ID!, $at: DateTime!) { rescheduleCallback(id: $id, slotAt: $at) { status slotAt } }";

    // A time nobody offers, and a time already full, are refused.
    let odd = DateTime::parse_from_rfc3339(&list[3]).unwrap() + Duration::minutes(7);
    let res = app
        .gql(
            &owner.auth(),
            MOVE,
            json!({ "id": id, "at": odd.to_rfc3339() }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let res = app
        .gql(&owner.auth(), MOVE, json!({ "id": id, "at": list[4] }))
        .await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");
    // Another business cannot move it.
    let other = app.sign_up("Elsewhere").await;
    let res = app
        .gql(&other.auth(), MOVE, json!({ "id": id, "at": list[6] }))
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");

    // Moved: the old time is free again, the new one taken; the caller gets the new time
    // with a calendar file for it.
    let res = app
        .gql(&owner.auth(), MOVE, json!({ "id": id, "at": list[6] }))
        .await;
    assert_eq!(
        res["data"]["rescheduleCallback"]["status"], "SCHEDULED",
        "{res}"
    );
    let now_free = starts(&slots(&app, &domain, &date, "Europe/Berlin").await);
    assert!(
        now_free.contains(&list[2]),
        "the old time is free: {now_free:?}"
    );
    assert!(
        !now_free.contains(&list[6]),
        "the new time is taken: {now_free:?}"
    );
    let mail = app.wait_for_mail_with(&email, "has a new time").await;
    let new_start = DateTime::parse_from_rfc3339(&list[6])
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        event_start(&mail),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(new_start))),
        "{mail}"
    );
    app.finish().await;
}

/// The `/l/` token of the last mail to `to` holding `needle`.
async fn mailed_token(app: &TestApp, to: &str, needle: &str) -> String {
    let mail = app.wait_for_mail_with(to, needle).await;
    crate::helpers::link_in(&mail, "/l/")
        .trim_start_matches("/l/")
        .to_owned()
}

async fn open_link(app: &TestApp, token: &str) -> Value {
    let (status, page) = app
        .server_fn_json("open_link", &[], &[("token", token)])
        .await;
    assert_eq!(status, 200, "{page}");
    page
}

async fn move_by_link(app: &TestApp, token: &str, slot: &str, zone: &str) -> (u16, Value) {
    app.server_fn_json(
        "move_callback",
        &[],
        &[("token", token), ("slot", slot), ("zone", zone)],
    )
    .await
}

async fn the_caller_moves_their_booking_with_the_mailed_link(db: Db) {
    let app = TestApp::spawn(db).await;
    let TwoBookings {
        owner,
        domain,
        date,
        list,
        email,
    } = two_bookings(&app, "Self Service Shop", "sam").await;
    let token = mailed_token(&app, &email, "Change the time or cancel").await;

    // The link shows the booked time in the caller's zone.
    let page = open_link(&app, &token).await;
    let when = page["Cancel"]["when"].as_str().unwrap_or_default();
    assert!(when.contains("America/New_York"), "{page}");

    // A time nobody offers and a full time are refused, and the link still works.
    let odd = DateTime::parse_from_rfc3339(&list[3]).unwrap() + Duration::minutes(7);
    let (status, bad) = move_by_link(&app, &token, &odd.to_rfc3339(), "").await;
    assert_eq!(status, 422, "{bad}");
    let (status, full) = move_by_link(&app, &token, &list[4], "").await;
    assert_eq!(status, 409, "{full}");
    assert!(open_link(&app, &token).await["Cancel"].is_object());

    // Moved, with the zone the caller now shows the times in: the old time is free again,
    // the new one taken, the mail has the new time and a fresh link; the old link is spent.
    let (status, moved) = move_by_link(&app, &token, &list[6], "Asia/Tokyo").await;
    assert_eq!(status, 200, "{moved}");
    let when = moved["Moved"]["when"].as_str().unwrap_or_default();
    assert!(when.contains("Asia/Tokyo"), "{moved}");
    let now_free = starts(&slots(&app, &domain, &date, "Europe/Berlin").await);
    assert!(now_free.contains(&list[2]), "old time free: {now_free:?}");
    assert!(!now_free.contains(&list[6]), "new time taken: {now_free:?}");
    let mail = app.wait_for_mail_with(&email, "has a new time").await;
    let new_start = DateTime::parse_from_rfc3339(&list[6])
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        event_start(&mail),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(new_start))),
        "{mail}"
    );
    let fresh = mailed_token(&app, &email, "has a new time").await;
    assert_ne!(fresh, token);
    assert_eq!(open_link(&app, &token).await["Refused"]["reason"], "used");
    let (_, again) = move_by_link(&app, &token, &list[8], "").await;
    assert_eq!(again["Refused"]["reason"], "used", "{again}");
    let page = open_link(&app, &fresh).await;
    assert!(
        page["Cancel"]["when"]
            .as_str()
            .is_some_and(|w| w.contains("Asia/Tokyo")),
        "{page}"
    );
    // The business sees the new time.
    let mine = scheduled(&app, &owner, &email).await;
    let at = DateTime::parse_from_rfc3339(mine["slotAt"].as_str().unwrap_or_default())
        .map(|d| d.with_timezone(&Utc));
    assert_eq!(at, Ok(new_start), "{mine}");
    // A made-up token is refused with the page that says so.
    let (status, forged) = move_by_link(&app, &"A".repeat(43), &list[8], "").await;
    assert_eq!(status, 200, "{forged}");
    assert_eq!(forged["Refused"]["reason"], "unknown", "{forged}");
    app.finish().await;
}

both_dbs!(
    the_caller_moves_their_booking_with_the_mailed_link,
    a_member_moves_a_booking_and_the_caller_is_told,
    a_booked_time_is_confirmed_in_the_callers_zone_with_a_calendar_file,
    a_slot_never_takes_more_than_its_capacity,
    the_caller_is_reminded_once_before_the_booked_time,
    only_managers_set_the_policy_and_it_is_validated,
);
