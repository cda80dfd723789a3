//! The call log of the current business (`/app/calls`): the calls, newest first, and one
//! call with its timeline; the filtered log a page at a time, the filters' choices, and
//! the home page's figures. Every member may read them; both are scoped to the business of
//! the session, so another business's call is simply not found.

use entity::calls::filter::{CallPage, FilterOptions};
use entity::calls::history::{CallDetail, CallRecordView};
use entity::calls::stats::CallStats;
use leptos::prelude::*;

use crate::error::AppError;

/// The calls of the current business, newest first: `limit` of them (default 50, at most
/// 200).
#[server(endpoint = "list_call_records")]
pub async fn list_call_records(limit: Option<i64>) -> Result<Vec<CallRecordView>, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let limit = limit.unwrap_or(50);
        Ok(entity::calls::records::list_views_for(&services.db, &principal, limit).await?)
    })
    .await
}

/// One call of the current business with its timeline and chat transcript.
#[server(name = GetCallRecord, endpoint = "call_record")]
pub async fn call_record(id: String) -> Result<CallDetail, AppError> {
    use crate::backend;
    use entity::calls::CallId;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = CallId::from_uuid(backend::parse_id(&id, "call")?);
        Ok(entity::calls::records::call_detail(&services.db, &principal, id).await?)
    })
    .await
}

/// One page of the current business's call log, newest first: the calls passing the
/// filters (each as typed in the page's address; blank is unset), up to 100 after cursor
/// `after`, and the cursor of the next page. Bad filters are refused field by field.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "call_history")]
pub async fn call_history(
    #[server(default)] from: Option<String>,
    #[server(default)] to: Option<String>,
    #[server(default)] domain: Option<String>,
    #[server(default)] intent: Option<String>,
    #[server(default)] team: Option<String>,
    #[server(default)] member: Option<String>,
    #[server(default)] outcome: Option<String>,
    #[server(default)] after: Option<String>,
) -> Result<CallPage, AppError> {
    use crate::backend;
    use entity::calls::filter::{CallQuery, Cursor};
    use entity::calls::records;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let query = CallQuery {
            from,
            to,
            domain,
            intent,
            team,
            member,
            outcome,
        };
        let filter = records::parse_filter(&query)?;
        let after = after
            .filter(|a| !a.trim().is_empty())
            .map(|a| Cursor::decode(&a))
            .transpose()
            .map_err(|e| entity::DomainError::Validation(vec![e]))?;
        Ok(records::page_for(
            &services.db,
            &principal,
            &filter,
            after,
            records::log::MAX_PAGE,
        )
        .await?)
    })
    .await
}

/// What the call log's filters can be set to (domains called, intents, teams, members).
#[server(endpoint = "call_filter_options")]
pub async fn call_filter_options() -> Result<FilterOptions, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::calls::records::filter_options(&services.db, &principal).await?)
    })
    .await
}

/// The home page's figures for the last `days` days (7 by default; 1 to 90), in the
/// business's time zone.
#[server(name = GetCallStats, endpoint = "call_stats")]
pub async fn call_stats(#[server(default)] days: Option<i64>) -> Result<CallStats, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let days = days.unwrap_or(7);
        Ok(entity::calls::records::stats::stats_for(
            &services.db,
            &principal,
            days,
            chrono::Utc::now(),
        )
        .await?)
    })
    .await
}
