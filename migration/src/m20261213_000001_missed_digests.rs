//! Missed-call digests (issue 17 §4): when each member was last mailed the summary of
//! missed calls nobody returned, so a member gets at most one per interval. One row per
//! member per business, claimed by a conditional update.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("missed_digests")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid("user_id"))
                    .col(timestamp_with_time_zone("sent_at"))
                    .foreign_key(&mut fk(
                        "fk_missed_digests_business",
                        ("missed_digests", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_missed_digests_member",
                "missed_digests",
                &["business_id", "user_id"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("missed_digests").to_owned())
            .await
    }
}
