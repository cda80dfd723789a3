//! The business profile (issue 16 §8): a greeting callers read on the call page
//! (`businesses.greeting`), and a logo (`business_logos`: the image's bytes and type, one
//! per business, kept apart so reading a business never drags its logo along).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, "businesses", text_null("greeting")).await?;
        manager
            .create_table(
                Table::create()
                    .table("business_logos")
                    .col(pk_uuid("business_id"))
                    // image/png, image/jpeg or image/webp (read off the bytes).
                    .col(string("content_type"))
                    .col(blob("bytes"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_business_logos_business",
                        ("business_logos", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("business_logos").to_owned())
            .await?;
        drop_column(manager, "businesses", "greeting").await
    }
}
