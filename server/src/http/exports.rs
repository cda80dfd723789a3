//! `GET /app/calls/export.csv?<filters>`: the business's filtered call log as a CSV file,
//! for the dashboard's "Download CSV" link.
//!
//! The door and the statuses are every download's ([`super::downloads`]). The filters are
//! the page's ([`entity::calls::filter::CallQuery`]), refused field by field; the rows come
//! from [`entity::calls::csv`] (RFC 4180, formulas neutralised).

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use entity::calls::filter::CallQuery;

use super::downloads;
use crate::state::AppState;

/// Where the export lives.
pub const CALLS_CSV: &str = "/app/calls/export.csv";

/// The file's name: `calls-<from>-<to>.csv` with the range when there is one.
fn file_name(query: &CallQuery) -> String {
    let part = |v: Option<&str>| {
        v.map(|d| {
            d.chars()
                .filter(|c| c.is_ascii_digit() || *c == '-')
                .collect::<String>()
        })
        .filter(|d| !d.is_empty())
    };
    match (part(query.from.as_deref()), part(query.to.as_deref())) {
        (None, None) => "calls.csv".to_owned(),
        (from, to) => format!(
            "calls-{}-to-{}.csv",
            from.unwrap_or_else(|| "start".into()),
            to.unwrap_or_else(|| "now".into())
        ),
    }
}

/// `GET /app/calls/export.csv`.
#[tracing::instrument(skip_all)]
pub async fn get_calls_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CallQuery>,
) -> Response {
    let principal = match downloads::principal(&state, &headers, "the call log").await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let services = &state.services;
    let filter = match entity::calls::records::parse_filter(&query) {
        Ok(f) => f,
        Err(e) => return downloads::refusal(&e),
    };
    let calls = match entity::calls::records::export_for(&services.db, &principal, &filter).await {
        Ok(c) => c,
        Err(e) => return downloads::refusal(&e),
    };
    downloads::csv_file(&file_name(&query), entity::calls::csv::document(&calls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_range_and_nothing_else() {
        assert_eq!(file_name(&CallQuery::default()), "calls.csv");
        let q = CallQuery {
            from: Some("2025-03-01".into()),
            to: Some("2025-03-31\"; x=\"y".into()),
            ..CallQuery::default()
        };
        assert_eq!(file_name(&q), "calls-2025-03-01-to-2025-03-31.csv");
    }
}
