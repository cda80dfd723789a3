//! Statement builders shared by the migrations.

use sea_orm_migration::prelude::*;

/// A foreign key from `from` (table, column) to `to.id`, deleting along with its target.
pub fn fk(
    name: &str,
    from: (&'static str, &'static str),
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// An index on `cols` of `table`.
pub fn index(
    name: &str,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut idx = Index::create().name(name).table(table).to_owned();
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    idx
}

/// Adds `column` to `table` (an existing table: the column must be nullable or have a
/// default).
pub async fn add_column(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

/// Drops `column` of `table`.
pub async fn drop_column(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: &'static str,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}
