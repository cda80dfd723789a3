//! Callback slots (issue 17 §2): "call me back at…" a time the business offers.
//!
//! - `callback_slot_policies`: per business, how slots are cut from the opening hours
//!   (slot length, buffer between slots, minimum notice, booking window) and how many
//!   callbacks one slot takes (its capacity). A business without a row uses the defaults.
//! - `callback_bookings`: one row per booked seat of a slot. The unique index on
//!   `(business_id, slot_at, seat)` is what keeps a slot from being booked past its
//!   capacity under concurrent requests: a booking takes the first free seat below the
//!   capacity, and two requests can never hold the same one.
//! - `callbacks.slot_at`: when a scheduled callback is due; `caller_zone`: the caller's
//!   time zone, for the reminder; `reminded_at`: when the reminder went out (once).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "callbacks",
            timestamp_with_time_zone_null("slot_at"),
        )
        .await?;
        // The caller's IANA zone (the reminder says the time in it), and when it was sent.
        add_column(manager, "callbacks", string_null("caller_zone")).await?;
        add_column(
            manager,
            "callbacks",
            timestamp_with_time_zone_null("reminded_at"),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("callback_slot_policies")
                    .col(pk_uuid("business_id"))
                    .col(integer("slot_minutes"))
                    .col(integer("buffer_minutes"))
                    .col(integer("notice_minutes"))
                    .col(integer("window_days"))
                    .col(integer("capacity"))
                    // Minutes before a booked time the caller is reminded (0: never).
                    .col(integer("reminder_minutes"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_callback_slot_policies_business",
                        ("callback_slot_policies", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("callback_bookings")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid_uniq("callback_id"))
                    .col(timestamp_with_time_zone("slot_at"))
                    .col(integer("seat"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_callback_bookings_business",
                        ("callback_bookings", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_callback_bookings_callback",
                        ("callback_bookings", "callback_id"),
                        "callbacks",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_callback_bookings_seat",
                "callback_bookings",
                &["business_id", "slot_at", "seat"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["callback_bookings", "callback_slot_policies"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        drop_column(manager, "callbacks", "reminded_at").await?;
        drop_column(manager, "callbacks", "caller_zone").await?;
        drop_column(manager, "callbacks", "slot_at").await
    }
}
