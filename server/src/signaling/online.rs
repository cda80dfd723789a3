//! The hub answers the call page's "is anyone there?" ([`entity::calls::online`]).

use entity::calls::directory::CallDirectory;
use entity::calls::online::{OnlineBusinesses, OnlineFuture};
use uuid::Uuid;

use super::Hub;

impl OnlineBusinesses for Hub {
    fn is_online(&self, business_id: Uuid) -> OnlineFuture<'_> {
        Box::pin(async move { self.online_businesses().await.contains(&business_id) })
    }

    fn directory(&self) -> Option<&CallDirectory> {
        Some(&self.inner.directory)
    }
}
