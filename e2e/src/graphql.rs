//! A small GraphQL client for setting up what a browser test then looks at, through the
//! same public API a business's own software uses.

use anyhow::{bail, Context};
use serde_json::{json, Value};

/// A new owner's session and ids.
#[derive(Clone, Debug)]
pub struct SignedUp {
    pub token: String,
    pub user_id: String,
    pub business_id: String,
}

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

    /// Signs up a new owner of `business` through the API and the emailed link (read from
    /// `server`'s outbox): their session token, user id and business id.
    ///
    /// # Errors
    /// A refused sign-up, or no email within 30 s.
    pub async fn sign_up(
        &self,
        server: &crate::Server,
        email: &str,
        password: &str,
        business: &str,
    ) -> anyhow::Result<SignedUp> {
        self.call(
            "",
            "mutation($i: SignUpInput!) { signUp(input: $i) { status } }",
            json!({ "i": { "email": email, "password": password, "businessName": business } }),
        )
        .await?;
        let link = crate::eventually(
            "the sign-up email",
            std::time::Duration::from_secs(30),
            || async { server.sign_up_link(email) },
        )
        .await?;
        let data = self
            .call(
                "",
                "mutation($t: String!, $p: String!) { confirmSignUp(token: $t, password: $p) { token userId businessId } }",
                json!({ "t": link.trim_start_matches("/signup/confirm/"), "p": password }),
            )
            .await?;
        let s = |k: &str| {
            data["confirmSignUp"][k]
                .as_str()
                .map(str::to_owned)
                .context("confirmSignUp")
        };
        Ok(SignedUp {
            token: s("token")?,
            user_id: s("userId")?,
            business_id: s("businessId")?,
        })
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
