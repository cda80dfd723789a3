//! The overview's "getting live" checklist: what a business has set up so far, so each
//! step ticks once done (owners and admins), and what an agent's own day looks like.

use serde::{Deserialize, Serialize};

/// What a business has set up, read for the overview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupProgress {
    /// A domain is verified: the call page is live.
    pub domain_verified: bool,
    /// Intents callers can pick.
    pub intents: u64,
    /// Teams with at least one member.
    pub staffed_teams: u64,
    /// Members of the business (the owner counts).
    pub members: u64,
    /// Opening hours are set for the business.
    pub hours_set: bool,
    /// Calls of the last 7 days nobody answered (missed, rejected, unavailable).
    pub missed_this_week: u64,
}

impl SetupProgress {
    /// The owner's steps in order, each with whether it is done.
    #[must_use]
    pub fn steps(&self) -> [(Step, bool); 4] {
        [
            (Step::Domain, self.domain_verified),
            (Step::Routing, self.intents > 0 && self.staffed_teams > 0),
            (Step::Team, self.members > 1),
            (Step::Hours, self.hours_set),
        ]
    }

    /// How many of [`Self::steps`] are done.
    #[must_use]
    pub fn done(&self) -> usize {
        self.steps().iter().filter(|(_, done)| *done).count()
    }
}

/// One step of getting a call page live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Add and verify a domain.
    Domain,
    /// Intents routed to teams with people in them.
    Routing,
    /// Invite the team.
    Team,
    /// Opening hours.
    Hours,
}

#[cfg(feature = "db")]
mod read {
    use sea_orm::{prelude::*, QuerySelect};

    use super::SetupProgress;
    use crate::auth::Principal;
    use crate::entities::{call, domain, intent, membership, schedule, team_member};
    use crate::types::DomainStatus;
    use crate::DomainError;

    /// The principal's business's progress (six counting queries, all scoped to it).
    ///
    /// # Errors
    /// A database failure.
    pub async fn progress(
        db: &impl ConnectionTrait,
        principal: &Principal,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<SetupProgress, DomainError> {
        let business = principal.business_id;
        let verified = domain::Entity::find()
            .filter(domain::Column::BusinessId.eq(business))
            .filter(domain::Column::Status.eq(DomainStatus::Verified.as_str()))
            .count(db)
            .await?;
        let intents = intent::Entity::find()
            .filter(intent::Column::BusinessId.eq(business))
            .count(db)
            .await?;
        let staffed: Vec<Uuid> = team_member::Entity::find()
            .select_only()
            .column(team_member::Column::TeamId)
            .distinct()
            .filter(team_member::Column::BusinessId.eq(business))
            .into_tuple()
            .all(db)
            .await?;
        let members = membership::Entity::find()
            .filter(membership::Column::BusinessId.eq(business))
            .count(db)
            .await?;
        let hours = schedule::Entity::find()
            .filter(schedule::Column::BusinessId.eq(business))
            .filter(schedule::Column::TeamId.is_null())
            .count(db)
            .await?;
        let missed = call::Entity::find()
            .filter(call::Column::BusinessId.eq(business))
            .filter(call::Column::RequestedAt.gte(now - chrono::Duration::days(7)))
            .filter(call::Column::AnsweredAt.is_null())
            .filter(call::Column::EndReason.is_in(["missed", "rejected", "unavailable"]))
            .count(db)
            .await?;
        Ok(SetupProgress {
            domain_verified: verified > 0,
            intents,
            staffed_teams: u64::try_from(staffed.len()).unwrap_or(u64::MAX),
            members,
            hours_set: hours > 0,
            missed_this_week: missed,
        })
    }
}

#[cfg(feature = "db")]
pub use read::progress;
