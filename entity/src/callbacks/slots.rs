//! Callback slots as the call page, the dashboard and the API show them: the business's
//! [`SlotPolicy`] (how slots are cut from its opening hours and how many callbacks one
//! takes) and the free slots of a day in the caller's time zone ([`SlotDay`]). Pure:
//! compiles to wasm.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::types::FieldError;

/// How a business cuts callback slots from its opening hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotPolicy {
    /// How long one callback is planned to take, in minutes.
    pub slot_minutes: u16,
    /// Free minutes between two slots.
    pub buffer_minutes: u16,
    /// How soon a slot may start, at the earliest, in minutes from now.
    pub notice_minutes: u32,
    /// How many days ahead slots are offered.
    pub window_days: u16,
    /// How many callbacks one slot takes (how many members can call back at once).
    pub capacity: u16,
    /// How many minutes before a booked time the caller is reminded by email (0: never).
    pub reminder_minutes: u16,
}

impl Default for SlotPolicy {
    fn default() -> Self {
        Self {
            slot_minutes: 30,
            buffer_minutes: 0,
            notice_minutes: 60,
            window_days: 14,
            capacity: 1,
            reminder_minutes: 15,
        }
    }
}

/// What each setting may be: `(field, least, most)`.
pub const SLOT_LIMITS: [(&str, u32, u32); 6] = [
    ("slot_minutes", 5, 240),
    ("buffer_minutes", 0, 120),
    ("notice_minutes", 0, 10_080),
    ("window_days", 1, 90),
    ("capacity", 1, 100),
    ("reminder_minutes", 0, 1440),
];

impl SlotPolicy {
    /// The policy of these numbers, or an error on each one out of range.
    ///
    /// # Errors
    /// A [`FieldError`] per setting outside [`SLOT_LIMITS`].
    pub fn checked(
        slot_minutes: i64,
        buffer_minutes: i64,
        notice_minutes: i64,
        window_days: i64,
        capacity: i64,
        reminder_minutes: i64,
    ) -> Result<Self, Vec<FieldError>> {
        let given = [
            slot_minutes,
            buffer_minutes,
            notice_minutes,
            window_days,
            capacity,
            reminder_minutes,
        ];
        let errors: Vec<FieldError> = SLOT_LIMITS
            .iter()
            .zip(given)
            .filter(|((_, least, most), v)| *v < i64::from(*least) || *v > i64::from(*most))
            .map(|((field, least, most), _)| FieldError {
                field: (*field).to_owned(),
                message: format!("Choose a number from {least} to {most}."),
            })
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let small = |v: i64| u16::try_from(v).unwrap_or(u16::MAX);
        Ok(Self {
            slot_minutes: small(slot_minutes),
            buffer_minutes: small(buffer_minutes),
            notice_minutes: u32::try_from(notice_minutes).unwrap_or(u32::MAX),
            window_days: small(window_days),
            capacity: small(capacity),
            reminder_minutes: small(reminder_minutes),
        })
    }
}

/// One slot a caller can book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `HH:MM` in the zone of the [`SlotDay`].
    pub label: String,
    /// How many more callbacks it takes.
    pub free: u16,
}

/// The free slots of one day, in a time zone (the caller's when known).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotDay {
    /// The IANA zone the date and the labels are in.
    pub zone: String,
    pub date: NaiveDate,
    pub slots: Vec<SlotView>,
    /// Every date (in `zone`) with a free slot within the booking window, in order.
    pub dates: Vec<NaiveDate>,
}

/// One booked callback in the week view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekEntry {
    pub id: uuid::Uuid,
    /// `HH:MM` in the week's zone.
    pub time: String,
    /// The caller's name, else their email.
    pub who: String,
    pub intent_label: Option<String>,
    pub status: super::CallbackStatus,
}

/// One day of the week view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekDay {
    pub date: NaiveDate,
    pub entries: Vec<WeekEntry>,
}

/// Seven days of booked callbacks from a Monday, in the business's zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekView {
    pub zone: String,
    /// The Monday it starts on.
    pub start: NaiveDate,
    pub days: Vec<WeekDay>,
}

/// The Monday of the week `date` is in.
#[must_use]
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))
}

/// Puts `(local date, entry)` pairs into the seven days from `start` (others are dropped),
/// each day's entries by time.
#[must_use]
pub fn week_of(start: NaiveDate, zone: String, entries: Vec<(NaiveDate, WeekEntry)>) -> WeekView {
    let mut days: Vec<WeekDay> = (0..7)
        .map(|i| WeekDay {
            date: start + chrono::Days::new(i),
            entries: Vec::new(),
        })
        .collect();
    for (date, entry) in entries {
        if let Some(day) = days.iter_mut().find(|d| d.date == date) {
            day.entries.push(entry);
        }
    }
    for day in &mut days {
        day.entries.sort_by(|a, b| a.time.cmp(&b.time));
    }
    WeekView { zone, start, days }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(time: &str) -> WeekEntry {
        WeekEntry {
            id: uuid::Uuid::nil(),
            time: time.to_owned(),
            who: "Dana".to_owned(),
            intent_label: None,
            status: super::super::CallbackStatus::Scheduled,
        }
    }

    #[test]
    fn a_week_starts_on_monday_and_sorts_each_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        // 2026-12-06 is a Sunday.
        assert_eq!(monday_of(d("2026-12-06")), d("2026-11-30"));
        assert_eq!(monday_of(d("2026-12-07")), d("2026-12-07"));
        let week = week_of(
            d("2026-12-07"),
            "UTC".to_owned(),
            vec![
                (d("2026-12-08"), entry("14:00")),
                (d("2026-12-08"), entry("09:30")),
                (d("2026-12-14"), entry("10:00")),
            ],
        );
        assert_eq!(week.days.len(), 7);
        let times: Vec<&str> = week.days[1]
            .entries
            .iter()
            .map(|e| e.time.as_str())
            .collect();
        assert_eq!(times, ["09:30", "14:00"]);
        assert_eq!(
            week.days.iter().map(|d| d.entries.len()).sum::<usize>(),
            2,
            "the next Monday is not in it"
        );
    }
}
