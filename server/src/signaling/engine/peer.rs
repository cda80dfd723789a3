//! Who is behind a connection: an agent (a member's dashboard session) or a caller, and
//! what that makes the connection in a call and in presence.

use entity::auth::principal::Credential;
use entity::calls::protocol::ConnectionId;
use entity::calls::Party;
use entity::events::Grant;
use uuid::Uuid;

use super::AgentDevice;

/// The authenticated party behind a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// A member of a business, signed in to the dashboard.
    Agent {
        /// The member.
        user_id: Uuid,
        /// The business their session acts for.
        business_id: Uuid,
        /// The session the socket was opened with (revoking it closes the socket).
        session_id: Uuid,
    },
    /// A caller with a live caller identity.
    Caller {
        /// The caller identity.
        identity_id: Uuid,
    },
}

impl Peer {
    /// What an agent socket was opened with, for revocations (callers hold none).
    #[must_use]
    pub fn grant(&self) -> Option<Grant> {
        match *self {
            Self::Agent {
                user_id,
                business_id,
                session_id,
            } => Some(Grant {
                user_id,
                business_id,
                credential: Credential::Session(session_id),
            }),
            Self::Caller { .. } => None,
        }
    }

    /// Whether `other` is the same agent for the same business, or the same caller — who
    /// may resume this peer's signaling session (with any of their live sessions).
    #[must_use]
    pub fn same_party(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::Agent {
                    user_id,
                    business_id,
                    ..
                },
                Self::Agent {
                    user_id: u,
                    business_id: b,
                    ..
                },
            ) => user_id == u && business_id == b,
            (Self::Caller { identity_id }, Self::Caller { identity_id: i }) => identity_id == i,
            _ => false,
        }
    }

    /// Connection `connection` of this peer as a party to a call.
    #[must_use]
    pub fn party(&self, connection: ConnectionId) -> Party {
        match *self {
            Self::Agent { user_id, .. } => Party::Agent(entity::calls::AgentDevice {
                user: user_id,
                connection,
            }),
            Self::Caller { .. } => Party::Caller(connection),
        }
    }

    /// Connection `connection` of this peer as a presence device (agents only).
    #[must_use]
    pub fn device(&self, connection: ConnectionId) -> Option<AgentDevice> {
        match *self {
            Self::Agent {
                user_id,
                business_id,
                ..
            } => Some(AgentDevice {
                business_id,
                user_id,
                connection_id: connection,
            }),
            Self::Caller { .. } => None,
        }
    }
}
