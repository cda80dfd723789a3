//! Starting, answering and handing over calls: a caller's request (one call at a time
//! per caller identity, within the call-request limits, routed by its intent), an agent
//! device's accept or reject, a transfer, and the end of every call on shutdown.
//!
//! **Routing.** A `call_request` is routed by its intent ([`entity::routing_setup`]): to a
//! team (its strategy — simultaneous, round-robin, longest-idle —, its ring timeout and
//! its fallback chain), to one member, or, without an intent, to everyone of the business
//! rung at once for the configured ring timeout (30 s by default) — unless the called
//! domain is routed to a team (`sales.example.com` → Sales), which then rings instead
//! ([`entity::routing_setup::route_by`]; everyone when that team is gone). The verified domain,
//! the caller's card and the route come from the in-memory call directory, so a request
//! rarely reads the database.
//!
//! **Opening hours.** Before anything rings, the business's cached schedule (the call
//! directory's, dropped by `SchedulesChanged`) says whether the call can be offered: out
//! of office → `unavailable {out_of_office}` with the message; every team the call could
//! reach closed → `unavailable {closed}` with the next opening. Otherwise the ring is
//! planned on the schedule too: a closed team is skipped for its fallback and a member
//! out of office is never rung, in transfers as well. These calls are recorded like any
//! other that nobody could take.
//!
//! **Contacts.** The caller's CRM contact card (the screen pop) comes from the directory
//! too and rides in `incoming` as it was before this call; matching or creating the
//! contact and counting the call is a `Job::Contact` for the records writer, and the
//! directory's cached card counts the call in memory.
//!
//! **Membership.** Accepting and transferring check, from the directory's cached member
//! list, that the members involved still belong to the call's business, so a removal
//! whose revocation has not reached this process yet cannot answer a call.

use std::sync::Arc;

use chrono::Utc;
use entity::calls::limits::Limited;
use entity::calls::protocol::{
    CallId, ConnectionId, ErrorCode, IncomingCall, ServerMessage, Unavailability,
};
use entity::calls::records::{Job, NewCall};
use entity::calls::routing::{plan_call, plan_ring};
use entity::calls::wire::{CallMode, RingTarget, TransferFailure, UnavailableReason};
use entity::calls::{AgentDevice, Call, CallError, Event, Party};
use entity::contacts::matching::{ContactTouch, Key};
use entity::domains::DomainName;
use entity::routing_setup::{route_by, CallRoute, RouteError};
use entity::schedules::{availability, Scheduled};
use uuid::Uuid;

use super::calls::{after, devices, encode, timer, Slot};
use super::relay::refusal;
use super::{Caller, Engine, Peer, Refusal};

/// The refusal for a failure of the server's own.
fn internal(what: &str, error: &dyn std::fmt::Display) -> Refusal {
    tracing::error!(error = %error, "{what} failed");
    (ErrorCode::Internal, "Try again later.".to_owned())
}

impl Engine {
    /// Serves a caller's `call_request`: one call at a time per caller identity, within
    /// the identity's, the address's and the business's rate limits.
    ///
    /// # Errors
    /// A refusal for the caller (already in a call, expired identity, restarting…).
    #[tracing::instrument(skip_all, fields(domain = %domain))]
    pub async fn request_call(
        &self,
        from: Caller,
        domain: &DomainName,
        intent: Option<Uuid>,
        mode: CallMode,
        callback: Option<&str>,
    ) -> Result<(), Refusal> {
        let received = std::time::Instant::now();
        let (caller, identity_id) = (from.connection, from.identity_id);
        if self.registry().callers.contains_key(&identity_id) {
            return Err(already_in_call());
        }
        let admission = &self.seams().admission;
        if let Err(limited) = admission.admit_caller(identity_id, from.address, received) {
            self.refuse_limited(caller, &limited);
            return Ok(());
        }
        let now = Utc::now();
        let (directory, db) = (self.directory(), &self.inner.db);
        let found = directory.verified_domain(db, domain).await;
        let Some(called) = found.map_err(|e| internal("a call request", &e))? else {
            let reason = UnavailableReason::DomainNotVerified;
            self.send_to(caller, &ServerMessage::unavailable(reason));
            return Ok(());
        };
        let (business_id, domain) = (called.business_id, called.name);
        if let Err(limited) = admission.admit_business(business_id, received) {
            self.refuse_limited(caller, &limited);
            return Ok(());
        }
        let found = directory.caller(db, identity_id, now).await;
        let Some((card, email)) = found.map_err(|e| internal("a call request", &e))? else {
            let text = "Your caller identity expired; start a new caller session.".to_owned();
            return Err((ErrorCode::Forbidden, text));
        };
        // A join link: the call rings the member calling back (read from the database —
        // rare, and never on an ordinary call's path).
        let callback = match callback {
            None => None,
            Some(token) => {
                let found = entity::callbacks::store::join_link(db, token, business_id, now).await;
                match found.map_err(|e| internal("a callback call", &e))? {
                    Ok(link) => Some(link),
                    Err(refusal) => {
                        return Err((ErrorCode::Forbidden, refusal.message().to_owned()));
                    }
                }
            }
        };
        // The caller's intent wins; without one, the called domain's team rings.
        let by = route_by(intent, called.route_team_id);
        let route = match directory.call_route(db, business_id, by).await {
            Ok(route) => route,
            Err(RouteError::UnknownIntent) => {
                let reason = UnavailableReason::UnknownIntent;
                self.send_to(caller, &ServerMessage::unavailable(reason));
                return Ok(());
            }
            Err(RouteError::Db(e)) => return Err(internal("a call request", &e)),
        };
        let schedule = directory.schedule(db, business_id).await;
        let schedule = schedule.map_err(|e| internal("a call request", &e))?;
        // The screen pop (a guest without email is nobody: no lookup); a failure to read
        // it costs the card, never the call.
        // Called back: the caller is whoever left the callback's email.
        let email = match &callback {
            Some(join) if !card.verified => Some(join.email.clone()),
            _ => email,
        };
        let contact = match Key::of(card.verified, &card.name, email.as_deref()) {
            None => None,
            Some(key) => directory
                .contact(db, business_id, identity_id, &key)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "reading the caller's contact failed");
                    None
                }),
        };
        let members = self.presence().roster(business_id);
        // Calling back is the member's own choice: opening hours do not stand in the way,
        // only whether the member can be rung.
        let route = match &callback {
            Some(link) => Arc::new(CallRoute {
                intent: route.intent.clone(),
                target: RingTarget::Member(link.member_id),
                teams: std::collections::HashMap::new(),
            }),
            None => route,
        };
        let hours = match &callback {
            Some(_) => None,
            None => availability(&schedule, &route, now).unavailability(),
        };
        let plan = match hours {
            Some(why) => Err(why),
            None => {
                let roster = self.roster(business_id, &members, &route.teams);
                let at = now;
                plan_call(
                    route.target,
                    business_id,
                    &Scheduled {
                        roster: &roster,
                        schedule: &schedule,
                        at,
                    },
                )
                .map_err(Unavailability::from)
            }
        };
        // The link is spent once it rings someone: a member who was not there leaves it
        // usable for a later try.
        if let (Some(link), Ok(_)) = (&callback, &plan) {
            let spent = entity::callbacks::links::spend(db, link.link.id, now).await;
            if !spent.map_err(|e| internal("a callback call", &e))? {
                let text = entity::callbacks::LinkRefusal::Used.message().to_owned();
                return Err((ErrorCode::Forbidden, text));
            }
        }
        let call_id = CallId::from_random_bytes(rand::random());
        let incoming = IncomingCall {
            call_id,
            domain: domain.clone(),
            caller: card.clone(),
            intent: route.intent.clone(),
            mode,
            transferred_by: None,
            contact: contact.map(Box::new),
        };
        let ice = self.inner.ice.servers_for(call_id, now);
        let slot = Arc::new(Slot::new(
            business_id,
            identity_id,
            Call::new(incoming, caller, ice, now),
        ));
        {
            let mut registry = self.registry();
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
        self.seams().records.push(Job::Call(NewCall {
            id: call_id,
            business_id,
            domain,
            intent,
            mode,
            caller_name: card.name,
            caller_verified: card.verified,
            requested_at: now,
            callback_id: callback.as_ref().map(|link| link.callback_id),
        }));
        self.seams().records.push(Job::Contact(ContactTouch {
            business_id,
            call_id,
            identity_id,
            at: now,
        }));
        directory.contact_touched(business_id, identity_id, now);
        let first = match plan {
            Err(reason) => Event::Unavailable(reason),
            Ok(plan) => {
                let mut state = slot.state.lock().await;
                state.waves = plan.into_waves().into();
                self.next_wave(&slot, &mut state, now)
            }
        };
        let first = match first {
            // Nobody of the plan is still there: say so rather than ring no one.
            Event::GiveUp => Event::Unavailable(UnavailableReason::NoAgentsOnline.into()),
            event => event,
        };
        tokio::spawn(timer(self.clone(), call_id, slot.clone()));
        let served = self.apply(call_id, &slot, first).await.map_err(refusal);
        // The server's own share of a setup: up to the offers handed to the delivery seam
        // for every device (or `unavailable` for the caller); writing them is up to the
        // devices' tasks. For `bench` and operators.
        let micros = u64::try_from(received.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::debug!(target: "domaincall::setup", micros, "call request served");
        served
    }

    /// Queues `message` for every agent device of `business_id` connected here.
    pub fn tell_agents(&self, business_id: Uuid, message: &ServerMessage) {
        let Some(text) = encode(message) else { return };
        let devices = self.presence().roster(business_id);
        let mut to = devices.iter().flat_map(|m| m.devices.iter().copied());
        self.seams().delivery.broadcast(&mut to, &text);
    }

    /// Tells every call page caller identity `identity_id` has open now `message`;
    /// returns how many were told.
    pub fn tell_caller(&self, identity_id: Uuid, message: &ServerMessage) -> usize {
        let pages = self
            .seams()
            .sessions
            .live_matching(&|peer| *peer == Peer::Caller { identity_id });
        if pages.is_empty() {
            return 0;
        }
        let Some(text) = encode(message) else {
            return 0;
        };
        self.seams()
            .delivery
            .broadcast(&mut pages.iter().copied(), &text);
        pages.len()
    }

    /// Whether caller identity `identity_id` has a call page open now.
    #[must_use]
    pub fn caller_online(&self, identity_id: Uuid) -> bool {
        !self
            .seams()
            .sessions
            .live_matching(&|peer| *peer == Peer::Caller { identity_id })
            .is_empty()
    }

    /// Queues `message` for `connection`.
    pub(super) fn send_to(&self, connection: ConnectionId, message: &ServerMessage) {
        if let Some(text) = encode(message) {
            self.seams().delivery.deliver(connection, text);
        }
    }

    /// Answers a call request over a limit with `rate_limited` and when to retry.
    fn refuse_limited(&self, caller: ConnectionId, limited: &Limited) {
        tracing::debug!(scope = ?limited.scope, retry_after_ms = limited.retry_after_ms(), "call request over its limit");
        let message = ServerMessage::rate_limited(limited.message(), limited.retry_after_ms());
        self.send_to(caller, &message);
    }

    /// Whether `user` is still a member of `business_id`, from the call directory (a
    /// cached member list, dropped by every member event, read again after a minute).
    async fn still_member(&self, business_id: Uuid, user: Uuid) -> Result<bool, Refusal> {
        let db = &self.inner.db;
        self.directory()
            .is_member(db, business_id, user)
            .await
            .map_err(|e| internal("checking a membership", &e))
    }

    /// An agent device answers or declines a call offered to it. An accept from a member
    /// no longer in the call's business is refused (and the call stops ringing there),
    /// even before the revocation closed the device's socket.
    ///
    /// # Errors
    /// `unknown_call`, `forbidden`, or the call's own refusal.
    pub async fn answer_call(
        &self,
        device: AgentDevice,
        call_id: CallId,
        accept: bool,
    ) -> Result<(), Refusal> {
        let slot = self.registry().calls.get(&call_id).cloned();
        let Some(slot) = slot else {
            let text = "No such call was offered to this device (or it ended).".to_owned();
            return Err((ErrorCode::UnknownCall, text));
        };
        if accept && !self.still_member(slot.business_id, device.user).await? {
            let gone = Event::Gone(Party::Agent(device));
            let _ = self.apply(call_id, &slot, gone).await;
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
    ///
    /// # Errors
    /// `not_in_call`, `forbidden`, `invalid_message` for a target that is not there.
    pub async fn transfer_call(
        &self,
        device: AgentDevice,
        named: Option<CallId>,
        to: RingTarget,
    ) -> Result<(), Refusal> {
        let (call_id, slot) = self
            .sender_call(Party::Agent(device), named, "transfer")
            .await?;
        let business_id = slot.business_id;
        if !self.still_member(business_id, device.user).await? {
            return Err(no_longer_member());
        }
        if let RingTarget::Member(user) = to {
            if !self.still_member(business_id, user).await? {
                let text = "That person is not a member of this business (any more).";
                return Err((ErrorCode::InvalidMessage, text.to_owned()));
            }
        }
        let teams = match to {
            RingTarget::Member(_) => Arc::default(),
            RingTarget::Team(team) => self
                .directory()
                .team_route(&self.inner.db, business_id, team)
                .await
                .map_err(|e| internal("loading a transfer's team", &e))?,
        };
        if matches!(to, RingTarget::Team(_)) && teams.is_empty() {
            let text = "That team does not exist (any more).".to_owned();
            return Err((ErrorCode::InvalidMessage, text));
        }
        let schedule = self.directory().schedule(&self.inner.db, business_id).await;
        let schedule = schedule.map_err(|e| internal("loading the opening hours", &e))?;
        let members = self.presence().roster(business_id);
        let roster = self.roster(business_id, &members, &teams);
        let at = Utc::now();
        let plan = plan_ring(
            to,
            &Scheduled {
                roster: &roster,
                schedule: &schedule,
                at,
            },
        )
        .ok();
        let mut users: Vec<Uuid> = Vec::new();
        for user in plan
            .iter()
            .flat_map(|p| p.members())
            .filter(|&u| u != device.user)
        {
            // A team's stored members follow removals, but a removal may not have
            // reached this process yet.
            if self.still_member(business_id, user).await? {
                users.push(user);
            }
        }
        let timeout = plan
            .as_ref()
            .and_then(|p| p.waves().first())
            .map_or(self.config().ring_timeout, |w| w.timeout);
        let devices = devices(&members, &users);
        if devices.is_empty() {
            let reason = TransferFailure::Unavailable;
            let message = ServerMessage::TransferFailed { call_id, reason };
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

    /// Ends every call with `server_shutdown`; later requests are refused.
    pub async fn end_all_calls(&self) {
        let all: Vec<(CallId, Arc<Slot>)> = {
            let mut registry = self.registry();
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
