//! Routing by called domain (issue 16 §4): `domains.route_team_id`, the team a call to this
//! domain rings when the caller picked no intent (`sales.example.com` → team Sales). Null
//! means "everyone". No foreign key: SQLite cannot add one to an existing table, and team
//! deletion clears the column itself (`routing_setup::teams::delete_team`).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, "domains", uuid_null("route_team_id")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "domains", "route_team_id").await
    }
}
