//! Database migrations, applied at start (and by `domaincall migrate`).
//!
//! Every migration must run on SQLite (the embedded default) and PostgreSQL (production);
//! the test suite applies them to both.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261123_000001_accounts;
mod m20261123_000002_domains;
mod m20261123_000003_calls;
mod m20261123_000004_routing;
mod m20261123_000005_call_notes;
mod m20261124_000001_sign_up_requests;
mod m20261125_000001_display_names;
mod m20261125_000700_webhooks;
mod m20261205_000001_schedules;
mod m20261206_000001_contacts;
mod m20261207_000001_callbacks;
mod m20261208_000001_domain_routes;
mod m20261209_000001_business_profile;
mod m20261210_000001_callback_slots;
mod m20261211_000001_calendar_feeds;
mod m20261212_000001_messages;
mod m20261213_000001_missed_digests;
mod m20261214_000001_rewards;
mod m20261215_000001_sent_emails;
mod m20261216_000001_mail_outbox;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts::Migration),
            Box::new(m20261123_000002_domains::Migration),
            Box::new(m20261123_000003_calls::Migration),
            Box::new(m20261123_000004_routing::Migration),
            Box::new(m20261123_000005_call_notes::Migration),
            Box::new(m20261124_000001_sign_up_requests::Migration),
            Box::new(m20261125_000001_display_names::Migration),
            Box::new(m20261125_000700_webhooks::Migration),
            Box::new(m20261205_000001_schedules::Migration),
            Box::new(m20261206_000001_contacts::Migration),
            Box::new(m20261207_000001_callbacks::Migration),
            Box::new(m20261208_000001_domain_routes::Migration),
            Box::new(m20261209_000001_business_profile::Migration),
            Box::new(m20261210_000001_callback_slots::Migration),
            Box::new(m20261211_000001_calendar_feeds::Migration),
            Box::new(m20261212_000001_messages::Migration),
            Box::new(m20261213_000001_missed_digests::Migration),
            Box::new(m20261214_000001_rewards::Migration),
            Box::new(m20261215_000001_sent_emails::Migration),
            Box::new(m20261216_000001_mail_outbox::Migration),
        ]
    }
}
