//! Schedules in the database: the business's and teams' opening hours, their date
//! overrides, and out-of-office switches — and [`load_snapshot`], the hub's read.
//!
//! Every query is scoped to the principal's business (another business's team, override
//! or member looks missing: `NotFound`). Owners and admins change hours and overrides and
//! the business's out-of-office; every member switches their own out-of-office (owners and
//! admins anyone's). Each change publishes `SchedulesChanged` after its transaction
//! commits, naming the business, the team or the member, so the hub drops its snapshot.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, TransactionSession, TransactionTrait};

use super::holidays::{self, clean_name};
use super::hours::{DayHours, WeeklyHours};
use super::rule::{Hours, Overrides};
use super::snapshot::{OutOfOffice, ScheduleParts, ScheduleSnapshot};
use super::views::{HolidayImportView, OutOfOfficeView, OverrideView, ScheduleView};
use super::{parse_zone, MAX_OUT_OF_OFFICE_MESSAGE};
use crate::auth::Principal;
use crate::entities::{membership, out_of_office, schedule, schedule_override, team};
use crate::events::{BusinessEventKind, EventBus};
use crate::DomainError;

/// What callers hear when an out-of-office switch has no message of its own.
pub const DEFAULT_OUT_OF_OFFICE_MESSAGE: &str = "We are out of the office right now.";

/// The hours of a stored schedule and its overrides (a row that no longer parses — a
/// time zone the database dropped — is logged and read as UTC / open around the clock).
pub(crate) fn hours_of(row: &schedule::Model, overrides: &[schedule_override::Model]) -> Hours {
    let tz = parse_zone(&row.time_zone).unwrap_or_else(|e| {
        tracing::error!(schedule = %row.id, error = %e.message, "stored time zone unreadable");
        jiff::tz::TimeZone::UTC
    });
    let weekly = WeeklyHours::from_stored(&row.weekly).unwrap_or_else(|| {
        tracing::error!(schedule = %row.id, "stored weekly hours unreadable");
        WeeklyHours::always_open()
    });
    let days = overrides
        .iter()
        .filter(|o| o.schedule_id == row.id)
        .map(|o| (o.date, day_of(o), o.name.clone()));
    Hours {
        tz,
        weekly,
        overrides: Overrides::new(days),
    }
}

/// An override's hours (unreadable ones are closed, and logged).
fn day_of(o: &schedule_override::Model) -> DayHours {
    DayHours::parse("hours", &o.hours).unwrap_or_else(|_| {
        tracing::error!(override_id = %o.id, "stored override hours unreadable");
        DayHours::closed()
    })
}

/// The business's schedules, date overrides from `since` on, and out-of-office rows.
pub(crate) async fn rows(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    since: NaiveDate,
) -> Result<
    (
        Vec<schedule::Model>,
        Vec<schedule_override::Model>,
        Vec<out_of_office::Model>,
    ),
    DbErr,
> {
    let schedules = schedule::Entity::find()
        .filter(schedule::Column::BusinessId.eq(business_id))
        .all(db)
        .await?;
    let overrides = schedule_override::Entity::find()
        .filter(schedule_override::Column::BusinessId.eq(business_id))
        .filter(schedule_override::Column::Date.gte(since))
        .order_by_asc(schedule_override::Column::Date)
        .all(db)
        .await?;
    let away = out_of_office::Entity::find()
        .filter(out_of_office::Column::BusinessId.eq(business_id))
        .all(db)
        .await?;
    Ok((schedules, overrides, away))
}

/// Builds a snapshot from stored rows.
pub(crate) fn snapshot_of(
    schedules: &[schedule::Model],
    overrides: &[schedule_override::Model],
    away: &[out_of_office::Model],
) -> ScheduleSnapshot {
    let mut parts = ScheduleParts::default();
    for row in schedules {
        let hours = hours_of(row, overrides);
        match row.team_id {
            None => parts.business = Some(hours),
            Some(team) => {
                parts.teams.insert(team, hours);
            }
        }
    }
    for row in away.iter().filter(|r| r.enabled) {
        let o = OutOfOffice {
            message: if row.message.trim().is_empty() {
                DEFAULT_OUT_OF_OFFICE_MESSAGE.to_owned()
            } else {
                row.message.clone()
            },
            until: row.until,
        };
        match row.user_id {
            None => parts.business_out_of_office = Some(o),
            Some(user) => {
                parts.members_out_of_office.insert(user, o);
            }
        }
    }
    ScheduleSnapshot::new(parts)
}

/// Everything the hub needs to answer "open?" for `business_id` without IO: three
/// queries (schedules, overrides from two days ago on, out-of-office switches).
///
/// # Errors
/// Database failures only.
pub async fn load_snapshot(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<ScheduleSnapshot, DbErr> {
    let since = Utc::now().date_naive() - Days::new(2);
    let (schedules, overrides, away) = rows(db, business_id, since).await?;
    Ok(snapshot_of(&schedules, &overrides, &away))
}

/// A schedule as listed, with its overrides.
pub(crate) fn schedule_view(
    row: &schedule::Model,
    overrides: &[schedule_override::Model],
) -> ScheduleView {
    let weekly = WeeklyHours::from_stored(&row.weekly).unwrap_or_else(WeeklyHours::always_open);
    ScheduleView {
        id: row.id,
        team_id: row.team_id,
        time_zone: row.time_zone.clone(),
        days: weekly.0.iter().map(ToString::to_string).collect(),
        labels: weekly.0.iter().map(DayHours::label).collect(),
        overrides: overrides
            .iter()
            .filter(|o| o.schedule_id == row.id)
            .map(override_view)
            .collect(),
        updated_at: row.updated_at,
    }
}

fn override_view(o: &schedule_override::Model) -> OverrideView {
    let day = day_of(o);
    OverrideView {
        id: o.id,
        date: o.date,
        name: o.name.clone(),
        closed: day.is_closed(),
        hours: day.to_string(),
        label: day.label(),
    }
}

/// A team of the principal's business, or `NotFound`.
async fn check_team(
    db: &impl ConnectionTrait,
    principal: &Principal,
    team_id: Uuid,
) -> Result<(), DomainError> {
    team::Entity::find_by_id(team_id)
        .filter(team::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .map(drop)
        .ok_or(DomainError::NotFound("team"))
}

/// The business's schedule (`team` `None`) or a team's own, if set.
async fn find_schedule(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    team: Option<Uuid>,
) -> Result<Option<schedule::Model>, DbErr> {
    let query = schedule::Entity::find().filter(schedule::Column::BusinessId.eq(business_id));
    match team {
        Some(t) => query.filter(schedule::Column::TeamId.eq(t)),
        None => query.filter(schedule::Column::TeamId.is_null()),
    }
    .one(db)
    .await
}

fn changed(events: &dyn EventBus, principal: &Principal, subject: Uuid) {
    events.publish(
        principal.business_id,
        BusinessEventKind::SchedulesChanged,
        subject,
    );
}

fn conflict(e: DbErr) -> DomainError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(
            "Someone changed these hours at the same moment; load the page again and retry."
                .to_owned(),
        ),
        _ => DomainError::Db(e),
    }
}

/// Sets the weekly hours and time zone of the business (`team` `None`) or of a team
/// (which then stops following the business's).
///
/// # Errors
/// `Forbidden` for agents; `NotFound` for a team of another business; `Validation` on
/// `time_zone` and on each day's key (`mon`…`sun`).
pub async fn set_hours(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    team: Option<Uuid>,
    time_zone: &str,
    days: [&str; 7],
) -> Result<ScheduleView, DomainError> {
    principal.require_manager()?;
    let zone = parse_zone(time_zone);
    let weekly = WeeklyHours::parse(days);
    let (tz, weekly) = match (zone, weekly) {
        (Ok(tz), Ok(w)) => (tz, w),
        (zone, weekly) => {
            let mut errors: Vec<_> = zone.err().into_iter().collect();
            errors.extend(weekly.err().unwrap_or_default());
            return Err(DomainError::Validation(errors));
        }
    };
    let name = tz.iana_name().unwrap_or("UTC").to_owned();
    let txn = crate::tx::begin_write(db).await?;
    if let Some(t) = team {
        check_team(&txn, principal, t).await?;
    }
    let now = Utc::now();
    let row = match find_schedule(&txn, principal.business_id, team).await? {
        Some(row) => {
            let mut active: schedule::ActiveModel = row.into();
            active.time_zone = Set(name);
            active.weekly = Set(weekly.stored());
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => schedule::ActiveModel {
            id: Set(Uuid::new_v4()),
            business_id: Set(principal.business_id),
            team_id: Set(team),
            time_zone: Set(name),
            weekly: Set(weekly.stored()),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(conflict)?,
    };
    let overrides = overrides_of(&txn, &row).await?;
    txn.commit().await?;
    changed(events, principal, team.unwrap_or(principal.business_id));
    Ok(schedule_view(&row, &overrides))
}

async fn overrides_of(
    db: &impl ConnectionTrait,
    row: &schedule::Model,
) -> Result<Vec<schedule_override::Model>, DbErr> {
    schedule_override::Entity::find()
        .filter(schedule_override::Column::BusinessId.eq(row.business_id))
        .filter(schedule_override::Column::ScheduleId.eq(row.id))
        .order_by_asc(schedule_override::Column::Date)
        .all(db)
        .await
}

/// Makes a team follow the business's hours again (its own hours and overrides go).
///
/// # Errors
/// `Forbidden` for agents; `NotFound` for a team of another business.
pub async fn clear_team_hours(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    team_id: Uuid,
) -> Result<(), DomainError> {
    principal.require_manager()?;
    let txn = crate::tx::begin_write(db).await?;
    check_team(&txn, principal, team_id).await?;
    if let Some(row) = find_schedule(&txn, principal.business_id, Some(team_id)).await? {
        schedule_override::Entity::delete_many()
            .filter(schedule_override::Column::ScheduleId.eq(row.id))
            .exec(&txn)
            .await?;
        schedule::Entity::delete_by_id(row.id).exec(&txn).await?;
    }
    txn.commit().await?;
    changed(events, principal, team_id);
    Ok(())
}

/// The schedule an override goes to: the business's or the team's own, which must exist.
async fn schedule_for_overrides(
    db: &impl ConnectionTrait,
    principal: &Principal,
    team: Option<Uuid>,
) -> Result<schedule::Model, DomainError> {
    if let Some(t) = team {
        check_team(db, principal, t).await?;
    }
    find_schedule(db, principal.business_id, team)
        .await?
        .ok_or_else(|| {
            DomainError::invalid(
                "date",
                match team {
                    Some(_) => "Give this team its own opening hours first; until then it follows the business's days.",
                    None => "Set your opening hours (and time zone) first; dates are in that time zone.",
                },
            )
        })
}

/// Adds (or replaces) the override of one date: closed all day (`hours` empty or
/// "closed") or special hours.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` for a team of another business; `Validation` on
/// `date`, `hours` or `name`, or when the schedule has no hours yet.
pub async fn set_override(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    team: Option<Uuid>,
    date: &str,
    hours: &str,
    name: &str,
) -> Result<OverrideView, DomainError> {
    principal.require_manager()?;
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| DomainError::invalid("date", "Enter a date like 2025-12-24."))?;
    let day = DayHours::parse("hours", hours).map_err(|e| DomainError::Validation(vec![e]))?;
    let txn = crate::tx::begin_write(db).await?;
    let schedule = schedule_for_overrides(&txn, principal, team).await?;
    let existing = schedule_override::Entity::find()
        .filter(schedule_override::Column::ScheduleId.eq(schedule.id))
        .filter(schedule_override::Column::Date.eq(date))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(row) => {
            let mut active: schedule_override::ActiveModel = row.into();
            active.name = Set(clean_name(name));
            active.hours = Set(day.to_string());
            active.update(&txn).await?
        }
        None => schedule_override::ActiveModel {
            id: Set(Uuid::new_v4()),
            business_id: Set(principal.business_id),
            schedule_id: Set(schedule.id),
            date: Set(date),
            name: Set(clean_name(name)),
            hours: Set(day.to_string()),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await
        .map_err(conflict)?,
    };
    txn.commit().await?;
    changed(events, principal, team.unwrap_or(principal.business_id));
    Ok(override_view(&row))
}

/// Removes a date override.
///
/// # Errors
/// `Forbidden` for agents; `NotFound` when it is not one of this business's.
pub async fn remove_override(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
) -> Result<(), DomainError> {
    principal.require_manager()?;
    let done = schedule_override::Entity::delete_many()
        .filter(schedule_override::Column::Id.eq(id))
        .filter(schedule_override::Column::BusinessId.eq(principal.business_id))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::NotFound("date override"));
    }
    changed(events, principal, principal.business_id);
    Ok(())
}

/// Closes every day of a pasted list or iCalendar file (replacing those dates' overrides).
///
/// # Errors
/// `Forbidden` for agents; `NotFound` for a team of another business; `Validation` on
/// `holidays` naming the line that is not understood.
pub async fn import_holidays(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    team: Option<Uuid>,
    text: &str,
) -> Result<HolidayImportView, DomainError> {
    principal.require_manager()?;
    let import = holidays::parse(text).map_err(|e| DomainError::Validation(vec![e]))?;
    let txn = crate::tx::begin_write(db).await?;
    let schedule = schedule_for_overrides(&txn, principal, team).await?;
    let existing: HashMap<NaiveDate, schedule_override::Model> = schedule_override::Entity::find()
        .filter(schedule_override::Column::ScheduleId.eq(schedule.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|o| (o.date, o))
        .collect();
    let (mut fresh, mut replaced) = (Vec::new(), 0);
    for day in &import.days {
        match existing.get(&day.date) {
            Some(row) => {
                replaced += 1;
                let mut active: schedule_override::ActiveModel = row.clone().into();
                active.name = Set(day.name.clone());
                active.hours = Set(String::new());
                active.update(&txn).await?;
            }
            None => fresh.push(schedule_override::ActiveModel {
                id: Set(Uuid::new_v4()),
                business_id: Set(principal.business_id),
                schedule_id: Set(schedule.id),
                date: Set(day.date),
                name: Set(day.name.clone()),
                hours: Set(String::new()),
                created_at: Set(Utc::now()),
            }),
        }
    }
    let added = fresh.len();
    for chunk in fresh.chunks(200) {
        schedule_override::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await
            .map_err(conflict)?;
    }
    txn.commit().await?;
    changed(events, principal, team.unwrap_or(principal.business_id));
    Ok(HolidayImportView {
        added,
        replaced,
        skipped_timed: import.skipped_timed,
        recurring: import.recurring,
    })
}

/// When an out-of-office ends: an instant, or a local time in the business's zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    At(DateTime<Utc>),
    Local(NaiveDateTime),
}

/// Switches the business's out-of-office (`user` `None`; owners and admins) or a member's
/// (themselves, or anyone for owners and admins), with the message callers hear and an
/// optional end after which it no longer applies.
///
/// # Errors
/// `Forbidden` for an agent switching the business or a colleague; `NotFound` for
/// someone who is not a member; `Validation` on `message` (too long) or `until` (past).
pub async fn set_out_of_office(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    user: Option<Uuid>,
    enabled: bool,
    message: &str,
    until: Option<Until>,
) -> Result<OutOfOfficeView, DomainError> {
    if user != Some(principal.user_id) {
        principal.require_manager()?;
    }
    let message: String = message
        .trim()
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    if message.chars().count() > MAX_OUT_OF_OFFICE_MESSAGE {
        return Err(DomainError::invalid(
            "message",
            format!("Keep the message under {MAX_OUT_OF_OFFICE_MESSAGE} characters."),
        ));
    }
    let txn = crate::tx::begin_write(db).await?;
    let email = match user {
        Some(u) => Some(member_email(&txn, principal.business_id, u).await?),
        None => None,
    };
    let business_hours = find_schedule(&txn, principal.business_id, None).await?;
    let tz = business_hours
        .as_ref()
        .map_or(jiff::tz::TimeZone::UTC, |row| hours_of(row, &[]).tz);
    let now = Utc::now();
    let until = match until {
        None => None,
        Some(Until::At(at)) => Some(at),
        Some(Until::Local(local)) => Some(local_instant(&tz, local)?),
    };
    if enabled && until.is_some_and(|u| u <= now) {
        return Err(DomainError::invalid(
            "until",
            "Pick an end in the future, or leave it empty to stay out until you switch it off.",
        ));
    }
    let query = out_of_office::Entity::find()
        .filter(out_of_office::Column::BusinessId.eq(principal.business_id));
    let existing = match user {
        Some(u) => query.filter(out_of_office::Column::UserId.eq(u)),
        None => query.filter(out_of_office::Column::UserId.is_null()),
    }
    .one(&txn)
    .await?;
    let row = match existing {
        Some(row) => {
            let mut active: out_of_office::ActiveModel = row.into();
            active.enabled = Set(enabled);
            active.message = Set(message);
            active.until = Set(until);
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => out_of_office::ActiveModel {
            id: Set(Uuid::new_v4()),
            business_id: Set(principal.business_id),
            user_id: Set(user),
            enabled: Set(enabled),
            message: Set(message),
            until: Set(until),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(conflict)?,
    };
    txn.commit().await?;
    changed(events, principal, user.unwrap_or(principal.business_id));
    Ok(super::present::out_of_office_view(
        Some(&row),
        user,
        email,
        &tz,
        now,
    ))
}

/// The instant of a local time in `tz` (a skipped time is the instant the clocks jump).
fn local_instant(
    tz: &jiff::tz::TimeZone,
    local: NaiveDateTime,
) -> Result<DateTime<Utc>, DomainError> {
    let hours = Hours {
        tz: tz.clone(),
        weekly: WeeklyHours::default(),
        overrides: Overrides::default(),
    };
    hours
        .rule()
        .instant_of(local)
        .ok_or_else(|| DomainError::invalid("until", "That date is out of range."))
}

/// A member's email, or `NotFound` when they are not a member of `business_id`.
async fn member_email(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    user_id: Uuid,
) -> Result<String, DomainError> {
    membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(business_id))
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("member"))?;
    Ok(crate::routing_setup::member_names(db, business_id)
        .await?
        .remove(&user_id)
        .map(|name| name.email)
        .unwrap_or_default())
}
