//! The home page's figures read from the call records: the period's calls (a bounded
//! query, newest first), each placed in the business's time zone — the zone of its
//! opening hours when it has some, else UTC — then summed by the pure
//! [`crate::calls::stats::aggregate`]. Aggregating in Rust keeps one code path for SQLite
//! and PostgreSQL and puts day and hour boundaries where the business's clock has them,
//! across daylight-saving changes.

use chrono::{DateTime, NaiveDate, Utc};
use jiff::tz::TimeZone;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::auth::Principal;
use crate::calls::filter::OutcomeKind;
use crate::calls::stats::{aggregate, checked_days, CallStats, StatCall};
use crate::entities::{call, schedule};
use crate::DomainError;

/// The most calls one report reads (the newest; [`CallStats::truncated`] says so).
pub const MAX_STATS_CALLS: u64 = 100_000;

/// The business's time zone for reporting: its opening hours' zone, else UTC.
///
/// # Errors
/// A database failure.
pub async fn business_zone(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<TimeZone, DomainError> {
    let row = schedule::Entity::find()
        .filter(schedule::Column::BusinessId.eq(business_id))
        .filter(schedule::Column::TeamId.is_null())
        .one(db)
        .await?;
    Ok(row
        .and_then(|r| crate::schedules::parse_zone(&r.time_zone).ok())
        .unwrap_or(TimeZone::UTC))
}

/// A zone's name for people ("UTC" for UTC or a zone without a name).
fn zone_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_owned()
}

/// Where `at` falls in `tz`: its local day, weekday (Monday = 0) and hour.
#[must_use]
pub fn local_slot(tz: &TimeZone, at: DateTime<Utc>) -> Option<(NaiveDate, usize, usize)> {
    let ts = jiff::Timestamp::from_millisecond(at.timestamp_millis()).ok()?;
    let zoned = ts.to_zoned_datetime(tz.clone());
    let date = naive(zoned.date())?;
    let weekday = usize::try_from(zoned.weekday().to_monday_zero_offset()).ok()?;
    let hour = usize::try_from(zoned.hour()).ok()?;
    Some((date, weekday, hour))
}

fn naive(d: jiff::civil::Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        i32::from(d.year()),
        u32::try_from(d.month()).ok()?,
        u32::try_from(d.day()).ok()?,
    )
}

/// The instant local day `day` starts in `tz` (its first existing moment).
fn day_start(tz: &TimeZone, day: NaiveDate) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    let civil = jiff::civil::Date::new(
        i16::try_from(day.year()).ok()?,
        i8::try_from(day.month()).ok()?,
        i8::try_from(day.day()).ok()?,
    )
    .ok()?;
    let start = civil.to_zoned_datetime(tz.clone()).ok()?;
    DateTime::from_timestamp_millis(start.timestamp().as_millisecond())
}

/// The figures of the principal's business for the `days` days ending today (in the
/// business's time zone, at `now`).
///
/// # Errors
/// `Validation` on `days` outside 1 to 90; a database failure.
#[tracing::instrument(skip_all, err, fields(days))]
pub async fn stats_for(
    db: &impl ConnectionTrait,
    principal: &Principal,
    days: i64,
    now: DateTime<Utc>,
) -> Result<CallStats, DomainError> {
    let days = checked_days(days).map_err(|e| DomainError::Validation(vec![e]))?;
    let tz = business_zone(db, principal.business_id).await?;
    let today = local_slot(&tz, now)
        .map(|(d, _, _)| d)
        .ok_or_else(|| DomainError::Internal("the clock is out of range".to_owned()))?;
    let first = today
        .checked_sub_days(chrono::Days::new(u64::from(days - 1)))
        .unwrap_or(today);
    let start = day_start(&tz, first)
        .ok_or_else(|| DomainError::Internal("a day out of range".to_owned()))?;
    let rows = call::Entity::find()
        .filter(call::Column::BusinessId.eq(principal.business_id))
        .filter(call::Column::RequestedAt.gte(start))
        .order_by_desc(call::Column::RequestedAt)
        .limit(MAX_STATS_CALLS + 1)
        .all(db)
        .await?;
    let truncated = u64::try_from(rows.len()).unwrap_or(u64::MAX) > MAX_STATS_CALLS;
    let intent_ids = rows.iter().filter_map(|r| r.intent).collect();
    let labels = super::views::intent_labels(db, principal.business_id, intent_ids).await?;
    let calls: Vec<StatCall> = rows
        .into_iter()
        .take(usize::try_from(MAX_STATS_CALLS).unwrap_or(usize::MAX))
        .filter_map(|r| {
            let (day, weekday, hour) = local_slot(&tz, r.requested_at)?;
            Some(StatCall {
                day,
                weekday,
                hour,
                outcome: OutcomeKind::of(r.answered_at.is_some(), r.end_reason.as_deref()),
                wait_ms: r.wait_ms,
                intent: r.intent.map(|i| {
                    labels
                        .get(&i)
                        .cloned()
                        .unwrap_or_else(|| "(deleted intent)".to_owned())
                }),
                domain: r.domain,
            })
        })
        .collect();
    let mut stats = aggregate(&calls, today, days, &zone_name(&tz));
    stats.truncated = truncated;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn calls_are_placed_on_the_business_clock() {
        let berlin = crate::schedules::parse_zone("Europe/Berlin").unwrap_or(TimeZone::UTC);
        // 23:30 UTC on Sunday 2025-03-30 is 01:30 on Monday 31st in Berlin (summer time).
        let slot = local_slot(&berlin, at("2025-03-30T23:30:00Z"));
        assert_eq!(
            slot,
            Some((
                NaiveDate::from_ymd_opt(2025, 3, 31).unwrap_or_default(),
                0,
                1
            ))
        );
        assert_eq!(
            local_slot(&TimeZone::UTC, at("2025-03-30T23:30:00Z")),
            Some((
                NaiveDate::from_ymd_opt(2025, 3, 30).unwrap_or_default(),
                6,
                23
            ))
        );
        // The day the clocks go forward starts at 00:00 CET = 23:00 UTC the day before.
        let start = day_start(
            &berlin,
            NaiveDate::from_ymd_opt(2025, 3, 30).unwrap_or_default(),
        );
        assert_eq!(start, Some(at("2025-03-29T23:00:00Z")));
    }
}
