//! Call records: every call and its events, with the wait (request → accept) rewards use.

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
                    .table("calls")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(string("domain"))
                    .col(uuid_null("intent"))
                    .col(string("mode"))
                    .col(string("caller_name"))
                    .col(boolean("caller_verified"))
                    .col(string("state"))
                    .col(string_null("end_reason"))
                    .col(string_null("unavailable_reason"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(timestamp_with_time_zone_null("answered_at"))
                    .col(timestamp_with_time_zone_null("ended_at"))
                    .col(uuid_null("answered_by"))
                    .col(big_integer_null("wait_ms"))
                    .foreign_key(&mut fk(
                        "fk_calls_business",
                        ("calls", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_calls_business_requested",
                "calls",
                &["business_id", "requested_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("call_events")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid("call_id"))
                    .col(string("kind"))
                    .col(string("actor"))
                    .col(text_null("detail"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(&mut fk(
                        "fk_call_events_call",
                        ("call_events", "call_id"),
                        "calls",
                    ))
                    .foreign_key(&mut fk(
                        "fk_call_events_business",
                        ("call_events", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_call_events_call",
                "call_events",
                &["call_id", "at"],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["call_events", "calls"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
