//! The reward job: after an answered call ends, its wait is judged against the business's
//! policy once — a `reward_checks` row claims the call in the transaction that issues its
//! reward (if any), so however often the job runs for a call (a retry, the sweep, two
//! workers side by side), one reward at most is issued. A reward is announced to webhooks
//! (`reward.issued`) in that transaction and mailed to the caller after it, if they left
//! an email.
//!
//! The call row itself is what makes this durable: an answered call that ended and has no
//! check is still due, and [`judge_due`] finds it after a crash.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect, TryInsertResult};

use super::{earned, policy, RewardView};
use crate::auth::emails::{escape_html, html, mail_safe};
use crate::entities::{
    business, call, caller_identity, contact, reward, reward_check, reward_policy,
};
use crate::outbox::{Outbox, OutgoingEmail};
use crate::webhooks::{self, EventType};
use crate::DomainError;

/// How long after its end a call is still judged by the sweep.
pub const SWEEP_LOOKBACK: Duration = Duration::days(7);
/// How long the sweep leaves a just-ended call to the job its end queued.
pub const SWEEP_GRACE: Duration = Duration::seconds(30);
/// Calls judged per sweep at most.
const SWEEP_MAX: u64 = 500;

/// What judging one call came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judged {
    /// The call has not ended (yet): judge it again later.
    NotEnded,
    /// Judged before; nothing done now.
    AlreadyJudged,
    /// Judged: it earns nothing.
    Nothing,
    /// Judged: this reward was issued.
    Issued(RewardView),
}

/// Judges call `call_id` once: issues its reward if its wait earns one under its business's
/// policy (on since before the call), and mails the caller if they left an email.
///
/// # Errors
/// A database failure (nothing is claimed then; judge it again). A mail that cannot be
/// queued is logged: the reward stays issued.
pub async fn judge(
    db: &DatabaseConnection,
    outbox: &dyn Outbox,
    call_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Judged, DomainError> {
    let Some(call) = call::Entity::find_by_id(call_id).one(db).await? else {
        return Ok(Judged::Nothing);
    };
    if call.state != "ended" {
        return Ok(Judged::NotEnded);
    }
    let (policy, since) = policy::of(db, call.business_id).await?;
    let earns = match (call.answered_by, call.wait_ms) {
        (Some(_), Some(wait)) if since.is_some_and(|s| call.requested_at >= s) => {
            earned(&policy, wait)
        }
        _ => None,
    };
    let txn = crate::tx::begin_write(db).await?;
    let claim = reward_check::ActiveModel {
        call_id: Set(call.id),
        business_id: Set(call.business_id),
        checked_at: Set(now),
    };
    let claimed = reward_check::Entity::insert(claim)
        .on_conflict_do_nothing_on([reward_check::Column::CallId])
        .exec_without_returning(&txn)
        .await?;
    if !matches!(claimed, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(Judged::AlreadyJudged);
    }
    let Some(earns) = earns else {
        txn.commit().await?;
        return Ok(Judged::Nothing);
    };
    let email = caller_email(&txn, &call).await?;
    let coupon = policy
        .coupon_template
        .as_deref()
        .filter(|_| earns.coupon)
        .map(policy::coupon_code);
    let row = reward::ActiveModel {
        id: Set(Uuid::now_v7()),
        business_id: Set(call.business_id),
        call_id: Set(call.id),
        contact_id: Set(call.contact_id),
        caller_name: Set(call.caller_name.clone()),
        wait_ms: Set(call.wait_ms.unwrap_or_default()),
        points: Set(i32::try_from(earns.points).unwrap_or(i32::MAX)),
        coupon_code: Set(coupon),
        email: Set(email.clone()),
        issued_at: Set(now),
        redeemed_at: Set(None),
        redeem_key: Set(None),
        redeemed_by: Set(None),
    }
    .insert(&txn)
    .await?;
    let view = super::ledger::view_one(&txn, row).await?;
    let event = webhooks::Event::new(EventType::RewardIssued, now, &view);
    webhooks::emit(&txn, call.business_id, event).await?;
    let business_name = business::Entity::find_by_id(call.business_id)
        .one(&txn)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    let mail = match email {
        Some(to) => Some(
            crate::mail_outbox::write(&txn, reward_mail(&to, &business_name, &view), now).await?,
        ),
        None => None,
    };
    txn.commit().await?;
    crate::mail_outbox::hand_over(db, outbox, mail.into_iter().collect()).await;
    Ok(Judged::Issued(view))
}

/// Where the caller of `call` can be told: their contact's email, else the one their
/// identity left.
async fn caller_email(
    db: &impl ConnectionTrait,
    call: &call::Model,
) -> Result<Option<String>, DbErr> {
    if let Some(id) = call.contact_id {
        let email = contact::Entity::find_by_id(id)
            .filter(contact::Column::BusinessId.eq(call.business_id))
            .one(db)
            .await?
            .and_then(|c| c.email);
        if email.is_some() {
            return Ok(email);
        }
    }
    Ok(caller_identity::Entity::find()
        .filter(caller_identity::Column::Name.eq(&call.caller_name))
        .one(db)
        .await?
        .and_then(|i| i.email))
}

/// Judges the answered calls (at most [`SWEEP_MAX`] a round, oldest first) that ended
/// within [`SWEEP_LOOKBACK`] (and more than [`SWEEP_GRACE`] ago) at a business with rewards
/// on and were not judged yet: what a crash or a lost job left. A call asked for before
/// rewards were switched on is judged too — to nothing — so it is not looked at again.
/// Returns how many rewards were issued.
///
/// # Errors
/// A database failure.
pub async fn judge_due(
    db: &DatabaseConnection,
    outbox: &dyn Outbox,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    let since: HashMap<Uuid, DateTime<Utc>> = reward_policy::Entity::find()
        .filter(reward_policy::Column::Enabled.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| Some((p.business_id, p.enabled_at?)))
        .collect();
    if since.is_empty() {
        return Ok(0);
    }
    // Only calls nobody judged: an anti-join, so judged calls never fill the batch.
    let judged = sea_orm::sea_query::Query::select()
        .column(reward_check::Column::CallId)
        .from(reward_check::Entity)
        .to_owned();
    let calls: Vec<call::Model> = call::Entity::find()
        .filter(call::Column::BusinessId.is_in(since.keys().copied()))
        .filter(call::Column::State.eq("ended"))
        .filter(call::Column::AnsweredBy.is_not_null())
        .filter(call::Column::EndedAt.gt(now - SWEEP_LOOKBACK))
        .filter(call::Column::EndedAt.lt(now - SWEEP_GRACE))
        .filter(call::Column::Id.not_in_subquery(judged))
        .order_by_asc(call::Column::EndedAt)
        .limit(SWEEP_MAX)
        .all(db)
        .await?;
    let mut issued = 0;
    for c in &calls {
        if let Judged::Issued(_) = judge(db, outbox, c.id, now).await? {
            issued += 1;
        }
    }
    Ok(issued)
}

/// To the caller: what waiting earned them.
fn reward_mail(to: &str, business_name: &str, r: &RewardView) -> OutgoingEmail {
    let business = mail_safe(business_name);
    let minutes = (r.wait_ms + 30_000) / 60_000;
    let waited = if minutes <= 1 {
        "a while".to_owned()
    } else {
        format!("{minutes} minutes")
    };
    let mut lines = Vec::new();
    if r.points > 0 {
        lines.push(format!("{} points", r.points));
    }
    if let Some(code) = &r.coupon_code {
        lines.push(format!("the coupon code {code}"));
    }
    let what = lines.join(" and ");
    let text = format!(
        "Hello,\n\nThank you for waiting {waited} for \"{business}\" to answer your call. \
         For your patience you earned {what}.\n\nKeep this mail: \"{business}\" can look the \
         reward up when you use it.\n"
    );
    let body = html(&[
        "Hello,".to_owned(),
        format!(
            "Thank you for waiting {waited} for <strong>{}</strong> to answer your call. For \
             your patience you earned <strong>{}</strong>.",
            escape_html(&business),
            escape_html(&what),
        ),
        format!(
            "Keep this mail: {} can look the reward up when you use it.",
            escape_html(&business)
        ),
    ]);
    OutgoingEmail {
        to: to.to_owned(),
        subject: format!("Your reward from {business}"),
        text,
        html: Some(body),
        calendar: None,
    }
}

/// The reward of `call_id` as its caller sees it (a wait that earned nothing, and a call
/// not judged yet, are told apart so the page knows whether to ask again).
///
/// # Errors
/// `NotFound` when the call is not `caller_name`'s.
pub async fn for_caller(
    db: &impl ConnectionTrait,
    caller_name: &str,
    call_id: Uuid,
) -> Result<super::CallerReward, DomainError> {
    use super::CallerReward;
    let call = call::Entity::find_by_id(call_id)
        .filter(call::Column::CallerName.eq(caller_name))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("call"))?;
    if let Some(r) = reward::Entity::find()
        .filter(reward::Column::CallId.eq(call.id))
        .filter(reward::Column::BusinessId.eq(call.business_id))
        .one(db)
        .await?
    {
        let business = business::Entity::find_by_id(call.business_id)
            .one(db)
            .await?
            .map(|b| b.name)
            .unwrap_or_default();
        return Ok(CallerReward::Issued {
            points: r.points.into(),
            coupon_code: r.coupon_code,
            business,
        });
    }
    let checked = reward_check::Entity::find_by_id(call.id)
        .select_only()
        .column(reward_check::Column::CallId)
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some();
    let (policy, since) = policy::of(db, call.business_id).await?;
    let may_earn = policy.enabled
        && (call.answered_by.is_some() || call.state != "ended")
        && since.is_some_and(|s| call.requested_at >= s);
    Ok(if checked || !may_earn {
        CallerReward::None
    } else {
        CallerReward::Pending
    })
}
