//! Routing by called domain (issue 16 §4): `domains.route_team_id`, the team a call to this
//! domain rings when the caller picked no intent (`sales.example.com` → team Sales). Null
//! means "everyone". No foreign key: SQLite cannot add one to an existing table, and team
//! deletion clears the column itself (`routing_setup::teams::delete_team`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("domains")
                    .add_column(uuid_null("route_team_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("domains")
                    .drop_column("route_team_id")
                    .to_owned(),
            )
            .await
    }
}
