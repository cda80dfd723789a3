//! Opening hours and out-of-office over GraphQL (API keys included). Thin: parse ids, call
//! `entity::schedules`, map the views. Every member reads; owners and admins change hours,
//! date overrides and the business's out-of-office; every member switches their own.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use entity::schedules::present::{self, When};
use entity::schedules::store::{self, Until};
use entity::schedules::{self as sched, views};
use entity::DomainError;
use uuid::Uuid;

use super::context::ContextExt;
use super::error::{gql, GqlResult};

fn parse_id(id: &ID, what: &'static str) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound(what)))
}

fn team_of(team_id: Option<&ID>) -> Result<Option<Uuid>> {
    team_id.map(|t| parse_id(t, "team")).transpose()
}

/// Open, closed, or out of office.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OpeningState {
    Open,
    Closed,
    OutOfOffice,
}

/// One opening, as instants.
#[derive(SimpleObject)]
pub struct OpeningSpan {
    pub opens: DateTime<Utc>,
    pub closes: DateTime<Utc>,
}

/// The business or a team at an instant.
#[derive(SimpleObject)]
pub struct OpeningStatus {
    pub state: OpeningState,
    /// The instant described.
    pub at: DateTime<Utc>,
    /// When open: when it closes (null: around the clock, or no hours set).
    pub closes_at: Option<DateTime<Utc>>,
    /// When closed (or out of office): when the hours next open.
    pub next_opening: Option<DateTime<Utc>>,
    /// When out of office: the message for callers, and until when.
    pub message: Option<String>,
    pub until: Option<DateTime<Utc>>,
    /// Whether opening hours are set (without, it is open around the clock).
    pub has_hours: bool,
    /// The IANA time zone of the hours (`UTC` without).
    pub time_zone: String,
    /// `at` as local `YYYY-MM-DD HH:MM` in that zone.
    pub at_local: String,
    pub closes_at_local: Option<String>,
    pub next_opening_local: Option<String>,
    /// The hours of `at`'s local date, as people read them.
    pub day_hours: String,
    /// The openings of that date.
    pub day_openings: Vec<OpeningSpan>,
}

impl From<views::StatusView> for OpeningStatus {
    fn from(s: views::StatusView) -> Self {
        Self {
            state: match s.state {
                views::OpenNow::Open => OpeningState::Open,
                views::OpenNow::Closed => OpeningState::Closed,
                views::OpenNow::OutOfOffice => OpeningState::OutOfOffice,
            },
            at: s.at,
            closes_at: s.closes_at,
            next_opening: s.next_opening,
            message: s.message,
            until: s.until,
            has_hours: s.has_hours,
            time_zone: s.time_zone,
            at_local: s.at_local,
            closes_at_local: s.closes_at_local,
            next_opening_local: s.next_opening_local,
            day_hours: s.day_label,
            day_openings: s
                .day_openings
                .into_iter()
                .map(|o| OpeningSpan {
                    opens: o.opens,
                    closes: o.closes,
                })
                .collect(),
        }
    }
}

/// A date whose hours replace the weekly ones.
#[derive(SimpleObject)]
pub struct DateOverride {
    pub id: ID,
    /// The local date, in the schedule's time zone.
    pub date: NaiveDate,
    pub name: String,
    /// Closed all day (else `hours` are the special hours).
    pub closed: bool,
    /// Intervals like `10:00-14:00`; empty when closed.
    pub hours: String,
}

impl From<views::OverrideView> for DateOverride {
    fn from(o: views::OverrideView) -> Self {
        Self {
            id: ID(o.id.to_string()),
            date: o.date,
            name: o.name,
            closed: o.closed,
            hours: o.hours,
        }
    }
}

/// Weekly hours in a time zone, with date overrides: the business's or a team's own.
#[derive(SimpleObject)]
pub struct Schedule {
    pub id: ID,
    /// Null: the business's.
    pub team_id: Option<ID>,
    pub time_zone: String,
    /// Each day's intervals (`09:00-12:00,13:00-17:00`; empty: closed), Monday first.
    pub monday: String,
    pub tuesday: String,
    pub wednesday: String,
    pub thursday: String,
    pub friday: String,
    pub saturday: String,
    pub sunday: String,
    /// Date overrides from yesterday on, by date.
    pub overrides: Vec<DateOverride>,
    pub updated_at: DateTime<Utc>,
}

impl From<views::ScheduleView> for Schedule {
    fn from(s: views::ScheduleView) -> Self {
        let day = |i: usize| s.days.get(i).cloned().unwrap_or_default();
        Self {
            id: ID(s.id.to_string()),
            team_id: s.team_id.map(|t| ID(t.to_string())),
            time_zone: s.time_zone.clone(),
            monday: day(0),
            tuesday: day(1),
            wednesday: day(2),
            thursday: day(3),
            friday: day(4),
            saturday: day(5),
            sunday: day(6),
            overrides: s.overrides.into_iter().map(Into::into).collect(),
            updated_at: s.updated_at,
        }
    }
}

/// A team and the hours it follows.
#[derive(SimpleObject)]
pub struct TeamSchedule {
    pub team_id: ID,
    pub team_name: String,
    /// Its own hours; null: it follows the business's.
    pub schedule: Option<Schedule>,
}

/// An out-of-office switch: the business's (`userId` null) or a member's.
#[derive(SimpleObject)]
pub struct OutOfOffice {
    pub user_id: Option<ID>,
    pub email: Option<String>,
    /// The switch as set.
    pub enabled: bool,
    /// Whether it applies now (on, and before `until`).
    pub active: bool,
    pub message: String,
    pub until: Option<DateTime<Utc>>,
}

impl From<views::OutOfOfficeView> for OutOfOffice {
    fn from(o: views::OutOfOfficeView) -> Self {
        Self {
            user_id: o.user_id.map(|u| ID(u.to_string())),
            email: o.email,
            enabled: o.enabled,
            active: o.active,
            message: o.message,
            until: o.until,
        }
    }
}

/// Everything about when the business takes calls.
#[derive(SimpleObject)]
pub struct Schedules {
    /// Null: no hours set (open around the clock).
    pub business: Option<Schedule>,
    pub teams: Vec<TeamSchedule>,
    pub business_out_of_office: OutOfOffice,
    pub members_out_of_office: Vec<OutOfOffice>,
    /// The business now.
    pub now: OpeningStatus,
}

/// What `importHolidays` did.
#[derive(SimpleObject)]
pub struct HolidayImport {
    pub added: i32,
    pub replaced: i32,
    /// Calendar events with a time of day, left out.
    pub skipped_timed: i32,
    /// Repeating calendar events: only their first day was taken.
    pub recurring: i32,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Weekly hours to set. Each day: intervals like `09:00-12:00, 13:00-17:00`, `22:00-02:00`
/// for overnight, empty (the default) for closed.
#[derive(InputObject)]
pub struct OpeningHoursInput {
    /// Null: the business's hours; else a team's own.
    pub team_id: Option<ID>,
    /// An IANA time zone name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    #[graphql(default)]
    pub monday: String,
    #[graphql(default)]
    pub tuesday: String,
    #[graphql(default)]
    pub wednesday: String,
    #[graphql(default)]
    pub thursday: String,
    #[graphql(default)]
    pub friday: String,
    #[graphql(default)]
    pub saturday: String,
    #[graphql(default)]
    pub sunday: String,
}

/// One date's hours: closed (`hours` empty, the default) or special hours.
#[derive(InputObject)]
pub struct DateOverrideInput {
    /// Null: the business's schedule; else the team's own.
    pub team_id: Option<ID>,
    /// `YYYY-MM-DD`, in the schedule's time zone.
    pub date: String,
    #[graphql(default)]
    pub hours: String,
    #[graphql(default)]
    pub name: String,
}

/// An out-of-office switch to set.
#[derive(InputObject)]
pub struct OutOfOfficeInput {
    /// Null: the business's; else a member's (yourself, or anyone for owners and admins).
    pub user_id: Option<ID>,
    pub enabled: bool,
    /// What callers are told (at most 500 characters).
    #[graphql(default)]
    pub message: String,
    /// When it turns itself off (null: when switched off).
    pub until: Option<DateTime<Utc>>,
}

/// Schedule queries.
#[derive(Default)]
pub struct SchedulesQuery;

#[Object]
impl SchedulesQuery {
    /// The business's hours, its teams' own hours, out-of-office switches and whether it
    /// is open now.
    async fn schedules(&self, ctx: &Context<'_>) -> Result<Schedules> {
        let v = present::view(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(Schedules {
            business: v.business.map(Into::into),
            teams: v
                .teams
                .into_iter()
                .map(|t| TeamSchedule {
                    team_id: ID(t.team_id.to_string()),
                    team_name: t.team_name,
                    schedule: t.schedule.map(Into::into),
                })
                .collect(),
            business_out_of_office: v.business_out_of_office.into(),
            members_out_of_office: v
                .members_out_of_office
                .into_iter()
                .map(Into::into)
                .collect(),
            now: v.now.into(),
        })
    }

    /// The IANA time zone names opening hours may use, sorted.
    async fn time_zones(&self) -> Vec<String> {
        sched::zone_names()
    }

    /// Whether the business (or a team) is open at an instant (`at`), at a local date and
    /// time in its zone (`localTime`, `YYYY-MM-DDTHH:MM`), or now.
    async fn opening_status(
        &self,
        ctx: &Context<'_>,
        team_id: Option<ID>,
        at: Option<DateTime<Utc>>,
        local_time: Option<String>,
    ) -> Result<OpeningStatus> {
        let team = team_of(team_id.as_ref())?;
        let when = match (at, local_time.as_deref()) {
            (Some(at), None) => When::At(at),
            (None, Some(local)) => When::Local(local),
            (None, None) => When::Now,
            (Some(_), Some(_)) => {
                return Err(gql(DomainError::invalid(
                    "at",
                    "Give either an instant (at) or a local time (localTime), not both.",
                )))
            }
        };
        let s = ctx.services();
        Ok(present::preview(&s.db, ctx.principal()?, team, when)
            .await
            .gql()?
            .into())
    }
}

/// Schedule mutations.
#[derive(Default)]
pub struct SchedulesMutation;

#[Object]
impl SchedulesMutation {
    /// Sets weekly hours and time zone (the business's, or a team's own). `VALIDATION`
    /// with `fields` (`time_zone`, `mon`…`sun`) for an unknown zone or a bad interval.
    #[graphql(complexity = 10)]
    async fn set_opening_hours(
        &self,
        ctx: &Context<'_>,
        input: OpeningHoursInput,
    ) -> Result<Schedule> {
        let team = team_of(input.team_id.as_ref())?;
        let days = [
            input.monday.as_str(),
            input.tuesday.as_str(),
            input.wednesday.as_str(),
            input.thursday.as_str(),
            input.friday.as_str(),
            input.saturday.as_str(),
            input.sunday.as_str(),
        ];
        let s = ctx.services();
        let v = store::set_hours(
            &s.db,
            &s.events,
            ctx.principal()?,
            team,
            &input.time_zone,
            days,
        )
        .await
        .gql()?;
        Ok(v.into())
    }

    /// Makes a team follow the business's hours again.
    #[graphql(complexity = 10)]
    async fn clear_team_opening_hours(&self, ctx: &Context<'_>, team_id: ID) -> Result<bool> {
        let team = parse_id(&team_id, "team")?;
        let s = ctx.services();
        store::clear_team_hours(&s.db, &s.events, ctx.principal()?, team)
            .await
            .gql()?;
        Ok(true)
    }

    /// Sets one date's hours (replacing its override): closed, or special hours.
    #[graphql(complexity = 10)]
    async fn set_date_override(
        &self,
        ctx: &Context<'_>,
        input: DateOverrideInput,
    ) -> Result<DateOverride> {
        let team = team_of(input.team_id.as_ref())?;
        let s = ctx.services();
        let o = store::set_override(
            &s.db,
            &s.events,
            ctx.principal()?,
            team,
            &input.date,
            &input.hours,
            &input.name,
        )
        .await
        .gql()?;
        Ok(o.into())
    }

    /// Removes a date override.
    #[graphql(complexity = 10)]
    async fn remove_date_override(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id(&id, "date override")?;
        let s = ctx.services();
        store::remove_override(&s.db, &s.events, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(true)
    }

    /// Closes every day of `text`: lines of `YYYY-MM-DD name`, or an iCalendar file
    /// (all-day events). `VALIDATION` on `holidays` names the line not understood.
    #[graphql(complexity = 50)]
    async fn import_holidays(
        &self,
        ctx: &Context<'_>,
        team_id: Option<ID>,
        text: String,
    ) -> Result<HolidayImport> {
        let team = team_of(team_id.as_ref())?;
        let s = ctx.services();
        let v = store::import_holidays(&s.db, &s.events, ctx.principal()?, team, &text)
            .await
            .gql()?;
        Ok(HolidayImport {
            added: count(v.added),
            replaced: count(v.replaced),
            skipped_timed: count(v.skipped_timed),
            recurring: count(v.recurring),
        })
    }

    /// Switches out-of-office on or off, with the callers' message and an optional end.
    #[graphql(complexity = 10)]
    async fn set_out_of_office(
        &self,
        ctx: &Context<'_>,
        input: OutOfOfficeInput,
    ) -> Result<OutOfOffice> {
        let user = input
            .user_id
            .as_ref()
            .map(|u| parse_id(u, "member"))
            .transpose()?;
        let s = ctx.services();
        let v = store::set_out_of_office(
            &s.db,
            &s.events,
            ctx.principal()?,
            user,
            input.enabled,
            &input.message,
            input.until.map(Until::At),
        )
        .await
        .gql()?;
        Ok(v.into())
    }
}
