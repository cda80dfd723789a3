//! The call directory against a real (SQLite) database: a change that no event announces
//! — a worker in another process revoking a domain — reaches the directory by the
//! background refresh, while the calls in between are still answered from memory.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chrono::Utc;
use entity::domains::DomainName;
use entity::entities::{business, domain};
use entity::events::LocalBus;
use migration::MigratorTrait;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, Database, DatabaseConnection, EntityTrait};
use uuid::Uuid;

use super::CallDirectory;

/// Entries are refreshed ahead from between 3 and 4.5 s and read on the path from 6 s:
/// wide enough that a loaded machine's late wake-up still lands in the refresh window.
const MAX_AGE: Duration = Duration::from_secs(6);

/// A migrated SQLite database with one business holding `acme.com` verified.
async fn database() -> (DatabaseConnection, Uuid, Uuid, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("dc-directory-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
    let db = Database::connect(url).await.unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    let (business_id, domain_id) = (Uuid::new_v4(), Uuid::new_v4());
    business::ActiveModel {
        id: Set(business_id),
        name: Set("Acme".to_owned()),
        timezone: Set("UTC".to_owned()),
        created_at: Set(Utc::now()),
        greeting: Set(None),
    }
    .insert(&db)
    .await
    .unwrap();
    domain::ActiveModel {
        id: Set(domain_id),
        business_id: Set(business_id),
        name: Set("acme.com".to_owned()),
        status: Set("verified".to_owned()),
        code: Set("code".to_owned()),
        inherited_from: Set(None),
        failed_checks: Set(0),
        revocation_notice_due: Set(false),
        created_at: Set(Utc::now()),
        verified_at: Set(Some(Utc::now())),
        revoked_at: Set(None),
        last_checked_at: Set(None),
        next_check_at: Set(None),
        route_team_id: Set(None),
    }
    .insert(&db)
    .await
    .unwrap();
    (db, business_id, domain_id, dir)
}

#[tokio::test]
async fn an_unannounced_change_arrives_by_the_background_refresh() {
    let (db, business_id, domain_id, dir) = database().await;
    let directory = CallDirectory::with_limits(&LocalBus::default(), 100, MAX_AGE);
    let acme = DomainName::parse("acme.com").unwrap();
    let filled = Instant::now();
    let found = directory.verified_business(&db, &acme).await.unwrap();
    assert_eq!(found, Some((business_id, "acme.com".to_owned())));

    // Revoked behind the directory's back: no event is published.
    let mut row: domain::ActiveModel = domain::Entity::find_by_id(domain_id)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .into();
    row.status = Set("revoked".to_owned());
    row.update(&db).await.unwrap();

    // Young: answered from memory, so still verified.
    let found = directory.verified_business(&db, &acme).await.unwrap();
    assert!(found.is_some(), "a young entry was read again");

    // Past half the max age: lookups are still answered from memory (they do not wait
    // for the database), and the first past the entry's refresh age starts the background
    // read…
    tokio::time::sleep_until((filled + MAX_AGE / 2 + Duration::from_millis(100)).into()).await;
    let found = directory.verified_business(&db, &acme).await.unwrap();
    assert!(
        filled.elapsed() < MAX_AGE,
        "the machine stalled past the window"
    );
    assert!(
        found.is_some(),
        "the refreshing lookup waited for the database"
    );

    // …which drops the entry once it finds the domain no longer verified, before the max
    // age would have.
    let deadline = filled + MAX_AGE - Duration::from_millis(200);
    loop {
        if directory
            .verified_business(&db, &acme)
            .await
            .unwrap()
            .is_none()
        {
            break;
        }
        assert!(Instant::now() < deadline, "the refresh never landed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}
