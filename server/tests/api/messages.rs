//! Messages: a caller nobody could answer leaves a text and a recording from the call
//! page; members get a mail, play the recording, mark it handled and reply by calling
//! back. Recordings are checked on the server (size, length, really audio), stored under
//! the data directory, and another business can neither see, play nor act on them.

use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::{json, Value};

use crate::both_dbs;
use crate::helpers::{error_code, Db, Owner, TestApp};
use crate::ws::{caller_token, greeted, next_call, verified_domain};

#[path = "../../../entity/tests/support/recordings.rs"]
mod recordings;

const BOUNDARY: &str = "----domaincall-message-boundary";

/// A multipart body of `fields` and, with `audio`, a recording.
fn form(fields: &[(&str, &str)], audio: Option<(&[u8], &str)>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((bytes, content_type)) = audio {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"message\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts a message as the caller of `caller` (none: no identity), from `origin` (none: no
/// browser): the status and the JSON answer.
async fn leave(
    app: &TestApp,
    caller: Option<&str>,
    origin: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = app
        .http
        .post(format!("{}/call/message", app.base))
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if let Some(caller) = caller {
        req = req.header(COOKIE, format!("dc_caller={caller}"));
    }
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    // A body past the limit is refused before it is read whole and the connection closed;
    // the client, still sending, may see the reset instead of the answer. Only that
    // transport race is retried: every attempt must still get the same answer.
    let mut attempts = 0;
    let res = loop {
        attempts += 1;
        match req.try_clone().expect("a buffered body").send().await {
            Ok(res) => break res,
            Err(e) if attempts < 5 && e.is_request() => continue,
            Err(e) => panic!("POST /call/message: {e}"),
        }
    };
    let status = res.status().as_u16();
    let remembered = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap_or_default().starts_with("dc_known_"));
    let mut answer: Value = res.json().await.unwrap_or(Value::Null);
    if remembered {
        answer["remembered"] = Value::Bool(true);
    }
    (status, answer)
}

const MESSAGES: &str = "{ messages { id status email name text audioType audioDurationMs \
    audioBytes audioPath contactId handledByName callbackId } }";

async fn messages(app: &TestApp, owner: &Owner) -> Value {
    let res = app.gql(&owner.auth(), MESSAGES, json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["messages"].clone()
}

/// The recording at `path` as the holder of session `token`: status, type, bytes.
async fn play(app: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let res = app
        .http
        .get(format!("{}{path}", app.base))
        .header(COOKIE, format!("dc_session={token}"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, res.bytes().await.unwrap().to_vec())
}

/// The files under the data directory's `messages`.
fn stored_recordings(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        count(&p)
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    count(&app.data_dir.join("messages"))
}

async fn a_voice_message_reaches_the_members_who_play_and_answer_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let mut agent_ws = greeted(&app, &owner.token).await;
    let caller = caller_token(&app).await;
    let recording = recordings::webm(7_300, false);
    let body = form(
        &[
            ("domain", domain.as_str()),
            ("email", "dana@example.net"),
            ("name", "Dana <b>"),
            ("text", "Please call about my order"),
        ],
        Some((&recording, "audio/webm;codecs=opus")),
    );
    let (status, left) = leave(&app, Some(&caller), None, body).await;
    assert_eq!(status, 201, "{left}");
    assert_eq!(left["audio_ms"], 7_300, "{left}");
    assert_eq!(
        left["remembered"], true,
        "an email makes the browser known: {left}"
    );
    assert!(left.get("business_id").is_none(), "{left}");
    // The dashboard's devices are told at once.
    let told = next_call(&mut agent_ws).await;
    assert_eq!(told["type"], "message_left", "{told}");
    assert_eq!(told["message_id"], left["id"], "{told}");

    // The members hear of it by mail, the caller's name as text.
    let mail = app
        .wait_for_mail_with(&owner.email, "left a voice message and a note")
        .await;
    assert!(mail.contains("New message"), "{mail}");
    let flat = crate::helpers::unfolded(&mail);
    assert!(
        flat.contains("Dana &lt;b&gt;"),
        "the name is escaped in HTML: {flat}"
    );
    assert!(!flat.contains("<strong>Dana <b>"), "{flat}");
    let list = messages(&app, &owner).await;
    let m = &list[0];
    assert_eq!(m["status"], "NEW", "{m}");
    assert_eq!(m["name"], "Dana <b>", "{m}");
    assert_eq!(m["text"], "Please call about my order", "{m}");
    assert_eq!(m["audioType"], "audio/webm", "{m}");
    assert_eq!(m["audioDurationMs"], 7_300, "{m}");
    assert_eq!(m["audioBytes"], recording.len(), "{m}");
    assert!(m["contactId"].is_string(), "the email makes a contact: {m}");
    let id = m["id"].as_str().unwrap();

    // The dashboard plays it: the very bytes, typed, not sniffable.
    let path = m["audioPath"].as_str().unwrap();
    let (status, content_type, bytes) = play(&app, path, &owner.token).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "audio/webm");
    assert_eq!(bytes, recording);
    assert_eq!(stored_recordings(&app), 1);

    // Handled, then replied to by calling back: the caller gets the link.
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { setMessageHandled(id: $id, handled: true) { status handledByName } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        res["data"]["setMessageHandled"]["status"], "HANDLED",
        "{res}"
    );
    assert!(
        res["data"]["setMessageHandled"]["handledByName"].is_string(),
        "{res}"
    );
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { replyToMessage(id: $id) { status email note } }",
            json!({ "id": id }),
        )
        .await;
    let callback = &res["data"]["replyToMessage"];
    assert_eq!(callback["status"], "IN_PROGRESS", "{res}");
    assert_eq!(callback["email"], "dana@example.net", "{res}");
    assert_eq!(callback["note"], "Please call about my order", "{res}");
    let mail = app.wait_for_mail_with("dana@example.net", "/l/").await;
    assert!(mail.contains("Alpha"), "{mail}");
    let again = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { replyToMessage(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&again), Some("CONFLICT"), "{again}");
    assert!(messages(&app, &owner).await[0]["callbackId"].is_string());

    // A text alone is a message too; without an email there is nobody to reply to.
    let body = form(
        &[("domain", domain.as_str()), ("text", "Open on Sunday?")],
        None,
    );
    let (status, left) = leave(&app, Some(&caller), None, body).await;
    assert_eq!(status, 201, "{left}");
    assert!(left["audio_ms"].is_null(), "{left}");
    assert!(
        left["remembered"].is_null(),
        "no email, nothing to remember: {left}"
    );
    let list = messages(&app, &owner).await;
    assert_eq!(list[0]["text"], "Open on Sunday?");
    assert!(list[0]["audioPath"].is_null());
    let res = app
        .gql(
            &owner.auth(),
            "mutation($id: ID!) { replyToMessage(id: $id) { status } }",
            json!({ "id": list[0]["id"] }),
        )
        .await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "{res}");
    app.finish().await;
}

/// A refused message: what it is, its extra fields, its recording, the field refused and
/// words of the reason.
type Refusal<'a> = (
    &'a str,
    Vec<(&'a str, &'a str)>,
    Option<Vec<u8>>,
    &'a str,
    &'a str,
);

async fn recordings_are_checked_on_the_server(db: Db) {
    let app = TestApp::spawn(db).await;
    let owner = app.sign_up("Alpha").await;
    let domain = verified_domain(&app, &owner).await;
    let caller = caller_token(&app).await;
    let d = domain.as_str();
    let mut big = recordings::webm(1_000, false);
    big.resize(entity::messages::audio::MAX_AUDIO_BYTES + 1, 0);
    let mut huge = big.clone();
    huge.resize(entity::messages::audio::MAX_AUDIO_BYTES * 2, 0);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec();
    let long_text = "x".repeat(entity::messages::TEXT_MAX + 1);
    let cases: [Refusal; 9] = [
        (
            "2:05 of WebM",
            vec![],
            Some(recordings::webm(125_000, false)),
            "audio",
            "too long",
        ),
        (
            "2:01 of Ogg",
            vec![],
            Some(recordings::ogg(121_000)),
            "audio",
            "too long",
        ),
        ("3 MB and a byte", vec![], Some(big), "audio", "too large"),
        (
            "6 MB, over the body limit",
            vec![],
            Some(huge),
            "audio",
            "too large",
        ),
        (
            "an image named audio",
            vec![],
            Some(png),
            "audio",
            "not a voice recording",
        ),
        (
            "a video",
            vec![],
            Some(recordings::webm(2_000, true)),
            "audio",
            "not a voice recording",
        ),
        (
            "nothing to say",
            vec![("text", "  ")],
            None,
            "text",
            "Write a message or record one",
        ),
        (
            "a text too long",
            vec![("text", long_text.as_str())],
            None,
            "text",
            "too long",
        ),
        (
            "a bad email",
            vec![("text", "hi"), ("email", "not-an-email")],
            None,
            "email",
            "",
        ),
    ];
    for (what, extra, audio, field, words) in cases {
        let mut fields = vec![("domain", d)];
        fields.extend(extra);
        let body = form(&fields, audio.as_deref().map(|a| (a, "audio/webm")));
        let (status, answer) = leave(&app, Some(&caller), None, body).await;
        assert_eq!(status, 422, "{what}: {answer}");
        assert_eq!(answer["code"], "VALIDATION", "{what}: {answer}");
        assert_eq!(answer["field"], field, "{what}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{what}: {answer}");
    }

    // Without a caller identity, from another site, to a domain nobody verified.
    let ok = || form(&[("domain", d), ("text", "hello")], None);
    let (status, answer) = leave(&app, None, None, ok()).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (401, Some("UNAUTHENTICATED")),
        "{answer}"
    );
    let (status, answer) = leave(&app, Some(&caller), Some("https://evil.example"), ok()).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (403, Some("FORBIDDEN")),
        "{answer}"
    );
    let nowhere = form(
        &[("domain", "nobody-verified.example"), ("text", "hello")],
        None,
    );
    let (status, answer) = leave(&app, Some(&caller), None, nowhere).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{answer}"
    );

    // Nothing refused was kept.
    assert_eq!(messages(&app, &owner).await, json!([]));
    assert_eq!(stored_recordings(&app), 0);

    // One identity leaves at most five an hour.
    for _ in 0..entity::messages::PER_HOUR {
        let (status, answer) = leave(&app, Some(&caller), None, ok()).await;
        assert_eq!(status, 201, "{answer}");
    }
    let (status, answer) = leave(&app, Some(&caller), None, ok()).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (429, Some("RATE_LIMITED")),
        "{answer}"
    );
    app.finish().await;
}

async fn another_business_cannot_see_play_or_answer_a_message(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.sign_up("Alpha").await;
    let b = app.sign_up("Beta").await;
    let (_, b_secret) = app.api_key(&b, "beta key").await;
    let domain = verified_domain(&app, &a).await;
    let caller = caller_token(&app).await;
    let recording = recordings::ogg(3_000);
    let body = form(
        &[
            ("domain", domain.as_str()),
            ("email", "x@example.net"),
            ("text", "secret"),
        ],
        Some((&recording, "audio/ogg")),
    );
    let (status, left) = leave(&app, Some(&caller), None, body).await;
    assert_eq!(status, 201, "{left}");
    let id = left["id"].as_str().unwrap();
    for auth in [b.auth(), crate::helpers::Auth::Bearer(b_secret.clone())] {
        let res = app.gql(&auth, "{ messages { id text } }", json!({})).await;
        assert_eq!(res["data"]["messages"], json!([]), "{res}");
        for (name, query) in [
            ("message", "query($id: ID!) { message(id: $id) { text } }"),
            (
                "setMessageHandled",
                "mutation($id: ID!) { setMessageHandled(id: $id, handled: true) { status } }",
            ),
            (
                "replyToMessage",
                "mutation($id: ID!) { replyToMessage(id: $id) { status } }",
            ),
        ] {
            let res = app.gql(&auth, query, json!({ "id": id })).await;
            assert_eq!(error_code(&res), Some("NOT_FOUND"), "{name}: {res}");
            assert!(!res.to_string().contains("secret"), "{name}: {res}");
        }
    }
    let (status, _, bytes) = play(&app, &format!("/app/messages/{id}/audio"), &b.token).await;
    assert_eq!(status, 404);
    assert_ne!(bytes, recording);
    let mine = messages(&app, &a).await;
    assert_eq!(mine[0]["status"], "NEW", "untouched: {mine}");
    let (status, content_type, bytes) =
        play(&app, &format!("/app/messages/{id}/audio"), &a.token).await;
    assert_eq!((status, content_type.as_str()), (200, "audio/ogg"));
    assert_eq!(bytes, recording);
    app.finish().await;
}

both_dbs!(
    a_voice_message_reaches_the_members_who_play_and_answer_it,
    recordings_are_checked_on_the_server,
    another_business_cannot_see_play_or_answer_a_message
);
