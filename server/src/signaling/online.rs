//! The hub answers the front end: the call pages' "is anyone there?"
//! ([`entity::calls::online`]) and "are the call records written?"
//! ([`entity::calls::records::RecordWriter`], the engine's record sink).

use std::future::Future;
use std::pin::Pin;

use entity::calls::online::{OnlineBusinesses, OnlineFuture};
use entity::calls::records::RecordWriter;
use entity::domains::DomainName;
use entity::DomainError;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::Hub;

impl OnlineBusinesses for Hub {
    fn online_businesses(&self) -> OnlineFuture<'_, Vec<Uuid>> {
        // The hub's own (inherent) method: presence's current answer.
        let online = Hub::online_businesses(self);
        Box::pin(async move { online })
    }

    fn verified_business<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        domain: &'a DomainName,
    ) -> OnlineFuture<'a, Result<Option<Uuid>, DomainError>> {
        Box::pin(async move {
            let found = self.directory().verified_business(db, domain).await?;
            Ok(found.map(|(business_id, _)| business_id))
        })
    }
}

impl RecordWriter for Hub {
    fn written(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let records = self.engine().records();
        Box::pin(async move { records.written().await })
    }
}
