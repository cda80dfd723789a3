//! The call messages a connection sends, served on the hub: request, answer, relay,
//! chat and hang-up, and what a closing socket or a shutdown does to its calls.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::Utc;
use entity::calls::protocol::{CallId, ConnectionId, ErrorCode, IncomingCall, ServerMessage};
use entity::calls::routing::plan_ring;
use entity::calls::wire::{CallMode, RingTarget, TransferFailure, UnavailableReason};
use entity::calls::{AgentDevice, Call, CallError, Event, Party};
use tokio::sync::Notify;
use uuid::Uuid;

use entity::calls::relay::RelayFrame;

use super::{after, devices, encode, refusal, timer, Caller, Refusal, Slot, SlotState};
use crate::signaling::records::Job;
use crate::signaling::{Hub, Outbox, Presence};
use entity::calls::limits::Limited;

impl Hub {
    /// Serves a caller's `call_request`: one call at a time per caller identity, within
    /// the identity's, the address's and the business's rate limits.
    #[tracing::instrument(skip_all, fields(domain = %domain))]
    pub(in crate::signaling) async fn request_call(
        &self,
        db: &sea_orm::DatabaseConnection,
        from: Caller,
        domain: &entity::domains::DomainName,
        intent: Option<Uuid>,
        mode: CallMode,
    ) -> Result<(), Refusal> {
        let received = std::time::Instant::now();
        let (caller, identity_id) = (from.connection, from.identity_id);
        if self.calls().registry().callers.contains_key(&identity_id) {
            return Err(already_in_call());
        }
        let admitted = self
            .limiter()
            .admit_caller(identity_id, from.address, received);
        if let Err(limited) = admitted {
            self.refuse_limited(caller, limited);
            return Ok(());
        }
        let internal = |e: entity::DomainError| {
            tracing::error!(error = %e, "a call request failed");
            (ErrorCode::Internal, "Try again later.".to_owned())
        };
        let now = Utc::now();
        let directory = self.directory();
        let Some((business_id, domain)) = directory
            .verified_business(db, domain)
            .await
            .map_err(internal)?
        else {
            let message = ServerMessage::unavailable(UnavailableReason::DomainNotVerified);
            self.send_to(caller, &message);
            return Ok(());
        };
        let admitted = self.limiter().admit_business(business_id, received);
        if let Err(limited) = admitted {
            self.refuse_limited(caller, limited);
            return Ok(());
        }
        let Some(card) = directory
            .caller_card(db, identity_id, now)
            .await
            .map_err(internal)?
        else {
            let text = "Your caller identity expired; start a new caller session.".to_owned();
            return Err((ErrorCode::Forbidden, text));
        };
        let route = match directory.route_for(db, business_id, intent).await {
            Ok(route) => route,
            Err(entity::routing_setup::RouteError::UnknownIntent) => {
                let message = ServerMessage::unavailable(UnavailableReason::UnknownIntent);
                self.send_to(caller, &message);
                return Ok(());
            }
            Err(entity::routing_setup::RouteError::Db(e)) => return Err(internal(e.into())),
        };
        let members = self.presence().roster(business_id).await;
        let plan = plan_ring(
            route.target,
            &self.roster(business_id, &members, &route.teams),
        );
        let call_id = CallId::from_random_bytes(rand::random());
        let incoming = IncomingCall {
            call_id,
            domain: domain.clone(),
            caller: card.clone(),
            intent: route.intent.clone(),
            mode,
            transferred_by: None,
        };
        let slot = Arc::new(Slot {
            business_id,
            caller_identity: identity_id,
            state: tokio::sync::Mutex::new(SlotState {
                call: Call::new(
                    incoming,
                    caller,
                    self.inner.ice.servers_for(call_id, now),
                    now,
                ),
                waves: VecDeque::new(),
            }),
            wake: Notify::new(),
        });
        {
            let mut registry = self.calls().registry();
            if registry.closed {
                let text = "The server is restarting; call again in a moment.".to_owned();
                return Err((ErrorCode::Internal, text));
            }
            // Checked again under the lock: two sockets of one identity may race here.
            if registry.callers.contains_key(&identity_id) {
                return Err(already_in_call());
            }
            registry.callers.insert(identity_id, call_id);
            registry.calls.insert(call_id, slot.clone());
            registry.involved.entry(caller).or_default().insert(call_id);
        }
        self.calls()
            .records
            .push(Job::Call(entity::calls::records::NewCall {
                id: call_id,
                business_id,
                domain,
                intent,
                mode,
                caller_name: card.name,
                caller_verified: card.verified,
                requested_at: now,
            }));
        let first = match plan {
            Err(reason) => Event::Unavailable(reason),
            Ok(plan) => {
                slot.state.lock().await.waves = plan.into_waves().into();
                let mut state = slot.state.lock().await;
                self.next_wave(&slot, &mut state, now).await
            }
        };
        let first = match first {
            // Nobody of the plan is still there: say so rather than ring no one.
            Event::GiveUp => Event::Unavailable(UnavailableReason::NoAgentsOnline),
            event => event,
        };
        tokio::spawn(timer(self.clone(), call_id, slot.clone()));
        let served = self.apply(call_id, &slot, first).await.map_err(refusal);
        // The server's own share of a setup: up to the offers queued on every device's
        // outbox (or `unavailable` queued for the caller); writing them is up to the
        // devices' tasks. For `bench` and operators.
        let micros = u64::try_from(received.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::debug!(target: "domaincall::setup", micros, "call request served");
        served
    }

    /// Makes a greeted connection reachable for its calls.
    pub(in crate::signaling) fn connect_calls(&self, connection: ConnectionId, outbox: Outbox) {
        self.calls().connect(connection, outbox);
    }

    fn send_to(&self, connection: ConnectionId, message: &ServerMessage) {
        let Some(text) = encode(message) else { return };
        if let Some(outbox) = self.calls().registry().outboxes.get(&connection) {
            let _ = outbox.try_send(text);
        }
    }

    /// Answers a call request over a limit with `rate_limited` and when to retry.
    fn refuse_limited(&self, caller: ConnectionId, limited: Limited) {
        tracing::debug!(scope = ?limited.scope, retry_after_ms = limited.retry_after_ms(), "call request over its limit");
        let message = ServerMessage::rate_limited(limited.message(), limited.retry_after_ms());
        self.send_to(caller, &message);
    }

    /// Whether `user` is still a member of `business_id`, from the call directory (a
    /// cached member list, dropped by every member event, read again after a minute).
    async fn still_member(
        &self,
        db: &sea_orm::DatabaseConnection,
        business_id: Uuid,
        user: Uuid,
    ) -> Result<bool, Refusal> {
        self.directory()
            .is_member(db, business_id, user)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "checking a membership failed");
                (ErrorCode::Internal, "Try again later.".to_owned())
            })
    }

    /// An agent device answers or declines a call offered to it. An accept from a member
    /// no longer in the call's business is refused (and the call stops ringing there),
    /// even before the revocation closed the device's socket.
    pub(in crate::signaling) async fn answer_call(
        &self,
        db: &sea_orm::DatabaseConnection,
        device: AgentDevice,
        call_id: CallId,
        accept: bool,
    ) -> Result<(), Refusal> {
        let Some(slot) = self.calls().slot(call_id) else {
            let text = "No such call was offered to this device (or it ended).".to_owned();
            return Err((ErrorCode::UnknownCall, text));
        };
        if accept && !self.still_member(db, slot.business_id, device.user).await? {
            let _ = self
                .apply(call_id, &slot, Event::Gone(Party::Agent(device)))
                .await;
            return Err(no_longer_member());
        }
        let event = if accept {
            Event::Accept(device)
        } else {
            Event::Reject(device)
        };
        match self.apply(call_id, &slot, event).await {
            // The losing accept was already told `taken`; repeat it rather than an error.
            Err(CallError::AlreadyAnswered) if accept => {
                self.send_to(device.connection, &ServerMessage::Taken { call_id });
                Ok(())
            }
            other => other.map_err(refusal),
        }
    }

    /// An agent in a call offers it to a colleague (`RingTarget::Member`) or a team
    /// (`RingTarget::Team`; the business id names everyone): every eligible device of
    /// them rings at once, the transferring agent's own excepted. Nobody to ring →
    /// `transfer_failed {unavailable}` and the call stays as it is.
    pub(in crate::signaling) async fn transfer_call(
        &self,
        db: &sea_orm::DatabaseConnection,
        device: AgentDevice,
        named: Option<CallId>,
        to: RingTarget,
    ) -> Result<(), Refusal> {
        let (call_id, slot) = self
            .sender_call(Party::Agent(device), named, "transfer")
            .await?;
        let business_id = slot.business_id;
        if !self.still_member(db, business_id, device.user).await? {
            return Err(no_longer_member());
        }
        if let RingTarget::Member(user) = to {
            if !self.still_member(db, business_id, user).await? {
                let text = "That person is not a member of this business (any more).";
                return Err((ErrorCode::InvalidMessage, text.to_owned()));
            }
        }
        let teams = match to {
            RingTarget::Member(_) => Arc::default(),
            RingTarget::Team(team) => self
                .directory()
                .team_route(db, business_id, team)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "loading a transfer's team failed");
                    (ErrorCode::Internal, "Try again later.".to_owned())
                })?,
        };
        if matches!(to, RingTarget::Team(_)) && teams.is_empty() {
            let text = "That team does not exist (any more).".to_owned();
            return Err((ErrorCode::InvalidMessage, text));
        }
        let members = self.presence().roster(business_id).await;
        let plan = plan_ring(to, &self.roster(business_id, &members, &teams)).ok();
        let mut users: Vec<Uuid> = Vec::new();
        for user in plan
            .iter()
            .flat_map(|p| p.members())
            .filter(|&u| u != device.user)
        {
            // A team's stored members follow removals, but a removal may not have
            // reached this process yet.
            if self.still_member(db, business_id, user).await? {
                users.push(user);
            }
        }
        let timeout = plan
            .as_ref()
            .and_then(|p| p.waves().first())
            .map_or(self.config().ring_timeout, |w| w.timeout);
        let devices = devices(&members, &users);
        if devices.is_empty() {
            let message = ServerMessage::TransferFailed {
                call_id,
                reason: TransferFailure::Unavailable,
            };
            self.send_to(device.connection, &message);
            return Ok(());
        }
        let deadline = after(Utc::now(), timeout);
        let event = Event::Transfer {
            by: device,
            devices,
            deadline,
        };
        self.apply(call_id, &slot, event).await.map_err(refusal)
    }

    /// The call `party` is one of the two parties of (or the caller's ringing call).
    async fn own_call(&self, party: Party) -> Option<(CallId, Arc<Slot>)> {
        for (id, slot) in self.calls().involved(party.connection()) {
            if is_own(&*slot.state.lock().await, party) {
                return Some((id, slot));
            }
        }
        None
    }

    /// Finds the sender's call, checking the optional `call_id` it named.
    async fn sender_call(
        &self,
        party: Party,
        named: Option<CallId>,
        kind: &str,
    ) -> Result<(CallId, Arc<Slot>), Refusal> {
        if let Some((id, slot)) = self.own_call(party).await {
            if named.is_none_or(|n| n == id) {
                return Ok((id, slot));
            }
        }
        Err(not_in_call(party, named, kind))
    }

    /// Relays `offer`, `answer` or `ice` to the other party of the sender's call without
    /// waiting; `None` when a call's lock is held (then [`Self::relay`] waits for it).
    /// Nothing happens before that answer, so falling back is safe. One look-up of the
    /// registry serves the whole relay: the calls' locks are only tried under it, never
    /// waited for.
    pub(in crate::signaling) fn try_relay(
        &self,
        from: Party,
        frame: &RelayFrame<'_>,
    ) -> Option<Result<(), Refusal>> {
        let registry = self.calls().registry();
        let ids = registry.involved.get(&from.connection());
        for (id, slot) in ids
            .into_iter()
            .flatten()
            .filter_map(|id| Some((*id, registry.calls.get(id)?)))
        {
            let state = slot.state.try_lock().ok()?;
            if let Some(done) = relay_in(id, &state, from, frame) {
                return Some(done.map(|(to, text)| registry.push(id, to, text.into())));
            }
        }
        Some(Err(not_in_call(from, frame.call_id, frame.kind())))
    }

    /// [`Self::try_relay`], waiting for the call's lock.
    pub(in crate::signaling) async fn relay(
        &self,
        from: Party,
        frame: &RelayFrame<'_>,
    ) -> Result<(), Refusal> {
        for (id, slot) in self.calls().involved(from.connection()) {
            let state = slot.state.lock().await;
            if let Some(done) = relay_in(id, &state, from, frame) {
                return done.map(|(to, text)| self.calls().send_text(id, to, text.into()));
            }
        }
        Err(not_in_call(from, frame.call_id, frame.kind()))
    }

    /// `chat`, `hangup` or `cancel` from a party of a call.
    pub(in crate::signaling) async fn party_event(
        &self,
        from: Party,
        named: Option<CallId>,
        kind: &str,
        event: impl FnOnce(Party) -> Event,
    ) -> Result<(), Refusal> {
        let (call_id, slot) = self.sender_call(from, named, kind).await?;
        self.apply(call_id, &slot, event(from))
            .await
            .map_err(refusal)
    }

    /// A connection closed: its calls get `Lost` (a ringing device just stops ringing).
    pub(in crate::signaling) async fn connection_lost(&self, party: Party) {
        let calls = self.calls().disconnect(party.connection());
        let deadline = after(Utc::now(), self.config().reconnect_grace);
        for (id, slot) in calls {
            let _ = self.apply(id, &slot, Event::Lost { party, deadline }).await;
        }
    }

    /// A connection's credential was revoked: it is unreachable for good and its calls get
    /// `Gone` (a call it is a party of ends `dropped` at once; a ringing device stops).
    pub(in crate::signaling) async fn connection_revoked(&self, party: Party) {
        let calls = self.calls().disconnect(party.connection());
        for (id, slot) in calls {
            let _ = self.apply(id, &slot, Event::Gone(party)).await;
        }
        self.calls().forget_connection(party.connection());
    }

    /// A connection's grace ran out without a resume.
    pub(in crate::signaling) fn connection_gone(&self, connection: ConnectionId) {
        self.calls().forget_connection(connection);
    }

    /// A resumed connection is reachable again through `outbox`; its calls get `Back`
    /// (the other party hears `peer_back` if it had heard `peer_lost`).
    pub(in crate::signaling) async fn connection_back(&self, party: Party, outbox: Outbox) {
        self.calls().connect(party.connection(), outbox);
        for (id, slot) in self.calls().involved(party.connection()) {
            let _ = self.apply(id, &slot, Event::Back(party)).await;
        }
    }

    /// Ends every call with `server_shutdown`; later requests are refused.
    pub(in crate::signaling) async fn end_all_calls(&self) {
        let all: Vec<(CallId, Arc<Slot>)> = {
            let mut registry = self.calls().registry();
            registry.closed = true;
            registry
                .calls
                .iter()
                .map(|(id, s)| (*id, s.clone()))
                .collect()
        };
        for (id, slot) in all {
            let _ = self.apply(id, &slot, Event::Shutdown).await;
        }
    }
}

fn already_in_call() -> Refusal {
    let text = "You already have a call in progress.".to_owned();
    (ErrorCode::AlreadyInCall, text)
}

fn no_longer_member() -> Refusal {
    let text = "You are no longer a member of this business.".to_owned();
    (ErrorCode::Forbidden, text)
}

/// Whether `party` is the caller or the current agent of the call.
fn is_own(state: &SlotState, party: Party) -> bool {
    match party {
        Party::Caller(c) => state.call.caller() == c,
        Party::Agent(d) => state.call.agent() == Some(d),
    }
}

/// Refuses (and logs) a call message from a connection that is not a party to the call.
fn not_in_call(party: Party, named: Option<CallId>, kind: &str) -> Refusal {
    tracing::warn!(
        connection_id = %party.connection(),
        named = ?named,
        kind,
        "dropped a call message from a connection that is not a party to that call"
    );
    (ErrorCode::NotInCall, "You are not in that call.".to_owned())
}

/// Relays `frame` within call `id` if `from` is one of its parties (`None` if not): only
/// to the other party, only while connected, only if the call it names is this one.
/// Gives the recipient's connection and the frame to queue for it.
fn relay_in(
    id: CallId,
    state: &SlotState,
    from: Party,
    frame: &RelayFrame<'_>,
) -> Option<Result<(ConnectionId, String), Refusal>> {
    if !is_own(state, from) {
        return None;
    }
    if frame.call_id.is_some_and(|named| named != id) {
        return Some(Err(not_in_call(from, frame.call_id, frame.kind())));
    }
    Some(match state.call.relay_to(from) {
        Ok(to) => Ok((to.connection(), frame.forward(id))),
        Err(e) => Err(refusal(e)),
    })
}
