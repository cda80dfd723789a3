//! Opening hours and out-of-office (the patent's claims 14–15): when a business — or a
//! team with hours of its own — takes calls, and who is away.
//!
//! - [`hours`] and [`holidays`] parse what people type or paste (intervals, overnight
//!   ones, holiday lists, iCalendar files); [`views`] are the wire types. These are pure
//!   and compile to wasm.
//! - [`rule`] answers "open now?", "closes at" and "next opening" at an instant in the
//!   schedule's IANA time zone, across daylight-saving changes; [`snapshot`] holds a
//!   business's schedules in memory for the signaling hub ([`availability`], and
//!   [`Scheduled`] for `plan_ring`); [`store`] reads and writes them (every query scoped
//!   to the principal's business) and publishes `SchedulesChanged`.
//!
//! A business that never set hours is open around the clock, as it was before schedules
//! existed; out-of-office beats hours, date overrides beat the weekly hours, and a team
//! without hours of its own follows the business's.

pub mod holidays;
pub mod hours;
pub mod views;

#[cfg(feature = "db")]
pub mod present;
#[cfg(feature = "db")]
pub mod rule;
#[cfg(all(test, feature = "db"))]
mod rule_tests;
#[cfg(feature = "db")]
pub mod snapshot;
#[cfg(all(test, feature = "db"))]
mod snapshot_tests;
#[cfg(feature = "db")]
pub mod store;

pub use holidays::{Holiday, HolidayImport, MAX_OVERRIDE_NAME};
pub use hours::{DayHours, Interval, WeeklyHours, WEEKDAYS, WEEKDAY_KEYS};
pub use views::{
    HolidayImportView, OpenNow, OpeningSpan, OutOfOfficeView, OverrideView, ScheduleView,
    SchedulesView, StatusView, TeamScheduleView,
};

#[cfg(feature = "db")]
pub use rule::{Hours, OpenState, Overrides, Rule};
#[cfg(feature = "db")]
pub use snapshot::{
    availability, CallAvailability, OutOfOffice, ScheduleParts, ScheduleSnapshot, Scheduled, Status,
};
#[cfg(feature = "db")]
pub use store::load_snapshot;

/// The longest out-of-office message, in characters.
pub const MAX_OUT_OF_OFFICE_MESSAGE: usize = 500;

/// Parses an IANA time zone name as typed (`europe/berlin` is `Europe/Berlin`).
///
/// # Errors
/// A [`crate::types::FieldError`] on `time_zone` for anything the time zone database does
/// not know by name (fixed offsets and POSIX strings included).
#[cfg(feature = "db")]
pub fn parse_zone(input: &str) -> Result<jiff::tz::TimeZone, crate::types::FieldError> {
    let name = input.trim();
    let refuse = || {
        crate::types::FieldError {
        field: "time_zone".to_owned(),
        message: format!(
            "\u{201c}{}\u{201d} is not a time zone we know; use a name like Europe/Berlin or America/New_York.",
            holidays::clean_name(name)
        ),
    }
    };
    if name.is_empty() || name.len() > 64 {
        return Err(refuse());
    }
    let tz = jiff::tz::db().get(name).map_err(|_| refuse())?;
    if tz.iana_name().is_none() {
        return Err(refuse());
    }
    Ok(tz)
}

/// Every time zone name the database knows, sorted (for the dashboard's suggestions).
#[cfg(feature = "db")]
#[must_use]
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_owned())
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("posix"))
        .collect();
    names.sort();
    names.push("UTC".to_owned());
    names
}
