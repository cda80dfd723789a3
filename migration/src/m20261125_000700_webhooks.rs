//! Signed webhooks: the endpoints a business registers and the outbox of deliveries.
//!
//! A delivery row is written in the same transaction as the change it reports (so a
//! rolled-back change sends nothing) and doubles as the delivery log: its status, attempt
//! count, next attempt and the last response. `(status, next_attempt_at)` is what the relay
//! scans for due work; `(endpoint_id, id)` pages an endpoint's log newest first (ids are
//! UUIDv7, so they sort by time).

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
                    .table("webhook_endpoints")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(text("url"))
                    .col(string("description"))
                    // Subscribed event types, comma-separated (`call.requested,call.ended`).
                    .col(text("events"))
                    .col(boolean("enabled"))
                    .col(string("secret"))
                    .col(string_null("previous_secret"))
                    .col(timestamp_with_time_zone_null("previous_secret_expires_at"))
                    .col(string_null("disabled_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_webhook_endpoints_business",
                        ("webhook_endpoints", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_webhook_endpoints_business",
                "webhook_endpoints",
                &["business_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid("endpoint_id"))
                    .col(string("event_type"))
                    .col(text("payload"))
                    .col(string("status"))
                    .col(integer("round"))
                    .col(integer("attempts"))
                    .col(integer_null("attempt_limit"))
                    .col(timestamp_with_time_zone_null("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("queued_at"))
                    .col(timestamp_with_time_zone_null("sending_until"))
                    .col(timestamp_with_time_zone_null("last_attempt_at"))
                    .col(integer_null("last_http_status"))
                    .col(big_integer_null("last_response_ms"))
                    .col(string_null("last_error"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_webhook_deliveries_endpoint",
                        ("webhook_deliveries", "endpoint_id"),
                        "webhook_endpoints",
                    ))
                    .foreign_key(&mut fk(
                        "fk_webhook_deliveries_business",
                        ("webhook_deliveries", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_webhook_deliveries_endpoint", &["endpoint_id", "id"][..]),
            (
                "ix_webhook_deliveries_due",
                &["status", "next_attempt_at"][..],
            ),
            ("ix_webhook_deliveries_created", &["created_at"][..]),
        ] {
            manager
                .create_index(index(name, "webhook_deliveries", cols, false))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["webhook_deliveries", "webhook_endpoints"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
