//! Calendar feeds (issue 17 §7): each member's private, revocable address of an iCalendar
//! feed of their business's booked callbacks, for their own calendar app. The address
//! holds 32 random bytes; only their SHA-256 is stored. One feed per member per business.

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
                    .table("calendar_feeds")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid("user_id"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_calendar_feeds_business",
                        ("calendar_feeds", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_calendar_feeds_user",
                        ("calendar_feeds", "user_id"),
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_calendar_feeds_member",
                "calendar_feeds",
                &["business_id", "user_id"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("calendar_feeds").to_owned())
            .await
    }
}
