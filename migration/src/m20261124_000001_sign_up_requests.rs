//! Sign-up requests: a sign-up waits here until its email's owner follows the link.
//!
//! Signing up no longer creates the account at once (that told anyone whether an email was
//! taken); it stores the request with its already-hashed password and emails a
//! single-use link whose digest is `token_hash`. Invitations get an index for counting a
//! business's invitations of the last day.

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
                    .table("sign_up_requests")
                    .col(pk_uuid("id"))
                    .col(string("email"))
                    .col(string("password_hash"))
                    .col(string("business_name"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("confirmed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_sign_up_requests_expires",
                "sign_up_requests",
                &["expires_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_invitations_business_created",
                "invitations",
                &["business_id", "created_at"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_invitations_business_created")
                    .table("invitations")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("sign_up_requests").to_owned())
            .await
    }
}
