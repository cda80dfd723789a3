//! Killing the worker mid-batch loses no mail (issue 17 §11): 200 emails are queued, a
//! separate `domaincall worker` process sends them to a real SMTP server on loopback and is
//! killed with SIGKILL four times along the way, restarted each time. In the end every
//! email was delivered and is remembered as sent; the test prints how many arrived twice:
//! a mail whose acceptance by the SMTP server was not yet written down when the worker died
//! is sent again, under the same `Message-ID`, so a receiver can tell.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use entity::outbox::OutgoingEmail;
use tokio::process::{Child, Command};

use crate::both_dbs;
use crate::helpers::{Db, TestApp};

// The jobs crate's SMTP sink; this test reads only what it accepted.
#[allow(dead_code)]
#[path = "../../../jobs/tests/mail/smtp_sink.rs"]
mod smtp_sink;

use smtp_sink::{Behaviour, SmtpSink};

const EMAILS: usize = 200;
const KILLS: usize = 4;

/// A `domaincall worker` on the app's database, sending through `smtp`.
fn worker(app: &TestApp, smtp: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_domaincall"))
        .arg("worker")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DOMAINCALL_DATABASE_URL", &app.database_url)
        .env("DOMAINCALL_DATA_DIR", app.data_dir.join("worker"))
        .env("DOMAINCALL_SMTP_URL", smtp)
        .env("DOMAINCALL_JOB_POLL_INTERVAL", "20ms")
        .env("DOMAINCALL_SWEEP_INTERVAL", "1h")
        .env("DOMAINCALL_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the domaincall binary")
}

/// Each accepted message's `Message-ID`.
fn message_ids(sink: &SmtpSink) -> Vec<String> {
    sink.messages()
        .iter()
        .filter_map(|m| {
            m.data.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("message-id")
                    .then(|| value.trim().to_owned())
            })
        })
        .collect()
}

async fn killing_the_worker_mid_batch_loses_no_mail(db: Db) {
    // The app itself runs no workers: the separate process does all the sending.
    let app = TestApp::spawn_with(db, |s| s.run_workers = false).await;
    let sink = SmtpSink::start(Behaviour {
        accept_delay: Duration::from_millis(15),
        ..Behaviour::default()
    })
    .await;
    let queue = jobs::Queue::connect(&app.services.db).await.unwrap();
    for n in 0..EMAILS {
        let email = OutgoingEmail {
            to: format!("reader-{n}@example.org"),
            subject: format!("Batch mail {n}"),
            text: format!("Mail number {n} of the batch."),
            html: None,
            calendar: None,
        };
        queue
            .push(jobs::SendEmail {
                email,
                outbox_id: None,
            })
            .await
            .unwrap();
    }

    // Kill it with SIGKILL as soon as more mail went out, four times, restarting it each
    // time; the last one runs until everything arrived.
    let mut child = worker(&app, &sink.url());
    for kill in 1..=KILLS {
        let target = kill * EMAILS / (KILLS + 2);
        let deadline = Instant::now() + Duration::from_secs(60);
        while sink.messages().len() < target && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        child = worker(&app, &sink.url());
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut counts: HashMap<String, usize> = HashMap::new();
    while Instant::now() < deadline {
        counts.clear();
        for id in message_ids(&sink) {
            *counts.entry(id).or_default() += 1;
        }
        if counts.len() >= EMAILS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let the worker write down the last acceptances before it goes.
    let deadline = Instant::now() + Duration::from_secs(10);
    for id in counts.keys() {
        let id = id.trim_start_matches('<').trim_end_matches('>');
        while !entity::sent_emails::was_sent(&app.services.db, id)
            .await
            .unwrap()
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    child.start_kill().unwrap();
    let _ = child.wait().await;

    let delivered = sink.messages();
    let mut subjects: Vec<usize> = delivered
        .iter()
        .filter_map(|m| {
            m.data
                .lines()
                .find_map(|l| l.strip_prefix("Subject: Batch mail "))
                .and_then(|n| n.trim().parse().ok())
        })
        .collect();
    subjects.sort_unstable();
    subjects.dedup();
    let duplicates = delivered.len() - counts.len();
    println!(
        "worker crash test ({db:?}): {EMAILS} emails, {KILLS} kill -9s, {} delivered, {} distinct, {duplicates} duplicates",
        delivered.len(),
        counts.len()
    );
    assert_eq!(
        subjects,
        (0..EMAILS).collect::<Vec<_>>(),
        "every email arrives at least once"
    );
    assert_eq!(counts.len(), EMAILS, "one Message-ID per email");
    assert!(
        counts.values().all(|n| *n <= 1 + KILLS),
        "a mail is sent again at most once per kill: {counts:?}"
    );
    // What was sent is remembered: a job run again now would send nothing.
    for id in counts.keys() {
        let id = id.trim_start_matches('<').trim_end_matches('>');
        assert!(
            entity::sent_emails::was_sent(&app.services.db, id)
                .await
                .unwrap(),
            "{id} is not remembered as sent"
        );
    }
    app.finish().await;
}

both_dbs!(killing_the_worker_mid_batch_loses_no_mail);
