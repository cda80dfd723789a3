//! Callback slots over GraphQL: the business's slot policy, the free slots of a day
//! (what the call page offers a caller, for an integration that books on its own pages),
//! and the member's private calendar feed of booked callbacks.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use entity::callbacks::{booking, feeds, SlotDay, SlotPolicy};
use entity::DomainError;
use uuid::Uuid;

use super::context::ContextExt;
use super::error::{gql, GqlResult};

/// How callback slots are cut from the opening hours of the team an intent routes to (or
/// the business's), and how many callbacks one slot takes.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "CallbackSlotPolicyInput")]
pub struct CallbackSlotPolicy {
    /// Minutes one callback is planned for (5–240).
    pub slot_minutes: i32,
    /// Free minutes between two slots (0–120).
    pub buffer_minutes: i32,
    /// How soon a slot may start, in minutes from now (0–10080).
    pub notice_minutes: i32,
    /// How many days ahead slots are offered (1–90).
    pub window_days: i32,
    /// How many callbacks one slot takes (1–100).
    pub capacity: i32,
    /// Minutes before a booked time the caller gets a reminder (0–1440; 0: none).
    pub reminder_minutes: i32,
}

impl From<SlotPolicy> for CallbackSlotPolicy {
    fn from(p: SlotPolicy) -> Self {
        Self {
            slot_minutes: p.slot_minutes.into(),
            buffer_minutes: p.buffer_minutes.into(),
            notice_minutes: i32::try_from(p.notice_minutes).unwrap_or(i32::MAX),
            window_days: p.window_days.into(),
            capacity: p.capacity.into(),
            reminder_minutes: p.reminder_minutes.into(),
        }
    }
}

/// One slot a caller can book.
#[derive(SimpleObject)]
pub struct CallbackSlot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `HH:MM` in the day's time zone.
    pub label: String,
    /// How many more callbacks it takes.
    pub free: i32,
}

/// The free slots of one day in a time zone.
#[derive(SimpleObject)]
pub struct CallbackSlotDay {
    /// The IANA time zone of `date` and the labels.
    pub time_zone: String,
    pub date: NaiveDate,
    pub slots: Vec<CallbackSlot>,
    /// Every date with a free slot within the booking window.
    pub dates: Vec<NaiveDate>,
}

impl From<SlotDay> for CallbackSlotDay {
    fn from(d: SlotDay) -> Self {
        Self {
            time_zone: d.zone,
            date: d.date,
            slots: d
                .slots
                .into_iter()
                .map(|s| CallbackSlot {
                    start: s.start,
                    end: s.end,
                    label: s.label,
                    free: s.free.into(),
                })
                .collect(),
            dates: d.dates,
        }
    }
}

/// A member's private calendar feed of the business's booked callbacks.
#[derive(SimpleObject)]
pub struct CalendarFeedLink {
    /// The feed's address: subscribe to it in a calendar app. Shown once; keep it private.
    pub url: String,
}

/// Callback slot queries.
#[derive(Default)]
pub struct CallbackSlotsQuery;

#[Object]
impl CallbackSlotsQuery {
    /// The current business's slot policy (the defaults until one is set).
    async fn callback_slot_policy(&self, ctx: &Context<'_>) -> Result<CallbackSlotPolicy> {
        let principal = ctx.principal()?;
        let policy = booking::policy(&ctx.services().db, principal.business_id)
            .await
            .map_err(|e| gql(DomainError::from(e)))?;
        Ok(policy.into())
    }

    /// When the current member's calendar feed was made (`null`: they have none).
    async fn calendar_feed_created_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        feeds::status(&ctx.services().db, ctx.principal()?)
            .await
            .gql()
    }

    /// The free callback slots of `date` (in `timeZone`, else the business's) for callers
    /// of `intentId`; without a date, the first date with a free slot.
    async fn callback_slots(
        &self,
        ctx: &Context<'_>,
        intent_id: Option<ID>,
        date: Option<NaiveDate>,
        time_zone: Option<String>,
    ) -> Result<CallbackSlotDay> {
        let principal = ctx.principal()?;
        let intent = intent_id
            .map(|id| {
                Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound("intent")))
            })
            .transpose()?;
        let day = booking::day(
            &ctx.services().db,
            principal.business_id,
            intent,
            date,
            time_zone.as_deref(),
            Utc::now(),
        )
        .await
        .gql()?;
        Ok(day.into())
    }
}

/// Callback slot mutations (owners and admins).
#[derive(Default)]
pub struct CallbackSlotsMutation;

#[Object]
impl CallbackSlotsMutation {
    /// A new calendar feed address for the current member (an earlier one stops working).
    #[graphql(complexity = 10)]
    async fn create_calendar_feed(&self, ctx: &Context<'_>) -> Result<CalendarFeedLink> {
        let s = ctx.services();
        let url = feeds::create(&s.db, ctx.principal()?, &s.public_url, Utc::now())
            .await
            .gql()?;
        Ok(CalendarFeedLink { url })
    }

    /// Revokes the current member's calendar feed; `false` when they had none.
    #[graphql(complexity = 10)]
    async fn revoke_calendar_feed(&self, ctx: &Context<'_>) -> Result<bool> {
        feeds::revoke(&ctx.services().db, ctx.principal()?)
            .await
            .gql()
    }

    /// Sets how callback slots are cut and how many callbacks one takes; `VALIDATION`
    /// names each setting out of range.
    #[graphql(complexity = 10)]
    async fn set_callback_slot_policy(
        &self,
        ctx: &Context<'_>,
        input: CallbackSlotPolicy,
    ) -> Result<CallbackSlotPolicy> {
        let policy = SlotPolicy::checked(
            input.slot_minutes.into(),
            input.buffer_minutes.into(),
            input.notice_minutes.into(),
            input.window_days.into(),
            input.capacity.into(),
            input.reminder_minutes.into(),
        )
        .map_err(|errors| gql(DomainError::Validation(errors)))?;
        let s = ctx.services();
        let saved = booking::set_policy(
            &s.db,
            s.events.as_ref(),
            ctx.principal()?,
            policy,
            Utc::now(),
        )
        .await
        .gql()?;
        Ok(saved.into())
    }
}
