//! The event bus of several nodes: business events and revocations through NATS
//! (`DOMAINCALL_NATS_URL`), so a change made on any node — or by `domaincall worker` —
//! reaches every node's call directory, hub and `businessEvents` subscribers.
//!
//! Everything published here is first delivered in this process through a [`LocalBus`]
//! (the [`EventBus`] promise: a local follower has it by the time `publish` returns), then
//! sent to NATS in publishing order by one task. Each node listens on the deployment's two
//! subjects and republishes locally what *other* nodes sent (every envelope names the
//! node it came from). While the connection to NATS is down, events of other nodes are
//! lost: when it comes back every subscriber is told it missed some
//! ([`Received::Missed`]), so followers re-read what they follow, as after a lag.

use std::sync::Arc;

use anyhow::Context as _;
use async_nats::{Client, Event};
use entity::events::{BusinessEvent, EventBus, Feed, LocalBus, Received, Revocation};
use futures::StreamExt;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

/// What travels on the wire: the item and the node that published it.
#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    node: Uuid,
    item: T,
}

/// Something to send to the other nodes.
enum Outgoing {
    Event(BusinessEvent),
    Revocation(Revocation),
}

/// The NATS-backed bus of one node.
pub struct NatsBus {
    local: LocalBus,
    /// Raised when the connection to NATS came back (events may have been lost).
    gaps: broadcast::Sender<u64>,
    out: mpsc::UnboundedSender<Outgoing>,
}

impl NatsBus {
    /// Connects to `url` and starts relaying on the subjects `<subject>.events` and
    /// `<subject>.revocations`. The tasks stop when the bus is dropped.
    ///
    /// # Errors
    /// When NATS cannot be reached or the subscriptions fail.
    pub async fn connect(url: &str, subject: &str) -> anyhow::Result<Arc<Self>> {
        let node = Uuid::now_v7();
        let (gaps, _) = broadcast::channel(16);
        let reconnected = gaps.clone();
        let client = async_nats::ConnectOptions::new()
            .name(format!("domaincall {node}"))
            .retry_on_initial_connect()
            .event_callback(move |event| {
                let reconnected = reconnected.clone();
                async move {
                    match event {
                        Event::Connected => {
                            metrics::counter!("bus_nats_connects_total").increment(1);
                            tracing::info!("connected to NATS");
                            let _ = reconnected.send(1);
                        }
                        Event::Disconnected => tracing::warn!("lost the connection to NATS"),
                        other => tracing::debug!(event = %other, "NATS"),
                    }
                }
            })
            .connect(url)
            .await
            .with_context(|| "connecting to NATS (DOMAINCALL_NATS_URL)".to_owned())?;
        let (events_subject, revocations_subject) = (
            format!("{subject}.events"),
            format!("{subject}.revocations"),
        );
        let events = client
            .subscribe(events_subject.clone())
            .await
            .context("subscribing to NATS")?;
        let revocations = client
            .subscribe(revocations_subject.clone())
            .await
            .context("subscribing to NATS")?;
        let local = LocalBus::default();
        let (out, queued) = mpsc::unbounded_channel();
        tokio::spawn(send_all(
            client,
            queued,
            node,
            events_subject,
            revocations_subject,
        ));
        let bus = Arc::new(Self { local, gaps, out });
        let weak = Arc::downgrade(&bus);
        tokio::spawn(receive(events, node, weak.clone(), |bus, event| {
            bus.local.publish_event(event);
        }));
        tokio::spawn(receive(revocations, node, weak, |bus, revocation| {
            bus.local.revoke(revocation);
        }));
        tracing::info!(%node, subject, "sharing events through NATS");
        Ok(bus)
    }

    /// `feed` with a [`Received::Missed`] whenever the connection came back.
    fn with_gaps<T: Send + 'static>(&self, feed: Feed<T>) -> Feed<T> {
        let gaps = futures::stream::unfold(self.gaps.subscribe(), |mut rx| async move {
            match rx.recv().await {
                Ok(n) | Err(broadcast::error::RecvError::Lagged(n)) => {
                    Some((Received::Missed(n), rx))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        });
        Box::pin(futures::stream::select(feed, gaps))
    }
}

/// Sends what this node published, in order, until the bus is dropped.
async fn send_all(
    client: Client,
    mut queued: mpsc::UnboundedReceiver<Outgoing>,
    node: Uuid,
    events_subject: String,
    revocations_subject: String,
) {
    while let Some(item) = queued.recv().await {
        let (subject, payload) = match item {
            Outgoing::Event(item) => (
                &events_subject,
                serde_json::to_vec(&Envelope { node, item }),
            ),
            Outgoing::Revocation(item) => (
                &revocations_subject,
                serde_json::to_vec(&Envelope { node, item }),
            ),
        };
        let payload = match payload {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "an event could not be encoded");
                continue;
            }
        };
        match client.publish(subject.clone(), payload.into()).await {
            Ok(()) => metrics::counter!("bus_nats_sent_total").increment(1),
            Err(e) => {
                metrics::counter!("bus_nats_send_failures_total").increment(1);
                tracing::warn!(error = %e, "an event could not be sent to the other nodes");
            }
        }
    }
    let _ = client.flush().await;
}

/// Republishes locally what other nodes sent on `subscriber`, until the bus is dropped.
async fn receive<T: DeserializeOwned>(
    mut subscriber: async_nats::Subscriber,
    node: Uuid,
    bus: std::sync::Weak<NatsBus>,
    apply: impl Fn(&NatsBus, T),
) {
    while let Some(message) = subscriber.next().await {
        let Some(bus) = bus.upgrade() else { break };
        match serde_json::from_slice::<Envelope<T>>(&message.payload) {
            Ok(envelope) if envelope.node != node => {
                metrics::counter!("bus_nats_received_total").increment(1);
                apply(&bus, envelope.item);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "an unreadable event from NATS was skipped"),
        }
    }
}

impl EventBus for NatsBus {
    fn publish_event(&self, event: BusinessEvent) {
        self.local.publish_event(event.clone());
        let _ = self.out.send(Outgoing::Event(event));
    }

    fn subscribe(&self) -> Feed<BusinessEvent> {
        self.with_gaps(self.local.subscribe())
    }

    fn revoke(&self, revocation: Revocation) {
        self.local.revoke(revocation.clone());
        let _ = self.out.send(Outgoing::Revocation(revocation));
    }

    fn revocations(&self) -> Feed<Revocation> {
        self.with_gaps(self.local.revocations())
    }
}
