//! Cutting callback slots from opening hours: pure, so it is tested across time zones and
//! daylight-saving changes without a database.
//!
//! Each opening (an interval of a local date, as instants — see
//! [`crate::schedules::rule`]) is cut from its start into slots of the policy's length,
//! a buffer apart; a slot that would run past the closing is not offered. A slot must
//! start at least the minimum notice from now and within the booking window. Without
//! opening hours (open around the clock) each UTC day is one opening.

use std::collections::HashMap;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};

use super::slots::SlotPolicy;
use crate::schedules::Rule;

/// The openings whose intervals start on `date` (a UTC day around the clock).
fn openings(rule: Option<&Rule<'_>>, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    match rule {
        Some(r) => r.intervals_on(date),
        None => {
            let start = date.and_time(chrono::NaiveTime::MIN).and_utc();
            vec![(start, start + Duration::days(1))]
        }
    }
}

/// Every slot start the policy offers at `now`, in order, except those `away` refuses
/// (out of office then).
#[must_use]
pub fn grid(
    rule: Option<Rule<'_>>,
    policy: &SlotPolicy,
    now: DateTime<Utc>,
    away: impl Fn(DateTime<Utc>) -> bool,
) -> Vec<DateTime<Utc>> {
    let length = Duration::minutes(i64::from(policy.slot_minutes.max(1)));
    let step = length + Duration::minutes(i64::from(policy.buffer_minutes));
    let earliest = now + Duration::minutes(i64::from(policy.notice_minutes));
    let latest = now + Duration::days(i64::from(policy.window_days));
    let local = |at: DateTime<Utc>| rule.map_or_else(|| at.date_naive(), |r| r.local_date(at));
    let (Some(first), last) = (
        local(earliest).checked_sub_days(Days::new(1)),
        local(latest),
    ) else {
        return Vec::new();
    };
    let mut starts = Vec::new();
    let mut date = first;
    while date <= last {
        for (opens, closes) in openings(rule.as_ref(), date) {
            let mut t = opens;
            while t + length <= closes && t < latest {
                if t >= earliest && !away(t) {
                    starts.push(t);
                }
                t += step;
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// The slots of `grid` that still take a callback, with how many more each takes.
#[must_use]
pub fn free(
    grid: &[DateTime<Utc>],
    booked: &HashMap<DateTime<Utc>, u16>,
    capacity: u16,
) -> Vec<(DateTime<Utc>, u16)> {
    grid.iter()
        .filter_map(|t| {
            let left = capacity.saturating_sub(booked.get(t).copied().unwrap_or(0));
            (left > 0).then_some((*t, left))
        })
        .collect()
}
