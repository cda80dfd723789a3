//! The durable job queue, stored by apalis in the application's own database.
//!
//! Sharing sea-orm's sqlx pool means no second database, no broker to run, and zero
//! configuration on SQLite. Each job type is its own apalis queue, named by [`Job::NAME`],
//! so adding a job never disturbs the rows of another.

use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use entity::outbox::{Outbox, OutgoingEmail};
use entity::DomainError;
use sea_orm::sqlx::{PgPool, SqlitePool};
use sea_orm::{DatabaseConnection, DatabaseConnectionType};
use serde::{de::DeserializeOwned, Serialize};

use crate::judge_reward::JudgeReward;
use crate::send_email::SendEmail;

/// A job payload: serialised into the queue, handed to its handler by a worker.
///
/// Handlers must be idempotent: a job may run again after a crash or a retry.
pub trait Job: Serialize + DeserializeOwned + Clone + Send + Sync + Unpin + 'static {
    /// The stable name of the job: its apalis queue (the `job_type` column) and the prefix
    /// of its worker's name. Never rename a job once deployed: queued rows carry the name.
    const NAME: &'static str;

    /// How many times the job runs at most (first try included) before it stays failed.
    const MAX_ATTEMPTS: usize = 5;
}

/// The queue could not store a job.
#[derive(Debug, thiserror::Error)]
#[error("could not queue job {job}: {message}")]
pub struct QueueError {
    job: &'static str,
    message: String,
}

impl From<QueueError> for DomainError {
    fn from(e: QueueError) -> Self {
        DomainError::Internal(e.to_string())
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Handle to push jobs; cheap to clone (it holds the database pool).
#[derive(Clone, Debug)]
pub struct Queue {
    pub(crate) pool: Pool,
}

impl Queue {
    /// Uses the pool of `db` for the queue and runs apalis's migrations on it.
    ///
    /// On SQLite it also switches the database to WAL journaling, so workers and request
    /// handlers do not block each other. (It does not call `SqliteStorage::setup`, which
    /// would also turn off `synchronous` on a connection of the application's pool.)
    ///
    /// # Errors
    /// When `db` is neither a SQLite nor a PostgreSQL pool, or a migration fails.
    pub async fn connect(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let pool = match &db.inner {
            DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
                let pool = db.get_sqlite_connection_pool().clone();
                sea_orm::sqlx::query("PRAGMA journal_mode = WAL;")
                    .execute(&pool)
                    .await?;
                SqliteStorage::migrations().run(&pool).await?;
                Pool::Sqlite(pool)
            }
            DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
                let pool = db.get_postgres_connection_pool().clone();
                PostgresStorage::setup(&pool).await?;
                Pool::Postgres(pool)
            }
            _ => anyhow::bail!("the job queue needs a SQLite or PostgreSQL database"),
        };
        Ok(Self { pool })
    }

    /// Queues `job` to run as soon as a worker is free.
    ///
    /// # Errors
    /// [`QueueError`] when the job cannot be stored.
    pub async fn push<J: Job>(&self, job: J) -> Result<(), QueueError> {
        self.push_after(job, Duration::ZERO).await
    }

    /// Queues `job` to run once `delay` has passed (for re-checks and reminders).
    ///
    /// # Errors
    /// [`QueueError`] when the job cannot be stored.
    #[tracing::instrument(skip_all, err, fields(job = J::NAME))]
    pub async fn push_after<J: Job>(&self, job: J, delay: Duration) -> Result<(), QueueError> {
        let mut task = TaskBuilder::new(job).max_attempts(J::MAX_ATTEMPTS);
        if !delay.is_zero() {
            task = task.run_after(delay);
        }
        let task = task.build();
        let result = match &self.pool {
            Pool::Sqlite(pool) => sqlite_storage::<J>(pool)
                .push_task(task)
                .await
                .map_err(|e| e.to_string()),
            Pool::Postgres(pool) => postgres_storage::<J>(pool)
                .push_task(task)
                .await
                .map_err(|e| e.to_string()),
        };
        result.map_err(|message| QueueError {
            job: J::NAME,
            message,
        })
    }
}

/// How often a worker tells the database it is alive. A job taken by a worker that missed
/// [`MISSED_HEARTBEATS`] of them (killed, its machine gone) is queued again by the next
/// heartbeat of a live one: about 10 s after the crash instead of apalis' default minute.
const HEARTBEAT: Duration = Duration::from_secs(5);
const MISSED_HEARTBEATS: usize = 2;

/// The SQLite storage of job type `J`, on its own queue.
pub(crate) fn sqlite_storage<J: Job>(pool: &SqlitePool) -> SqliteStorage<J> {
    let config = apalis_sqlite::Config::default()
        .queue(J::NAME)
        .heartbeat_interval(HEARTBEAT)
        .missed_heartbeats(MISSED_HEARTBEATS);
    SqliteStorage::new(pool).with_config(config)
}

/// The PostgreSQL storage of job type `J`, on its own queue.
pub(crate) fn postgres_storage<J: Job>(pool: &PgPool) -> PostgresStorage<J> {
    let config = apalis_postgres::Config::default()
        .queue(J::NAME)
        .heartbeat_interval(HEARTBEAT)
        .missed_heartbeats(MISSED_HEARTBEATS);
    PostgresStorage::new(pool).with_config(config)
}

#[async_trait::async_trait]
impl Outbox for Queue {
    async fn send_email(&self, email: OutgoingEmail) -> Result<(), DomainError> {
        Ok(self
            .push(SendEmail {
                email,
                outbox_id: None,
            })
            .await?)
    }

    async fn relay_email(&self, id: uuid::Uuid, email: OutgoingEmail) -> Result<(), DomainError> {
        Ok(self
            .push(SendEmail {
                email,
                outbox_id: Some(id),
            })
            .await?)
    }

    async fn judge_reward(&self, call_id: uuid::Uuid) -> Result<(), DomainError> {
        Ok(self.push(JudgeReward { call_id }).await?)
    }
}
