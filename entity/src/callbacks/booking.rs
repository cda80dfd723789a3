//! Booking callback slots: the business's slot policy, the free slots of a day, and
//! taking a seat of a slot inside the transaction that schedules the callback.
//!
//! A slot is held to its capacity by the database: a booking inserts the first seat
//! `0..capacity` of `(business, slot)` that nobody holds (`ON CONFLICT DO NOTHING` on the
//! unique seat index), so concurrent requests can never hold more seats than there are,
//! on PostgreSQL as on SQLite. Cancelling or expiring a callback gives its seat back.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, TryInsertResult};

use super::slot_grid;
use super::slots::{SlotDay, SlotPolicy, SlotView};
use crate::auth::Principal;
use crate::entities::{callback_booking, callback_slot_policy, intent};
use crate::events::{BusinessEventKind, EventBus};
use crate::schedules::{load_snapshot, ScheduleSnapshot};
use crate::DomainError;

/// The slot policy of `business_id` (the defaults when it never set one).
///
/// # Errors
/// A database failure.
pub async fn policy(db: &impl ConnectionTrait, business_id: Uuid) -> Result<SlotPolicy, DbErr> {
    let Some(row) = callback_slot_policy::Entity::find_by_id(business_id)
        .one(db)
        .await?
    else {
        return Ok(SlotPolicy::default());
    };
    Ok(SlotPolicy::checked(
        row.slot_minutes.into(),
        row.buffer_minutes.into(),
        row.notice_minutes.into(),
        row.window_days.into(),
        row.capacity.into(),
        row.reminder_minutes.into(),
    )
    .unwrap_or_default())
}

/// Sets the slot policy of the principal's business (owners and admins).
///
/// # Errors
/// `Forbidden` for agents.
pub async fn set_policy(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    policy: SlotPolicy,
    now: DateTime<Utc>,
) -> Result<SlotPolicy, DomainError> {
    principal.require_manager()?;
    let business_id = principal.business_id;
    let row = callback_slot_policy::ActiveModel {
        business_id: Set(business_id),
        slot_minutes: Set(policy.slot_minutes.into()),
        buffer_minutes: Set(policy.buffer_minutes.into()),
        notice_minutes: Set(i32::try_from(policy.notice_minutes).unwrap_or(i32::MAX)),
        window_days: Set(policy.window_days.into()),
        capacity: Set(policy.capacity.into()),
        reminder_minutes: Set(policy.reminder_minutes.into()),
        updated_at: Set(now),
    };
    callback_slot_policy::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(callback_slot_policy::Column::BusinessId)
                .update_columns([
                    callback_slot_policy::Column::SlotMinutes,
                    callback_slot_policy::Column::BufferMinutes,
                    callback_slot_policy::Column::NoticeMinutes,
                    callback_slot_policy::Column::WindowDays,
                    callback_slot_policy::Column::Capacity,
                    callback_slot_policy::Column::ReminderMinutes,
                    callback_slot_policy::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    events.publish(
        business_id,
        BusinessEventKind::CallbacksChanged,
        business_id,
    );
    Ok(policy)
}

/// Everything that decides the slots of one business for one intent.
pub(crate) struct Offer {
    pub policy: SlotPolicy,
    snapshot: ScheduleSnapshot,
    /// The team whose hours apply (`None`: the business's).
    team: Option<Uuid>,
    /// The member rung (their out-of-office removes slots too).
    member: Option<Uuid>,
}

impl Offer {
    /// Reads the policy, the schedules and where `intent` routes.
    pub(crate) async fn load(
        db: &impl ConnectionTrait,
        business_id: Uuid,
        intent: Option<&intent::Model>,
    ) -> Result<Self, DbErr> {
        let policy = policy(db, business_id).await?;
        let snapshot = load_snapshot(db, business_id).await?;
        let (team, member) = match intent {
            Some(i) if i.target_kind == "team" => (i.target_team_id, None),
            Some(i) if i.target_kind == "member" => (None, i.target_user_id),
            _ => (None, None),
        };
        Ok(Self {
            policy,
            snapshot,
            team,
            member,
        })
    }

    /// Every slot start offered at `now`, booked or not.
    pub(crate) fn grid(&self, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let rule = match self.team {
            Some(t) => self.snapshot.team_rule(t),
            None => self.snapshot.business_rule(),
        };
        slot_grid::grid(rule, &self.policy, now, |t| {
            self.snapshot.business_out_of_office(t).is_some()
                || self
                    .member
                    .is_some_and(|m| self.snapshot.member_out_of_office(m, t).is_some())
        })
    }

    /// The zone the business's hours are in (UTC without hours).
    fn zone(&self) -> String {
        let rule = match self.team {
            Some(t) => self.snapshot.team_rule(t),
            None => self.snapshot.business_rule(),
        };
        rule.map_or_else(|| "UTC".to_owned(), |r| r.zone().to_owned())
    }
}

/// How many seats are taken per slot of `business_id` in `[from, to]`.
async fn booked(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<DateTime<Utc>, u16>, DbErr> {
    let rows = callback_booking::Entity::find()
        .filter(callback_booking::Column::BusinessId.eq(business_id))
        .filter(callback_booking::Column::SlotAt.gte(from))
        .filter(callback_booking::Column::SlotAt.lte(to))
        .order_by_asc(callback_booking::Column::SlotAt)
        .all(db)
        .await?;
    let mut taken = HashMap::new();
    for row in rows {
        *taken.entry(row.slot_at).or_insert(0u16) += 1;
    }
    Ok(taken)
}

/// The intent `id` of `business_id`.
pub(crate) async fn intent_of(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    id: Option<Uuid>,
) -> Result<Option<intent::Model>, DomainError> {
    let Some(id) = id else { return Ok(None) };
    intent::Entity::find_by_id(id)
        .filter(intent::Column::BusinessId.eq(business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("intent"))
        .map(Some)
}

/// The free slots of `business_id` for `intent` on local `date` of `zone` (the caller's;
/// the business's when it is missing or unknown), and every date with a free slot. No
/// date: the first date with one (today when there is none).
///
/// # Errors
/// `NotFound` for an intent of another business.
pub async fn day(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    intent: Option<Uuid>,
    date: Option<NaiveDate>,
    zone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SlotDay, DomainError> {
    let intent = intent_of(db, business_id, intent).await?;
    let offer = Offer::load(db, business_id, intent.as_ref()).await?;
    let grid = offer.grid(now);
    let (Some(first), Some(last)) = (grid.first(), grid.last()) else {
        let zone = zone_for(zone, &offer);
        return Ok(SlotDay {
            date: date.unwrap_or_else(|| local_date(&zone, now)),
            zone: zone.iana_name().unwrap_or("UTC").to_owned(),
            slots: Vec::new(),
            dates: Vec::new(),
        });
    };
    let taken = booked(db, business_id, *first, *last).await?;
    let free = slot_grid::free(&grid, &taken, offer.policy.capacity);
    let tz = zone_for(zone, &offer);
    let mut dates: Vec<NaiveDate> = free.iter().map(|(t, _)| local_date(&tz, *t)).collect();
    dates.dedup();
    let date = date
        .or_else(|| dates.first().copied())
        .unwrap_or_else(|| local_date(&tz, now));
    let length = Duration::minutes(i64::from(offer.policy.slot_minutes));
    let slots = free
        .into_iter()
        .filter(|(t, _)| local_date(&tz, *t) == date)
        .map(|(start, left)| SlotView {
            start,
            end: start + length,
            label: local_clock(&tz, start),
            free: left,
        })
        .collect();
    Ok(SlotDay {
        zone: tz.iana_name().unwrap_or("UTC").to_owned(),
        date,
        slots,
        dates,
    })
}

/// The caller's zone when it parses, else the business's.
pub(crate) fn zone_for(zone: Option<&str>, offer: &Offer) -> jiff::tz::TimeZone {
    zone.and_then(|z| crate::schedules::parse_zone(z).ok())
        .or_else(|| crate::schedules::parse_zone(&offer.zone()).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The local date and time of `at` in `tz`.
fn civil(tz: &jiff::tz::TimeZone, at: DateTime<Utc>) -> Option<jiff::civil::DateTime> {
    jiff::Timestamp::from_second(at.timestamp())
        .ok()
        .map(|ts| tz.to_datetime(ts))
}

/// The local date of `at` in `tz`.
#[must_use]
pub fn local_date(tz: &jiff::tz::TimeZone, at: DateTime<Utc>) -> NaiveDate {
    civil(tz, at)
        .and_then(|z| {
            let d = z.date();
            NaiveDate::from_ymd_opt(
                i32::from(d.year()),
                u32::try_from(d.month()).ok()?,
                u32::try_from(d.day()).ok()?,
            )
        })
        .unwrap_or_else(|| at.date_naive())
}

/// `HH:MM` of `at` in `tz`.
#[must_use]
pub fn local_clock(tz: &jiff::tz::TimeZone, at: DateTime<Utc>) -> String {
    civil(tz, at).map_or_else(
        || at.format("%H:%M").to_string(),
        |z| z.strftime("%H:%M").to_string(),
    )
}

/// `Sat 6 Dec 2026, 11:30 (Europe/Berlin)`: `at` in `tz`, for mail.
#[must_use]
pub fn local_text(tz: &jiff::tz::TimeZone, at: DateTime<Utc>) -> String {
    civil(tz, at).map_or_else(
        || at.format("%a %-d %b %Y, %H:%M UTC").to_string(),
        |z| {
            format!(
                "{} ({})",
                z.strftime("%a %-d %b %Y, %H:%M"),
                tz.iana_name().unwrap_or("UTC")
            )
        },
    )
}

/// Takes a seat of slot `at` for callback `callback_id`, inside the caller's transaction.
///
/// # Errors
/// `Conflict` when every seat of the slot is taken.
pub(crate) async fn take_seat(
    txn: &impl ConnectionTrait,
    business_id: Uuid,
    callback_id: Uuid,
    at: DateTime<Utc>,
    capacity: u16,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    for seat in 0..i32::from(capacity) {
        let row = callback_booking::ActiveModel {
            id: Set(Uuid::now_v7()),
            business_id: Set(business_id),
            callback_id: Set(callback_id),
            slot_at: Set(at),
            seat: Set(seat),
            created_at: Set(now),
        };
        let inserted = callback_booking::Entity::insert(row)
            .on_conflict_do_nothing_on([
                callback_booking::Column::BusinessId,
                callback_booking::Column::SlotAt,
                callback_booking::Column::Seat,
            ])
            .exec_without_returning(txn)
            .await?;
        if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
            return Ok(());
        }
    }
    Err(DomainError::Conflict(
        "That time was just taken. Pick another one.".to_owned(),
    ))
}

/// Gives back the seat callback `callback_id` holds, if any.
///
/// # Errors
/// A database failure.
pub(crate) async fn release(
    txn: &impl ConnectionTrait,
    business_id: Uuid,
    callback_id: Uuid,
) -> Result<(), DbErr> {
    callback_booking::Entity::delete_many()
        .filter(callback_booking::Column::BusinessId.eq(business_id))
        .filter(callback_booking::Column::CallbackId.eq(callback_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The calendar file of the principal's business's booked callback `id`, for a member's
/// own calendar ("add to calendar"); `public_url` names the deployment.
///
/// # Errors
/// `NotFound` for another business's callback, or one with no booked time.
pub async fn invite(
    db: &impl ConnectionTrait,
    principal: &crate::auth::Principal,
    id: Uuid,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<String, DomainError> {
    use crate::entities::{business, callback};
    let row = callback::Entity::find_by_id(id)
        .filter(callback::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("callback"))?;
    let at = row.slot_at.ok_or(DomainError::NotFound("callback"))?;
    let length = policy(db, principal.business_id).await?.slot_minutes;
    let business = business::Entity::find_by_id(principal.business_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("business"))?;
    let intent = intent_of(db, principal.business_id, row.intent_id)
        .await
        .ok()
        .flatten();
    let who = row.name.clone().unwrap_or_else(|| row.email.clone());
    let details = super::calendar_links::event_details(
        Some((&who, &row.email)),
        intent.as_ref().map(|i| i.label.as_str()),
        row.note.as_deref(),
    );
    let base = public_url.trim_end_matches('/');
    Ok(super::calendar::callback_ics(
        &super::calendar::CallbackEvent {
            callback_id: row.id,
            host: super::calendar::host_of(base),
            summary: &format!("Call back {who} ({})", business.name),
            start: at,
            end: at + Duration::minutes(i64::from(length)),
            details: &details,
            url: &format!("{base}/app/callbacks"),
            now,
        },
    ))
}

/// The principal's business's booked callbacks of the week starting on the Monday of
/// `date` (today without one), in the business's zone.
///
/// # Errors
/// A database failure.
pub async fn week(
    db: &impl ConnectionTrait,
    principal: &crate::auth::Principal,
    date: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<super::slots::WeekView, DomainError> {
    use super::slots::{monday_of, week_of, WeekEntry};
    use super::CallbackStatus;
    use crate::entities::callback;
    let offer = Offer::load(db, principal.business_id, None).await?;
    let tz = zone_for(None, &offer);
    let start = monday_of(date.unwrap_or_else(|| local_date(&tz, now)));
    // A day either side covers every zone's offset from UTC.
    let from = start.and_time(chrono::NaiveTime::MIN).and_utc() - Duration::days(1);
    let to = from + Duration::days(9);
    let rows = callback::Entity::find()
        .filter(callback::Column::BusinessId.eq(principal.business_id))
        .filter(callback::Column::SlotAt.gte(from))
        .filter(callback::Column::SlotAt.lt(to))
        .filter(callback::Column::Status.ne(CallbackStatus::Cancelled.as_str()))
        .order_by_asc(callback::Column::SlotAt)
        .all(db)
        .await?;
    let intent_ids = rows.iter().filter_map(|r| r.intent_id).collect();
    let labels =
        crate::calls::records::intent_labels(db, principal.business_id, intent_ids).await?;
    let entries = rows
        .into_iter()
        .filter_map(|r| {
            let at = r.slot_at?;
            Some((
                local_date(&tz, at),
                WeekEntry {
                    id: r.id,
                    time: local_clock(&tz, at),
                    who: r.name.clone().unwrap_or_else(|| r.email.clone()),
                    intent_label: r.intent_id.and_then(|i| labels.get(&i).cloned()),
                    status: CallbackStatus::parse(&r.status).unwrap_or(CallbackStatus::Scheduled),
                },
            ))
        })
        .collect();
    Ok(week_of(
        start,
        tz.iana_name().unwrap_or("UTC").to_owned(),
        entries,
    ))
}
