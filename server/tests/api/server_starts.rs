//! Servers starting in one process leave each other's pages alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::helpers::{Db, TestApp};

/// How many servers start while the pages are read.
const STARTS: usize = 24;
/// How many readers ask for pages at once.
const READERS: usize = 8;

/// A dashboard page answers in full while other servers of the same process start.
///
/// Starting a server once listed the app's routes by running the app with resource loading
/// switched off for the whole process (leptos-rs/leptos#4773); a page whose resource first
/// loaded inside that window never finished, and its request hung until CI gave up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_answer_while_other_servers_start() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let owner = app.sign_up("Steady").await;
    let starting = AtomicBool::new(true);
    let read = |_| {
        let (app, token, starting) = (&app, &owner.token, &starting);
        async move {
            let mut pages = 0;
            while starting.load(Ordering::Relaxed) {
                let page = async {
                    let res = app
                        .http
                        .get(format!("{}/app/domains", app.base))
                        .header("cookie", format!("dc_session={token}"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 200);
                    res.text().await.unwrap()
                };
                let html = tokio::time::timeout(Duration::from_secs(20), page)
                    .await
                    .expect("a page stopped answering while another server started");
                // The domains list is a resource: an answered page shows what it loaded.
                assert!(html.contains("No domains yet"), "{html:.400}");
                pages += 1;
            }
            pages
        }
    };
    let starts = async {
        for _ in 0..STARTS {
            TestApp::spawn(Db::Sqlite).await.finish().await;
        }
        starting.store(false, Ordering::Relaxed);
    };
    let (pages, ()) = tokio::join!(futures::future::join_all((0..READERS).map(read)), starts);
    let pages: usize = pages.into_iter().sum();
    assert!(pages >= READERS, "the readers read {pages} pages");
    app.finish().await;
}
