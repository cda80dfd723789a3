//! Delivery within this process: connection id → the outbox of the socket serving it.
//! A frame for a connection no socket of this process serves is dropped (a single
//! process has nowhere else to send it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::ws::Utf8Bytes;
use entity::calls::protocol::ConnectionId;

use crate::signaling::engine::{Delivery, Mailbox};
use crate::signaling::outbox::{Outbox, Refused, Signal};

/// The outboxes of this process's greeted sockets, by connection.
#[derive(Default)]
pub struct LocalDelivery {
    outboxes: Mutex<HashMap<ConnectionId, Outbox>>,
}

impl LocalDelivery {
    fn lock(&self) -> MutexGuard<'_, HashMap<ConnectionId, Outbox>> {
        self.outboxes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Queues `frame` without waiting: a device that is not reading loses it.
fn post(outbox: &Outbox, frame: Utf8Bytes) {
    if let Err(Refused::Full) = outbox.try_send(frame) {
        tracing::warn!("a signaling device is not reading; a frame was dropped");
    }
}

impl Delivery for LocalDelivery {
    fn attach(&self, connection: ConnectionId, outbox: Outbox) {
        self.lock().insert(connection, outbox);
    }

    fn detach(&self, connection: ConnectionId) {
        self.lock().remove(&connection);
    }

    fn mailbox(&self, connection: ConnectionId) -> Option<Arc<dyn Mailbox>> {
        self.lock().get(&connection).map(Outbox::mailbox)
    }

    fn deliver(&self, connection: ConnectionId, frame: Utf8Bytes) {
        if let Some(outbox) = self.lock().get(&connection) {
            post(outbox, frame);
        }
    }

    fn deliver_all(&self, frames: &mut dyn Iterator<Item = (ConnectionId, Utf8Bytes)>) {
        let outboxes = self.lock();
        for (connection, frame) in frames {
            if let Some(outbox) = outboxes.get(&connection) {
                post(outbox, frame);
            }
        }
    }

    fn broadcast(&self, to: &mut dyn Iterator<Item = ConnectionId>, frame: &Utf8Bytes) {
        let outboxes = self.lock();
        for connection in to {
            if let Some(outbox) = outboxes.get(&connection) {
                post(outbox, frame.clone());
            }
        }
    }

    fn signal(&self, connection: ConnectionId, signal: Signal) {
        if let Some(outbox) = self.lock().get(&connection) {
            outbox.signal(signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::signaling::outbox::{outbox, Next};

    fn id() -> ConnectionId {
        ConnectionId::from_random_bytes(*Uuid::new_v4().as_bytes())
    }

    #[test]
    fn frames_reach_the_socket_serving_the_connection_now() {
        let delivery = LocalDelivery::default();
        let (a, b) = (id(), id());
        let (old, mut old_rx) = outbox(4);
        let (new, mut new_rx) = outbox(4);
        delivery.attach(a, old);
        let kept = delivery.mailbox(a);
        delivery.deliver(a, "1".into());
        delivery.deliver(b, "nobody serves b".into());
        assert_eq!(old_rx.try_recv().as_deref(), Some("1"));
        // A resumed session's new socket replaces the old one.
        delivery.attach(a, new);
        delivery.deliver_all(&mut [(a, "2".into()), (a, "3".into())].into_iter());
        delivery.broadcast(&mut [a, b].into_iter(), &"4".into());
        let got: Vec<String> = std::iter::from_fn(|| new_rx.try_recv())
            .map(|t| t.as_str().to_owned())
            .collect();
        assert_eq!(got, ["2", "3", "4"]);
        assert_eq!(old_rx.try_recv(), None);
        // A mailbox kept from before still reaches the socket it was resolved for.
        let kept = kept.map(|m| m.post("5".into()));
        assert_eq!(kept, Some(Ok(())));
        assert_eq!(old_rx.try_recv().as_deref(), Some("5"));
        delivery.signal(a, Signal::Kicked);
        let next =
            futures::FutureExt::now_or_never(std::future::poll_fn(|cx| new_rx.poll_next(cx)));
        assert_eq!(next, Some(Next::Signal(Signal::Kicked)));
        delivery.detach(a);
        assert!(delivery.mailbox(a).is_none());
    }
}
