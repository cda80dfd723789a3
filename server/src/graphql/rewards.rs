//! Rewards over GraphQL: the business's reward policy, the ledger (all, or one contact's)
//! with its totals, and redeeming a reward idempotently on a key. Thin: parse ids, call
//! `entity::rewards`, map the views. Another business's ids are `NOT_FOUND`.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::rewards::{ledger, policy, RewardPolicy as Policy, RewardTotals, RewardView};
use entity::DomainError;
use uuid::Uuid;

use super::context::ContextExt;
use super::error::{gql, GqlResult};

/// What callers earn for waiting past a threshold for an answer.
#[derive(SimpleObject)]
pub struct RewardPolicy {
    pub enabled: bool,
    /// A wait (request → first accept) up to this long earns nothing.
    pub threshold_secs: i32,
    /// Points for every started minute beyond the threshold.
    pub points_per_minute: i32,
    /// The most points one call earns; null for no cap.
    pub cap_points: Option<i32>,
    /// A coupon issued with each reward: `{code}` is replaced by a random part.
    pub coupon_template: Option<String>,
}

impl From<Policy> for RewardPolicy {
    fn from(p: Policy) -> Self {
        let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        Self {
            enabled: p.enabled,
            threshold_secs: int(p.threshold_secs),
            points_per_minute: int(p.points_per_minute),
            cap_points: p.cap_points.map(int),
            coupon_template: p.coupon_template,
        }
    }
}

/// A new reward policy.
#[derive(InputObject)]
pub struct RewardPolicyInput {
    pub enabled: bool,
    /// 0 to 3600.
    pub threshold_secs: i32,
    /// 0 to 10000 (0 with a coupon template: a coupon only).
    pub points_per_minute: i32,
    /// 1 to 1000000, or null for no cap.
    pub cap_points: Option<i32>,
    /// Letters, digits, `-` and `_` around one `{code}`; at most 40 characters.
    pub coupon_template: Option<String>,
}

/// A reward issued to a caller for waiting: one line of the ledger.
#[derive(SimpleObject)]
pub struct Reward {
    pub id: ID,
    /// The call whose wait earned it.
    pub call_id: ID,
    pub contact_id: Option<ID>,
    pub contact_name: Option<String>,
    /// The caller identity that waited: a guest name or a verified domain.
    pub caller_name: String,
    /// Request → first accept, in milliseconds.
    pub wait_ms: i64,
    pub points: i64,
    pub coupon_code: Option<String>,
    pub issued_at: DateTime<Utc>,
    /// When it was redeemed; null while it is open.
    pub redeemed_at: Option<DateTime<Utc>>,
    pub redeemed_by_name: Option<String>,
}

impl From<RewardView> for Reward {
    fn from(r: RewardView) -> Self {
        let id = |u: Uuid| ID(u.to_string());
        Self {
            id: id(r.id),
            call_id: id(r.call_id),
            contact_id: r.contact_id.map(id),
            contact_name: r.contact_name,
            caller_name: r.caller_name,
            wait_ms: r.wait_ms,
            points: r.points,
            coupon_code: r.coupon_code,
            issued_at: r.issued_at,
            redeemed_at: r.redeemed_at,
            redeemed_by_name: r.redeemed_by_name,
        }
    }
}

/// What was issued and redeemed, in all.
#[derive(SimpleObject)]
#[graphql(name = "RewardTotals")]
pub struct Totals {
    pub rewards: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    /// Points issued and not redeemed.
    pub points_open: i64,
    pub coupons: i64,
    pub redeemed: i64,
}

impl From<RewardTotals> for Totals {
    fn from(t: RewardTotals) -> Self {
        Self {
            rewards: t.rewards,
            points_issued: t.points_issued,
            points_redeemed: t.points_redeemed,
            points_open: t.points_issued - t.points_redeemed,
            coupons: t.coupons,
            redeemed: t.redeemed,
        }
    }
}

fn parse_id(id: &ID, what: &'static str) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound(what)))
}

/// Reward queries.
#[derive(Default)]
pub struct RewardsQuery;

#[Object]
impl RewardsQuery {
    /// The current business's reward policy (off, with defaults, until one is set).
    async fn reward_policy(&self, ctx: &Context<'_>) -> Result<RewardPolicy> {
        let p = policy::get(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(p.into())
    }

    /// The business's rewards, newest first (at most 200): all, or one contact's ledger.
    async fn rewards(&self, ctx: &Context<'_>, contact_id: Option<ID>) -> Result<Vec<Reward>> {
        let contact = contact_id
            .as_ref()
            .map(|id| parse_id(id, "contact"))
            .transpose()?;
        let list = ledger::list(&ctx.services().db, ctx.principal()?, contact)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// One reward of the business.
    async fn reward(&self, ctx: &Context<'_>, id: ID) -> Result<Reward> {
        let id = parse_id(&id, "reward")?;
        let view = ledger::get(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(view.into())
    }

    /// What the business issued and redeemed: in all, or for one contact.
    async fn reward_totals(&self, ctx: &Context<'_>, contact_id: Option<ID>) -> Result<Totals> {
        let contact = contact_id
            .as_ref()
            .map(|id| parse_id(id, "contact"))
            .transpose()?;
        let totals = ledger::totals(&ctx.services().db, ctx.principal()?, contact)
            .await
            .gql()?;
        Ok(totals.into())
    }
}

/// Reward mutations.
#[derive(Default)]
pub struct RewardsMutation;

#[Object]
impl RewardsMutation {
    /// Sets the reward policy (owners and admins). Switching it on applies to calls
    /// requested from then on.
    #[graphql(complexity = 10)]
    async fn set_reward_policy(
        &self,
        ctx: &Context<'_>,
        input: RewardPolicyInput,
    ) -> Result<RewardPolicy> {
        let p = Policy::checked(
            input.enabled,
            input.threshold_secs.into(),
            input.points_per_minute.into(),
            input.cap_points.map(Into::into),
            input.coupon_template.as_deref(),
        )
        .gql()?;
        let services = ctx.services();
        let p = policy::set(
            &services.db,
            services.events.as_ref(),
            ctx.principal()?,
            p,
            Utc::now(),
        )
        .await
        .gql()?;
        Ok(p.into())
    }

    /// Redeems a reward once (every member). `key` makes it safe to retry: the same key
    /// again returns the reward as redeemed; `CONFLICT` when it was redeemed with another
    /// key, or the key already redeemed another reward.
    #[graphql(complexity = 10)]
    async fn redeem_reward(&self, ctx: &Context<'_>, id: ID, key: String) -> Result<Reward> {
        let id = parse_id(&id, "reward")?;
        let services = ctx.services();
        let view = ledger::redeem(
            &services.db,
            services.events.as_ref(),
            ctx.principal()?,
            id,
            &key,
            Utc::now(),
        )
        .await
        .gql()?;
        Ok(view.into())
    }
}
