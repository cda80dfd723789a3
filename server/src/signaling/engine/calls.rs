//! The live calls of this process: each one an [`entity::calls::Call`] state machine the
//! engine feeds events to, executing the effects it returns (frames through the delivery
//! seam, records, busy presence, the next wave).
//!
//! **Atomic accept.** Every event of one call — accepts, rejects, relays, timer ticks,
//! lost sockets, shutdown — is handled while holding that call's own async mutex, and the
//! effects are executed (handed to the delivery seam and the record sink) before it is
//! released. So the machine sees one event at a time, in order: of two accepts racing
//! from two devices, whichever takes the lock first wins and the other finds the call
//! connected (its device already got `taken`). Calls do not share locks, so one busy call
//! never slows another; the registry's own lock (ids, who is in which call) is held only
//! for map look-ups, never across an await or a call's lock. An event's frames go out as
//! one batch per run of frames (one registry lock for who is now involved, one
//! [`super::Delivery::deliver_all`]), in the order the machine produced them.
//!
//! **Timers.** Each call has one timer task that sleeps until [`Call::next_deadline`] and
//! then feeds [`Event::Tick`]; every event wakes it to re-read the deadline, and it stops
//! when the call ends.
//!
//! **Routing.** The pure [`entity::calls::routing::plan_ring`] turns a route into waves
//! against a presence snapshot ([`super::Presence::roster`]); what routing remembers
//! between calls (round-robin cursors, each member's last call end) is the
//! [`super::RoutingMemory`] seam.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use chrono::{DateTime, Utc};
use entity::calls::protocol::{CallId, ConnectionId, ServerMessage};
use entity::calls::records::Job;
use entity::calls::routing::{AgentSnapshot, RosterSnapshot, Team, Wave};
use entity::calls::{AgentDevice, Call, CallError, Effect, Event, Milestone, Phase};
use tokio::sync::Notify;
use uuid::Uuid;

use super::relay::Links;
use super::{Engine, MemberPresence};

/// One live call: its machine, the waves still to ring, and its timer's wake-up.
pub(super) struct Slot {
    pub business_id: Uuid,
    /// The caller identity that placed it (one call at a time per identity).
    pub caller_identity: Uuid,
    pub state: tokio::sync::Mutex<SlotState>,
    pub wake: Notify,
}

pub(super) struct SlotState {
    pub call: Call,
    pub waves: VecDeque<Wave>,
    /// Where the two parties' relayed frames go.
    pub links: Links,
}

impl Slot {
    /// A call of `business_id` placed by `caller_identity`, not yet rung.
    pub fn new(business_id: Uuid, caller_identity: Uuid, call: Call) -> Self {
        Self {
            business_id,
            caller_identity,
            state: tokio::sync::Mutex::new(SlotState {
                call,
                waves: VecDeque::new(),
                links: Links::default(),
            }),
            wake: Notify::new(),
        }
    }
}

/// Who is in which call.
#[derive(Default)]
pub(super) struct Registry {
    pub calls: HashMap<CallId, Arc<Slot>>,
    /// Every call a connection was told about (rung, party), until the call ends.
    pub involved: HashMap<ConnectionId, HashSet<CallId>>,
    /// The live call of each caller identity, over all its sockets.
    pub callers: HashMap<Uuid, CallId>,
    /// Shutting down: calls were ended and no new one starts.
    pub closed: bool,
}

impl Registry {
    /// The live calls `connection` is involved in.
    pub fn involved(&self, connection: ConnectionId) -> Vec<(CallId, Arc<Slot>)> {
        self.involved
            .get(&connection)
            .into_iter()
            .flatten()
            .filter_map(|id| self.calls.get(id).map(|s| (*id, s.clone())))
            .collect()
    }
}

/// Frames an event produced, not yet handed over: who becomes involved in the call, and
/// what goes to whom.
#[derive(Default)]
struct Outgoing {
    involves: Vec<ConnectionId>,
    frames: Vec<(ConnectionId, Utf8Bytes)>,
}

/// Serialises a frame once.
pub(super) fn encode(message: &ServerMessage) -> Option<Utf8Bytes> {
    match serde_json::to_string(message) {
        Ok(text) => Some(text.into()),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a call message");
            None
        }
    }
}

/// A deadline `after` from `now`.
pub(super) fn after(now: DateTime<Utc>, after: std::time::Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(after).unwrap_or(chrono::Duration::MAX)
}

/// Whether a message leaves its recipient involved in the call (the last ones it gets do
/// not).
fn involves(message: &ServerMessage) -> bool {
    !matches!(
        message,
        ServerMessage::Ended { .. }
            | ServerMessage::Missed {}
            | ServerMessage::Unavailable { .. }
            | ServerMessage::Taken { .. }
    )
}

impl Engine {
    /// Feeds one event to a call under its lock and executes the effects.
    pub(super) async fn apply(
        &self,
        call_id: CallId,
        slot: &Slot,
        event: Event,
    ) -> Result<(), CallError> {
        let mut state = slot.state.lock().await;
        if let Event::Lost { party, .. } | Event::Back(party) | Event::Gone(party) = &event {
            // Its socket changed: relays resolve where it is again.
            state.links.forget(party.connection());
        }
        let mut next = Some(event);
        let mut result = Ok(());
        // The same message to several devices (`incoming` to a wave, `ended` to the
        // others) is serialised once.
        let mut encoded: Option<(ServerMessage, Utf8Bytes)> = None;
        let mut out = Outgoing::default();
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
                        if involves(&message) {
                            out.involves.push(to.connection());
                        }
                        out.frames.push((to.connection(), text.clone()));
                        encoded = Some((message, text));
                    }
                    Effect::Record(milestone) => self.record(slot, call_id, now, milestone),
                    Effect::Busy { user, busy } => {
                        // Presence frames follow the call frames queued before them.
                        self.hand_over(call_id, &mut out);
                        if !busy {
                            self.seams().memory.call_ended(user, now);
                        }
                        self.seams().presence.set_busy(slot.business_id, user, busy);
                    }
                    Effect::WaveOver => {
                        self.hand_over(call_id, &mut out);
                        next = Some(self.next_wave(slot, &mut state, now));
                    }
                }
            }
        }
        self.hand_over(call_id, &mut out);
        if matches!(state.call.phase(), Phase::Ended(_)) {
            self.forget(call_id);
        }
        slot.wake.notify_one();
        result
    }

    /// Records who is now involved in call `call_id`, then hands its frames to the
    /// delivery seam, in order.
    fn hand_over(&self, call_id: CallId, out: &mut Outgoing) {
        if !out.involves.is_empty() {
            let mut registry = self.registry();
            for connection in out.involves.drain(..) {
                registry
                    .involved
                    .entry(connection)
                    .or_default()
                    .insert(call_id);
            }
        }
        if !out.frames.is_empty() {
            self.seams().delivery.deliver_all(&mut out.frames.drain(..));
        }
    }

    fn record(&self, slot: &Slot, call_id: CallId, at: DateTime<Utc>, milestone: Milestone) {
        self.seams().records.push(Job::Milestone {
            business_id: slot.business_id,
            call_id,
            at,
            milestone,
        });
    }

    /// The next wave with someone still eligible, or give up.
    pub(super) fn next_wave(
        &self,
        slot: &Slot,
        state: &mut SlotState,
        now: DateTime<Utc>,
    ) -> Event {
        let members = self.seams().presence.roster(slot.business_id);
        let roster = snapshot(&members);
        while let Some(wave) = state.waves.pop_front() {
            let devices = devices(&members, &wave.eligible_members(&roster));
            if !devices.is_empty() {
                if let Some((team, member)) = wave.round_robin_cursor() {
                    self.seams().memory.rang(team, member);
                }
                let deadline = after(now, wave.timeout);
                return Event::Ring { devices, deadline };
            }
        }
        Event::GiveUp
    }

    /// Call `call_id` ended: it leaves the live calls and its connections' lists.
    fn forget(&self, call_id: CallId) {
        let mut registry = self.registry();
        if let Some(slot) = registry.calls.remove(&call_id) {
            self.inner.ended.record(call_id);
            if registry.callers.get(&slot.caller_identity) == Some(&call_id) {
                registry.callers.remove(&slot.caller_identity);
            }
        }
        registry.involved.retain(|_, calls| {
            calls.remove(&call_id);
            !calls.is_empty()
        });
    }

    /// Routing's view of business `business_id`: its connected `members` (with when each
    /// last ended a call), the `teams` a call may reach and the round-robin cursors. The
    /// synthetic "everyone" team (whose id is the business id) rings for the engine's
    /// configured timeout.
    pub(super) fn roster(
        &self,
        business_id: Uuid,
        members: &[MemberPresence],
        teams: &HashMap<Uuid, Team>,
    ) -> RosterSnapshot {
        let mut roster = snapshot(members);
        for (&id, team) in teams {
            let mut team = team.clone();
            if id == business_id {
                team.ring_timeout = self.config().ring_timeout;
            }
            roster.teams.insert(id, team);
        }
        self.seams().memory.recall(&mut roster);
        roster
    }
}

/// Feeds `Tick` at each deadline of a call until it ends.
pub(super) async fn timer(engine: Engine, call_id: CallId, slot: Arc<Slot>) {
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
                        let _ = engine.apply(call_id, &slot, Event::Tick).await;
                    }
                    () = slot.wake.notified() => {}
                }
            }
        }
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
pub(super) fn devices(members: &[MemberPresence], users: &[Uuid]) -> Vec<AgentDevice> {
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
