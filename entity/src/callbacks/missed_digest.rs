//! The summary of missed calls nobody returned (issue 17 §4), mailed by the periodic sweep
//! to every member of the business — at most one mail per member per interval
//! (`DOMAINCALL_MISSED_DIGEST_INTERVAL`).
//!
//! A missed call is one that ended unanswered because nobody took it (`missed`, `rejected`,
//! `unavailable`); one the caller withdrew or that dropped is not. It was returned when its
//! contact has since had an answered call, or a callback a member is calling back or has
//! done. A member's summary lists what was missed since their last one (at most a day
//! back); nothing missed, no mail. Each member's row is claimed by a conditional update
//! (or an insert that does nothing on conflict), so side-by-side workers mail it once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

use super::CallbackStatus;
use crate::auth::emails::{anchor, escape_html, html, mail_safe};
use crate::entities::{business, call, callback, contact, membership, missed_digest, user};
use crate::outbox::{Outbox, OutgoingEmail};
use crate::DomainError;

/// How far back a summary looks at most.
pub const LOOKBACK: Duration = Duration::days(1);
/// Missed calls read per sweep at most.
const CALLS_MAX: u64 = 5_000;
/// Lines one mail lists at most (it says how many more).
const LINES_MAX: usize = 50;
/// The end reasons that mean nobody took the call.
const MISSED: [&str; 3] = ["missed", "rejected", "unavailable"];

/// A missed call, as the summary lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissedLine {
    pub at: DateTime<Utc>,
    /// The contact's name, else the caller identity.
    pub who: String,
    pub domain: String,
}

/// Mails each member whose interval has passed the calls missed since their last summary
/// that nobody returned. Returns how many mails were queued.
///
/// # Errors
/// A database or queue failure.
pub async fn send_due(
    db: &DatabaseConnection,
    outbox: &dyn Outbox,
    public_url: &str,
    every: Duration,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    let calls = call::Entity::find()
        .filter(call::Column::RequestedAt.gt(now - LOOKBACK))
        .filter(call::Column::AnsweredBy.is_null())
        .filter(call::Column::EndReason.is_in(MISSED))
        .order_by_asc(call::Column::RequestedAt)
        .limit(CALLS_MAX)
        .all(db)
        .await?;
    let mut by_business: HashMap<Uuid, Vec<call::Model>> = HashMap::new();
    for c in calls {
        by_business.entry(c.business_id).or_default().push(c);
    }
    let mut sent = 0;
    for (business_id, calls) in by_business {
        let calls = unreturned(db, business_id, calls).await?;
        if calls.is_empty() {
            continue;
        }
        sent += mail_members(db, outbox, public_url, business_id, &calls, every, now).await?;
    }
    Ok(sent)
}

/// `calls` without those returned since.
async fn unreturned(
    db: &DatabaseConnection,
    business_id: Uuid,
    calls: Vec<call::Model>,
) -> Result<Vec<call::Model>, DomainError> {
    let contacts: HashSet<Uuid> = calls.iter().filter_map(|c| c.contact_id).collect();
    if contacts.is_empty() {
        return Ok(calls);
    }
    let first = calls
        .iter()
        .map(|c| c.requested_at)
        .min()
        .unwrap_or_default();
    // The latest answered call and the latest callback being or done, per contact.
    let mut returned: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    let answered = call::Entity::find()
        .filter(call::Column::BusinessId.eq(business_id))
        .filter(call::Column::ContactId.is_in(contacts.iter().copied()))
        .filter(call::Column::AnsweredBy.is_not_null())
        .filter(call::Column::RequestedAt.gt(first))
        .all(db)
        .await?;
    let back = [CallbackStatus::InProgress, CallbackStatus::Done].map(CallbackStatus::as_str);
    let callbacks = callback::Entity::find()
        .filter(callback::Column::BusinessId.eq(business_id))
        .filter(callback::Column::ContactId.is_in(contacts.iter().copied()))
        .filter(callback::Column::Status.is_in(back))
        .filter(callback::Column::UpdatedAt.gt(first))
        .all(db)
        .await?;
    let seen = answered
        .into_iter()
        .filter_map(|c| Some((c.contact_id?, c.requested_at)))
        .chain(
            callbacks
                .into_iter()
                .filter_map(|c| Some((c.contact_id?, c.updated_at))),
        );
    for (contact, at) in seen {
        let latest = returned.entry(contact).or_insert(at);
        *latest = (*latest).max(at);
    }
    Ok(calls
        .into_iter()
        .filter(|c| {
            c.contact_id
                .and_then(|id| returned.get(&id))
                .is_none_or(|at| *at < c.requested_at)
        })
        .collect())
}

/// Mails each member of `business_id` who is due the `calls` since their last summary.
async fn mail_members(
    db: &DatabaseConnection,
    outbox: &dyn Outbox,
    public_url: &str,
    business_id: Uuid,
    calls: &[call::Model],
    every: Duration,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    let members: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::BusinessId.eq(business_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let digests: HashMap<Uuid, missed_digest::Model> = missed_digest::Entity::find()
        .filter(missed_digest::Column::BusinessId.eq(business_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.user_id, d))
        .collect();
    // Read once, when the first member is due.
    let mut lines: Option<Vec<(DateTime<Utc>, MissedLine)>> = None;
    let mut business_name: Option<String> = None;
    let link = format!("{}/app/calls", public_url.trim_end_matches('/'));
    let mut sent = 0;
    for member in members {
        let last = digests.get(&member);
        if last.is_some_and(|d| d.sent_at > now - every) {
            continue;
        }
        let since = last.map_or(now - every, |d| d.sent_at);
        if !calls.iter().any(|c| c.requested_at > since) {
            continue;
        }
        let Some(to) = user::Entity::find_by_id(member).one(db).await? else {
            continue;
        };
        if lines.is_none() {
            lines = Some(lines_of(db, business_id, calls).await?);
        }
        let Some(all) = lines.as_ref() else { continue };
        let mine: Vec<MissedLine> = all
            .iter()
            .filter(|(at, _)| *at > since)
            .map(|(_, l)| l.clone())
            .collect();
        if business_name.is_none() {
            let found = business::Entity::find_by_id(business_id).one(db).await?;
            business_name = Some(found.map(|b| b.name).unwrap_or_default());
        }
        let name = business_name.as_deref().unwrap_or_default();
        // The turn is taken and the summary written in one transaction.
        let txn = crate::tx::begin_write(db).await?;
        if !claim(&txn, business_id, member, last, now).await? {
            continue;
        }
        let mail = digest_mail(&to.email, name, &mine, &link);
        let written = crate::mail_outbox::write(&txn, mail, now).await?;
        txn.commit().await?;
        crate::mail_outbox::hand_over(db, outbox, vec![written]).await;
        sent += 1;
    }
    Ok(sent)
}

/// Takes the member's turn: `true` when this worker may mail them now.
async fn claim(
    db: &impl ConnectionTrait,
    business_id: Uuid,
    member: Uuid,
    last: Option<&missed_digest::Model>,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    if let Some(last) = last {
        let done = missed_digest::Entity::update_many()
            .col_expr(missed_digest::Column::SentAt, Expr::value(now))
            .filter(missed_digest::Column::Id.eq(last.id))
            .filter(missed_digest::Column::SentAt.eq(last.sent_at))
            .exec(db)
            .await?;
        return Ok(done.rows_affected == 1);
    }
    let row = missed_digest::ActiveModel {
        id: Set(Uuid::now_v7()),
        business_id: Set(business_id),
        user_id: Set(member),
        sent_at: Set(now),
    };
    let inserted = missed_digest::Entity::insert(row)
        .on_conflict_do_nothing_on([
            missed_digest::Column::BusinessId,
            missed_digest::Column::UserId,
        ])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// The summary's lines, by when the call came.
async fn lines_of(
    db: &DatabaseConnection,
    business_id: Uuid,
    calls: &[call::Model],
) -> Result<Vec<(DateTime<Utc>, MissedLine)>, DomainError> {
    let ids: Vec<Uuid> = calls.iter().filter_map(|c| c.contact_id).collect();
    let names: HashMap<Uuid, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        contact::Entity::find()
            .filter(contact::Column::BusinessId.eq(business_id))
            .filter(contact::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    };
    Ok(calls
        .iter()
        .map(|c| {
            let who = c
                .contact_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| c.caller_name.clone());
            let line = MissedLine {
                at: c.requested_at,
                who,
                domain: c.domain.clone(),
            };
            (c.requested_at, line)
        })
        .collect())
}

/// To a member: the calls nobody answered or returned.
#[must_use]
pub fn digest_mail(
    to: &str,
    business_name: &str,
    lines: &[MissedLine],
    link: &str,
) -> OutgoingEmail {
    let business = mail_safe(business_name);
    let count = lines.len();
    let calls = if count == 1 {
        "1 missed call".to_owned()
    } else {
        format!("{count} missed calls")
    };
    let listed: Vec<(String, String)> = lines
        .iter()
        .take(LINES_MAX)
        .map(|l| {
            (
                l.at.format("%a %-d %b, %H:%M UTC").to_string(),
                format!("{} (called {})", mail_safe(&l.who), mail_safe(&l.domain)),
            )
        })
        .collect();
    let more = count.saturating_sub(LINES_MAX);
    let mut text =
        format!("Hello,\n\n\"{business}\" has {calls} nobody answered or returned yet:\n\n");
    for (when, who) in &listed {
        text.push_str(&format!("- {when}: {who}\n"));
    }
    if more > 0 {
        text.push_str(&format!("- and {more} more\n"));
    }
    text.push_str(&format!(
        "\nSee them in the call log and call back:\n\n{link}\n"
    ));
    let mut items: String = listed
        .iter()
        .map(|(when, who)| format!("<li>{}: {}</li>", escape_html(when), escape_html(who)))
        .collect();
    if more > 0 {
        items.push_str(&format!("<li>and {more} more</li>"));
    }
    let paragraphs = vec![
        "Hello,".to_owned(),
        format!(
            "<strong>{}</strong> has {calls} nobody answered or returned yet:",
            escape_html(&business)
        ),
        format!("<ul>{items}</ul>"),
        anchor(link, "Open the call log"),
    ];
    OutgoingEmail {
        calendar: None,
        to: to.to_owned(),
        subject: format!("{calls} to return — \"{business}\""),
        text,
        html: Some(html(&paragraphs)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_lists_the_calls_and_escapes_names() {
        let at = DateTime::parse_from_rfc3339("2026-12-06T10:02:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let lines = vec![
            MissedLine {
                at,
                who: "Eve <script>".to_owned(),
                domain: "shop.example".to_owned(),
            };
            52
        ];
        let mail = digest_mail(
            "a@example.com",
            "Shop\r\nBcc: x@evil",
            &lines,
            "https://x/app/calls",
        );
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
        assert!(
            mail.subject.starts_with("52 missed calls"),
            "{}",
            mail.subject
        );
        assert!(mail
            .text
            .contains("- Sun 6 Dec, 10:02 UTC: Eve <script> (called shop.example)"));
        assert!(mail.text.contains("- and 2 more"));
        let html = mail.html.unwrap_or_default();
        assert!(html.contains("Eve &lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"));
        let one = digest_mail("a@example.com", "Shop", &lines[..1], "https://x");
        assert!(one.subject.starts_with("1 missed call "), "{}", one.subject);
    }
}
