//! Rewards for waiting (claim 16): the wait runs from the server's receipt of the call
//! request to the first accept (`calls.wait_ms`); a business's [`RewardPolicy`] turns a
//! wait past its threshold into points (per started minute beyond it, up to a cap) and/or
//! a coupon code. The reward job ([`issue`]) judges each answered call once after it ends;
//! the ledger ([`ledger`]) lists, totals and redeems what was issued.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "db")]
pub mod issue;
#[cfg(feature = "db")]
pub mod ledger;
#[cfg(feature = "db")]
pub mod policy;

/// The longest threshold a policy may set (an hour).
pub const THRESHOLD_MAX_SECS: u32 = 3_600;
/// The most points a policy may give per minute.
pub const POINTS_PER_MINUTE_MAX: u32 = 10_000;
/// The highest cap a policy may set.
pub const CAP_MAX: u32 = 1_000_000;
/// The longest coupon template.
pub const TEMPLATE_MAX: usize = 40;
/// Where a coupon template puts the random part of each code.
pub const CODE_PLACEHOLDER: &str = "{code}";

/// What a business's callers earn for waiting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardPolicy {
    pub enabled: bool,
    /// A wait up to this long earns nothing.
    pub threshold_secs: u32,
    /// Points per started minute beyond the threshold.
    pub points_per_minute: u32,
    /// The most points one call earns (`None`: no cap).
    pub cap_points: Option<u32>,
    /// A coupon code issued with each reward: the template with [`CODE_PLACEHOLDER`]
    /// replaced by a random part.
    pub coupon_template: Option<String>,
}

impl Default for RewardPolicy {
    fn default() -> Self {
        Self {
            enabled: false,
            threshold_secs: 60,
            points_per_minute: 10,
            cap_points: None,
            coupon_template: None,
        }
    }
}

/// What one call earns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Earned {
    pub points: u32,
    /// Whether a coupon code comes with it.
    pub coupon: bool,
}

/// What `policy` gives for a wait of `wait_ms` (request → accept): nothing when rewards are
/// off or the wait is within the threshold; else points for every started minute beyond
/// it (up to the cap) and the coupon if the policy has one.
#[must_use]
pub fn earned(policy: &RewardPolicy, wait_ms: i64) -> Option<Earned> {
    if !policy.enabled {
        return None;
    }
    let beyond = wait_ms - i64::from(policy.threshold_secs) * 1_000;
    if beyond <= 0 {
        return None;
    }
    let minutes = u64::try_from((beyond + 59_999) / 60_000).unwrap_or(u64::MAX);
    let mut points = minutes.saturating_mul(u64::from(policy.points_per_minute));
    if let Some(cap) = policy.cap_points {
        points = points.min(u64::from(cap));
    }
    let points = u32::try_from(points).unwrap_or(u32::MAX);
    let coupon = policy.coupon_template.is_some();
    (points > 0 || coupon).then_some(Earned { points, coupon })
}

/// One reward, as the dashboard and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardView {
    pub id: Uuid,
    pub call_id: Uuid,
    pub contact_id: Option<Uuid>,
    /// The contact's name, when the call is matched to one.
    pub contact_name: Option<String>,
    pub caller_name: String,
    pub wait_ms: i64,
    pub points: i64,
    pub coupon_code: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub redeemed_by_name: Option<String>,
}

/// What a business issued and redeemed, in all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardTotals {
    pub rewards: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub coupons: i64,
    pub redeemed: i64,
}

/// What a caller is told about the reward of one of their calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum CallerReward {
    /// The call has not been judged yet (ask again shortly).
    Pending,
    /// This call earns nothing.
    None,
    /// Earned.
    #[serde(rename_all = "camelCase")]
    Issued {
        points: i64,
        coupon_code: Option<String>,
        business: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(threshold: u32, ppm: u32, cap: Option<u32>, coupon: bool) -> RewardPolicy {
        RewardPolicy {
            enabled: true,
            threshold_secs: threshold,
            points_per_minute: ppm,
            cap_points: cap,
            coupon_template: coupon.then(|| "WAIT-{code}".to_owned()),
        }
    }

    #[test]
    fn waits_times_policies() {
        let p = |points, coupon| Some(Earned { points, coupon });
        let off = RewardPolicy::default();
        let cases: [(&RewardPolicy, i64, Option<Earned>); 14] = [
            (&off, 600_000, None),
            (&policy(60, 10, None, false), 0, None),
            (&policy(60, 10, None, false), 60_000, None),
            (&policy(60, 10, None, false), 60_001, p(10, false)),
            (&policy(60, 10, None, false), 120_000, p(10, false)),
            (&policy(60, 10, None, false), 120_001, p(20, false)),
            (&policy(60, 10, Some(25), false), 600_000, p(25, false)),
            (&policy(0, 5, None, false), 1, p(5, false)),
            (&policy(60, 0, None, true), 61_000, p(0, true)),
            (&policy(60, 0, None, true), 59_000, None),
            (&policy(30, 7, Some(100), true), 45_000, p(7, true)),
            (
                &policy(3_600, 10_000, None, false),
                i64::MAX,
                p(u32::MAX, false),
            ),
            (&policy(60, 10, None, false), -5, None),
            (&policy(60, 0, None, false), 600_000, None),
        ];
        for (policy, wait, expected) in cases {
            assert_eq!(earned(policy, wait), expected, "{policy:?} for {wait} ms");
        }
    }
}
