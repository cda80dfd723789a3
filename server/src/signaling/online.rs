//! The hub answers the front end: the call pages' "is anyone there?"
//! ([`entity::calls::online`]) and "are the call records written?"
//! ([`entity::calls::records::RecordWriter`]).

use entity::calls::directory::CallDirectory;
use std::future::Future;
use std::pin::Pin;

use entity::calls::online::{OnlineBusinesses, OnlineFuture};
use entity::calls::records::RecordWriter;
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

impl RecordWriter for Hub {
    fn written(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.inner.calls.records.written())
    }
}
