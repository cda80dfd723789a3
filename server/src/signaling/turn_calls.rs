//! What the embedded TURN server asks the hub ([`crate::turn::LiveCalls`]): whether a
//! call is live, when it ended (remembered for [`TURN_GRACE_AFTER_CALL`]), and each call's
//! end as it happens, so its relays close with it. Local state of the engine: a TURN
//! server relays for the calls of its own process.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use entity::calls::ice::{CallStatus, TURN_GRACE_AFTER_CALL};
use entity::calls::protocol::CallId;
use tokio::sync::broadcast;

use super::Hub;

/// Ends announced and not yet read before a slow reader misses some (it then sweeps).
const ANNOUNCED: usize = 256;

/// Calls that ended within the grace, and the announcement of each end.
pub(in crate::signaling) struct EndedCalls {
    recent: Mutex<Recent>,
    announce: broadcast::Sender<CallId>,
}

/// Ended calls, with their ends in order to forget them in order.
#[derive(Default)]
struct Recent {
    at: HashMap<CallId, DateTime<Utc>>,
    order: VecDeque<(DateTime<Utc>, CallId)>,
}

impl Default for EndedCalls {
    fn default() -> Self {
        Self {
            recent: Mutex::default(),
            announce: broadcast::channel(ANNOUNCED).0,
        }
    }
}

impl EndedCalls {
    fn recent(&self) -> MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Call `call_id` ended now.
    pub(in crate::signaling) fn record(&self, call_id: CallId) {
        let now = Utc::now();
        let keep = chrono::Duration::from_std(TURN_GRACE_AFTER_CALL).unwrap_or_default();
        let mut recent = self.recent();
        while let Some(&(at, old)) = recent.order.front() {
            if now - at < keep {
                break;
            }
            recent.order.pop_front();
            if recent.at.get(&old) == Some(&at) {
                recent.at.remove(&old);
            }
        }
        recent.at.insert(call_id, now);
        recent.order.push_back((now, call_id));
        drop(recent);
        // Nobody listening (no embedded TURN server) is fine.
        let _ = self.announce.send(call_id);
    }

    /// When call `call_id` ended, if within the grace.
    pub(in crate::signaling) fn ended_at(&self, call_id: CallId) -> Option<DateTime<Utc>> {
        self.recent().at.get(&call_id).copied()
    }

    /// Each call's id as it ends, from now on.
    pub(in crate::signaling) fn subscribe(&self) -> broadcast::Receiver<CallId> {
        self.announce.subscribe()
    }
}

impl crate::turn::LiveCalls for Hub {
    fn call_status(&self, call_id: CallId) -> CallStatus {
        self.engine().call_status(call_id)
    }

    fn call_ends(&self) -> broadcast::Receiver<CallId> {
        self.engine().call_ends()
    }
}
