//! The mail outbox (DESIGN.md "One outbox"): an email a change causes is written as a row
//! in the change's own transaction, so a crash after the commit cannot lose it; the
//! producer hands it to the job queue after the commit (`relayed_at`), and the workers'
//! sweep hands over any row left behind. Its id is the email's `Message-ID`, so a row
//! handed over twice is still sent once (`sent_emails`).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("mail_outbox")
                    .col(uuid("id").primary_key())
                    .col(text("payload"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("relayed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_mail_outbox_relayed_at",
                "mail_outbox",
                &["relayed_at", "created_at"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("mail_outbox").to_owned())
            .await
    }
}
