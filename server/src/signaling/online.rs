//! The hub answers the call pages' "is anyone there?" ([`entity::calls::online`]).

use entity::calls::directory::CallDirectory;
use entity::calls::online::{OnlineBusinesses, OnlineFuture};
use uuid::Uuid;

use super::Hub;

impl OnlineBusinesses for Hub {
    fn online_businesses(&self) -> OnlineFuture<'_, Vec<Uuid>> {
        // The hub's own (inherent) method: presence's current answer.
        Box::pin(Hub::online_businesses(self))
    }

    fn directory(&self) -> Option<&CallDirectory> {
        Some(&self.inner.directory)
    }
}
