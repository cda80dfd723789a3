//! What the two parties of a call send each other: `offer`, `answer` and `ice` relayed
//! as they came (the fast path, nearly all the traffic), and `chat`, `hangup` and
//! `cancel` fed to the call.
//!
//! **The fast path.** [`entity::calls::relay::RelayFrame`] parses a relay borrowed from
//! the received text; one look-up of the registry finds the sender's call, whose lock is
//! only tried (never waited for) under it, and the forwarded frame goes straight to the
//! other party's mailbox. Each call keeps its two parties' mailboxes ([`Links`]), resolved
//! through the delivery seam on the first relay and dropped whenever a party's socket
//! changes (lost, back, gone), so a relayed frame costs no look-up of the delivery seam
//! and no lock beyond the registry's, the call's and the mailbox's own.

use std::sync::Arc;

use entity::calls::protocol::{CallId, ConnectionId, ErrorCode};
use entity::calls::relay::RelayFrame;
use entity::calls::{CallError, Event, Party};

use super::calls::{Slot, SlotState};
use super::{Delivery, Engine, Mailbox, Refusal};

/// The mailboxes of a call's two parties, each with the connection it was resolved for.
#[derive(Default)]
pub(super) struct Links {
    caller: Option<(ConnectionId, Arc<dyn Mailbox>)>,
    agent: Option<(ConnectionId, Arc<dyn Mailbox>)>,
}

impl Links {
    /// Where frames for party `to` go: the kept mailbox, else resolved now and kept
    /// (`None`: nobody serves it now; nothing is kept).
    fn mailbox(&mut self, to: Party, delivery: &dyn Delivery) -> Option<&dyn Mailbox> {
        let connection = to.connection();
        let link = match to {
            Party::Caller(_) => &mut self.caller,
            Party::Agent(_) => &mut self.agent,
        };
        if link.as_ref().is_none_or(|(kept, _)| *kept != connection) {
            *link = delivery.mailbox(connection).map(|m| (connection, m));
        }
        link.as_ref().map(|(_, mailbox)| &**mailbox)
    }

    /// Forgets what was resolved for `connection` (its socket went or changed).
    pub(super) fn forget(&mut self, connection: ConnectionId) {
        for link in [&mut self.caller, &mut self.agent] {
            if link.as_ref().is_some_and(|(kept, _)| *kept == connection) {
                *link = None;
            }
        }
    }
}

impl Engine {
    /// Relays `offer`, `answer` or `ice` to the other party of the sender's call without
    /// waiting; `None` when a call's lock is held (then [`Self::relay`] waits for it).
    /// Nothing happens before that answer, so falling back is safe.
    pub fn try_relay(&self, from: Party, frame: &RelayFrame<'_>) -> Option<Result<(), Refusal>> {
        let registry = self.registry();
        let ids = registry.involved.get(&from.connection());
        for (id, slot) in ids
            .into_iter()
            .flatten()
            .filter_map(|id| Some((*id, registry.calls.get(id)?)))
        {
            let mut state = slot.state.try_lock().ok()?;
            if let Some(done) = self.relay_in(id, &mut state, from, frame) {
                return Some(done);
            }
        }
        Some(Err(not_in_call(from, frame.call_id, frame.kind())))
    }

    /// [`Self::try_relay`], waiting for the call's lock.
    ///
    /// # Errors
    /// A refusal for the sender (`not_in_call`, or the call's own refusal).
    pub async fn relay(&self, from: Party, frame: &RelayFrame<'_>) -> Result<(), Refusal> {
        let calls = self.registry().involved(from.connection());
        for (id, slot) in calls {
            let mut state = slot.state.lock().await;
            if let Some(done) = self.relay_in(id, &mut state, from, frame) {
                return done;
            }
        }
        Err(not_in_call(from, frame.call_id, frame.kind()))
    }

    /// Relays `frame` within call `id` if `from` is one of its parties (`None` if not):
    /// only to the other party, only while connected, only if the call it names is this
    /// one.
    fn relay_in(
        &self,
        id: CallId,
        state: &mut SlotState,
        from: Party,
        frame: &RelayFrame<'_>,
    ) -> Option<Result<(), Refusal>> {
        if !is_own(state, from) {
            return None;
        }
        if frame.call_id.is_some_and(|named| named != id) {
            return Some(Err(not_in_call(from, frame.call_id, frame.kind())));
        }
        let to = match state.call.relay_to(from) {
            Ok(to) => to,
            Err(e) => return Some(Err(refusal(e))),
        };
        if let Some(mailbox) = state.links.mailbox(to, &*self.seams().delivery) {
            if mailbox.post(frame.forward(id).into()).is_err() {
                tracing::warn!(call_id = %id, "a device is not reading (or gone); call message dropped");
            }
        }
        Some(Ok(()))
    }

    /// `chat`, `hangup` or `cancel` from a party of a call.
    ///
    /// # Errors
    /// `not_in_call` when `from` is in no such call; the call's own refusal.
    pub async fn party_event(
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

    /// The call `party` is one of the two parties of (or the caller's ringing call).
    async fn own_call(&self, party: Party) -> Option<(CallId, Arc<Slot>)> {
        let calls = self.registry().involved(party.connection());
        for (id, slot) in calls {
            if is_own(&*slot.state.lock().await, party) {
                return Some((id, slot));
            }
        }
        None
    }

    /// Finds the sender's call, checking the optional `call_id` it named.
    pub(super) async fn sender_call(
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
}

/// A call's refusal as the sender hears it.
pub(super) fn refusal(error: CallError) -> Refusal {
    (error.code(), error.to_string())
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
