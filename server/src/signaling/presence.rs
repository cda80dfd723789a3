//! Presence: per business, per member, the connected agent devices and the member's
//! availability, and the fan-out of `presence` messages to the business's devices.
//!
//! [`Presence`] is the seam: [`LocalPresence`] keeps everything in this process; a Redis
//! or NATS backend implementing the same trait lets several processes share it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::extract::ws::Utf8Bytes;
use entity::calls::protocol::{ConnectionId, ServerMessage};
use entity::calls::wire::{Availability, PresenceStatus};
use tokio::sync::watch;

pub use super::outbox::Outbox;
use super::outbox::Refused;
use uuid::Uuid;

/// One connected agent device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentDevice {
    /// The business the member's session acts for.
    pub business_id: Uuid,
    /// The member.
    pub user_id: Uuid,
    /// This device's socket.
    pub connection_id: ConnectionId,
}

/// The presence registry and its fan-out.
pub trait Presence: Send + Sync + 'static {
    /// Registers a greeted agent device. The new device gets the presence of every
    /// connected member of its business; the business's other devices get the member's
    /// new presence. A member's first device starts `available`; further devices join the
    /// member's current availability.
    fn join(&self, device: AgentDevice, outbox: Outbox) -> impl Future<Output = ()> + Send;

    /// Removes a device; the business's remaining devices get the member's presence
    /// (`offline` after their last device).
    fn leave(&self, device: AgentDevice) -> impl Future<Output = ()> + Send;

    /// Sets the member's availability on all their devices. A change goes to every device
    /// of the business; a repeat only confirms it to the sending device.
    fn set_availability(
        &self,
        device: AgentDevice,
        availability: Availability,
    ) -> impl Future<Output = ()> + Send;

    /// The businesses with at least one available member connected.
    fn online_businesses(&self) -> impl Future<Output = Vec<Uuid>> + Send;

    /// Marks the member as in a call (or out of one); busy members are not rung. Calls
    /// count, so a member in two calls (during a transfer) stays busy until both end. A
    /// change goes to every device of the business.
    fn set_busy(
        &self,
        business_id: Uuid,
        user_id: Uuid,
        busy: bool,
    ) -> impl Future<Output = ()> + Send;

    /// The connected members of a business and their devices, for routing a call.
    fn roster(&self, business_id: Uuid) -> impl Future<Output = Vec<MemberPresence>> + Send;

    /// Changes whenever a member's presence may have changed anywhere (for the
    /// `onlineDomains` subscription; receivers re-read [`Self::online_businesses`]).
    fn changes(&self) -> watch::Receiver<u64>;
}

/// One connected member as routing sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberPresence {
    /// The member.
    pub user_id: Uuid,
    /// Their connected devices.
    pub devices: Vec<ConnectionId>,
    /// Their manual availability.
    pub availability: Availability,
    /// In a call now.
    pub busy: bool,
}

#[derive(Debug)]
struct Member {
    availability: Availability,
    /// Calls the member is in.
    calls: u32,
    devices: Vec<(ConnectionId, Outbox)>,
}

impl Member {
    fn status(&self) -> PresenceStatus {
        if self.devices.is_empty() {
            return PresenceStatus::Offline;
        }
        match self.availability {
            Availability::Available if self.calls > 0 => PresenceStatus::Busy,
            Availability::Available => PresenceStatus::Available,
            Availability::Away => PresenceStatus::Away,
        }
    }
}

type Business = HashMap<Uuid, Member>;

/// Presence kept in this process.
#[derive(Debug)]
pub struct LocalPresence {
    businesses: Mutex<HashMap<Uuid, Business>>,
    changed: watch::Sender<u64>,
}

impl Default for LocalPresence {
    fn default() -> Self {
        Self {
            businesses: Mutex::default(),
            changed: watch::channel(0).0,
        }
    }
}

impl LocalPresence {
    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, Business>> {
        self.businesses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// The `presence` frame for a member.
fn frame(user_id: Uuid, status: PresenceStatus, devices: usize) -> Option<Utf8Bytes> {
    let message = ServerMessage::Presence {
        user_id,
        status,
        devices: u32::try_from(devices).unwrap_or(u32::MAX),
    };
    match serde_json::to_string(&message) {
        Ok(text) => Some(text.into()),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a presence message");
            None
        }
    }
}

/// Queues `text` for one device without waiting: a stalled device loses it.
fn deliver(outbox: &Outbox, text: &Utf8Bytes) {
    if let Err(Refused::Full) = outbox.try_send(text.clone()) {
        tracing::warn!("a signaling device is not reading; presence update dropped");
    }
}

fn broadcast(business: &Business, text: &Utf8Bytes) {
    for member in business.values() {
        for (_, outbox) in &member.devices {
            deliver(outbox, text);
        }
    }
}

impl Presence for LocalPresence {
    async fn join(&self, device: AgentDevice, outbox: Outbox) {
        let mut all = self.lock();
        let business = all.entry(device.business_id).or_default();
        for (user_id, member) in business.iter() {
            if *user_id != device.user_id {
                if let Some(text) = frame(*user_id, member.status(), member.devices.len()) {
                    deliver(&outbox, &text);
                }
            }
        }
        let member = business.entry(device.user_id).or_insert_with(|| Member {
            availability: Availability::Available,
            calls: 0,
            devices: Vec::new(),
        });
        if member.devices.is_empty() {
            // Back from offline (kept only while in a call): a fresh start.
            member.availability = Availability::Available;
        }
        member.devices.push((device.connection_id, outbox));
        if let Some(text) = frame(device.user_id, member.status(), member.devices.len()) {
            broadcast(business, &text);
        }
        drop(all);
        self.bump();
    }

    async fn leave(&self, device: AgentDevice) {
        let mut all = self.lock();
        let Some(business) = all.get_mut(&device.business_id) else {
            return;
        };
        let Some(member) = business.get_mut(&device.user_id) else {
            return;
        };
        member.devices.retain(|(id, _)| *id != device.connection_id);
        let update = frame(device.user_id, member.status(), member.devices.len());
        // A member in a call stays (offline) so their busy count survives a dropped
        // socket that resumes.
        if member.devices.is_empty() && member.calls == 0 {
            business.remove(&device.user_id);
        }
        if let Some(text) = update {
            broadcast(business, &text);
        }
        if business.is_empty() {
            all.remove(&device.business_id);
        }
        drop(all);
        self.bump();
    }

    async fn set_availability(&self, device: AgentDevice, availability: Availability) {
        let mut all = self.lock();
        let Some(business) = all.get_mut(&device.business_id) else {
            return;
        };
        let Some(member) = business.get_mut(&device.user_id) else {
            return;
        };
        let changed = member.availability != availability;
        member.availability = availability;
        let Some(text) = frame(device.user_id, member.status(), member.devices.len()) else {
            return;
        };
        if changed {
            broadcast(business, &text);
            drop(all);
            self.bump();
        } else if let Some((_, outbox)) = member
            .devices
            .iter()
            .find(|(id, _)| *id == device.connection_id)
        {
            deliver(outbox, &text);
        }
    }

    async fn online_businesses(&self) -> Vec<Uuid> {
        self.lock()
            .iter()
            .filter(|(_, business)| {
                business
                    .values()
                    .any(|m| m.status() == PresenceStatus::Available)
            })
            .map(|(id, _)| *id)
            .collect()
    }

    async fn set_busy(&self, business_id: Uuid, user_id: Uuid, busy: bool) {
        let mut all = self.lock();
        let Some(business) = all.get_mut(&business_id) else {
            return;
        };
        let Some(member) = business.get_mut(&user_id) else {
            return;
        };
        let before = member.status();
        member.calls = if busy {
            member.calls.saturating_add(1)
        } else {
            member.calls.saturating_sub(1)
        };
        if member.devices.is_empty() && member.calls == 0 {
            business.remove(&user_id);
            if business.is_empty() {
                all.remove(&business_id);
            }
            return;
        }
        if member.status() == before {
            return;
        }
        if let Some(text) = frame(user_id, member.status(), member.devices.len()) {
            broadcast(business, &text);
        }
        drop(all);
        self.bump();
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    async fn roster(&self, business_id: Uuid) -> Vec<MemberPresence> {
        self.lock()
            .get(&business_id)
            .map(|business| {
                business
                    .iter()
                    .map(|(user_id, m)| MemberPresence {
                        user_id: *user_id,
                        devices: m.devices.iter().map(|(id, _)| *id).collect(),
                        availability: m.availability,
                        busy: m.calls > 0,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::outbox::{outbox, Queue};
    use super::*;

    fn device(business_id: Uuid, user_id: Uuid) -> AgentDevice {
        AgentDevice {
            business_id,
            user_id,
            connection_id: ConnectionId::from_random_bytes(*Uuid::new_v4().as_bytes()),
        }
    }

    fn drain(rx: &mut Queue) -> Vec<ServerMessage> {
        let mut out = Vec::new();
        while let Some(text) = rx.try_recv() {
            out.push(ServerMessage::parse(text.as_str()).unwrap());
        }
        out
    }

    fn presence(user_id: Uuid, status: PresenceStatus, devices: u32) -> ServerMessage {
        ServerMessage::Presence {
            user_id,
            status,
            devices,
        }
    }

    #[tokio::test]
    async fn a_member_in_a_call_stays_busy_across_a_dropped_last_device() {
        let p = LocalPresence::default();
        let (business, user) = (Uuid::new_v4(), Uuid::new_v4());
        let changes = p.changes();
        let first = device(business, user);
        let (tx, _rx) = outbox(16);
        p.join(first, tx).await;
        p.set_busy(business, user, true).await;
        p.leave(first).await;
        assert!(changes.has_changed().unwrap());
        assert_eq!(
            p.roster(business).await[0].devices.len(),
            0,
            "offline meanwhile"
        );
        assert!(p.online_businesses().await.is_empty());
        let again = device(business, user);
        let (tx, mut rx) = outbox(16);
        p.join(again, tx).await;
        assert_eq!(
            drain(&mut rx),
            vec![presence(user, PresenceStatus::Busy, 1)]
        );
        p.set_busy(business, user, false).await;
        assert_eq!(
            drain(&mut rx),
            vec![presence(user, PresenceStatus::Available, 1)]
        );
        p.leave(again).await;
        assert!(
            p.roster(business).await.is_empty(),
            "forgotten once out of calls"
        );
    }

    #[tokio::test]
    async fn devices_of_a_business_share_presence_and_no_one_else_does() {
        let p = LocalPresence::default();
        let (a, b, u, v) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let (tx1, mut rx1) = outbox(8);
        let (tx2, mut rx2) = outbox(8);
        let (tx3, mut rx3) = outbox(8);
        let d1 = device(a, u);
        let d2 = device(a, u);
        let d3 = device(b, v);
        p.join(d1, tx1).await;
        p.join(d3, tx3).await;
        assert_eq!(drain(&mut rx1), [presence(u, PresenceStatus::Available, 1)]);
        assert_eq!(drain(&mut rx3), [presence(v, PresenceStatus::Available, 1)]);
        p.join(d2, tx2).await;
        assert_eq!(drain(&mut rx1), [presence(u, PresenceStatus::Available, 2)]);
        assert_eq!(drain(&mut rx2), [presence(u, PresenceStatus::Available, 2)]);
        let mut online = p.online_businesses().await;
        online.sort();
        let mut both = vec![a, b];
        both.sort();
        assert_eq!(online, both);

        p.set_availability(d2, Availability::Away).await;
        assert_eq!(drain(&mut rx1), [presence(u, PresenceStatus::Away, 2)]);
        assert_eq!(drain(&mut rx2), [presence(u, PresenceStatus::Away, 2)]);
        assert_eq!(p.online_businesses().await, [b]);
        // A repeat only confirms to the sender.
        p.set_availability(d2, Availability::Away).await;
        assert!(drain(&mut rx1).is_empty());
        assert_eq!(drain(&mut rx2).len(), 1);

        p.leave(d2).await;
        assert_eq!(drain(&mut rx1), [presence(u, PresenceStatus::Away, 1)]);
        p.leave(d1).await;
        p.leave(d3).await;
        assert!(drain(&mut rx3).is_empty());
        assert!(p.online_businesses().await.is_empty());
        assert!(p.lock().is_empty());
    }

    #[tokio::test]
    async fn a_new_device_learns_who_is_there() {
        let p = LocalPresence::default();
        let (a, u, w) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let (tx1, _rx1) = outbox(8);
        let (tx2, mut rx2) = outbox(8);
        let d1 = device(a, u);
        p.join(d1, tx1).await;
        p.set_availability(d1, Availability::Away).await;
        p.join(device(a, w), tx2).await;
        assert_eq!(
            drain(&mut rx2),
            [
                presence(u, PresenceStatus::Away, 1),
                presence(w, PresenceStatus::Available, 1)
            ]
        );
    }
}
