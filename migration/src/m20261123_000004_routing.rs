//! Routing data: a business's teams (who rings together, how, for how long, and who
//! comes next), their members, and the intents callers pick, each routed to everyone, a
//! team or one member.

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
                    .table("teams")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(string("name"))
                    .col(string("strategy"))
                    .col(integer("ring_timeout_secs"))
                    .col(uuid_null("fallback_team_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_teams_business",
                        ("teams", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_teams_fallback")
                            .from("teams", "fallback_team_id")
                            .to("teams", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_teams_business", "teams", &["business_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("team_members")
                    .col(uuid("business_id"))
                    .col(uuid("team_id"))
                    .col(uuid("user_id"))
                    .col(integer("position"))
                    .primary_key(Index::create().col("team_id").col("user_id"))
                    .foreign_key(&mut fk(
                        "fk_team_members_team",
                        ("team_members", "team_id"),
                        "teams",
                    ))
                    .foreign_key(&mut fk(
                        "fk_team_members_user",
                        ("team_members", "user_id"),
                        "users",
                    ))
                    .foreign_key(&mut fk(
                        "fk_team_members_business",
                        ("team_members", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_team_members_business_user",
                "team_members",
                &["business_id", "user_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("intents")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(string("label"))
                    // The label trimmed and lowercased: labels are unique per business
                    // regardless of case, on both databases, through a plain index.
                    .col(string("label_key"))
                    .col(integer("position"))
                    .col(string("target_kind"))
                    .col(uuid_null("target_team_id"))
                    .col(uuid_null("target_user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_intents_business",
                        ("intents", "business_id"),
                        "businesses",
                    ))
                    // No action on delete: deleting a team an intent routes to is refused.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_intents_team")
                            .from("intents", "target_team_id")
                            .to("teams", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_intents_business_label",
                "intents",
                &["business_id", "label_key"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_intents_business_position",
                "intents",
                &["business_id", "position"],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["intents", "team_members", "teams"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
