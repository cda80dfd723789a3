//! Contacts in the database: reading, searching, editing. Every query is scoped to the
//! principal's business (another business's contact looks missing: `NotFound`), and every
//! change publishes `ContactsChanged` (naming the contact) after it commits, so the call
//! directory drops the cached screen-pop card.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    prelude::*, ActiveValue::Set, Condition, QueryOrder, QuerySelect, TransactionSession,
    TransactionTrait,
};

use super::tiers::{ClientType, PurchaseTotals, TierRules};
use super::values::{optional_text, required_text, Tags};
use super::views::{ContactChange, ContactFilter, ContactView};
use crate::auth::Principal;
use crate::entities::{contact, purchase};
use crate::events::{BusinessEventKind, EventBus};
use crate::validate::EmailAddress;
use crate::webhooks::{self, EventType};
use crate::DomainError;

/// The most contacts one page holds.
pub const MAX_PAGE: u64 = 100;

/// Rows read at a time while a filter the database cannot apply (the client type) sorts
/// them out.
const SCAN_CHUNK: u64 = 200;

/// Tells the directory (and `businessEvents` subscribers) that a contact changed.
pub(crate) fn changed(events: &dyn EventBus, business_id: Uuid, contact_id: Uuid) {
    events.publish(business_id, BusinessEventKind::ContactsChanged, contact_id);
}

/// A unique violation on a contact's email or domain as a clear refusal.
pub(crate) fn taken(e: DbErr) -> DomainError {
    if crate::domains::is_unique_violation(&e) {
        DomainError::Conflict(
            "Another contact of this business already has this email or domain; merge them \
             instead."
                .to_owned(),
        )
    } else {
        e.into()
    }
}

/// One of the principal's business's contacts, or `NotFound`.
///
/// # Errors
/// `NotFound`; database failures.
pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<contact::Model, DomainError> {
    contact::Entity::find_by_id(id)
        .filter(contact::Column::BusinessId.eq(principal.business_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("contact"))
}

/// The purchases of `contacts` (of `business_id`), summed per contact and currency.
pub(crate) async fn totals_of(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    contacts: &[Uuid],
) -> Result<HashMap<Uuid, PurchaseTotals>, DbErr> {
    let mut totals: HashMap<Uuid, PurchaseTotals> = HashMap::new();
    if contacts.is_empty() {
        return Ok(totals);
    }
    let rows: Vec<(Uuid, String, i64)> = purchase::Entity::find()
        .select_only()
        .column(purchase::Column::ContactId)
        .column(purchase::Column::Currency)
        .column(purchase::Column::AmountMinor)
        .filter(purchase::Column::BusinessId.eq(business_id))
        .filter(purchase::Column::ContactId.is_in(contacts.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    for (contact_id, currency, amount) in rows {
        totals.entry(contact_id).or_default().add(&currency, amount);
    }
    Ok(totals)
}

/// A contact as shown, with its purchases summed, classified by `rules`.
pub(crate) fn view(row: contact::Model, totals: &PurchaseTotals, rules: &TierRules) -> ContactView {
    let chosen = row.client_type.as_deref().and_then(ClientType::parse);
    ContactView {
        client_type: rules.classify(chosen, row.call_count, totals),
        client_type_override: chosen,
        purchase_total: totals.main(),
        tags: Tags::from_stored(&row.tags).as_slice().to_vec(),
        id: row.id,
        name: row.name,
        email: row.email,
        phone: row.phone,
        address: row.address,
        caller_domain: row.caller_domain,
        first_seen_at: row.first_seen_at,
        last_contact_at: row.last_contact_at,
        call_count: row.call_count,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Contacts as shown, their purchases read in one query and classified by their
/// business's rules.
///
/// # Errors
/// A database failure.
pub async fn views_of(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    rows: Vec<contact::Model>,
) -> Result<Vec<ContactView>, DbErr> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let totals = totals_of(db, business_id, &ids).await?;
    let rules = super::rules::rules_for(db, business_id).await?;
    let none = PurchaseTotals::default();
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = totals.get(&r.id).unwrap_or(&none);
            view(r, t, &rules)
        })
        .collect())
}

/// One contact of the principal's business.
///
/// # Errors
/// `NotFound`; database failures.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<ContactView, DomainError> {
    let row = find(db, principal, id).await?;
    let mut views = views_of(db, principal.business_id, vec![row]).await?;
    views.pop().ok_or(DomainError::NotFound("contact"))
}

/// A page of contacts, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<ContactView>,
    /// Whether more follow the last item.
    pub has_next: bool,
}

/// `LIKE` pattern for "contains `text`", with `%`, `_` and `\` taken literally.
fn contains(text: &str) -> LikeExpr {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// The filters the database applies.
fn condition(filter: &ContactFilter) -> Condition {
    let mut all = Condition::all();
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let needle = search.to_lowercase();
        let tag = serde_json::to_string(&needle).unwrap_or_default();
        all = all.add(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(contact::Column::Name)))
                        .like(contains(&needle)),
                )
                .add(contact::Column::Email.like(contains(&needle)))
                .add(contact::Column::CallerDomain.like(contains(&needle)))
                .add(contact::Column::Tags.like(contains(&tag))),
        );
    }
    if let Some(tag) = filter
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let tag = serde_json::to_string(&tag.to_lowercase()).unwrap_or_default();
        all = all.add(contact::Column::Tags.like(contains(&tag)));
    }
    if let Some(before) = filter.last_contact_before {
        all = all.add(contact::Column::LastContactAt.lt(before));
    }
    if let Some(after) = filter.last_contact_after {
        all = all.add(contact::Column::LastContactAt.gt(after));
    }
    all
}

/// The business's contacts matching `filter`, newest first (ids are UUIDv7): `first` of
/// them (1 to [`MAX_PAGE`]) created before `after`. Search matches part of a name, email
/// or domain, or a whole tag, in any case.
///
/// # Errors
/// Database failures.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    filter: &ContactFilter,
    after: Option<Uuid>,
    first: u64,
) -> Result<Page, DomainError> {
    let first = first.clamp(1, MAX_PAGE);
    let want = usize::try_from(first).unwrap_or(usize::MAX);
    let mut items: Vec<ContactView> = Vec::new();
    let mut cursor = after;
    loop {
        let mut query = contact::Entity::find()
            .filter(contact::Column::BusinessId.eq(principal.business_id))
            .filter(condition(filter));
        if let Some(cursor) = cursor {
            query = query.filter(contact::Column::Id.lt(cursor));
        }
        let chunk = if filter.client_type.is_some() {
            SCAN_CHUNK
        } else {
            first + 1
        };
        let rows = query
            .order_by_desc(contact::Column::Id)
            .limit(chunk)
            .all(db)
            .await?;
        let exhausted = (rows.len() as u64) < chunk;
        cursor = rows.last().map(|r| r.id);
        let views = views_of(db, principal.business_id, rows).await?;
        items.extend(
            views
                .into_iter()
                .filter(|v| filter.client_type.is_none_or(|t| v.client_type == t)),
        );
        if items.len() > want || exhausted {
            break;
        }
    }
    let has_next = items.len() > want;
    items.truncate(want);
    Ok(Page { items, has_next })
}

/// Changes a contact's fields (see [`ContactChange`]) and announces `contact.updated` to
/// webhooks in the same transaction. Every member may edit; only owners and admins choose
/// a client type by hand.
///
/// # Errors
/// `NotFound`; `Forbidden` for an agent choosing a client type; `Validation` for a blank
/// name, a bad email or tags, or a field too long; `Conflict` when another contact has
/// that email.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: &dyn EventBus,
    principal: &Principal,
    id: Uuid,
    change: ContactChange,
) -> Result<ContactView, DomainError> {
    if change.client_type.is_some() {
        principal.require_manager()?;
    }
    let tx = crate::tx::begin_write(db).await?;
    let row = find(&tx, principal, id).await?;
    let mut active: contact::ActiveModel = row.into();
    let invalid = |e| DomainError::Validation(vec![e]);
    if let Some(name) = change.name {
        active.name = Set(required_text("name", &name, "a name").map_err(invalid)?);
    }
    if let Some(email) = change.email {
        let email = match email.trim() {
            "" => None,
            e => Some(
                EmailAddress::parse("email", e)
                    .map_err(invalid)?
                    .as_ref()
                    .to_owned(),
            ),
        };
        active.email = Set(email);
    }
    if let Some(phone) = change.phone {
        active.phone = Set(optional_text("phone", Some(&phone)).map_err(invalid)?);
    }
    if let Some(address) = change.address {
        active.address = Set(optional_text("address", Some(&address)).map_err(invalid)?);
    }
    if let Some(tags) = change.tags {
        active.tags = Set(Tags::parse(&tags).map_err(invalid)?.stored());
    }
    if let Some(chosen) = change.client_type {
        active.client_type = Set(chosen.map(|t| t.as_str().to_owned()));
    }
    let now = Utc::now();
    active.updated_at = Set(now);
    active.update(&tx).await.map_err(taken)?;
    let view = get(&tx, principal, id).await?;
    let event = webhooks::Event::new(EventType::ContactUpdated, now, &view);
    webhooks::emit(&tx, principal.business_id, event).await?;
    tx.commit().await?;
    changed(events, principal.business_id, id);
    Ok(view)
}
