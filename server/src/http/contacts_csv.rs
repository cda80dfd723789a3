//! `GET /app/contacts.csv`: the business's contacts as a CSV download, for the "Export
//! CSV" link of the dashboard's contacts page (the page's filters ride along:
//! `?q=…&type=…&last=…`).
//!
//! The door and the statuses are every download's ([`super::downloads`]). The rows, their
//! quoting and the neutralised formulas are `entity::contacts::export`'s.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::downloads;
use crate::state::AppState;

/// The list page's filters, as its address names them.
#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    /// Part of a name, email or domain, or a whole tag.
    q: Option<String>,
    /// `new`, `repeat` or `premium`.
    #[serde(rename = "type")]
    client_type: Option<String>,
    /// Last contact within this many days.
    last: Option<String>,
}

/// `GET /app/contacts.csv`.
#[tracing::instrument(skip_all)]
pub async fn export_contacts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Response {
    let principal = match downloads::principal(&state, &headers, "the contacts").await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let filter = match app::api::contact_filter(
        query.q.as_deref(),
        query.client_type.as_deref(),
        query.last.as_deref(),
    ) {
        Ok(f) => f,
        Err(e) => return downloads::refusal(&e),
    };
    let csv = match entity::contacts::export::export(&state.services.db, &principal, &filter).await
    {
        Ok(csv) => csv,
        Err(e) => return downloads::refusal(&e),
    };
    let name = format!("contacts-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    downloads::csv_file(&name, csv)
}
