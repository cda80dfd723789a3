//! Rewards in the dashboard: the reward policy (owners and admins), the ledger with its
//! totals — all, or one contact's — and redeeming a reward at the counter (scoped to the
//! session's business).

use entity::rewards::{RewardPolicy, RewardTotals, RewardView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The ledger as a page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardLedger {
    pub rewards: Vec<RewardView>,
    pub totals: RewardTotals,
}

/// The reward policy of the current business.
#[server(endpoint = "get_reward_policy")]
pub async fn get_reward_policy() -> Result<RewardPolicy, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::rewards::policy::get(&services.db, &principal).await?)
    })
    .await
}

/// Sets the reward policy (owners and admins). `enabled` is a checkbox (present: on); an
/// empty cap or template means none.
#[server(endpoint = "set_reward_policy")]
pub async fn set_reward_policy(
    enabled: Option<String>,
    threshold_secs: String,
    points_per_minute: String,
    cap_points: String,
    coupon_template: String,
) -> Result<RewardPolicy, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let number = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
        let cap = Some(cap_points.trim())
            .filter(|c| !c.is_empty())
            .map(number);
        let policy = RewardPolicy::checked(
            enabled.is_some_and(|e| !e.is_empty() && e != "false"),
            number(&threshold_secs),
            number(&points_per_minute),
            cap,
            Some(coupon_template.as_str()),
        )?;
        let now = chrono::Utc::now();
        let events = services.events.as_ref();
        Ok(entity::rewards::policy::set(&services.db, events, &principal, policy, now).await?)
    })
    .await
}

/// The business's rewards, newest first, and the totals: all, or contact `contact`'s.
#[server(endpoint = "list_rewards")]
pub async fn list_rewards(contact: Option<String>) -> Result<RewardLedger, AppError> {
    use crate::backend;
    use entity::rewards::ledger;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let contact = contact
            .as_deref()
            .map(|c| backend::parse_id(c, "contact"))
            .transpose()?;
        Ok(RewardLedger {
            rewards: ledger::list(&services.db, &principal, contact).await?,
            totals: ledger::totals(&services.db, &principal, contact).await?,
        })
    })
    .await
}

/// Redeems reward `id` at the counter (every member). The form carries a key made when
/// the page was drawn, so a double click or a resent form redeems once.
#[server(endpoint = "redeem_reward")]
pub async fn redeem_reward(id: String, key: String) -> Result<RewardView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "reward")?;
        let now = chrono::Utc::now();
        let events = services.events.as_ref();
        Ok(
            entity::rewards::ledger::redeem(&services.db, events, &principal, id, &key, now)
                .await?,
        )
    })
    .await
}
