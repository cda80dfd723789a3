//! CRM contacts (issue 16 §2): `contacts` (one per caller a business knows, matched on
//! every call request by verified domain or email), their `purchases` (recorded by
//! integrations, idempotent on `(business_id, external_ref)`) and `contact_notes`; and
//! `calls.contact_id`, the contact a call was matched to; and `client_type_rules`, a
//! business's own tier thresholds.
//!
//! `email` and `caller_domain` are stored lower-cased and are unique per business (NULLs
//! are distinct in a unique index on both databases), which is what makes "created or
//! matched" safe when two calls of the same caller arrive at once. `tags` is a JSON list
//! of lower-case strings. Every row carries `business_id`.

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
                    .table("contacts")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(string("name"))
                    .col(string_null("email"))
                    .col(string_null("phone"))
                    .col(string_null("address"))
                    .col(string_null("caller_domain"))
                    .col(text("tags"))
                    // `NULL`: the tier follows the rules; else the owner's choice.
                    .col(string_null("client_type"))
                    .col(timestamp_with_time_zone("first_seen_at"))
                    .col(timestamp_with_time_zone_null("last_contact_at"))
                    .col(big_integer("call_count"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_contacts_business",
                        ("contacts", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        for idx in [
            index(
                "ux_contacts_domain",
                "contacts",
                &["business_id", "caller_domain"],
                true,
            ),
            index(
                "ux_contacts_email",
                "contacts",
                &["business_id", "email"],
                true,
            ),
            index(
                "ix_contacts_last_contact",
                "contacts",
                &["business_id", "last_contact_at"],
                false,
            ),
        ] {
            manager.create_index(idx).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("purchases")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid("contact_id"))
                    .col(string("product"))
                    .col(big_integer("amount_minor"))
                    .col(string_len("currency", 3))
                    .col(timestamp_with_time_zone("purchased_at"))
                    .col(string("external_ref"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_purchases_business",
                        ("purchases", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_purchases_contact",
                        ("purchases", "contact_id"),
                        "contacts",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_purchases_ref",
                "purchases",
                &["business_id", "external_ref"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_purchases_contact",
                "purchases",
                &["contact_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("contact_notes")
                    .col(pk_uuid("id"))
                    .col(uuid("business_id"))
                    .col(uuid("contact_id"))
                    // The member who wrote it (kept when they leave).
                    .col(uuid("author_id"))
                    .col(text("text"))
                    .col(uuid_null("call_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_contact_notes_business",
                        ("contact_notes", "business_id"),
                        "businesses",
                    ))
                    .foreign_key(&mut fk(
                        "fk_contact_notes_contact",
                        ("contact_notes", "contact_id"),
                        "contacts",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_contact_notes_contact",
                "contact_notes",
                &["contact_id"],
                false,
            ))
            .await?;
        // A business's own tier thresholds (no row: the defaults).
        manager
            .create_table(
                Table::create()
                    .table("client_type_rules")
                    .col(pk_uuid("business_id"))
                    .col(big_integer("repeat_calls"))
                    .col(big_integer("premium_calls"))
                    .col(big_integer("premium_total_minor"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_client_type_rules_business",
                        ("client_type_rules", "business_id"),
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("calls")
                    .add_column(uuid_null("contact_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_calls_contact", "calls", &["contact_id"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_calls_contact")
                    .table("calls")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("calls")
                    .drop_column("contact_id")
                    .to_owned(),
            )
            .await?;
        for table in [
            "client_type_rules",
            "contact_notes",
            "purchases",
            "contacts",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
