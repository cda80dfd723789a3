//! Sign-up by emailed link: bad input refused at once, the same answer whether or not an
//! email is taken (one password hash either way), the link working once and expiring,
//! the limits per client address and per email, aliasing refused by the complexity
//! budget, and the dashboard's forms without JavaScript.

use std::time::{Duration, Instant};

use entity::entities::{sign_up_request, user};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, link_in, unfolded, Auth, Db, TestApp, CONFIRM_SIGN_UP, SIGN_UP};

pub const PASSWORD: &str = "correct horse battery";

/// Rows of entity `E` in the app's database.
pub async fn count<E>(app: &TestApp) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find().count(&app.services.db).await.unwrap()
}

/// A sign-up sent from `local` (a loopback address): (status, set-cookie present, body).
pub async fn sign_up_from(app: &TestApp, local: &str, email: &str) -> (u16, bool, Value) {
    let client = reqwest::Client::builder()
        .local_address(local.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let res = client
        .post(format!("{}/graphql", app.base))
        .json(&json!({
            "query": SIGN_UP,
            "variables": { "i": { "email": email, "password": PASSWORD, "businessName": "Acme" } },
        }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let cookie = res.headers().contains_key("set-cookie");
    (status, cookie, res.json().await.unwrap())
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn bad_sign_up_input(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app
        .gql(
            &Auth::None,
            SIGN_UP,
            json!({ "i": { "email": "not-an-email", "password": "short", "businessName": "  " } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let fields: Vec<&str> = res["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "businessName"]);
    assert!(res["data"].is_null());
    assert_eq!(
        count::<sign_up_request::Entity>(&app).await,
        0,
        "nothing stored"
    );
    app.finish().await;
}

async fn aliased_sign_ups_are_refused_before_any_runs(db: Db) {
    let app = TestApp::spawn(db).await;
    let emails: Vec<String> = (0..20).map(|_| unique_email("alias")).collect();
    let fields: String = emails
        .iter()
        .enumerate()
        .map(|(i, e)| {
            format!(
                "s{i}: signUp(input: {{ email: \"{e}\", password: \"{PASSWORD}\", businessName: \"Spam {i}\" }}) {{ status }}\n"
            )
        })
        .collect();
    let res = app
        .gql(&Auth::None, &format!("mutation {{ {fields} }}"), json!({}))
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    assert!(res["data"].is_null(), "{res}");
    let message = res["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.to_lowercase().contains("complex"), "{message}");
    // Nothing ran: no request stored, no account, and (after the workers had time to send
    // anything queued) no email.
    assert_eq!(count::<sign_up_request::Entity>(&app).await, 0);
    assert_eq!(count::<user::Entity>(&app).await, 0);
    tokio::time::sleep(Duration::from_millis(800)).await;
    for e in &emails {
        assert!(app.mails_to(e).is_empty(), "mail went to {e}");
    }
    // Three sign-ins do not fit either, and even cheap mutations cost more than fields.
    let sign_ins: String = (0..3)
        .map(|i| {
            format!(
                "i{i}: signIn(email: \"x{i}@example.com\", password: \"{PASSWORD}\") {{ token }}\n"
            )
        })
        .collect();
    let res = app
        .gql(
            &Auth::None,
            &format!("mutation {{ {sign_ins} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    let sign_outs: String = (0..41).map(|i| format!("o{i}: signOut\n")).collect();
    let res = app
        .gql(
            &Auth::None,
            &format!("mutation {{ {sign_outs} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    assert!(res["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.to_lowercase().contains("complex")));
    app.finish().await;
}

/// How long one password hash takes here.
fn hash_time() -> Duration {
    let password = entity::validate::NewPassword::parse("password", PASSWORD).unwrap();
    let start = Instant::now();
    entity::auth::passwords::hash(&password).unwrap();
    start.elapsed()
}

/// How long a sign-up for `email` takes to answer.
async fn sign_up_time(app: &TestApp, email: &str) -> Duration {
    let start = Instant::now();
    let (_, _, res) = sign_up_from(app, "127.0.0.1", email).await;
    let took = start.elapsed();
    assert_eq!(res["data"]["signUp"]["status"], "CHECK_YOUR_INBOX", "{res}");
    took
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn a_taken_email_answers_like_a_new_one(db: Db) {
    // Room for the owner's own sign-up and the six more below naming the same email.
    let app = TestApp::spawn_with(db, |s| s.signup_limits.per_email = 10).await;
    let owner = app.sign_up("Acme").await;
    let fresh = unique_email("new");
    let (taken_status, taken_cookie, taken) =
        sign_up_from(&app, "127.0.0.1", &owner.email.to_uppercase()).await;
    let (new_status, new_cookie, new) = sign_up_from(&app, "127.0.0.1", &fresh).await;
    // Same status, same JSON (but for the address it names), no session either way.
    assert_eq!((taken_status, new_status), (200, 200));
    assert!(
        !taken_cookie && !new_cookie,
        "no cookie before confirmation"
    );
    assert_eq!(
        taken,
        json!({ "data": { "signUp": { "status": "CHECK_YOUR_INBOX", "email": owner.email } } })
    );
    assert_eq!(
        new,
        json!({ "data": { "signUp": { "status": "CHECK_YOUR_INBOX", "email": fresh } } })
    );
    // The owner is told, with nothing to click that changes anything.
    let note = app
        .wait_for_mail_with(&owner.email, "Someone tried to create")
        .await;
    let note = unfolded(&note);
    assert!(note.contains("/signin"), "{note}");
    assert!(!note.contains("/signup/confirm/"), "{note}");
    // The new address gets the link; until it is used there is no account.
    let token = app.sign_up_token(&fresh).await;
    assert!(!token.is_empty());
    let res = app
        .gql(
            &Auth::None,
            "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
            json!({ "e": fresh, "p": PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
    // A taken email costs a password hash, like a new one: timing tells nothing. Rounds
    // interleave a hash here, a taken and a new email, so load hits all three alike;
    // without its hash a taken email would answer a whole hash sooner than a new one.
    let (mut hashes, mut taken, mut new) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        hashes.push(hash_time());
        taken.push(sign_up_time(&app, &owner.email).await);
        new.push(sign_up_time(&app, &unique_email("timing")).await);
    }
    let (hash, taken, new) = (median(hashes), median(taken), median(new));
    assert!(
        taken >= hash * 3 / 4 || new.saturating_sub(taken) <= hash / 2,
        "a taken email answered in {taken:?}, a new one in {new:?}; a hash takes {hash:?}"
    );
    app.finish().await;
}

async fn a_sign_up_link_works_once_and_expires(db: Db) {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = TestApp::spawn(db).await;
    let email = unique_email("once");
    let (_, _, res) = sign_up_from(&app, "127.0.0.1", &email).await;
    assert_eq!(res["data"]["signUp"]["status"], "CHECK_YOUR_INBOX", "{res}");
    let mail = unfolded(&app.wait_for_mail_with(&email, "/signup/confirm/").await);
    assert!(mail.contains("expires in 24 hours"), "{mail}");
    assert!(!mail.contains("Acme"), "no text of the requester's: {mail}");
    let token = link_in(&mail, "/signup/confirm/")
        .trim_start_matches("/signup/confirm/")
        .to_owned();
    assert_eq!(count::<user::Entity>(&app).await, 0);
    // The link creates the account and its business and signs in.
    let res = app
        .gql(
            &Auth::None,
            CONFIRM_SIGN_UP,
            json!({ "t": token, "p": PASSWORD }),
        )
        .await;
    let session = Auth::Bearer(
        res["data"]["confirmSignUp"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{res}"))
            .to_owned(),
    );
    let me = app
        .gql(
            &session,
            "{ me { email } business { name role } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["email"], email.as_str(), "{me}");
    assert_eq!(
        me["data"]["business"],
        json!({ "name": "Acme", "role": "OWNER" })
    );
    let refused = |res: &Value| {
        assert_eq!(error_code(res), Some("VALIDATION"), "{res}");
        assert!(res["data"].is_null(), "{res}");
        assert_eq!(
            res["errors"][0]["extensions"]["fields"][0]["field"],
            "token"
        );
        res["errors"][0]["message"].as_str().unwrap().to_owned()
    };
    // Once only.
    let res = app
        .gql(
            &Auth::None,
            CONFIRM_SIGN_UP,
            json!({ "t": token, "p": PASSWORD }),
        )
        .await;
    assert!(refused(&res).contains("already used"), "{res}");
    // An unknown link.
    let res = app
        .gql(
            &Auth::None,
            CONFIRM_SIGN_UP,
            json!({ "t": "not-a-real-token", "p": PASSWORD }),
        )
        .await;
    assert!(refused(&res).contains("not valid"), "{res}");
    // An expired link.
    let late = unique_email("late");
    sign_up_from(&app, "127.0.0.1", &late).await;
    let late_token = app.sign_up_token(&late).await;
    sign_up_request::Entity::update_many()
        .col_expr(
            sign_up_request::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(sign_up_request::Column::Email.eq(late.as_str()))
        .exec(&app.services.db)
        .await
        .unwrap();
    let res = app
        .gql(
            &Auth::None,
            CONFIRM_SIGN_UP,
            json!({ "t": late_token, "p": PASSWORD }),
        )
        .await;
    assert!(refused(&res).contains("expired"), "{res}");
    assert_eq!(
        count::<user::Entity>(&app).await,
        1,
        "only the first sign-up"
    );
    app.finish().await;
}

async fn sign_ups_are_limited_per_client_and_per_email(db: Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.signup_limits = entity::auth::signup::SignUpLimits::default();
    })
    .await;
    // Validation errors are answered at once and not counted.
    for _ in 0..6 {
        let (_, _, res) = sign_up_from(&app, "127.0.0.2", "not-an-email").await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
    }
    // The documented 5 per client address per hour, then RATE_LIMITED with a retry time.
    for _ in 0..5 {
        let (_, _, res) = sign_up_from(&app, "127.0.0.2", &unique_email("c")).await;
        assert_eq!(res["data"]["signUp"]["status"], "CHECK_YOUR_INBOX", "{res}");
    }
    let limited = unique_email("sixth");
    let (_, _, res) = sign_up_from(&app, "127.0.0.2", &limited).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    let retry = res["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    // Another client is not held up by it.
    let (_, _, res) = sign_up_from(&app, "127.0.0.3", &unique_email("other")).await;
    assert_eq!(res["data"]["signUp"]["status"], "CHECK_YOUR_INBOX", "{res}");
    // The documented 3 per email per hour, from any number of addresses: no mail bombing.
    let target = unique_email("target");
    for local in ["127.0.0.4", "127.0.0.5", "127.0.0.6"] {
        let (_, _, res) = sign_up_from(&app, local, &target).await;
        assert_eq!(res["data"]["signUp"]["status"], "CHECK_YOUR_INBOX", "{res}");
    }
    let (_, _, res) = sign_up_from(&app, "127.0.0.7", &target).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    app.wait_for_mail(&target).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(app.mails_to(&target).len(), 3);
    assert!(app.mails_to(&limited).is_empty());
    app.finish().await;
}

/// A plain HTML form post (no JavaScript) to server function `endpoint`, from our own
/// page: (status, `Location`, whether a session cookie was set).
async fn form_post(app: &TestApp, endpoint: &str, form: &[(&str, &str)]) -> (u16, String, bool) {
    let res = app
        .http
        .post(format!("{}/api/{endpoint}", app.base))
        .header("accept", "text/html")
        .header("origin", crate::helpers::OWN_ORIGIN)
        .header("referer", format!("{}/signup", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    let location = crate::helpers::location_of(&res);
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("dc_session=") && !c.starts_with("dc_session=;"));
    (res.status().as_u16(), location, session)
}

async fn the_dashboard_signs_up_without_javascript(db: Db) {
    let app = TestApp::spawn(db).await;
    let email = unique_email("form");
    let (status, location, session) = form_post(
        &app,
        "sign_up",
        &[
            ("email", &email),
            ("password", PASSWORD),
            ("business_name", "Form Bakery"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str(), session),
        (302, "/signup?sent=1", false)
    );
    let page = app
        .http
        .get(format!("{}/signup?sent=1", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Check your inbox"), "{page}");
    // The emailed link's page shows what it creates, and its button signs in.
    let token = app.sign_up_token(&email).await;
    let page = app
        .http
        .get(format!("{}/signup/confirm/{token}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Form Bakery"), "{page}");
    assert!(page.contains("confirm-submit"), "{page}");
    let (status, location, session) = form_post(
        &app,
        "confirm_sign_up",
        &[("token", &token), ("password", PASSWORD)],
    )
    .await;
    assert_eq!((status, location.as_str(), session), (302, "/app", true));
    // Used up: the page says so, and the button no longer signs anyone in.
    let page = app
        .http
        .get(format!("{}/signup/confirm/{token}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("already used"), "{page}");
    let (_, _, session) = form_post(
        &app,
        "confirm_sign_up",
        &[("token", &token), ("password", PASSWORD)],
    )
    .await;
    assert!(!session);
    app.finish().await;
}

/// A stranger signs up with someone else's address; the owner of the address opens the
/// link. Without the stranger's password it does nothing, and the link still works for
/// whoever knows it.
async fn confirming_needs_the_password(db: Db) {
    let app = TestApp::spawn(db).await;
    let email = unique_email("victim");
    sign_up_from(&app, "127.0.0.1", &email).await;
    let token = app.sign_up_token(&email).await;
    for wrong in ["", "the victim's own password", "correct horse batter"] {
        let res = app
            .gql(
                &Auth::None,
                CONFIRM_SIGN_UP,
                json!({ "t": token, "p": wrong }),
            )
            .await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
        assert_eq!(
            res["errors"][0]["extensions"]["fields"][0]["field"], "password",
            "{res}"
        );
        assert!(res["data"].is_null(), "{res}");
    }
    assert_eq!(count::<user::Entity>(&app).await, 0, "no account was made");
    let (status, location, session) = form_post(
        &app,
        "confirm_sign_up",
        &[("token", &token), ("password", "not the one")],
    )
    .await;
    assert!(
        !session,
        "a wrong password signs nobody in ({status} {location})"
    );
    assert_eq!(count::<user::Entity>(&app).await, 0, "no account was made");
    let res = app
        .gql(
            &Auth::None,
            CONFIRM_SIGN_UP,
            json!({ "t": token, "p": PASSWORD }),
        )
        .await;
    assert!(res["data"]["confirmSignUp"]["token"].is_string(), "{res}");
    assert_eq!(count::<user::Entity>(&app).await, 1);
    app.finish().await;
}

both_dbs!(
    confirming_needs_the_password,
    bad_sign_up_input,
    aliased_sign_ups_are_refused_before_any_runs,
    a_taken_email_answers_like_a_new_one,
    a_sign_up_link_works_once_and_expires,
    sign_ups_are_limited_per_client_and_per_email,
    the_dashboard_signs_up_without_javascript,
);
