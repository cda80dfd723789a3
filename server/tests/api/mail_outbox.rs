//! The mail outbox: an email is written in the transaction of the change that causes it,
//! so a producer that died after its commit still gets its mail sent (by the workers'
//! sweep), a rolled-back change sends nothing, and a mail handed over twice arrives once.

use std::time::Duration;

use entity::mail_outbox;
use entity::outbox::OutgoingEmail;
use sea_orm::TransactionTrait;

use crate::both_dbs;
use crate::helpers::{Db, TestApp};

fn mail(to: &str, text: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_owned(),
        subject: "About your request".to_owned(),
        text: text.to_owned(),
        html: None,
        calendar: None,
    }
}

async fn mail_left_behind_by_a_crash_is_sent_once(db: Db) {
    let app = TestApp::spawn_with(db, |s| s.sweep_interval = Duration::from_millis(100)).await;
    let services = &app.services;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (kept, dropped) = (
        format!("kept-{id}@example.net"),
        format!("dropped-{id}@example.net"),
    );
    // A change committed with its mail; the producer died before queueing it (a minute
    // ago, so the sweep considers it stranded).
    let then = chrono::Utc::now() - chrono::Duration::seconds(60);
    let txn = entity::tx::begin_write(&services.db).await.unwrap();
    let written = mail_outbox::write(&txn, mail(&kept, "Committed, never queued."), then)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    // A change that rolled back takes its mail with it.
    let txn = services.db.begin().await.unwrap();
    let _ = mail_outbox::write(&txn, mail(&dropped, "Rolled back."), then)
        .await
        .unwrap();
    txn.rollback().await.unwrap();

    let sent = app
        .wait_for_mail_with(&kept, "Committed, never queued.")
        .await;
    assert!(
        sent.contains(&format!("<{}@", written.id)),
        "the row's id is the Message-ID: {sent}"
    );
    // Handed over once more (a producer that queued it and died before marking it): the
    // job finds the Message-ID already sent.
    mail_outbox::hand_over(&services.db, services.outbox.as_ref(), vec![written]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(app.mails_to(&kept).len(), 1, "sent once");
    assert!(
        app.mails_to(&dropped).is_empty(),
        "a rolled-back mail is never sent"
    );
    app.finish().await;
}

both_dbs!(mail_left_behind_by_a_crash_is_sent_once);
