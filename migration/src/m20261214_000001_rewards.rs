//! Rewards for waiting (issue 17 §10, claim 16).
//!
//! - `reward_policies`: per business, what a caller earns for waiting past a threshold —
//!   points per started minute beyond it (up to a cap) and/or a coupon code from a template.
//!   `enabled_at` is when it was last switched on: only calls requested since earn.
//! - `reward_checks`: one row per call the reward job has judged, inserted in the
//!   transaction that issues its reward (if any). The primary key on `call_id` is what
//!   makes the job issue at most one reward per call, however often it runs.
//! - `rewards`: the ledger — one row per reward issued, per contact; redeemed once, the
//!   redemption keyed by the integration's idempotency key (unique per business).

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
                    .table("reward_policies")
                    .col(pk_uuid("business_id"))
                    .col(boolean("enabled"))
                    .col(integer("threshold_secs"))
                    .col(integer("points_per_minute"))
                    .col(integer_null("cap_points"))
                    .col(string_null("coupon_template"))
                    .col(timestamp_with_time_zone_null("enabled_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_reward_policies_business",
                        ("reward_policies", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reward_checks")
                    .col(pk_uuid("call_id"))
                    .col(uuid("business_id"))
                    .col(timestamp_with_time_zone("checked_at"))
                    .foreign_key(&mut fk(
                        "fk_reward_checks_business",
                        ("reward_checks", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("rewards")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid_uniq("call_id"))
                    .col(uuid_null("contact_id"))
                    .col(string("caller_name"))
                    .col(big_integer("wait_ms"))
                    .col(integer("points"))
                    .col(string_null("coupon_code"))
                    .col(string_null("email"))
                    .col(timestamp_with_time_zone("issued_at"))
                    .col(timestamp_with_time_zone_null("redeemed_at"))
                    .col(string_null("redeem_key"))
                    .col(uuid_null("redeemed_by"))
                    .foreign_key(&mut fk(
                        "fk_rewards_business",
                        ("rewards", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_rewards_business_issued",
                "rewards",
                &["business_id", "issued_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_rewards_contact",
                "rewards",
                &["business_id", "contact_id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_rewards_redeem_key",
                "rewards",
                &["business_id", "redeem_key"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["rewards", "reward_checks", "reward_policies"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
