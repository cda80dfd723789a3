//! The opening-hours rule at real daylight-saving changes: table tests in Berlin, New
//! York, Lord Howe (a half-hour shift) and Kathmandu (+05:45), and property tests against
//! a brute-force reading of the definition (an interval opens at the first minute the
//! local clock shows its start or later, and closes after the last minute it shows less
//! than its end).
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, Utc};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use proptest::prelude::*;

use super::hours::{DayHours, WeeklyHours};
use super::rule::{Hours, OpenState, Overrides};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn hours(zone: &str, week: [&str; 7], overrides: &[(&str, &str)]) -> Hours {
    Hours {
        tz: TimeZone::get(zone).unwrap(),
        weekly: WeeklyHours::parse(week).unwrap(),
        overrides: Overrides::new(overrides.iter().map(|(d, h)| {
            (
                NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap(),
                DayHours::parse("hours", h).unwrap(),
                String::new(),
            )
        })),
    }
}

/// The same hours every day.
fn daily(zone: &str, day: &str) -> Hours {
    hours(zone, [day; 7], &[])
}

fn closed_until(h: &Hours, at: &str) -> Option<DateTime<Utc>> {
    match h.rule().state(utc(at)) {
        OpenState::Closed { next_opening } => next_opening,
        open => panic!("open at {at}: {open:?}"),
    }
}

fn open_until(h: &Hours, at: &str) -> Option<DateTime<Utc>> {
    match h.rule().state(utc(at)) {
        OpenState::Open { closes_at } => closes_at,
        closed => panic!("closed at {at}: {closed:?}"),
    }
}

#[test]
fn an_ordinary_day_in_berlin() {
    let h = daily("Europe/Berlin", "09:00-17:00");
    // 2025-06-02 is a Monday; Berlin is UTC+2 in summer.
    assert_eq!(
        closed_until(&h, "2025-06-02T06:59:00Z"),
        Some(utc("2025-06-02T07:00:00Z"))
    );
    assert_eq!(
        open_until(&h, "2025-06-02T07:00:00Z"),
        Some(utc("2025-06-02T15:00:00Z"))
    );
    assert_eq!(
        closed_until(&h, "2025-06-02T15:00:00Z"),
        Some(utc("2025-06-03T07:00:00Z"))
    );
    assert!(!h.rule().is_open(utc("2025-06-02T15:00:00Z")));
    assert!(h.rule().is_open(utc("2025-06-02T14:59:59Z")));
}

#[test]
fn the_skipped_hour_in_berlin() {
    // 2025-03-30 (a Sunday): 02:00 CET becomes 03:00 CEST, at 01:00 UTC.
    let sunday = |day: &str| hours("Europe/Berlin", ["", "", "", "", "", "", day], &[]);
    // Across the jump: 01:00 CET to 05:00 CEST is three real hours.
    let h = sunday("01:00-05:00");
    assert_eq!(
        open_until(&h, "2025-03-30T00:30:00Z"),
        Some(utc("2025-03-30T03:00:00Z"))
    );
    // Opening inside the skipped hour: open when the clocks jump.
    let h = sunday("02:30-04:00");
    assert_eq!(
        closed_until(&h, "2025-03-29T20:00:00Z"),
        Some(utc("2025-03-30T01:00:00Z"))
    );
    assert_eq!(
        open_until(&h, "2025-03-30T01:00:00Z"),
        Some(utc("2025-03-30T02:00:00Z"))
    );
    // Closing inside it: closed when the clocks jump.
    let h = sunday("00:00-02:30");
    assert_eq!(
        open_until(&h, "2025-03-30T00:10:00Z"),
        Some(utc("2025-03-30T01:00:00Z"))
    );
    // Wholly inside it: that Sunday has no opening; the next Sunday does.
    let h = sunday("02:10-02:40");
    assert_eq!(
        closed_until(&h, "2025-03-29T20:00:00Z"),
        Some(utc("2025-04-06T00:10:00Z"))
    );
}

#[test]
fn the_repeated_hour_in_berlin() {
    // 2025-10-26 (a Sunday): 03:00 CEST becomes 02:00 CET, at 01:00 UTC; 02:00-03:00 twice.
    let sunday = |day: &str| hours("Europe/Berlin", ["", "", "", "", "", "", day], &[]);
    // Opens at the first 01:00, closes at the second 02:30: open through the repeat.
    let h = sunday("01:00-02:30");
    assert_eq!(
        closed_until(&h, "2025-10-25T20:00:00Z"),
        Some(utc("2025-10-25T23:00:00Z"))
    );
    // 02:45 CEST (00:45 UTC) is past the end on the clock, but the clock will show
    // 02:00-02:30 again: still open.
    assert_eq!(
        open_until(&h, "2025-10-26T00:45:00Z"),
        Some(utc("2025-10-26T01:30:00Z"))
    );
    assert!(!h.rule().is_open(utc("2025-10-26T01:30:00Z")));
    // Opening in the repeated hour: at its first occurrence.
    let h = sunday("02:30-04:00");
    assert_eq!(
        closed_until(&h, "2025-10-25T20:00:00Z"),
        Some(utc("2025-10-26T00:30:00Z"))
    );
    assert_eq!(
        open_until(&h, "2025-10-26T00:30:00Z"),
        Some(utc("2025-10-26T03:00:00Z"))
    );
}

#[test]
fn new_york_overnight_across_the_fall_back() {
    // Saturday 2025-11-01 22:00 EDT to Sunday 02:00 EST: 01:00-02:00 happens twice.
    let h = hours(
        "America/New_York",
        ["", "", "", "", "", "22:00-02:00", ""],
        &[],
    );
    assert_eq!(
        closed_until(&h, "2025-11-01T20:00:00Z"),
        Some(utc("2025-11-02T02:00:00Z"))
    );
    assert_eq!(
        open_until(&h, "2025-11-02T05:30:00Z"),
        Some(utc("2025-11-02T07:00:00Z"))
    );
    let h = hours(
        "America/New_York",
        ["", "", "", "", "", "22:00-01:30", ""],
        &[],
    );
    // Closes at the second 01:30 (EST).
    assert_eq!(
        open_until(&h, "2025-11-02T05:10:00Z"),
        Some(utc("2025-11-02T06:30:00Z"))
    );
    // And in spring, 02:00 EST becomes 03:00 EDT on 2025-03-09: an overnight shift ending
    // at 02:30 ends at the jump.
    let h = hours(
        "America/New_York",
        ["", "", "", "", "", "23:00-02:30", ""],
        &[],
    );
    assert_eq!(
        open_until(&h, "2025-03-09T05:00:00Z"),
        Some(utc("2025-03-09T07:00:00Z"))
    );
}

#[test]
fn lord_howe_shifts_by_half_an_hour() {
    // 2025-10-05 (Sunday): 02:00 +10:30 becomes 02:30 +11 (15:30 UTC the day before).
    let h = hours(
        "Australia/Lord_Howe",
        ["", "", "", "", "", "", "02:15-03:00"],
        &[],
    );
    assert_eq!(
        closed_until(&h, "2025-10-04T10:00:00Z"),
        Some(utc("2025-10-04T15:30:00Z"))
    );
    assert_eq!(
        open_until(&h, "2025-10-04T15:30:00Z"),
        Some(utc("2025-10-04T16:00:00Z"))
    );
    // 2025-04-06 (Sunday): 02:00 +11 becomes 01:30 +10:30; 01:30-02:00 twice. A day
    // ending at 01:45 ends at its second occurrence (15:15 UTC).
    let h = hours(
        "Australia/Lord_Howe",
        ["", "", "", "", "", "", "00:00-01:45"],
        &[],
    );
    assert_eq!(
        open_until(&h, "2025-04-05T14:00:00Z"),
        Some(utc("2025-04-05T15:15:00Z"))
    );
}

#[test]
fn kathmandu_is_five_forty_five_ahead() {
    let h = daily("Asia/Kathmandu", "09:00-17:00");
    assert_eq!(
        closed_until(&h, "2025-01-15T00:00:00Z"),
        Some(utc("2025-01-15T03:15:00Z"))
    );
    assert_eq!(
        open_until(&h, "2025-01-15T03:15:00Z"),
        Some(utc("2025-01-15T11:15:00Z"))
    );
}

#[test]
fn overrides_beat_the_weekly_hours() {
    let h = hours(
        "Europe/Berlin",
        ["09:00-17:00"; 7],
        &[("2025-12-25", ""), ("2025-12-24", "10:00-14:00")],
    );
    // Christmas Eve: special hours (CET, UTC+1).
    assert!(!h.rule().is_open(utc("2025-12-24T08:30:00Z")));
    assert_eq!(
        open_until(&h, "2025-12-24T09:00:00Z"),
        Some(utc("2025-12-24T13:00:00Z"))
    );
    // Christmas Day closed: from Christmas Eve afternoon the next opening is the 26th.
    assert_eq!(
        closed_until(&h, "2025-12-24T13:00:00Z"),
        Some(utc("2025-12-26T08:00:00Z"))
    );
    assert!(!h.rule().is_open(utc("2025-12-25T10:00:00Z")));
}

#[test]
fn a_team_follows_the_business_overrides_unless_it_has_its_own() {
    let business = hours("Europe/Berlin", ["09:00-17:00"; 7], &[("2025-12-25", "")]);
    let team = hours("Europe/Berlin", ["08:00-20:00"; 7], &[("2025-12-26", "")]);
    let rule = team.rule_with(Some(&business.overrides));
    assert!(!rule.is_open(utc("2025-12-25T10:00:00Z")));
    assert!(!rule.is_open(utc("2025-12-26T10:00:00Z")));
    assert!(rule.is_open(utc("2025-12-27T18:00:00Z")));
    let own = hours(
        "Europe/Berlin",
        ["08:00-20:00"; 7],
        &[("2025-12-25", "10:00-12:00")],
    );
    assert!(own
        .rule_with(Some(&business.overrides))
        .is_open(utc("2025-12-25T10:00:00Z")));
}

#[test]
fn overnight_intervals_belong_to_the_day_they_start() {
    // Fridays 22:00-02:00 (2025-06-06 is a Friday).
    let week = ["", "", "", "", "22:00-02:00", "", ""];
    let h = hours("Europe/Berlin", week, &[]);
    assert_eq!(
        open_until(&h, "2025-06-06T23:00:00Z"),
        Some(utc("2025-06-07T00:00:00Z"))
    );
    // A holiday on the Saturday does not cut Friday night short; one on the Friday does.
    let h = hours("Europe/Berlin", week, &[("2025-06-07", "")]);
    assert!(h.rule().is_open(utc("2025-06-06T23:00:00Z")));
    let h = hours("Europe/Berlin", week, &[("2025-06-06", "")]);
    assert!(!h.rule().is_open(utc("2025-06-06T23:00:00Z")));
    assert_eq!(
        closed_until(&h, "2025-06-06T23:00:00Z"),
        Some(utc("2025-06-13T20:00:00Z"))
    );
}

#[test]
fn touching_intervals_are_one_opening_and_around_the_clock_never_closes() {
    let h = hours(
        "Europe/Berlin",
        ["18:00-24:00", "00:00-06:00", "", "", "", "", ""],
        &[],
    );
    // Monday 2025-06-02 23:00 CEST: open until Tuesday 06:00 CEST.
    assert_eq!(
        open_until(&h, "2025-06-02T21:00:00Z"),
        Some(utc("2025-06-03T04:00:00Z"))
    );
    let h = daily("Europe/Berlin", "00:00-24:00");
    assert_eq!(open_until(&h, "2025-03-30T01:30:00Z"), None);
    let never = daily("Europe/Berlin", "");
    assert_eq!(closed_until(&never, "2025-06-02T10:00:00Z"), None);
}

#[test]
fn local_times_become_instants_and_dates() {
    let h = daily("Australia/Lord_Howe", "09:00-17:00");
    let local = NaiveDate::from_ymd_opt(2025, 10, 5)
        .unwrap()
        .and_hms_opt(2, 15, 0)
        .unwrap();
    // In the skipped half hour: the instant of the jump.
    assert_eq!(
        h.rule().instant_of(local),
        Some(utc("2025-10-04T15:30:00Z"))
    );
    assert_eq!(
        h.rule().local_date(utc("2025-10-04T15:30:00Z")),
        NaiveDate::from_ymd_opt(2025, 10, 5).unwrap()
    );
    let openings = h
        .rule()
        .intervals_on(NaiveDate::from_ymd_opt(2025, 10, 5).unwrap());
    assert_eq!(
        openings,
        vec![(utc("2025-10-04T22:00:00Z"), utc("2025-10-05T06:00:00Z"))]
    );
}

// ---- properties against the definition ----

const ZONES: [&str; 4] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
];

/// Local clock seconds at instant `u` (seconds).
fn wall(tz: &TimeZone, u: i64) -> i64 {
    u + i64::from(tz.to_offset(Timestamp::from_second(u).unwrap()).seconds())
}

/// Whether `t` is open by the definition, found by scanning minutes: each interval of
/// the local dates around `t` opens at the first minute whose clock shows its start or
/// later, and closes after the last minute whose clock shows less than its end.
fn open_by_definition(h: &Hours, t: i64) -> bool {
    let day = wall(&h.tz, t).div_euclid(86_400);
    (day - 2..=day + 1).any(|d| {
        let date =
            NaiveDate::from_num_days_from_ce_opt(i32::try_from(d + 719_163).unwrap()).unwrap();
        h.rule().hours_on(date).intervals().iter().any(|i| {
            let start = d * 86_400 + i64::from(i.start()) * 60;
            let end = d * 86_400 + i64::from(i.end()) * 60;
            let mut opens = start - 16 * 3600;
            while wall(&h.tz, opens) < start {
                opens += 60;
            }
            let mut last = end + 14 * 3600;
            while wall(&h.tz, last) >= end {
                last -= 60;
            }
            opens <= t && t < last + 60
        })
    })
}

/// A day of none, one or two intervals (overnight ones too), in quarter hours; half of
/// them start between midnight and 04:00, where the clocks change.
fn arb_day() -> impl Strategy<Value = String> {
    let start = prop_oneof![0u16..16, 0u16..96];
    let length = prop_oneof![1u16..12, 1u16..64];
    (0u8..3, start, length, 1u16..32, 1u16..64).prop_map(|(n, s, l1, g, l2)| {
        let fmt = |a: u16, b: u16| {
            let (a, b) = (a % 1440, b % 1440);
            format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)
        };
        let (a, b) = (s * 15, s * 15 + l1 * 15);
        let (c, d) = (b + g * 15, b + g * 15 + l2 * 15);
        match n {
            0 => String::new(),
            2 if c < 1440 && d <= a + 1440 => format!("{},{}", fmt(a, b), fmt(c, d)),
            _ => fmt(a, b),
        }
    })
}

/// A schedule in one of the zones, and an instant within two days of one of its
/// transitions in 2024-2027 (Kathmandu has none: any instant of those years).
fn arb_case() -> impl Strategy<Value = (Hours, i64)> {
    (
        0..ZONES.len(),
        proptest::collection::vec(arb_day(), 7),
        0usize..8,
        prop_oneof![-3 * 3600i64..3 * 3600, -2 * 86_400i64..2 * 86_400],
        proptest::option::of((0i64..5, arb_day())),
    )
        .prop_filter_map("days must parse", |(zone, days, pick, shift, extra)| {
            let tz = TimeZone::get(ZONES[zone]).unwrap();
            let days: Vec<&str> = days.iter().map(String::as_str).collect();
            let weekly = WeeklyHours::parse(days.try_into().ok()?).ok()?;
            let from = Timestamp::from_second(1_704_067_200).unwrap(); // 2024-01-01
            let transitions: Vec<i64> = tz
                .following(from)
                .take(8)
                .map(|t| t.timestamp().as_second())
                .collect();
            let t = transitions
                .get(pick % transitions.len().max(1))
                .copied()
                .unwrap_or(1_750_000_000 + pick as i64 * 7_777_777)
                + shift;
            let overrides = match extra {
                Some((offset, day)) => {
                    let date = DateTime::from_timestamp(t, 0)?.date_naive()
                        + chrono::Days::new(offset.unsigned_abs());
                    vec![(date, DayHours::parse("d", &day).ok()?, String::new())]
                }
                None => Vec::new(),
            };
            Some((
                Hours {
                    tz,
                    weekly,
                    overrides: Overrides::new(overrides),
                },
                t,
            ))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn open_matches_the_definition_around_transitions((h, t) in arb_case()) {
        let at = DateTime::from_timestamp(t, 0).unwrap();
        prop_assert_eq!(h.rule().is_open(at), open_by_definition(&h, t), "at {}", at);
        prop_assert_eq!(h.rule().state(at).is_open(), h.rule().is_open(at));
    }

    #[test]
    fn next_opening_and_closing_are_the_first_changes((h, t) in arb_case()) {
        let rule = h.rule();
        let at = DateTime::from_timestamp(t, 0).unwrap();
        let open = |s: i64| rule.is_open(DateTime::from_timestamp(s, 0).unwrap());
        let (change, now_open) = match rule.state(at) {
            OpenState::Open { closes_at } => (closes_at, true),
            OpenState::Closed { next_opening } => (next_opening, false),
        };
        if let Some(c) = change {
            let c = c.timestamp();
            prop_assert!(c > t);
            prop_assert_eq!(open(c), !now_open, "the change at {} changes nothing", c);
            prop_assert_eq!(open(c - 1), now_open);
            prop_assert_eq!(open_by_definition(&h, c), !now_open, "by definition at {}", c);
            prop_assert_eq!(open_by_definition(&h, c - 1), now_open);
            // Nothing changes in between (sampled, including every whole hour).
            let step = ((c - t) / 48).max(1);
            let mut s = t;
            while s < c {
                prop_assert_eq!(open(s), now_open, "changed early at {}", s);
                s += step;
            }
        }
    }
}
