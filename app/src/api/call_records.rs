//! The call log of the current business (`/app/calls`): the calls, newest first, and one
//! call with its timeline. Every member may read them; both are scoped to the business of
//! the session, so another business's call is simply not found.

use entity::calls::history::{CallDetail, CallRecordView};
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
