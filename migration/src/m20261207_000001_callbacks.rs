//! Callbacks (issue 17): `callbacks`, what a caller nobody could answer asked for (call me
//! back, with an email), and `signed_links`, the single-use, expiring links mailed to them
//! (`/l/{token}`: join the call a member starts, cancel the request), stored as a SHA-256
//! of the token. `calls.callback_id` marks a call that returns a callback (outbound).
//! Every row carries `business_id`.

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
                    .table("callbacks")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("intent_id"))
                    .col(string("called_domain"))
                    // The caller identity that asked (a guest's name or a verified domain).
                    .col(string("caller_name"))
                    .col(boolean("caller_verified"))
                    .col(string("email"))
                    .col(string_null("name"))
                    .col(text_null("note"))
                    // pending, in_progress, done, cancelled, expired.
                    .col(string("status"))
                    // The member who called back last (or was assigned).
                    .col(uuid_null("member_id"))
                    // The missed call it came from, if any.
                    .col(uuid_null("call_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_callbacks_business",
                        ("callbacks", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_callbacks_business_created",
                "callbacks",
                &["business_id", "created_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("signed_links")
                    .col(pk_uuid("id"))
                    .col(string_uniq("token_hash"))
                    // join, cancel.
                    .col(string("purpose"))
                    .col(uuid("business_id"))
                    .col(uuid("callback_id"))
                    // For `join`: the member the call rings.
                    .col(uuid_null("member_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut fk(
                        "fk_signed_links_business",
                        ("signed_links", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_signed_links_callback",
                        ("signed_links", "callback_id"),
                        "callbacks",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("calls")
                    .add_column(uuid_null("callback_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("calls")
                    .drop_column("callback_id")
                    .to_owned(),
            )
            .await?;
        for table in ["signed_links", "callbacks"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
