//! What the dashboard, the call page and the API show of schedules. Wire types only (no
//! time zone database): they compile to wasm, and the browser renders their instants in
//! the caller's own time zone.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Open, closed, or out of office, right now (or at the instant asked about).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenNow {
    Open,
    Closed,
    OutOfOffice,
}

/// One opening as instants (the browser shows it in the caller's zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningSpan {
    pub opens: DateTime<Utc>,
    pub closes: DateTime<Utc>,
}

/// A business or team at an instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    pub state: OpenNow,
    /// The instant it describes.
    pub at: DateTime<Utc>,
    /// When open: when it closes (`None`: open around the clock, or no hours set).
    pub closes_at: Option<DateTime<Utc>>,
    /// When closed: when it next opens (`None`: not within 400 days).
    pub next_opening: Option<DateTime<Utc>>,
    /// When out of office: the message for callers, and until when.
    pub message: Option<String>,
    pub until: Option<DateTime<Utc>>,
    /// Whether opening hours are set at all (without, it is open around the clock).
    pub has_hours: bool,
    /// The schedule's IANA time zone (`UTC` without hours).
    pub time_zone: String,
    /// `at`, `closes_at`, `next_opening` and `until` as local `YYYY-MM-DD HH:MM` in that
    /// zone (the server's rendering; the browser re-renders in the caller's zone).
    pub at_local: String,
    pub closes_at_local: Option<String>,
    pub next_opening_local: Option<String>,
    pub until_local: Option<String>,
    /// The hours of `at`'s local date ("09:00–17:00", "Closed", "Closed: Christmas Day").
    pub day_label: String,
    /// The openings of that date, as instants.
    pub day_openings: Vec<OpeningSpan>,
}

/// A date override as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideView {
    pub id: Uuid,
    pub date: NaiveDate,
    pub name: String,
    /// Closed all day (else `hours` are the special hours).
    pub closed: bool,
    /// Canonical intervals (`10:00-14:00`), empty when closed.
    pub hours: String,
    /// As people read it: "Closed" or "10:00–14:00".
    pub label: String,
}

/// A schedule: the business's, or a team's own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    pub id: Uuid,
    /// `None`: the business's.
    pub team_id: Option<Uuid>,
    pub time_zone: String,
    /// The seven days' canonical intervals, Monday first (empty: closed).
    pub days: Vec<String>,
    /// The same as people read them ("09:00–17:00", "Closed").
    pub labels: Vec<String>,
    /// Date overrides from yesterday on, by date.
    pub overrides: Vec<OverrideView>,
    pub updated_at: DateTime<Utc>,
}

/// A team and the hours it follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamScheduleView {
    pub team_id: Uuid,
    pub team_name: String,
    /// Its own hours; `None`: it follows the business's.
    pub schedule: Option<ScheduleView>,
}

/// An out-of-office switch: the business's (`user_id` `None`) or a member's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutOfOfficeView {
    pub user_id: Option<Uuid>,
    /// The member's email (members only).
    pub email: Option<String>,
    /// The switch as set.
    pub enabled: bool,
    /// Whether it applies now (switched on and before `until`).
    pub active: bool,
    pub message: String,
    pub until: Option<DateTime<Utc>>,
    /// `until` as local `YYYY-MM-DDTHH:MM` in the business's zone (a form's value).
    pub until_local: Option<String>,
}

/// Everything the schedules page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulesView {
    /// The business's hours; `None`: not set (open around the clock).
    pub business: Option<ScheduleView>,
    pub teams: Vec<TeamScheduleView>,
    pub business_out_of_office: OutOfOfficeView,
    /// Every member's switch (off for those who never set one), by email.
    pub members_out_of_office: Vec<OutOfOfficeView>,
    /// The business now.
    pub now: StatusView,
}

/// What a holiday import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayImportView {
    /// Dates that had no override and are now closed.
    pub added: usize,
    /// Dates whose override was replaced by a closed day.
    pub replaced: usize,
    /// Calendar events with a time of day, left out.
    pub skipped_timed: usize,
    /// Repeating calendar events: only their first day was taken.
    pub recurring: usize,
}
