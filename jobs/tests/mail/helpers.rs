//! A fresh database per test (SQLite file or PostgreSQL database) and a running worker.

use std::path::PathBuf;
use std::time::Duration;

use jobs::{Deliverer, MailSettings, Mailer, Queue, WebhookSettings, WorkerContext, WorkerOptions};
use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed when dropped (best effort).
pub struct TestDb {
    pub db: DatabaseConnection,
    kind: DbKind,
    name: String,
    sqlite_path: Option<PathBuf>,
}

impl TestDb {
    pub async fn new(kind: DbKind) -> Self {
        let name = format!("jobs_test_{}", uuid::Uuid::new_v4().simple());
        match kind {
            DbKind::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.sqlite"));
                let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display()))
                    .await
                    .unwrap();
                Self {
                    db,
                    kind,
                    name,
                    sqlite_path: Some(path),
                }
            }
            DbKind::Postgres => {
                let admin = Database::connect(PG_ADMIN_URL).await.unwrap();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let db = Database::connect(format!("postgres://postgres@127.0.0.1:5432/{name}"))
                    .await
                    .unwrap();
                Self {
                    db,
                    kind,
                    name,
                    sqlite_path: None,
                }
            }
        }
    }

    /// `(status, attempts)` of every `send_email` job, as apalis stored them.
    pub async fn send_email_jobs(&self) -> Vec<(String, i64)> {
        match self.kind {
            DbKind::Sqlite => sea_orm::sqlx::query_as(
                "SELECT status, attempts FROM Jobs WHERE job_type = 'send_email' ORDER BY id",
            )
            .fetch_all(self.db.get_sqlite_connection_pool())
            .await
            .unwrap(),
            DbKind::Postgres => sea_orm::sqlx::query_as(
                "SELECT status::text, attempts::bigint FROM apalis.jobs \
                 WHERE job_type = 'send_email' ORDER BY id",
            )
            .fetch_all(self.db.get_postgres_connection_pool())
            .await
            .unwrap(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if self.kind == DbKind::Postgres {
            // Drop can't await; a short-lived runtime on another thread does the cleanup,
            // even when the test panicked.
            let name = self.name.clone();
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(PG_ADMIN_URL).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = admin.execute_unprepared(&sql).await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A queue on a fresh database with the workers running.
pub struct TestApp {
    pub queue: Queue,
    pub outbox_dir: PathBuf,
    pub db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    worker: Option<AbortOnDrop>,
    _outbox: RemoveOnDrop,
}

/// Stops the workers if a test ends without [`TestApp::stop`] (say, it panicked).
struct AbortOnDrop(Option<JoinHandle<anyhow::Result<()>>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = &self.0 {
            handle.abort();
        }
    }
}

/// Removes the outbox directory when the test is over.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn test_options() -> WorkerOptions {
    WorkerOptions {
        poll_interval: Duration::from_millis(100),
        retry_min_delay: Duration::from_millis(200),
        retry_max_delay: Duration::from_secs(1),
        shutdown_timeout: Duration::from_secs(5),
    }
}

impl TestApp {
    /// Starts workers sending through `smtp_url`, or into a fresh outbox directory.
    pub async fn start(kind: DbKind, smtp_url: Option<String>) -> Self {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let db = TestDb::new(kind).await;
        let outbox_dir =
            std::env::temp_dir().join(format!("jobs_outbox_{}", uuid::Uuid::new_v4().simple()));
        let mailer = Mailer::new(&MailSettings {
            smtp_url,
            from: "Domaincall <noreply@domaincall.test>".to_owned(),
            outbox_dir: outbox_dir.clone(),
        })
        .unwrap();
        // The application's tables too: the workers also run the webhook relay.
        migration::Migrator::up(&db.db, None).await.unwrap();
        let queue = Queue::connect(&db.db).await.unwrap();
        let webhooks = Deliverer::new(&WebhookSettings {
            dns_servers: vec![std::net::SocketAddr::from(([127, 0, 0, 1], 9))],
            ..WebhookSettings::default()
        })
        .unwrap();
        let ctx = WorkerContext {
            db: db.db.clone(),
            mailer,
            webhooks,
            queue: queue.clone(),
        };
        let (tx, rx) = oneshot::channel::<()>();
        let worker = tokio::spawn(jobs::run_with(queue.clone(), ctx, test_options(), async {
            let _ = rx.await;
        }));
        Self {
            queue,
            outbox_dir: outbox_dir.clone(),
            db,
            shutdown: Some(tx),
            worker: Some(AbortOnDrop(Some(worker))),
            _outbox: RemoveOnDrop(outbox_dir),
        }
    }

    /// Signals shutdown and checks the workers stop cleanly and promptly.
    pub async fn stop(self) {
        self.stop_keeping_db().await;
    }

    /// Like [`Self::stop`], handing back the database for inspection.
    pub async fn stop_keeping_db(mut self) -> TestDb {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(worker) = self.worker.take().and_then(|mut guard| guard.0.take()) {
            let result = tokio::time::timeout(Duration::from_secs(10), worker)
                .await
                .expect("workers did not stop within 10 s")
                .expect("worker task panicked");
            result.expect("workers returned an error");
        }
        self.db
    }

    /// Waits until `check` holds for the stored `send_email` jobs, failing after `timeout`.
    pub async fn wait_for_jobs(
        &self,
        timeout: Duration,
        check: impl Fn(&[(String, i64)]) -> bool,
    ) -> Vec<(String, i64)> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let jobs = self.db.send_email_jobs().await;
            if check(&jobs) {
                return jobs;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "jobs never got there: {jobs:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
