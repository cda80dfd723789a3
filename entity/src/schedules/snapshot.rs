//! A business's schedules in memory, for the signaling hub: opening hours of the business
//! and of the teams that have their own, date overrides, and who is out of office.
//!
//! The hub caches the schedule, never an answer: a [`ScheduleSnapshot`] is loaded once
//! ([`super::store::load_snapshot`]), dropped when a `SchedulesChanged` (or team or
//! member) event of the business arrives, and asked at each call's instant. Asking reads
//! no database and allocates nothing: [`availability`] says whether a call can be offered
//! at all (and if not, the `closed` next opening or the out-of-office message), and
//! [`Scheduled`] lets [`plan_ring`](crate::calls::routing::plan_ring) skip closed teams
//! (trying their fallbacks) and members who are out of office.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::rule::{Hours, OpenState, Rule};
use crate::calls::protocol::{ServerMessage, Unavailability};
use crate::calls::routing::{AgentSnapshot, Roster, Team, TeamStatus};
use crate::calls::{RingTarget, UnavailableReason};
use crate::routing_setup::CallRoute;

/// An out-of-office switch that is on: the message callers get and, optionally, when it
/// turns itself off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutOfOffice {
    pub message: String,
    /// From this instant on it no longer applies (`None`: until switched off).
    pub until: Option<DateTime<Utc>>,
}

impl OutOfOffice {
    /// Whether it applies at `at` (before its `until`).
    #[must_use]
    pub fn applies_at(&self, at: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| at < until)
    }
}

/// What a snapshot is built from.
#[derive(Clone, Debug, Default)]
pub struct ScheduleParts {
    /// The business's hours; `None` (never set) means open around the clock.
    pub business: Option<Hours>,
    /// Teams with hours of their own; the others follow the business's.
    pub teams: HashMap<Uuid, Hours>,
    /// The business's out-of-office, when switched on.
    pub business_out_of_office: Option<OutOfOffice>,
    /// Members whose out-of-office is switched on, by user id.
    pub members_out_of_office: HashMap<Uuid, OutOfOffice>,
}

/// A business's schedules, ready to answer at any instant; cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct ScheduleSnapshot(Arc<ScheduleParts>);

/// Whether a business or team takes calls at an instant, as a caller is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status<'a> {
    /// Open; `closes_at` is `None` when open around the clock (or no hours are set).
    Open { closes_at: Option<DateTime<Utc>> },
    /// Outside opening hours.
    Closed { next_opening: Option<DateTime<Utc>> },
    /// Out of office (this beats opening hours).
    OutOfOffice {
        message: &'a str,
        until: Option<DateTime<Utc>>,
    },
}

impl ScheduleSnapshot {
    /// A snapshot of `parts`.
    #[must_use]
    pub fn new(parts: ScheduleParts) -> Self {
        Self(Arc::new(parts))
    }

    /// The business's opening hours, if it has any.
    #[must_use]
    pub fn business_rule(&self) -> Option<Rule<'_>> {
        self.0.business.as_ref().map(Hours::rule)
    }

    /// The hours team `team_id` follows: its own (with the business's date overrides on
    /// the dates it has none), else the business's. The business id stands for the
    /// synthetic "everyone" team. `None`: no hours at all (open around the clock).
    #[must_use]
    pub fn team_rule(&self, team_id: Uuid) -> Option<Rule<'_>> {
        match self.0.teams.get(&team_id) {
            Some(own) => Some(own.rule_with(self.0.business.as_ref().map(|b| &b.overrides))),
            None => self.business_rule(),
        }
    }

    /// Whether team `team_id` has hours of its own.
    #[must_use]
    pub fn has_own_hours(&self, team_id: Uuid) -> bool {
        self.0.teams.contains_key(&team_id)
    }

    /// The business's out-of-office, if it applies at `at`.
    #[must_use]
    pub fn business_out_of_office(&self, at: DateTime<Utc>) -> Option<&OutOfOffice> {
        self.0
            .business_out_of_office
            .as_ref()
            .filter(|o| o.applies_at(at))
    }

    /// A member's out-of-office, if it applies at `at`.
    #[must_use]
    pub fn member_out_of_office(&self, user_id: Uuid, at: DateTime<Utc>) -> Option<&OutOfOffice> {
        if self.0.members_out_of_office.is_empty() {
            return None;
        }
        self.0
            .members_out_of_office
            .get(&user_id)
            .filter(|o| o.applies_at(at))
    }

    /// The business (`team` `None`) or a team at `at`, with when that changes.
    #[must_use]
    pub fn status(&self, team: Option<Uuid>, at: DateTime<Utc>) -> Status<'_> {
        if let Some(o) = self.business_out_of_office(at) {
            return Status::OutOfOffice {
                message: &o.message,
                until: o.until,
            };
        }
        let rule = match team {
            Some(id) => self.team_rule(id),
            None => self.business_rule(),
        };
        match rule.map(|r| r.state(at)) {
            None => Status::Open { closes_at: None },
            Some(OpenState::Open { closes_at }) => Status::Open { closes_at },
            Some(OpenState::Closed { next_opening }) => Status::Closed { next_opening },
        }
    }

    /// Whether team `team_id` takes calls at `at` (for routing).
    #[must_use]
    pub fn team_status(&self, team_id: Uuid, at: DateTime<Utc>) -> TeamStatus {
        if self.business_out_of_office(at).is_some() {
            TeamStatus::OutOfOffice
        } else if self.team_rule(team_id).is_none_or(|r| r.is_open(at)) {
            TeamStatus::Open
        } else {
            TeamStatus::Closed
        }
    }
}

/// Whether a call can be offered at all, before anyone is rung.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallAvailability<'a> {
    /// Within hours: plan the ring (through [`Scheduled`]).
    Open,
    /// Every team the call could reach is closed (or the business is, for a call to a
    /// member): tell the caller `closed` with the earliest opening among them.
    Closed { next_opening: Option<DateTime<Utc>> },
    /// The business, or the member called, is out of office: tell the caller
    /// `out_of_office` with this message.
    OutOfOffice {
        message: &'a str,
        until: Option<DateTime<Utc>>,
    },
}

impl CallAvailability<'_> {
    /// Why the call cannot be offered, with the next opening or the message; `None` when
    /// open.
    #[must_use]
    pub fn unavailability(&self) -> Option<Unavailability> {
        match *self {
            Self::Open => None,
            Self::Closed { next_opening } => Some(Unavailability {
                next_opening,
                ..UnavailableReason::Closed.into()
            }),
            Self::OutOfOffice { message, until } => Some(Unavailability {
                message: Some(message.to_owned()),
                until,
                ..UnavailableReason::OutOfOffice.into()
            }),
        }
    }

    /// The `unavailable` message for the caller; `None` when open.
    #[must_use]
    pub fn message(&self) -> Option<ServerMessage> {
        self.unavailability().map(ServerMessage::from)
    }
}

/// Whether a call routed by `route` can be offered at `at`: the business's out-of-office
/// beats everything; a call to a member needs them in office and the business open; a
/// call to a team needs one team of its fallback chain open.
#[must_use]
pub fn availability<'a>(
    snapshot: &'a ScheduleSnapshot,
    route: &CallRoute,
    at: DateTime<Utc>,
) -> CallAvailability<'a> {
    if let Some(o) = snapshot.business_out_of_office(at) {
        return CallAvailability::OutOfOffice {
            message: &o.message,
            until: o.until,
        };
    }
    match route.target {
        RingTarget::Member(user) => {
            if let Some(o) = snapshot.member_out_of_office(user, at) {
                return CallAvailability::OutOfOffice {
                    message: &o.message,
                    until: o.until,
                };
            }
            closed_unless_open(snapshot.business_rule(), at)
        }
        RingTarget::Team(first) => {
            let open = chain(route, first)
                .any(|id| snapshot.team_rule(id).is_none_or(|rule| rule.is_open(at)));
            if open {
                return CallAvailability::Open;
            }
            let next_opening = chain(route, first)
                .filter_map(|id| snapshot.team_rule(id).and_then(|r| r.next_opening(at)))
                .min();
            CallAvailability::Closed { next_opening }
        }
    }
}

/// `first` and its fallbacks, in order (a chain visits each team at most once; a longer
/// walk has looped).
fn chain(route: &CallRoute, first: Uuid) -> impl Iterator<Item = Uuid> + '_ {
    std::iter::successors(Some(first), |id| {
        route.teams.get(id).and_then(|t: &Team| t.fallback)
    })
    .take(route.teams.len().max(1))
}

fn closed_unless_open(rule: Option<Rule<'_>>, at: DateTime<Utc>) -> CallAvailability<'static> {
    match rule.map(|r| r.state(at)) {
        None | Some(OpenState::Open { .. }) => CallAvailability::Open,
        Some(OpenState::Closed { next_opening }) => CallAvailability::Closed { next_opening },
    }
}

/// A [`Roster`] that also knows the schedules at one instant: closed or out-of-office
/// teams are skipped (their fallback is tried) and members out of office are never rung.
#[derive(Clone, Copy, Debug)]
pub struct Scheduled<'a, R> {
    pub roster: &'a R,
    pub schedule: &'a ScheduleSnapshot,
    pub at: DateTime<Utc>,
}

impl<R: Roster> Roster for Scheduled<'_, R> {
    fn team(&self, id: Uuid) -> Option<&Team> {
        self.roster.team(id)
    }

    fn agent(&self, user_id: Uuid) -> Option<AgentSnapshot> {
        let away = self
            .schedule
            .member_out_of_office(user_id, self.at)
            .is_some();
        match self.roster.agent(user_id) {
            Some(mut agent) => {
                agent.out_of_office |= away;
                Some(agent)
            }
            None if away => Some(AgentSnapshot {
                online_devices: 0,
                out_of_office: true,
                ..AgentSnapshot::available(user_id)
            }),
            None => None,
        }
    }

    fn round_robin_cursor(&self, team_id: Uuid) -> Option<Uuid> {
        self.roster.round_robin_cursor(team_id)
    }

    fn team_status(&self, team_id: Uuid) -> TeamStatus {
        match self.roster.team_status(team_id) {
            TeamStatus::Open => self.schedule.team_status(team_id, self.at),
            other => other,
        }
    }
}
