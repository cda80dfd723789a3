//! Callback slots cut from opening hours: table tests at the daylight-saving changes of
//! Berlin and at Lord Howe's half-hour shift, and property tests over several zones that
//! every slot offered lies wholly inside an opening, within notice and window, in order.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use jiff::tz::TimeZone;
use proptest::prelude::*;

use super::slot_grid::{free, grid};
use super::slots::SlotPolicy;
use crate::schedules::{DayHours, Hours, Overrides, WeeklyHours};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn daily(zone: &str, day: &str) -> Hours {
    Hours {
        tz: TimeZone::get(zone).unwrap(),
        weekly: WeeklyHours::parse([day; 7]).unwrap(),
        overrides: Overrides::default(),
    }
}

fn policy(slot: u16, buffer: u16, notice: u32, window: u16) -> SlotPolicy {
    SlotPolicy {
        slot_minutes: slot,
        buffer_minutes: buffer,
        notice_minutes: notice,
        window_days: window,
        capacity: 1,
        reminder_minutes: 15,
    }
}

/// The slots of one UTC day `date` (as `HH:MM` UTC).
fn on(starts: &[DateTime<Utc>], date: &str) -> Vec<String> {
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    starts
        .iter()
        .filter(|t| t.date_naive() == date)
        .map(|t| t.format("%H:%M").to_string())
        .collect()
}

#[test]
fn a_morning_is_cut_into_slots_a_buffer_apart() {
    let h = daily("Europe/Berlin", "09:00-12:00");
    // 2026-06-02 00:00Z; Berlin is UTC+2 in summer.
    let now = utc("2026-06-02T00:00:00Z");
    let slots = grid(Some(h.rule()), &policy(30, 0, 0, 2), now, |_| false);
    assert_eq!(
        on(&slots, "2026-06-02"),
        ["07:00", "07:30", "08:00", "08:30", "09:00", "09:30"]
    );
    let slots = grid(Some(h.rule()), &policy(30, 15, 0, 2), now, |_| false);
    // 09:00, 09:45, 10:30, 11:15 local: the last ends 11:45, before closing.
    assert_eq!(
        on(&slots, "2026-06-02"),
        ["07:00", "07:45", "08:30", "09:15"]
    );
}

#[test]
fn notice_and_window_bound_the_offer() {
    let h = daily("Europe/Berlin", "09:00-12:00");
    // 08:50 local: with an hour's notice the first slot is 10:00.
    let now = utc("2026-06-02T06:50:00Z");
    let slots = grid(Some(h.rule()), &policy(30, 0, 60, 1), now, |_| false);
    assert_eq!(slots.first(), Some(&utc("2026-06-02T08:00:00Z")));
    // A one-day window ends before tomorrow's 09:00 (07:00Z) but takes nothing past now+1d.
    assert!(slots.iter().all(|t| *t < now + Duration::days(1)));
    assert_eq!(slots.len(), 4);
}

#[test]
fn the_night_the_clocks_go_forward_has_fewer_slots() {
    // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST. 01:00-04:00 lasts two hours that
    // night (00:00-02:00 UTC), three the night before (00:00-03:00 UTC, CET) and three
    // the night after (23:00-02:00 UTC, CEST).
    let h = daily("Europe/Berlin", "01:00-04:00");
    let now = utc("2026-03-27T12:00:00Z");
    let slots = grid(Some(h.rule()), &policy(60, 0, 0, 3), now, |_| false);
    assert_eq!(
        slots,
        [
            "2026-03-28T00:00:00Z",
            "2026-03-28T01:00:00Z",
            "2026-03-28T02:00:00Z",
            "2026-03-29T00:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T23:00:00Z",
            "2026-03-30T00:00:00Z",
            "2026-03-30T01:00:00Z",
        ]
        .map(utc)
    );
}

#[test]
fn the_night_the_clocks_go_back_has_more_slots() {
    // Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET. 01:00-04:00 lasts four hours,
    // from 23:00Z on the 24th.
    let h = daily("Europe/Berlin", "01:00-04:00");
    let now = utc("2026-10-24T12:00:00Z");
    let slots = grid(Some(h.rule()), &policy(60, 0, 0, 1), now, |_| false);
    assert_eq!(
        slots,
        [
            "2026-10-24T23:00:00Z",
            "2026-10-25T00:00:00Z",
            "2026-10-25T01:00:00Z",
            "2026-10-25T02:00:00Z"
        ]
        .map(utc)
    );
}

#[test]
fn lord_howe_shifts_by_half_an_hour() {
    // Lord Howe goes from +11 to +10:30 on 2026-04-05 at 02:00 local: 01:00-03:00 lasts
    // two and a half hours; 30-minute slots make five.
    let h = daily("Australia/Lord_Howe", "01:00-03:00");
    let now = utc("2026-04-04T00:00:00Z");
    let slots = grid(Some(h.rule()), &policy(30, 0, 0, 2), now, |_| false);
    let night: Vec<_> = slots
        .iter()
        .filter(|t| (utc("2026-04-04T13:00:00Z")..utc("2026-04-04T17:00:00Z")).contains(*t))
        .collect();
    assert_eq!(night.len(), 5, "{night:?}");
}

#[test]
fn without_hours_every_hour_of_the_day_is_offered() {
    let now = utc("2026-06-02T00:00:00Z");
    let slots = grid(None, &policy(60, 0, 0, 1), now, |_| false);
    assert_eq!(slots.len(), 24);
    assert_eq!(slots.first(), Some(&now));
}

#[test]
fn out_of_office_and_full_slots_are_not_offered() {
    let h = daily("UTC", "09:00-11:00");
    let now = utc("2026-06-02T00:00:00Z");
    let until = utc("2026-06-02T10:00:00Z");
    let slots = grid(Some(h.rule()), &policy(30, 0, 0, 1), now, |t| t < until);
    assert_eq!(on(&slots, "2026-06-02"), ["10:00", "10:30"]);
    let mut booked = HashMap::new();
    booked.insert(utc("2026-06-02T10:00:00Z"), 2u16);
    booked.insert(utc("2026-06-02T10:30:00Z"), 1u16);
    assert_eq!(free(&slots, &booked, 2), [(utc("2026-06-02T10:30:00Z"), 1)]);
}

#[test]
fn policies_out_of_range_are_refused_field_by_field() {
    let errors = SlotPolicy::checked(2, 0, 60, 400, 0, 15).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["slot_minutes", "window_days", "capacity"]);
    assert!(SlotPolicy::checked(30, 10, 120, 14, 3, 0).is_ok());
}

const ZONES: [&str; 5] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "UTC",
];

const DAYS: [&str; 6] = [
    "09:00-17:00",
    "01:00-04:00",
    "22:00-02:00",
    "08:00-12:00, 13:30-18:15",
    "",
    "00:00-24:00",
];

fn arb_case() -> impl Strategy<Value = (Hours, i64, SlotPolicy)> {
    (
        0..ZONES.len(),
        proptest::collection::vec(0..DAYS.len(), 7),
        // Around the 2026 transitions of the northern and southern zones.
        prop_oneof![
            1_774_000_000i64..1_775_500_000,
            1_792_000_000i64..1_793_500_000,
            1_775_000_000i64..1_776_000_000
        ],
        (5u16..=240, 0u16..=60, 0u32..=600, 1u16..=4),
    )
        .prop_map(|(zone, days, now, (slot, buffer, notice, window))| {
            let days: Vec<&str> = days.iter().map(|d| DAYS[*d]).collect();
            let weekly = WeeklyHours::parse(days.try_into().unwrap()).unwrap();
            (
                Hours {
                    tz: TimeZone::get(ZONES[zone]).unwrap(),
                    weekly,
                    overrides: Overrides::new(Vec::<(NaiveDate, DayHours, String)>::new()),
                },
                now,
                policy(slot, buffer, notice, window),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_slot_is_wholly_open_and_within_bounds((h, now, p) in arb_case()) {
        let rule = h.rule();
        let now = DateTime::from_timestamp(now, 0).unwrap();
        let slots = grid(Some(rule), &p, now, |_| false);
        let length = Duration::minutes(i64::from(p.slot_minutes));
        for pair in slots.windows(2) {
            prop_assert!(pair[0] < pair[1], "out of order: {:?}", pair);
        }
        for t in &slots {
            prop_assert!(*t >= now + Duration::minutes(i64::from(p.notice_minutes)));
            prop_assert!(*t < now + Duration::days(i64::from(p.window_days)));
            // Open from its start to its last minute (sampled every 5 minutes).
            let mut s = *t;
            while s < *t + length {
                prop_assert!(rule.is_open(s), "slot {} is closed at {}", t, s);
                s += Duration::minutes(5);
            }
            prop_assert!(rule.is_open(*t + length - Duration::seconds(1)));
        }
    }

    #[test]
    fn an_opening_long_enough_offers_a_slot((h, now, p) in arb_case()) {
        // Every opening that starts after the notice, ends within the window and is at
        // least a slot long offers its start.
        let rule = h.rule();
        let now = DateTime::from_timestamp(now, 0).unwrap();
        let slots = grid(Some(rule), &p, now, |_| false);
        let earliest = now + Duration::minutes(i64::from(p.notice_minutes));
        let latest = now + Duration::days(i64::from(p.window_days));
        let length = Duration::minutes(i64::from(p.slot_minutes));
        let mut date = rule.local_date(now);
        while date <= rule.local_date(latest) {
            for (opens, closes) in rule.intervals_on(date) {
                if opens >= earliest && opens < latest && closes - opens >= length {
                    prop_assert!(slots.binary_search(&opens).is_ok(), "{} not offered", opens);
                }
            }
            date = date.succ_opt().unwrap();
        }
    }
}
