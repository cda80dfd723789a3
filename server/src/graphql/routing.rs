//! Routing setup over GraphQL: intents (what callers pick) and teams (who answers).
//! Thin: parse ids, call `entity::routing_setup`, map the views. Every member reads;
//! owners and admins change (the entity crate decides).

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::calls::RingStrategy as WireStrategy;
use entity::routing_setup::{self as setup, intents, teams, IntentTarget};
use entity::DomainError;
use uuid::Uuid;

use super::context::ContextExt;
use super::error::{gql, GqlResult};

fn parse_id(id: &ID, what: &'static str) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound(what)))
}

/// Who an intent's calls ring.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum IntentTargetKind {
    /// Every member of the business at once.
    Everyone,
    /// One team (its strategy, ring timeout and fallback apply).
    Team,
    /// One member.
    Member,
}

/// Where an intent routes: `kind`, plus `teamId` for a team or `userId` for a member.
#[derive(InputObject)]
pub struct IntentTargetInput {
    pub kind: IntentTargetKind,
    pub team_id: Option<ID>,
    pub user_id: Option<ID>,
}

impl IntentTargetInput {
    fn parse(&self) -> Result<IntentTarget> {
        let missing = |what: &str| {
            gql(DomainError::invalid(
                "target",
                format!("Say which {what} answers."),
            ))
        };
        Ok(match self.kind {
            IntentTargetKind::Everyone => IntentTarget::Everyone,
            IntentTargetKind::Team => IntentTarget::Team(parse_id(
                self.team_id.as_ref().ok_or_else(|| missing("team"))?,
                "team",
            )?),
            IntentTargetKind::Member => IntentTarget::Member(parse_id(
                self.user_id.as_ref().ok_or_else(|| missing("member"))?,
                "member",
            )?),
        })
    }
}

/// A reason to call, as the dashboard lists it.
#[derive(SimpleObject)]
pub struct Intent {
    pub id: ID,
    /// What the caller reads on the call page.
    pub label: String,
    /// Its place in the business's order (ascending).
    pub position: i32,
    pub target_kind: IntentTargetKind,
    /// The team rung, for `TEAM`.
    pub target_team_id: Option<ID>,
    /// The member rung, for `MEMBER`.
    pub target_user_id: Option<ID>,
    /// The target team's name or member's display name (else email).
    pub target_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<setup::IntentView> for Intent {
    fn from(i: setup::IntentView) -> Self {
        let (kind, team, user) = match i.target {
            IntentTarget::Everyone => (IntentTargetKind::Everyone, None, None),
            IntentTarget::Team(t) => (IntentTargetKind::Team, Some(ID(t.to_string())), None),
            IntentTarget::Member(u) => (IntentTargetKind::Member, None, Some(ID(u.to_string()))),
        };
        Self {
            id: ID(i.id.to_string()),
            label: i.label,
            position: i.position,
            target_kind: kind,
            target_team_id: team,
            target_user_id: user,
            target_name: i.target_name,
            created_at: i.created_at,
        }
    }
}

/// How a team's members are rung.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum RingStrategy {
    /// Every available member at once (the default).
    #[default]
    Simultaneous,
    /// One member at a time, starting after the one rung last.
    RoundRobin,
    /// One member at a time, the one idle longest first.
    LongestIdle,
}

impl From<WireStrategy> for RingStrategy {
    fn from(s: WireStrategy) -> Self {
        match s {
            WireStrategy::Simultaneous => Self::Simultaneous,
            WireStrategy::RoundRobin => Self::RoundRobin,
            WireStrategy::LongestIdle => Self::LongestIdle,
        }
    }
}

impl From<RingStrategy> for WireStrategy {
    fn from(s: RingStrategy) -> Self {
        match s {
            RingStrategy::Simultaneous => Self::Simultaneous,
            RingStrategy::RoundRobin => Self::RoundRobin,
            RingStrategy::LongestIdle => Self::LongestIdle,
        }
    }
}

/// A team's settings (create, or replace on update).
#[derive(InputObject)]
pub struct TeamInput {
    pub name: String,
    #[graphql(default)]
    pub strategy: RingStrategy,
    /// How long each member (or the whole team, at once) rings: 5 to 300 seconds.
    #[graphql(default = 30)]
    pub ring_timeout_secs: i32,
    /// Another team of the business that rings when nobody here answers.
    pub fallback_team_id: Option<ID>,
}

impl TeamInput {
    fn parse(&self) -> Result<setup::TeamInput> {
        Ok(setup::TeamInput {
            name: self.name.clone(),
            strategy: WireStrategy::from(self.strategy).as_str().to_owned(),
            ring_timeout_secs: self.ring_timeout_secs.into(),
            fallback_team_id: self
                .fallback_team_id
                .as_ref()
                .map(|f| parse_id(f, "fallback team"))
                .transpose()?,
        })
    }
}

/// A member of a team.
#[derive(SimpleObject)]
pub struct TeamMember {
    pub user_id: ID,
    pub email: String,
    /// The name they chose (null: shown by email).
    pub display_name: Option<String>,
}

/// A team: who rings together, how, for how long, and who comes next.
#[derive(SimpleObject)]
pub struct Team {
    pub id: ID,
    pub name: String,
    pub strategy: RingStrategy,
    pub ring_timeout_secs: i32,
    pub fallback_team_id: Option<ID>,
    pub fallback_team_name: Option<String>,
    /// In the team's order (round-robin follows it).
    pub members: Vec<TeamMember>,
    pub created_at: DateTime<Utc>,
}

impl From<setup::TeamView> for Team {
    fn from(t: setup::TeamView) -> Self {
        Self {
            id: ID(t.id.to_string()),
            name: t.name,
            strategy: t.strategy.into(),
            ring_timeout_secs: t.ring_timeout_secs,
            fallback_team_id: t.fallback_team_id.map(|f| ID(f.to_string())),
            fallback_team_name: t.fallback_team_name,
            members: t
                .members
                .into_iter()
                .map(|m| TeamMember {
                    user_id: ID(m.user_id.to_string()),
                    email: m.email,
                    display_name: m.display_name,
                })
                .collect(),
            created_at: t.created_at,
        }
    }
}

/// Routing setup queries.
#[derive(Default)]
pub struct RoutingQuery;

#[Object]
impl RoutingQuery {
    /// The intents of the current business, in the order callers see them.
    async fn intents(&self, ctx: &Context<'_>) -> Result<Vec<Intent>> {
        let list = intents::list(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// The teams of the current business with their members, oldest first.
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<Team>> {
        let list = teams::list(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }
}

/// Routing setup mutations (owners and admins).
#[derive(Default)]
pub struct RoutingMutation;

#[Object]
impl RoutingMutation {
    /// Adds an intent at the end of the list. `CONFLICT` when the label is taken (in any
    /// case); `NOT_FOUND` when the target is not a team or member of this business.
    #[graphql(complexity = 10)]
    async fn create_intent(
        &self,
        ctx: &Context<'_>,
        label: String,
        target: IntentTargetInput,
    ) -> Result<Intent> {
        let target = target.parse()?;
        let i = intents::create(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            &label,
            target,
        )
        .await
        .gql()?;
        Ok(i.into())
    }

    /// Renames an intent and/or points it elsewhere (omitted arguments stay as they are).
    #[graphql(complexity = 10)]
    async fn update_intent(
        &self,
        ctx: &Context<'_>,
        id: ID,
        label: Option<String>,
        target: Option<IntentTargetInput>,
    ) -> Result<Intent> {
        let id = parse_id(&id, "intent")?;
        let target = target.as_ref().map(IntentTargetInput::parse).transpose()?;
        let i = intents::update(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            id,
            label.as_deref(),
            target,
        )
        .await
        .gql()?;
        Ok(i.into())
    }

    /// Deletes an intent.
    #[graphql(complexity = 10)]
    async fn delete_intent(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id(&id, "intent")?;
        intents::delete(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            id,
        )
        .await
        .gql()?;
        Ok(true)
    }

    /// Puts the intents in the order of `ids`, which must list each of them once.
    #[graphql(complexity = 10)]
    async fn reorder_intents(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Intent>> {
        let ids = ids
            .iter()
            .map(|id| parse_id(id, "intent"))
            .collect::<Result<Vec<_>>>()?;
        let list = intents::reorder(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            &ids,
        )
        .await
        .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Creates a team (without members; see `setTeamMembers`). `VALIDATION` with `fields`
    /// for a bad name, a ring timeout outside 5–300 s or a fallback loop.
    #[graphql(complexity = 10)]
    async fn create_team(&self, ctx: &Context<'_>, input: TeamInput) -> Result<Team> {
        let input = input.parse()?;
        let t = teams::create(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            &input,
        )
        .await
        .gql()?;
        Ok(t.into())
    }

    /// Replaces a team's settings.
    #[graphql(complexity = 10)]
    async fn update_team(&self, ctx: &Context<'_>, id: ID, input: TeamInput) -> Result<Team> {
        let id = parse_id(&id, "team")?;
        let input = input.parse()?;
        let t = teams::update(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            id,
            &input,
        )
        .await
        .gql()?;
        Ok(t.into())
    }

    /// Deletes a team. `CONFLICT` (naming them) while intents route to it.
    #[graphql(complexity = 10)]
    async fn delete_team(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id(&id, "team")?;
        teams::delete(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            id,
        )
        .await
        .gql()?;
        Ok(true)
    }

    /// Makes `userIds`, in that order, the team's members (members of this business).
    #[graphql(complexity = 10)]
    async fn set_team_members(&self, ctx: &Context<'_>, id: ID, user_ids: Vec<ID>) -> Result<Team> {
        let id = parse_id(&id, "team")?;
        let users = user_ids
            .iter()
            .map(|u| parse_id(u, "member"))
            .collect::<Result<Vec<_>>>()?;
        let t = teams::set_members(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            id,
            &users,
        )
        .await
        .gql()?;
        Ok(t.into())
    }
}
