//! Lists of closed days, as people bring them: pasted lines (`2025-12-25 Christmas`) or an
//! iCalendar file exported from a calendar (all-day `VEVENT`s with `DTSTART`, `DTEND`,
//! `SUMMARY`).
//!
//! A small, careful parser rather than a calendar crate: holiday feeds only need unfolded
//! content lines, three properties and date values, and garbage must be refused with the
//! line it was found on. Timed events and recurrence rules are not closed days; they are
//! counted and reported, never guessed at. Pure (compiles to wasm).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::types::FieldError;

/// The longest name of a closed day or special-hours date.
pub const MAX_OVERRIDE_NAME: usize = 100;
/// The most days one import may add.
pub const MAX_IMPORTED_DAYS: usize = 1000;
/// The longest text one import may send, in bytes.
pub const MAX_IMPORT_BYTES: usize = 256 * 1024;
/// The longest all-day event we spread over its days (a longer one is refused).
const MAX_EVENT_DAYS: u64 = 60;

/// One closed day read from a list or a calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    /// What the day is (may be empty).
    pub name: String,
}

/// What an import read: the days, and what it left out on purpose.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayImport {
    /// Sorted by date, each date once (the first name wins).
    pub days: Vec<Holiday>,
    /// Calendar events with a time of day (not whole closed days), skipped.
    pub skipped_timed: usize,
    /// Calendar events that repeat (`RRULE`): only their first day was taken.
    pub recurring: usize,
}

fn error(message: impl Into<String>) -> FieldError {
    FieldError {
        field: "holidays".to_owned(),
        message: message.into(),
    }
}

/// A name as stored: trimmed, control characters dropped, at most
/// [`MAX_OVERRIDE_NAME`] characters.
#[must_use]
pub fn clean_name(input: &str) -> String {
    input
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_OVERRIDE_NAME)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Parses pasted text: an iCalendar file (it starts with `BEGIN:VCALENDAR`), else one
/// `YYYY-MM-DD name` per line (blank lines and lines starting with `#` are ignored).
///
/// # Errors
/// A [`FieldError`] on `holidays` naming the first line that is not understood, or saying
/// the text is empty, too long or has too many days.
pub fn parse(text: &str) -> Result<HolidayImport, FieldError> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(error(format!(
            "That is too long to import (at most {} KiB).",
            MAX_IMPORT_BYTES / 1024
        )));
    }
    let text = text.trim_start_matches('\u{feff}');
    let looks_ics = text
        .trim_start()
        .get(..15)
        .is_some_and(|s| s.eq_ignore_ascii_case("BEGIN:VCALENDAR"));
    let mut import = if looks_ics {
        parse_ics(text)?
    } else {
        parse_list(text)?
    };
    import.days.sort_by_key(|h| h.date);
    import.days.dedup_by_key(|h| h.date);
    if import.days.is_empty() {
        return Err(error(if looks_ics {
            "That calendar has no all-day events to import."
        } else {
            "Paste one date per line, like 2025-12-25 Christmas Day."
        }));
    }
    if import.days.len() > MAX_IMPORTED_DAYS {
        return Err(error(format!(
            "That is {} days; import at most {MAX_IMPORTED_DAYS} at once.",
            import.days.len()
        )));
    }
    Ok(import)
}

/// `YYYY-MM-DD name` lines.
fn parse_list(text: &str) -> Result<HolidayImport, FieldError> {
    let mut days = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (date, name) = line
            .split_once(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .unwrap_or((line, ""));
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
            error(format!(
                "Line {}: \u{201c}{}\u{201d} is not a date; start each line with YYYY-MM-DD.",
                n + 1,
                clean_name(date)
            ))
        })?;
        days.push(Holiday {
            date,
            name: clean_name(name.trim_start_matches([',', ';'])),
        });
    }
    Ok(HolidayImport {
        days,
        ..HolidayImport::default()
    })
}

/// An iCalendar file's all-day events.
fn parse_ics(text: &str) -> Result<HolidayImport, FieldError> {
    let mut import = HolidayImport::default();
    let mut event: Option<Event> = None;
    let mut ended = false;
    for (n, line) in unfold(text) {
        let bad = |what: &str| error(format!("Line {n} of the calendar: {what}"));
        let Some((head, value)) = line.split_once(':') else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(bad("this is not an iCalendar property (NAME:value)."));
        };
        let mut params = head.split(';');
        let name = params
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase();
        let is_date = params.any(|p| p.trim().eq_ignore_ascii_case("VALUE=DATE"));
        match (name.as_str(), &mut event) {
            ("BEGIN", None) if value.trim().eq_ignore_ascii_case("VEVENT") => {
                event = Some(Event::default());
            }
            ("END", Some(e)) if value.trim().eq_ignore_ascii_case("VEVENT") => {
                e.finish(&mut import).map_err(|m| bad(&m))?;
                event = None;
            }
            ("END", None) if value.trim().eq_ignore_ascii_case("VCALENDAR") => ended = true,
            ("DTSTART", Some(e)) => {
                e.start = Some(date_value(value, is_date).map_err(|m| bad(&m))?)
            }
            ("DTEND", Some(e)) => e.end = Some(date_value(value, is_date).map_err(|m| bad(&m))?),
            ("SUMMARY", Some(e)) => e.summary = unescape(value),
            ("RRULE", Some(e)) => e.recurring = true,
            _ => {}
        }
    }
    if event.is_some() || !ended {
        return Err(error(
            "The calendar ends in the middle (a BEGIN without its END); export it again.",
        ));
    }
    Ok(import)
}

/// A `DTSTART`/`DTEND` value: a date (`20251225`), or a date-time (`20251225T090000Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum When {
    Day(NaiveDate),
    Timed(NaiveDate),
}

fn date_value(value: &str, is_date: bool) -> Result<When, String> {
    let v = value.trim();
    let day = v.get(..8).filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    let date = day
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        .ok_or_else(|| {
            format!(
                "\u{201c}{}\u{201d} is not a date (YYYYMMDD).",
                clean_name(v)
            )
        })?;
    match v.len() {
        8 => Ok(When::Day(date)),
        _ if !is_date && v.as_bytes().get(8) == Some(&b'T') => Ok(When::Timed(date)),
        _ => Err(format!(
            "\u{201c}{}\u{201d} is not a date (YYYYMMDD).",
            clean_name(v)
        )),
    }
}

/// One `VEVENT` being read.
#[derive(Default)]
struct Event {
    start: Option<When>,
    end: Option<When>,
    summary: String,
    recurring: bool,
}

impl Event {
    fn finish(&self, import: &mut HolidayImport) -> Result<(), String> {
        let start = match self.start {
            Some(When::Day(d)) => d,
            Some(When::Timed(_)) => {
                import.skipped_timed += 1;
                return Ok(());
            }
            None => return Err("an event without DTSTART.".to_owned()),
        };
        // DTEND of an all-day event is the day after its last (RFC 5545 3.6.1).
        let last = match self.end {
            Some(When::Day(end)) if end > start => end.pred_opt().unwrap_or(start),
            Some(When::Day(_) | When::Timed(_)) | None => start,
        };
        let days = (last - start).num_days().unsigned_abs();
        if days >= MAX_EVENT_DAYS {
            return Err(format!(
                "\u{201c}{}\u{201d} lasts {} days; closed periods import up to {MAX_EVENT_DAYS} days.",
                clean_name(&self.summary),
                days + 1
            ));
        }
        if self.recurring {
            import.recurring += 1;
        }
        for i in 0..=days {
            if let Some(date) = start.checked_add_days(Days::new(i)) {
                import.days.push(Holiday {
                    date,
                    name: clean_name(&self.summary),
                });
            }
        }
        if import.days.len() > MAX_IMPORTED_DAYS {
            return Err(format!(
                "more than {MAX_IMPORTED_DAYS} days; import at most that many at once."
            ));
        }
        Ok(())
    }
}

/// Content lines with folding undone (a line starting with a space or tab continues the
/// previous one), numbered from 1 by the line they start on.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((n + 1, raw.to_owned())),
        }
    }
    lines
}

/// A `TEXT` value with its escapes (`\,` `\;` `\n` `\\`) undone.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn pasted_lists_give_sorted_unique_days() {
        let import = parse(
            "# public holidays\n2025-12-26 Boxing Day\n\n2025-12-25\tChristmas Day\n2026-01-01\n2025-12-25 again\n",
        )
        .unwrap();
        let got: Vec<_> = import
            .days
            .iter()
            .map(|h| (h.date, h.name.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (d(2025, 12, 25), "Christmas Day"),
                (d(2025, 12, 26), "Boxing Day"),
                (d(2026, 1, 1), ""),
            ]
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        let e = parse("2025-12-25 Christmas\n25/12/2025 Boxing Day\n").unwrap_err();
        assert_eq!(e.field, "holidays");
        assert!(e.message.starts_with("Line 2:"), "{}", e.message);
        assert!(parse("2025-02-30 nope")
            .unwrap_err()
            .message
            .contains("not a date"));
        assert!(parse("  \n# nothing\n")
            .unwrap_err()
            .message
            .contains("one date per line"));
    }

    const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Holidays//EN\r\n\
BEGIN:VEVENT\r\nUID:1@example.com\r\nDTSTART;VALUE=DATE:20251225\r\nDTEND;VALUE=DATE:20251227\r\n\
SUMMARY:Christmas\\, Boxing Day\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2@example.com\r\nDTSTART;VALUE=DATE:20260101\r\nSUMMARY:New Year's \r\n Day\r\n\
RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:3@example.com\r\nDTSTART:20251224T090000Z\r\nDTEND:20251224T120000Z\r\n\
SUMMARY:Team lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn ics_all_day_events_become_closed_days() {
        let import = parse(ICS).unwrap();
        let got: Vec<_> = import
            .days
            .iter()
            .map(|h| (h.date, h.name.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (d(2025, 12, 25), "Christmas, Boxing Day"),
                (d(2025, 12, 26), "Christmas, Boxing Day"),
                (d(2026, 1, 1), "New Year's Day"),
            ]
        );
        assert_eq!(import.skipped_timed, 1);
        assert_eq!(import.recurring, 1);
    }

    #[test]
    fn garbage_calendars_are_refused_with_the_line() {
        let cut = &ICS[..ICS.find("END:VEVENT").unwrap()];
        assert!(parse(cut)
            .unwrap_err()
            .message
            .contains("ends in the middle"));
        let bad_date = ICS.replace("20251225", "2025-12-25");
        let e = parse(&bad_date).unwrap_err().message;
        assert!(e.starts_with("Line 6 of the calendar"), "{e}");
        let long = ICS.replace("DTEND;VALUE=DATE:20251227", "DTEND;VALUE=DATE:20261227");
        assert!(parse(&long).unwrap_err().message.contains("lasts"));
        let no_start = ICS.replace("DTSTART;VALUE=DATE:20251225\r\n", "");
        assert!(parse(&no_start)
            .unwrap_err()
            .message
            .contains("without DTSTART"));
        let junk = "BEGIN:VCALENDAR\r\nthis is not a calendar\r\nEND:VCALENDAR\r\n";
        assert!(parse(junk)
            .unwrap_err()
            .message
            .contains("not an iCalendar property"));
        let only_timed = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20251224T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert!(parse(only_timed)
            .unwrap_err()
            .message
            .contains("no all-day events"));
        assert!(parse(&"x".repeat(MAX_IMPORT_BYTES + 1))
            .unwrap_err()
            .message
            .contains("too long"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  a\u{7}b  "), "ab");
        assert_eq!(
            clean_name(&"é".repeat(300)).chars().count(),
            MAX_OVERRIDE_NAME
        );
    }

    proptest! {
        #[test]
        fn imports_never_panic(text in "\\PC{0,200}") {
            let _ = parse(&text);
            let _ = parse(&format!("BEGIN:VCALENDAR\r\n{text}\r\nEND:VCALENDAR"));
        }
    }
}
