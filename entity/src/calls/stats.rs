//! The home page's figures for the last days: calls per day by outcome, the answer rate,
//! the wait (median and 90th percentile) per intent and per domain, and the missed calls
//! by hour of the week.
//!
//! [`aggregate`] is pure: it takes each call already placed in the business's time zone
//! (its local day, weekday and hour — `records::stats` does that with the schedule's zone)
//! so the sums are unit-tested here and the dashboard and GraphQL give the same numbers.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calls::filter::OutcomeKind;
use crate::types::FieldError;

/// The periods the home page offers, in days.
pub const PERIODS: [u32; 2] = [7, 30];

/// The longest period [`checked_days`] accepts.
pub const MAX_DAYS: u32 = 90;

/// `days` when it is a period we report on (1 to [`MAX_DAYS`]).
///
/// # Errors
/// A [`FieldError`] on `days` otherwise.
pub fn checked_days(days: i64) -> Result<u32, FieldError> {
    u32::try_from(days)
        .ok()
        .filter(|d| (1..=MAX_DAYS).contains(d))
        .ok_or_else(|| FieldError {
            field: "days".to_owned(),
            message: format!("Choose a period of 1 to {MAX_DAYS} days."),
        })
}

/// One call as [`aggregate`] counts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatCall {
    /// The day it was requested, in the business's time zone.
    pub day: NaiveDate,
    /// Monday = 0 … Sunday = 6, local.
    pub weekday: usize,
    /// 0 … 23, local.
    pub hour: usize,
    pub outcome: OutcomeKind,
    /// Request → answer, for answered calls.
    pub wait_ms: Option<i64>,
    /// The intent's label (`None`: no intent, or one deleted since).
    pub intent: Option<String>,
    pub domain: String,
}

/// The calls of one day, by outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    pub day: NaiveDate,
    pub answered: u32,
    pub missed: u32,
    pub cancelled: u32,
    pub unavailable: u32,
    pub ongoing: u32,
}

impl DayCounts {
    /// The count of one outcome.
    #[must_use]
    pub fn get(&self, kind: OutcomeKind) -> u32 {
        match kind {
            OutcomeKind::Answered => self.answered,
            OutcomeKind::Missed => self.missed,
            OutcomeKind::Cancelled => self.cancelled,
            OutcomeKind::Unavailable => self.unavailable,
            OutcomeKind::Ongoing => self.ongoing,
        }
    }

    fn bump(&mut self, kind: OutcomeKind) {
        let slot = match kind {
            OutcomeKind::Answered => &mut self.answered,
            OutcomeKind::Missed => &mut self.missed,
            OutcomeKind::Cancelled => &mut self.cancelled,
            OutcomeKind::Unavailable => &mut self.unavailable,
            OutcomeKind::Ongoing => &mut self.ongoing,
        };
        *slot += 1;
    }

    /// Every call of the day.
    #[must_use]
    pub fn total(&self) -> u32 {
        OutcomeKind::ALL.iter().map(|k| self.get(*k)).sum()
    }
}

/// How long callers waited for an answer, for one intent or domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitStat {
    /// The intent's label ("No intent" for calls without one) or the domain.
    pub label: String,
    /// Every call of the group.
    pub calls: u32,
    /// The answered ones (the waits measured).
    pub answered: u32,
    /// The median wait, ms (`None` when none was answered).
    pub median_ms: Option<i64>,
    /// The 90th percentile wait, ms.
    pub p90_ms: Option<i64>,
}

/// The figures for a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallStats {
    /// How many days, ending today.
    pub days: u32,
    /// The IANA time zone days and hours are counted in ("UTC" without opening hours).
    pub time_zone: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub total: u32,
    pub answered: u32,
    /// Answered ÷ every call that is over (ringing ones left out), 0–1; `None` without any.
    pub answer_rate: Option<f64>,
    /// The median wait of every answered call, ms.
    pub median_wait_ms: Option<i64>,
    pub p90_wait_ms: Option<i64>,
    /// One entry per day, oldest first (days without calls included).
    pub per_day: Vec<DayCounts>,
    /// Per intent, most calls first.
    pub wait_by_intent: Vec<WaitStat>,
    /// Per domain called, most calls first.
    pub wait_by_domain: Vec<WaitStat>,
    /// Missed calls (rang, nobody answered) by local weekday (Monday first) and hour.
    pub missed_by_hour: Vec<Vec<u32>>,
    /// Whether there were more calls than one report reads (the figures cover the newest).
    pub truncated: bool,
}

/// The label of calls without an intent.
pub const NO_INTENT: &str = "No intent";

/// The `p`-th percentile (0–100) of sorted values, nearest-rank: the smallest value with
/// at least `p`% of the values at or below it.
#[must_use]
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // ceil(p/100 × n), at least 1.
    let rank = (usize::try_from(p).unwrap_or(100) * n).div_ceil(100).max(1);
    sorted.get(rank.min(n) - 1).copied()
}

fn wait_stats(groups: BTreeMap<String, (u32, Vec<i64>)>) -> Vec<WaitStat> {
    let mut out: Vec<WaitStat> = groups
        .into_iter()
        .map(|(label, (calls, mut waits))| {
            waits.sort_unstable();
            WaitStat {
                label,
                calls,
                answered: u32::try_from(waits.len()).unwrap_or(u32::MAX),
                median_ms: percentile(&waits, 50),
                p90_ms: percentile(&waits, 90),
            }
        })
        .collect();
    out.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.label.cmp(&b.label)));
    out
}

/// The figures of `calls` for the `days` days ending on `last_day` (calls outside them are
/// ignored), counted in `time_zone`.
#[must_use]
pub fn aggregate(calls: &[StatCall], last_day: NaiveDate, days: u32, time_zone: &str) -> CallStats {
    let span = days.max(1);
    let first_day = last_day
        .checked_sub_days(chrono::Days::new(u64::from(span - 1)))
        .unwrap_or(last_day);
    let mut per_day: Vec<DayCounts> = first_day
        .iter_days()
        .take_while(|d| *d <= last_day)
        .map(|day| DayCounts {
            day,
            ..DayCounts::default()
        })
        .collect();
    let mut missed_by_hour = vec![vec![0_u32; 24]; 7];
    let mut by_intent: BTreeMap<String, (u32, Vec<i64>)> = BTreeMap::new();
    let mut by_domain: BTreeMap<String, (u32, Vec<i64>)> = BTreeMap::new();
    let mut waits = Vec::new();
    let (mut total, mut answered, mut over) = (0_u32, 0_u32, 0_u32);
    for c in calls
        .iter()
        .filter(|c| c.day >= first_day && c.day <= last_day)
    {
        let index = usize::try_from((c.day - first_day).num_days()).unwrap_or(0);
        if let Some(d) = per_day.get_mut(index) {
            d.bump(c.outcome);
        }
        total += 1;
        if c.outcome != OutcomeKind::Ongoing {
            over += 1;
        }
        if c.outcome == OutcomeKind::Missed {
            if let Some(slot) = missed_by_hour
                .get_mut(c.weekday)
                .and_then(|row| row.get_mut(c.hour))
            {
                *slot += 1;
            }
        }
        let wait = if c.outcome == OutcomeKind::Answered {
            answered += 1;
            c.wait_ms.map(|w| w.max(0))
        } else {
            None
        };
        waits.extend(wait);
        let intent = c.intent.clone().unwrap_or_else(|| NO_INTENT.to_owned());
        for (map, key) in [(&mut by_intent, intent), (&mut by_domain, c.domain.clone())] {
            let entry = map.entry(key).or_default();
            entry.0 += 1;
            entry.1.extend(wait);
        }
    }
    waits.sort_unstable();
    CallStats {
        days: span,
        time_zone: time_zone.to_owned(),
        first_day,
        last_day,
        total,
        answered,
        answer_rate: (over > 0).then(|| f64::from(answered) / f64::from(over)),
        median_wait_ms: percentile(&waits, 50),
        p90_wait_ms: percentile(&waits, 90),
        per_day,
        wait_by_intent: wait_stats(by_intent),
        wait_by_domain: wait_stats(by_domain),
        missed_by_hour,
        truncated: false,
    }
}

/// A rate as a whole percentage: "83%"; "—" without one.
#[must_use]
pub fn percent_label(rate: Option<f64>) -> String {
    rate.map_or_else(
        || "\u{2014}".to_owned(),
        |r| format!("{:.0}%", (r * 100.0).clamp(0.0, 100.0)),
    )
}

/// Weekday names, Monday first, as the heat grid's rows.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap_or_default()
    }

    fn call(d: u32, outcome: OutcomeKind, wait: Option<i64>, intent: Option<&str>) -> StatCall {
        StatCall {
            day: day(d),
            weekday: 0,
            hour: 9,
            outcome,
            wait_ms: wait,
            intent: intent.map(str::to_owned),
            domain: "acme.com".to_owned(),
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<i64> = (1..=10).map(|x| x * 100).collect();
        assert_eq!(percentile(&v, 50), Some(500));
        assert_eq!(percentile(&v, 90), Some(900));
        assert_eq!(percentile(&v, 100), Some(1000));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn a_known_week_adds_up() {
        use OutcomeKind::*;
        let calls = [
            call(3, Answered, Some(1000), Some("Sales")),
            call(3, Answered, Some(3000), Some("Sales")),
            call(4, Answered, Some(2000), None),
            call(4, Missed, None, Some("Sales")),
            call(5, Cancelled, None, None),
            call(5, Ongoing, None, None),
            // Outside the period: ignored.
            call(1, Missed, None, None),
        ];
        let s = aggregate(&calls, day(7), 5, "Europe/Berlin");
        assert_eq!((s.first_day, s.last_day), (day(3), day(7)));
        assert_eq!(s.per_day.len(), 5);
        assert_eq!(s.per_day[0].answered, 2);
        assert_eq!(s.per_day[1].total(), 2);
        assert_eq!(s.per_day[4].total(), 0);
        assert_eq!((s.total, s.answered), (6, 3));
        // 3 answered of the 5 that are over.
        assert_eq!(s.answer_rate, Some(0.6));
        assert_eq!(percent_label(s.answer_rate), "60%");
        assert_eq!((s.median_wait_ms, s.p90_wait_ms), (Some(2000), Some(3000)));
        let sales = s.wait_by_intent.iter().find(|w| w.label == "Sales");
        let sales = sales
            .cloned()
            .unwrap_or_else(|| panic!("{:?}", s.wait_by_intent));
        assert_eq!(
            (
                sales.label.as_str(),
                sales.calls,
                sales.answered,
                sales.median_ms,
                sales.p90_ms
            ),
            ("Sales", 3, 2, Some(1000), Some(3000))
        );
        // Equal counts: by label.
        assert_eq!(s.wait_by_intent[0].label, NO_INTENT);
        assert_eq!(s.wait_by_domain[0].calls, 6);
        assert_eq!(s.missed_by_hour[0][9], 1);
        assert_eq!(s.missed_by_hour.iter().flatten().sum::<u32>(), 1);
    }

    #[test]
    fn no_calls_no_rate() {
        let s = aggregate(&[], day(7), 7, "UTC");
        assert_eq!(s.answer_rate, None);
        assert_eq!(percent_label(None), "\u{2014}");
        assert_eq!(s.per_day.len(), 7);
        assert_eq!(s.missed_by_hour.len(), 7);
    }

    #[test]
    fn periods_are_checked() {
        assert_eq!(checked_days(7), Ok(7));
        assert!(checked_days(0).is_err());
        assert!(checked_days(91).is_err());
        assert!(checked_days(-1).is_err());
    }
}
