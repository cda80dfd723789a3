//! Presence kept in this process: per business, per member, the connected agent devices
//! and the member's availability, and the fan-out of `presence` frames to the business's
//! devices through the delivery seam.
//!
//! Frames are handed over while the presence lock is held, so two changes of one business
//! reach every device in the order they happened (the delivery seam never calls back into
//! presence).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::ws::Utf8Bytes;
use entity::calls::protocol::{ConnectionId, ServerMessage};
use entity::calls::wire::{Availability, PresenceStatus};
use tokio::sync::watch;
use uuid::Uuid;

use crate::signaling::engine::{AgentDevice, Delivery, MemberPresence, Presence};

#[derive(Debug)]
struct Member {
    availability: Availability,
    /// Calls the member is in.
    calls: u32,
    devices: Vec<ConnectionId>,
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
pub struct LocalPresence {
    businesses: Mutex<HashMap<Uuid, Business>>,
    changed: watch::Sender<u64>,
    delivery: Arc<dyn Delivery>,
}

impl LocalPresence {
    /// No one connected yet; `presence` frames go out through `delivery`.
    #[must_use]
    pub fn new(delivery: Arc<dyn Delivery>) -> Self {
        Self {
            businesses: Mutex::default(),
            changed: watch::channel(0).0,
            delivery,
        }
    }

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

/// Queues `text` for every device of `business`.
fn broadcast(delivery: &dyn Delivery, business: &Business, text: &Utf8Bytes) {
    let mut devices = business.values().flat_map(|m| m.devices.iter().copied());
    delivery.broadcast(&mut devices, text);
}

impl Presence for LocalPresence {
    fn join(&self, device: AgentDevice) {
        let mut all = self.lock();
        let business = all.entry(device.business_id).or_default();
        let mut known = business
            .iter()
            .filter(|(user_id, _)| **user_id != device.user_id)
            .filter_map(|(user_id, m)| frame(*user_id, m.status(), m.devices.len()))
            .map(|text| (device.connection_id, text));
        self.delivery.deliver_all(&mut known);
        let member = business.entry(device.user_id).or_insert_with(|| Member {
            availability: Availability::Available,
            calls: 0,
            devices: Vec::new(),
        });
        if member.devices.is_empty() {
            // Back from offline (kept only while in a call): a fresh start.
            member.availability = Availability::Available;
        }
        member.devices.push(device.connection_id);
        if let Some(text) = frame(device.user_id, member.status(), member.devices.len()) {
            broadcast(&*self.delivery, business, &text);
        }
        drop(all);
        self.bump();
    }

    fn leave(&self, device: AgentDevice) {
        let mut all = self.lock();
        let Some(business) = all.get_mut(&device.business_id) else {
            return;
        };
        let Some(member) = business.get_mut(&device.user_id) else {
            return;
        };
        member.devices.retain(|id| *id != device.connection_id);
        let update = frame(device.user_id, member.status(), member.devices.len());
        // A member in a call stays (offline) so their busy count survives a dropped
        // socket that resumes.
        if member.devices.is_empty() && member.calls == 0 {
            business.remove(&device.user_id);
        }
        if let Some(text) = update {
            broadcast(&*self.delivery, business, &text);
        }
        if business.is_empty() {
            all.remove(&device.business_id);
        }
        drop(all);
        self.bump();
    }

    fn set_availability(&self, device: AgentDevice, availability: Availability) {
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
            broadcast(&*self.delivery, business, &text);
            drop(all);
            self.bump();
        } else if member.devices.contains(&device.connection_id) {
            self.delivery.deliver(device.connection_id, text);
        }
    }

    fn online_businesses(&self) -> Vec<Uuid> {
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

    fn set_busy(&self, business_id: Uuid, user_id: Uuid, busy: bool) {
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
            broadcast(&*self.delivery, business, &text);
        }
        drop(all);
        self.bump();
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn roster(&self, business_id: Uuid) -> Vec<MemberPresence> {
        self.lock()
            .get(&business_id)
            .map(|business| {
                business
                    .iter()
                    .map(|(user_id, m)| MemberPresence {
                        user_id: *user_id,
                        devices: m.devices.clone(),
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
    use super::super::LocalDelivery;
    use super::*;
    use crate::signaling::outbox::{outbox, Queue};

    /// Presence over a process-local delivery, as the engine runs it.
    fn presence() -> (LocalPresence, Arc<LocalDelivery>) {
        let delivery = Arc::new(LocalDelivery::default());
        (LocalPresence::new(delivery.clone()), delivery)
    }

    /// A device of `user_id` whose frames go to `capacity` slots of its queue.
    fn attached(
        delivery: &LocalDelivery,
        business_id: Uuid,
        user_id: Uuid,
        capacity: usize,
    ) -> (AgentDevice, Queue) {
        let device = AgentDevice {
            business_id,
            user_id,
            connection_id: ConnectionId::from_random_bytes(*Uuid::new_v4().as_bytes()),
        };
        let (tx, rx) = outbox(capacity);
        delivery.attach(device.connection_id, tx);
        (device, rx)
    }

    fn drain(rx: &mut Queue) -> Vec<ServerMessage> {
        let mut out = Vec::new();
        while let Some(text) = rx.try_recv() {
            out.push(ServerMessage::parse(text.as_str()).unwrap());
        }
        out
    }

    fn status(user_id: Uuid, status: PresenceStatus, devices: u32) -> ServerMessage {
        ServerMessage::Presence {
            user_id,
            status,
            devices,
        }
    }

    #[test]
    fn a_member_in_a_call_stays_busy_across_a_dropped_last_device() {
        let (p, delivery) = presence();
        let (business, user) = (Uuid::new_v4(), Uuid::new_v4());
        let changes = p.changes();
        let (first, _rx) = attached(&delivery, business, user, 16);
        p.join(first);
        p.set_busy(business, user, true);
        p.leave(first);
        assert!(changes.has_changed().unwrap());
        assert_eq!(p.roster(business)[0].devices.len(), 0, "offline meanwhile");
        assert!(p.online_businesses().is_empty());
        let (again, mut rx) = attached(&delivery, business, user, 16);
        p.join(again);
        assert_eq!(drain(&mut rx), vec![status(user, PresenceStatus::Busy, 1)]);
        p.set_busy(business, user, false);
        assert_eq!(
            drain(&mut rx),
            vec![status(user, PresenceStatus::Available, 1)]
        );
        p.leave(again);
        assert!(p.roster(business).is_empty(), "forgotten once out of calls");
    }

    #[test]
    fn devices_of_a_business_share_presence_and_no_one_else_does() {
        let (p, delivery) = presence();
        let (a, b, u, v) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let (d1, mut rx1) = attached(&delivery, a, u, 8);
        let (d2, mut rx2) = attached(&delivery, a, u, 8);
        let (d3, mut rx3) = attached(&delivery, b, v, 8);
        p.join(d1);
        p.join(d3);
        assert_eq!(drain(&mut rx1), [status(u, PresenceStatus::Available, 1)]);
        assert_eq!(drain(&mut rx3), [status(v, PresenceStatus::Available, 1)]);
        p.join(d2);
        assert_eq!(drain(&mut rx1), [status(u, PresenceStatus::Available, 2)]);
        assert_eq!(drain(&mut rx2), [status(u, PresenceStatus::Available, 2)]);
        let mut online = p.online_businesses();
        online.sort();
        let mut both = vec![a, b];
        both.sort();
        assert_eq!(online, both);

        p.set_availability(d2, Availability::Away);
        assert_eq!(drain(&mut rx1), [status(u, PresenceStatus::Away, 2)]);
        assert_eq!(drain(&mut rx2), [status(u, PresenceStatus::Away, 2)]);
        assert_eq!(p.online_businesses(), [b]);
        // A repeat only confirms to the sender.
        p.set_availability(d2, Availability::Away);
        assert!(drain(&mut rx1).is_empty());
        assert_eq!(drain(&mut rx2).len(), 1);

        p.leave(d2);
        assert_eq!(drain(&mut rx1), [status(u, PresenceStatus::Away, 1)]);
        p.leave(d1);
        p.leave(d3);
        assert!(drain(&mut rx3).is_empty());
        assert!(p.online_businesses().is_empty());
        assert!(p.lock().is_empty());
    }

    #[test]
    fn a_new_device_learns_who_is_there() {
        let (p, delivery) = presence();
        let (a, u, w) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let (d1, _rx1) = attached(&delivery, a, u, 8);
        let (d2, mut rx2) = attached(&delivery, a, w, 8);
        p.join(d1);
        p.set_availability(d1, Availability::Away);
        p.join(d2);
        assert_eq!(
            drain(&mut rx2),
            [
                status(u, PresenceStatus::Away, 1),
                status(w, PresenceStatus::Available, 1)
            ]
        );
    }
}
