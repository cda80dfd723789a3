//! Sent emails (issue 17 §11): the `Message-ID` of every email the SMTP server accepted,
//! written right after it accepted it. A `send_email` job run again after a crash (its
//! acknowledgement lost) finds its id here and sends nothing, so a retry does not send a
//! second copy. Rows older than the job retention are purged by the periodic sweep.

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
                    .table("sent_emails")
                    .col(string("message_id").primary_key())
                    .col(timestamp_with_time_zone("sent_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_sent_emails_sent_at",
                "sent_emails",
                &["sent_at"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("sent_emails").to_owned())
            .await
    }
}
