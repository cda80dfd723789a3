//! Domains and caller identities: ownership proofs, their check history, evanescent callers.

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
                    .table("domains")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(string("name"))
                    .col(string("status"))
                    .col(string("code"))
                    .col(uuid_null("inherited_from"))
                    .col(integer("failed_checks"))
                    .col(boolean("revocation_notice_due"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("verified_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone_null("last_checked_at"))
                    .col(timestamp_with_time_zone_null("next_check_at"))
                    .foreign_key(&mut fk(
                        "fk_domains_business",
                        ("domains", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_domains_business_name",
                "domains",
                &["business_id", "name"],
                true,
            ))
            .await?;
        manager
            .create_index(index("ix_domains_name", "domains", &["name"], false))
            .await?;
        manager
            .create_index(index(
                "ix_domains_next_check",
                "domains",
                &["next_check_at"],
                false,
            ))
            .await?;
        // One business at most holds a name verified: a partial unique index (SQLite and
        // PostgreSQL both have them) settles two businesses verifying it at the same moment.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_domains_verified_name ON domains (name) \
                 WHERE status = 'verified'",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("domain_checks")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid("domain_id"))
                    .col(string("trigger"))
                    .col(string("outcome"))
                    .col(text("message"))
                    .col(timestamp_with_time_zone("checked_at"))
                    .foreign_key(&mut fk(
                        "fk_domain_checks_domain",
                        ("domain_checks", "domain_id"),
                        "domains",
                    ))
                    .foreign_key(&mut fk(
                        "fk_domain_checks_business",
                        ("domain_checks", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_domain_checks_domain",
                "domain_checks",
                &["domain_id", "checked_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("caller_identities")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string("kind"))
                    .col(string_null("email"))
                    .col(uuid_null("domain_id"))
                    .col(uuid_null("user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_caller_identities_expires",
                "caller_identities",
                &["expires_at"],
                false,
            ))
            .await?;
        // Guest names are random and must never be handed out twice while alive; several
        // people of one business may call as the same verified domain at once.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_caller_identities_guest_name ON caller_identities (name) \
                 WHERE kind = 'guest'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["caller_identities", "domain_checks", "domains"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
