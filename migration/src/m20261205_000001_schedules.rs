//! Opening hours and out-of-office (issue 16): a business's schedule and the teams' own
//! (weekly hours in an IANA time zone), their date overrides (closed days and special
//! hours), and out-of-office switches of the business and of each member.
//!
//! Weekly hours are one text column in their canonical form (seven days joined by `|`,
//! Monday first, e.g. `09:00-17:00|…||`), parsed by `entity::schedules::WeeklyHours`:
//! they are always read and written whole. Every row carries `business_id`.

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
                    .table("schedules")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    // `NULL`: the business's own schedule; else a team's.
                    .col(uuid_null("team_id"))
                    .col(string("time_zone"))
                    .col(string("weekly"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_schedules_business",
                        ("schedules", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_schedules_team",
                        ("schedules", "team_id"),
                        "teams",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ux_schedules_team", "schedules", &["team_id"], true))
            .await?;
        // One business schedule per business: NULLs are distinct in a unique index, so a
        // partial one (SQLite and PostgreSQL both have them).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_schedules_business ON schedules (business_id) \
                 WHERE team_id IS NULL",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("schedule_overrides")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid("schedule_id"))
                    .col(date("date"))
                    .col(string("name"))
                    // The day's intervals in canonical form; empty: closed all day.
                    .col(string("hours"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_schedule_overrides_business",
                        ("schedule_overrides", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_schedule_overrides_schedule",
                        ("schedule_overrides", "schedule_id"),
                        "schedules",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_schedule_overrides_date",
                "schedule_overrides",
                &["schedule_id", "date"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_schedule_overrides_business",
                "schedule_overrides",
                &["business_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("out_of_office")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    // `NULL`: the business's switch; else a member's.
                    .col(uuid_null("user_id"))
                    .col(boolean("enabled"))
                    .col(string("message"))
                    .col(timestamp_with_time_zone_null("until"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_out_of_office_business",
                        ("out_of_office", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_out_of_office_user",
                        ("out_of_office", "user_id"),
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_out_of_office_member",
                "out_of_office",
                &["business_id", "user_id"],
                true,
            ))
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_out_of_office_business ON out_of_office (business_id) \
                 WHERE user_id IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["out_of_office", "schedule_overrides", "schedules"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
