//! The call state machine of the patent: requested → ringing (offered to a set of devices)
//! → connected (the first accept wins; the other devices get `taken`) → ended, with exactly
//! one [`EndReason`], after which every event is refused.
//!
//! Pure: the hub feeds it [`Event`]s with the current time and executes the returned
//! [`Effect`]s (messages to send, milestones to record, presence changes), so every rule —
//! who wins, who is told what, who may relay to whom — is decided here and tested without
//! sockets. The machine never reads a clock: ring timeouts and the reconnect grace are
//! deadlines carried by the events, and the hub calls [`Event::Tick`] at
//! [`Call::next_deadline`]. Illegal events are refused with a [`CallError`] and change
//! nothing.
//!
//! Waves: the hub rings a wave ([`Event::Ring`]); when every device of it rejected, dropped
//! or timed out the machine emits [`Effect::WaveOver`] and the hub rings the next wave or
//! gives up ([`Event::GiveUp`], ending the call `rejected` if every wave ended by
//! rejections, else `missed`).
//!
//! Transfer: the connected agent re-offers the call to other devices while staying
//! connected; the first of them to accept becomes the agent, the previous agent is told
//! `transferred`, and the caller gets `accepted` again and renegotiates with the new agent.
//! If nobody accepts, the transferring agent gets `transfer_failed` and keeps the call.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::protocol::{CallId, ConnectionId, IncomingCall, ServerMessage, Unavailability};
use super::wire::{ChatText, EndReason, IceServer, Side, TransferFailure};

mod vocabulary;

pub use vocabulary::{AgentDevice, CallError, Effect, Event, Milestone, Party, Phase};

/// How long a party's dropped socket may stay away before the call ends `dropped`.
pub const RECONNECT_GRACE: Duration = Duration::from_secs(15);

/// Devices a call is offered to, until a deadline (`None` once it passed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Offer {
    devices: Vec<AgentDevice>,
    deadline: Option<DateTime<Utc>>,
}

impl Offer {
    fn new(devices: Vec<AgentDevice>, deadline: DateTime<Utc>) -> Self {
        Self {
            devices,
            deadline: Some(deadline),
        }
    }

    fn contains(&self, device: AgentDevice) -> bool {
        self.devices.contains(&device)
    }

    /// Stops ringing every device, returning them.
    fn withdraw(&mut self) -> Vec<AgentDevice> {
        self.deadline = None;
        std::mem::take(&mut self.devices)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Requested,
    Ringing(Offer),
    Connected {
        agent: AgentDevice,
        transfer: Option<Offer>,
    },
    Ended(EndReason),
}

/// One call and everything the machine remembers about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    incoming: IncomingCall,
    caller: ConnectionId,
    requested_at: DateTime<Utc>,
    ice_servers: Vec<IceServer>,
    state: State,
    caller_lost: Option<DateTime<Utc>>,
    agent_lost: Option<DateTime<Utc>>,
    /// Every device the call was ever offered to.
    rung: BTreeSet<AgentDevice>,
    /// Whether the caller was told the call id (on the first accept).
    answered: bool,
    /// Whether a wave rang out; decides `missed` over `rejected` on give-up.
    timed_out: bool,
    rejected: bool,
}

/// The messages and records an event produces, in order.
type Effects = Vec<Effect>;

impl Call {
    /// A new call, requested at `requested_at` by the caller's connection. `incoming` is
    /// what ringing devices are shown (it carries the call id); `ice_servers` (with this
    /// call's TURN credentials) go to both parties on accept.
    #[must_use]
    pub fn new(
        incoming: IncomingCall,
        caller: ConnectionId,
        ice_servers: Vec<IceServer>,
        requested_at: DateTime<Utc>,
    ) -> Self {
        Self {
            incoming,
            caller,
            requested_at,
            ice_servers,
            state: State::Requested,
            caller_lost: None,
            agent_lost: None,
            rung: BTreeSet::new(),
            answered: false,
            timed_out: false,
            rejected: false,
        }
    }

    #[must_use]
    pub fn id(&self) -> CallId {
        self.incoming.call_id
    }

    /// The caller's connection.
    #[must_use]
    pub fn caller(&self) -> ConnectionId {
        self.caller
    }

    #[must_use]
    pub fn phase(&self) -> Phase {
        match &self.state {
            State::Requested => Phase::Requested,
            State::Ringing(_) => Phase::Ringing,
            State::Connected { .. } => Phase::Connected,
            State::Ended(reason) => Phase::Ended(*reason),
        }
    }

    /// The connected agent's device.
    #[must_use]
    pub fn agent(&self) -> Option<AgentDevice> {
        match &self.state {
            State::Connected { agent, .. } => Some(*agent),
            _ => None,
        }
    }

    /// The devices the call (or its transfer) is ringing on now.
    #[must_use]
    pub fn ringing_devices(&self) -> &[AgentDevice] {
        match &self.state {
            State::Ringing(offer)
            | State::Connected {
                transfer: Some(offer),
                ..
            } => &offer.devices,
            _ => &[],
        }
    }

    /// The earliest deadline (ring timeout or reconnect grace) at which the hub must send
    /// [`Event::Tick`]; `None` when nothing is pending.
    #[must_use]
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        let offer = match &self.state {
            State::Ended(_) => return None,
            State::Ringing(offer)
            | State::Connected {
                transfer: Some(offer),
                ..
            } => offer.deadline,
            _ => None,
        };
        [offer, self.caller_lost, self.agent_lost]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whom a relay message from `from` goes to: the other of the call's two current
    /// parties, and nobody unless the call is connected and `from` is one of them.
    #[must_use]
    pub fn relay_target(&self, from: Party) -> Option<Party> {
        let State::Connected { agent, .. } = self.state else {
            return None;
        };
        if from == Party::Caller(self.caller) {
            Some(Party::Agent(agent))
        } else if from == Party::Agent(agent) {
            Some(Party::Caller(self.caller))
        } else {
            None
        }
    }

    /// Whom a relay message (`offer`, `answer`, `ice`) from `from` goes to; the hub
    /// forwards it there as is (see [`super::relay`]).
    ///
    /// # Errors
    /// `Ended`, `NotConnected`, or `NotAParty` when `from` is not one of the two parties.
    pub fn relay_to(&self, from: Party) -> Result<Party, CallError> {
        match self.state {
            State::Ended(reason) => return Err(CallError::Ended(reason)),
            State::Connected { .. } => {}
            _ if self.is_party(from) => return Err(CallError::NotConnected),
            _ => return Err(CallError::NotAParty),
        }
        self.relay_target(from).ok_or(CallError::NotAParty)
    }

    /// Applies an event at time `now`.
    ///
    /// # Errors
    /// A [`CallError`] when the event is illegal in the current state; nothing changes then.
    pub fn handle(&mut self, now: DateTime<Utc>, event: Event) -> Result<Effects, CallError> {
        if let State::Ended(reason) = self.state {
            return Err(CallError::Ended(reason));
        }
        match event {
            Event::Ring { devices, deadline } => self.ring(devices, deadline),
            Event::GiveUp => self.give_up(),
            Event::Unavailable(why) => self.unavailable(why),
            Event::Accept(device) => self.accept(now, device),
            Event::Reject(device) => self.reject(device),
            Event::Cancel => Ok(self.caller_leaves()),
            Event::Hangup(party) => self.hangup(party),
            Event::Chat { from, text } => self.chat(now, from, text),
            Event::Transfer {
                by,
                devices,
                deadline,
            } => self.transfer(by, devices, deadline),
            Event::Lost { party, deadline } => self.lost(now, party, deadline),
            Event::Back(party) => self.back(party),
            Event::Gone(party) => self.gone(now, party),
            Event::Tick => Ok(self.tick(now)),
            Event::Shutdown => Ok(self.end(EndReason::ServerShutdown, None, None)),
        }
    }

    fn ring(
        &mut self,
        devices: Vec<AgentDevice>,
        deadline: DateTime<Utc>,
    ) -> Result<Effects, CallError> {
        let mut wave: Vec<AgentDevice> = Vec::new();
        for device in devices {
            if !wave.contains(&device) {
                wave.push(device);
            }
        }
        let previous = match &mut self.state {
            State::Requested | State::Ringing(_) if wave.is_empty() => {
                return Err(CallError::NoDevices)
            }
            State::Requested => None,
            State::Ringing(offer) => Some(offer.withdraw()),
            _ => return Err(CallError::NotRinging),
        };
        let mut out = Effects::new();
        match &previous {
            None => self.send(
                &mut out,
                Party::Caller(self.caller),
                ServerMessage::Ringing {},
            ),
            Some(previous) => {
                for &device in previous.iter().filter(|d| !wave.contains(d)) {
                    self.timed_out = true;
                    self.send_ended(&mut out, Party::Agent(device), EndReason::Missed, None);
                }
            }
        }
        let fresh: Vec<AgentDevice> = wave
            .iter()
            .copied()
            .filter(|d| previous.as_ref().is_none_or(|p| !p.contains(d)))
            .collect();
        for &device in &fresh {
            let message = ServerMessage::Incoming(self.incoming.clone());
            self.send(&mut out, Party::Agent(device), message);
        }
        self.rung.extend(fresh.iter().copied());
        out.push(Effect::Record(Milestone::Offered { devices: fresh }));
        self.state = State::Ringing(Offer::new(wave, deadline));
        Ok(out)
    }

    fn give_up(&mut self) -> Result<Effects, CallError> {
        if !matches!(self.state, State::Ringing(_)) {
            return Err(CallError::NotRinging);
        }
        let reason = if self.rejected && !self.timed_out {
            EndReason::Rejected
        } else {
            EndReason::Missed
        };
        Ok(self.end(reason, None, None))
    }

    fn unavailable(&mut self, why: Unavailability) -> Result<Effects, CallError> {
        if self.state != State::Requested {
            return Err(CallError::NotRinging);
        }
        Ok(self.end(EndReason::Unavailable, None, Some(why)))
    }

    fn accept(&mut self, now: DateTime<Utc>, device: AgentDevice) -> Result<Effects, CallError> {
        let (previous, mut offer) = match &mut self.state {
            State::Ringing(offer) if offer.contains(device) => (None, std::mem::take(offer)),
            State::Connected {
                agent,
                transfer: Some(offer),
            } if offer.contains(device) => (Some(*agent), std::mem::take(offer)),
            State::Connected { agent, .. } if *agent == device || self.rung.contains(&device) => {
                return Err(CallError::AlreadyAnswered)
            }
            State::Requested | State::Ringing(_) | State::Connected { .. } | State::Ended(_) => {
                return Err(CallError::NotOffered)
            }
        };
        let mut out = Effects::new();
        let call_id = self.id();
        for other in offer.withdraw().into_iter().filter(|&d| d != device) {
            self.send(
                &mut out,
                Party::Agent(other),
                ServerMessage::Taken { call_id },
            );
        }
        let accepted = ServerMessage::Accepted {
            call_id,
            ice_servers: self.ice_servers.clone(),
        };
        self.send(&mut out, Party::Agent(device), accepted.clone());
        self.send(&mut out, Party::Caller(self.caller), accepted);
        match previous {
            None => {
                let wait = (now - self.requested_at).to_std().unwrap_or_default();
                out.push(Effect::Record(Milestone::Accepted { by: device, wait }));
                out.push(Effect::Busy {
                    user: device.user,
                    busy: true,
                });
            }
            Some(previous) => {
                let to = device.user;
                self.send(
                    &mut out,
                    Party::Agent(previous),
                    ServerMessage::Transferred { call_id, to },
                );
                out.push(Effect::Record(Milestone::Transferred {
                    from: previous.user,
                    to: device,
                }));
                if previous.user != device.user {
                    out.push(Effect::Busy {
                        user: previous.user,
                        busy: false,
                    });
                    out.push(Effect::Busy {
                        user: device.user,
                        busy: true,
                    });
                }
                self.agent_lost = None;
            }
        }
        self.answered = true;
        self.state = State::Connected {
            agent: device,
            transfer: None,
        };
        Ok(out)
    }

    fn reject(&mut self, device: AgentDevice) -> Result<Effects, CallError> {
        let offer = match &mut self.state {
            State::Ringing(offer)
            | State::Connected {
                transfer: Some(offer),
                ..
            } if offer.contains(device) => offer,
            State::Connected { agent, .. } if *agent == device || self.rung.contains(&device) => {
                return Err(CallError::AlreadyAnswered)
            }
            _ => return Err(CallError::NotOffered),
        };
        let (mine, others) = offer.devices.iter().partition(|d| d.user == device.user);
        let mine: Vec<AgentDevice> = mine;
        offer.devices = others;
        let mut out = Effects::new();
        for &other in mine.iter().filter(|&&d| d != device) {
            self.send_ended(
                &mut out,
                Party::Agent(other),
                EndReason::Rejected,
                Some(Side::Agent),
            );
        }
        out.push(Effect::Record(Milestone::Rejected { user: device.user }));
        self.rejected = true;
        self.after_withdrawal(&mut out, TransferFailure::Rejected);
        Ok(out)
    }

    /// After devices stopped ringing: an emptied wave is over, an emptied transfer failed.
    fn after_withdrawal(&mut self, out: &mut Effects, failure: TransferFailure) {
        match &mut self.state {
            State::Ringing(offer) if offer.devices.is_empty() => {
                offer.deadline = None;
                out.push(Effect::WaveOver);
            }
            State::Connected {
                agent,
                transfer: Some(offer),
            } if offer.devices.is_empty() => {
                let agent = *agent;
                self.state = State::Connected {
                    agent,
                    transfer: None,
                };
                let call_id = self.id();
                let message = ServerMessage::TransferFailed {
                    call_id,
                    reason: failure,
                };
                self.send(out, Party::Agent(agent), message);
                out.push(Effect::Record(Milestone::TransferFailed {
                    reason: failure,
                }));
            }
            _ => {}
        }
    }

    /// The caller cancels or hangs up: `cancelled` before an answer, else a hang-up.
    fn caller_leaves(&mut self) -> Effects {
        let by = Some(Party::Caller(self.caller));
        match self.state {
            State::Connected { .. } => self.end(EndReason::HungUpByCaller, by, None),
            _ => self.end(EndReason::Cancelled, by, None),
        }
    }

    fn hangup(&mut self, party: Party) -> Result<Effects, CallError> {
        if party == Party::Caller(self.caller) {
            return Ok(self.caller_leaves());
        }
        match self.state {
            State::Connected { agent, .. } if party == Party::Agent(agent) => {
                Ok(self.end(EndReason::HungUpByAgent, Some(party), None))
            }
            _ => Err(CallError::NotAParty),
        }
    }

    fn chat(
        &mut self,
        now: DateTime<Utc>,
        from: Party,
        text: ChatText,
    ) -> Result<Effects, CallError> {
        if !self.is_party(from) {
            return Err(CallError::NotAParty);
        }
        let State::Connected { agent, .. } = self.state else {
            return Err(CallError::NotConnected);
        };
        let message = ServerMessage::Chat {
            call_id: self.id(),
            from: from.side(),
            text: text.clone(),
            at: now,
        };
        let mut out = Effects::new();
        self.send(&mut out, Party::Caller(self.caller), message.clone());
        self.send(&mut out, Party::Agent(agent), message);
        out.push(Effect::Record(Milestone::Chat {
            from: from.side(),
            text,
            at: now,
        }));
        Ok(out)
    }

    fn transfer(
        &mut self,
        by: AgentDevice,
        devices: Vec<AgentDevice>,
        deadline: DateTime<Utc>,
    ) -> Result<Effects, CallError> {
        match &self.state {
            State::Connected { agent, .. } if *agent != by => return Err(CallError::NotAParty),
            State::Connected {
                transfer: Some(_), ..
            } => return Err(CallError::TransferInProgress),
            State::Connected { .. } => {}
            _ if self.rung.contains(&by) => return Err(CallError::NotConnected),
            _ => return Err(CallError::NotAParty),
        }
        let mut targets: Vec<AgentDevice> = Vec::new();
        for device in devices {
            if device != by && !targets.contains(&device) {
                targets.push(device);
            }
        }
        if targets.is_empty() {
            return Err(CallError::NoDevices);
        }
        let mut out = Effects::new();
        let incoming = IncomingCall {
            transferred_by: Some(by.user),
            ..self.incoming.clone()
        };
        for &device in &targets {
            self.send(
                &mut out,
                Party::Agent(device),
                ServerMessage::Incoming(incoming.clone()),
            );
        }
        self.rung.extend(targets.iter().copied());
        out.push(Effect::Record(Milestone::TransferOffered {
            by: by.user,
            devices: targets.clone(),
        }));
        self.state = State::Connected {
            agent: by,
            transfer: Some(Offer::new(targets, deadline)),
        };
        Ok(out)
    }

    fn lost(
        &mut self,
        now: DateTime<Utc>,
        party: Party,
        deadline: DateTime<Utc>,
    ) -> Result<Effects, CallError> {
        let mut out = Effects::new();
        let grace_ms = u64::try_from((deadline - now).num_milliseconds()).unwrap_or(0);
        let call_id = self.id();
        if party == Party::Caller(self.caller) {
            self.caller_lost = Some(self.caller_lost.map_or(deadline, |d| d.min(deadline)));
            if let Some(agent) = self.agent() {
                self.send(
                    &mut out,
                    Party::Agent(agent),
                    ServerMessage::PeerLost { call_id, grace_ms },
                );
            }
            return Ok(out);
        }
        let Party::Agent(device) = party else {
            return Err(CallError::NotAParty);
        };
        if self.agent() == Some(device) {
            self.agent_lost = Some(self.agent_lost.map_or(deadline, |d| d.min(deadline)));
            self.send(
                &mut out,
                Party::Caller(self.caller),
                ServerMessage::PeerLost { call_id, grace_ms },
            );
            return Ok(out);
        }
        match &mut self.state {
            State::Ringing(offer)
            | State::Connected {
                transfer: Some(offer),
                ..
            } if offer.contains(device) => offer.devices.retain(|&d| d != device),
            _ => return Err(CallError::NotAParty),
        }
        self.after_withdrawal(&mut out, TransferFailure::Missed);
        Ok(out)
    }

    fn gone(&mut self, now: DateTime<Utc>, party: Party) -> Result<Effects, CallError> {
        if self.is_party(party) {
            return Ok(self.end(EndReason::Dropped, Some(party), None));
        }
        // A ringing device: withdrawn as if it had dropped (its deadline does not matter).
        self.lost(now, party, now)
    }

    fn back(&mut self, party: Party) -> Result<Effects, CallError> {
        let call_id = self.id();
        let mut out = Effects::new();
        if party == Party::Caller(self.caller) {
            if self.caller_lost.take().is_some() {
                if let Some(agent) = self.agent() {
                    self.send(
                        &mut out,
                        Party::Agent(agent),
                        ServerMessage::PeerBack { call_id },
                    );
                }
            }
            return Ok(out);
        }
        match self.agent() {
            Some(agent) if party == Party::Agent(agent) => {
                if self.agent_lost.take().is_some() {
                    self.send(
                        &mut out,
                        Party::Caller(self.caller),
                        ServerMessage::PeerBack { call_id },
                    );
                }
                Ok(out)
            }
            _ => Err(CallError::NotAParty),
        }
    }

    fn tick(&mut self, now: DateTime<Utc>) -> Effects {
        if self.caller_lost.is_some_and(|d| d <= now) {
            return self.end(EndReason::Dropped, Some(Party::Caller(self.caller)), None);
        }
        if let Some(agent) = self
            .agent()
            .filter(|_| self.agent_lost.is_some_and(|d| d <= now))
        {
            return self.end(EndReason::Dropped, Some(Party::Agent(agent)), None);
        }
        let mut out = Effects::new();
        let expired = match &mut self.state {
            State::Ringing(offer)
            | State::Connected {
                transfer: Some(offer),
                ..
            } if offer.deadline.is_some_and(|d| d <= now) => offer.withdraw(),
            _ => return out,
        };
        for device in expired {
            self.send_ended(&mut out, Party::Agent(device), EndReason::Missed, None);
        }
        if matches!(self.state, State::Ringing(_)) {
            self.timed_out = true;
        }
        self.after_withdrawal(&mut out, TransferFailure::Missed);
        out
    }

    /// Ends the call: tells everyone involved, records the one terminal reason.
    fn end(
        &mut self,
        reason: EndReason,
        by: Option<Party>,
        unavailable: Option<Unavailability>,
    ) -> Effects {
        let mut out = Effects::new();
        let side = by.map(Party::side);
        let recorded = unavailable.as_ref().map(|u| u.reason);
        let caller_message = match (reason, unavailable) {
            (_, Some(why)) => why.into(),
            (EndReason::Missed | EndReason::Rejected, None) if !self.answered => {
                ServerMessage::Missed {}
            }
            _ => ServerMessage::Ended {
                call_id: self.answered.then(|| self.id()),
                reason,
                by: side,
            },
        };
        self.send(&mut out, Party::Caller(self.caller), caller_message);
        let state = std::mem::replace(&mut self.state, State::Ended(reason));
        let (agent, ringing) = match state {
            State::Ringing(offer) => (None, offer.devices),
            State::Connected { agent, transfer } => {
                (Some(agent), transfer.map(|o| o.devices).unwrap_or_default())
            }
            State::Requested | State::Ended(_) => (None, Vec::new()),
        };
        for device in agent.into_iter().chain(ringing) {
            self.send_ended(&mut out, Party::Agent(device), reason, side);
        }
        if let Some(agent) = agent {
            out.push(Effect::Busy {
                user: agent.user,
                busy: false,
            });
        }
        out.push(Effect::Record(Milestone::Ended {
            reason,
            by,
            unavailable: recorded,
            answered: agent.is_some(),
        }));
        self.caller_lost = None;
        self.agent_lost = None;
        out
    }

    /// Whether `party` is one of the call's current two parties (the caller, and the agent
    /// once connected).
    fn is_party(&self, party: Party) -> bool {
        party == Party::Caller(self.caller)
            || self.agent().is_some_and(|a| party == Party::Agent(a))
    }

    fn send(&self, out: &mut Effects, to: Party, message: ServerMessage) {
        out.push(Effect::Send { to, message });
    }

    fn send_ended(&self, out: &mut Effects, to: Party, reason: EndReason, by: Option<Side>) {
        let message = ServerMessage::Ended {
            call_id: Some(self.id()),
            reason,
            by,
        };
        self.send(out, to, message);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashSet;

    use chrono::TimeZone;
    use proptest::prelude::*;

    use crate::calls::UnavailableReason;

    use super::*;
    use uuid::Uuid;

    use crate::calls::protocol::{CallerCard, ErrorCode};
    use crate::calls::wire::CallMode;

    const CALLER: ConnectionId = conn(0xcc);
    const STRANGER: ConnectionId = conn(0x5e);

    const fn conn(n: u128) -> ConnectionId {
        ConnectionId::from_random_bytes(n.to_be_bytes())
    }

    fn device(user: u128, n: u128) -> AgentDevice {
        AgentDevice {
            user: Uuid::from_u128(user),
            connection: conn(user * 100 + n),
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn ice() -> Vec<IceServer> {
        vec![IceServer {
            urls: vec!["stun:stun.example:3478".to_owned()],
            username: None,
            credential: None,
        }]
    }

    fn new_call() -> Call {
        let incoming = IncomingCall {
            call_id: CallId::from_random_bytes([9; 16]),
            domain: "example.com".to_owned(),
            caller: CallerCard {
                name: "guest-1.callers.example".to_owned(),
                verified: false,
                domain: None,
            },
            intent: None,
            mode: CallMode::Voice,
            transferred_by: None,
            contact: None,
        };
        Call::new(incoming, CALLER, ice(), at(0))
    }

    fn caller() -> Party {
        Party::Caller(CALLER)
    }

    fn agent(d: AgentDevice) -> Party {
        Party::Agent(d)
    }

    fn sent_to(effects: &[Effect], to: Party) -> Vec<&ServerMessage> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send { to: t, message } if *t == to => Some(message),
                _ => None,
            })
            .collect()
    }

    fn ended_records(effects: &[Effect]) -> usize {
        effects
            .iter()
            .filter(|e| matches!(e, Effect::Record(Milestone::Ended { .. })))
            .count()
    }

    fn ringing(call: &mut Call, devices: &[AgentDevice]) -> Effects {
        let ring = Event::Ring {
            devices: devices.to_vec(),
            deadline: at(30),
        };
        call.handle(at(1), ring).unwrap()
    }

    fn connected(a: AgentDevice, others: &[AgentDevice]) -> Call {
        let mut call = new_call();
        let mut all = vec![a];
        all.extend_from_slice(others);
        ringing(&mut call, &all);
        call.handle(at(2), Event::Accept(a)).unwrap();
        call
    }

    #[test]
    fn first_accept_wins_others_get_taken_and_both_parties_get_the_call_id() {
        let (a1, a2, b1) = (device(1, 1), device(1, 2), device(2, 1));
        let mut call = new_call();
        let out = ringing(&mut call, &[a1, a2, b1, a1]);
        assert_eq!(sent_to(&out, caller()), vec![&ServerMessage::Ringing {}]);
        assert_eq!(sent_to(&out, agent(a1)).len(), 1, "deduplicated");
        assert!(matches!(
            sent_to(&out, agent(b1))[0],
            ServerMessage::Incoming(_)
        ));

        let out = call.handle(at(5), Event::Accept(b1)).unwrap();
        let accepted = ServerMessage::Accepted {
            call_id: call.id(),
            ice_servers: ice(),
        };
        assert_eq!(sent_to(&out, agent(b1)), vec![&accepted]);
        assert_eq!(sent_to(&out, caller()), vec![&accepted]);
        let taken = ServerMessage::Taken { call_id: call.id() };
        assert_eq!(sent_to(&out, agent(a1)), vec![&taken]);
        assert_eq!(sent_to(&out, agent(a2)), vec![&taken]);
        assert!(out.contains(&Effect::Record(Milestone::Accepted {
            by: b1,
            wait: Duration::from_secs(5)
        })));
        assert!(out.contains(&Effect::Busy {
            user: b1.user,
            busy: true
        }));
        assert_eq!(call.phase(), Phase::Connected);
        assert_eq!(call.agent(), Some(b1));
        assert_eq!(
            call.handle(at(6), Event::Accept(a1)),
            Err(CallError::AlreadyAnswered)
        );
        assert_eq!(
            call.handle(at(6), Event::Accept(device(3, 1))),
            Err(CallError::NotOffered)
        );
    }

    #[test]
    fn relays_only_between_the_two_parties() {
        let (a, b) = (device(1, 1), device(2, 1));
        let mut call = new_call();
        ringing(&mut call, &[a, b]);
        assert_eq!(call.relay_target(caller()), None, "not before accept");
        assert_eq!(call.relay_to(caller()), Err(CallError::NotConnected));
        call.handle(at(2), Event::Accept(a)).unwrap();
        assert_eq!(call.relay_target(caller()), Some(agent(a)));
        assert_eq!(call.relay_target(agent(a)), Some(caller()));
        assert_eq!(call.relay_target(agent(b)), None);
        assert_eq!(call.relay_target(Party::Caller(STRANGER)), None);
        assert_eq!(call.relay_to(caller()), Ok(agent(a)));
        assert_eq!(call.relay_to(agent(a)), Ok(caller()));
        assert_eq!(call.relay_to(agent(b)), Err(CallError::NotAParty));
    }

    #[test]
    fn hangup_ends_the_call_for_both_once() {
        let a = device(1, 1);
        let mut call = connected(a, &[]);
        let out = call.handle(at(60), Event::Hangup(agent(a))).unwrap();
        let ended = ServerMessage::Ended {
            call_id: Some(call.id()),
            reason: EndReason::HungUpByAgent,
            by: Some(Side::Agent),
        };
        assert_eq!(sent_to(&out, caller()), vec![&ended]);
        assert_eq!(sent_to(&out, agent(a)), vec![&ended]);
        assert!(out.contains(&Effect::Busy {
            user: a.user,
            busy: false
        }));
        assert_eq!(ended_records(&out), 1);
        assert_eq!(call.phase(), Phase::Ended(EndReason::HungUpByAgent));
        let again = call.handle(at(61), Event::Hangup(caller()));
        assert_eq!(again, Err(CallError::Ended(EndReason::HungUpByAgent)));
        assert_eq!(call.relay_target(caller()), None);
        assert_eq!(call.next_deadline(), None);
    }

    #[test]
    fn cancel_before_accept_does_not_reveal_the_call_id() {
        let a = device(1, 1);
        let mut call = new_call();
        ringing(&mut call, &[a]);
        let out = call.handle(at(3), Event::Cancel).unwrap();
        let to_caller = ServerMessage::Ended {
            call_id: None,
            reason: EndReason::Cancelled,
            by: Some(Side::Caller),
        };
        assert_eq!(sent_to(&out, caller()), vec![&to_caller]);
        assert!(matches!(
            sent_to(&out, agent(a))[0],
            ServerMessage::Ended {
                call_id: Some(_),
                reason: EndReason::Cancelled,
                ..
            }
        ));
    }

    #[test]
    fn cancel_after_accept_is_a_hangup() {
        let mut call = connected(device(1, 1), &[]);
        call.handle(at(9), Event::Cancel).unwrap();
        assert_eq!(call.phase(), Phase::Ended(EndReason::HungUpByCaller));
    }

    #[test]
    fn a_reject_stops_the_members_devices_and_everyone_rejecting_ends_rejected() {
        let (a1, a2, b1) = (device(1, 1), device(1, 2), device(2, 1));
        let mut call = new_call();
        ringing(&mut call, &[a1, a2, b1]);
        let out = call.handle(at(2), Event::Reject(a1)).unwrap();
        assert!(sent_to(&out, agent(a1)).is_empty());
        assert!(matches!(
            sent_to(&out, agent(a2))[0],
            ServerMessage::Ended {
                reason: EndReason::Rejected,
                ..
            }
        ));
        assert!(!out.contains(&Effect::WaveOver));
        assert_eq!(call.ringing_devices(), &[b1]);
        let out = call.handle(at(3), Event::Reject(b1)).unwrap();
        assert!(out.contains(&Effect::WaveOver));
        assert_eq!(call.next_deadline(), None);
        let out = call.handle(at(3), Event::GiveUp).unwrap();
        assert_eq!(sent_to(&out, caller()), vec![&ServerMessage::Missed {}]);
        assert_eq!(call.phase(), Phase::Ended(EndReason::Rejected));
    }

    #[test]
    fn ring_timeout_moves_to_the_next_wave_then_misses() {
        let (a, b) = (device(1, 1), device(2, 1));
        let mut call = new_call();
        ringing(&mut call, &[a]);
        assert_eq!(call.next_deadline(), Some(at(30)));
        assert_eq!(call.handle(at(29), Event::Tick), Ok(vec![]));
        let out = call.handle(at(30), Event::Tick).unwrap();
        assert!(out.contains(&Effect::WaveOver));
        assert!(matches!(
            sent_to(&out, agent(a))[0],
            ServerMessage::Ended {
                reason: EndReason::Missed,
                ..
            }
        ));
        let next = Event::Ring {
            devices: vec![b],
            deadline: at(60),
        };
        let out = call.handle(at(30), next).unwrap();
        assert!(sent_to(&out, caller()).is_empty(), "caller told once");
        assert_eq!(
            call.handle(at(31), Event::Accept(a)),
            Err(CallError::NotOffered)
        );
        call.handle(at(60), Event::Tick).unwrap();
        call.handle(at(60), Event::GiveUp).unwrap();
        assert_eq!(call.phase(), Phase::Ended(EndReason::Missed));
    }

    #[test]
    fn unavailable_tells_the_caller_why() {
        let mut call = new_call();
        let out = call
            .handle(at(0), Event::Unavailable(UnavailableReason::AllBusy.into()))
            .unwrap();
        assert_eq!(
            sent_to(&out, caller()),
            vec![&ServerMessage::unavailable(UnavailableReason::AllBusy)]
        );
        assert!(out.contains(&Effect::Record(Milestone::Ended {
            reason: EndReason::Unavailable,
            by: None,
            unavailable: Some(UnavailableReason::AllBusy),
            answered: false,
        })));
    }

    #[test]
    fn a_dropped_party_has_a_grace_then_the_call_drops() {
        let a = device(1, 1);
        let mut call = connected(a, &[]);
        let lost = Event::Lost {
            party: agent(a),
            deadline: at(25),
        };
        let out = call.handle(at(10), lost.clone()).unwrap();
        let peer_lost = ServerMessage::PeerLost {
            call_id: call.id(),
            grace_ms: 15_000,
        };
        assert_eq!(sent_to(&out, caller()), vec![&peer_lost]);
        assert_eq!(call.next_deadline(), Some(at(25)));
        let out = call.handle(at(12), Event::Back(agent(a))).unwrap();
        assert_eq!(
            sent_to(&out, caller()),
            vec![&ServerMessage::PeerBack { call_id: call.id() }]
        );
        assert_eq!(call.next_deadline(), None);
        call.handle(at(20), lost).unwrap();
        assert_eq!(call.handle(at(24), Event::Tick), Ok(vec![]));
        let out = call.handle(at(25), Event::Tick).unwrap();
        assert_eq!(call.phase(), Phase::Ended(EndReason::Dropped));
        assert!(out.contains(&Effect::Record(Milestone::Ended {
            reason: EndReason::Dropped,
            by: Some(agent(a)),
            unavailable: None,
            answered: true,
        })));
    }

    #[test]
    fn a_ringing_device_that_drops_stops_ringing() {
        let (a, b) = (device(1, 1), device(2, 1));
        let mut call = new_call();
        ringing(&mut call, &[a, b]);
        let lost = |d| Event::Lost {
            party: agent(d),
            deadline: at(20),
        };
        assert_eq!(call.handle(at(5), lost(a)), Ok(vec![]));
        assert_eq!(call.handle(at(5), lost(b)), Ok(vec![Effect::WaveOver]));
        call.handle(at(5), Event::GiveUp).unwrap();
        assert_eq!(call.phase(), Phase::Ended(EndReason::Missed));
    }

    #[test]
    fn a_party_that_cannot_come_back_ends_the_call_at_once() {
        let (a, b) = (device(1, 1), device(2, 1));
        let mut call = connected(a, &[b]);
        let out = call.handle(at(10), Event::Gone(agent(a))).unwrap();
        assert_eq!(call.phase(), Phase::Ended(EndReason::Dropped));
        assert_eq!(
            sent_to(&out, caller()),
            vec![&ServerMessage::Ended {
                call_id: Some(call.id()),
                reason: EndReason::Dropped,
                by: Some(Side::Agent),
            }]
        );
        assert!(out.contains(&Effect::Busy {
            user: a.user,
            busy: false
        }));
        assert_eq!(call.next_deadline(), None);
        // Even after a `peer_lost`, the grace is not waited out.
        let mut call = connected(a, &[]);
        let lost = Event::Lost {
            party: agent(a),
            deadline: at(25),
        };
        call.handle(at(10), lost).unwrap();
        call.handle(at(11), Event::Gone(agent(a))).unwrap();
        assert_eq!(call.phase(), Phase::Ended(EndReason::Dropped));
        // A caller gone ends it too.
        let mut call = connected(a, &[]);
        call.handle(at(10), Event::Gone(caller())).unwrap();
        assert_eq!(call.phase(), Phase::Ended(EndReason::Dropped));
    }

    #[test]
    fn a_ringing_device_that_cannot_come_back_stops_ringing() {
        let (a, b) = (device(1, 1), device(2, 1));
        let mut call = new_call();
        ringing(&mut call, &[a, b]);
        assert_eq!(call.handle(at(5), Event::Gone(agent(a))), Ok(vec![]));
        assert_eq!(call.ringing_devices(), &[b]);
        assert_eq!(
            call.handle(at(6), Event::Accept(a)),
            Err(CallError::NotOffered)
        );
        // A transfer target gone: the transfer fails like a missed one.
        let (c, d) = (device(3, 1), device(4, 1));
        let mut call = connected(c, &[]);
        let transfer = Event::Transfer {
            by: c,
            devices: vec![d],
            deadline: at(40),
        };
        call.handle(at(10), transfer).unwrap();
        let out = call.handle(at(11), Event::Gone(agent(d))).unwrap();
        assert!(sent_to(&out, agent(c)).iter().any(|m| matches!(
            m,
            ServerMessage::TransferFailed {
                reason: TransferFailure::Missed,
                ..
            }
        )));
        assert_eq!(call.agent(), Some(c));
        // A stranger is not a party.
        assert_eq!(
            call.handle(at(12), Event::Gone(agent(device(9, 9)))),
            Err(CallError::NotAParty)
        );
    }

    #[test]
    fn transfer_hands_the_call_to_the_new_agent() {
        let (a, b1, b2) = (device(1, 1), device(2, 1), device(2, 2));
        let mut call = connected(a, &[]);
        let transfer = Event::Transfer {
            by: a,
            devices: vec![b1, b2, a],
            deadline: at(40),
        };
        let out = call.handle(at(10), transfer).unwrap();
        let ServerMessage::Incoming(incoming) = sent_to(&out, agent(b1))[0] else {
            panic!("expected incoming");
        };
        assert_eq!(incoming.transferred_by, Some(a.user));
        assert!(sent_to(&out, agent(a)).is_empty());
        assert_eq!(call.relay_target(caller()), Some(agent(a)), "still with a");

        let out = call.handle(at(12), Event::Accept(b2)).unwrap();
        assert_eq!(
            sent_to(&out, agent(a)),
            vec![&ServerMessage::Transferred {
                call_id: call.id(),
                to: b2.user
            }]
        );
        assert!(matches!(
            sent_to(&out, caller())[0],
            ServerMessage::Accepted { .. }
        ));
        assert!(matches!(
            sent_to(&out, agent(b2))[0],
            ServerMessage::Accepted { .. }
        ));
        assert!(matches!(
            sent_to(&out, agent(b1))[0],
            ServerMessage::Taken { .. }
        ));
        assert_eq!(call.relay_target(caller()), Some(agent(b2)));
        assert_eq!(call.relay_target(agent(a)), None);
        assert_eq!(
            call.handle(at(13), Event::Hangup(agent(a))),
            Err(CallError::NotAParty)
        );
    }

    #[test]
    fn an_unanswered_transfer_leaves_the_call_with_the_agent() {
        let (a, b) = (device(1, 1), device(2, 1));
        let mut call = connected(a, &[]);
        let transfer = Event::Transfer {
            by: a,
            devices: vec![b],
            deadline: at(40),
        };
        call.handle(at(10), transfer.clone()).unwrap();
        assert_eq!(
            call.handle(at(11), transfer),
            Err(CallError::TransferInProgress)
        );
        let out = call.handle(at(40), Event::Tick).unwrap();
        assert_eq!(
            sent_to(&out, agent(a)),
            vec![&ServerMessage::TransferFailed {
                call_id: call.id(),
                reason: TransferFailure::Missed
            }]
        );
        assert_eq!(call.agent(), Some(a));
        assert_eq!(call.phase(), Phase::Connected);
    }

    #[test]
    fn chat_goes_to_both_parties_and_is_recorded() {
        let a = device(1, 1);
        let mut call = new_call();
        ringing(&mut call, &[a]);
        let chat = |from| Event::Chat {
            from,
            text: ChatText::parse("hello").unwrap(),
        };
        assert_eq!(
            call.handle(at(2), chat(caller())),
            Err(CallError::NotConnected)
        );
        call.handle(at(2), Event::Accept(a)).unwrap();
        let out = call.handle(at(3), chat(caller())).unwrap();
        assert_eq!(sent_to(&out, caller()).len(), 1);
        assert!(matches!(
            sent_to(&out, agent(a))[0],
            ServerMessage::Chat {
                from: Side::Caller,
                ..
            }
        ));
        assert!(matches!(
            out.last(),
            Some(Effect::Record(Milestone::Chat { .. }))
        ));
        assert_eq!(
            call.handle(at(3), chat(Party::Caller(STRANGER))),
            Err(CallError::NotAParty)
        );
    }

    #[test]
    fn refused_events_change_nothing() {
        let a = device(1, 1);
        let mut call = new_call();
        let before = call.clone();
        let empty = Event::Ring {
            devices: vec![],
            deadline: at(30),
        };
        assert_eq!(call.handle(at(1), empty.clone()), Err(CallError::NoDevices));
        assert_eq!(
            call.handle(at(1), Event::GiveUp),
            Err(CallError::NotRinging)
        );
        assert_eq!(
            call.handle(at(1), Event::Accept(a)),
            Err(CallError::NotOffered)
        );
        assert_eq!(call, before);
        ringing(&mut call, &[a]);
        let before = call.clone();
        assert_eq!(call.handle(at(1), empty), Err(CallError::NoDevices));
        assert_eq!(call, before);
        assert_eq!(CallError::NotAParty.code(), ErrorCode::NotInCall);
    }

    /// One step of a random scenario; indexes pick among a few devices.
    #[derive(Clone, Debug)]
    enum Op {
        Ring(Vec<usize>),
        GiveUp,
        Unavailable,
        Accept(usize),
        Reject(usize),
        Cancel,
        HangupCaller,
        HangupDevice(usize),
        Chat(usize),
        Transfer(usize, Vec<usize>),
        LostCaller,
        LostDevice(usize),
        BackCaller,
        BackDevice(usize),
        GoneCaller,
        GoneDevice(usize),
        Tick,
        Shutdown,
    }

    /// Three members with two devices each.
    fn devices() -> Vec<AgentDevice> {
        (1..=3)
            .flat_map(|u| (1..=2).map(move |d| device(u, d)))
            .collect()
    }

    fn arb_op() -> impl Strategy<Value = Op> {
        let idx = || 0usize..6;
        let set = || proptest::collection::vec(0usize..6, 0..6);
        prop_oneof![
            3 => set().prop_map(Op::Ring),
            1 => Just(Op::GiveUp),
            1 => Just(Op::Unavailable),
            6 => idx().prop_map(Op::Accept),
            3 => idx().prop_map(Op::Reject),
            1 => Just(Op::Cancel),
            1 => Just(Op::HangupCaller),
            1 => idx().prop_map(Op::HangupDevice),
            2 => (0usize..7).prop_map(Op::Chat),
            2 => (idx(), set()).prop_map(|(by, to)| Op::Transfer(by, to)),
            1 => Just(Op::LostCaller),
            2 => idx().prop_map(Op::LostDevice),
            1 => Just(Op::BackCaller),
            1 => idx().prop_map(Op::BackDevice),
            1 => Just(Op::GoneCaller),
            1 => idx().prop_map(Op::GoneDevice),
            3 => Just(Op::Tick),
            1 => Just(Op::Shutdown),
        ]
    }

    fn event(op: &Op, now: DateTime<Utc>) -> Event {
        let d = devices();
        let pick = |v: &[usize]| v.iter().map(|&i| d[i]).collect();
        let soon = now + chrono::Duration::seconds(30);
        let grace = now + chrono::Duration::seconds(15);
        match op {
            Op::Ring(v) => Event::Ring {
                devices: pick(v),
                deadline: soon,
            },
            Op::GiveUp => Event::GiveUp,
            Op::Unavailable => Event::Unavailable(UnavailableReason::NoAgentsOnline.into()),
            Op::Accept(i) => Event::Accept(d[*i]),
            Op::Reject(i) => Event::Reject(d[*i]),
            Op::Cancel => Event::Cancel,
            Op::HangupCaller => Event::Hangup(caller()),
            Op::HangupDevice(i) => Event::Hangup(agent(d[*i])),
            Op::Chat(i) => Event::Chat {
                from: d.get(*i).map_or(caller(), |&x| agent(x)),
                text: ChatText::parse("hi").unwrap(),
            },
            Op::Transfer(by, v) => Event::Transfer {
                by: d[*by],
                devices: pick(v),
                deadline: soon,
            },
            Op::LostCaller => Event::Lost {
                party: caller(),
                deadline: grace,
            },
            Op::LostDevice(i) => Event::Lost {
                party: agent(d[*i]),
                deadline: grace,
            },
            Op::BackCaller => Event::Back(caller()),
            Op::BackDevice(i) => Event::Back(agent(d[*i])),
            Op::GoneCaller => Event::Gone(caller()),
            Op::GoneDevice(i) => Event::Gone(agent(d[*i])),
            Op::Tick => Event::Tick,
            Op::Shutdown => Event::Shutdown,
        }
    }

    fn every_party() -> Vec<Party> {
        let mut all: Vec<Party> = devices().into_iter().map(agent).collect();
        all.push(caller());
        all.push(Party::Caller(STRANGER));
        all.push(agent(AgentDevice {
            user: Uuid::from_u128(1),
            connection: STRANGER,
        }));
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_lifecycles_keep_the_invariants(
            steps in proptest::collection::vec((arb_op(), 0i64..20), 1..40),
        ) {
            let mut call = new_call();
            let mut now = at(0);
            let mut offered: HashSet<AgentDevice> = HashSet::new();
            let mut accepts_from_ringing = 0;
            let mut ended_count = 0;
            let mut terminal: Option<EndReason> = None;
            for (op, advance) in steps.iter().chain([(Op::Shutdown, 0)].iter()) {
                now += chrono::Duration::seconds(*advance);
                let before = call.clone();
                let ev = event(op, now);
                if let Event::Ring { devices, .. } | Event::Transfer { devices, .. } = &ev {
                    offered.extend(devices.iter().copied());
                }
                let result = call.handle(now, ev.clone());
                match &result {
                    Err(_) => prop_assert_eq!(&call, &before, "a refusal changed the call"),
                    Ok(effects) => {
                        prop_assert!(terminal.is_none(), "effects after the end");
                        ended_count += ended_records(effects);
                        if let (Event::Accept(d), Phase::Ringing) = (&ev, before.phase()) {
                            accepts_from_ringing += 1;
                            prop_assert!(before.ringing_devices().contains(d));
                            let winners: Vec<Party> = effects.iter().filter_map(|e| match e {
                                Effect::Send { to, message: ServerMessage::Accepted { .. } } => Some(*to),
                                _ => None,
                            }).collect();
                            prop_assert_eq!(winners, vec![agent(*d), caller()]);
                        }
                        for e in effects {
                            if let Effect::Send { to, .. } = e {
                                let known = *to == caller()
                                    || matches!(to, Party::Agent(a) if offered.contains(a));
                                prop_assert!(known, "message to an outsider: {:?}", to);
                            }
                        }
                    }
                }
                if let Some(reason) = terminal {
                    prop_assert_eq!(result, Err(CallError::Ended(reason)));
                    prop_assert_eq!(call.phase(), Phase::Ended(reason));
                }
                if let Phase::Ended(reason) = call.phase() {
                    terminal = Some(reason);
                    prop_assert_eq!(call.next_deadline(), None);
                    prop_assert!(call.ringing_devices().is_empty());
                }
                prop_assert!(accepts_from_ringing <= 1, "two accepts won");
                let agent_now = call.agent();
                for p in every_party() {
                    let expected = match agent_now {
                        Some(a) if p == caller() => Some(agent(a)),
                        Some(a) if p == agent(a) => Some(caller()),
                        _ => None,
                    };
                    prop_assert_eq!(call.relay_target(p), expected);
                    prop_assert_eq!(call.relay_to(p).ok(), expected, "relays go where the target is");
                    if let Some(to) = call.relay_target(p) {
                        prop_assert!(to == caller() || agent_now.is_some_and(|a| to == agent(a)));
                    }
                }
            }
            prop_assert!(terminal.is_some(), "the call never ended");
            prop_assert_eq!(ended_count, 1, "exactly one terminal record");
        }

        #[test]
        fn concurrent_accepts_have_exactly_one_winner(
            ring in proptest::collection::hash_set(0usize..6, 1..6),
            order in Just((0..6).collect::<Vec<usize>>()).prop_shuffle(),
        ) {
            let d = devices();
            let wave: Vec<AgentDevice> = ring.iter().map(|&i| d[i]).collect();
            let mut call = new_call();
            ringing(&mut call, &wave);
            let mut winners = Vec::new();
            let mut taken: Vec<Party> = Vec::new();
            for i in order {
                if let Ok(effects) = call.handle(at(2), Event::Accept(d[i])) {
                    winners.push(d[i]);
                    taken.extend(effects.iter().filter_map(|e| match e {
                        Effect::Send { to, message: ServerMessage::Taken { .. } } => Some(*to),
                        _ => None,
                    }));
                }
            }
            prop_assert_eq!(winners.len(), 1);
            let winner = winners[0];
            prop_assert!(wave.contains(&winner));
            let mut losers: Vec<Party> = wave.iter().filter(|&&w| w != winner).map(|&w| agent(w)).collect();
            losers.sort_by_key(|p| p.connection());
            taken.sort_by_key(|p| p.connection());
            prop_assert_eq!(taken, losers);
            prop_assert_eq!(call.agent(), Some(winner));
        }
    }
}
