//! Transfer, as the transferring agent sees it: the offer to a team or a colleague rings
//! while the call goes on; then either somebody took over (this device's part of the call
//! ends) or nobody did and the call stays here, with a notice saying why.

use entity::calls::protocol::ClientMessage;
use entity::calls::wire::{RingTarget, TransferFailure};
use leptos::prelude::*;
use uuid::Uuid;

use super::AgentEngine;

impl AgentEngine {
    /// Offers the call to a team or a colleague.
    pub fn transfer(&self, to: RingTarget) {
        let ui = self.ui;
        let call_id = *self.call_id.borrow();
        self.send(&ClientMessage::Transfer { to, call_id });
        ui.transfer.set(Some(to));
        let whom = match to {
            RingTarget::Team(id) => ui
                .team_name(id)
                .map_or_else(|| "the team".to_owned(), |t| format!("the {t} team")),
            RingTarget::Member(id) => ui
                .member_email(id)
                .unwrap_or_else(|| "your colleague".to_owned()),
        };
        ui.call
            .notice
            .set(Some(format!("Ringing {whom} to take over the call…")));
    }

    /// Nobody took the transfer: the call stays with this device.
    pub(super) fn transfer_failed(&self, reason: TransferFailure) {
        let ui = self.ui;
        let to = ui.transfer.get_untracked();
        ui.transfer.set(None);
        let why = match (reason, to) {
            (TransferFailure::Rejected, Some(RingTarget::Team(_))) => "the team declined",
            (TransferFailure::Rejected, _) => "your colleague declined",
            (TransferFailure::Missed, _) => "nobody answered",
            (TransferFailure::Unavailable, _) => "nobody could take it",
        };
        ui.call.notice.set(Some(format!(
            "The transfer did not happen ({why}); the call stays with you."
        )));
    }

    /// `by` took over the call: this device's part of it ends.
    pub(super) fn transferred(&self, by: Uuid) {
        let ui = self.ui;
        let who = ui
            .member_email(by)
            .unwrap_or_else(|| "a colleague".to_owned());
        let summary = match ui.transfer.get_untracked() {
            Some(RingTarget::Team(team)) => match ui.team_name(team) {
                Some(team) => format!("Transferred to {who} ({team})."),
                None => format!("Transferred to {who}."),
            },
            _ => format!("Transferred to {who}."),
        };
        self.end_call(summary);
    }
}
