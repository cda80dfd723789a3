//! Mail through the job queue, end to end: `Outbox::send_email` on a [`jobs::Queue`] stores
//! a job in the database, the running worker picks it up and delivers it to a real SMTP
//! server (or the outbox directory). Every scenario runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

mod helpers;
mod smtp_sink;

use std::time::Duration;

use entity::outbox::{Outbox, OutgoingEmail};
use helpers::{DbKind, TestApp};
use smtp_sink::{Behaviour, SmtpSink};

const WAIT: Duration = Duration::from_secs(10);

fn welcome_email() -> OutgoingEmail {
    OutgoingEmail {
        calendar: None,
        to: "ann@example.com".to_owned(),
        subject: "Welcome to domaincall".to_owned(),
        text: "Hello Ann, your business line is ready.".to_owned(),
        html: Some("<p>Hello Ann, your business line is ready.</p>".to_owned()),
    }
}

async fn delivers_through_smtp(kind: DbKind) {
    let sink = SmtpSink::start(Behaviour::default()).await;
    let app = TestApp::start(kind, Some(sink.url())).await;

    app.queue.send_email(welcome_email()).await.unwrap();

    let messages = sink.wait_for_messages(1, WAIT).await;
    let message = &messages[0];
    assert_eq!(message.from, "noreply@domaincall.test");
    assert_eq!(message.to, vec!["ann@example.com".to_owned()]);
    assert!(
        message.data.contains("Subject: Welcome to domaincall"),
        "{}",
        message.data
    );
    assert!(
        message.data.contains("To: ann@example.com"),
        "{}",
        message.data
    );
    assert!(
        message
            .data
            .contains("Hello Ann, your business line is ready."),
        "{}",
        message.data
    );
    assert!(
        message.data.contains("multipart/alternative"),
        "{}",
        message.data
    );
    assert!(message.data.contains("<p>Hello Ann"), "{}", message.data);
    assert!(
        message.data.contains("@domaincall.test>"),
        "Message-ID from the job id"
    );
    app.wait_for_jobs(WAIT, |jobs| jobs.len() == 1 && jobs[0].0 == "Done")
        .await;
    app.stop().await;
    assert_eq!(sink.messages().len(), 1, "sent exactly once");
}

/// A calendar file travels through SMTP as a `text/calendar` attachment next to the
/// plain and HTML parts (a scheduled callback's confirmation).
async fn delivers_a_calendar_attachment(kind: DbKind) {
    let sink = SmtpSink::start(Behaviour::default()).await;
    let app = TestApp::start(kind, Some(sink.url())).await;
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:x@test\r\nDTSTART:20261208T103000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let mut email = welcome_email();
    email.calendar = Some(ics.to_owned());
    app.queue.send_email(email).await.unwrap();
    let messages = sink.wait_for_messages(1, WAIT).await;
    let data = &messages[0].data;
    assert!(data.contains("multipart/mixed"), "{data}");
    assert!(data.contains("multipart/alternative"), "{data}");
    assert!(data.contains("Content-Type: text/calendar"), "{data}");
    assert!(data.contains("filename=\"invite.ics\""), "{data}");
    assert!(data.contains("DTSTART:20261208T103000Z"), "{data}");
    app.stop().await;
}

async fn retries_transient_failure(kind: DbKind) {
    let sink = SmtpSink::start(Behaviour {
        fail_first_data: 2,
        ..Behaviour::default()
    })
    .await;
    let app = TestApp::start(kind, Some(sink.url())).await;

    app.queue.send_email(welcome_email()).await.unwrap();

    let messages = sink.wait_for_messages(1, WAIT).await;
    assert_eq!(messages[0].to, vec!["ann@example.com".to_owned()]);
    let jobs = app
        .wait_for_jobs(WAIT, |jobs| jobs.len() == 1 && jobs[0].0 == "Done")
        .await;
    assert_eq!(jobs[0].1, 3, "three attempts recorded");
    // Refused twice, accepted on the third try, after exponentially growing pauses.
    let data = sink.data_commands();
    assert_eq!(data.len(), 3);
    let min = helpers::test_options().retry_min_delay;
    assert!(
        data[1] - data[0] >= min,
        "first retry after {:?}",
        data[1] - data[0]
    );
    assert!(
        data[2] - data[1] >= 2 * min,
        "second retry after {:?}",
        data[2] - data[1]
    );
    app.stop().await;
}

async fn permanent_failure_is_not_retried(kind: DbKind) {
    let sink = SmtpSink::start(Behaviour {
        reject_recipients: true,
        ..Behaviour::default()
    })
    .await;
    let app = TestApp::start(kind, Some(sink.url())).await;

    app.queue.send_email(welcome_email()).await.unwrap();

    let jobs = app
        .wait_for_jobs(WAIT, |jobs| jobs.len() == 1 && jobs[0].0 == "Killed")
        .await;
    assert_eq!(jobs[0].1, 1, "one attempt only");
    // Give a wrongly scheduled retry the time to show up.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(sink.rcpt_commands(), 1, "the 550 was not retried");
    assert!(sink.messages().is_empty());
    app.stop().await;
}

async fn shutdown_finishes_jobs_in_flight(kind: DbKind) {
    let accept_delay = Duration::from_millis(800);
    let sink = SmtpSink::start(Behaviour {
        accept_delay,
        ..Behaviour::default()
    })
    .await;
    let app = TestApp::start(kind, Some(sink.url())).await;

    app.queue.send_email(welcome_email()).await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while sink.data_commands().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the job never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Shut down while the SMTP server is still chewing on the message.
    let db = app.stop_keeping_db().await;
    assert_eq!(sink.messages().len(), 1, "the job in flight was finished");
    let jobs = db.send_email_jobs().await;
    assert_eq!(jobs, vec![("Done".to_owned(), 1)], "and acknowledged");
}

async fn writes_file_without_smtp(kind: DbKind) {
    let app = TestApp::start(kind, None).await;
    let mut email = welcome_email();
    email.html = None;

    app.queue.send_email(email).await.unwrap();

    let deadline = std::time::Instant::now() + WAIT;
    let file = loop {
        let eml = std::fs::read_dir(&app.outbox_dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| path.extension().is_some_and(|ext| ext == "eml"));
        if let Some(path) = eml {
            break path;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no .eml file in {:?}",
            app.outbox_dir
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    app.wait_for_jobs(WAIT, |jobs| jobs.len() == 1 && jobs[0].0 == "Done")
        .await;
    let content = std::fs::read_to_string(&file).unwrap();
    assert!(content.contains("To: ann@example.com"), "{content}");
    assert!(
        content.contains("Subject: Welcome to domaincall"),
        "{content}"
    );
    assert!(content.contains("Content-Type: text/plain"), "{content}");
    assert!(
        content.contains("Hello Ann, your business line is ready."),
        "{content}"
    );
    app.stop().await;
}

#[tokio::test]
async fn sqlite_delivers_through_smtp() {
    delivers_through_smtp(DbKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_delivers_through_smtp() {
    delivers_through_smtp(DbKind::Postgres).await;
}

#[tokio::test]
async fn sqlite_delivers_a_calendar_attachment() {
    delivers_a_calendar_attachment(DbKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_delivers_a_calendar_attachment() {
    delivers_a_calendar_attachment(DbKind::Postgres).await;
}

#[tokio::test]
async fn sqlite_retries_transient_failure() {
    retries_transient_failure(DbKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_retries_transient_failure() {
    retries_transient_failure(DbKind::Postgres).await;
}

#[tokio::test]
async fn sqlite_permanent_failure_is_not_retried() {
    permanent_failure_is_not_retried(DbKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_permanent_failure_is_not_retried() {
    permanent_failure_is_not_retried(DbKind::Postgres).await;
}

#[tokio::test]
async fn sqlite_writes_file_without_smtp() {
    writes_file_without_smtp(DbKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_writes_file_without_smtp() {
    writes_file_without_smtp(DbKind::Postgres).await;
}

#[tokio::test]
async fn sqlite_shutdown_finishes_jobs_in_flight() {
    shutdown_finishes_jobs_in_flight(DbKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_shutdown_finishes_jobs_in_flight() {
    shutdown_finishes_jobs_in_flight(DbKind::Postgres).await;
}
