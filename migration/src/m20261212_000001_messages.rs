//! Messages (issue 17 §8): what a caller nobody could answer leaves instead — a text, a
//! recorded voice message, or both. The recording lives under the data directory at a
//! path made only of the business's and the message's ids; the row keeps its type, size
//! and the duration read off its bytes. Every row carries `business_id`.

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
                    .table("messages")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("intent_id"))
                    .col(string("called_domain"))
                    // The caller identity that left it (a guest's name or a verified domain).
                    .col(string("caller_name"))
                    .col(boolean("caller_verified"))
                    .col(string_null("email"))
                    .col(string_null("name"))
                    .col(text_null("text"))
                    // audio/webm or audio/ogg; null for a text-only message.
                    .col(string_null("audio_type"))
                    .col(big_integer_null("audio_bytes"))
                    .col(big_integer_null("audio_ms"))
                    // new, handled.
                    .col(string("status"))
                    .col(uuid_null("handled_by"))
                    .col(timestamp_with_time_zone_null("handled_at"))
                    // The callback a member's reply started.
                    .col(uuid_null("callback_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_messages_business",
                        ("messages", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_messages_business_created",
                "messages",
                &["business_id", "created_at"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("messages").to_owned())
            .await
    }
}
