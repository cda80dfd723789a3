//! Starting write transactions that behave on both databases.
//!
//! SQLite's default (deferred) transaction starts as a reader and fails with
//! `SQLITE_BUSY_SNAPSHOT` when it later writes after another connection committed (the
//! job workers write all the time). Write transactions therefore take the write lock up
//! front (`BEGIN IMMEDIATE`), waiting under the busy timeout instead of failing.
//! PostgreSQL ignores the option.

use sea_orm::{DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait};

/// Begins a transaction that will write.
///
/// # Errors
/// When the database cannot start it.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
