//! "Open now?", "closes at", "next opening": opening hours evaluated at an instant, in the
//! schedule's IANA time zone (`jiff` and its time zone database).
//!
//! **What an interval means.** An interval belongs to the local date it starts on (a
//! holiday closes the intervals that start that day; Friday's 22:00-02:00 is Friday's). It
//! opens at the first instant the local clock shows its start or later — when the start
//! falls in a skipped hour, the instant the clocks jump — and closes once the clock will
//! not show a time before its end again — in a repeated hour, the second time it reaches
//! the end. So a shift opens once and closes once even on the nights the clocks change: a
//! 01:00-02:30 shift on the night the clocks go back lasts two and a half hours plus the
//! repeated hour, and one on the night they go forward ends when they jump. Overlapping
//! and touching intervals (Monday's 22:00-24:00 and Tuesday's 00:00-06:00) are one
//! opening.
//!
//! **What decides a date.** The schedule's own override for that date, else (for a team)
//! the business's override, else the weekly hours of its weekday.
//!
//! Every function is pure; those the hub calls on a call's setup path (`is_open`, `state`)
//! allocate nothing: `is_open` reads one offset and compares local clock times, which answers every instant
//! whose clock time lies inside an interval; only otherwise are the nearby boundaries
//! resolved into instants (a few more offset lookups).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::Timestamp;

use super::hours::{DayHours, WeeklyHours};

const DAY: i64 = 86_400;
/// How far "next opening" looks ahead, in days.
const OPENING_HORIZON_DAYS: i64 = 400;
/// How far "closes at" looks ahead, in days (open longer: "around the clock").
const CLOSING_HORIZON_DAYS: i64 = 8;

/// The local date of days since 1970-01-01.
fn epoch_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

/// The date `day` days after 1970-01-01.
fn date_of(day: i64) -> Option<NaiveDate> {
    i32::try_from(day + 719_163)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

fn instant(seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
}

/// Date overrides of one schedule: special hours or closed (empty hours), with the day's
/// name, by local date.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides(Vec<(i64, DayHours, String)>);

impl Overrides {
    /// From `(date, hours, name)` in any order (a date given twice keeps the last).
    #[must_use]
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayHours, String)>) -> Self {
        let mut v: Vec<(i64, DayHours, String)> = days
            .into_iter()
            .map(|(d, h, n)| (epoch_day(d), h, n))
            .collect();
        v.reverse();
        v.sort_by_key(|(d, _, _)| *d);
        v.dedup_by_key(|(d, _, _)| *d);
        Self(v)
    }

    fn entry(&self, day: i64) -> Option<&(i64, DayHours, String)> {
        self.0
            .binary_search_by_key(&day, |(d, _, _)| *d)
            .ok()
            .map(|i| &self.0[i])
    }

    fn get(&self, day: i64) -> Option<&DayHours> {
        self.entry(day).map(|(_, h, _)| h)
    }
}

/// A schedule: weekly hours and date overrides in a time zone.
#[derive(Clone, Debug)]
pub struct Hours {
    pub tz: TimeZone,
    pub weekly: WeeklyHours,
    pub overrides: Overrides,
}

impl Hours {
    /// The rule of this schedule alone (a business, or a team that overrides everything).
    #[must_use]
    pub fn rule(&self) -> Rule<'_> {
        Rule {
            hours: self,
            inherited: None,
        }
    }

    /// The rule of a team's own hours, which also follows the business's overrides on the
    /// dates the team has none of its own.
    #[must_use]
    pub fn rule_with<'a>(&'a self, business: Option<&'a Overrides>) -> Rule<'a> {
        Rule {
            hours: self,
            inherited: business,
        }
    }
}

/// Whether a schedule is open at an instant, and until or from when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenState {
    /// Open; `closes_at` is `None` when it stays open for more than a week.
    Open { closes_at: Option<DateTime<Utc>> },
    /// Closed; `next_opening` is `None` when it does not open within 400 days.
    Closed { next_opening: Option<DateTime<Utc>> },
}

impl OpenState {
    /// Whether this is [`OpenState::Open`].
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open { .. })
    }
}

/// Which instant a local clock time that occurs twice (or never) stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edge {
    /// The first instant the clock shows it (or passes it, in a skipped hour).
    Opening,
    /// The last instant the clock shows it (or passes it).
    Closing,
}

/// A schedule ready to answer; cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct Rule<'a> {
    hours: &'a Hours,
    inherited: Option<&'a Overrides>,
}

impl<'a> Rule<'a> {
    /// The hours of local day `day` (days since 1970-01-01).
    fn day(&self, day: i64) -> &'a DayHours {
        let weekday = usize::try_from((day + 3).rem_euclid(7)).unwrap_or_default();
        self.hours
            .overrides
            .get(day)
            .or_else(|| self.inherited.and_then(|o| o.get(day)))
            .unwrap_or_else(|| self.hours.weekly.day(weekday))
    }

    /// The hours that apply on local `date`.
    #[must_use]
    pub fn hours_on(&self, date: NaiveDate) -> &'a DayHours {
        self.day(epoch_day(date))
    }

    /// The override that decides local `date` (its hours and name), if one does.
    #[must_use]
    pub fn override_on(&self, date: NaiveDate) -> Option<(&'a DayHours, &'a str)> {
        let day = epoch_day(date);
        self.hours
            .overrides
            .entry(day)
            .or_else(|| self.inherited.and_then(|o| o.entry(day)))
            .map(|(_, h, n)| (h, n.as_str()))
    }

    /// The schedule's time zone.
    #[must_use]
    pub fn time_zone(&self) -> &'a TimeZone {
        &self.hours.tz
    }

    /// Local clock seconds (since 1970-01-01 local midnight) at `t`.
    fn local(&self, t: i64) -> i64 {
        Timestamp::from_second(t)
            .map_or(t, |ts| t + i64::from(self.hours.tz.to_offset(ts).seconds()))
    }

    /// The local date at `at`.
    #[must_use]
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        date_of(self.local(at.timestamp()).div_euclid(DAY)).unwrap_or_else(|| at.date_naive())
    }

    /// The instant of local clock time `local` (seconds), per `edge` when it is ambiguous.
    fn resolve(&self, local: i64, edge: Edge) -> i64 {
        let Ok(ts) = Timestamp::from_second(local) else {
            return local;
        };
        let tz = &self.hours.tz;
        match tz
            .to_ambiguous_timestamp(Offset::UTC.to_datetime(ts))
            .offset()
        {
            AmbiguousOffset::Unambiguous { offset } => local - i64::from(offset.seconds()),
            AmbiguousOffset::Gap { before, after } => {
                // The clocks jump over `local`: the instant they jump.
                let probe = local - i64::from(after.seconds()) - 1;
                Timestamp::from_second(probe)
                    .ok()
                    .and_then(|p| tz.following(p).next())
                    .map_or(local - i64::from(before.seconds()), |tr| {
                        tr.timestamp().as_second()
                    })
            }
            AmbiguousOffset::Fold { before, after } => {
                let (first, second) = (
                    local - i64::from(before.seconds()),
                    local - i64::from(after.seconds()),
                );
                // When the clocks go back to exactly `local`, the clock never shows less
                // than it again: the closing is its first occurrence.
                let jumped_onto =
                    Timestamp::from_second(second - 1).is_ok_and(|p| tz.to_offset(p) != after);
                match edge {
                    Edge::Closing if !jumped_onto => second,
                    Edge::Opening | Edge::Closing => first,
                }
            }
        }
    }

    /// Day `day`'s intervals as instants `[opens, closes)`, in order (none that a clock
    /// change swallowed whole).
    fn spans(&self, day: i64) -> impl Iterator<Item = (i64, i64)> + 'a {
        let rule = *self;
        self.day(day).intervals().iter().filter_map(move |i| {
            let start = day * DAY + i64::from(i.start()) * 60;
            let end = day * DAY + i64::from(i.end()) * 60;
            let (s, e) = (
                rule.resolve(start, Edge::Opening),
                rule.resolve(end, Edge::Closing),
            );
            (e > s).then_some((s, e))
        })
    }

    /// Whether it is open at `at`.
    #[must_use]
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let t = at.timestamp();
        let local = self.local(t);
        let day = local.div_euclid(DAY);
        let clock = local - day * DAY;
        // The clock inside an interval is open, whatever the clocks did nearby.
        let on_clock = self
            .day(day)
            .intervals()
            .iter()
            .any(|i| (i64::from(i.start()) * 60..i64::from(i.end()) * 60).contains(&clock))
            || self
                .day(day - 1)
                .intervals()
                .iter()
                .any(|i| clock + DAY < i64::from(i.end()) * 60);
        on_clock || (day - 1..=day).any(|d| self.spans(d).any(|(s, e)| s <= t && t < e))
    }

    /// Open or closed at `at`, with when that changes.
    #[must_use]
    pub fn state(&self, at: DateTime<Utc>) -> OpenState {
        let t = at.timestamp();
        let first = self.local(t).div_euclid(DAY) - 1;
        let mut run: Option<(i64, i64)> = None;
        for day in first..=first + OPENING_HORIZON_DAYS {
            if let Some((s, e)) = run {
                if s <= t && t < e && day > first + CLOSING_HORIZON_DAYS {
                    return OpenState::Open { closes_at: None };
                }
                if e > t && day * DAY > e + DAY * 2 {
                    break; // nothing later can join the run
                }
            }
            for (s, e) in self.spans(day) {
                run = match run {
                    Some((rs, re)) if s <= re => Some((rs, re.max(e))),
                    Some((rs, re)) if re > t => return Self::decided(t, rs, re),
                    _ => Some((s, e)),
                };
            }
        }
        match run {
            Some((rs, re)) if re > t => Self::decided(t, rs, re),
            _ => OpenState::Closed { next_opening: None },
        }
    }

    /// The state for a run `[rs, re)` that ends after `t` and cannot grow.
    fn decided(t: i64, rs: i64, re: i64) -> OpenState {
        if rs <= t {
            OpenState::Open {
                closes_at: instant(re),
            }
        } else {
            OpenState::Closed {
                next_opening: instant(rs),
            }
        }
    }

    /// When it next opens after `at` (`at` itself when it opens exactly then); `None`
    /// when open at `at` or when it does not open within 400 days.
    #[must_use]
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.state(at) {
            OpenState::Closed { next_opening } => next_opening,
            OpenState::Open { .. } => None,
        }
    }

    /// The openings whose intervals start on local `date`, as instants.
    #[must_use]
    pub fn intervals_on(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        self.spans(epoch_day(date))
            .filter_map(|(s, e)| Some((instant(s)?, instant(e)?)))
            .collect()
    }

    /// The local date and time `local` stands for, as an instant (a skipped time is the
    /// instant the clocks jump; a repeated one, its first occurrence).
    #[must_use]
    pub fn instant_of(&self, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
        instant(self.resolve(local.and_utc().timestamp(), Edge::Opening))
    }

    /// The schedule's time zone name (`Europe/Berlin`).
    #[must_use]
    pub fn zone(&self) -> &'a str {
        self.hours.tz.iana_name().unwrap_or("UTC")
    }
}

/// Formats `at` as a local `YYYY-MM-DD HH:MM` in `tz`.
#[must_use]
pub fn local_text(tz: &TimeZone, at: DateTime<Utc>) -> String {
    match Timestamp::from_second(at.timestamp()) {
        Ok(ts) => tz.to_datetime(ts).strftime("%Y-%m-%d %H:%M").to_string(),
        Err(_) => at.format("%Y-%m-%d %H:%M").to_string(),
    }
}
