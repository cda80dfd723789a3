//! Opening hours as people write them: intervals of a day ("09:00-12:00, 13:00-17:00"),
//! overnight ones ("22:00-02:00" ends the next morning), and a week of them.
//!
//! Parse, don't validate: [`DayHours::parse`] is the only way in, so every stored or
//! evaluated day is sorted, bounded and free of overlaps. Pure and clock-free (compiles to
//! wasm); what an hour means at an instant in a time zone is [`super::rule`]'s business.

use serde::{Deserialize, Serialize};

use crate::types::FieldError;

/// Minutes in a day.
pub const DAY_MINUTES: u16 = 24 * 60;
/// The most intervals one day may have.
pub const MAX_INTERVALS_PER_DAY: usize = 8;
/// The days of the week as the forms and the stored form order them (ISO: Monday first).
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// Short names of the days (form field names, GraphQL arguments), Monday first.
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// One opening interval of a day, in minutes after local midnight. `start` is 0 to 1439;
/// `minutes` is 1 to 1440: an interval whose end is at or before its start goes on past
/// midnight into the next day ("22:00-02:00" is 240 minutes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Interval {
    start: u16,
    minutes: u16,
}

impl Interval {
    /// An interval of `minutes` from `start`; `None` when out of range.
    #[must_use]
    pub fn new(start: u16, minutes: u16) -> Option<Self> {
        let fits = start < DAY_MINUTES && (1..DAY_MINUTES).contains(&minutes)
            || (start == 0 && minutes == DAY_MINUTES);
        fits.then_some(Self { start, minutes })
    }

    /// Minutes after local midnight when it opens.
    #[must_use]
    pub fn start(self) -> u16 {
        self.start
    }

    /// How long it lasts, in (wall-clock) minutes.
    #[must_use]
    pub fn minutes(self) -> u16 {
        self.minutes
    }

    /// Minutes after the day's midnight when it closes (above 1440: the next day).
    #[must_use]
    pub fn end(self) -> u16 {
        self.start + self.minutes
    }

    /// Whether it closes after midnight (on the next day).
    #[must_use]
    pub fn is_overnight(self) -> bool {
        self.end() > DAY_MINUTES
    }

    /// Parses `HH:MM-HH:MM` (also `H:MM`, `HH`, an en dash or "to"); an end at or before
    /// the start means the next day, `24:00` means midnight at the end of the day.
    fn parse(input: &str) -> Result<Self, String> {
        let text = input.trim();
        let (a, b) = text
            .split_once(['-', '\u{2013}', '\u{2014}'])
            .or_else(|| text.split_once(" to "))
            .ok_or_else(|| {
                format!("\u{201c}{text}\u{201d} is not an interval: write it like 09:00-17:00.")
            })?;
        let start = time_of_day(a, false).ok_or_else(|| {
            format!(
                "\u{201c}{}\u{201d} is not a time: write it like 09:00.",
                a.trim()
            )
        })?;
        let end = time_of_day(b, true).ok_or_else(|| {
            format!(
                "\u{201c}{}\u{201d} is not a time: write it like 17:30.",
                b.trim()
            )
        })?;
        if start == end && start != 0 {
            return Err(format!(
                "\u{201c}{text}\u{201d} opens and closes at the same time; for the whole day write 00:00-24:00."
            ));
        }
        let minutes = if end > start {
            end - start
        } else {
            DAY_MINUTES - start + end
        };
        Self::new(start, minutes)
            .ok_or_else(|| format!("\u{201c}{text}\u{201d} is not a valid interval."))
    }
}

/// `HH:MM` → minutes after midnight; `24:00` only as an end.
fn time_of_day(input: &str, is_end: bool) -> Option<u16> {
    let t = input.trim();
    let (h, m) = match t.split_once([':', '.', 'h']) {
        Some((h, m)) => (h, m),
        None => (t, "00"),
    };
    let digits = |s: &str, max_len| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(h, 2) && m.len() == 2 && digits(m, 2)) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if is_end => Some(DAY_MINUTES),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// `HH:MM` of minutes after midnight (1440 is `24:00`; later ones wrap to the next day).
#[must_use]
pub fn format_minutes(minutes: u16) -> String {
    let m = if minutes > DAY_MINUTES {
        minutes - DAY_MINUTES
    } else {
        minutes
    };
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-{}",
            format_minutes(self.start),
            format_minutes(self.end())
        )
    }
}

/// The opening intervals of one day, sorted, not overlapping; empty means closed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DayHours(Vec<Interval>);

impl DayHours {
    /// Closed all day.
    #[must_use]
    pub fn closed() -> Self {
        Self(Vec::new())
    }

    /// Open around the clock (00:00-24:00).
    #[must_use]
    pub fn all_day() -> Self {
        Self(vec![Interval {
            start: 0,
            minutes: DAY_MINUTES,
        }])
    }

    /// Parses a day as typed: intervals separated by commas (or semicolons or spaces),
    /// e.g. `09:00-12:00, 13:00-17:00`; empty (or "closed") is closed all day. Overlapping
    /// intervals are refused; the result is sorted.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` naming the part that is wrong.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let text = input.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("closed") {
            return Ok(Self::closed());
        }
        let mut intervals = Vec::new();
        for part in text
            .split([',', ';', '\n'])
            .flat_map(split_spaced)
            .filter(|p| !p.trim().is_empty())
        {
            intervals.push(Interval::parse(part).map_err(|m| field_error(field, m))?);
            if intervals.len() > MAX_INTERVALS_PER_DAY {
                return Err(field_error(
                    field,
                    format!("At most {MAX_INTERVALS_PER_DAY} intervals a day."),
                ));
            }
        }
        intervals.sort_unstable();
        for pair in intervals.windows(2) {
            if pair[1].start < pair[0].end() {
                return Err(field_error(
                    field,
                    format!("{} and {} overlap; merge them into one.", pair[0], pair[1]),
                ));
            }
        }
        if let (Some(first), Some(last)) = (intervals.first(), intervals.last()) {
            if last.end() > DAY_MINUTES + first.start && intervals.len() > 1 {
                return Err(field_error(
                    field,
                    format!("{last} runs past midnight into {first}; merge them into one."),
                ));
            }
        }
        Ok(Self(intervals))
    }

    /// The intervals, by start.
    #[must_use]
    pub fn intervals(&self) -> &[Interval] {
        &self.0
    }

    /// Whether the day has no opening.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.0.is_empty()
    }
}

/// Splits `"09:00-12:00 13:00-17:00"` on spaces that separate intervals (not those
/// around a dash or "to").
fn split_spaced(part: &str) -> Vec<&str> {
    let words: Vec<&str> = part.split_whitespace().collect();
    let joins = |w: &str| matches!(w, "-" | "\u{2013}" | "\u{2014}" | "to");
    let ends_open = |w: &str| w.ends_with(['-', '\u{2013}', '\u{2014}']);
    let starts_open = |w: &str| w.starts_with(['-', '\u{2013}', '\u{2014}']);
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let offset = |w: &str| w.as_ptr() as usize - part.as_ptr() as usize;
    for (i, w) in words.iter().enumerate() {
        let continues =
            i > 0 && (joins(w) || joins(words[i - 1]) || ends_open(words[i - 1]) || starts_open(w));
        if !continues {
            if let Some(s) = start {
                out.push(part[s..offset(words[i - 1]) + words[i - 1].len()].trim());
            }
            start = Some(offset(w));
        }
    }
    if let (Some(s), Some(last)) = (start, words.last()) {
        out.push(part[s..offset(last) + last.len()].trim());
    }
    out
}

impl std::fmt::Display for DayHours {
    /// The canonical form, `09:00-12:00,13:00-17:00` (empty when closed).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, interval) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{interval}")?;
        }
        Ok(())
    }
}

impl DayHours {
    /// How people read it: `09:00–12:00, 13:00–17:00`, or "Closed".
    #[must_use]
    pub fn label(&self) -> String {
        if self.0.is_empty() {
            return "Closed".to_owned();
        }
        self.0
            .iter()
            .map(|i| {
                format!(
                    "{}\u{2013}{}",
                    format_minutes(i.start),
                    format_minutes(i.end())
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A week of opening hours, Monday first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WeeklyHours(pub [DayHours; 7]);

impl WeeklyHours {
    /// Open around the clock every day (what a business without hours is).
    #[must_use]
    pub fn always_open() -> Self {
        Self(std::array::from_fn(|_| DayHours::all_day()))
    }

    /// Parses seven days as typed, Monday first; errors name the day's key (`mon`…).
    ///
    /// # Errors
    /// Every day's [`FieldError`]s.
    pub fn parse(days: [&str; 7]) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let parsed: [DayHours; 7] = std::array::from_fn(|i| {
            DayHours::parse(WEEKDAY_KEYS[i], days[i]).unwrap_or_else(|e| {
                errors.push(FieldError {
                    message: format!("{}: {}", WEEKDAYS[i], e.message),
                    field: e.field,
                });
                DayHours::closed()
            })
        });
        if errors.is_empty() {
            Ok(Self(parsed))
        } else {
            Err(errors)
        }
    }

    /// The stored form: the seven days' canonical forms joined by `|`, Monday first.
    #[must_use]
    pub fn stored(&self) -> String {
        self.0
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("|")
    }

    /// Reads the [`stored`](Self::stored) form back; `None` if it is not one.
    #[must_use]
    pub fn from_stored(stored: &str) -> Option<Self> {
        let days: Vec<&str> = stored.split('|').collect();
        let days: [&str; 7] = days.try_into().ok()?;
        Self::parse(days).ok()
    }

    /// One day's hours; `weekday` 0 is Monday.
    #[must_use]
    pub fn day(&self, weekday: usize) -> &DayHours {
        &self.0[weekday % 7]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn day(s: &str) -> Result<String, String> {
        DayHours::parse("mon", s)
            .map(|d| d.to_string())
            .map_err(|e| e.message)
    }

    #[test]
    fn days_parse_into_sorted_canonical_intervals() {
        assert_eq!(
            day("13:00-17:00, 9:00-12:00").unwrap(),
            "09:00-12:00,13:00-17:00"
        );
        assert_eq!(
            day("09:00 - 12:00 13:00 to 17:00").unwrap(),
            "09:00-12:00,13:00-17:00"
        );
        assert_eq!(day("9-17").unwrap(), "09:00-17:00");
        assert_eq!(day("08:30\u{2013}12:15").unwrap(), "08:30-12:15");
        assert_eq!(day("").unwrap(), "");
        assert_eq!(day("Closed").unwrap(), "");
        assert_eq!(day("00:00-24:00").unwrap(), "00:00-24:00");
    }

    #[test]
    fn overnight_intervals_end_the_next_day() {
        let d = DayHours::parse("fri", "22:00-02:00").unwrap();
        let i = d.intervals()[0];
        assert!(i.is_overnight());
        assert_eq!((i.start(), i.minutes()), (22 * 60, 240));
        assert_eq!(d.to_string(), "22:00-02:00");
        assert_eq!(day("18:00-00:00").unwrap(), "18:00-24:00");
        assert_eq!(day("10:00-09:00").unwrap(), "10:00-09:00");
        assert_eq!(d.label(), "22:00\u{2013}02:00");
    }

    #[test]
    fn garbage_and_overlaps_are_refused_with_a_reason() {
        for (input, needle) in [
            ("9am-5pm", "not a time"),
            ("25:00-26:00", "not a time"),
            ("09:60-10:00", "not a time"),
            ("24:00-02:00", "not a time"),
            ("0900", "not an interval"),
            ("09:00-12:00, 11:00-13:00", "overlap"),
            ("22:00-03:00, 02:00-04:00", "past midnight"),
            ("10:00-10:00", "same time"),
        ] {
            let e = day(input).unwrap_err();
            assert!(e.contains(needle), "{input}: {e}");
        }
        let many = (0..9)
            .map(|h| format!("{h:02}:00-{h:02}:30"))
            .collect::<Vec<_>>();
        assert!(day(&many.join(",")).unwrap_err().contains("At most"));
    }

    #[test]
    fn weeks_round_trip_their_stored_form_and_name_the_bad_day() {
        let w = WeeklyHours::parse([
            "09:00-17:00",
            "09:00-17:00",
            "",
            "22:00-02:00",
            "09:00-12:00,13:00-17:00",
            "",
            "closed",
        ])
        .unwrap();
        let stored = w.stored();
        assert_eq!(
            stored,
            "09:00-17:00|09:00-17:00||22:00-02:00|09:00-12:00,13:00-17:00||"
        );
        assert_eq!(WeeklyHours::from_stored(&stored), Some(w));
        assert_eq!(WeeklyHours::from_stored("09:00-17:00"), None);
        let errors = WeeklyHours::parse(["", "", "x", "", "", "", ""]).unwrap_err();
        assert_eq!(errors[0].field, "wed");
        assert!(errors[0].message.starts_with("Wednesday: "));
        assert_eq!(
            WeeklyHours::from_stored(&WeeklyHours::always_open().stored()),
            Some(WeeklyHours::always_open())
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(input in "\\PC{0,40}") {
            let _ = DayHours::parse("mon", &input);
        }

        #[test]
        fn canonical_forms_parse_to_themselves(
            spans in proptest::collection::vec((0u16..1440, 1u16..=1440), 0..4)
        ) {
            let typed: Vec<String> = spans
                .iter()
                .filter_map(|&(s, m)| Interval::new(s, m))
                .map(|i| i.to_string())
                .collect();
            if let Ok(d) = DayHours::parse("mon", &typed.join(", ")) {
                let again = DayHours::parse("mon", &d.to_string()).unwrap();
                prop_assert_eq!(&again, &d);
                for pair in d.intervals().windows(2) {
                    prop_assert!(pair[0].end() <= pair[1].start());
                }
            }
        }
    }
}
