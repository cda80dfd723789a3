//! Routing: who rings, in which order and for how long, for a call to an intent's target.
//!
//! Pure and IO-free: the signaling hub passes a [`Roster`] (teams, a presence snapshot of
//! the agents, the round-robin cursors) and gets a [`RingPlan`] back, or the
//! [`UnavailableReason`] to tell the caller. Nothing here reads a clock or a database, so
//! every rule is unit-tested directly.
//!
//! A plan is a list of waves; a wave rings its members' devices at the same time, for the
//! wave's timeout, and the next wave starts when it times out or everyone in it rejected.
//! - **Simultaneous** (the default): one wave with every eligible member of the team.
//! - **Round-robin**: one wave per eligible member, one member each, in team order starting
//!   with the member after the team's cursor (the member last rung by round-robin), so
//!   successive calls start with successive members. The hub moves the cursor to each
//!   wave's member as it rings it ([`Wave::round_robin_cursor`]).
//! - **Longest-idle**: one wave per eligible member, one member each, the member whose last
//!   call ended longest ago first (members who never had a call before everyone else),
//!   ties in team order.
//!
//! Each wave of a team lasts the team's ring timeout (so a round-robin team of four rings
//! for up to four timeouts). After the team's waves come its fallback team's waves, then
//! that team's fallback, and so on; a team already in the chain ends it, and a fallback
//! that no longer exists is skipped. Each member is rung at most once per plan.
//!
//! Busy, away, out-of-office and offline members are never rung. Eligibility is judged on
//! the snapshot; the hub re-checks it when each later wave starts
//! ([`Wave::eligible_members`]), since agents come and go while a call rings.
//!
//! A team that is closed or out of office ([`Roster::team_status`], from the schedules:
//! `entity::schedules::Scheduled` wraps a roster with them) rings nobody; its fallback is
//! tried as if it had nobody available.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::wire::{Availability, RingTarget, UnavailableReason};

/// How long a team's wave rings when the team does not say.
pub const DEFAULT_RING_TIMEOUT: Duration = Duration::from_secs(30);

/// How a team's members are rung.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RingStrategy {
    /// Every eligible member at once.
    #[default]
    Simultaneous,
    /// One member at a time, rotating between calls.
    RoundRobin,
    /// One member at a time, the longest idle first.
    LongestIdle,
}

impl RingStrategy {
    /// The stored form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simultaneous => "simultaneous",
            Self::RoundRobin => "round_robin",
            Self::LongestIdle => "longest_idle",
        }
    }

    /// Parses the stored form.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "simultaneous" => Some(Self::Simultaneous),
            "round_robin" => Some(Self::RoundRobin),
            "longest_idle" => Some(Self::LongestIdle),
            _ => None,
        }
    }
}

/// A team as routing sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    pub id: Uuid,
    /// The members' user ids, in the team's order (round-robin follows it).
    pub members: Vec<Uuid>,
    pub strategy: RingStrategy,
    /// How long each wave of this team rings.
    pub ring_timeout: Duration,
    /// The team whose waves follow when nobody in this one answers.
    pub fallback: Option<Uuid>,
}

impl Team {
    /// A simultaneous team with the default ring timeout and no fallback.
    #[must_use]
    pub fn new(id: Uuid, members: Vec<Uuid>) -> Self {
        Self {
            id,
            members,
            strategy: RingStrategy::default(),
            ring_timeout: DEFAULT_RING_TIMEOUT,
            fallback: None,
        }
    }
}

/// One agent's presence at routing time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentSnapshot {
    pub user_id: Uuid,
    /// Connected devices; zero means offline.
    pub online_devices: u32,
    pub availability: Availability,
    /// In a call on any device.
    pub busy: bool,
    /// When the agent's last call ended (longest-idle order); `None` if never.
    pub last_call_ended_at: Option<DateTime<Utc>>,
    /// On leave per the business's out-of-office settings.
    pub out_of_office: bool,
}

/// Whether a team takes calls now, per its opening hours and out-of-office.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TeamStatus {
    /// Within its hours (or it has none).
    #[default]
    Open,
    /// Outside its opening hours.
    Closed,
    /// The business is out of office.
    OutOfOffice,
}

/// Why an agent is or is not rung, in the order the checks apply (a closed team's members
/// are not rung either, and that is the least hopeful reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Standing {
    Closed,
    Offline,
    OutOfOffice,
    Away,
    Busy,
    Eligible,
}

impl AgentSnapshot {
    /// An available, idle agent with one device online.
    #[must_use]
    pub fn available(user_id: Uuid) -> Self {
        Self {
            user_id,
            online_devices: 1,
            availability: Availability::Available,
            busy: false,
            last_call_ended_at: None,
            out_of_office: false,
        }
    }

    /// Whether the agent may be rung now: online, available, not busy, not out of office.
    #[must_use]
    pub fn is_eligible(&self) -> bool {
        self.standing() == Standing::Eligible
    }

    fn standing(&self) -> Standing {
        if self.out_of_office {
            Standing::OutOfOffice
        } else if self.online_devices == 0 {
            Standing::Offline
        } else if self.availability == Availability::Away {
            Standing::Away
        } else if self.busy {
            Standing::Busy
        } else {
            Standing::Eligible
        }
    }
}

/// What routing needs to know about a business at the time of a call.
pub trait Roster {
    /// A team of the business, if it exists.
    fn team(&self, id: Uuid) -> Option<&Team>;
    /// An agent's presence; `None` means offline.
    fn agent(&self, user_id: Uuid) -> Option<AgentSnapshot>;
    /// The member a round-robin team last rang, if any.
    fn round_robin_cursor(&self, team_id: Uuid) -> Option<Uuid>;
    /// Whether a team takes calls now; open unless the roster knows the schedules.
    fn team_status(&self, _team_id: Uuid) -> TeamStatus {
        TeamStatus::Open
    }
}

/// A [`Roster`] held in plain maps (tests, and hubs that snapshot per business).
#[derive(Clone, Debug, Default)]
pub struct RosterSnapshot {
    pub teams: HashMap<Uuid, Team>,
    pub agents: HashMap<Uuid, AgentSnapshot>,
    pub cursors: HashMap<Uuid, Uuid>,
}

impl RosterSnapshot {
    /// Adds (or replaces) a team.
    #[must_use]
    pub fn with_team(mut self, team: Team) -> Self {
        self.teams.insert(team.id, team);
        self
    }

    /// Adds (or replaces) an agent's presence.
    #[must_use]
    pub fn with_agent(mut self, agent: AgentSnapshot) -> Self {
        self.agents.insert(agent.user_id, agent);
        self
    }
}

impl Roster for RosterSnapshot {
    fn team(&self, id: Uuid) -> Option<&Team> {
        self.teams.get(&id)
    }

    fn agent(&self, user_id: Uuid) -> Option<AgentSnapshot> {
        self.agents.get(&user_id).copied()
    }

    fn round_robin_cursor(&self, team_id: Uuid) -> Option<Uuid> {
        self.cursors.get(&team_id).copied()
    }
}

/// Members rung together, for one timeout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wave {
    /// The team the wave comes from; `None` for a call to a single member.
    pub team: Option<Uuid>,
    pub strategy: RingStrategy,
    /// User ids; ring every online device of each.
    pub members: Vec<Uuid>,
    pub timeout: Duration,
}

impl Wave {
    /// For a round-robin wave, the `(team, member)` cursor to store once it rings.
    #[must_use]
    pub fn round_robin_cursor(&self) -> Option<(Uuid, Uuid)> {
        match (self.strategy, self.team, self.members.first()) {
            (RingStrategy::RoundRobin, Some(team), Some(&member)) => Some((team, member)),
            _ => None,
        }
    }

    /// The wave's members who are still eligible in `roster` (checked when a later wave
    /// starts).
    #[must_use]
    pub fn eligible_members(&self, roster: &impl Roster) -> Vec<Uuid> {
        self.members
            .iter()
            .copied()
            .filter(|&m| roster.agent(m).is_some_and(|a| a.is_eligible()))
            .collect()
    }
}

/// The waves to ring for one call, in order; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingPlan {
    waves: Vec<Wave>,
}

impl RingPlan {
    /// The waves, first to ring first.
    #[must_use]
    pub fn waves(&self) -> &[Wave] {
        &self.waves
    }

    /// The waves, by value.
    #[must_use]
    pub fn into_waves(self) -> Vec<Wave> {
        self.waves
    }

    /// Every member of the plan, in ringing order.
    pub fn members(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.waves.iter().flat_map(|w| w.members.iter().copied())
    }
}

/// Plans who rings for a call to `target`.
///
/// # Errors
/// The [`UnavailableReason`] for the caller when nobody can be rung: `unknown_intent` when
/// the target team does not exist; otherwise, over everyone who could have answered,
/// `all_busy` if someone is online, available and in a call, else `away` if someone is
/// online but away, else `out_of_office` if someone (or, for teams, the business) is out
/// of office, else `no_agents_online` if a team was open, else `closed` when every team
/// of the chain was closed.
pub fn plan_ring(target: RingTarget, roster: &impl Roster) -> Result<RingPlan, UnavailableReason> {
    let mut planner = Planner::default();
    match target {
        RingTarget::Member(user_id) => {
            let members = planner.eligible(roster, &[user_id]);
            planner.push(
                None,
                RingStrategy::Simultaneous,
                DEFAULT_RING_TIMEOUT,
                members,
            );
        }
        RingTarget::Team(team_id) => {
            if roster.team(team_id).is_none() {
                return Err(UnavailableReason::UnknownIntent);
            }
            let mut chain = HashSet::new();
            let mut next = Some(team_id);
            while let Some(id) = next {
                let Some(team) = roster.team(id).filter(|_| chain.insert(id)) else {
                    break;
                };
                match roster.team_status(id) {
                    TeamStatus::Open => {
                        // An open team with nobody to ring is "nobody online", never "closed".
                        planner.refuse(Standing::Offline);
                        planner.add_team(roster, team);
                    }
                    TeamStatus::Closed => planner.refuse(Standing::Closed),
                    TeamStatus::OutOfOffice => planner.refuse(Standing::OutOfOffice),
                }
                next = team.fallback;
            }
        }
    }
    planner.finish()
}

/// [`plan_ring`] for a caller's call to a business: when the target (an intent's team
/// with its fallbacks, or member) has nobody online at all — an empty team, members all
/// offline — the business's available members ring instead (the synthetic "everyone"
/// team `everyone`, when the roster holds it). A caller is never told "nobody is online"
/// while an agent of the business sits Available. A target that is closed, out of office,
/// busy or away keeps its answer: those are the business's own choices.
///
/// # Errors
/// As [`plan_ring`]; when everyone could not be rung either, "all busy" or "away" when
/// that is why, else "nobody online".
pub fn plan_call(
    target: RingTarget,
    everyone: Uuid,
    roster: &impl Roster,
) -> Result<RingPlan, UnavailableReason> {
    match plan_ring(target, roster) {
        Err(UnavailableReason::NoAgentsOnline)
            if target != RingTarget::Team(everyone) && roster.team(everyone).is_some() =>
        {
            plan_ring(RingTarget::Team(everyone), roster).map_err(|why| match why {
                UnavailableReason::AllBusy | UnavailableReason::Away => why,
                _ => UnavailableReason::NoAgentsOnline,
            })
        }
        planned => planned,
    }
}

/// Accumulates waves, remembering who was rung and why others were not.
#[derive(Default)]
struct Planner {
    waves: Vec<Wave>,
    seen: HashSet<Uuid>,
    /// The most hopeful reason someone could not be rung.
    best_refusal: Option<Standing>,
}

impl Planner {
    /// Notes why some could not be rung.
    fn refuse(&mut self, standing: Standing) {
        self.best_refusal = self.best_refusal.max(Some(standing));
    }

    fn add_team(&mut self, roster: &impl Roster, team: &Team) {
        let members = self.eligible(roster, &team.members);
        let (strategy, timeout) = (team.strategy, team.ring_timeout);
        let team_id = Some(team.id);
        match strategy {
            RingStrategy::Simultaneous => {
                self.push(team_id, strategy, timeout, members);
            }
            RingStrategy::RoundRobin => {
                let start = roster
                    .round_robin_cursor(team.id)
                    .and_then(|c| team.members.iter().position(|&m| m == c))
                    .map_or(0, |i| i + 1);
                let mut pending: HashSet<Uuid> = members.into_iter().collect();
                let order = team.members[start..].iter().chain(&team.members[..start]);
                for &member in order {
                    if pending.remove(&member) {
                        self.push(team_id, strategy, timeout, vec![member]);
                    }
                }
            }
            RingStrategy::LongestIdle => {
                let mut members = members;
                // Stable: ties keep the team's order. `None` (never called) sorts first.
                members.sort_by_key(|&m| roster.agent(m).and_then(|a| a.last_call_ended_at));
                for member in members {
                    self.push(team_id, strategy, timeout, vec![member]);
                }
            }
        }
    }

    /// The eligible members not yet in the plan, marking them seen and noting refusals.
    fn eligible(&mut self, roster: &impl Roster, members: &[Uuid]) -> Vec<Uuid> {
        let mut eligible = Vec::new();
        for &member in members {
            if self.seen.contains(&member) {
                continue;
            }
            let standing = roster
                .agent(member)
                .map_or(Standing::Offline, |a| a.standing());
            if standing == Standing::Eligible {
                self.seen.insert(member);
                eligible.push(member);
            } else {
                self.refuse(standing);
            }
        }
        eligible
    }

    fn push(
        &mut self,
        team: Option<Uuid>,
        strategy: RingStrategy,
        timeout: Duration,
        members: Vec<Uuid>,
    ) {
        if !members.is_empty() {
            self.waves.push(Wave {
                team,
                strategy,
                members,
                timeout,
            });
        }
    }

    fn finish(self) -> Result<RingPlan, UnavailableReason> {
        if !self.waves.is_empty() {
            return Ok(RingPlan { waves: self.waves });
        }
        Err(match self.best_refusal {
            Some(Standing::Busy) => UnavailableReason::AllBusy,
            Some(Standing::Away) => UnavailableReason::Away,
            Some(Standing::OutOfOffice) => UnavailableReason::OutOfOffice,
            Some(Standing::Closed) => UnavailableReason::Closed,
            Some(Standing::Offline | Standing::Eligible) | None => {
                UnavailableReason::NoAgentsOnline
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn team(n: u128, members: &[u128]) -> Team {
        Team::new(id(n), members.iter().map(|&m| id(m)).collect())
    }

    fn roster(agents: &[u128]) -> RosterSnapshot {
        agents.iter().fold(RosterSnapshot::default(), |r, &a| {
            r.with_agent(AgentSnapshot::available(id(a)))
        })
    }

    fn waves(plan: &Result<RingPlan, UnavailableReason>) -> Vec<Vec<u128>> {
        match plan {
            Ok(plan) => plan
                .waves()
                .iter()
                .map(|w| w.members.iter().map(|m| m.as_u128()).collect())
                .collect(),
            Err(reason) => panic!("unavailable: {reason:?}"),
        }
    }

    fn update(
        r: RosterSnapshot,
        user: u128,
        change: impl FnOnce(&mut AgentSnapshot),
    ) -> RosterSnapshot {
        let mut agent = r
            .agent(id(user))
            .unwrap_or(AgentSnapshot::available(id(user)));
        change(&mut agent);
        r.with_agent(agent)
    }

    #[test]
    fn simultaneous_rings_every_eligible_member_in_one_wave() {
        let r = roster(&[1, 2, 3]).with_team(team(10, &[1, 2, 3, 4]));
        let plan = plan_ring(RingTarget::Team(id(10)), &r);
        assert_eq!(waves(&plan), vec![vec![1, 2, 3]]);
        let wave = &plan.unwrap().into_waves()[0];
        assert_eq!(wave.timeout, DEFAULT_RING_TIMEOUT);
        assert_eq!(wave.team, Some(id(10)));
        assert_eq!(wave.round_robin_cursor(), None);
    }

    #[test]
    fn a_target_with_nobody_online_falls_back_to_everyone_available() {
        const EVERYONE: u128 = 99;
        // Team 10 is empty, team 20's only member is offline: agent 3 sits Available.
        let r = roster(&[3])
            .with_team(team(10, &[]))
            .with_team(team(20, &[4]))
            .with_team(team(EVERYONE, &[3, 4]));
        for target in [
            RingTarget::Team(id(10)),
            RingTarget::Team(id(20)),
            RingTarget::Member(id(4)),
        ] {
            assert_eq!(
                plan_ring(target, &r).err(),
                Some(UnavailableReason::NoAgentsOnline)
            );
            assert_eq!(
                waves(&plan_call(target, id(EVERYONE), &r)),
                vec![vec![3]],
                "{target:?}"
            );
        }
        // A target whose members are busy or away keeps its answer; so does a target
        // without an "everyone" team in the roster (a callback rings its member only).
        let busy = update(r.clone(), 4, |a| a.busy = true);
        assert_eq!(
            plan_call(RingTarget::Team(id(20)), id(EVERYONE), &busy).err(),
            Some(UnavailableReason::AllBusy)
        );
        assert_eq!(
            plan_call(RingTarget::Member(id(4)), id(1234), &r).err(),
            Some(UnavailableReason::NoAgentsOnline)
        );
        // Nobody available anywhere: the most hopeful reason of everyone.
        let away = update(r, 3, |a| a.availability = Availability::Away);
        assert_eq!(
            plan_call(RingTarget::Team(id(10)), id(EVERYONE), &away).err(),
            Some(UnavailableReason::Away)
        );
    }

    #[test]
    fn busy_away_out_of_office_and_offline_agents_are_never_rung() {
        let r = roster(&[1, 2, 3, 4, 5]).with_team(team(10, &[1, 2, 3, 4, 5, 6]));
        let r = update(r, 1, |a| a.busy = true);
        let r = update(r, 2, |a| a.availability = Availability::Away);
        let r = update(r, 3, |a| a.out_of_office = true);
        let r = update(r, 4, |a| a.online_devices = 0);
        assert_eq!(
            waves(&plan_ring(RingTarget::Team(id(10)), &r)),
            vec![vec![5]]
        );
    }

    #[test]
    fn round_robin_rings_one_member_per_wave_after_the_cursor() {
        let mut t = team(10, &[1, 2, 3, 4]);
        t.strategy = RingStrategy::RoundRobin;
        t.ring_timeout = Duration::from_secs(10);
        let mut r = roster(&[1, 2, 4]).with_team(t);
        assert_eq!(
            waves(&plan_ring(RingTarget::Team(id(10)), &r)),
            vec![vec![1], vec![2], vec![4]]
        );
        r.cursors.insert(id(10), id(2));
        let plan = plan_ring(RingTarget::Team(id(10)), &r).unwrap();
        assert_eq!(waves(&Ok(plan.clone())), vec![vec![4], vec![1], vec![2]]);
        assert_eq!(plan.waves()[0].round_robin_cursor(), Some((id(10), id(4))));
        assert!(plan
            .waves()
            .iter()
            .all(|w| w.timeout == Duration::from_secs(10)));
        // A cursor on a member who left the team starts from the top.
        r.cursors.insert(id(10), id(99));
        assert_eq!(waves(&plan_ring(RingTarget::Team(id(10)), &r))[0], vec![1]);
    }

    #[test]
    fn round_robin_rotates_across_successive_calls() {
        let mut t = team(10, &[1, 2, 3]);
        t.strategy = RingStrategy::RoundRobin;
        let mut r = roster(&[1, 2, 3]).with_team(t);
        let mut first = Vec::new();
        for _ in 0..6 {
            let plan = plan_ring(RingTarget::Team(id(10)), &r).unwrap();
            let (team, member) = plan.waves()[0].round_robin_cursor().unwrap();
            r.cursors.insert(team, member);
            first.push(member.as_u128());
        }
        assert_eq!(first, vec![1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn longest_idle_rings_the_idlest_first_never_called_before_all() {
        let at = |h| Some(Utc.with_ymd_and_hms(2025, 5, 1, h, 0, 0).unwrap());
        let mut t = team(10, &[1, 2, 3, 4]);
        t.strategy = RingStrategy::LongestIdle;
        let r = roster(&[1, 2, 3, 4]).with_team(t);
        let r = update(r, 1, |a| a.last_call_ended_at = at(9));
        let r = update(r, 2, |a| a.last_call_ended_at = at(8));
        let r = update(r, 4, |a| a.last_call_ended_at = at(8));
        assert_eq!(
            waves(&plan_ring(RingTarget::Team(id(10)), &r)),
            vec![vec![3], vec![2], vec![4], vec![1]]
        );
    }

    #[test]
    fn fallback_teams_follow_without_ringing_anyone_twice() {
        let mut primary = team(10, &[1, 2]);
        primary.fallback = Some(id(20));
        let mut second = team(20, &[2, 3]);
        second.ring_timeout = Duration::from_secs(15);
        second.fallback = Some(id(10)); // a cycle ends the chain
        let r = roster(&[1, 2, 3]).with_team(primary).with_team(second);
        let plan = plan_ring(RingTarget::Team(id(10)), &r).unwrap();
        assert_eq!(waves(&Ok(plan.clone())), vec![vec![1, 2], vec![3]]);
        assert_eq!(plan.waves()[1].team, Some(id(20)));
        assert_eq!(plan.waves()[1].timeout, Duration::from_secs(15));
        assert_eq!(plan.members().count(), 3);
    }

    #[test]
    fn fallback_rings_when_the_primary_team_has_nobody() {
        let mut primary = team(10, &[1]);
        primary.fallback = Some(id(20));
        let mut missing = team(20, &[2]);
        missing.fallback = Some(id(30));
        let r = roster(&[2]).with_team(primary).with_team(missing);
        assert_eq!(
            waves(&plan_ring(RingTarget::Team(id(10)), &r)),
            vec![vec![2]]
        );
    }

    #[test]
    fn a_member_target_rings_only_that_member() {
        let r = roster(&[1, 2]);
        let plan = plan_ring(RingTarget::Member(id(2)), &r).unwrap();
        assert_eq!(waves(&Ok(plan.clone())), vec![vec![2]]);
        assert_eq!(plan.waves()[0].team, None);
        assert_eq!(
            plan_ring(RingTarget::Member(id(3)), &r),
            Err(UnavailableReason::NoAgentsOnline)
        );
    }

    #[test]
    fn unavailable_names_the_most_hopeful_reason() {
        let t = || team(10, &[1, 2, 3]);
        let target = RingTarget::Team(id(10));
        let r = RosterSnapshot::default().with_team(t());
        assert_eq!(
            plan_ring(target, &r),
            Err(UnavailableReason::NoAgentsOnline)
        );
        let r = update(r, 1, |a| a.out_of_office = true);
        assert_eq!(plan_ring(target, &r), Err(UnavailableReason::OutOfOffice));
        let r = update(r, 2, |a| a.availability = Availability::Away);
        assert_eq!(plan_ring(target, &r), Err(UnavailableReason::Away));
        let r = update(r, 3, |a| a.busy = true);
        assert_eq!(plan_ring(target, &r), Err(UnavailableReason::AllBusy));
        let empty = RosterSnapshot::default().with_team(team(10, &[]));
        assert_eq!(
            plan_ring(target, &empty),
            Err(UnavailableReason::NoAgentsOnline)
        );
        assert_eq!(
            plan_ring(RingTarget::Team(id(11)), &r),
            Err(UnavailableReason::UnknownIntent)
        );
    }

    /// A roster whose teams are closed or out of office as listed.
    struct WithHours(RosterSnapshot, HashMap<Uuid, TeamStatus>);

    impl Roster for WithHours {
        fn team(&self, id: Uuid) -> Option<&Team> {
            self.0.team(id)
        }
        fn agent(&self, user_id: Uuid) -> Option<AgentSnapshot> {
            self.0.agent(user_id)
        }
        fn round_robin_cursor(&self, team_id: Uuid) -> Option<Uuid> {
            self.0.round_robin_cursor(team_id)
        }
        fn team_status(&self, team_id: Uuid) -> TeamStatus {
            self.1.get(&team_id).copied().unwrap_or_default()
        }
    }

    #[test]
    fn a_closed_team_is_skipped_and_its_fallback_rings() {
        let mut primary = team(10, &[1, 2]);
        primary.fallback = Some(id(20));
        let r = roster(&[1, 2, 3])
            .with_team(primary)
            .with_team(team(20, &[3]));
        let closed = WithHours(r.clone(), HashMap::from([(id(10), TeamStatus::Closed)]));
        let plan = plan_ring(RingTarget::Team(id(10)), &closed).unwrap();
        assert_eq!(waves(&Ok(plan.clone())), vec![vec![3]]);
        assert_eq!(plan.waves()[0].team, Some(id(20)));
        let open = WithHours(r.clone(), HashMap::new());
        assert_eq!(
            waves(&plan_ring(RingTarget::Team(id(10)), &open)),
            vec![vec![1, 2], vec![3]]
        );
    }

    #[test]
    fn a_chain_of_closed_teams_is_closed_and_out_of_office_wins() {
        let mut primary = team(10, &[1]);
        primary.fallback = Some(id(20));
        let r = roster(&[1, 2]).with_team(primary).with_team(team(20, &[2]));
        let all_closed = WithHours(
            r.clone(),
            HashMap::from([(id(10), TeamStatus::Closed), (id(20), TeamStatus::Closed)]),
        );
        assert_eq!(
            plan_ring(RingTarget::Team(id(10)), &all_closed),
            Err(UnavailableReason::Closed)
        );
        let away = WithHours(
            r.clone(),
            HashMap::from([
                (id(10), TeamStatus::OutOfOffice),
                (id(20), TeamStatus::Closed),
            ]),
        );
        assert_eq!(
            plan_ring(RingTarget::Team(id(10)), &away),
            Err(UnavailableReason::OutOfOffice)
        );
        // An open fallback with nobody online is "nobody online", not "closed".
        let offline = update(r, 2, |a| a.online_devices = 0);
        let nobody = WithHours(offline, HashMap::from([(id(10), TeamStatus::Closed)]));
        assert_eq!(
            plan_ring(RingTarget::Team(id(10)), &nobody),
            Err(UnavailableReason::NoAgentsOnline)
        );
        let empty = WithHours(
            RosterSnapshot::default()
                .with_team({
                    let mut t = team(10, &[1]);
                    t.fallback = Some(id(20));
                    t
                })
                .with_team(team(20, &[])),
            HashMap::from([(id(10), TeamStatus::Closed)]),
        );
        assert_eq!(
            plan_ring(RingTarget::Team(id(10)), &empty),
            Err(UnavailableReason::NoAgentsOnline)
        );
    }

    #[test]
    fn later_waves_recheck_eligibility() {
        let mut t = team(10, &[1, 2]);
        t.strategy = RingStrategy::RoundRobin;
        let r = roster(&[1, 2]).with_team(t);
        let plan = plan_ring(RingTarget::Team(id(10)), &r).unwrap();
        let r = update(r, 2, |a| a.busy = true);
        assert_eq!(plan.waves()[1].eligible_members(&r), Vec::<Uuid>::new());
        assert_eq!(plan.waves()[0].eligible_members(&r), vec![id(1)]);
    }

    #[test]
    fn strategies_round_trip_their_stored_form() {
        for s in [
            RingStrategy::Simultaneous,
            RingStrategy::RoundRobin,
            RingStrategy::LongestIdle,
        ] {
            assert_eq!(RingStrategy::parse(s.as_str()), Some(s));
        }
        assert_eq!(RingStrategy::parse("random"), None);
    }

    fn arb_agent(user: u128) -> impl Strategy<Value = AgentSnapshot> {
        (
            0u32..3,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0i64..100),
        )
            .prop_map(move |(devices, away, busy, ooo, ended)| AgentSnapshot {
                user_id: id(user),
                online_devices: devices,
                availability: if away {
                    Availability::Away
                } else {
                    Availability::Available
                },
                busy,
                last_call_ended_at: ended.map(|s| Utc.timestamp_opt(s, 0).unwrap()),
                out_of_office: ooo,
            })
    }

    fn arb_strategy() -> impl Strategy<Value = RingStrategy> {
        prop_oneof![
            Just(RingStrategy::Simultaneous),
            Just(RingStrategy::RoundRobin),
            Just(RingStrategy::LongestIdle)
        ]
    }

    proptest! {
        #[test]
        fn plans_ring_only_eligible_members_once_each(
            agents in proptest::collection::vec(any::<bool>(), 8)
                .prop_flat_map(|present| {
                    let snapshots: Vec<_> = (0..8u128).map(arb_agent).collect();
                    (Just(present), snapshots)
                }),
            teams in proptest::collection::vec(
                (proptest::collection::vec(0u128..10, 0..6), arb_strategy(), proptest::option::of(0u128..4)),
                1..4,
            ),
            cursor in proptest::option::of(0u128..10),
        ) {
            let (present, snapshots) = agents;
            let mut r = RosterSnapshot::default();
            for (agent, here) in snapshots.into_iter().zip(present) {
                if here {
                    r = r.with_agent(agent);
                }
            }
            for (n, (members, strategy, fallback)) in teams.into_iter().enumerate() {
                let mut t = team(n as u128, &members);
                t.strategy = strategy;
                t.fallback = fallback.map(id);
                r = r.with_team(t);
            }
            if let Some(c) = cursor {
                r.cursors.insert(id(0), id(c));
            }
            match plan_ring(RingTarget::Team(id(0)), &r) {
                Ok(plan) => {
                    prop_assert!(!plan.waves().is_empty());
                    let members: Vec<Uuid> = plan.members().collect();
                    let unique: HashSet<Uuid> = members.iter().copied().collect();
                    prop_assert_eq!(unique.len(), members.len());
                    for m in members {
                        prop_assert!(r.agent(m).is_some_and(|a| a.is_eligible()));
                    }
                    for w in plan.waves() {
                        prop_assert!(!w.members.is_empty());
                        if w.strategy != RingStrategy::Simultaneous {
                            prop_assert_eq!(w.members.len(), 1);
                        }
                    }
                }
                Err(_) => {
                    let t = r.team(id(0)).unwrap();
                    prop_assert!(t.members.iter().all(|&m| !r.agent(m).is_some_and(|a| a.is_eligible())));
                }
            }
        }
    }
}
