//! In-memory fakes of the engine's seams that remember what they were asked to do.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use entity::calls::limits::Limited;
use entity::calls::protocol::ConnectionId;
use entity::calls::records::{Job, RecordWriter};
use entity::calls::wire::Availability;
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;

use crate::signaling::engine::{
    AgentDevice, CallAdmission, Delivery, Mailbox, MemberPresence, Presence, RecordSink,
};
use crate::signaling::outbox::{Outbox, Refused, Signal};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the fake delivery saw: which socket (the n-th attachment) serves each
/// connection, every frame delivered and to which attachment, every signal.
#[derive(Default)]
pub struct Log {
    attached: HashMap<ConnectionId, u32>,
    attachments: u32,
    pub frames: Vec<(ConnectionId, u32, Value)>,
    pub signals: Vec<(ConnectionId, Signal)>,
}

impl Log {
    /// Records `frame` for `connection` if a socket serves it (else it is dropped, as a
    /// real delivery would).
    fn record(&mut self, connection: ConnectionId, frame: &Utf8Bytes) {
        if let Some(&n) = self.attached.get(&connection) {
            let value = serde_json::from_str(frame.as_str()).unwrap_or(Value::Null);
            self.frames.push((connection, n, value));
        }
    }
}

/// A delivery seam that records instead of writing to sockets.
#[derive(Default)]
pub struct FakeDelivery(Arc<Mutex<Log>>);

impl FakeDelivery {
    pub fn log(&self) -> MutexGuard<'_, Log> {
        lock(&self.0)
    }

    /// Takes the frames delivered to `connection` so far.
    pub fn take(&self, connection: ConnectionId) -> Vec<Value> {
        let mut log = self.log();
        let (mine, rest) = std::mem::take(&mut log.frames)
            .into_iter()
            .partition(|(c, _, _)| *c == connection);
        log.frames = rest;
        mine.into_iter().map(|(_, _, v)| v).collect()
    }

    /// Takes the frames delivered to `connection`, as their types.
    pub fn types(&self, connection: ConnectionId) -> Vec<String> {
        self.take(connection)
            .iter()
            .map(|f| super::kind(f).to_owned())
            .collect()
    }

    /// The frames of type `kind` delivered to anyone (left in the log).
    pub fn frames_of_type(&self, kind: &str) -> Vec<Value> {
        self.log()
            .frames
            .iter()
            .filter(|(_, _, f)| super::kind(f) == kind)
            .map(|(_, _, f)| f.clone())
            .collect()
    }

    /// Which socket (attachment number) serves `connection` now.
    pub fn attachment(&self, connection: ConnectionId) -> Option<u32> {
        self.log().attached.get(&connection).copied()
    }
}

/// A mailbox resolved for one attachment of a connection.
struct FakeMailbox {
    log: Arc<Mutex<Log>>,
    connection: ConnectionId,
    attachment: u32,
}

impl Mailbox for FakeMailbox {
    fn post(&self, frame: Utf8Bytes) -> Result<(), Refused> {
        let value = serde_json::from_str(frame.as_str()).unwrap_or(Value::Null);
        lock(&self.log)
            .frames
            .push((self.connection, self.attachment, value));
        Ok(())
    }
}

impl Delivery for FakeDelivery {
    fn attach(&self, connection: ConnectionId, _outbox: Outbox) {
        let mut log = self.log();
        log.attachments += 1;
        let n = log.attachments;
        log.attached.insert(connection, n);
    }

    fn detach(&self, connection: ConnectionId) {
        self.log().attached.remove(&connection);
    }

    fn mailbox(&self, connection: ConnectionId) -> Option<Arc<dyn Mailbox>> {
        let attachment = *self.log().attached.get(&connection)?;
        Some(Arc::new(FakeMailbox {
            log: self.0.clone(),
            connection,
            attachment,
        }))
    }

    fn deliver(&self, connection: ConnectionId, frame: Utf8Bytes) {
        self.log().record(connection, &frame);
    }

    fn deliver_all(&self, frames: &mut dyn Iterator<Item = (ConnectionId, Utf8Bytes)>) {
        let mut log = self.log();
        for (connection, frame) in frames {
            log.record(connection, &frame);
        }
    }

    fn broadcast(&self, to: &mut dyn Iterator<Item = ConnectionId>, frame: &Utf8Bytes) {
        let mut log = self.log();
        for connection in to {
            log.record(connection, frame);
        }
    }

    fn signal(&self, connection: ConnectionId, signal: Signal) {
        self.log().signals.push((connection, signal));
    }
}

/// One member as the fake presence keeps them.
#[derive(Default)]
struct Member {
    devices: Vec<ConnectionId>,
    away: bool,
    calls: u32,
}

/// Presence in a map, sending no frames; remembers every busy change.
pub struct FakePresence {
    members: Mutex<HashMap<(Uuid, Uuid), Member>>,
    pub busy: Mutex<Vec<(Uuid, bool)>>,
    changed: watch::Sender<u64>,
}

impl Default for FakePresence {
    fn default() -> Self {
        Self {
            members: Mutex::default(),
            busy: Mutex::default(),
            changed: watch::channel(0).0,
        }
    }
}

impl Presence for FakePresence {
    fn join(&self, device: AgentDevice) {
        let key = (device.business_id, device.user_id);
        let mut members = lock(&self.members);
        members
            .entry(key)
            .or_default()
            .devices
            .push(device.connection_id);
    }

    fn leave(&self, device: AgentDevice) {
        let key = (device.business_id, device.user_id);
        if let Some(member) = lock(&self.members).get_mut(&key) {
            member.devices.retain(|c| *c != device.connection_id);
        }
    }

    fn set_availability(&self, device: AgentDevice, availability: Availability) {
        let key = (device.business_id, device.user_id);
        if let Some(member) = lock(&self.members).get_mut(&key) {
            member.away = availability == Availability::Away;
        }
    }

    fn set_busy(&self, business_id: Uuid, user_id: Uuid, busy: bool) {
        lock(&self.busy).push((user_id, busy));
        if let Some(member) = lock(&self.members).get_mut(&(business_id, user_id)) {
            member.calls = if busy {
                member.calls + 1
            } else {
                member.calls.saturating_sub(1)
            };
        }
    }

    fn online_businesses(&self) -> Vec<Uuid> {
        let members = lock(&self.members);
        let mut online: Vec<Uuid> = members
            .iter()
            .filter(|(_, m)| !m.devices.is_empty() && !m.away)
            .map(|((business, _), _)| *business)
            .collect();
        online.sort();
        online.dedup();
        online
    }

    fn roster(&self, business_id: Uuid) -> Vec<MemberPresence> {
        lock(&self.members)
            .iter()
            .filter(|((business, _), _)| *business == business_id)
            .map(|((_, user_id), m)| MemberPresence {
                user_id: *user_id,
                devices: m.devices.clone(),
                availability: if m.away {
                    Availability::Away
                } else {
                    Availability::Available
                },
                busy: m.calls > 0,
            })
            .collect()
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

/// Keeps every record job; written at once.
#[derive(Default)]
pub struct FakeRecords {
    pub jobs: Mutex<Vec<Job>>,
    pub drained: AtomicBool,
}

impl RecordWriter for FakeRecords {
    fn written(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async {})
    }
}

impl RecordSink for FakeRecords {
    fn push(&self, job: Job) {
        lock(&self.jobs).push(job);
    }

    fn drain(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.drained.store(true, Ordering::SeqCst);
        Box::pin(async {})
    }
}

/// Admits every call request.
pub struct OpenAdmission;

impl CallAdmission for OpenAdmission {
    fn admit_caller(&self, _: Uuid, _: IpAddr, _: Instant) -> Result<(), Limited> {
        Ok(())
    }

    fn admit_business(&self, _: Uuid, _: Instant) -> Result<(), Limited> {
        Ok(())
    }
}
