//! A small GraphQL client for setting up what a browser test then looks at, through the
//! same public API a business's own software uses.

use anyhow::{bail, Context};
use serde_json::{json, Value};

/// `POST /graphql` with a bearer session token (or none).
pub struct Api {
    url: String,
    http: reqwest::Client,
}

impl Api {
    /// A client for the server at `base`.
    #[must_use]
    pub fn new(base: &str) -> Self {
        Self {
            url: format!("{base}/graphql"),
            http: reqwest::Client::new(),
        }
    }

    /// Runs `query` with `token` (empty: none); returns `data`, or fails with the errors.
    ///
    /// # Errors
    /// The request failed or the answer holds errors.
    pub async fn call(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        let res = self.raw(token, query, variables).await?;
        if res["errors"].is_array() {
            bail!("GraphQL errors: {}", res["errors"]);
        }
        Ok(res["data"].clone())
    }

    /// Runs `query`; returns the whole answer, errors included.
    ///
    /// # Errors
    /// The request failed or the answer is not JSON.
    pub async fn raw(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        let mut req = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        req.send()
            .await
            .context("POST /graphql")?
            .json()
            .await
            .context("a GraphQL answer")
    }

    /// The string at `pointer` (e.g. `/signUp/token`) of `query`'s data.
    ///
    /// # Errors
    /// The query failed or the answer has no string there.
    pub async fn string(
        &self,
        token: &str,
        query: &str,
        variables: Value,
        pointer: &str,
    ) -> anyhow::Result<String> {
        let data = self.call(token, query, variables).await?;
        data.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("no {pointer} in {data}"))
    }
}
