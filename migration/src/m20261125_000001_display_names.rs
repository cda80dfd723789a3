//! Display names: people are addressed by name, not by email, wherever a member is named
//! (members list, teams, routing choices, the call history). Optional: a member without one
//! is shown by email, as before.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, "users", string_null("display_name")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "users", "display_name").await
    }
}
