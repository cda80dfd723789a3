//! Callbacks: a caller nobody answered asks to be called back from the call page (a
//! confirmation with a cancel link to them, a note to every member); a member calls back
//! and the caller's emailed join link rings that member — only that member, once. Links
//! that are replayed, tampered with, expired or another business's are refused, and
//! another business can neither see nor act on the callbacks.

use chrono::Utc;
use entity::entities::signed_link;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, link_in, Db, Owner, TestApp};
use crate::ws::{
    caller_token, colleague, greeted, next_call, next_json, send, silent, verified_domain, Socket,
};

/// Asks `domain`'s business for a callback as the caller of `caller` (its `dc_caller`
/// cookie): the status and the JSON answer.
async fn ask(app: &TestApp, caller: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let cookie = ("cookie", format!("dc_caller={caller}"));
    app.server_fn_json("request_callback", &[cookie], form)
        .await
}

/// A public server function (no credentials).
async fn public(app: &TestApp, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    app.server_fn_json(endpoint, &[], form).await
}

async fn callbacks(app: &TestApp, owner: &Owner, status: &str) -> Value {
    let res = app
        .gql(
            &owner.auth(),
            &format!("{{ callbacks(status: {status}) {{ id status email name note contactId memberName }} }}"),
            json!({}),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["callbacks"].clone()
}

async fn call_back(app: &TestApp, owner: &Owner, id: &Value) -> Value {
    app.gql(
        &owner.auth(),
        "mutation($id: ID!) { callBackNow(id: $id) { status memberName } }",
        json!({ "id": id }),
    )
    .await
}

/// A caller presenting join link `token` to `domain`: the socket and its first frame.
async fn join(app: &TestApp, domain: &str, token: &str) -> (Socket, Value) {
    let mut c = greeted(app, &caller_token(app).await).await;
    send(
        &mut c,
        json!({ "type": "call_request", "domain": domain, "mode": "chat", "callback": token }),
    )
    .await;
    let first = next_json(&mut c).await;
    (c, first)
}

/// The token of the last `/l/` link in a mail to `to` holding `needle`.
async fn emailed_token(app: &TestApp, to: &str, needle: &str) -> String {
    let mail = app.wait_for_mail_with(to, needle).await;
    link_in(&mail, "/l/").trim_start_matches("/l/").to_owned()
}

async fn a_member_calls_back_and_the_link_rings_them(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha Plumbing").await;
    let domain = verified_domain(&app, &owner).await;
    let (mate_token, _) = colleague(&app, &owner).await;
    let caller = caller_token(&app).await;
    let email = format!("carol-{}@example.net", uuid::Uuid::new_v4().simple());
    let form = [
        ("domain", domain.as_str()),
        ("intent", ""),
        ("email", email.as_str()),
        ("name", "Carol"),
        ("note", "About my order <b>42</b>"),
    ];
    let (status, asked) = ask(&app, &caller, &form).await;
    assert_eq!(status, 200, "{asked}");
    assert_eq!(asked["email"], email.as_str());
    assert_eq!(asked["already"], false);
    // The caller's confirmation has a cancel link; the members hear of it, note escaped.
    let cancel = emailed_token(&app, &email, "will call you back").await;
    assert_eq!(cancel.len(), 43, "{cancel}");
    let to_owner = app
        .wait_for_mail_with(&owner.email, "Callback requested")
        .await;
    assert!(
        crate::helpers::unfolded(&to_owner).contains("&lt;b&gt;42&lt;/b&gt;"),
        "{to_owner}"
    );
    // Asking again with the same email updates the request: one callback.
    let (status, again) = ask(&app, &caller, &form).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["already"], true, "{again}");
    let open = callbacks(&app, &owner, "PENDING").await;
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
    assert_eq!(open[0]["name"], "Carol");
    assert!(open[0]["contactId"].is_string(), "no contact: {open}");
    let id = open[0]["id"].clone();

    // The owner calls back: the caller gets a join link that names them.
    let res = call_back(&app, &owner, &id).await;
    assert_eq!(res["data"]["callBackNow"]["status"], "IN_PROGRESS", "{res}");
    let token = emailed_token(&app, &email, "is calling you back").await;
    let (status, page) = public(&app, "open_link", &[("token", &token)]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page["Join"]["member_name"].is_string(), "{page}");
    // Opening the link's page spends nothing.
    let html = app.page(&format!("/l/{token}")).await;
    assert!(html.contains("is calling you back"), "{html:.400}");

    // The member is not online yet: the caller is told nobody can answer (the call page
    // then offers a callback at a free time), and the link stays usable.
    let (_c0, nobody) = join(&app, &domain, &token).await;
    assert_eq!(nobody["type"], "unavailable", "{nobody}");
    let (_, page) = public(&app, "open_link", &[("token", &token)]).await;
    assert!(page["Join"].is_object(), "still usable: {page}");

    // Both members are online; the link rings the owner only.
    let mut owner_ws = greeted(&app, &owner.token).await;
    let mut mate_ws = greeted(&app, &mate_token).await;
    let (_c, first) = join(&app, &domain, &token).await;
    assert_ne!(first["type"], "error", "{first}");
    let incoming = next_call(&mut owner_ws).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    // The screen pop is the contact who left the callback.
    assert_eq!(incoming["contact"]["name"], "Carol", "{incoming}");
    silent(&mut mate_ws).await;

    // Spent: the same link again, or tampered with, rings nobody.
    let (_c2, replay) = join(&app, &domain, &token).await;
    assert_eq!(replay["type"], "error", "{replay}");
    assert!(
        replay["message"]
            .as_str()
            .unwrap_or_default()
            .contains("already used"),
        "{replay}"
    );
    let mut tampered = token.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (_c3, refused) = join(&app, &domain, &tampered).await;
    assert_eq!(refused["type"], "error", "{refused}");
    let (_, page) = public(&app, "open_link", &[("token", &tampered)]).await;
    assert_eq!(page["Refused"]["reason"], "unknown", "{page}");
    let (_, page) = public(&app, "open_link", &[("token", &token)]).await;
    assert_eq!(page["Refused"]["reason"], "used", "{page}");
    app.finish().await;
}

async fn a_cancel_link_cancels_once_and_links_expire(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Beta").await;
    let domain = verified_domain(&app, &owner).await;
    let caller = caller_token(&app).await;
    let email = format!("dan-{}@example.net", uuid::Uuid::new_v4().simple());
    let (status, asked) = ask(&app, &caller, &[("domain", &domain), ("email", &email)]).await;
    assert_eq!(status, 200, "{asked}");
    let cancel = emailed_token(&app, &email, "will call you back").await;
    let (_, page) = public(&app, "open_link", &[("token", &cancel)]).await;
    assert!(page["Cancel"].is_object(), "{page}");
    let (status, done) = public(&app, "cancel_callback", &[("token", &cancel)]).await;
    assert_eq!(status, 200, "{done}");
    assert!(done["Cancelled"].is_object(), "{done}");
    let (_, again) = public(&app, "cancel_callback", &[("token", &cancel)]).await;
    assert_eq!(again["Refused"]["reason"], "used", "{again}");
    assert_eq!(
        callbacks(&app, &owner, "CANCELLED")
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // A cancelled callback cannot be called back until opened again.
    let id = callbacks(&app, &owner, "CANCELLED").await[0]["id"].clone();
    let res = call_back(&app, &owner, &id).await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");

    // An expired join link is refused, on the page and at the hub.
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { setCallbackStatus(id: $id, status: PENDING) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        res["data"]["setCallbackStatus"]["status"], "PENDING",
        "{res}"
    );
    call_back(&app, &owner, &id).await;
    let token = emailed_token(&app, &email, "is calling you back").await;
    signed_link::Entity::update_many()
        .col_expr(
            signed_link::Column::ExpiresAt,
            Expr::value(Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(signed_link::Column::Purpose.eq("join"))
        .exec(&app.services.db)
        .await
        .unwrap();
    let (_, page) = public(&app, "open_link", &[("token", &token)]).await;
    assert_eq!(page["Refused"]["reason"], "expired", "{page}");
    assert_eq!(page["Refused"]["domain"], domain.as_str(), "{page}");
    let mut owner_ws = greeted(&app, &owner.token).await;
    let (_c, refused) = join(&app, &domain, &token).await;
    assert_eq!(refused["type"], "error", "{refused}");
    silent(&mut owner_ws).await;
    app.finish().await;
}

/// `DOMAINCALL_CALLBACK_LINK_TTL`: the join link lives as long as the setting says, and
/// the mail says so in words.
async fn the_join_link_lives_as_configured(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.callback_link_ttl = std::time::Duration::from_secs(600);
    })
    .await;
    let owner = app.sign_up("Gamma").await;
    let domain = verified_domain(&app, &owner).await;
    let caller = caller_token(&app).await;
    let email = format!("fay-{}@example.net", uuid::Uuid::new_v4().simple());
    ask(&app, &caller, &[("domain", &domain), ("email", &email)]).await;
    let id = callbacks(&app, &owner, "PENDING").await[0]["id"].clone();
    let before = Utc::now();
    call_back(&app, &owner, &id).await;
    let mail = app.wait_for_mail_with(&email, "is calling you back").await;
    assert!(mail.contains("expires in 10 minutes"), "{mail:.600}");
    let link = signed_link::Entity::find()
        .filter(signed_link::Column::Purpose.eq("join"))
        .one(&app.services.db)
        .await
        .unwrap()
        .expect("a join link");
    let lives = link.expires_at - before;
    assert!(
        lives > chrono::Duration::minutes(9) && lives <= chrono::Duration::minutes(11),
        "the link lives {lives}"
    );
    app.finish().await;
}

/// Agents hear of a new callback request at once (`callback_requested` on their signaling
/// socket: the softphone's notice and browser notification); another business's do not.
async fn agents_are_told_of_a_new_request(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Beta").await;
    let domain = verified_domain(&app, &a).await;
    let mut a_ws = greeted(&app, &a.token).await;
    let mut b_ws = greeted(&app, &b.token).await;
    let caller = caller_token(&app).await;
    let email = format!("gus-{}@example.net", uuid::Uuid::new_v4().simple());
    let (status, asked) = ask(&app, &caller, &[("domain", &domain), ("email", &email)]).await;
    assert_eq!(status, 200, "{asked}");
    let told = next_call(&mut a_ws).await;
    assert_eq!(told["type"], "callback_requested", "{told}");
    let id = callbacks(&app, &a, "PENDING").await[0]["id"].clone();
    assert_eq!(told["callback_id"], id, "{told}");
    silent(&mut b_ws).await;
    app.finish().await;
}

async fn requests_are_validated_and_limited(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Gamma").await;
    let domain = verified_domain(&app, &owner).await;
    let caller = caller_token(&app).await;
    let (status, bad) = ask(
        &app,
        &caller,
        &[("domain", &domain), ("email", "not-an-email")],
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["fields"][0]["field"], "email", "{bad}");
    let long = "x".repeat(entity::callbacks::NOTE_MAX + 1);
    let (status, bad) = ask(
        &app,
        &caller,
        &[
            ("domain", &domain),
            ("email", "ok@example.net"),
            ("note", &long),
        ],
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["fields"][0]["field"], "note", "{bad}");
    let (status, bad) = ask(
        &app,
        &caller,
        &[
            ("domain", "nobody-here.example"),
            ("email", "ok@example.net"),
        ],
    )
    .await;
    assert_eq!(status, 404, "{bad}");
    // One caller identity: a few new requests an hour, then a clear refusal.
    for i in 0..entity::callbacks::asking::REQUESTS_PER_HOUR {
        let email = format!("n{i}@example.net");
        let (status, ok) = ask(&app, &caller, &[("domain", &domain), ("email", &email)]).await;
        assert_eq!(status, 200, "{ok}");
    }
    let (status, limited) = ask(
        &app,
        &caller,
        &[("domain", &domain), ("email", "more@example.net")],
    )
    .await;
    assert_eq!(status, 429, "{limited}");
    assert_eq!(
        callbacks(&app, &owner, "PENDING")
            .await
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    app.finish().await;
}

async fn another_business_cannot_see_or_use_callbacks(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Bravo").await;
    let domain_a = verified_domain(&app, &a).await;
    let domain_b = verified_domain(&app, &b).await;
    let caller = caller_token(&app).await;
    let email = format!("erin-{}@example.net", uuid::Uuid::new_v4().simple());
    ask(&app, &caller, &[("domain", &domain_a), ("email", &email)]).await;
    let id = callbacks(&app, &a, "PENDING").await[0]["id"].clone();
    // B sees none of A's, and cannot act on one.
    assert_eq!(callbacks(&app, &b, "PENDING").await, json!([]));
    assert_eq!(
        error_code(&call_back(&app, &b, &id).await),
        Some("NOT_FOUND")
    );
    let res = app
        .gql(
            &b.auth(),
            "mutation($id: ID!) { setCallbackStatus(id: $id, status: DONE) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let id_text = id.as_str().unwrap_or_default();
    let (status, _) = app
        .server_fn_as(&b.token, "call_back_now", &[("id", id_text)])
        .await;
    assert_eq!(status, 404);
    let (status, list) = app.server_fn_as(&b.token, "list_callbacks", &[]).await;
    assert_eq!((status, list), (200, json!([])));
    // Assigning: B cannot touch A's callback, and A cannot hand it to B's owner.
    let assign =
        "mutation($id: ID!, $m: ID) { assignCallback(id: $id, memberId: $m) { memberName } }";
    let res = app
        .gql(&b.auth(), assign, json!({ "id": id, "m": b.user_id }))
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let res = app
        .gql(&a.auth(), assign, json!({ "id": id, "m": b.user_id }))
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let res = app
        .gql(&a.auth(), assign, json!({ "id": id, "m": a.user_id }))
        .await;
    assert!(
        res["data"]["assignCallback"]["memberName"].is_string(),
        "{res}"
    );
    // A's join link presented to B's call page rings nobody at B.
    call_back(&app, &a, &id).await;
    let token = emailed_token(&app, &email, "is calling you back").await;
    let mut b_ws = greeted(&app, &b.token).await;
    let (_c, refused) = join(&app, &domain_b, &token).await;
    assert_eq!(refused["type"], "error", "{refused}");
    silent(&mut b_ws).await;
    // And it still works at A (nothing was spent).
    let mut a_ws = greeted(&app, &a.token).await;
    let (_c, first) = join(&app, &domain_a, &token).await;
    assert_ne!(first["type"], "error", "{first}");
    assert_eq!(next_call(&mut a_ws).await["type"], "incoming");
    app.finish().await;
}

/// The caller still has the call page open (its socket): "call back now" rings there at
/// once with a short-lived join link, which rings the member who pressed it — and nobody
/// else's open page hears of it.
async fn a_caller_still_on_the_page_is_rung_directly(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha Plumbing").await;
    let domain = verified_domain(&app, &owner).await;
    let (mate_token, _) = colleague(&app, &owner).await;
    let caller = caller_token(&app).await;
    let mut page = greeted(&app, &caller).await;
    let mut stranger = greeted(&app, &caller_token(&app).await).await;
    let email = format!("dan-{}@example.net", uuid::Uuid::new_v4().simple());
    let form = [
        ("domain", domain.as_str()),
        ("intent", ""),
        ("email", email.as_str()),
        ("name", "Dan"),
    ];
    let (status, asked) = ask(&app, &caller, &form).await;
    assert_eq!(status, 200, "{asked}");
    let id = callbacks(&app, &owner, "PENDING").await[0]["id"].clone();

    let mut owner_ws = greeted(&app, &owner.token).await;
    let mut mate_ws = greeted(&app, &mate_token).await;
    let res = call_back(&app, &owner, &id).await;
    assert_eq!(res["data"]["callBackNow"]["status"], "IN_PROGRESS", "{res}");
    let ring = next_json(&mut page).await;
    assert_eq!(ring["type"], "calling_back", "{ring}");
    assert_eq!(ring["callback_id"], id);
    assert_eq!(ring["business"], "Alpha Plumbing");
    assert_eq!(ring["member"], owner.email.as_str(), "{ring}");
    let token = ring["token"].as_str().unwrap().to_owned();
    silent(&mut stranger).await;

    // Answering on the page rings the member who called back, not the team.
    send(
        &mut page,
        json!({ "type": "call_request", "domain": domain, "mode": "voice", "callback": token }),
    )
    .await;
    assert_eq!(next_json(&mut page).await["type"], "ringing");
    let incoming = next_call(&mut owner_ws).await;
    assert_eq!(incoming["type"], "incoming", "{incoming}");
    assert_eq!(incoming["contact"]["name"], "Dan", "{incoming}");
    silent(&mut mate_ws).await;
    // The page's link is spent; the mailed one still works until used.
    let (_c, replay) = join(&app, &domain, &token).await;
    assert_eq!(replay["type"], "error", "{replay}");
    let mailed = emailed_token(&app, &email, "is calling you back").await;
    assert_ne!(mailed, token);
    let (_, opened) = public(&app, "open_link", &[("token", &mailed)]).await;
    assert!(opened["Join"].is_object(), "{opened}");
    app.finish().await;
}

both_dbs!(
    a_caller_still_on_the_page_is_rung_directly,
    a_member_calls_back_and_the_link_rings_them,
    a_cancel_link_cancels_once_and_links_expire,
    the_join_link_lives_as_configured,
    agents_are_told_of_a_new_request,
    requests_are_validated_and_limited,
    another_business_cannot_see_or_use_callbacks,
);
