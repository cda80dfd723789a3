//! The seams as one process keeps them: everything in this process's memory (call
//! records excepted, which go to the database through one writer task). What the hub
//! runs on unless it is given others.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Utc};
use entity::calls::limits::{CallLimiter, CallLimits, Limited};
use entity::calls::routing::RosterSnapshot;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

mod delivery;
mod presence;
mod records;
mod sessions;

pub use delivery::LocalDelivery;
pub use presence::LocalPresence;
pub use records::LocalRecords;
pub use sessions::LocalSessions;

use super::{CallAdmission, RoutingMemory, Seams};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Seams {
    /// Every seam kept in this process, with call records written to `db` (and, once
    /// written, told to `events`) and requests limited by `limits`. Spawns the record
    /// writer: call it on a tokio runtime.
    #[must_use]
    pub fn local(
        limits: &CallLimits,
        db: &DatabaseConnection,
        events: Arc<dyn entity::events::EventBus>,
    ) -> Self {
        let delivery = Arc::new(LocalDelivery::default());
        Self {
            presence: Arc::new(LocalPresence::new(delivery.clone())),
            delivery,
            memory: Arc::new(LocalMemory::default()),
            sessions: Arc::new(LocalSessions::default()),
            admission: Arc::new(LocalAdmission::new(limits)),
            records: Arc::new(LocalRecords::start(db, events)),
        }
    }
}

/// Routing memory kept in this process: each round-robin team's cursor and each
/// member's last call end.
#[derive(Default)]
pub struct LocalMemory(Mutex<Memory>);

#[derive(Default)]
struct Memory {
    cursors: HashMap<Uuid, Uuid>,
    last_call_ended: HashMap<Uuid, DateTime<Utc>>,
}

impl RoutingMemory for LocalMemory {
    fn recall(&self, roster: &mut RosterSnapshot) {
        let memory = lock(&self.0);
        for agent in roster.agents.values_mut() {
            agent.last_call_ended_at = memory.last_call_ended.get(&agent.user_id).copied();
        }
        for &team in roster.teams.keys() {
            if let Some(&cursor) = memory.cursors.get(&team) {
                roster.cursors.insert(team, cursor);
            }
        }
    }

    fn rang(&self, team: Uuid, member: Uuid) {
        lock(&self.0).cursors.insert(team, member);
    }

    fn call_ended(&self, user: Uuid, at: DateTime<Utc>) {
        lock(&self.0).last_call_ended.insert(user, at);
    }
}

/// The call-request limits of this process (held for a few map operations).
pub struct LocalAdmission(Mutex<CallLimiter>);

impl LocalAdmission {
    /// Limits as `limits` says, nothing counted yet.
    #[must_use]
    pub fn new(limits: &CallLimits) -> Self {
        Self(Mutex::new(CallLimiter::new(limits)))
    }
}

impl CallAdmission for LocalAdmission {
    fn admit_caller(&self, identity: Uuid, address: IpAddr, now: Instant) -> Result<(), Limited> {
        lock(&self.0).admit_caller(identity, address, now)
    }

    fn admit_business(&self, business: Uuid, now: Instant) -> Result<(), Limited> {
        lock(&self.0).admit_business(business, now)
    }
}

#[cfg(test)]
mod tests {
    use entity::calls::routing::{AgentSnapshot, Team};

    use super::*;

    #[test]
    fn routing_memory_recalls_cursors_and_call_ends_for_the_roster_asked_about() {
        let memory = LocalMemory::default();
        let (team, other_team, user, other) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let at = Utc::now();
        memory.rang(team, user);
        memory.rang(other_team, other);
        memory.call_ended(user, at);
        let mut roster = RosterSnapshot::default()
            .with_team(Team::new(team, vec![user]))
            .with_agent(AgentSnapshot::available(user));
        memory.recall(&mut roster);
        assert_eq!(roster.cursors, HashMap::from([(team, user)]));
        assert_eq!(roster.agents[&user].last_call_ended_at, Some(at));
    }
}
