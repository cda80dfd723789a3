//! Schedules as people read them: the schedules page, the "open at…?" preview, and the
//! call page's line. Reads only; every query scoped to one business.

use chrono::{DateTime, Days, NaiveDateTime, Utc};
use jiff::tz::TimeZone;
use sea_orm::prelude::*;

use super::rule::{local_text, Rule};
use super::snapshot::{ScheduleSnapshot, Status};
use super::store::{rows, schedule_view, snapshot_of};
use super::views::{
    OpenNow, OpeningSpan, OutOfOfficeView, SchedulesView, StatusView, TeamScheduleView,
};
use crate::auth::Principal;
use crate::entities::out_of_office;
use crate::DomainError;

/// The business (`team` `None`) or a team at `at`, for people.
#[must_use]
pub fn status_view(
    snapshot: &ScheduleSnapshot,
    team: Option<Uuid>,
    at: DateTime<Utc>,
) -> StatusView {
    let rule = match team {
        Some(t) => snapshot.team_rule(t),
        None => snapshot.business_rule(),
    };
    let utc = TimeZone::UTC;
    let tz = rule.map_or(&utc, |r| r.time_zone());
    let local = |t: DateTime<Utc>| local_text(tz, t);
    let (state, closes_at, next_opening, message, until) = match snapshot.status(team, at) {
        Status::Open { closes_at } => (OpenNow::Open, closes_at, None, None, None),
        Status::Closed { next_opening } => (OpenNow::Closed, None, next_opening, None, None),
        Status::OutOfOffice { message, until } => (
            OpenNow::OutOfOffice,
            None,
            rule.and_then(|r| r.next_opening(until.unwrap_or(at))),
            Some(message.to_owned()),
            until,
        ),
    };
    let (day_label, day_openings) = rule.map_or_else(
        || ("Open around the clock".to_owned(), Vec::new()),
        |r| day_of(r, at),
    );
    StatusView {
        state,
        at,
        closes_at,
        next_opening,
        message,
        until,
        has_hours: rule.is_some(),
        time_zone: rule.map_or("UTC", |r| r.zone()).to_owned(),
        at_local: local(at),
        closes_at_local: closes_at.map(local),
        next_opening_local: next_opening.map(local),
        until_local: until.map(local),
        day_label,
        day_openings,
    }
}

/// `at`'s local date under `rule`: its hours as people read them, and its openings.
fn day_of(rule: Rule<'_>, at: DateTime<Utc>) -> (String, Vec<OpeningSpan>) {
    let date = rule.local_date(at);
    let hours = rule.hours_on(date);
    let label = match rule.override_on(date) {
        Some((h, name)) if !name.is_empty() && h.is_closed() => format!("Closed: {name}"),
        Some((h, name)) if !name.is_empty() => format!("{} ({name})", h.label()),
        _ => hours.label(),
    };
    let openings = rule
        .intervals_on(date)
        .into_iter()
        .map(|(opens, closes)| OpeningSpan { opens, closes })
        .collect();
    (label, openings)
}

/// An out-of-office switch as listed (`row` `None`: never set, so off).
pub(crate) fn out_of_office_view(
    row: Option<&out_of_office::Model>,
    user_id: Option<Uuid>,
    email: Option<String>,
    tz: &TimeZone,
    now: DateTime<Utc>,
) -> OutOfOfficeView {
    let enabled = row.is_some_and(|r| r.enabled);
    let until = row.and_then(|r| r.until);
    OutOfOfficeView {
        user_id,
        email,
        enabled,
        active: enabled && until.is_none_or(|u| now < u),
        message: row.map(|r| r.message.clone()).unwrap_or_default(),
        until,
        until_local: until.map(|u| local_text(tz, u).replacen(' ', "T", 1)),
    }
}

/// Everything the schedules page shows (every member may read it).
///
/// # Errors
/// Database failures only.
pub async fn view(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<SchedulesView, DomainError> {
    let business_id = principal.business_id;
    let now = Utc::now();
    let since = now.date_naive() - Days::new(1);
    let (schedules, overrides, away) = rows(db, business_id, since).await?;
    let snapshot = snapshot_of(&schedules, &overrides, &away);
    let business = schedules.iter().find(|s| s.team_id.is_none());
    let tz = snapshot
        .business_rule()
        .map_or(TimeZone::UTC, |r| r.time_zone().clone());
    let teams = crate::routing_setup::teams::rows(db, business_id)
        .await?
        .into_iter()
        .map(|t| TeamScheduleView {
            schedule: schedules
                .iter()
                .find(|s| s.team_id == Some(t.id))
                .map(|s| schedule_view(s, &overrides)),
            team_id: t.id,
            team_name: t.name,
        })
        .collect();
    let mut members: Vec<(Uuid, String)> = crate::routing_setup::member_names(db, business_id)
        .await?
        .into_iter()
        .map(|(id, name)| (id, name.email))
        .collect();
    members.sort_by(|a, b| a.1.cmp(&b.1));
    let row_of = |user: Option<Uuid>| away.iter().find(|r| r.user_id == user);
    Ok(SchedulesView {
        business: business.map(|s| schedule_view(s, &overrides)),
        teams,
        business_out_of_office: out_of_office_view(row_of(None), None, None, &tz, now),
        members_out_of_office: members
            .into_iter()
            .map(|(user, email)| {
                out_of_office_view(row_of(Some(user)), Some(user), Some(email), &tz, now)
            })
            .collect(),
        now: status_view(&snapshot, None, now),
    })
}

/// The instant a preview asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When<'a> {
    Now,
    At(DateTime<Utc>),
    /// A local date and time in the schedule's zone (`YYYY-MM-DDTHH:MM`, as a
    /// `datetime-local` input sends it; empty: now).
    Local(&'a str),
}

/// The business (`team` `None`) or a team at an instant or at a local time in its zone.
///
/// # Errors
/// `NotFound` for a team of another business; `Validation` on `at` when a local time is
/// not a date and time.
pub async fn preview(
    db: &impl ConnectionTrait,
    principal: &Principal,
    team: Option<Uuid>,
    when: When<'_>,
) -> Result<StatusView, DomainError> {
    let business_id = principal.business_id;
    if let Some(t) = team {
        crate::routing_setup::teams::rows(db, business_id)
            .await?
            .iter()
            .find(|row| row.id == t)
            .ok_or(DomainError::NotFound("team"))?;
    }
    let text = match when {
        When::Local(text) => text.trim(),
        When::Now | When::At(_) => "",
    };
    let local = match text {
        "" => None,
        text => Some(
            ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                .ok_or_else(|| {
                    DomainError::invalid("at", "Enter a date and time like 2025-12-24T18:30.")
                })?,
        ),
    };
    let fixed = match when {
        When::At(at) => at,
        When::Now | When::Local(_) => Utc::now(),
    };
    let since = local.map_or_else(|| fixed.date_naive(), |l| l.date()) - Days::new(2);
    let (schedules, overrides, away) = rows(db, business_id, since).await?;
    let snapshot = snapshot_of(&schedules, &overrides, &away);
    let rule = match team {
        Some(t) => snapshot.team_rule(t),
        None => snapshot.business_rule(),
    };
    let instant = match (local, rule) {
        (None, _) => Some(fixed),
        (Some(l), Some(r)) => r.instant_of(l),
        (Some(l), None) => Some(l.and_utc()),
    }
    .ok_or_else(|| DomainError::invalid("at", "That date is out of range."))?;
    Ok(status_view(&snapshot, team, instant))
}

/// The call page's line for `business_id` at `at`: `None` when it has neither hours nor
/// an out-of-office switched on (then it is open around the clock, as before schedules).
///
/// # Errors
/// Database failures only.
pub async fn call_page_status(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<StatusView>, DomainError> {
    let since = at.date_naive() - Days::new(2);
    let (schedules, overrides, away) = rows(db, business_id, since).await?;
    let snapshot = snapshot_of(&schedules, &overrides, &away);
    if snapshot.business_rule().is_none() && snapshot.business_out_of_office(at).is_none() {
        return Ok(None);
    }
    Ok(Some(status_view(&snapshot, None, at)))
}
