//! Calls: the signaling protocol, routing rules and the call state machine (pure logic).
//!
//! Everything here is IO-free and clock-free, so the server's signaling hub only moves
//! bytes and timers while every rule is unit-tested; [`protocol`] and [`wire`] also compile
//! to wasm for the browser.

pub mod csv;
pub mod filter;
pub mod history;
#[cfg(feature = "db")]
pub mod ice;
#[cfg(feature = "db")]
pub mod limits;
pub mod machine;
#[cfg(feature = "db")]
pub mod online;
pub mod protocol;
#[cfg(feature = "db")]
pub mod records;
pub mod relay;
pub mod routing;
pub mod stats;
pub mod wire;

pub use machine::{
    AgentDevice, Call, CallError, Effect, Event, Milestone, Party, Phase, RECONNECT_GRACE,
};
pub use protocol::{
    CallId, ClientMessage, CloseCode, ConnectionId, ConnectionRole, ProtocolError, ServerMessage,
    MAX_MESSAGE_BYTES, PROTOCOL_VERSION,
};
pub use routing::{
    plan_ring, AgentSnapshot, RingPlan, RingStrategy, Roster, Team, TeamStatus, Wave,
};
pub use wire::{CallMode, EndReason, RingTarget, Side, UnavailableReason};
