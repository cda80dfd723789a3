//! The vocabulary of the call state machine: who takes part, what can happen, what the
//! hub must do about it, and why an event is refused.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::calls::protocol::{ConnectionId, ErrorCode, ServerMessage, Unavailability};
use crate::calls::wire::{ChatText, EndReason, Side, TransferFailure, UnavailableReason};

/// One agent's device: the member and the signaling session of that device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentDevice {
    pub user: Uuid,
    pub connection: ConnectionId,
}

/// A participant the machine addresses: the caller's device or an agent's device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    Caller(ConnectionId),
    Agent(AgentDevice),
}

impl Party {
    /// Which side of a call this party would be on.
    #[must_use]
    pub fn side(self) -> Side {
        match self {
            Self::Caller(_) => Side::Caller,
            Self::Agent(_) => Side::Agent,
        }
    }

    /// The party's signaling session.
    #[must_use]
    pub fn connection(self) -> ConnectionId {
        match self {
            Self::Caller(c) => c,
            Self::Agent(d) => d.connection,
        }
    }
}

/// Where a call stands, as the outside sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Created, not yet offered to anyone.
    Requested,
    /// Offered to agents' devices (or between two waves).
    Ringing,
    /// Between the caller and one agent device (possibly with a transfer ringing).
    Connected,
    /// Over, for this reason; absorbing.
    Ended(EndReason),
}

/// Something that happened to a call.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Hub: offer the call to these devices until `deadline` (a wave). Devices of an earlier
    /// wave that are not in this one stop ringing.
    Ring {
        devices: Vec<AgentDevice>,
        deadline: DateTime<Utc>,
    },
    /// Hub: no further wave to ring; the call ends `missed` or `rejected`.
    GiveUp,
    /// Hub: the request cannot be offered to anyone (nobody online, closed, out of
    /// office…), with what the caller is told.
    Unavailable(Unavailability),
    /// A device answers.
    Accept(AgentDevice),
    /// A device declines (for all of its member's devices).
    Reject(AgentDevice),
    /// The caller withdraws (a hang-up once connected).
    Cancel,
    /// A party hangs up.
    Hangup(Party),
    /// A party sends a chat message.
    Chat { from: Party, text: ChatText },
    /// The connected agent offers the call to other devices until `deadline`.
    Transfer {
        by: AgentDevice,
        devices: Vec<AgentDevice>,
        deadline: DateTime<Utc>,
    },
    /// A party's socket dropped; it has until `deadline` to come back. A ringing device
    /// that drops simply stops being offered the call.
    Lost {
        party: Party,
        deadline: DateTime<Utc>,
    },
    /// A lost party resumed its session.
    Back(Party),
    /// A party that cannot come back (its sign-in or membership was revoked): a caller or
    /// the connected agent ends the call `dropped` at once, with no grace to wait out; a
    /// ringing device stops being offered the call.
    Gone(Party),
    /// Hub: a deadline may have passed (see [`Call::next_deadline`]).
    Tick,
    /// The server is shutting down.
    Shutdown,
}

/// What the hub must do after an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send this message to that party's device.
    Send { to: Party, message: ServerMessage },
    /// Append this to the call record.
    Record(Milestone),
    /// The member is now in a call, or no longer (presence).
    Busy { user: Uuid, busy: bool },
    /// The current wave is over: ring the next one, or give up.
    WaveOver,
}

/// A fact for the call record (requested, offered, accepted by whom, ended by whom, why).
#[derive(Clone, Debug, PartialEq)]
pub enum Milestone {
    Offered {
        devices: Vec<AgentDevice>,
    },
    Rejected {
        user: Uuid,
    },
    /// Answered; `wait` is from the request to this accept (rewards use it).
    Accepted {
        by: AgentDevice,
        wait: Duration,
    },
    TransferOffered {
        by: Uuid,
        devices: Vec<AgentDevice>,
    },
    TransferFailed {
        reason: TransferFailure,
    },
    Transferred {
        from: Uuid,
        to: AgentDevice,
    },
    Chat {
        from: Side,
        text: ChatText,
        at: DateTime<Utc>,
    },
    Ended {
        reason: EndReason,
        by: Option<Party>,
        unavailable: Option<UnavailableReason>,
        /// Whether a member had answered it (an unanswered end is a missed call).
        answered: bool,
    },
}

/// Why an event was refused; the call is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("the call already ended ({})", .0.as_str())]
    Ended(EndReason),
    #[error("the call is not ringing")]
    NotRinging,
    #[error("the call is not connected")]
    NotConnected,
    #[error("the call is not offered to this device")]
    NotOffered,
    #[error("another device already answered the call")]
    AlreadyAnswered,
    #[error("the sender is not a party to the call")]
    NotAParty,
    #[error("a transfer of the call is already ringing")]
    TransferInProgress,
    #[error("there is no device to offer the call to")]
    NoDevices,
}

impl CallError {
    /// The protocol error code for the sender of the refused message.
    #[must_use]
    pub fn code(self) -> ErrorCode {
        match self {
            Self::Ended(_) => ErrorCode::CallEnded,
            Self::NotOffered => ErrorCode::UnknownCall,
            Self::NotAParty => ErrorCode::NotInCall,
            Self::NotRinging
            | Self::NotConnected
            | Self::AlreadyAnswered
            | Self::TransferInProgress
            | Self::NoDevices => ErrorCode::InvalidState,
        }
    }
}
