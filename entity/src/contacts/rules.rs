//! A business's own client-type thresholds (`client_type_rules`; without a row the
//! defaults of [`TierRules::DEFAULT`]). Owners and admins set them; a change publishes
//! `ContactsChanged` naming the business, which drops every cached card of it.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{prelude::*, ActiveValue::Set};

use super::store::changed;
use super::tiers::TierRules;
use crate::auth::Principal;
use crate::entities::client_type_rule;
use crate::DomainError;

/// The thresholds `business_id` classifies its contacts by.
///
/// # Errors
/// A database failure.
pub async fn rules_for(db: &impl ConnectionTrait, business_id: Uuid) -> Result<TierRules, DbErr> {
    let row = client_type_rule::Entity::find_by_id(business_id)
        .one(db)
        .await?;
    Ok(row.map_or(TierRules::DEFAULT, |r| TierRules {
        repeat_calls: r.repeat_calls,
        premium_calls: r.premium_calls,
        premium_total_minor: r.premium_total_minor,
    }))
}

/// Sets the principal's business's thresholds. Owners and admins only.
///
/// # Errors
/// `Forbidden` for agents; `Validation` unless `1 ≤ repeat ≤ premium calls` and the
/// premium total is positive.
pub async fn set_rules(
    db: &impl ConnectionTrait,
    events: &dyn crate::events::EventBus,
    principal: &Principal,
    repeat_calls: i64,
    premium_calls: i64,
    premium_total_minor: i64,
) -> Result<TierRules, DomainError> {
    principal.require_manager()?;
    let rules = TierRules::new(repeat_calls, premium_calls, premium_total_minor)
        .map_err(|e| DomainError::Validation(vec![e]))?;
    let row = client_type_rule::ActiveModel {
        business_id: Set(principal.business_id),
        repeat_calls: Set(rules.repeat_calls),
        premium_calls: Set(rules.premium_calls),
        premium_total_minor: Set(rules.premium_total_minor),
        updated_at: Set(Utc::now()),
    };
    client_type_rule::Entity::insert(row)
        .on_conflict(
            OnConflict::column(client_type_rule::Column::BusinessId)
                .update_columns([
                    client_type_rule::Column::RepeatCalls,
                    client_type_rule::Column::PremiumCalls,
                    client_type_rule::Column::PremiumTotalMinor,
                    client_type_rule::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    changed(events, principal.business_id, principal.business_id);
    Ok(rules)
}
