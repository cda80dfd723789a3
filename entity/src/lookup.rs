//! Lookups by a primary or unique key that SQLite can keep prepared.
//!
//! sea-orm's `one()` appends `LIMIT ?` with 1 as a bound parameter. SQLite (3.46 and
//! later; we bundle 3.51) reads a bound LIMIT while planning and marks the statement to be
//! planned again whenever that parameter is bound, which is every execution: the cached
//! statement is parsed and planned anew on each call. Seen in the signaling bench, where
//! checking the sessions of 10,000 connecting agents re-prepared every lookup (about a
//! tenth of the server's CPU while they connected). A bound value compared with a partial
//! index's condition (`status = ?` against `WHERE status = 'verified'`) does the same, so
//! such conditions are written as literals ([`verified`]).

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Select};

use crate::types::DomainStatus;

/// The row `select` finds by a primary or unique key, without `LIMIT`: such a lookup
/// returns one row at most anyway. Not for queries that may match several rows.
///
/// # Errors
/// A database failure.
pub async fn by_key<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
) -> Result<Option<E::Model>, DbErr> {
    Ok(select.all(db).await?.into_iter().next())
}

/// `column = 'verified'` with the status as a literal, so SQLite matches the partial
/// indexes on verified domains without looking at a bound value.
#[must_use]
pub fn verified(column: impl ColumnTrait) -> SimpleExpr {
    let literal = format!("'{}'", DomainStatus::Verified.as_str());
    Expr::col(column).eq(Expr::cust(literal))
}
