//! The live calls of this process: each one an [`entity::calls::Call`] state machine the
//! hub feeds events to, executing the effects it returns (frames to devices, records,
//! busy presence, the next wave).
//!
//! **Atomic accept.** Every event of one call — accepts, rejects, relays, timer ticks,
//! lost sockets, shutdown — is handled while holding that call's own async mutex, and the
//! effects are executed (queued on the devices' outboxes, handed to the record writer)
//! before it is released. So the machine sees one event at a time, in order: of two
//! accepts racing from two devices, whichever takes the lock first wins and the other
//! finds the call connected (its device already got `taken`). Calls do not share locks,
//! so one busy call never slows another; the registry's own lock (ids, outboxes, who is
//! in which call) is held only for map look-ups, never across an await or a call's lock.
//!
//! **Timers.** Each call has one timer task that sleeps until [`Call::next_deadline`] and
//! then feeds [`Event::Tick`]; every event wakes it to re-read the deadline, and it stops
//! when the call ends.
//!
//! **Routing.** A `call_request` is routed by its intent ([`entity::routing_setup`]): to a
//! team (its strategy — simultaneous, round-robin, longest-idle —, its ring timeout and
//! its fallback chain), to one member, or, without an intent, to everyone of the business
//! rung at once for the configured ring timeout (30 s by default). The pure
//! [`entity::calls::routing::plan_ring`] turns that into waves against a presence snapshot;
//! the hub remembers round-robin cursors and each member's last call end. The verified
//! domain, the caller's card and the route come from the hub's in-memory
//! [`entity::calls::directory::CallDirectory`], so a request rarely reads the database.
//!
//! **Resuming.** A dropped party stays involved in its calls through the reconnect grace
//! ([`super::sessions`]); a socket that resumes its session gets [`Event::Back`] fed to
//! each of them. A party whose credential was revoked cannot come back: its calls get
//! [`Event::Gone`] and end at once.
//!
//! **Limits.** A caller identity has one call at a time over all its sockets, and call
//! requests pass the [`entity::calls::limits::CallLimiter`] (per identity, address and
//! business) before anything rings; a refusal is `error rate_limited` with
//! `retry_after_ms`. Accepting and transferring check, from the call directory's cached
//! member list, that the members involved still belong to the call's business, so a
//! removal whose revocation has not reached this process yet cannot answer a call.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::ws::Utf8Bytes;
use chrono::{DateTime, Utc};
use entity::calls::protocol::{CallId, ConnectionId, ErrorCode, ServerMessage};
use entity::calls::routing::{AgentSnapshot, RosterSnapshot, Wave};
use entity::calls::{AgentDevice, Call, CallError, Effect, Event, Milestone, Party, Phase};
use tokio::sync::Notify;
use uuid::Uuid;

mod messages;

use super::presence::MemberPresence;
use super::records::{Job, Records};
use super::{Hub, Outbox, Presence};

/// A refusal for the sender of a call message.
pub(super) type Refusal = (ErrorCode, String);

/// Who places a call request: the socket, its caller identity and its client address.
#[derive(Clone, Copy, Debug)]
pub(super) struct Caller {
    pub connection: ConnectionId,
    pub identity_id: Uuid,
    pub address: std::net::IpAddr,
}

fn refusal(error: CallError) -> Refusal {
    (error.code(), error.to_string())
}

/// One live call: its machine, the waves still to ring, and its timer's wake-up.
struct Slot {
    business_id: Uuid,
    /// The caller identity that placed it (one call at a time per identity).
    caller_identity: Uuid,
    state: tokio::sync::Mutex<SlotState>,
    wake: Notify,
}

struct SlotState {
    call: Call,
    waves: VecDeque<Wave>,
}

/// Who is reachable and who is in which call.
#[derive(Default)]
struct Registry {
    calls: HashMap<CallId, Arc<Slot>>,
    /// Every call a connection was told about (rung, party), until the call ends.
    involved: HashMap<ConnectionId, HashSet<CallId>>,
    outboxes: HashMap<ConnectionId, Outbox>,
    /// The live call of each caller identity, over all its sockets.
    callers: HashMap<Uuid, CallId>,
    /// Shutting down: calls were ended and no new one starts.
    closed: bool,
}

impl Registry {
    fn push(&self, call_id: CallId, connection: ConnectionId, text: Utf8Bytes) {
        if let Some(outbox) = self.outboxes.get(&connection) {
            if outbox.try_send(text).is_err() {
                tracing::warn!(%call_id, "a device is not reading (or gone); call message dropped");
            }
        }
    }
}

/// What routing remembers between calls in this process: where each round-robin team
/// stopped and when each member's last call ended (for longest-idle).
#[derive(Default)]
struct RoutingMemory {
    cursors: HashMap<Uuid, Uuid>,
    last_call_ended: HashMap<Uuid, DateTime<Utc>>,
}

/// The live calls and the connections they can reach.
#[derive(Default)]
pub(super) struct Calls {
    registry: Mutex<Registry>,
    memory: Mutex<RoutingMemory>,
    pub(super) records: Records,
    /// Calls that ended lately, for the embedded TURN server ([`super::turn_calls`]).
    pub(super) ended: super::turn_calls::EndedCalls,
}

/// Serialises a frame once.
fn encode(message: &ServerMessage) -> Option<Utf8Bytes> {
    match serde_json::to_string(message) {
        Ok(text) => Some(text.into()),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a call message");
            None
        }
    }
}

/// A deadline `after` from `now`.
fn after(now: DateTime<Utc>, after: std::time::Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(after).unwrap_or(chrono::Duration::MAX)
}

impl Calls {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn memory(&self) -> MutexGuard<'_, RoutingMemory> {
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes a greeted connection reachable.
    pub(super) fn connect(&self, connection: ConnectionId, outbox: Outbox) {
        self.registry().outboxes.insert(connection, outbox);
    }

    /// A connection's socket went away: it is unreachable until it resumes. Returns the
    /// calls it is involved in, which keep it as a party until it resumes or they end.
    fn disconnect(&self, connection: ConnectionId) -> Vec<(CallId, Arc<Slot>)> {
        let mut registry = self.registry();
        registry.outboxes.remove(&connection);
        let registry = &*registry;
        registry
            .involved
            .get(&connection)
            .into_iter()
            .flatten()
            .filter_map(|id| registry.calls.get(id).map(|s| (*id, s.clone())))
            .collect()
    }

    /// Forgets a connection that will not resume.
    fn forget_connection(&self, connection: ConnectionId) {
        self.registry().involved.remove(&connection);
    }

    fn slot(&self, id: CallId) -> Option<Arc<Slot>> {
        self.registry().calls.get(&id).cloned()
    }

    /// The live calls a connection is involved in.
    fn involved(&self, connection: ConnectionId) -> Vec<(CallId, Arc<Slot>)> {
        let registry = self.registry();
        registry
            .involved
            .get(&connection)
            .into_iter()
            .flatten()
            .filter_map(|id| registry.calls.get(id).map(|s| (*id, s.clone())))
            .collect()
    }

    /// Queues `message` (serialised as `text`) for a party of call `call_id`; the device
    /// counts as involved in the call unless the message says it is over for it.
    fn deliver(&self, call_id: CallId, to: Party, message: &ServerMessage, text: Utf8Bytes) {
        let connection = to.connection();
        let mut registry = self.registry();
        if !matches!(
            message,
            ServerMessage::Ended { .. }
                | ServerMessage::Missed {}
                | ServerMessage::Unavailable { .. }
                | ServerMessage::Taken { .. }
        ) {
            registry
                .involved
                .entry(connection)
                .or_default()
                .insert(call_id);
        }
        registry.push(call_id, connection, text);
    }

    /// Queues an already serialised frame of call `call_id` for a party's device.
    fn send_text(&self, call_id: CallId, connection: ConnectionId, text: Utf8Bytes) {
        self.registry().push(call_id, connection, text);
    }

    /// Whether call `id` is live (requested, ringing or connected).
    pub(super) fn is_live(&self, id: CallId) -> bool {
        self.registry().calls.contains_key(&id)
    }

    fn forget(&self, call_id: CallId) {
        let mut registry = self.registry();
        if let Some(slot) = registry.calls.remove(&call_id) {
            self.ended.record(call_id);
            if registry.callers.get(&slot.caller_identity) == Some(&call_id) {
                registry.callers.remove(&slot.caller_identity);
            }
        }
        registry.involved.retain(|_, calls| {
            calls.remove(&call_id);
            !calls.is_empty()
        });
    }
}

impl Hub {
    fn calls(&self) -> &Calls {
        &self.inner.calls
    }

    /// Feeds one event to a call under its lock and executes the effects.
    async fn apply(&self, call_id: CallId, slot: &Slot, event: Event) -> Result<(), CallError> {
        let mut state = slot.state.lock().await;
        let mut next = Some(event);
        let mut result = Ok(());
        // The same message to several devices (`incoming` to a wave, `ended` to the
        // others) is serialised once.
        let mut encoded: Option<(ServerMessage, Utf8Bytes)> = None;
        while let Some(event) = next.take() {
            let now = Utc::now();
            let effects = match state.call.handle(now, event) {
                Ok(effects) => effects,
                Err(e) => {
                    if result.is_ok() {
                        result = Err(e);
                    }
                    break;
                }
            };
            for effect in effects {
                match effect {
                    Effect::Send { to, message } => {
                        let text = match &encoded {
                            Some((last, text)) if *last == message => text.clone(),
                            _ => {
                                let Some(text) = encode(&message) else {
                                    continue;
                                };
                                text
                            }
                        };
                        self.calls().deliver(call_id, to, &message, text.clone());
                        encoded = Some((message, text));
                    }
                    Effect::Record(milestone) => self.record(slot, call_id, now, milestone),
                    Effect::Busy { user, busy } => {
                        if !busy {
                            self.calls().memory().last_call_ended.insert(user, now);
                        }
                        self.presence().set_busy(slot.business_id, user, busy).await;
                    }
                    Effect::WaveOver => next = Some(self.next_wave(slot, &mut state, now).await),
                }
            }
        }
        if matches!(state.call.phase(), Phase::Ended(_)) {
            self.calls().forget(call_id);
        }
        slot.wake.notify_one();
        result
    }

    fn record(&self, slot: &Slot, call_id: CallId, at: DateTime<Utc>, milestone: Milestone) {
        self.calls().records.push(Job::Milestone {
            business_id: slot.business_id,
            call_id,
            at,
            milestone,
        });
    }

    /// The next wave with someone still eligible, or give up.
    async fn next_wave(&self, slot: &Slot, state: &mut SlotState, now: DateTime<Utc>) -> Event {
        let members = self.presence().roster(slot.business_id).await;
        let roster = snapshot(&members);
        while let Some(wave) = state.waves.pop_front() {
            let devices = devices(&members, &wave.eligible_members(&roster));
            if !devices.is_empty() {
                if let Some((team, member)) = wave.round_robin_cursor() {
                    self.calls().memory().cursors.insert(team, member);
                }
                let deadline = after(now, wave.timeout);
                return Event::Ring { devices, deadline };
            }
        }
        Event::GiveUp
    }
}

/// Feeds `Tick` at each deadline of a call until it ends.
async fn timer(hub: Hub, call_id: CallId, slot: Arc<Slot>) {
    loop {
        let deadline = {
            let state = slot.state.lock().await;
            if matches!(state.call.phase(), Phase::Ended(_)) {
                return;
            }
            state.call.next_deadline()
        };
        match deadline {
            None => slot.wake.notified().await,
            Some(deadline) => {
                let wait = (deadline - Utc::now()).to_std().unwrap_or_default();
                tokio::select! {
                    () = tokio::time::sleep(wait) => {
                        let _ = hub.apply(call_id, &slot, Event::Tick).await;
                    }
                    () = slot.wake.notified() => {}
                }
            }
        }
    }
}

impl Hub {
    /// Routing's view of business `business_id`: its connected members (with when each
    /// last ended a call), the `teams` a call may reach and the round-robin cursors. The
    /// synthetic "everyone" team (whose id is the business id) rings for the hub's
    /// configured timeout.
    fn roster(
        &self,
        business_id: Uuid,
        members: &[MemberPresence],
        teams: &HashMap<Uuid, entity::calls::routing::Team>,
    ) -> RosterSnapshot {
        let memory = self.calls().memory();
        let mut roster = snapshot(members);
        for agent in roster.agents.values_mut() {
            agent.last_call_ended_at = memory.last_call_ended.get(&agent.user_id).copied();
        }
        for (&id, team) in teams {
            let mut team = team.clone();
            if id == business_id {
                team.ring_timeout = self.config().ring_timeout;
            }
            if let Some(&cursor) = memory.cursors.get(&id) {
                roster.cursors.insert(id, cursor);
            }
            roster.teams.insert(id, team);
        }
        roster
    }
}

/// Routing's view of the connected members.
fn snapshot(members: &[MemberPresence]) -> RosterSnapshot {
    members.iter().fold(RosterSnapshot::default(), |roster, m| {
        roster.with_agent(AgentSnapshot {
            online_devices: u32::try_from(m.devices.len()).unwrap_or(u32::MAX),
            availability: m.availability,
            busy: m.busy,
            ..AgentSnapshot::available(m.user_id)
        })
    })
}

/// Every connected device of these members.
fn devices(members: &[MemberPresence], users: &[Uuid]) -> Vec<AgentDevice> {
    members
        .iter()
        .filter(|m| users.contains(&m.user_id))
        .flat_map(|m| {
            m.devices.iter().map(|&connection| AgentDevice {
                user: m.user_id,
                connection,
            })
        })
        .collect()
}
