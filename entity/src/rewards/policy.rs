//! Reading and setting a business's reward policy.

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{prelude::*, ActiveValue::Set};

use super::{
    RewardPolicy, CAP_MAX, CODE_PLACEHOLDER, POINTS_PER_MINUTE_MAX, TEMPLATE_MAX,
    THRESHOLD_MAX_SECS,
};
use crate::auth::Principal;
use crate::entities::reward_policy;
use crate::events::{BusinessEventKind, EventBus};
use crate::types::FieldError;
use crate::DomainError;

/// The random part of a coupon code: 8 characters nobody misreads.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 8;

impl RewardPolicy {
    /// A policy from what a manager entered.
    ///
    /// # Errors
    /// `Validation` naming each field out of range: a threshold past an hour, too many
    /// points, a cap of 0 or past [`CAP_MAX`], a template without exactly one
    /// [`CODE_PLACEHOLDER`] or with other characters than letters, digits, `-` and `_`, or
    /// an enabled policy that gives nothing.
    pub fn checked(
        enabled: bool,
        threshold_secs: i64,
        points_per_minute: i64,
        cap_points: Option<i64>,
        coupon_template: Option<&str>,
    ) -> Result<Self, DomainError> {
        let mut errors = Vec::new();
        let mut field = |name: &str, message: String| {
            errors.push(FieldError {
                field: name.to_owned(),
                message,
            });
        };
        let threshold = u32::try_from(threshold_secs)
            .ok()
            .filter(|t| *t <= THRESHOLD_MAX_SECS);
        if threshold.is_none() {
            field(
                "thresholdSecs",
                format!("Give a threshold from 0 to {THRESHOLD_MAX_SECS} seconds."),
            );
        }
        let points = u32::try_from(points_per_minute)
            .ok()
            .filter(|p| *p <= POINTS_PER_MINUTE_MAX);
        if points.is_none() {
            field(
                "pointsPerMinute",
                format!("Give from 0 to {POINTS_PER_MINUTE_MAX} points per minute."),
            );
        }
        let cap = match cap_points {
            None => None,
            Some(c) => match u32::try_from(c).ok().filter(|c| (1..=CAP_MAX).contains(c)) {
                Some(c) => Some(c),
                None => {
                    field(
                        "capPoints",
                        format!("Give a cap from 1 to {CAP_MAX} points, or none."),
                    );
                    None
                }
            },
        };
        let template = coupon_template.map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = template {
            if let Err(why) = check_template(t) {
                field("couponTemplate", why.to_owned());
            }
        }
        if enabled && points == Some(0) && template.is_none() {
            field(
                "pointsPerMinute",
                "Give points per minute or a coupon template, or switch rewards off.".to_owned(),
            );
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        Ok(Self {
            enabled,
            threshold_secs: threshold.unwrap_or_default(),
            points_per_minute: points.unwrap_or_default(),
            cap_points: cap,
            coupon_template: template.map(str::to_owned),
        })
    }
}

fn check_template(template: &str) -> Result<(), &'static str> {
    if template.chars().count() > TEMPLATE_MAX {
        return Err("Keep the coupon template to 40 characters.");
    }
    if template.matches(CODE_PLACEHOLDER).count() != 1 {
        return Err("Put {code} once in the coupon template, where each code differs.");
    }
    let rest = template.replace(CODE_PLACEHOLDER, "");
    if !rest
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("Use letters, digits, - and _ around {code}.");
    }
    Ok(())
}

/// A fresh code from `template`.
#[must_use]
pub fn coupon_code(template: &str) -> String {
    let mut rng = rand::thread_rng();
    let part: String = (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect();
    template.replacen(CODE_PLACEHOLDER, &part, 1)
}

/// The policy of `business_id` and since when it is on (defaults, off, without a row).
///
/// # Errors
/// A database failure.
pub async fn of(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<(RewardPolicy, Option<DateTime<Utc>>), DbErr> {
    let Some(row) = reward_policy::Entity::find_by_id(business_id)
        .one(db)
        .await?
    else {
        return Ok((RewardPolicy::default(), None));
    };
    let policy = RewardPolicy::checked(
        row.enabled,
        row.threshold_secs.into(),
        row.points_per_minute.into(),
        row.cap_points.map(Into::into),
        row.coupon_template.as_deref(),
    )
    .unwrap_or_default();
    Ok((policy, row.enabled_at))
}

/// The policy of the principal's business.
///
/// # Errors
/// A database failure.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<RewardPolicy, DomainError> {
    Ok(of(db, principal.business_id).await?.0)
}

/// Sets the reward policy of the principal's business (owners and admins). Switching it on
/// starts the clock: calls requested from now on earn.
///
/// # Errors
/// `Forbidden` for agents; a database failure.
pub async fn set(
    db: &impl ConnectionTrait,
    events: &dyn EventBus,
    principal: &Principal,
    policy: RewardPolicy,
    now: DateTime<Utc>,
) -> Result<RewardPolicy, DomainError> {
    principal.require_manager()?;
    let business_id = principal.business_id;
    let (before, since) = of(db, business_id).await?;
    let enabled_at = match (policy.enabled, before.enabled) {
        (true, true) => since.or(Some(now)),
        (true, false) => Some(now),
        (false, _) => None,
    };
    let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let row = reward_policy::ActiveModel {
        business_id: Set(business_id),
        enabled: Set(policy.enabled),
        threshold_secs: Set(int(policy.threshold_secs)),
        points_per_minute: Set(int(policy.points_per_minute)),
        cap_points: Set(policy.cap_points.map(int)),
        coupon_template: Set(policy.coupon_template.clone()),
        enabled_at: Set(enabled_at),
        updated_at: Set(now),
    };
    reward_policy::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(reward_policy::Column::BusinessId)
                .update_columns([
                    reward_policy::Column::Enabled,
                    reward_policy::Column::ThresholdSecs,
                    reward_policy::Column::PointsPerMinute,
                    reward_policy::Column::CapPoints,
                    reward_policy::Column::CouponTemplate,
                    reward_policy::Column::EnabledAt,
                    reward_policy::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    events.publish(business_id, BusinessEventKind::RewardsChanged, business_id);
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_is_checked_field_by_field() {
        let ok = RewardPolicy::checked(true, 90, 5, Some(50), Some(" THANKS-{code} "));
        assert_eq!(
            ok.ok().and_then(|p| p.coupon_template),
            Some("THANKS-{code}".to_owned())
        );
        let fields = |r: Result<RewardPolicy, DomainError>| -> Vec<String> {
            match r {
                Err(DomainError::Validation(f)) => f.into_iter().map(|f| f.field).collect(),
                other => panic!("expected a validation error, got {other:?}"),
            }
        };
        assert_eq!(
            fields(RewardPolicy::checked(true, -1, 5, None, None)),
            ["thresholdSecs"]
        );
        assert_eq!(
            fields(RewardPolicy::checked(true, 10, 10_001, Some(0), None)),
            ["pointsPerMinute", "capPoints"]
        );
        for bad in ["NOCODE", "{code}{code}", "A B-{code}", "<b>{code}</b>"] {
            assert_eq!(
                fields(RewardPolicy::checked(true, 10, 5, None, Some(bad))),
                ["couponTemplate"],
                "{bad}"
            );
        }
        assert_eq!(
            fields(RewardPolicy::checked(true, 10, 0, None, None)),
            ["pointsPerMinute"]
        );
        assert!(RewardPolicy::checked(false, 10, 0, None, None).is_ok());
    }

    #[test]
    fn coupon_codes_fill_the_template_with_a_fresh_part() {
        let a = coupon_code("WAIT-{code}-X");
        let b = coupon_code("WAIT-{code}-X");
        assert_ne!(a, b);
        let part = a
            .strip_prefix("WAIT-")
            .and_then(|r| r.strip_suffix("-X"))
            .unwrap_or_default();
        assert_eq!(part.len(), CODE_LEN);
        assert!(part.bytes().all(|c| CODE_ALPHABET.contains(&c)), "{a}");
    }
}
