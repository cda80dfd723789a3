//! The filtered call log: one page at a time behind a keyset cursor on (requested at, id),
//! newest first, and the whole filtered log for the CSV export — always within the
//! principal's business.
//!
//! Keyset, not offset: a page starts strictly after the last call of the previous one, so
//! calls that arrive while someone pages never shift a call into the next page twice or
//! out of it.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use uuid::Uuid;

use crate::auth::Principal;
use crate::calls::filter::{
    CallFilter, CallPage, CallQuery, Choice, Cursor, FilterOptions, OutcomeKind,
};
use crate::calls::history::CallRecordView;
use crate::entities::{call, intent, team, team_member};
use crate::DomainError;

/// The most calls one page holds.
pub const MAX_PAGE: u64 = 100;

/// The most calls one CSV export holds (the newest of the filtered log).
pub const MAX_EXPORT: u64 = 50_000;

/// [`CallFilter::parse`] as a domain error.
///
/// # Errors
/// `Validation`, field by field.
pub fn parse_filter(query: &CallQuery) -> Result<CallFilter, DomainError> {
    CallFilter::parse(query).map_err(DomainError::Validation)
}

/// The rows condition for an outcome.
fn outcome_condition(kind: OutcomeKind) -> Condition {
    let unanswered = call::Column::AnsweredAt.is_null();
    let cancelled = OutcomeKind::CANCELLED_REASONS;
    match kind {
        OutcomeKind::Answered => Condition::all().add(call::Column::AnsweredAt.is_not_null()),
        OutcomeKind::Ongoing => Condition::all()
            .add(unanswered)
            .add(call::Column::EndReason.is_null()),
        OutcomeKind::Unavailable => Condition::all()
            .add(unanswered)
            .add(call::Column::EndReason.eq("unavailable")),
        OutcomeKind::Cancelled => Condition::all()
            .add(unanswered)
            .add(call::Column::EndReason.is_in(cancelled)),
        OutcomeKind::Missed => Condition::all()
            .add(unanswered)
            .add(call::Column::EndReason.is_not_null())
            .add(call::Column::EndReason.ne("unavailable"))
            .add(call::Column::EndReason.is_not_in(cancelled)),
    }
}

/// The team condition: calls about an intent that rings the team, or answered by one of
/// its members (the business's team only; another business's team matches nothing).
async fn team_condition(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    team_id: Uuid,
) -> Result<Condition, DomainError> {
    let exists = team::Entity::find()
        .filter(team::Column::Id.eq(team_id))
        .filter(team::Column::BusinessId.eq(business_id))
        .one(db)
        .await?
        .is_some();
    if !exists {
        return Ok(Condition::all().add(call::Column::Id.is_null()));
    }
    let intents: Vec<Uuid> = intent::Entity::find()
        .filter(intent::Column::BusinessId.eq(business_id))
        .filter(intent::Column::TargetTeamId.eq(team_id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let members: Vec<Uuid> = team_member::Entity::find()
        .filter(team_member::Column::BusinessId.eq(business_id))
        .filter(team_member::Column::TeamId.eq(team_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    // An empty `IN ()` is not portable SQL: an empty list simply adds nothing.
    let mut any = Condition::any().add(call::Column::Id.is_null());
    if !intents.is_empty() {
        any = any.add(call::Column::Intent.is_in(intents));
    }
    if !members.is_empty() {
        any = any.add(call::Column::AnsweredBy.is_in(members));
    }
    Ok(any)
}

/// The business's calls that pass `filter`, newest first.
///
/// # Errors
/// A database failure.
pub async fn filtered(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    filter: &CallFilter,
) -> Result<Select<call::Entity>, DomainError> {
    let mut all = Condition::all().add(call::Column::BusinessId.eq(business_id));
    let (start, end) = filter.range();
    if let Some(start) = start {
        all = all.add(call::Column::RequestedAt.gte(start));
    }
    if let Some(end) = end {
        all = all.add(call::Column::RequestedAt.lt(end));
    }
    if let Some(domain) = &filter.domain {
        all = all.add(call::Column::Domain.eq(domain.as_str()));
    }
    if let Some(intent) = filter.intent {
        all = all.add(call::Column::Intent.eq(intent));
    }
    if let Some(member) = filter.member {
        all = all.add(call::Column::AnsweredBy.eq(member));
    }
    if let Some(kind) = filter.outcome {
        all = all.add(outcome_condition(kind));
    }
    if let Some(team) = filter.team {
        all = all.add(team_condition(db, business_id, team).await?);
    }
    Ok(call::Entity::find()
        .filter(all)
        .order_by_desc(call::Column::RequestedAt)
        .order_by_desc(call::Column::Id))
}

/// Calls strictly after `cursor` in the log's order (older, or as old with a smaller id).
fn after(cursor: Cursor) -> Condition {
    Condition::any()
        .add(call::Column::RequestedAt.lt(cursor.requested_at))
        .add(
            Condition::all()
                .add(call::Column::RequestedAt.eq(cursor.requested_at))
                .add(call::Column::Id.lt(cursor.id)),
        )
}

/// One page of the principal's business's calls passing `filter`: up to `first` (1 to
/// [`MAX_PAGE`], clamped) after `after`, with the cursor of the next page when there is
/// one.
///
/// # Errors
/// A database failure.
#[tracing::instrument(skip_all, err)]
pub async fn page_for(
    db: &impl ConnectionTrait,
    principal: &Principal,
    filter: &CallFilter,
    after_cursor: Option<Cursor>,
    first: u64,
) -> Result<CallPage, DomainError> {
    let first = first.clamp(1, MAX_PAGE);
    let mut select = filtered(db, principal.business_id, filter).await?;
    if let Some(cursor) = after_cursor {
        select = select.filter(after(cursor));
    }
    let mut rows = select.limit(first + 1).all(db).await?;
    let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    let next = more.then(|| rows.last()).flatten().map(|r| {
        Cursor {
            requested_at: r.requested_at,
            id: r.id,
        }
        .encode()
    });
    let calls = super::views::views_of(db, principal.business_id, rows).await?;
    Ok(CallPage { calls, next })
}

/// The filtered log for the export: the newest [`MAX_EXPORT`] calls passing `filter`.
///
/// # Errors
/// A database failure.
#[tracing::instrument(skip_all, err)]
pub async fn export_for(
    db: &impl ConnectionTrait,
    principal: &Principal,
    filter: &CallFilter,
) -> Result<Vec<CallRecordView>, DomainError> {
    let rows = filtered(db, principal.business_id, filter)
        .await?
        .limit(MAX_EXPORT)
        .all(db)
        .await?;
    super::views::views_of(db, principal.business_id, rows).await
}

/// The most domains [`filter_options`] lists.
const MAX_DOMAINS: u64 = 200;

/// What the principal's business's filters can be set to: the domains its calls were
/// made to, its intents (in their order), teams and members (by name).
///
/// # Errors
/// A database failure.
pub async fn filter_options(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<FilterOptions, DomainError> {
    let business_id = principal.business_id;
    let mut domains: Vec<String> = call::Entity::find()
        .select_only()
        .column(call::Column::Domain)
        .distinct()
        .filter(call::Column::BusinessId.eq(business_id))
        .order_by_asc(call::Column::Domain)
        .limit(MAX_DOMAINS)
        .into_tuple()
        .all(db)
        .await?;
    domains.sort();
    let intents = intent::Entity::find()
        .filter(intent::Column::BusinessId.eq(business_id))
        .order_by_asc(intent::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|i| Choice {
            id: i.id.to_string(),
            label: i.label,
        })
        .collect();
    let teams = team::Entity::find()
        .filter(team::Column::BusinessId.eq(business_id))
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| Choice {
            id: t.id.to_string(),
            label: t.name,
        })
        .collect();
    let mut members: Vec<Choice> = crate::routing_setup::member_names(db, business_id)
        .await?
        .into_iter()
        .map(|(id, name)| Choice {
            id: id.to_string(),
            label: name.shown().to_owned(),
        })
        .collect();
    members.sort_by_key(|m| m.label.to_lowercase());
    Ok(FilterOptions {
        domains,
        intents,
        teams,
        members,
    })
}
