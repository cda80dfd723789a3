//! Routing setup: the stored side of routing — a business's intents (what callers pick),
//! its teams (who rings together, how, for how long, who comes next) and their members —
//! and [`route_for`], which turns them into what the pure rules in
//! [`crate::calls::routing`] take when a call comes in.
//!
//! The views and input rules ([`rules`]) are pure and compile to wasm; the rest needs the
//! `db` feature. Owners and admins change the setup; every member reads it.

pub mod rules;

/// Ids of intents, teams and members (re-exported for the browser build, which has no
/// direct `uuid` dependency).
pub use uuid::Uuid;

pub use rules::{
    IntentLabel, IntentTarget, IntentView, TeamInput, TeamMemberView, TeamView,
    DEFAULT_RING_TIMEOUT_SECS, MAX_INTENT_LABEL, MAX_RING_TIMEOUT_SECS, MAX_TEAM_NAME,
    MIN_RING_TIMEOUT_SECS,
};

#[cfg(feature = "db")]
pub mod intents;
#[cfg(feature = "db")]
mod route;
#[cfg(feature = "db")]
pub mod teams;

#[cfg(feature = "db")]
pub use route::{
    call_route, domain_team_route, route_by, route_for, team_route, CallRoute, RouteBy, RouteError,
};

#[cfg(feature = "db")]
use std::collections::HashMap;

#[cfg(feature = "db")]
use sea_orm::{prelude::*, QueryOrder};

/// The business's members' emails and display names, by user id (to name them).
#[cfg(feature = "db")]
pub(crate) async fn member_names(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<HashMap<Uuid, crate::types::MemberName>, DbErr> {
    use crate::entities::{membership, user};
    Ok(membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(business_id))
        .find_also_related(user::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(m, u)| {
            u.map(|u| {
                let name = crate::types::MemberName {
                    email: u.email,
                    display_name: u.display_name,
                };
                (m.user_id, name)
            })
        })
        .collect())
}

/// The names of the business's teams, by id.
#[cfg(feature = "db")]
async fn team_names(
    db: &impl ConnectionTrait,
    business_id: Uuid,
) -> Result<HashMap<Uuid, String>, DbErr> {
    use crate::entities::team;
    Ok(team::Entity::find()
        .filter(team::Column::BusinessId.eq(business_id))
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}
