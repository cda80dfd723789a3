//! Connecting to the database and applying migrations. A SQLite database and its
//! `-wal`/`-shm` files are private to the process's user (see [`crate::data_dir`]).

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use secrecy::{ExposeSecret, SecretString};

/// Connects (creating the SQLite file and its directory when needed).
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(url: &SecretString) -> anyhow::Result<DatabaseConnection> {
    let url = url.expose_secret();
    let sqlite_file = url
        .strip_prefix("sqlite://")
        .and_then(|p| p.split('?').next())
        .filter(|p| !p.is_empty() && !p.starts_with(':'))
        .map(std::path::Path::new);
    if let Some(dir) = sqlite_file
        .and_then(std::path::Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
    {
        crate::data_dir::create_private_dir(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // One writer at a time is SQLite's rule: WAL keeps readers concurrent and the busy
        // timeout makes writers wait instead of failing. Set on every pooled connection.
        opts.max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
            });
    } else {
        opts.max_connections(32);
    }
    let db = Database::connect(opts)
        .await
        .context("connecting to the database")?;
    if let Some(file) = sqlite_file {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = file.as_os_str().to_owned();
            path.push(suffix);
            crate::data_dir::secure_file(std::path::Path::new(&path));
        }
    }
    Ok(db)
}

/// Applies pending migrations; returns how many ran.
///
/// # Errors
/// When a migration fails.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let pending = Migrator::get_pending_migrations(db)
        .await
        .context("reading migrations")?
        .len();
    Migrator::up(db, None)
        .await
        .context("applying migrations")?;
    if pending > 0 {
        tracing::info!(applied = pending, "database migrated");
    }
    Ok(pending)
}
