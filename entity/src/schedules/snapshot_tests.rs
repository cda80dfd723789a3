//! The hub's side of schedules: out-of-office beats hours, a call's availability over a
//! team's fallback chain, and `plan_ring` through [`Scheduled`] skipping closed teams and
//! members who are out of office. Plus a timing loop (`--nocapture` prints it).
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use jiff::tz::TimeZone;
use uuid::Uuid;

use super::hours::WeeklyHours;
use super::rule::{Hours, Overrides};
use super::snapshot::{
    availability, CallAvailability, OutOfOffice, ScheduleParts, ScheduleSnapshot, Scheduled, Status,
};
use crate::calls::protocol::ServerMessage;
use crate::calls::routing::{plan_ring, AgentSnapshot, RosterSnapshot, Team, TeamStatus};
use crate::calls::{RingTarget, UnavailableReason};
use crate::routing_setup::CallRoute;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// Weekdays 09:00-17:00 in Berlin (2025-06-02 is a Monday; UTC+2 then).
fn office_hours() -> Hours {
    let day = "09:00-17:00";
    Hours {
        tz: TimeZone::get("Europe/Berlin").unwrap(),
        weekly: WeeklyHours::parse([day, day, day, day, day, "", ""]).unwrap(),
        overrides: Overrides::default(),
    }
}

/// Evenings 17:00-23:00 every day in Berlin.
fn evening_hours() -> Hours {
    Hours {
        tz: TimeZone::get("Europe/Berlin").unwrap(),
        weekly: WeeklyHours::parse(["17:00-23:00"; 7]).unwrap(),
        overrides: Overrides::default(),
    }
}

const BUSINESS: u128 = 1000;
const SALES: u128 = 10;
const SUPPORT: u128 = 20;

/// Sales (members 1, 2) follows the business's office hours and falls back to Support
/// (member 3), which has evening hours of its own.
fn snapshot(parts: impl FnOnce(&mut ScheduleParts)) -> ScheduleSnapshot {
    let mut p = ScheduleParts {
        business: Some(office_hours()),
        teams: HashMap::from([(id(SUPPORT), evening_hours())]),
        ..ScheduleParts::default()
    };
    parts(&mut p);
    ScheduleSnapshot::new(p)
}

fn route(target: RingTarget) -> CallRoute {
    let mut sales = Team::new(id(SALES), vec![id(1), id(2)]);
    sales.fallback = Some(id(SUPPORT));
    let support = Team::new(id(SUPPORT), vec![id(3)]);
    CallRoute {
        intent: None,
        target,
        teams: HashMap::from([(id(SALES), sales), (id(SUPPORT), support)]),
    }
}

fn roster(r: &CallRoute) -> RosterSnapshot {
    let mut roster = (1..=3).fold(RosterSnapshot::default(), |r, n| {
        r.with_agent(AgentSnapshot::available(id(n)))
    });
    for t in r.teams.values() {
        roster = roster.with_team(t.clone());
    }
    roster
}

fn away(message: &str, until: Option<&str>) -> OutOfOffice {
    OutOfOffice {
        message: message.to_owned(),
        until: until.map(utc),
    }
}

#[test]
fn out_of_office_beats_hours_until_it_turns_itself_off() {
    let s = snapshot(|p| {
        p.business_out_of_office = Some(away("Back on Tuesday", Some("2025-06-03T06:00:00Z")));
    });
    let monday_noon = utc("2025-06-02T10:00:00Z");
    assert_eq!(
        s.status(None, monday_noon),
        Status::OutOfOffice {
            message: "Back on Tuesday",
            until: Some(utc("2025-06-03T06:00:00Z"))
        }
    );
    assert_eq!(
        s.team_status(id(SUPPORT), monday_noon),
        TeamStatus::OutOfOffice
    );
    // From `until` on, the hours apply again — no job switched anything off.
    let tuesday = utc("2025-06-03T08:00:00Z");
    assert_eq!(
        s.status(None, tuesday),
        Status::Open {
            closes_at: Some(utc("2025-06-03T15:00:00Z"))
        }
    );
    assert_eq!(s.business_out_of_office(tuesday), None);
}

#[test]
fn a_business_without_hours_is_open_around_the_clock() {
    let s = ScheduleSnapshot::default();
    let night = utc("2025-06-01T02:00:00Z");
    assert_eq!(s.status(None, night), Status::Open { closes_at: None });
    assert_eq!(
        availability(&s, &route(RingTarget::Team(id(SALES))), night),
        CallAvailability::Open
    );
    assert_eq!(s.team_status(id(SALES), night), TeamStatus::Open);
}

#[test]
fn a_call_is_closed_only_when_every_team_of_the_chain_is() {
    let s = snapshot(|_| {});
    let r = route(RingTarget::Team(id(SALES)));
    // Monday 10:00: Sales (business hours) open.
    assert_eq!(
        availability(&s, &r, utc("2025-06-02T08:00:00Z")),
        CallAvailability::Open
    );
    // Monday 18:00: Sales closed, its fallback Support open for the evening.
    assert_eq!(
        availability(&s, &r, utc("2025-06-02T16:00:00Z")),
        CallAvailability::Open
    );
    // Monday 23:30: both closed; Tuesday 09:00 (Sales) comes before Tuesday 17:00.
    let closed = availability(&s, &r, utc("2025-06-02T21:30:00Z"));
    assert_eq!(
        closed,
        CallAvailability::Closed {
            next_opening: Some(utc("2025-06-03T07:00:00Z"))
        }
    );
    assert_eq!(
        closed.message(),
        Some(ServerMessage::Unavailable {
            reason: UnavailableReason::Closed,
            next_opening: Some(utc("2025-06-03T07:00:00Z")),
            message: None,
            until: None,
        })
    );
    // Saturday 10:00: Sales closed all weekend, Support opens at 17:00.
    assert_eq!(
        availability(&s, &r, utc("2025-06-07T08:00:00Z")),
        CallAvailability::Closed {
            next_opening: Some(utc("2025-06-07T15:00:00Z"))
        }
    );
    // "Everyone" (the business id as team) follows the business's hours.
    let everyone = CallRoute {
        intent: None,
        target: RingTarget::Team(id(BUSINESS)),
        teams: HashMap::from([(id(BUSINESS), Team::new(id(BUSINESS), vec![id(1)]))]),
    };
    assert!(matches!(
        availability(&s, &everyone, utc("2025-06-07T08:00:00Z")),
        CallAvailability::Closed { .. }
    ));
}

#[test]
fn out_of_office_of_the_business_or_the_member_called_has_its_message() {
    let s = snapshot(|p| {
        p.members_out_of_office
            .insert(id(2), away("On leave until June 9", None));
    });
    let monday_noon = utc("2025-06-02T10:00:00Z");
    let to_two = route(RingTarget::Member(id(2)));
    let answer = availability(&s, &to_two, monday_noon);
    assert_eq!(
        answer,
        CallAvailability::OutOfOffice {
            message: "On leave until June 9",
            until: None
        }
    );
    let Some(ServerMessage::Unavailable {
        reason, message, ..
    }) = answer.message()
    else {
        panic!("{answer:?}")
    };
    assert_eq!(reason, UnavailableReason::OutOfOffice);
    assert_eq!(message.as_deref(), Some("On leave until June 9"));
    // A member in office is still bound by the business's hours.
    let to_one = route(RingTarget::Member(id(1)));
    assert_eq!(
        availability(&s, &to_one, monday_noon),
        CallAvailability::Open
    );
    assert!(matches!(
        availability(&s, &to_one, utc("2025-06-07T10:00:00Z")),
        CallAvailability::Closed { .. }
    ));
    let shut = snapshot(|p| p.business_out_of_office = Some(away("Closed for inventory", None)));
    assert!(matches!(
        availability(&shut, &route(RingTarget::Team(id(SALES))), monday_noon),
        CallAvailability::OutOfOffice {
            message: "Closed for inventory",
            ..
        }
    ));
}

#[test]
fn plan_ring_skips_closed_teams_and_members_out_of_office() {
    let s = snapshot(|p| {
        p.members_out_of_office
            .insert(id(2), away("On leave", None));
    });
    let r = route(RingTarget::Team(id(SALES)));
    let people = roster(&r);
    let plan = |at: &str| {
        let scheduled = Scheduled {
            roster: &people,
            schedule: &s,
            at: utc(at),
        };
        plan_ring(r.target, &scheduled).map(|p| {
            p.waves()
                .iter()
                .map(|w| w.members.iter().map(|m| m.as_u128()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
    };
    // Monday 10:00: Sales rings member 1 only (2 is on leave), then Support is closed.
    assert_eq!(plan("2025-06-02T08:00:00Z"), Ok(vec![vec![1]]));
    // Monday 18:00: Sales is closed, so its fallback Support rings.
    assert_eq!(plan("2025-06-02T16:00:00Z"), Ok(vec![vec![3]]));
    // Monday 23:30: everything closed.
    assert_eq!(plan("2025-06-02T21:30:00Z"), Err(UnavailableReason::Closed));
    // A member out of office and offline is still "out of office", not "offline".
    let alone = RosterSnapshot::default().with_team(Team::new(id(SALES), vec![id(2)]));
    let scheduled = Scheduled {
        roster: &alone,
        schedule: &s,
        at: utc("2025-06-02T08:00:00Z"),
    };
    assert_eq!(
        plan_ring(RingTarget::Team(id(SALES)), &scheduled),
        Err(UnavailableReason::OutOfOffice)
    );
}

/// Not a benchmark harness: prints what an answer costs (`cargo test -p entity
/// schedules::snapshot_tests::timing -- --nocapture`). Nothing is asserted.
#[test]
fn timing_of_answers_at_an_instant() {
    let s = snapshot(|p| {
        p.members_out_of_office
            .insert(id(2), away("On leave", None));
    });
    let r = route(RingTarget::Team(id(SALES)));
    let cases = [
        ("open (Monday 10:00)", utc("2025-06-02T08:00:00Z")),
        ("fallback open (Monday 18:00)", utc("2025-06-02T16:00:00Z")),
        ("closed (Monday 23:30)", utc("2025-06-02T21:30:00Z")),
        ("closed for the weekend", utc("2025-06-07T08:00:00Z")),
    ];
    let rounds: u32 = 20_000;
    for (name, at) in cases {
        let start = Instant::now();
        let mut open = 0_u32;
        for i in 0..rounds {
            let t = at + chrono::Duration::seconds(i64::from(i % 600));
            if availability(&s, &r, t) == CallAvailability::Open {
                open += 1;
            }
        }
        let per = start.elapsed() / rounds;
        println!("availability, {name}: {per:?} per call ({open} open)");
    }
    let start = Instant::now();
    for i in 0..rounds {
        let t = cases[0].1 + chrono::Duration::seconds(i64::from(i % 600));
        std::hint::black_box(s.member_out_of_office(id(i.into()), t));
    }
    println!(
        "member_out_of_office: {:?} per call",
        start.elapsed() / rounds
    );
}
