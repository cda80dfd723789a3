//! The call log and its figures over GraphQL (API keys included): `callHistory`, Relay
//! cursor pagination over the filtered log, and `callStats`, the home page's figures.
//! Thin: the filters are parsed by `entity::calls::filter` (the same words as the
//! dashboard's), the pages and sums come from `entity::calls::records`.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use entity::calls::filter::{CallQuery, Cursor, OutcomeKind};
use entity::calls::records::{self, log::MAX_PAGE};
use entity::calls::stats;
use entity::DomainError;

use super::context::ContextExt;
use super::error::{gql, GqlResult};
use super::types::Call;

/// How a call went, as the log filters and the charts count it.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CallOutcome {
    /// Someone answered.
    Answered,
    /// It rang and nobody answered (missed, declined, lost).
    Missed,
    /// The caller gave up before an answer.
    Cancelled,
    /// Nobody could be rung (nobody online, closed, out of office…).
    Unavailable,
    /// Still ringing.
    Ongoing,
}

impl From<CallOutcome> for OutcomeKind {
    fn from(o: CallOutcome) -> Self {
        match o {
            CallOutcome::Answered => Self::Answered,
            CallOutcome::Missed => Self::Missed,
            CallOutcome::Cancelled => Self::Cancelled,
            CallOutcome::Unavailable => Self::Unavailable,
            CallOutcome::Ongoing => Self::Ongoing,
        }
    }
}

/// Which calls to list; every filter given applies. The same filters as the dashboard's
/// `/app/calls` and its CSV export.
#[derive(InputObject, Default)]
pub struct CallFilter {
    /// First day, `YYYY-MM-DD` (UTC), inclusive.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    pub to: Option<String>,
    /// The business domain called.
    pub domain: Option<String>,
    pub intent: Option<ID>,
    /// Calls for a team: about an intent that rings it, or answered by one of its members.
    pub team: Option<ID>,
    /// Calls answered by this member (a user id).
    pub member: Option<ID>,
    pub outcome: Option<CallOutcome>,
}

impl From<CallFilter> for CallQuery {
    fn from(f: CallFilter) -> Self {
        Self {
            from: f.from,
            to: f.to,
            domain: f.domain,
            intent: f.intent.map(|i| i.0),
            team: f.team.map(|i| i.0),
            member: f.member.map(|i| i.0),
            outcome: f.outcome.map(|o| OutcomeKind::from(o).as_str().to_owned()),
        }
    }
}

/// The calls of one day, by outcome.
#[derive(SimpleObject)]
pub struct CallDayCounts {
    /// `YYYY-MM-DD`, in `CallStats.timeZone`.
    pub day: String,
    pub answered: u32,
    pub missed: u32,
    pub cancelled: u32,
    pub unavailable: u32,
    pub ongoing: u32,
}

/// How long callers waited, for one intent or domain.
#[derive(SimpleObject)]
pub struct WaitStat {
    /// The intent's label ("No intent" for calls without one) or the domain.
    pub label: String,
    pub calls: u32,
    pub answered: u32,
    /// The median wait of the answered calls, ms.
    pub median_ms: Option<i64>,
    /// The 90th percentile wait (nearest rank), ms.
    pub p90_ms: Option<i64>,
}

impl From<stats::WaitStat> for WaitStat {
    fn from(w: stats::WaitStat) -> Self {
        Self {
            label: w.label,
            calls: w.calls,
            answered: w.answered,
            median_ms: w.median_ms,
            p90_ms: w.p90_ms,
        }
    }
}

/// The home page's figures for the last days.
#[derive(SimpleObject)]
pub struct CallStats {
    pub days: u32,
    /// The IANA time zone days and hours are counted in: the business's opening hours'
    /// zone, else `UTC`.
    pub time_zone: String,
    /// `YYYY-MM-DD`.
    pub first_day: String,
    /// `YYYY-MM-DD` (today, in `timeZone`).
    pub last_day: String,
    pub total: u32,
    pub answered: u32,
    /// Answered ÷ calls that are over (ringing ones left out), 0–1; null without any.
    pub answer_rate: Option<f64>,
    pub median_wait_ms: Option<i64>,
    pub p90_wait_ms: Option<i64>,
    /// One entry per day, oldest first.
    pub per_day: Vec<CallDayCounts>,
    /// Most calls first.
    pub wait_by_intent: Vec<WaitStat>,
    /// Most calls first.
    pub wait_by_domain: Vec<WaitStat>,
    /// Missed calls by weekday (Monday first, 7 rows) and local hour (24 columns).
    pub missed_by_hour: Vec<Vec<u32>>,
    /// Whether there were more calls than one report reads.
    pub truncated: bool,
}

impl From<stats::CallStats> for CallStats {
    fn from(s: stats::CallStats) -> Self {
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        Self {
            days: s.days,
            time_zone: s.time_zone,
            first_day: day(s.first_day),
            last_day: day(s.last_day),
            total: s.total,
            answered: s.answered,
            answer_rate: s.answer_rate,
            median_wait_ms: s.median_wait_ms,
            p90_wait_ms: s.p90_wait_ms,
            per_day: s
                .per_day
                .into_iter()
                .map(|d| CallDayCounts {
                    day: day(d.day),
                    answered: d.answered,
                    missed: d.missed,
                    cancelled: d.cancelled,
                    unavailable: d.unavailable,
                    ongoing: d.ongoing,
                })
                .collect(),
            wait_by_intent: s.wait_by_intent.into_iter().map(Into::into).collect(),
            wait_by_domain: s.wait_by_domain.into_iter().map(Into::into).collect(),
            missed_by_hour: s.missed_by_hour,
            truncated: s.truncated,
        }
    }
}

/// Call log queries.
#[derive(Default)]
pub struct CallsQuery;

#[Object]
impl CallsQuery {
    /// The business's calls passing `filter`, newest first, with Relay cursor pagination
    /// (`first` 1 to 100, default 50; `after` is an `endCursor`). The cursor is stable:
    /// calls arriving meanwhile never repeat or skip one. `VALIDATION` with `fields` for a
    /// bad filter or cursor.
    async fn call_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<CallFilter>,
    ) -> Result<Connection<String, Call>> {
        let first = match first {
            None => 50,
            Some(n) if (1..=100).contains(&n) => u64::try_from(n).unwrap_or(50),
            Some(_) => {
                return Err(gql(DomainError::invalid(
                    "first",
                    format!("Ask for 1 to {MAX_PAGE} calls at a time."),
                )))
            }
        };
        let cursor = after
            .as_deref()
            .map(Cursor::decode)
            .transpose()
            .map_err(|e| gql(DomainError::Validation(vec![e])))?;
        let query = CallQuery::from(filter.unwrap_or_default());
        let filter = records::parse_filter(&query).gql()?;
        let page = records::page_for(&ctx.services().db, ctx.principal()?, &filter, cursor, first)
            .await
            .gql()?;
        let mut connection = Connection::new(cursor.is_some(), page.next.is_some());
        connection.edges.extend(page.calls.into_iter().map(|c| {
            // Each edge's cursor is its call's place in the log (the last one's is the
            // page's `next`).
            let place = Cursor {
                requested_at: c.requested_at,
                id: uuid::Uuid::parse_str(&c.id).unwrap_or_default(),
            };
            Edge::new(place.encode(), Call::from(c))
        }));
        Ok(connection)
    }

    /// The figures of the home page for the last `days` days ending today (1 to 90,
    /// default 7), in the business's time zone: calls per day by outcome, the answer rate,
    /// median and p90 wait per intent and per domain, missed calls by hour of the week.
    async fn call_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 7)] days: i32,
    ) -> Result<CallStats> {
        let s = records::stats::stats_for(
            &ctx.services().db,
            ctx.principal()?,
            days.into(),
            chrono::Utc::now(),
        )
        .await
        .gql()?;
        Ok(s.into())
    }
}
