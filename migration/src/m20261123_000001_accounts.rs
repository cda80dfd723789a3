//! Accounts and tenants: users, businesses, memberships, sessions, invitations, API keys.

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
                    .table("users")
                    .col(pk_uuid("id"))
                    .col(string_uniq("email"))
                    .col(string("password_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("businesses")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string("timezone"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("memberships")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid("user_id"))
                    .col(string("role"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_memberships_business",
                        ("memberships", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_memberships_user",
                        ("memberships", "user_id"),
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_memberships_business_user",
                "memberships",
                &["business_id", "user_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_memberships_user",
                "memberships",
                &["user_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(uuid("business_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "fk_sessions_user",
                        ("sessions", "user_id"),
                        "users",
                    ))
                    .foreign_key(&mut fk(
                        "fk_sessions_business",
                        ("sessions", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_sessions_user", "sessions", &["user_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("invitations")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(string("email"))
                    .col(string("role"))
                    .col(string_uniq("token_hash"))
                    .col(uuid("invited_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "fk_invitations_business",
                        ("invitations", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_invitations_inviter",
                        ("invitations", "invited_by"),
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_invitations_business",
                "invitations",
                &["business_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(string("name"))
                    .col(string_uniq("prefix"))
                    .col(string("secret_hash"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "fk_api_keys_business",
                        ("api_keys", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_api_keys_creator",
                        ("api_keys", "created_by"),
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_api_keys_business",
                "api_keys",
                &["business_id"],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "api_keys",
            "invitations",
            "sessions",
            "memberships",
            "businesses",
            "users",
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
